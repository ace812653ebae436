"""台账: the chosen unit's (and its units') records of the year: filter, sort, total, export, open one."""

import streamlit as st

from fazhi import ledger, spreadsheet, transfer, units, years
from fazhi.text import markdown_literal
from fazhi.ui import cache, feedback, ledger_link, resources, session, sidebar

db = resources.database()
catalog = resources.catalog()
user = session.require_user()
unit = sidebar.selected_unit(db, user)
year = sidebar.selected_year()

if ledger_link.apply_ledger_request(db, catalog):  # e.g. a bar chosen on 看板: show the records behind it
    st.rerun()
st.title(f"台账 · {markdown_literal(unit.name)} · {year}年")
feedback.show_flash()

outline = catalog.outline_for(year)
areas = {area.code: area.name for area in outline.areas}
types = catalog.record_types
keep = {"persist_state": "session"}  # filters survive a visit to 记录详情
left, middle, right = st.columns(3)
area = left.selectbox(
    "领域", list(areas), index=None, format_func=areas.get, key="ledger_area", placeholder="全部领域", **keep
)
chosen = middle.multiselect(
    "记录类型",
    list(types),
    format_func=lambda code: types[code].name,
    key="ledger_types",
    placeholder="全部类型",
    **keep,
)
keyword = right.text_input("关键词", key="ledger_keyword", placeholder="标题、地点或情况说明中的文字", **keep)
first, last, sort, order = st.columns([2, 2, 2, 1], vertical_alignment="bottom")
lowest, highest = years.year_days(year)  # the calendars open inside the year shown
for bound in ("ledger_from", "ledger_to"):  # a date kept from another year would not fit the new bounds
    if st.session_state.get(bound) is not None and not lowest <= st.session_state[bound] <= highest:
        st.session_state[bound] = None
days = {"format": "YYYY-MM-DD", "min_value": lowest, "max_value": highest, **keep}
date_from = first.date_input("日期从", value=None, key="ledger_from", **days)
date_to = last.date_input("日期到", value=None, key="ledger_to", **days)
order_by = sort.selectbox(
    "排序", list(ledger.SORT_COLUMNS), format_func=ledger.SORT_COLUMNS.get, key="ledger_sort", **keep
)
descending = order.toggle("倒序", key="ledger_desc", **keep)
deleted = user.is_admin and st.toggle(
    "只看已删除的记录", key="ledger_deleted", help="管理员可打开已删除的记录并恢复它。", **keep
)

scope = {u.id: u for u in units.subtree(db, unit)}
if len(scope) > 1:
    if st.session_state.get("ledger_unit") not in scope:
        st.session_state["ledger_unit"] = None  # the sidebar moved to another unit
    within = st.selectbox(
        "下属单位",
        list(scope)[1:],
        index=None,
        format_func=lambda i: sidebar.unit_label(scope[i], unit),
        key="ledger_unit",
        placeholder=f"{unit.name}全部（含下属单位）",
        **keep,
    )
else:
    within = None

filters = ledger.RecordFilter(
    year=year,
    unit_id=within or unit.id,
    type_codes=chosen,
    area=area,
    keyword=keyword,
    date_from=date_from,
    date_to=date_to,
    deleted_only=deleted,
    order_by=order_by,
    descending=descending,
)
frame = cache.list_records(db, user, catalog, filters)
if any([within, area, chosen, keyword, date_from, date_to]):
    st.button(
        "显示全部记录",
        key="ledger_clear",
        icon=":material/filter_alt_off:",
        on_click=ledger_link.clear_ledger_filters,
    )
if frame.empty:
    filtered = any([within, area, chosen, keyword, date_from, date_to, deleted])
    st.info(
        "没有符合条件的记录。" if filtered else f"{markdown_literal(unit.name)}{year}年还没有记录。",
        icon=":material/info:",
    )
    st.stop()

st.caption(f"共 {len(frame)} 条记录。点选行首的方框打开这条记录，可查看佐证材料、修改或删除。")
event = st.dataframe(
    cache.ledger_view(db, catalog, frame),
    hide_index=True,
    key="ledger_table",
    placeholder="",
    on_select="rerun",
    selection_mode="single-row",
)
if event.selection.rows:
    ledger_link.open_record(int(frame.iloc[event.selection.rows[0]]["id"]))

name = f"{unit.name}{year}年台账"
one_type = frame["type_code"].nunique() == 1  # a CSV holds one type; several become a zip of CSVs
buttons = st.container(horizontal=True)
buttons.download_button(
    "导出 Excel",
    data=lambda: transfer.export_xlsx(db, user, catalog, filters),
    file_name=f"{name}.xlsx",
    mime=spreadsheet.XLSX_MIME,
    key="ledger_export_xlsx",
    icon=":material/download:",
    on_click="ignore",
    help="导出当前筛选出的记录，格式与导入模板相同，改好后可以再导入。",
)
buttons.download_button(
    "导出 CSV" if one_type else "导出 CSV（每种类型一个文件，打包为 zip）",
    data=lambda: transfer.export_csv(db, user, catalog, filters)[0],
    file_name=f"{name}.{'csv' if one_type else 'zip'}",
    mime="text/csv" if one_type else "application/zip",
    key="ledger_export_csv",
    icon=":material/download:",
    on_click="ignore",
)

sums = ledger.totals(frame, catalog)
if sums:
    captions = catalog.field_captions()
    st.subheader("合计")
    st.dataframe(
        [{"项目": captions[code], "合计": value} for code, value in sums.items() if value],
        hide_index=True,
        key="ledger_totals",
    )

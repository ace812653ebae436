"""台账: the year's records of the chosen unit (and the units below it), with totals.

Honours a request from another page (ui.open_ledger, e.g. a bar selected on 看板): its filters apply on
top of the sidebar's unit and year until the user clears them or picks another unit or year.
"""

import streamlit as st

from fazhi import dashboard, records, ui

db = ui.database()
catalog = ui.catalog()
user = ui.require_user()
unit = ui.selected_unit(db, user)
year = ui.selected_year()

request = ui.take_ledger_request()
if request is not None:
    st.session_state["ledger_request_applied"] = (unit.id, year, request)
applied = st.session_state.get("ledger_request_applied")
if applied is not None and applied[:2] != (unit.id, year):
    del st.session_state["ledger_request_applied"]  # another unit or year was picked in the sidebar
    applied = None
extra = applied[2] if applied else {}

st.title(f"台账 · {ui.md(unit.name)} · {year}年")
frame = records.list_records(
    db, user, catalog, records.RecordFilter(**{"year": year, "unit_id": unit.id, **extra})
)
if extra:
    st.info("只显示：" + ui.md(dashboard.describe_filter(db, catalog, extra)), icon=":material/filter_alt:")
    if st.button("显示全部记录", key="ledger_clear_request", icon=":material/filter_alt_off:"):
        st.session_state.pop("ledger_request_applied", None)
        st.rerun()
if frame.empty:
    st.info(f"{ui.md(unit.name)}{year}年还没有符合条件的记录。")
    st.stop()

type_names = dict(zip(frame["type_code"], frame["type_name"], strict=False))
chosen = st.multiselect(
    "记录类型", list(type_names), format_func=type_names.get, key="ledger_types", placeholder="全部类型"
)
if chosen:
    frame = frame[frame["type_code"].isin(chosen)]

st.caption(f"共 {len(frame)} 条记录")
st.dataframe(records.display_frame(frame, catalog), hide_index=True, placeholder="", key="ledger_table")

sums = records.totals(frame, catalog)
if sums:
    captions = catalog.field_captions()
    st.subheader("合计")
    st.dataframe(
        [{"项目": captions[code], "合计": value} for code, value in sums.items() if value],
        hide_index=True,
        key="ledger_totals",
    )

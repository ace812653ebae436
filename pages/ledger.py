"""台账: the year's records of the chosen unit (and the units below it), with totals."""

import streamlit as st

from fazhi import records, ui

db = ui.database()
catalog = ui.catalog()
user = ui.require_user()
unit = ui.selected_unit(db, user)
year = ui.selected_year()

st.title(f"台账 · {unit.name} · {year}年")
frame = records.list_records(db, user, catalog, records.RecordFilter(year=year, unit_id=unit.id))
if frame.empty:
    st.info(f"{unit.name}{year}年还没有记录。")
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

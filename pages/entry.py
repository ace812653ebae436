"""录入: one record after another; the form shows the chosen type's fields with their labels and units."""

import streamlit as st

from fazhi import ledger, record_display, records, units
from fazhi.text import markdown_literal
from fazhi.ui import feedback, record_form, resources, session, sidebar

db = resources.database()
catalog = resources.catalog()
user = session.require_user()
unit = sidebar.selected_unit(db, user)
year = sidebar.selected_year()

st.title(markdown_literal(f"录入 · {unit.name} · {year}年"))
feedback.show_flash()

type_code = record_form.record_type_picker(catalog, key="entry_type")
if type_code is None:
    st.info("先选择要录入的记录类型。选定后可连续录入多条，类型保持不变。", icon=":material/info:")
    st.stop()
record_type = catalog.type(type_code)
if record_type.description:
    st.caption(record_type.description)

with st.form("entry_form", enter_to_submit=False):
    item, slots = record_form.record_form("entry", record_type, units.subtree(db, unit), year)
    submitted = st.form_submit_button("保存", type="primary", key="entry_save", icon=":material/save:")

if submitted:
    with record_form.form_guard(slots):
        saved = records.add_record(db, user, catalog, item, year=year)
        record_form.load_form("entry", None)  # ready for the next one; the type stays
        feedback.flash(
            markdown_literal(record_display.saved_message(db, user, catalog, saved))
            + "\n\n可以继续录入下一条。"
        )
        st.session_state.setdefault("entry_done", []).insert(0, saved.id)
        st.rerun()

done = st.session_state.get("entry_done", [])
if done:
    st.subheader("本次已录入")
    recent = ledger.list_records(
        db, user, catalog, ledger.RecordFilter(ids=done[:20], order_by="id", descending=True)
    )
    st.dataframe(record_display.display_frame(recent, catalog), hide_index=True, key="entry_recent")

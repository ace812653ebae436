"""记录详情: one record with its values, evidence and history; editors correct or delete it, admins restore it."""

import streamlit as st

from fazhi import auth, cases, record_display, records, units
from fazhi.errors import RecordConflict
from fazhi.text import markdown_literal
from fazhi.ui import evidence_panel, feedback, ledger_link, record_form, resources, session

db = resources.database()
catalog = resources.catalog()
user = session.require_user()

st.page_link("pages/ledger.py", label="返回台账", icon=":material/arrow_back:")
record = ledger_link.record_or_stop(db, user, catalog)
record_type = catalog.record_types.get(record.type_code)  # None: a type since removed from the catalog
st.title(f"{record_type.name if record_type else '已停用的类型'} · {markdown_literal(record.title)}")
st.caption(
    f"编号 {record.id} · 第{record.version}版 · 最后由 {auth.person_name(db, record.updated_by)} 于 {record.updated_at:%Y-%m-%d %H:%M} 保存"
)
feedback.show_flash()

if record.is_deleted:
    st.warning("这条记录已被删除，不计入台账和报告。", icon=":material/delete:")
    if st.button("恢复这条记录", key="record_restore", type="primary", icon=":material/restore_from_trash:"):
        with feedback.guard():
            records.restore_record(db, user, catalog, record.id)
            feedback.flash("已恢复这条记录。")
            st.rerun()

editable = user.can_edit and not record.is_deleted and record_type is not None
names = ["内容", "佐证材料", "修改记录"] + (["修改或删除"] if editable else [])
tabs = dict(
    zip(names, st.tabs(names, key="record_tabs"), strict=True)
)  # keyed: stays on its tab after a save
with tabs["内容"]:
    record_form.detail_table(
        record_display.input_rows(catalog, record.as_input(), record.unit_name), key="record_detail"
    )
    marked = cases.is_marked(db, record.id)
    if marked:
        st.caption("这条记录是典型案例：年度报告在相应小节中引用它的标题和情况说明。")
    if editable and st.button(
        "取消典型案例" if marked else "设为典型案例（写入年度报告）",
        key="record_typical",
        icon=":material/star:",
        help="年度报告会引用一两个典型案例，让报告更有说服力；请确保“情况说明”写清了经过和结果。",
    ):
        with feedback.guard():
            cases.mark(db, user, catalog, record.id, not marked)
            feedback.flash("已设为典型案例。" if not marked else "已取消典型案例。")
            st.rerun()
with tabs["佐证材料"]:
    evidence_panel.evidence_panel(db, user, catalog, record, editable)
with tabs["修改记录"]:
    st.dataframe(record_display.history(db, user, catalog, record.id), hide_index=True, key="record_history")
if not editable:
    st.stop()

state = st.session_state
if state.get("record_opened") != record.id or "edit_title" not in state:
    record_form.load_form("edit", record.as_input())  # the version opened is the one a save must still find
    state.update(record_opened=record.id, record_version=record.version, record_conflict=None)


def saved(result: records.Saved) -> None:
    state.update(record_version=result.version, record_conflict=None)
    record_form.load_form("edit", records.get_record(db, user, catalog, record.id).as_input())
    feedback.flash(markdown_literal(record_display.saved_message(db, user, catalog, result)))
    st.rerun()


with tabs["修改或删除"]:
    with st.form("edit_form", enter_to_submit=False):
        item, slots = record_form.record_form(
            "edit", record_type, units.visible_units(db, user), record.start_on.year
        )
        submitted = st.form_submit_button("保存修改", type="primary", key="edit_save", icon=":material/save:")
    if submitted:
        with record_form.form_guard(slots):
            try:
                saved(records.update_record(db, user, catalog, record.id, item, state["record_version"]))
            except RecordConflict as error:
                state["record_conflict"] = error.current

    theirs = state.get("record_conflict")
    if theirs is not None:
        st.error(RecordConflict(theirs).message, icon=":material/sync_problem:")
        st.caption(
            f"对方（{auth.person_name(db, theirs.updated_by)}）于 {theirs.updated_at:%Y-%m-%d %H:%M} 保存了第{theirs.version}版："
        )
        mine_unit = units.get_unit(db, item.unit_id).name
        st.dataframe(
            record_display.compare(catalog, theirs.as_input(), theirs.unit_name, item, mine_unit),
            hide_index=True,
            key="edit_compare",
        )
        take, keep = st.columns(2)
        if take.button("载入对方的版本（放弃我的修改）", key="edit_take_theirs"):
            record_form.load_form("edit", theirs.as_input())
            state.update(record_version=theirs.version, record_conflict=None)
            st.rerun()
        if keep.button("仍然保存我的版本", key="edit_keep_mine", help="用您填写的内容替换对方保存的版本。"):
            with record_form.form_guard(slots):
                try:
                    saved(records.update_record(db, user, catalog, record.id, item, theirs.version))
                except RecordConflict as error:
                    state["record_conflict"] = error.current
                    st.rerun()

    st.divider()
    if st.button("删除这条记录", key="record_delete", icon=":material/delete:"):
        state["record_confirm_delete"] = record.id
    if state.get("record_confirm_delete") == record.id:
        st.warning(f"确定删除“{markdown_literal(record.title)}”吗？删除后不计入台账和报告，管理员可以恢复。")
        yes, no = st.columns(2)
        if yes.button("确认删除", key="record_delete_yes", type="primary"):
            with feedback.guard():
                records.delete_record(db, user, catalog, record.id, state["record_version"])
                state.pop("record_confirm_delete")
                feedback.flash(
                    markdown_literal(
                        f"已删除：{record_display.describe(record, catalog)}。管理员可在台账中“只看已删除的记录”后恢复。"
                    )
                )
                st.switch_page("pages/ledger.py")
        if no.button("取消", key="record_delete_no"):
            state.pop("record_confirm_delete")
            st.rerun()

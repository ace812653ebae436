"""目标: each indicator's target for the unit and year — edit, copy last year's, restore the defaults."""

import streamlit as st

from fazhi import locks, targets
from fazhi.text import markdown_literal
from fazhi.ui import feedback, resources, session, sidebar

db = resources.database()
catalog = resources.catalog()
user = session.require_user()
unit = sidebar.selected_unit(db, user)
year = sidebar.selected_year()

st.title(f"目标 · {markdown_literal(unit.name)} · {year}年")
feedback.show_flash()
if not user.is_admin:
    st.warning("只有管理员可以设置目标；目标和完成情况可在看板中查看。", icon=":material/lock:")
    st.stop()

locked = locks.lock_state(db, unit, year)
frame = targets.target_table(db, user, catalog, unit, year)
st.caption(
    f"在“{year}年目标”一列中修改，再点“保存”。清空某格或填入与默认相同的数，即恢复为默认目标。"
    "区县的累计类默认目标按所辖乡镇数放大；比率的目标不超过100%；是/否类指标的目标为1（是）。"
)
edited = st.data_editor(
    frame,
    key="targets_editor",
    hide_index=True,
    height=640,
    placeholder="—",
    disabled=True if locked else ["area", "name", "unit", "default", "previous", "definition"],
    column_order=["area", "name", "unit", "default", "target", "previous", "definition"],
    column_config={
        "area": st.column_config.TextColumn("领域"),
        "name": st.column_config.TextColumn("指标", width="medium"),
        "unit": st.column_config.TextColumn("单位", width="small"),
        "default": st.column_config.NumberColumn("默认目标", format="%g"),
        "target": st.column_config.NumberColumn(f"{year}年目标", min_value=0, format="%g"),
        "previous": st.column_config.NumberColumn(f"{year - 1}年目标", format="%g"),
        "definition": st.column_config.TextColumn("口径说明", width="large"),
    },
)
if locked:
    st.info(f"{locked}目标只能查看。", icon=":material/lock:")
    st.stop()


def done(message: str) -> None:
    """Show the message after the rerun, and drop the edits now stored (or replaced)."""
    st.session_state.pop("targets_editor", None)
    feedback.flash(message)
    st.rerun()


save, copy, reset = st.columns(3)
if save.button("保存", key="targets_save", type="primary", icon=":material/save:"):
    with feedback.guard():
        changed = targets.set_targets(db, user, catalog, unit, year, targets.changed_targets(frame, edited))
        done(f"已保存，{changed}项目标有变化。" if changed else "目标没有变化。")
if copy.button(f"复制{year - 1}年目标", key="targets_copy", icon=":material/content_copy:"):
    with feedback.guard():
        copied = targets.copy_previous_year(db, user, catalog, unit, year)
        done(
            f"已复制{year - 1}年单独设置的目标，{copied}项有变化。"
            if copied
            else f"{year - 1}年没有单独设置的目标（均为默认值），无需复制。"
        )
with reset.popover("恢复默认值", icon=":material/restart_alt:"):
    st.write(f"把{year}年单独设置的全部目标恢复为默认值。")
    if st.button("确认恢复默认值", key="targets_reset", type="primary"):
        with feedback.guard():
            dropped = targets.restore_defaults(db, user, catalog, unit, year)
            done(f"已恢复默认值（{dropped}项）。" if dropped else "本年目标已经都是默认值。")

"""封账: lock a unit's finished year against every change, or lift the lock; who and when are shown."""

import streamlit as st

from fazhi import locks
from fazhi.report import frozen
from fazhi.text import markdown_literal
from fazhi.ui import feedback, resources, session, sidebar

db = resources.database()
catalog = resources.catalog()
user = session.require_user()
session.require_admin(user)
unit = sidebar.selected_unit(db, user)
year = sidebar.selected_year()

st.title(markdown_literal(f"封账 · {unit.name} · {year}年"))
feedback.show_flash()
st.write(
    "报告定稿后封账：该单位（含下级单位）该年度的记录、佐证材料、报告文字、目标值和导入都不能再修改。"
    "确需修改时由管理员解除封账，封账和解除都记入审计日志。左侧栏选择单位和年度。"
)

above = locks.locked_by_ancestor(db, unit, year)
if above:
    st.info(
        markdown_literal(f"{year}年已由上级单位“{above}”封账，需由“{above}”的管理员解除。"),
        icon=":material/lock:",
    )
elif locks.workflow_of(db, unit, year):
    st.info(
        markdown_literal(
            f"{unit.name}{year}年的年度报告已报送上级（或已通过审核），由报送审核锁定；需要修改时请上级单位退回。"
        ),
        icon=":material/lock:",
    )
elif locks.is_locked_here(db, unit, year) and not locks.may_unlock(db, user, unit, year):
    who = (locks.setter(db, unit, year) or ("上级单位", ""))[0]
    st.info(
        markdown_literal(f"{unit.name}{year}年已由“{who}”封账，需由“{who}”的管理员解除。"),
        icon=":material/lock:",
    )
elif locks.is_locked_here(db, unit, year):
    sure = st.checkbox(markdown_literal(f"我确认要解除{unit.name}{year}年的封账"), key="unlock_confirm")
    if st.button("解除封账", key="unlock", icon=":material/lock_open:", disabled=not sure):
        with feedback.guard():
            locks.unlock_year(db, user, unit, year)
            feedback.flash(markdown_literal(f"已解除{unit.name}{year}年的封账。"))
            st.rerun()
else:
    st.success(markdown_literal(f"{unit.name}{year}年未封账，可以录入和修改。"), icon=":material/edit:")
    sure = st.checkbox(markdown_literal(f"{unit.name}{year}年的报告已定稿，确认封账"), key="lock_confirm")
    if st.button("封账", key="lock", type="primary", icon=":material/lock:", disabled=not sure):
        with feedback.guard():
            frozen.lock_year(db, user, unit, year)
            feedback.flash(markdown_literal(f"已将{unit.name}{year}年封账。"))
            st.rerun()

st.subheader("已封账的年度")
held = locks.list_locks(db, user)
if not held:
    st.caption("还没有封账的年度。")
else:
    st.dataframe(
        [
            {
                "单位": h.unit_name,
                "年度": f"{h.year}年",
                "封账单位": h.set_by_unit,
                "封账人": h.locked_by,
                "封账时间": h.locked_at,
            }
            for h in held
        ],
        hide_index=True,
        key="locks_table",
        column_config={"封账时间": st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm")},
    )

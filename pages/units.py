"""单位管理: administrators add 乡镇/街道 under a 区县 and 村/社区 under a 乡镇, rename and reorder them."""

import streamlit as st

from fazhi import units
from fazhi.labels import CHILD_LEVEL, LEVELS
from fazhi.ui import feedback, resources, session, sidebar

db = resources.database()
catalog = resources.catalog()
user = session.require_user()
session.require_admin(user)
unit = sidebar.selected_unit(db, user)
year = sidebar.selected_year()

st.title("单位管理")
feedback.show_flash()
visible = units.visible_units(db, user)
by_id = {u.id: u for u in visible}
st.dataframe(
    [{"单位": sidebar.unit_label(u, visible[0]), "级别": u.level_label} for u in visible],
    hide_index=True,
    key="units_table",
)


def label(unit_id: int) -> str:
    return sidebar.unit_label(by_id[unit_id], visible[0])


add, rename, order = st.columns(3, border=True)
with add:
    st.subheader("新增下级单位")
    parents = [u.id for u in visible if u.level in CHILD_LEVEL]
    if not parents:
        st.caption("村/社区之下不能再设单位。")
    else:
        with st.form("add_unit", clear_on_submit=True, border=False):
            parent_id = st.selectbox(
                "上级单位",
                parents,
                index=parents.index(unit.id) if unit.id in parents else 0,
                format_func=label,
                key="unit_parent",
                help="区县之下设乡镇/街道，乡镇/街道之下设村/社区。",
            )
            name = st.text_input("单位名称", key="unit_new_name", placeholder="如：红旗村、城南社区")
            if st.form_submit_button("新增", type="primary"):
                with feedback.guard():
                    created = units.create_child_unit(db, user, parent_id, name)
                    feedback.flash(
                        f"已在“{by_id[parent_id].name}”下新增{LEVELS[created.level]}“{created.name}”。"
                    )
                    st.rerun()

with rename:
    st.subheader("改名")
    with st.form("rename_unit", clear_on_submit=True, border=False):
        target = st.selectbox("单位", list(by_id), format_func=label, key="rename_target")
        new_name = st.text_input("新名称", key="rename_name")
        if st.form_submit_button("改名"):
            with feedback.guard():
                old = by_id[target].name
                renamed = units.rename_unit(db, user, target, new_name)
                feedback.flash(f"已将“{old}”改名为“{renamed.name}”。")
                st.rerun()

with order:
    st.subheader("调整顺序")
    movable = [u.id for u in visible if u.parent_id in by_id]
    if not movable:
        st.caption("还没有下级单位。")
    else:
        moving = st.selectbox("单位", movable, format_func=label, key="move_target")
        up, down = st.columns(2)
        for column, offset, text, icon in (
            (up, -1, "上移", "arrow_upward"),
            (down, 1, "下移", "arrow_downward"),
        ):
            if column.button(text, key=f"move_{'up' if offset < 0 else 'down'}", icon=f":material/{icon}:"):
                with feedback.guard():
                    units.move_unit(db, user, moving, offset)
                    st.rerun()

"""用户管理: administrators list, add, reset, disable and re-assign (role, unit) the accounts of their units,
and see and end who is logged in."""

import streamlit as st

from fazhi import auth, units
from fazhi.labels import ROLES
from fazhi.text import markdown_literal
from fazhi.ui import feedback, resources, session, session_list, sidebar

db = resources.database()
catalog = resources.catalog()
user = session.require_user()
session.require_admin(user)
unit = sidebar.selected_unit(db, user)
year = sidebar.selected_year()

st.title("用户管理")
feedback.show_flash()
people = auth.list_users(db, user)
st.dataframe(
    [{k: v for k, v in p.items() if k != "unit_id"} for p in people],  # the id is for the form below
    hide_index=True,
    placeholder="",
    key="users_table",
    column_config={
        "username": "用户名",
        "display_name": "姓名",
        "role": "角色",
        "unit": "单位",
        "is_active": st.column_config.CheckboxColumn("启用"),
        "locked_until": st.column_config.DatetimeColumn("暂停登录至", format="YYYY-MM-DD HH:mm"),
        "last_login_at": st.column_config.DatetimeColumn("最近登录", format="YYYY-MM-DD HH:mm"),
    },
)

visible = units.visible_units(db, user)
by_id = {u.id: u for u in visible}
if st.session_state.pop("new_user_saved", False):  # before the widgets exist: an empty form for the next one
    for key in ("new_username", "new_display_name", "new_password", "new_confirm"):
        st.session_state[key] = ""
left, right = st.columns(2, border=True)
with left, st.form("add_user", clear_on_submit=False, border=False):
    st.subheader("添加用户")
    username = st.text_input(
        "用户名",
        key="new_username",
        help="登录时使用，2到32个字符：英文字母、数字、汉字和 . _ - @，不区分大小写。",
    )
    display_name = st.text_input("姓名", key="new_display_name")
    unit_id = st.selectbox(
        "所属单位",
        list(by_id),
        index=list(by_id).index(unit.id) if unit.id in by_id else 0,
        format_func=lambda i: sidebar.unit_label(by_id[i], visible[0]),
        key="new_unit",
        help="用户只能看到所属单位及其下级单位的数据。",
    )
    role = st.radio(
        "角色",
        list(ROLES),
        index=1,
        format_func=ROLES.get,
        key="new_role",
        horizontal=True,
        help="管理员：全部功能；录入员：录入和修改记录；查看者：只能查看和下载。",
    )
    password = st.text_input(
        "初始密码",
        type="password",
        key="new_password",
        help=f"至少{auth.MIN_PASSWORD}个字符，不能是常见或容易猜到的密码。",
    )
    confirm = st.text_input("再次输入初始密码", type="password", key="new_confirm")
    if st.form_submit_button("添加用户", type="primary"):
        if password != confirm:
            st.error("两次输入的密码不一致。")
        else:
            with feedback.guard():
                created = auth.create_user(db, user, username, password, role, unit_id, display_name)
                feedback.flash(
                    markdown_literal(
                        f"已添加用户 {created.username}（{created.role_label}，{created.unit_name}）。"
                    )
                )
                st.session_state["new_user_saved"] = True
                st.rerun()

with right:
    st.subheader("修改账号")
    names = {p["username"]: f"{p['display_name']}（{p['username']}）" for p in people}
    chosen = st.selectbox(
        "用户", list(names), format_func=names.get, key="manage_user", index=None, placeholder="选择用户"
    )
    if chosen:
        person = next(p for p in people if p["username"] == chosen)
        with st.form("change_role", border=False):
            codes = {label: code for code, label in ROLES.items()}
            new_role = st.radio(
                "角色", list(ROLES), index=list(ROLES).index(codes[person["role"]]), format_func=ROLES.get,
                key="change_role_role", horizontal=True,
            )  # fmt: skip
            new_unit = st.selectbox(
                "所属单位", list(by_id), index=list(by_id).index(person["unit_id"]),
                format_func=lambda i: sidebar.unit_label(by_id[i], visible[0]), key="change_role_unit",
            )  # fmt: skip
            if st.form_submit_button("保存角色和单位"):
                with feedback.guard():
                    changed = auth.change_role(db, user, chosen, new_role, new_unit)
                    feedback.flash(
                        markdown_literal(f"{names[chosen]} 现在是{changed.unit_name}的{changed.role_label}。")
                    )
                    st.rerun()
        with st.form("reset_password", clear_on_submit=True, border=False):
            new = st.text_input("新密码", type="password", key="reset_password_1")
            again = st.text_input("再次输入新密码", type="password", key="reset_password_2")
            if st.form_submit_button("重设密码"):
                if new != again:
                    st.error("两次输入的密码不一致。")
                else:
                    with feedback.guard():
                        auth.set_password(db, user, chosen, new)
                        feedback.flash(
                            markdown_literal(
                                f"已重设 {chosen} 的密码，并解除了登录暂停；他在各电脑上的登录已结束。请把新密码当面告诉本人。"
                            )
                        )
                        st.rerun()
        label = "停用账号" if person["is_active"] else "启用账号"
        if st.button(label, key="toggle_active", icon=":material/person_off:"):
            with feedback.guard():
                auth.set_active(db, user, chosen, not person["is_active"])
                ended = "；他在各电脑上的登录已结束" if person["is_active"] else ""
                feedback.flash(markdown_literal(f"已{label[:2]}用户 {chosen}{ended}。"))
                st.rerun()
        if person["locked_until"] is not None and st.button(
            "解除登录暂停",
            key="unlock_user",
            icon=":material/lock_open:",
            help="连续输错密码被暂停登录时使用，密码不变。",
        ):
            with feedback.guard():
                auth.unlock(db, user, chosen)
                feedback.flash(markdown_literal(f"已解除 {chosen} 的登录暂停。"))
                st.rerun()

session_list.active_sessions_panel(db, user, st.session_state.get(session.SESSION_KEY))

"""初始化: on a new installation, create the top unit and the first administrator."""

import streamlit as st

from fazhi import auth
from fazhi.text import markdown_literal
from fazhi.ui import feedback, resources, session

db = resources.database()
if auth.user_count(db) > 0:
    st.info("系统已初始化，请登录。")
    st.stop()

st.title("初始化法治政府建设工作台")
st.write("这是第一次使用。请先建立本单位和第一个管理员账号，之后可加载示例数据或直接开始录入。")

with st.form("setup"):
    st.subheader("本单位")
    unit_name = st.text_input("单位名称", key="setup_unit", placeholder="如：燕山乡、万州区")
    level = st.radio(
        "单位级别",
        ["township", "county"],
        format_func={"township": "乡镇/街道（其下可设村/社区）", "county": "区县（其下可设乡镇/街道）"}.get,
        key="setup_level",
        horizontal=True,
    )
    st.subheader("管理员账号")
    username = st.text_input("用户名", key="setup_username", help="登录时使用，2到32个字符，不含空格。")
    display_name = st.text_input("姓名", key="setup_display_name")
    password = st.text_input(
        "密码", type="password", key="setup_password", help=f"至少{auth.MIN_PASSWORD}个字符。"
    )
    confirm = st.text_input("再次输入密码", type="password", key="setup_confirm")
    submitted = st.form_submit_button("建立单位和管理员", type="primary", key="setup_submit")

if submitted:
    if not unit_name.strip():
        st.error("请填写单位名称。")
    elif password != confirm:
        st.error("两次输入的密码不一致。")
    else:
        with feedback.guard():
            user = auth.create_first_admin(db, username, password, display_name, unit_name, level)
            session.log_in(user)
            feedback.flash(markdown_literal(f"初始化完成，欢迎您，{user.display_name}。"))
            st.rerun()

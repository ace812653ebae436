"""登录."""

import streamlit as st

from fazhi import auth
from fazhi.ui import feedback, resources, session

db = resources.database()
st.title("法治政府建设工作台")
st.subheader("登录")

with st.form("login"):
    username = st.text_input("用户名", key="login_username")
    password = st.text_input("密码", type="password", key="login_password")
    submitted = st.form_submit_button("登录", type="primary", key="login_submit")

if submitted:
    with feedback.guard():
        user = auth.authenticate(db, username, password, address=session.client_address())
        session.log_in(user)
        st.rerun()

st.caption(
    "忘记密码请联系本单位管理员重设；管理员本人可在服务器上运行 `python -m fazhi user passwd 用户名`。"
)

"""接收报送包: a county takes in the 报送包 of a township that runs its own copy of the program; the
submission then appears in 报送进度 as if it had been made online."""

import streamlit as st

from fazhi import submission_package
from fazhi.errors import UnitsToCreate
from fazhi.text import markdown_literal
from fazhi.ui import feedback, resources, session
from fazhi.year_content import sha256

db = resources.database()
catalog = resources.catalog()
user = session.require_user()
session.require_admin(user)

st.title("接收报送包")
feedback.show_flash()
st.write(
    "乡镇（街道）在自己电脑上的程序中报送后，在“年度报告”页下载“报送包”（一个 zip 文件），用U盘或邮件交给区县。"
    "在这里上传它：程序先核对每个文件的校验值、单位和年度，再在一个事务中用报送包替换该乡镇该年度的记录、"
    "报告文字和目标值，报送进度中显示为“已报送”。同一个报送包接收两次不会有任何改动。"
)
round_ = st.session_state.setdefault("receive_round", 0)  # a new key after each receive forgets the file
upload = st.file_uploader("报送包（.zip）", type=["zip"], key=f"receive_file_{round_}")
data = upload.getvalue() if upload is not None else b""
# the units listed belong to the file they were found in: another file must be checked again
pending, checked = st.session_state.get("receive_units", ([], ""))
create = False
if pending and checked == sha256(data):
    st.warning("报送包中的以下单位在本机还没有，接收时将新建：", icon=":material/account_tree:")
    feedback.plain_list(pending)
    create = st.checkbox("新建这些单位", key="receive_create")
if st.button(
    "接收", key="receive_run", type="primary", disabled=upload is None, icon=":material/move_to_inbox:"
):
    with feedback.guard():
        try:
            received = submission_package.receive(db, user, catalog, data, create_units=create)
        except UnitsToCreate as missing:
            st.session_state["receive_units"] = (missing.names, sha256(data))
            st.rerun()
        st.session_state.pop("receive_units", None)
        st.session_state["receive_round"] = round_ + 1
        feedback.flash(markdown_literal(received.message))
        st.rerun()

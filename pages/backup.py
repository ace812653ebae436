"""备份与恢复: download a backup zip, restore one from the backups folder (an upload of any size lands there
first); daily backups listed."""

import streamlit as st

from fazhi import backup, web
from fazhi.settings import backup_keep_days, backups_dir
from fazhi.text import markdown_literal
from fazhi.ui import backup_upload, feedback, resources, session, sidebar

db = resources.database()
catalog = resources.catalog()
user = session.require_user()
session.require_admin(user)
unit = sidebar.selected_unit(db, user)
year = sidebar.selected_year()

st.title("备份与恢复")
feedback.show_flash()
if not backup.may_back_up(user):
    st.info("备份和恢复包含全部单位的数据，只有最上级单位的管理员可以进行。", icon=":material/lock:")
    st.stop()

folder = backups_dir(db.path)
st.write(
    f"每天第一次有人打开程序时自动备份一次，存放在 `{folder}`，保留 {backup_keep_days()} 天。"
    "备份文件包含全部记录、账号、审计日志和佐证材料。请定期把备份复制到另一台电脑或U盘上。"
)

st.subheader("立即备份")
if st.button("生成备份", key="make_backup", type="primary", icon=":material/backup:"):
    with feedback.guard(), st.spinner("正在备份……"):
        target = backup.new_backup_path(db.path)
        made = backup.create_backup(db, user, target)
        feedback.flash(
            f"已备份：{made.records} 条记录，{made.attachments} 个佐证材料文件。下方已选好这份备份，点“下载”即可。"
        )
        st.session_state["backup_choice"] = target.name  # the list offers the new file, not an older one
        st.rerun()

saved = backup.list_backups(db.path)
by_name = {b.path.name: b for b in saved}
if saved:
    st.dataframe(
        [
            {"时间": b.created_at, "类型": backup.KINDS[b.kind], "大小": b.size_text, "文件": b.path.name}
            for b in saved
        ],
        hide_index=True,
        key="backups_table",
        column_config={"时间": st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm")},
    )
    chosen = st.selectbox(
        "下载备份", list(by_name), format_func=lambda n: by_name[n].label, key="backup_choice"
    )
    st.link_button("下载", web.backup_url(chosen), key="download_backup", icon=":material/download:")
else:
    st.caption("还没有备份文件。")

st.subheader("从备份恢复")
st.warning(
    "恢复会用备份中的数据替换现在的全部数据（记录、账号、佐证材料）。恢复前，程序会先把现在的数据另存为一个备份。"
    "恢复后所有人需要重新登录。",
    icon=":material/warning:",
)
sources = {"folder": "备份文件夹中的文件", "upload": "从这台电脑上传备份文件"}
way = st.radio("备份来源", list(sources), format_func=sources.get, key="restore_source", horizontal=True)
source, name = None, ""
if way == "upload":
    st.caption(
        "文件大小不限（不受上传大小上限限制）。上传完成后页面会自动刷新，"
        "再在“备份文件夹中的文件”中选择它、勾选确认后点“恢复”。"
    )
    backup_upload.backup_upload()
elif by_name:
    name = st.selectbox(
        "备份文件", list(by_name), format_func=lambda n: by_name[n].label, key="restore_choice"
    )
    source = by_name[name].path
else:
    st.caption(
        "备份文件夹中还没有文件：可以选“从这台电脑上传备份文件”，或把 zip 复制到上面的文件夹后在这里选择。"
    )
if source is not None:
    sure = st.checkbox(markdown_literal(f"我确认要用“{name}”替换现在的全部数据"), key="restore_confirm")
    if st.button("恢复", key="restore", icon=":material/settings_backup_restore:", disabled=not sure):
        with feedback.guard(), st.spinner("正在校验并恢复……"):
            done = backup.restore(db, user, source, name=name)
            feedback.flash(markdown_literal(f"已从“{name}”恢复：{done.manifest.records} 条记录。"))
            st.rerun()

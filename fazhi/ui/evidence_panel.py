"""A record's evidence files on 记录详情: thumbnails of photos and a download link for each file (both
served by fazhi/web.py to a logged-in user who may see the record) and, for editors, upload and remove."""

from __future__ import annotations

import html

import streamlit as st

from fazhi import attachments, auth, file_checks, records, web
from fazhi.catalog import Catalog
from fazhi.db import Database
from fazhi.settings import max_upload_mb
from fazhi.text import markdown_literal
from fazhi.ui.feedback import flash, guard


def evidence_panel(
    db: Database, user: auth.User, catalog: Catalog, record: records.Record, editable: bool
) -> None:
    """The record's files (photos as thumbnails, each downloadable) and, for editors, upload and remove."""
    files = attachments.list_files(db, user, catalog, record.id)
    if not files:
        st.caption("还没有佐证材料。")
    columns = st.columns(4)
    names = auth.display_names(db) if files else {}  # who uploaded, by name where the account has one
    for number, item in enumerate(files):
        with columns[number % 4].container(border=True):
            if item.is_image:  # from fazhi/web.py after the login and permission check, like the file
                st.html(
                    f'<img src="{web.thumbnail_url(item.id)}" alt="{html.escape(item.filename)}" '
                    'style="width:100%;max-height:240px;object-fit:contain">'
                )
            else:
                st.markdown(":material/description:")
            st.text(item.filename)
            st.caption(
                markdown_literal(
                    f"{item.size_text} · {names.get(item.uploaded_by, item.uploaded_by)} · {item.uploaded_at:%Y-%m-%d}"
                )
            )
            st.link_button(
                "下载",
                web.attachment_url(item.id),
                key=f"evidence_download_{item.id}",
                icon=":material/download:",
                help="需要已登录；文件由程序按权限检查后直接下载。",
            )
            if editable:
                if st.button("移除", key=f"evidence_remove_{item.id}", icon=":material/delete:"):
                    st.session_state["evidence_confirm"] = item.id
                if st.session_state.get("evidence_confirm") == item.id and st.button(
                    "确认移除", key=f"evidence_remove_yes_{item.id}", type="primary"
                ):
                    with guard():
                        attachments.remove_file(db, user, catalog, item.id)
                        st.session_state.pop("evidence_confirm", None)
                        flash(markdown_literal(f"已移除佐证材料“{item.filename}”。"))
                        st.rerun()
    if not editable:
        return
    limit = max_upload_mb()
    # a fresh key after each upload: the browser only forgets chosen files when the widget is new
    round_ = st.session_state.setdefault("evidence_round", 0)
    uploaded = st.file_uploader(
        f"添加佐证材料（可一次选多个；每个不超过 {limit} MB）",
        accept_multiple_files=True,
        key=f"evidence_files_{round_}",
        help=f"可上传{file_checks.ACCEPTED}。程序按文件内容检查类型；同一文件只保存一份。",
    )
    if uploaded and st.button(
        "上传所选文件", key="evidence_upload", type="primary", icon=":material/upload:"
    ):
        with guard():
            result = attachments.add_files(
                db, user, catalog, record.id, [(f.name, f.getvalue()) for f in uploaded]
            )
            message = f"已添加{len(result.added)}个文件。"
            if result.already:
                message += "以下文件这条记录已经有了，未重复添加：" + "、".join(result.already) + "。"
            st.session_state["evidence_round"] = round_ + 1
            flash(markdown_literal(message))
            st.rerun()

"""The 用户管理 page's list of who is logged in now (the accounts of the administrator's units), and 结束登录."""

from __future__ import annotations

import streamlit as st

from fazhi import auth, sessions
from fazhi.db import Database
from fazhi.text import markdown_literal
from fazhi.ui.feedback import flash, guard


def active_sessions_panel(db: Database, user: auth.User, own_session: int | None) -> None:
    """Live logins with their computer and browser; an administrator may end any one of them."""
    st.subheader("当前登录")
    live = sessions.active_sessions(db, user)
    if not live:
        st.caption("现在没有人登录。")
        return
    st.caption(
        "8小时无操作的登录已自动结束，不在此列。结束某次登录后，那台电脑上的所有窗口在下一次操作时回到登录页面。"
    )
    st.dataframe(
        [
            {
                "用户名": s.username,
                "姓名": s.display_name,
                "单位": s.unit_name,
                "登录时间": s.created_at,
                "最近操作": s.last_seen_at,
                "地址": s.address or "未知",
                "浏览器": sessions.describe_browser(s.user_agent),
                "本窗口": "是" if s.id == own_session else "",
            }
            for s in live
        ],
        hide_index=True,
        key="sessions_table",
        column_config={
            "登录时间": st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm"),
            "最近操作": st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm"),
        },
    )
    by_id = {s.id: s for s in live}
    chosen = st.selectbox(
        "要结束的登录",
        list(by_id),
        index=None,
        placeholder="选择一次登录",
        format_func=lambda i: (
            f"{by_id[i].username}（{by_id[i].unit_name}） · {by_id[i].address or '未知地址'} · "
            f"{sessions.describe_browser(by_id[i].user_agent)} · 最近操作 {by_id[i].last_seen_at:%m-%d %H:%M}"
        ),
        key="end_session_choice",
    )
    if chosen is not None and st.button("结束这次登录", key="end_session", icon=":material/logout:"):
        with guard():
            sessions.end_by_admin(db, user, chosen)
            flash(
                markdown_literal(
                    f"已结束 {by_id[chosen].username} 在 {by_id[chosen].address or '未知地址'} 的登录。"
                )
            )
            st.rerun()

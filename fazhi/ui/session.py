"""Who is logged in, in this browser session: log in and out, the idle timeout, a restore's forced logout,
and the page guards `require_user` and `require_admin`.

The session keys live here, with the sidebar's chosen unit and year, which a logout forgets too.
"""

from __future__ import annotations

import time

import streamlit as st

from fazhi import auth
from fazhi.db import Database
from fazhi.settings import idle_timeout_minutes
from fazhi.ui.resources import database

USER_KEY = "fazhi_user_id"
SEEN_KEY = "fazhi_last_seen"
GENERATION_KEY = "fazhi_generation"
YEAR_KEY = "fazhi_year"
UNIT_KEY = "fazhi_unit_id"


def client_address() -> str:
    """The browser's address as the server sees it ('' when unknown, as in AppTest)."""
    try:
        return str(st.context.ip_address or "")
    except Exception:  # no request behind this script run
        return ""


def log_in(user: auth.User) -> None:
    """Start a browser session for this user (valid until the database file is replaced by a restore)."""
    st.session_state[USER_KEY] = user.id
    st.session_state[SEEN_KEY] = time.time()
    st.session_state[GENERATION_KEY] = database().generation


def log_out() -> None:
    """End the browser session (the data stays; only this browser forgets the login)."""
    for key in (USER_KEY, SEEN_KEY, YEAR_KEY, UNIT_KEY, GENERATION_KEY):
        st.session_state.pop(key, None)


def current_user(db: Database) -> auth.User | None:
    """The logged-in user, or None; logs out after the idle timeout or when the account was disabled."""
    user_id = st.session_state.get(USER_KEY)
    if user_id is None:
        return None
    if st.session_state.get(GENERATION_KEY, db.generation) != db.generation:
        # A restore replaced the data: the account behind this id may now be someone else's.
        log_out()
        st.info("数据已从备份恢复，请重新登录。", icon=":material/settings_backup_restore:")
        return None
    last_seen = st.session_state.get(SEEN_KEY, 0.0)
    if time.time() - last_seen > idle_timeout_minutes() * 60:
        log_out()
        st.info("长时间未操作，已自动退出，请重新登录。", icon=":material/schedule:")
        return None
    user = auth.load_user(db, user_id)
    if user is None:
        log_out()
        return None
    st.session_state[SEEN_KEY] = time.time()
    return user


def require_user() -> auth.User:
    """The logged-in user for a page; an anonymous visitor sees only a prompt to log in."""
    user = current_user(database())
    if user is None:
        st.warning("请先登录。", icon=":material/lock:")
        st.stop()
        raise AssertionError("unreachable: st.stop() raises")
    return user


def require_admin(user: auth.User) -> None:
    """Stop the page for anyone but an administrator (navigation hides such pages; this covers a direct run)."""
    if not user.is_admin:
        st.error("此页面只有管理员可以使用。", icon=":material/lock:")
        st.stop()

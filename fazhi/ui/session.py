"""Who is logged in, in this browser tab: the server-side session (fazhi/sessions.py) named by the login
cookie or remembered by the tab, log in and out, a restore's forced logout, and the page guards
`require_user` and `require_admin`.

A tab that logged in remembers its session id (it has no cookie yet: the browser takes the cookie from
POST /auth/session with the one-time ticket this module hands it). A new tab, F5 or a bookmark finds the
session by the cookie, which Streamlit passes on from the page's websocket request (st.context.cookies).
Each run checks the session again, so a logout in another tab, a password reset, disabling the account, an
administrator's 结束 or the idle timeout is seen at the next click.

The session keys live here, with the sidebar's chosen unit and year, which a logout forgets too.
"""

from __future__ import annotations

import json

import streamlit as st

from fazhi import auth, sessions
from fazhi.db import Database
from fazhi.ui.resources import database

USER_KEY = "fazhi_user_id"
SESSION_KEY = "fazhi_session_id"
GENERATION_KEY = "fazhi_generation"
YEAR_KEY = "fazhi_year"
UNIT_KEY = "fazhi_unit_id"
TICKET_KEY = "fazhi_cookie_ticket"  # a login's ticket, handed to the browser at the next run
DROP_COOKIE_KEY = "fazhi_drop_cookie"  # the browser should delete its (ended) cookie
CHECKED_KEY = "fazhi_checked_user"  # the user app.py checked at the start of this run, for the page's guard


def client_address() -> str:
    """The browser's address as the server sees it ('' when unknown, as in AppTest)."""
    try:
        return str(st.context.ip_address or "")
    except Exception:  # no request behind this script run
        return ""


def client_browser() -> str:
    """The browser's User-Agent ('' when unknown)."""
    try:
        return str(st.context.headers.get("User-Agent") or "")
    except Exception:  # no request behind this script run
        return ""


def _cookie() -> str:
    try:
        return str(st.context.cookies.get(sessions.COOKIE) or "")
    except Exception:  # no request behind this script run
        return ""


def log_in(user: auth.User) -> None:
    """Start a session for this user: this tab knows it at once, the browser gets its cookie next run."""
    db = database()
    session_id, ticket = sessions.start(db, user, address=client_address(), user_agent=client_browser())
    st.session_state[USER_KEY] = user.id
    st.session_state[SESSION_KEY] = session_id
    st.session_state[GENERATION_KEY] = db.generation
    st.session_state[TICKET_KEY] = ticket
    st.session_state.pop(DROP_COOKIE_KEY, None)
    st.session_state.pop(CHECKED_KEY, None)


def _forget() -> None:
    for key in (USER_KEY, SESSION_KEY, YEAR_KEY, UNIT_KEY, GENERATION_KEY, TICKET_KEY, CHECKED_KEY):
        st.session_state.pop(key, None)


def log_out() -> None:
    """End the session (every tab of this browser) and forget it here; the data stays."""
    session_id = st.session_state.get(SESSION_KEY)
    if session_id is not None:
        sessions.end(database(), session_id, "logout")
    _forget()
    st.session_state[DROP_COOKIE_KEY] = True


def current_user(db: Database) -> auth.User | None:
    """The logged-in user, or None (with the reason shown once when a session of this tab just ended)."""
    if st.session_state.get(GENERATION_KEY, db.generation) != db.generation:
        # A restore replaced the data: the session behind this id may now be someone else's.
        _forget()
        st.info(sessions.ENDED["restore"], icon=":material/settings_backup_restore:")
        return None
    session_id = st.session_state.get(SESSION_KEY)
    if session_id is not None:
        verdict = sessions.check_id(db, session_id)
    else:
        token = _cookie()
        if not token:
            return None
        verdict = sessions.check_token(db, token)
    user = auth.load_user(db, verdict.user_id) if verdict.valid and verdict.user_id is not None else None
    if user is None:
        if session_id is not None or verdict.reason in ("idle", "expired", "admin", "password", "restore"):
            st.info(sessions.ENDED[verdict.reason or "unknown"], icon=":material/schedule:")
        _forget()
        if _cookie():
            st.session_state[DROP_COOKIE_KEY] = True
        return None
    st.session_state[USER_KEY] = user.id
    st.session_state[SESSION_KEY] = verdict.session_id
    st.session_state.setdefault(GENERATION_KEY, db.generation)
    return user


def checked_user(db: Database) -> auth.User | None:
    """`current_user`, which the router calls first in every run; the page's `require_user` in the same run
    then takes this answer instead of asking the database again (two queries per click, for 40 users)."""
    user = current_user(db)
    st.session_state[CHECKED_KEY] = user
    return user


def _script(code: str) -> None:
    """Run a few lines of this app's own JavaScript in the page (fetch calls to fazhi/web.py, same origin)."""
    st.html(f"<script>{code}</script>", unsafe_allow_javascript=True, width="content")


def sync_cookie() -> None:
    """Hand the browser a new login's ticket for its cookie, or have it delete an ended one.

    The ticket is handed over at every run until the browser has traded it (or it expired): the run right
    after a login may be cut short by a page switch before its elements reach the browser."""
    ticket = st.session_state.get(TICKET_KEY)
    session_id = st.session_state.get(SESSION_KEY)
    if ticket and session_id is not None and sessions.ticket_pending(database(), session_id):
        _script(
            'fetch("/auth/session", {method: "POST", credentials: "same-origin", cache: "no-store",'
            f" headers: {{{json.dumps('X-Fazhi-Ticket')}: {json.dumps(ticket)}}}}});"
        )
    elif ticket:
        st.session_state.pop(TICKET_KEY, None)
    elif st.session_state.pop(DROP_COOKIE_KEY, None):
        _script(
            'fetch("/auth/logout", {method: "POST", credentials: "same-origin", cache: "no-store",'
            ' headers: {"X-Fazhi-Request": "1"}});'
        )


def require_user() -> auth.User:
    """The logged-in user for a page; an anonymous visitor sees only a prompt to log in.

    Under the router the session was checked at the start of this very run (`checked_user`, taken once:
    the next run checks again); a page run on its own (AppTest) checks here."""
    user = st.session_state.pop(CHECKED_KEY, None) or current_user(database())
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

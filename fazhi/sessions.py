"""Logins kept on the server (table `sessions`), named by a browser cookie: start, check, end, list.

A login makes a row and a one-time ticket; the browser trades the ticket for an HttpOnly cookie holding a
random token (fazhi/web.py), so F5, bookmarks and new tabs stay logged in. Only SHA-256 digests of the ticket
and the token are stored. A session is alive until logout, a password reset, disabling the account, an
administrator's 结束 or a restore ends it, until `idle_minutes` pass without activity, or until its absolute
lifetime (`session_days`) is over. Times are naive local datetimes, like the rest of the database.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from fazhi import audit
from fazhi.db import Cursor, Database, single
from fazhi.errors import NotFound
from fazhi.permissions import Scope, User, require_admin
from fazhi.settings import idle_timeout_minutes, session_days

COOKIE = "fazhi_session"
TICKET_LIFETIME = timedelta(minutes=2)  # from the login to the browser taking its cookie
TOUCH_EVERY = timedelta(minutes=1)  # last_seen_at is written at most this often (a write per click is waste)
MAX_ADDRESS = 64
MAX_USER_AGENT = 300

# Why a session is not (or no longer) valid, as the login page says it.
ENDED = {
    "logout": "您已退出登录（可能是在本浏览器的另一个窗口中），请重新登录。",
    "password": "密码已重设，请用新密码重新登录。",
    "disabled": "账号已停用，请联系本单位管理员。",
    "admin": "管理员结束了这次登录，请重新登录。",
    "restore": "数据已从备份恢复，请重新登录。",
    "idle": "长时间未操作，已自动退出，请重新登录。",
    "expired": "登录已超过有效期，请重新登录。",
    "unknown": "登录已失效，请重新登录。",
}


@dataclass(frozen=True)
class Verdict:
    """What a cookie or a tab's session id is worth now: the session and its user, or why not."""

    session_id: int | None
    user_id: int | None
    reason: str | None = None  # a key of ENDED when the session is not valid

    @property
    def valid(self) -> bool:
        """True when the session may act for its user."""
        return self.reason is None and self.user_id is not None


INVALID = Verdict(None, None, "unknown")


def new_secret() -> str:
    """A fresh random token or ticket: 32 random bytes, URL-safe base64 (43 characters)."""
    return secrets.token_urlsafe(32)


def digest(secret: str) -> str:
    """The SHA-256 of a token or ticket as 64 hex digits: what the table stores instead of the secret."""
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


def _looks_like_secret(text: str) -> bool:
    """True for what new_secret makes (a garbage or oversized cookie is not even hashed)."""
    return 20 <= len(text) <= 100 and all(c.isascii() and (c.isalnum() or c in "-_") for c in text)


def start(
    db: Database, user: User, *, address: str = "", user_agent: str = "", now: datetime | None = None
) -> tuple[int, str]:
    """Start a session for a user who has just logged in: (session id, one-time ticket for the cookie)."""
    now = now or datetime.now()
    ticket = new_secret()
    with db.transaction(data=False) as cur:
        session_id = single(
            cur,
            "INSERT INTO sessions (user_id, ticket_hash, created_at, last_seen_at, expires_at, address, user_agent)"
            " VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
            [
                user.id,
                digest(ticket),
                now,
                now,
                now + timedelta(days=session_days()),
                (address or "")[:MAX_ADDRESS],
                (user_agent or "")[:MAX_USER_AGENT],
            ],
        )[0]
    return int(session_id), ticket


def redeem(db: Database, ticket: str, now: datetime | None = None) -> tuple[str, datetime] | None:
    """Trade a login's one-time ticket for the cookie's token: (token, the session's expiry), or None when
    the ticket is unknown, used, older than TICKET_LIFETIME or its session has ended."""
    now = now or datetime.now()
    if not _looks_like_secret(ticket or ""):
        return None
    token = new_secret()
    with db.transaction(data=False) as cur:
        row = cur.execute(
            "SELECT id, expires_at FROM sessions WHERE ticket_hash = ? AND ended_at IS NULL"
            " AND created_at > ? AND expires_at > ?",
            [digest(ticket), now - TICKET_LIFETIME, now],
        ).fetchone()
        if row is None:
            return None
        cur.execute(
            "UPDATE sessions SET token_hash = ?, ticket_hash = NULL, last_seen_at = ? WHERE id = ?",
            [digest(token), now, row[0]],
        )
    return token, row[1]


def ticket_pending(db: Database, session_id: int, now: datetime | None = None) -> bool:
    """True while the session's ticket waits for the browser (not traded yet and not older than
    TICKET_LIFETIME): the page keeps handing it over until then."""
    row = db.one(
        "SELECT count(*) FROM sessions WHERE id = ? AND ticket_hash IS NOT NULL AND ended_at IS NULL"
        " AND created_at > ?",
        [int(session_id), (now or datetime.now()) - TICKET_LIFETIME],
    )
    return bool(row and row[0])


_ROW = "SELECT s.id, s.user_id, s.last_seen_at, s.expires_at, s.ended_at, s.end_reason, u.is_active FROM sessions s LEFT JOIN users u ON u.id = s.user_id"


def _judge(db: Database, row: tuple | None, now: datetime) -> Verdict:
    """The verdict on one session row; ends it when it timed out, notes the activity when it is alive."""
    if row is None:
        return INVALID
    session_id, user_id, last_seen, expires_at, ended_at, end_reason, is_active = row
    if ended_at is not None:
        return Verdict(session_id, user_id, end_reason if end_reason in ENDED else "unknown")
    reason = None
    if not is_active:
        reason = "disabled"
    elif now >= expires_at:
        reason = "expired"
    elif now - last_seen > timedelta(minutes=idle_timeout_minutes()):
        reason = "idle"
    if reason is not None:
        end(db, session_id, reason, now)
        return Verdict(session_id, user_id, reason)
    if now - last_seen >= TOUCH_EVERY:
        with db.transaction(data=False) as cur:
            cur.execute("UPDATE sessions SET last_seen_at = ? WHERE id = ?", [now, session_id])
    return Verdict(session_id, user_id)


def check_token(db: Database, token: str, now: datetime | None = None) -> Verdict:
    """The verdict on a cookie's token (INVALID for a garbage, forged or unknown one)."""
    if not _looks_like_secret(token or ""):
        return INVALID
    row = db.one(f"{_ROW} WHERE s.token_hash = ?", [digest(token)])
    return _judge(db, row, now or datetime.now())


def check_id(db: Database, session_id: int, now: datetime | None = None) -> Verdict:
    """The verdict on the session a browser tab remembers by id (the tab that logged in has no cookie yet)."""
    row = db.one(f"{_ROW} WHERE s.id = ?", [int(session_id)])
    return _judge(db, row, now or datetime.now())


def end(db: Database, session_id: int, reason: str = "logout", now: datetime | None = None) -> None:
    """End one session (every tab of that browser is logged out at its next click)."""
    with db.transaction(data=False) as cur:
        cur.execute(
            "UPDATE sessions SET ended_at = ?, end_reason = ?, ticket_hash = NULL WHERE id = ? AND ended_at IS NULL",
            [now or datetime.now(), reason, int(session_id)],
        )


def end_token(db: Database, token: str, reason: str = "logout") -> None:
    """End the session a cookie names, if any (the logout route)."""
    if _looks_like_secret(token or ""):
        with db.transaction(data=False) as cur:
            cur.execute(
                "UPDATE sessions SET ended_at = ?, end_reason = ?, ticket_hash = NULL"
                " WHERE token_hash = ? AND ended_at IS NULL",
                [datetime.now(), reason, digest(token)],
            )


def end_for_user(cur: Cursor, user_id: int, reason: str, now: datetime | None = None) -> int:
    """End every session of a user inside the caller's transaction (password reset, disabling); how many."""
    rows = cur.execute(
        "UPDATE sessions SET ended_at = ?, end_reason = ?, ticket_hash = NULL"
        " WHERE user_id = ? AND ended_at IS NULL RETURNING id",
        [now or datetime.now(), reason, user_id],
    ).fetchall()
    return len(rows)


def end_all(db: Database, reason: str = "restore") -> int:
    """End every session (after a restore, whose data came with the sessions of the day it was made)."""
    with db.transaction(data=False) as cur:
        rows = cur.execute(
            "UPDATE sessions SET ended_at = ?, end_reason = ?, ticket_hash = NULL WHERE ended_at IS NULL RETURNING id",
            [datetime.now(), reason],
        ).fetchall()
    return len(rows)


@dataclass(frozen=True)
class ActiveSession:
    """One live login, as the 用户管理 page lists it."""

    id: int
    username: str
    display_name: str
    unit_name: str
    created_at: datetime
    last_seen_at: datetime
    address: str
    user_agent: str


def active_sessions(db: Database, actor: User, now: datetime | None = None) -> list[ActiveSession]:
    """Live sessions of the accounts of the administrator's units (own unit and below), latest activity first."""
    require_admin(actor)
    now = now or datetime.now()
    idle = timedelta(minutes=idle_timeout_minutes())
    rows = db.rows(
        "SELECT s.id, u.username, u.display_name, un.name, s.created_at, s.last_seen_at, s.address, s.user_agent,"
        " un.path FROM sessions s JOIN users u ON u.id = s.user_id JOIN units un ON un.id = u.unit_id"
        " WHERE s.ended_at IS NULL AND u.is_active AND s.expires_at > ?"
        " AND s.last_seen_at > ? ORDER BY s.last_seen_at DESC, s.id DESC",
        [now, now - idle],
    )
    return [ActiveSession(*row[:8]) for row in rows if row[8].startswith(actor.unit_path)]


def end_by_admin(db: Database, actor: User, session_id: int) -> None:
    """An administrator ends one session of an account of their units (audited); NotFound when gone."""
    with db.transaction(data=False) as cur:
        row = cur.execute(
            "SELECT s.user_id, u.username, u.unit_id, un.name, un.path, s.address FROM sessions s"
            " JOIN users u ON u.id = s.user_id JOIN units un ON un.id = u.unit_id"
            " WHERE s.id = ? AND s.ended_at IS NULL",
            [int(session_id)],
        ).fetchone()
        if row is None:
            raise NotFound("这次登录已经结束了。")
        require_admin(actor, Scope(row[3], row[4]))
        cur.execute(
            "UPDATE sessions SET ended_at = ?, end_reason = 'admin', ticket_hash = NULL WHERE id = ?",
            [datetime.now(), int(session_id)],
        )
        audit.log(cur, actor, "end_session", "user", row[0], row[2], {"登录": row[5] or "未知地址"}, None)


def describe_browser(user_agent: str) -> str:
    """A browser and system people recognise from a User-Agent ('Edge · Windows'), or '未知'."""
    text = user_agent or ""
    browser = next(
        (
            name
            for key, name in (
                ("Edg/", "Edge"),
                ("OPR/", "Opera"),
                ("Firefox/", "Firefox"),
                ("360SE", "360浏览器"),
                ("QQBrowser", "QQ浏览器"),
                ("Chrome/", "Chrome"),
                ("Safari/", "Safari"),
            )
            if key in text
        ),
        "",
    )
    system = next(
        (
            name
            for key, name in (
                ("Windows", "Windows"),
                ("Android", "Android"),
                ("iPhone", "iPhone"),
                ("Mac OS", "Mac"),
                ("Linux", "Linux"),
            )
            if key in text
        ),
        "",
    )
    return " · ".join(part for part in (browser, system) if part) or "未知"

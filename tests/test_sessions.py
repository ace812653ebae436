"""fazhi/sessions.py: tokens and their digests, the ticket traded for the cookie, idle and absolute expiry,
ending sessions at logout, password reset, disabling and by an administrator, and hostile cookies."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

import pytest

from fazhi import auth, backup, db, sessions
from fazhi.errors import NotFound, PermissionDenied
from tests.conftest import PASSWORD

T0 = datetime(2026, 3, 2, 9, 0, 0)


def started(database: db.Database, user: auth.User, now: datetime = T0) -> tuple[int, str]:
    """A session whose browser has taken its cookie: (session id, cookie token)."""
    session_id, ticket = sessions.start(
        database, user, address="192.168.1.23", user_agent="Mozilla Edg/120 Windows", now=now
    )
    taken = sessions.redeem(database, ticket, now=now)
    assert taken is not None
    return session_id, taken[0]


def test_a_secret_is_43_url_safe_characters_and_only_its_sha256_is_stored(
    demo: db.Database, users: dict[str, auth.User]
) -> None:
    secret = sessions.new_secret()
    assert len(secret) == 43 and all(c.isalnum() or c in "-_" for c in secret)
    assert sessions.new_secret() != secret
    assert sessions.digest("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    assert sessions.digest(secret) == hashlib.sha256(secret.encode()).hexdigest()
    session_id, token = started(demo, users["editor"])
    row = demo.one(
        "SELECT token_hash, ticket_hash, address, user_agent, created_at, expires_at FROM sessions WHERE id = ?",
        [session_id],
    )
    assert row == (
        sessions.digest(token),
        None,
        "192.168.1.23",
        "Mozilla Edg/120 Windows",
        T0,
        T0 + timedelta(days=7),
    )
    assert token not in str(demo.rows("SELECT * FROM sessions"))


def test_a_session_write_leaves_the_data_version_alone(
    demo: db.Database, users: dict[str, auth.User]
) -> None:
    before = demo.version
    session_id, token = started(demo, users["editor"])
    sessions.check_token(demo, token, now=T0 + timedelta(minutes=5))  # touches last_seen_at
    sessions.end(demo, session_id)
    assert demo.version == before  # the dashboard cache (keyed by version) stays warm


def test_a_ticket_is_traded_once_and_only_while_fresh(demo: db.Database, users: dict[str, auth.User]) -> None:
    session_id, ticket = sessions.start(demo, users["viewer"], now=T0)
    assert sessions.ticket_pending(demo, session_id, now=T0 + timedelta(seconds=119))
    assert not sessions.ticket_pending(demo, session_id, now=T0 + timedelta(seconds=121))
    assert sessions.redeem(demo, ticket, now=T0 + timedelta(minutes=3)) is None  # older than 2 minutes
    session_id, ticket = sessions.start(demo, users["viewer"], now=T0)
    token, expires_at = sessions.redeem(demo, ticket, now=T0 + timedelta(seconds=30)) or ("", None)
    assert expires_at == T0 + timedelta(days=7)
    assert sessions.redeem(demo, ticket, now=T0 + timedelta(seconds=31)) is None  # used
    assert not sessions.ticket_pending(demo, session_id, now=T0 + timedelta(seconds=31))
    assert sessions.check_token(demo, token, now=T0 + timedelta(minutes=1)) == sessions.Verdict(
        session_id, users["viewer"].id
    )


@pytest.mark.parametrize(
    "cookie",
    [
        "",
        "x",
        "garbage cookie",
        "A" * 43,
        "' OR 1=1 --",
        "Ａ" * 43,
        "a" * 5000,
        "\x00" * 43,
        "../../etc/passwd",
    ],
)
def test_forged_or_garbage_cookies_are_nobody(
    demo: db.Database, users: dict[str, auth.User], cookie: str
) -> None:
    started(demo, users["admin"])
    assert sessions.check_token(demo, cookie, now=T0) == sessions.INVALID
    assert sessions.redeem(demo, cookie, now=T0) is None
    sessions.end_token(demo, cookie)  # no error, ends nothing
    assert demo.one("SELECT count(*) FROM sessions WHERE ended_at IS NULL") == (1,)


def test_idle_for_8_hours_ends_the_session(demo: db.Database, users: dict[str, auth.User]) -> None:
    session_id, token = started(demo, users["editor"])
    assert sessions.check_token(demo, token, now=T0 + timedelta(hours=7, minutes=59)).valid
    # that check was activity: 8 hours from it, not from the login
    assert sessions.check_token(demo, token, now=T0 + timedelta(hours=15, minutes=58)).valid
    verdict = sessions.check_token(demo, token, now=T0 + timedelta(hours=24))
    assert verdict == sessions.Verdict(session_id, users["editor"].id, "idle")
    assert demo.one("SELECT end_reason FROM sessions WHERE id = ?", [session_id]) == ("idle",)
    assert sessions.check_id(demo, session_id, now=T0 + timedelta(hours=24)).reason == "idle"


def test_activity_is_written_at_most_once_a_minute(demo: db.Database, users: dict[str, auth.User]) -> None:
    session_id, token = started(demo, users["editor"])
    sessions.check_token(demo, token, now=T0 + timedelta(seconds=59))
    assert demo.one("SELECT last_seen_at FROM sessions WHERE id = ?", [session_id]) == (T0,)
    sessions.check_token(demo, token, now=T0 + timedelta(seconds=61))
    assert demo.one("SELECT last_seen_at FROM sessions WHERE id = ?", [session_id]) == (
        T0 + timedelta(seconds=61),
    )


def test_the_idle_timeout_follows_the_setting(
    demo: db.Database, users: dict[str, auth.User], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAZHI_IDLE_MINUTES", "30")
    _, token = started(demo, users["editor"])
    assert sessions.check_token(demo, token, now=T0 + timedelta(minutes=29)).valid
    assert sessions.check_token(demo, token, now=T0 + timedelta(minutes=60)).reason == "idle"


def test_seven_days_is_the_most_however_active(demo: db.Database, users: dict[str, auth.User]) -> None:
    session_id, token = started(demo, users["editor"])
    for hours in range(0, 7 * 24, 4):
        assert sessions.check_token(demo, token, now=T0 + timedelta(hours=hours)).valid, hours
    assert sessions.check_token(demo, token, now=T0 + timedelta(days=7)).reason == "expired"


def test_the_lifetime_follows_the_setting(
    demo: db.Database, users: dict[str, auth.User], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAZHI_SESSION_DAYS", "1")
    session_id, token = started(demo, users["editor"])
    assert demo.one("SELECT expires_at FROM sessions WHERE id = ?", [session_id]) == (T0 + timedelta(days=1),)


def test_logout_ends_the_browser_session_only(demo: db.Database, users: dict[str, auth.User]) -> None:
    here, token = started(demo, users["editor"])
    elsewhere, other = started(demo, users["editor"])
    sessions.end_token(demo, token, "logout")
    assert sessions.check_token(demo, token, now=T0).reason == "logout"
    assert sessions.check_id(demo, here, now=T0).reason == "logout"  # the other tab of this browser
    assert sessions.check_token(demo, other, now=T0).valid  # another computer stays logged in


def test_a_password_reset_ends_every_session_of_that_account(
    demo: db.Database, users: dict[str, auth.User]
) -> None:
    _, first = started(demo, users["editor"])
    _, second = started(demo, users["editor"])
    _, viewer = started(demo, users["viewer"])
    auth.set_password(demo, users["admin"], users["editor"].username, "another-horse-77-battery")
    assert [sessions.check_token(demo, t, now=T0).reason for t in (first, second, viewer)] == [
        "password",
        "password",
        None,
    ]


def test_disabling_ends_every_session_of_that_account(demo: db.Database, users: dict[str, auth.User]) -> None:
    _, token = started(demo, users["viewer"])
    auth.set_active(demo, users["admin"], users["viewer"].username, False)
    assert sessions.check_token(demo, token, now=T0).reason == "disabled"
    auth.set_active(demo, users["admin"], users["viewer"].username, True)
    assert sessions.check_token(demo, token, now=T0).reason == "disabled"  # enabling again is no login


def test_a_disabled_account_is_refused_even_if_a_session_was_left(
    demo: db.Database, users: dict[str, auth.User]
) -> None:
    session_id, token = started(demo, users["viewer"])
    with demo.transaction() as cur:  # e.g. a database changed outside the app
        cur.execute("UPDATE users SET is_active = false WHERE id = ?", [users["viewer"].id])
    assert sessions.check_token(demo, token, now=T0).reason == "disabled"


def test_a_restore_ends_every_session(demo: db.Database, users: dict[str, auth.User], tmp_path) -> None:
    top = auth.create_user(demo, auth.system_user(), "top", PASSWORD, "admin", users["county_admin"].unit_id)
    _, token = started(demo, top)
    backup.create_backup(demo, top, tmp_path / "b.zip")
    _, later = started(demo, users["viewer"])
    backup.restore(demo, top, tmp_path / "b.zip")
    assert sessions.check_token(demo, token, now=T0).reason == "restore"  # the backup's own session too
    assert sessions.check_token(demo, later, now=T0).reason == "unknown"  # not in the restored data


def test_an_administrator_sees_the_sessions_of_their_units(
    demo: db.Database, users: dict[str, auth.User]
) -> None:
    now = datetime.now()
    county, _ = started(demo, users["county_admin"], now)
    township, _ = started(demo, users["editor"], now - timedelta(minutes=5))
    village, _ = started(demo, users["village_editor"], now - timedelta(minutes=10))
    ended, _ = started(demo, users["viewer"], now)
    sessions.end(demo, ended)
    stale, _ = started(demo, users["viewer"], now - timedelta(hours=9))  # idle: not listed
    listed = sessions.active_sessions(demo, users["admin"])
    assert [(s.id, s.username, s.unit_name) for s in listed] == [
        (township, users["editor"].username, "燕山乡"),
        (village, users["village_editor"].username, "示例一村"),
    ]
    assert listed[0].address == "192.168.1.23"
    assert sessions.describe_browser(listed[0].user_agent) == "Edge · Windows"
    assert [s.id for s in sessions.active_sessions(demo, users["county_admin"])] == [
        county,
        township,
        village,
    ]
    with pytest.raises(PermissionDenied):
        sessions.active_sessions(demo, users["editor"])
    assert stale not in [s.id for s in sessions.active_sessions(demo, users["county_admin"])]


def test_an_administrator_ends_a_session_of_their_units_only(
    demo: db.Database, users: dict[str, auth.User]
) -> None:
    village, token = started(demo, users["village_editor"])
    county, county_token = started(demo, users["county_admin"])
    sessions.end_by_admin(demo, users["admin"], village)
    assert sessions.check_token(demo, token, now=T0).reason == "admin"
    assert demo.one(
        "SELECT action, username, before_json->>'登录' FROM audit_log ORDER BY id DESC LIMIT 1"
    ) == (
        "end_session",
        users["admin"].username,
        "192.168.1.23",
    )
    with pytest.raises(PermissionDenied):  # a township administrator cannot end the county's
        sessions.end_by_admin(demo, users["admin"], county)
    with pytest.raises(PermissionDenied):
        sessions.end_by_admin(demo, users["editor"], county)
    assert sessions.check_token(demo, county_token, now=T0).valid
    with pytest.raises(NotFound):
        sessions.end_by_admin(demo, users["admin"], village)  # already ended


@pytest.mark.parametrize(
    ("agent", "said"),
    [
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/120.0 Safari/537.36 Edg/120.0",
            "Edge · Windows",
        ),
        (
            "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36",
            "Chrome · Linux",
        ),
        (
            "Mozilla/5.0 (Windows NT 6.1) AppleWebKit/537.36 Chrome/86.0 Safari/537.36 QIHU 360SE",
            "360浏览器 · Windows",
        ),
        ("Mozilla/5.0 (Windows NT 10.0; rv:120.0) Gecko/20100101 Firefox/120.0", "Firefox · Windows"),
        ("", "未知"),
    ],
)
def test_browsers_are_named_as_people_know_them(agent: str, said: str) -> None:
    assert sessions.describe_browser(agent) == said

"""Accounts, passwords and logins: users, roles, the login count and pauses.

Who may do what to which unit is `fazhi/permissions.py`.

Over 400 lines because an account's writes and the login's checks (pauses per name and per address, the
same-cost check for an unknown name) read and write the same rows of `users` and `login_failures`.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from fazhi import audit, sessions
from fazhi.db import Database, single
from fazhi.errors import AuthError, InvalidInput, NotFound, PermissionDenied, Problem
from fazhi.labels import ROLES
from fazhi.permissions import Scope, User, require_admin, system_user
from fazhi.units import all_units, get_unit, insert_unit

MIN_PASSWORD = 10
MAX_PASSWORD = 128
MIN_STRENGTH = 3  # zxcvbn score 0–4: 3 means about 10^8 guesses or more
MAX_FAILED_LOGINS = 5  # per typed username and source address
MAX_ADDRESS_FAILURES = (
    30  # per source address, whatever the usernames (an office behind one proxy shares one)
)
LOCKOUT = timedelta(minutes=15)
ADDRESS_ALL = "*"  # the username_key of an address's own failure count
# Letters and digits of the Latin alphabet, . _ - @, and Chinese characters: no look-alike scripts, no
# invisible characters, no spaces.
_USERNAME = re.compile(r"^[A-Za-z0-9._@\-\u3400-\u4dbf\u4e00-\u9fff]{2,32}$")
# OWASP's first argon2id setting (m = 19 MiB, t = 2, p = 1) rather than argon2-cffi's default (RFC 9106's
# low-memory one: 64 MiB, t = 3, p = 4): on a 2-core office server a check takes ~37 ms of one core instead
# of ~140 ms of both, so 40 colleagues logging in at 8:30 wait under a second, not several, and the page runs
# of those already in keep a core. A hash made with other parameters still verifies with its own and is
# rehashed with these at its next login.
_hasher = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
# Verified against when the username does not exist, so both failures take the same time.
_DUMMY_HASH = _hasher.hash("not-a-real-password")
# Each argon2 check takes its memory_cost (19 MiB; 64 MiB for an older hash): a burst of logins waits here
# instead of filling memory, two at a time (one per core).
_VERIFY_SLOTS = threading.BoundedSemaphore(2)
WRONG = "用户名或密码错误（或账号已停用）。"


def password_problems(password: str, *context: str) -> list[Problem]:
    """What is wrong with a new password, in Chinese; empty when it is acceptable. `context` holds words
    a guesser would try first (username, name, unit)."""
    if len(password) < MIN_PASSWORD:
        return [Problem("password", f"密码至少需要{MIN_PASSWORD}个字符。")]
    if len(password) > MAX_PASSWORD:
        return [Problem("password", f"密码不能超过{MAX_PASSWORD}个字符。")]
    from zxcvbn import zxcvbn  # its word lists load on first use (about 0.3 s), not at every start

    words = [word for word in context if word]
    if zxcvbn(password[:64], user_inputs=words)["score"] < MIN_STRENGTH:
        return [
            Problem(
                "password",
                "这个密码太常见或太容易被猜到（如常用密码、连续或重复的数字和字母、键盘上相邻的键、"
                "用户名、姓名或单位名加数字）。请换一个更长、更不规则的密码，例如用三四个互不相关的词"
                "加上数字和符号组成。",
            )
        ]
    return []


def normalize_username(text: str) -> str:
    """The username as stored and compared: NFKC (full-width letters become ASCII), without outer spaces."""
    return unicodedata.normalize("NFKC", str(text or "")).strip()


def username_key(text: str) -> str:
    """The username for uniqueness and login: normalized and case-folded (YS_EDITOR = ys_editor)."""
    return normalize_username(text).casefold()


def hash_password(password: str) -> str:
    """An argon2id hash of the password (never stored in plain text)."""
    return _hasher.hash(password)


_USER_COLUMNS = "u.id, u.username, u.display_name, u.role, u.unit_id, un.path, un.name"


def _user(row: tuple) -> User:
    return User(*row)


def user_count(db: Database) -> int:
    """How many accounts exist (0 means the app shows 初始化)."""
    row = db.one("SELECT count(*) FROM users")
    return int(row[0]) if row else 0


def load_user(db: Database, user_id: int) -> User | None:
    """The current state of an active account, or None when it was disabled or removed."""
    row = db.one(
        f"SELECT {_USER_COLUMNS} FROM users u JOIN units un ON un.id = u.unit_id WHERE u.id = ? AND u.is_active",
        [user_id],
    )
    return _user(row) if row else None


def username_problems(username: str) -> list[Problem]:
    """What is wrong with a new (normalized) username, in Chinese; empty when acceptable."""
    if not 2 <= len(username) <= 32:
        return [Problem("username", "用户名应为2到32个字符。")]
    if not _USERNAME.match(username):
        return [
            Problem(
                "username",
                "用户名只能由英文字母、数字、汉字和 . _ - @ 组成，不能有空格、其他文字的字母"
                "（如俄文、希腊文）或看不见的字符。",
            )
        ]
    return []


def _check_new_user(username: str, password: str, role: str, *context: str) -> list[Problem]:
    problems = username_problems(username)
    if role not in ROLES:
        problems.append(Problem("role", "角色应为管理员、录入员或查看者。"))
    return problems + password_problems(password, username, *context)


def _taken(cur, username: str, except_id: int | None = None) -> str | None:
    """The existing username equal to `username` without regard to case, if any."""
    key = username_key(username)
    for user_id, name in cur.execute("SELECT id, username FROM users").fetchall():
        if user_id != except_id and username_key(name) == key:
            return name
    return None


def create_user(
    db: Database, actor: User, username: str, password: str, role: str, unit_id: int, display_name: str = ""
) -> User:
    """Create an account for a unit the administrator `actor` oversees; audited."""
    username = normalize_username(username)
    display_name = display_name.strip() or username
    problems = _check_new_user(username, password, role, display_name)
    if problems:
        raise InvalidInput(problems)
    password_hash = hash_password(password)
    with db.transaction(figures=False) as cur:
        unit = get_unit(cur, unit_id)
        require_admin(actor, unit)
        taken = _taken(cur, username)
        if taken is not None:
            same = "" if taken == username else f"（与已有的“{taken}”只差大小写）"
            raise InvalidInput([Problem("username", f"用户名“{username}”已被使用{same}。")])
        user_id = single(
            cur,
            "INSERT INTO users (username, display_name, password_hash, role, unit_id, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
            [username, display_name, password_hash, role, unit.id, datetime.now()],
        )[0]
        user = User(user_id, username, display_name, role, unit.id, unit.path, unit.name)
        audit.log(cur, actor, "create", "user", user_id, unit.id, None, _public(user))
    return user


def _public(user: User) -> dict:
    return {
        "username": user.username,
        "display_name": user.display_name,
        "role": user.role,
        "unit": user.unit_name,
    }


def create_first_admin(
    db: Database, username: str, password: str, display_name: str, unit_name: str, unit_level: str
) -> User:
    """Set up a new installation: the top unit (unless one exists) and the first administrator."""
    problems = _check_new_user(normalize_username(username), password, "admin", display_name, unit_name)
    if problems:
        raise InvalidInput(problems)
    tops = [u for u in all_units(db) if u.parent_id is None]
    setup = system_user("初始化")
    with db.transaction() as cur:
        if single(cur, "SELECT count(*) FROM users")[0]:
            raise PermissionDenied("系统已初始化，请用管理员账号登录。")
        top = tops[0] if tops else insert_unit(cur, unit_name, unit_level, None)
        if not tops:
            audit.log(cur, setup, "create", "unit", top.id, top.id, None, top.__dict__)
    return create_user(db, setup, username, password, "admin", top.id, display_name)


def _find_login(cur, username: str) -> tuple | None:
    """The account row for a typed username: the exact name, else the one name equal without regard to case
    and width (two such names, left from before usernames were case-insensitive, need the exact one)."""
    columns = f"SELECT {_USER_COLUMNS}, u.password_hash, u.is_active FROM users u JOIN units un ON un.id = u.unit_id"
    row = cur.execute(f"{columns} WHERE u.username = ?", [normalize_username(username)]).fetchone()
    if row is not None:
        return row
    key = username_key(username)
    matches = [r for r in cur.execute(columns).fetchall() if username_key(r[1]) == key]
    return matches[0] if len(matches) == 1 else None


def _count_attempt(cur, key: str, address: str, now: datetime) -> tuple[int, datetime | None]:
    """Count one attempt for (username, address) before any password is checked: (attempts in the current
    window, locked until). A finished lock or an old window starts again from zero."""
    row = cur.execute(
        "SELECT failures, first_at, locked_until FROM login_failures WHERE username_key = ? AND address = ?",
        [key, address],
    ).fetchone()
    limit = MAX_ADDRESS_FAILURES if key == ADDRESS_ALL else MAX_FAILED_LOGINS
    if row is None:
        failures, first_at, locked_until = 0, now, None
    else:
        failures, first_at, locked_until = row
        if (locked_until is not None and locked_until <= now) or (
            locked_until is None and first_at < now - LOCKOUT
        ):
            failures, first_at, locked_until = 0, now, None
    failures += 1
    if failures >= limit and locked_until is None:
        locked_until = now + LOCKOUT
    cur.execute(
        "INSERT INTO login_failures VALUES (?, ?, ?, ?, ?) ON CONFLICT (username_key, address) DO UPDATE"
        " SET failures = excluded.failures, first_at = excluded.first_at, locked_until = excluded.locked_until",
        [key, address, failures, first_at, locked_until],
    )
    return failures, locked_until


def authenticate(
    db: Database, username: str, password: str, now: datetime | None = None, address: str = ""
) -> User:
    """The user for a correct username and password; AuthError otherwise.

    Each attempt is counted, atomically under the write lock, before the password is checked, per typed
    username and source address (5 failures pause that username on that address for 15 minutes) and per
    address (30). So N parallel guesses count N, and a stranger cannot lock a colleague out of their own
    computer. Unknown user, disabled user and wrong password get one message.
    """
    now = now or datetime.now()
    key, address = username_key(username), (address or "未知").strip()[:64]
    with db.transaction(figures=False) as cur:
        attempts, locked_until = _count_attempt(cur, key, address, now)
        from_address, address_locked = _count_attempt(cur, ADDRESS_ALL, address, now)
        row = _find_login(cur, username)
    if attempts > MAX_FAILED_LOGINS:
        raise AuthError(
            f"密码连续输错{MAX_FAILED_LOGINS}次，已暂停登录，请于 {locked_until:%H:%M} 后再试，或请管理员重设密码。"
        )
    if from_address > MAX_ADDRESS_FAILURES:
        raise AuthError(f"这台电脑登录失败的次数过多，已暂停登录，请于 {address_locked:%H:%M} 后再试。")
    with _VERIFY_SLOTS:
        correct = _verify(row[7] if row is not None else _DUMMY_HASH, password)
        # a hash with older parameters is replaced now, in a slot and outside the write lock (hashing
        # inside the transaction held every save and every login of the office behind it)
        rehashed = (
            hash_password(password)
            if row is not None and correct and row[8] and _hasher.check_needs_rehash(row[7])
            else None
        )
    if row is None or not correct or not row[8]:
        if row is not None:
            with db.transaction(figures=False) as cur:
                audit.log(
                    cur, _user(row[:7]), "login_failed", "user", row[0], row[4], None, {"attempt": attempts}
                )
        if attempts >= MAX_FAILED_LOGINS:
            raise AuthError(
                f"{WRONG}已连续输错{MAX_FAILED_LOGINS}次，暂停登录{int(LOCKOUT.total_seconds() // 60)}分钟。"
            )
        raise AuthError(f"{WRONG}再错{MAX_FAILED_LOGINS - attempts}次将暂停登录。")
    user = _user(row[:7])
    with db.transaction(figures=False) as cur:
        cur.execute("DELETE FROM login_failures WHERE username_key = ? AND address = ?", [key, address])
        cur.execute(  # a success is not a failure of the address: take back its count
            "UPDATE login_failures SET failures = failures - 1,"
            " locked_until = CASE WHEN failures - 1 < ? THEN NULL ELSE locked_until END"
            " WHERE username_key = ? AND address = ? AND failures > 0",
            [MAX_ADDRESS_FAILURES, ADDRESS_ALL, address],
        )
        updates = "last_login_at = ?"
        params: list = [now]
        if rehashed is not None:
            updates += ", password_hash = ?"
            params.append(rehashed)
        cur.execute(f"UPDATE users SET {updates} WHERE id = ?", [*params, user.id])
        audit.log(cur, user, "login", "user", user.id, user.unit_id, None, None)
    return user


def paused_until(db: Database, username: str, now: datetime | None = None) -> datetime | None:
    """Until when logins of this username are paused on some address, or None."""
    row = db.one(
        "SELECT max(locked_until) FROM login_failures WHERE username_key = ? AND locked_until > ?",
        [username_key(username), now or datetime.now()],
    )
    return row[0] if row else None


def _unlock(cur, username: str) -> None:
    cur.execute("DELETE FROM login_failures WHERE username_key = ?", [username_key(username)])


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def _target(cur, username: str) -> tuple[int, int, str, str]:
    row = cur.execute(
        "SELECT u.id, u.unit_id, un.path, un.name FROM users u JOIN units un ON un.id = u.unit_id WHERE u.username = ?",
        [normalize_username(username)],
    ).fetchone()
    if row is None:
        raise NotFound(f"找不到用户“{username}”。")
    return row


def set_password(db: Database, actor: User, username: str, password: str) -> None:
    """Set a new password (an administrator for users of their units, or anyone for themselves); unlocks and
    ends every session of that account."""
    problems = password_problems(password, username)
    if problems:
        raise InvalidInput(problems)
    password_hash = hash_password(password)
    with db.transaction(figures=False) as cur:
        user_id, unit_id, path, name = _target(cur, username)
        if actor.id != user_id:
            require_admin(actor, Scope(name, path))
        cur.execute(
            "UPDATE users SET password_hash = ?, failed_attempts = 0, locked_until = NULL WHERE id = ?",
            [password_hash, user_id],
        )
        _unlock(cur, username)
        sessions.end_for_user(cur, user_id, "password")  # whoever knew the old password is logged out
        audit.log(cur, actor, "update", "user", user_id, unit_id, None, {"password": "（已重设）"})


def unlock(db: Database, actor: User, username: str) -> None:
    """Lift every pause on this username's logins (administrators of its unit, or the command line); audited."""
    with db.transaction(figures=False) as cur:
        user_id, unit_id, path, name = _target(cur, username)
        require_admin(actor, Scope(name, path))
        _unlock(cur, username)
        audit.log(cur, actor, "unlock", "user", user_id, unit_id, None, {"login": "（已解除暂停）"})


def set_active(db: Database, actor: User, username: str, active: bool) -> None:
    """Enable or disable an account (administrators only; never their own); disabling ends its sessions."""
    with db.transaction(figures=False) as cur:
        user_id, unit_id, path, name = _target(cur, username)
        require_admin(actor, Scope(name, path))
        if actor.id == user_id and not active:
            raise PermissionDenied("不能停用自己的账号。")
        cur.execute("UPDATE users SET is_active = ? WHERE id = ?", [active, user_id])
        if not active:
            sessions.end_for_user(cur, user_id, "disabled")
        audit.log(cur, actor, "update", "user", user_id, unit_id, None, {"is_active": active})


def display_names(db: Database) -> dict[str, str]:
    """People's names by login name: the name given to the account, else the login name itself."""
    return {
        username: name or username for username, name in db.rows("SELECT username, display_name FROM users")
    }


def person_name(db: Database, username: str) -> str:
    """The name of the person behind a login name (as `display_names`); other actors (命令行, 示例数据) as they are."""
    return display_names(db).get(username, username)


def change_role(db: Database, actor: User, username: str, role: str, unit_id: int) -> User:
    """Give an account another role and unit (administrators of both units; never their own account); audited."""
    if role not in ROLES:
        raise InvalidInput([Problem("role", "角色应为管理员、录入员或查看者。")])
    with db.transaction(figures=False) as cur:
        user_id, _unit_id, path, name = _target(cur, username)
        require_admin(actor, Scope(name, path))
        unit = get_unit(cur, unit_id)
        require_admin(actor, unit)
        if actor.id == user_id:
            raise PermissionDenied("不能更改自己的角色或单位，请由另一位管理员操作。")
        row = single(cur, "SELECT username, display_name, role FROM users WHERE id = ?", [user_id])
        before = {"role": row[2], "unit": name}
        cur.execute("UPDATE users SET role = ?, unit_id = ? WHERE id = ?", [role, unit.id, user_id])
        changed = User(user_id, row[0], row[1], role, unit.id, unit.path, unit.name)
        audit.log(cur, actor, "update", "user", user_id, unit.id, before, {"role": role, "unit": unit.name})
    return changed


def list_users(db: Database, actor: User) -> list[dict]:
    """Accounts of the units the administrator oversees, without password hashes."""
    require_admin(actor)
    rows = db.rows(
        "SELECT u.username, u.display_name, u.role, un.name, un.path, u.is_active, u.last_login_at, u.unit_id"
        " FROM users u JOIN units un ON un.id = u.unit_id ORDER BY un.path, u.username"
    )
    paused = dict(
        db.rows(
            "SELECT username_key, max(locked_until) FROM login_failures WHERE locked_until > ? GROUP BY 1",
            [datetime.now()],
        )
    )
    return [
        {
            "username": r[0],
            "display_name": r[1],
            "role": ROLES[r[2]],
            "unit": r[3],
            "is_active": bool(r[5]),
            "locked_until": paused.get(username_key(r[0])),
            "last_login_at": r[6],
            "unit_id": r[7],
        }
        for r in rows
        if r[4].startswith(actor.unit_path)
    ]

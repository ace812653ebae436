"""Accounts, passwords and permissions: who may see and change which unit's data.

Every function in fazhi/ that reads or writes unit data takes the acting `User` and calls one of
`require_view`, `require_edit` or `require_admin`, so a page that forgets a check still cannot
leak or change another unit's data.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Protocol

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from fazhi import audit
from fazhi.errors import AuthError, InvalidInput, NotFound, PermissionDenied, Problem
from fazhi.labels import ROLES

if TYPE_CHECKING:
    from fazhi.db import Database

MIN_PASSWORD = 8
MAX_PASSWORD = 128
MAX_FAILED_LOGINS = 5
LOCKOUT = timedelta(minutes=15)
_USERNAME = re.compile(r"^[^\s]{2,32}$")
_hasher = PasswordHasher()
# Verified against when the username does not exist, so both failures take the same time.
_DUMMY_HASH = _hasher.hash("not-a-real-password")


class HasPath(Protocol):
    name: str
    path: str


@dataclass(frozen=True)
class User:
    """The person acting; `unit_path` bounds everything they may see."""

    id: int
    username: str
    display_name: str
    role: str
    unit_id: int | None
    unit_path: str
    unit_name: str = ""

    @property
    def is_system(self) -> bool:
        """True for the command line and the demo loader, which act on every unit."""
        return self.id == 0

    @property
    def role_label(self) -> str:
        """管理员, 录入员 or 查看者."""
        return ROLES[self.role]

    @property
    def can_edit(self) -> bool:
        """True for 管理员 and 录入员."""
        return self.role in ("admin", "editor")

    @property
    def is_admin(self) -> bool:
        """True for 管理员."""
        return self.role == "admin"


def system_user(name: str = "命令行") -> User:
    """The actor for command-line and demo writes: an administrator above every unit."""
    return User(
        id=0,
        username=name,
        display_name=name,
        role="admin",
        unit_id=None,
        unit_path="/",
        unit_name="全部单位",
    )


def require_view(user: User, unit: HasPath) -> None:
    """Raise PermissionDenied unless the unit is the user's own or below it."""
    if not unit.path.startswith(user.unit_path):
        raise PermissionDenied(f"您没有查看“{unit.name}”数据的权限（您的账号属于“{user.unit_name}”）。")


def require_edit(user: User, unit: HasPath) -> None:
    """Raise PermissionDenied unless the user may change the unit's records, text and files."""
    require_view(user, unit)
    if not user.can_edit:
        raise PermissionDenied("您的账号是查看者，只能查看和下载，不能修改数据。")


def require_admin(user: User, unit: HasPath | None = None) -> None:
    """Raise PermissionDenied unless the user is an administrator (of an enclosing unit, when given)."""
    if not user.is_admin:
        raise PermissionDenied("此操作只有管理员可以进行。")
    if unit is not None:
        require_view(user, unit)


def password_problems(password: str) -> list[Problem]:
    """What is wrong with a new password, in Chinese; empty when it is acceptable."""
    problems = []
    if len(password) < MIN_PASSWORD:
        problems.append(Problem("password", f"密码至少需要{MIN_PASSWORD}个字符。"))
    elif len(password) > MAX_PASSWORD:
        problems.append(Problem("password", f"密码不能超过{MAX_PASSWORD}个字符。"))
    elif len(set(password)) < 3:
        problems.append(Problem("password", "密码过于简单，请混合使用不同的字母、数字或符号。"))
    return problems


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
    """What is wrong with a new (stripped) username, in Chinese; empty when it is acceptable."""
    if not _USERNAME.match(username):
        return [Problem("username", "用户名应为2到32个字符，不能含空格。")]
    return []


def _check_new_user(username: str, password: str, role: str) -> list[Problem]:
    problems = username_problems(username)
    if role not in ROLES:
        problems.append(Problem("role", "角色应为管理员、录入员或查看者。"))
    return problems + password_problems(password)


def create_user(
    db: Database, actor: User, username: str, password: str, role: str, unit_id: int, display_name: str = ""
) -> User:
    """Create an account for a unit the administrator `actor` oversees; audited."""
    from fazhi.units import get_unit

    username = username.strip()
    display_name = display_name.strip() or username
    problems = _check_new_user(username, password, role)
    if problems:
        raise InvalidInput(problems)
    password_hash = hash_password(password)
    with db.transaction() as cur:
        unit = get_unit(cur, unit_id)
        require_admin(actor, unit)
        if cur.execute("SELECT count(*) FROM users WHERE username = ?", [username]).fetchone()[0]:
            raise InvalidInput([Problem("username", f"用户名“{username}”已被使用。")])
        user_id = cur.execute(
            "INSERT INTO users (username, display_name, password_hash, role, unit_id, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
            [username, display_name, password_hash, role, unit.id, datetime.now()],
        ).fetchone()[0]
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
    from fazhi.units import all_units, insert_unit

    problems = _check_new_user(username.strip(), password, "admin")
    if problems:
        raise InvalidInput(problems)
    tops = [u for u in all_units(db) if u.parent_id is None]
    setup = system_user("初始化")
    with db.transaction() as cur:
        if cur.execute("SELECT count(*) FROM users").fetchone()[0]:
            raise PermissionDenied("系统已初始化，请用管理员账号登录。")
        top = tops[0] if tops else insert_unit(cur, unit_name, unit_level, None)
        if not tops:
            audit.log(cur, setup, "create", "unit", top.id, top.id, None, top.__dict__)
    return create_user(db, setup, username, password, "admin", top.id, display_name)


def authenticate(db: Database, username: str, password: str, now: datetime | None = None) -> User:
    """The user for a correct username and password; AuthError otherwise (5 failures lock 15 minutes)."""
    now = now or datetime.now()
    username = username.strip()
    row = db.one(
        f"SELECT {_USER_COLUMNS}, u.password_hash, u.is_active, u.failed_attempts, u.locked_until"
        " FROM users u JOIN units un ON un.id = u.unit_id WHERE u.username = ?",
        [username],
    )
    if row is None:
        _verify(_DUMMY_HASH, password)
        raise AuthError("用户名或密码错误。")
    user = _user(row[:7])
    password_hash, is_active, failed, locked_until = row[7:]
    if not is_active:
        raise AuthError("该账号已停用，请联系管理员。")
    if locked_until is not None and now < locked_until:
        raise AuthError(
            f"密码连续输错{MAX_FAILED_LOGINS}次，账号已锁定，请于 {locked_until:%H:%M} 后再试，或请管理员重设密码。"
        )
    if not _verify(password_hash, password):
        failed += 1
        with db.transaction() as cur:
            if failed >= MAX_FAILED_LOGINS:
                cur.execute(
                    "UPDATE users SET failed_attempts = 0, locked_until = ? WHERE id = ?",
                    [now + LOCKOUT, user.id],
                )
            else:
                cur.execute("UPDATE users SET failed_attempts = ? WHERE id = ?", [failed, user.id])
            audit.log(cur, user, "login_failed", "user", user.id, user.unit_id, None, {"attempt": failed})
        if failed >= MAX_FAILED_LOGINS:
            raise AuthError(
                f"密码连续输错{MAX_FAILED_LOGINS}次，账号已锁定{int(LOCKOUT.total_seconds() // 60)}分钟。"
            )
        raise AuthError(f"用户名或密码错误（再错{MAX_FAILED_LOGINS - failed}次将锁定账号）。")
    with db.transaction() as cur:
        updates = "failed_attempts = 0, locked_until = NULL, last_login_at = ?"
        params: list = [now]
        if _hasher.check_needs_rehash(password_hash):
            updates += ", password_hash = ?"
            params.append(hash_password(password))
        cur.execute(f"UPDATE users SET {updates} WHERE id = ?", [*params, user.id])
        audit.log(cur, user, "login", "user", user.id, user.unit_id, None, None)
    return user


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def _target(cur, username: str) -> tuple[int, int, str, str]:
    row = cur.execute(
        "SELECT u.id, u.unit_id, un.path, un.name FROM users u JOIN units un ON un.id = u.unit_id WHERE u.username = ?",
        [username.strip()],
    ).fetchone()
    if row is None:
        raise NotFound(f"找不到用户“{username}”。")
    return row


def set_password(db: Database, actor: User, username: str, password: str) -> None:
    """Set a new password (an administrator for users of their units, or anyone for themselves); unlocks."""
    problems = password_problems(password)
    if problems:
        raise InvalidInput(problems)
    password_hash = hash_password(password)
    with db.transaction() as cur:
        user_id, unit_id, path, name = _target(cur, username)
        if actor.id != user_id:
            require_admin(actor, _Scope(name, path))
        cur.execute(
            "UPDATE users SET password_hash = ?, failed_attempts = 0, locked_until = NULL WHERE id = ?",
            [password_hash, user_id],
        )
        audit.log(cur, actor, "update", "user", user_id, unit_id, None, {"password": "（已重设）"})


def set_active(db: Database, actor: User, username: str, active: bool) -> None:
    """Enable or disable an account (administrators only; never their own)."""
    with db.transaction() as cur:
        user_id, unit_id, path, name = _target(cur, username)
        require_admin(actor, _Scope(name, path))
        if actor.id == user_id and not active:
            raise PermissionDenied("不能停用自己的账号。")
        cur.execute("UPDATE users SET is_active = ? WHERE id = ?", [active, user_id])
        audit.log(cur, actor, "update", "user", user_id, unit_id, None, {"is_active": active})


def list_users(db: Database, actor: User) -> list[dict]:
    """Accounts of the units the administrator oversees, without password hashes."""
    require_admin(actor)
    rows = db.rows(
        "SELECT u.username, u.display_name, u.role, un.name, un.path, u.is_active, u.locked_until, u.last_login_at"
        " FROM users u JOIN units un ON un.id = u.unit_id ORDER BY un.path, u.username"
    )
    return [
        {
            "username": r[0],
            "display_name": r[1],
            "role": ROLES[r[2]],
            "unit": r[3],
            "is_active": bool(r[5]),
            "locked_until": r[6],
            "last_login_at": r[7],
        }
        for r in rows
        if r[4].startswith(actor.unit_path)
    ]


@dataclass(frozen=True)
class _Scope:
    name: str
    path: str

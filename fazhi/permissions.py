"""Who may see and change which unit's data: the acting `User` and the three checks.

Every function in fazhi/ that reads or writes unit data takes the acting `User` and calls one of
`require_view`, `require_edit` or `require_admin`, so a page that forgets a check still cannot leak or
change another unit's data. Accounts, passwords and logins are `fazhi/auth.py`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from fazhi.errors import PermissionDenied
from fazhi.labels import ROLES


class HasPath(Protocol):
    """Anything placed in the unit tree: a `Unit`, or a record's or account's unit as (name, path).

    Read-only members, so frozen dataclasses (which implement them read-only) satisfy it."""

    @property
    def name(self) -> str: ...

    @property
    def path(self) -> str: ...


@dataclass(frozen=True)
class Scope:
    """A unit known only by its name and path (from a join), for a permission check."""

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

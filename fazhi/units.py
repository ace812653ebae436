"""The organisation tree 区县 → 乡镇/街道 → 村/社区, and a unit's subtree."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from fazhi import audit
from fazhi.auth import User, require_admin, require_view
from fazhi.db import Cursor, Database
from fazhi.errors import InvalidInput, NotFound, PermissionDenied, Problem
from fazhi.labels import CHILD_LEVEL, LEVELS

NAME_MAX = 40

_COLUMNS = "id, name, level, parent_id, path, sort_order, is_demo"


@dataclass(frozen=True)
class Unit:
    """One unit of the organisation; `path` ('/1/5/') lists its ancestors and itself."""

    id: int
    name: str
    level: str
    parent_id: int | None
    path: str
    sort_order: int = 0
    is_demo: bool = False

    @property
    def level_label(self) -> str:
        """区县, 乡镇/街道 or 村/社区."""
        return LEVELS[self.level]

    def contains(self, other: Unit) -> bool:
        """True when `other` is this unit or below it."""
        return other.path.startswith(self.path)


def _unit(row: tuple) -> Unit:
    return Unit(*row[:5], sort_order=row[5], is_demo=bool(row[6]))


def all_units(db: Database) -> list[Unit]:
    """Every unit, in tree order (parents before children, siblings by sort order and name)."""
    units = [_unit(row) for row in db.rows(f"SELECT {_COLUMNS} FROM units")]
    children: dict[int | None, list[Unit]] = {}
    for unit in units:
        children.setdefault(unit.parent_id, []).append(unit)
    ordered: list[Unit] = []

    def walk(parent: int | None) -> None:
        for unit in sorted(children.get(parent, []), key=lambda u: (u.sort_order, u.name, u.id)):
            ordered.append(unit)
            walk(unit.id)

    walk(None)
    return ordered


def visible_units(db: Database, user: User) -> list[Unit]:
    """The units this user may see: their own unit and everything below it, in tree order."""
    return [unit for unit in all_units(db) if unit.path.startswith(user.unit_path)]


def get_unit(db: Database | Cursor, unit_id: int) -> Unit:
    """The unit with this id, or NotFound."""
    if isinstance(db, Database):
        row = db.one(f"SELECT {_COLUMNS} FROM units WHERE id = ?", [unit_id])
    else:
        row = db.execute(f"SELECT {_COLUMNS} FROM units WHERE id = ?", [unit_id]).fetchone()
    if row is None:
        raise NotFound(f"找不到编号为 {unit_id} 的单位。")
    return _unit(row)


def find_unit(db: Database, name: str, user: User | None = None) -> Unit:
    """The unit called `name` (visible to `user` when given); NotFound when none or several match."""
    matches = [u for u in all_units(db) if u.name == name.strip()]
    if user is not None:
        matches = [u for u in matches if u.path.startswith(user.unit_path)]
    if not matches:
        raise NotFound(f"找不到名为“{name}”的单位。")
    if len(matches) > 1:
        raise NotFound(f"有多个名为“{name}”的单位，请在名称前加上级单位区分。")
    return matches[0]


def children(db: Database, unit: Unit) -> list[Unit]:
    """The direct children of a unit, in order."""
    return [u for u in all_units(db) if u.parent_id == unit.id]


def subtree(db: Database, unit: Unit) -> list[Unit]:
    """The unit and every unit below it, in tree order."""
    return [u for u in all_units(db) if u.path.startswith(unit.path)]


def has_units(db: Database) -> bool:
    """True once any unit exists."""
    row = db.one("SELECT count(*) FROM units")
    return bool(row and row[0])


def insert_unit(
    cur: Cursor, name: str, level: str, parent: Unit | None, *, sort_order: int = 0, is_demo: bool = False
) -> Unit:
    """Insert a unit inside the caller's transaction (no permission check: callers check)."""
    name = name.strip()
    problems = []
    if not name:
        problems.append(Problem("name", "请填写单位名称。"))
    elif len(name) > NAME_MAX:
        problems.append(Problem("name", f"单位名称不能超过{NAME_MAX}个字。"))
    if level not in LEVELS:
        problems.append(Problem("level", "单位级别应为区县、乡镇/街道或村/社区。"))
    elif parent is not None and CHILD_LEVEL.get(parent.level) != level:
        expected = LEVELS.get(CHILD_LEVEL.get(parent.level, ""), "无")
        problems.append(Problem("level", f"“{parent.name}”的下级单位应为{expected}。"))
    if problems:
        raise InvalidInput(problems)
    parent_id = parent.id if parent else None
    clash = cur.execute(
        "SELECT count(*) FROM units WHERE name = ? AND parent_id IS NOT DISTINCT FROM ?", [name, parent_id]
    ).fetchone()
    if clash and clash[0]:
        raise InvalidInput([Problem("name", f"已有同名单位“{name}”。")])
    unit_id = cur.execute("SELECT nextval('unit_id_seq')").fetchone()[0]
    path = f"{parent.path if parent else '/'}{unit_id}/"
    cur.execute(
        "INSERT INTO units (id, name, level, parent_id, path, sort_order, is_demo, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [unit_id, name, level, parent_id, path, sort_order, is_demo, datetime.now()],
    )
    return Unit(unit_id, name, level, parent_id, path, sort_order, is_demo)


def create_unit(db: Database, user: User, name: str, level: str, parent_id: int | None) -> Unit:
    """Create a unit below `parent_id` (an administrator of an enclosing unit only); audited."""
    with db.transaction() as cur:
        parent = get_unit(cur, parent_id) if parent_id is not None else None
        if parent is None and not user.is_system:
            raise PermissionDenied("最上级单位只能在初始化时或用命令行建立。")
        if parent is not None:
            require_admin(user, parent)
        unit = insert_unit(cur, name, level, parent)
        audit.log(cur, user, "create", "unit", unit.id, unit.id, None, unit.__dict__)
    return unit


def require_visible(db: Database, user: User, unit_id: int) -> Unit:
    """The unit, when the user may see it; else PermissionDenied."""
    unit = get_unit(db, unit_id)
    require_view(user, unit)
    return unit

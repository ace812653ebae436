"""The organisation tree 区县 → 乡镇/街道 → 村/社区, and a unit's subtree."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from fazhi import audit
from fazhi.db import Cursor, Database, single
from fazhi.errors import InvalidInput, NotFound, PermissionDenied, Problem
from fazhi.labels import CHILD_LEVEL, LEVELS
from fazhi.permissions import User, require_admin, require_view
from fazhi.text import NAME_CONTROL

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

    @property
    def depth(self) -> int:
        """0 for a top unit ('/1/'), 1 for a unit below it, and so on."""
        return self.path.count("/") - 2


def indented_name(unit: Unit, top: int = 0) -> str:
    """The unit's name indented by full-width spaces, one per level below depth `top` (for tree pickers)."""
    return "　" * max(0, unit.depth - top) + unit.name


def _unit(row: tuple[Any, ...]) -> Unit:
    unit_id, name, level, parent_id, path, sort_order, is_demo = row
    return Unit(unit_id, name, level, parent_id, path, sort_order=sort_order, is_demo=bool(is_demo))


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


class UnitNames:
    """Units as people write them: a unit's own name, or '上级/本级' (the last names of its path), compared
    after NFKC normalisation (full-width letters and ／ as typed in Chinese input methods are accepted).

    Every tail of every unit's path is indexed once, so a lookup (one per imported row) is one dictionary
    access. Only the given units are indexed, and only their names make up the paths."""

    def __init__(self, units: list[Unit]) -> None:
        self.by_id = {u.id: u for u in units}
        self.by_suffix: dict[tuple[str, ...], list[Unit]] = {}
        for unit in units:
            names = tuple(_normal(n) for n in self.path_names(unit))
            for start in range(len(names)):
                self.by_suffix.setdefault(names[start:], []).append(unit)

    def path_names(self, unit: Unit) -> list[str]:
        """The names along the unit's path, top first (of the indexed units)."""
        ids = [int(p) for p in unit.path.strip("/").split("/") if p]
        return [self.by_id[i].name for i in ids if i in self.by_id]

    @staticmethod
    def parts(written: object) -> tuple[str, ...]:
        """The names in a written unit, top first: '燕山乡／示例一村 ' → ('燕山乡', '示例一村'); () for a blank."""
        return tuple(p for p in (_normal(p) for p in str(written).replace("／", "/").split("/")) if p)

    def matches(self, written: object) -> list[Unit]:
        """Every indexed unit that `written` names (none for a blank)."""
        parts = self.parts(written)
        return list(self.by_suffix.get(parts, [])) if parts else []

    def example(self, unit: Unit) -> str:
        """How to write this unit unambiguously: '上级/本级'."""
        return "/".join(self.path_names(unit)[-2:])


def _normal(name: str) -> str:
    return unicodedata.normalize("NFKC", name).strip()


def find_unit(db: Database, name: str, user: User | None = None) -> Unit:
    """The unit called `name`, or "上级/名称" such as "燕山乡/示例一村" (visible to `user` when given);
    NotFound when none or several match."""
    names = UnitNames(all_units(db))
    matches = names.matches(name)
    if user is not None:
        matches = [u for u in matches if u.path.startswith(user.unit_path)]
    if not matches:
        raise NotFound(f"找不到名为“{name.strip()}”的单位。")
    if len(matches) > 1:
        example = names.example(matches[0])
        raise NotFound(f"有多个名为“{name.strip()}”的单位，请写成“上级单位/单位名”，如“{example}”。")
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


def name_problems(name: str) -> list[Problem]:
    """What is wrong with a (stripped) unit name, in Chinese; empty when it is acceptable."""
    if not name:
        return [Problem("name", "请填写单位名称。")]
    if len(name) > NAME_MAX:
        return [Problem("name", f"单位名称不能超过{NAME_MAX}个字（现有{len(name)}个）。")]
    if NAME_CONTROL.search(name):
        return [Problem("name", "单位名称中不能有换行或不可见的控制字符。")]
    return []


def _refuse_sibling_clash(cur: Cursor, name: str, parent_id: int | None, unit_id: int | None = None) -> None:
    clash = cur.execute(
        "SELECT count(*) FROM units WHERE name = ? AND parent_id IS NOT DISTINCT FROM ? AND id IS DISTINCT FROM ?",
        [name, parent_id, unit_id],
    ).fetchone()
    if clash and clash[0]:
        raise InvalidInput([Problem("name", f"已有同名单位“{name}”。")])


def insert_unit(
    cur: Cursor, name: str, level: str, parent: Unit | None, *, sort_order: int = 0, is_demo: bool = False
) -> Unit:
    """Insert a unit inside the caller's transaction (no permission check: callers check)."""
    name = name.strip()
    problems = name_problems(name)
    if level not in LEVELS:
        problems.append(Problem("level", "单位级别应为区县、乡镇/街道或村/社区。"))
    elif parent is not None and CHILD_LEVEL.get(parent.level) != level:
        expected = LEVELS.get(CHILD_LEVEL.get(parent.level, ""), "无")
        problems.append(Problem("level", f"“{parent.name}”的下级单位应为{expected}。"))
    if problems:
        raise InvalidInput(problems)
    parent_id = parent.id if parent else None
    _refuse_sibling_clash(cur, name, parent_id)
    unit_id = single(cur, "SELECT nextval('unit_id_seq')")[0]
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
        last = single(
            cur,
            "SELECT coalesce(max(sort_order), 0) FROM units WHERE parent_id IS NOT DISTINCT FROM ?",
            [parent_id],
        )[0]
        unit = insert_unit(cur, name, level, parent, sort_order=int(last) + 1)
        audit.log(cur, user, "create", "unit", unit.id, unit.id, None, unit.__dict__)
    return unit


def create_child_unit(db: Database, user: User, parent_id: int, name: str) -> Unit:
    """Create a unit one level below `parent_id` (乡镇/街道 under a 区县, 村/社区 under a 乡镇); audited."""
    parent = get_unit(db, parent_id)
    require_admin(user, parent)
    level = CHILD_LEVEL.get(parent.level)
    if level is None:
        raise InvalidInput([Problem("parent_id", f"“{parent.name}”是村/社区，其下不能再设单位。")])
    return create_unit(db, user, name, level, parent_id)


def rename_unit(db: Database, user: User, unit_id: int, name: str) -> Unit:
    """Give a unit a new name (an administrator of it or of a unit above it); audited."""
    name = name.strip()
    problems = name_problems(name)
    if problems:
        raise InvalidInput(problems)
    with db.transaction() as cur:
        unit = get_unit(cur, unit_id)
        require_admin(user, unit)
        if unit.name == name:
            return unit
        _refuse_sibling_clash(cur, name, unit.parent_id, unit.id)
        cur.execute("UPDATE units SET name = ? WHERE id = ?", [name, unit.id])
        audit.log(cur, user, "update", "unit", unit.id, unit.id, {"name": unit.name}, {"name": name})
    return replace(unit, name=name)


def reorder_units(db: Database, user: User, parent_id: int, ordered_ids: list[int]) -> list[Unit]:
    """Put the children of `parent_id` in the given order (an administrator of the parent); audited.

    `ordered_ids` must list every child exactly once; returns the children in their new order.
    """
    with db.transaction() as cur:
        parent = get_unit(cur, parent_id)
        require_admin(user, parent)
        rows = cur.execute(f"SELECT {_COLUMNS} FROM units WHERE parent_id = ?", [parent.id]).fetchall()
        current = sorted((_unit(r) for r in rows), key=lambda u: (u.sort_order, u.name, u.id))
        if sorted(ordered_ids) != sorted(u.id for u in current):
            raise InvalidInput(
                [Problem("order", f"排序须包含“{parent.name}”的全部下级单位，且每个只出现一次。")]
            )
        by_id = {u.id: u for u in current}
        if [u.id for u in current] != list(ordered_ids):
            for position, unit_id in enumerate(ordered_ids, 1):
                cur.execute("UPDATE units SET sort_order = ? WHERE id = ?", [position, unit_id])
            audit.log(
                cur,
                user,
                "update",
                "unit",
                parent.id,
                parent.id,
                {"order": [u.name for u in current]},
                {"order": [by_id[i].name for i in ordered_ids]},
            )
    return [replace(by_id[i], sort_order=n) for n, i in enumerate(ordered_ids, 1)]


def move_unit(db: Database, user: User, unit_id: int, offset: int) -> list[Unit]:
    """Move a unit `offset` places among its siblings (-1 up, +1 down; clamped at the ends); audited."""
    unit = get_unit(db, unit_id)
    if unit.parent_id is None:
        raise InvalidInput([Problem("order", "最上级单位没有同级单位，无需排序。")])
    order = [u.id for u in children(db, get_unit(db, unit.parent_id))]
    position = order.index(unit.id)
    order.insert(max(0, min(len(order) - 1, position + offset)), order.pop(position))
    return reorder_units(db, user, unit.parent_id, order)


def require_visible(db: Database, user: User, unit_id: int) -> Unit:
    """The unit, when the user may see it; else PermissionDenied."""
    unit = get_unit(db, unit_id)
    require_view(user, unit)
    return unit

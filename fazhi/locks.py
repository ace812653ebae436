"""封账: a unit's finished year refuses every write; locking a unit also locks the units below it.

A lock remembers the unit of the administrator who set it (a county locking a township's year): only an
administrator of that unit or of one above it lifts it. It also keeps `frozen`, what the year's report
showed that does not belong to the year (unit names, report settings, the template; see
fazhi/report/frozen.py), so a later rename or new settings change only the years still open.

A lock may belong to the submission workflow (fazhi/submissions.py; `workflow` = 'submitted' or
'approved'): the same lock refuses every write, but only the workflow lifts it (a return), never 解除封账.
`hold` and `release` are its cursor-level steps, called inside the workflow's own transaction.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fazhi import audit
from fazhi.db import Cursor, Database, single
from fazhi.errors import InvalidInput, PermissionDenied, Problem, YearLocked
from fazhi.permissions import User, require_admin
from fazhi.units import Unit

FIRST_YEAR, LAST_YEAR = 2000, 2100


def _holding(
    cur: Cursor, unit: Unit, year: int, *, above_only: bool = False
) -> tuple[str, str, datetime, str | None] | None:
    ids = [int(part) for part in unit.path.strip("/").split("/") if part]
    if above_only:
        ids = [i for i in ids if i != unit.id]
    sql = (
        "SELECT u.name, l.locked_by, l.locked_at, l.workflow FROM year_locks l JOIN units u ON u.id = l.unit_id"
        " WHERE l.year = ? AND list_contains(?, l.unit_id) ORDER BY length(u.path) LIMIT 1"
    )
    return cur.execute(sql, [year, ids]).fetchone()


def lock_holding(
    cur: Cursor, unit: Unit, year: int, *, above_only: bool = False
) -> tuple[str, str, datetime] | None:
    """(locking unit's name, who, when) when this unit (unless `above_only`) or one above it has locked
    `year`, else None; the topmost lock wins."""
    held = _holding(cur, unit, year, above_only=above_only)
    return held[:3] if held else None


def lock_state(db: Database, unit: Unit, year: int) -> str | None:
    """A sentence for the page banner when the year is locked for this unit, else None."""
    with db.cursor() as cur:
        held = _holding(cur, unit, year)
    if held is None:
        return None
    name, who, when, workflow = held
    if workflow == "submitted":
        return f"{name}{year}年的年度报告已报送（{who}于{when:%Y年%m月%d日}），等待上级审核，该年度数据只能查看。"
    if workflow == "approved":
        return (
            f"{name}{year}年的年度报告已通过审核（{who}于{when:%Y年%m月%d日}），已封账，该年度数据只能查看。"
        )
    return f"{name}{year}年已封账（{who}于{when:%Y年%m月%d日}），该年度数据只能查看。"


def ensure_unlocked(cur: Cursor, unit: Unit, year: int) -> None:
    """Raise YearLocked when `year` is locked for this unit (checked inside the writing transaction)."""
    held = _holding(cur, unit, year)
    if not held:
        return
    name, who, when, workflow = held
    if workflow == "submitted":
        raise YearLocked(
            f"{name}{year}年的年度报告已报送（{who}于{when:%Y年%m月%d日}），等待上级审核，"
            "不能再新增、修改或删除该年度的数据。如需修改，请联系上级单位退回报告。"
        )
    if workflow == "approved":
        raise YearLocked(
            f"{name}{year}年的年度报告已通过审核（{who}于{when:%Y年%m月%d日}），已封账，"
            "不能再新增、修改或删除该年度的数据。如确需修改，请联系上级单位退回报告。"
        )
    raise YearLocked(
        f"{name}{year}年已封账（{who}于{when:%Y年%m月%d日}封账），不能再新增、修改或删除该年度的数据。"
        "如确需修改，请联系管理员解除封账。"
    )


@dataclass(frozen=True)
class YearLock:
    """One 封账: the unit that locked the year (its children are locked with it), who and when, and the
    unit whose administrator set it (the locked unit itself, or one above it)."""

    unit_id: int
    unit_name: str
    year: int
    locked_by: str
    locked_at: datetime
    set_by_unit: str = ""
    workflow: str | None = None  # 'submitted' / 'approved': held by the submission workflow


def list_locks(db: Database, user: User, unit: Unit | None = None) -> list[YearLock]:
    """The locks set on the unit (default: the administrator's own) and the units below it, newest year first."""
    require_admin(user, unit)
    path = unit.path if unit is not None else user.unit_path
    rows = db.rows(
        "SELECT l.unit_id, u.name, l.year, l.locked_by, l.locked_at, coalesce(s.name, u.name), l.workflow"
        " FROM year_locks l"
        " JOIN units u ON u.id = l.unit_id LEFT JOIN units s ON s.id = l.set_by_unit_id"
        " WHERE u.path LIKE ? ORDER BY l.year DESC, u.path",
        [path + "%"],
    )
    return [YearLock(*row) for row in rows]


def setter(db: Database, unit: Unit, year: int) -> tuple[str, str] | None:
    """(name, path) of the unit whose administrator set this unit's own lock of `year`, or None."""
    row = db.one(
        "SELECT coalesce(s.name, u.name), coalesce(s.path, u.path) FROM year_locks l JOIN units u ON u.id = l.unit_id"
        " LEFT JOIN units s ON s.id = l.set_by_unit_id WHERE l.unit_id = ? AND l.year = ?",
        [unit.id, year],
    )
    return (row[0], row[1]) if row else None


def may_unlock(db: Database, user: User, unit: Unit, year: int) -> bool:
    """True when this unit's own lock of `year` exists, is an ordinary 封账 (not held by the submission
    workflow) and the user is an administrator of the unit that set it or of one above it."""
    held = setter(db, unit, year)
    if held is None or workflow_of(db, unit, year) is not None:
        return False
    return user.is_admin and held[1].startswith(user.unit_path)


def workflow_of(db: Database, unit: Unit, year: int) -> str | None:
    """'submitted' or 'approved' when this unit's own lock of `year` is held by the submission workflow."""
    row = db.one("SELECT workflow FROM year_locks WHERE unit_id = ? AND year = ?", [unit.id, year])
    return row[0] if row else None


def frozen(db: Database, unit: Unit, year: int) -> dict[str, Any] | None:
    """What the lock covering this unit's `year` froze of its report (the topmost lock's), or None."""
    ids = [int(part) for part in unit.path.strip("/").split("/") if part]
    row = db.one(
        "SELECT l.frozen FROM year_locks l JOIN units u ON u.id = l.unit_id"
        " WHERE l.year = ? AND list_contains(?, l.unit_id) ORDER BY length(u.path) LIMIT 1",
        [year, ids],
    )
    if row is None or row[0] is None:
        return None
    return json.loads(row[0]) if isinstance(row[0], str) else row[0]


def locked_by_ancestor(db: Database, unit: Unit, year: int) -> str | None:
    """The name of a unit above this one whose lock covers `year`, else None (unlocking here cannot help then)."""
    with db.cursor() as cur:
        held = lock_holding(cur, unit, year, above_only=True)
    return held[0] if held else None


def is_locked_here(db: Database, unit: Unit, year: int) -> bool:
    """True when this very unit has locked `year` (a lock only an administrator can lift here)."""
    row = db.one("SELECT count(*) FROM year_locks WHERE unit_id = ? AND year = ?", [unit.id, year])
    return bool(row and row[0])


def _check_year(year: int) -> None:
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise InvalidInput([Problem("year", f"年度应在{FIRST_YEAR}到{LAST_YEAR}年之间。")])


def lock_year(db: Database, user: User, unit: Unit, year: int, frozen: dict[str, Any] | None = None) -> None:
    """Lock a unit's year (administrators only); audited. `frozen` is what the year's report showed of
    things outside the year (fazhi/report/frozen.py builds it; pages and the CLI lock through it)."""
    require_admin(user, unit)
    _check_year(year)
    with db.transaction() as cur:
        if single(cur, "SELECT count(*) FROM year_locks WHERE unit_id = ? AND year = ?", [unit.id, year])[0]:
            return
        cur.execute(
            "INSERT INTO year_locks (unit_id, year, locked_by, locked_at, set_by_unit_id, frozen)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            [
                unit.id,
                year,
                user.username,
                datetime.now(),
                user.unit_id,
                json.dumps(frozen, ensure_ascii=False) if frozen is not None else None,
            ],
        )
        audit.log(
            cur,
            user,
            "lock",
            "year_lock",
            f"{unit.id}:{year}",
            unit.id,
            None,
            {"unit": unit.name, "year": year},
        )


def unlock_year(db: Database, user: User, unit: Unit, year: int) -> None:
    """Unlock a unit's year (an administrator of the unit that set the lock, or of one above it); audited."""
    require_admin(user, unit)
    with db.transaction() as cur:
        row = cur.execute(
            "SELECT l.locked_by, l.locked_at, coalesce(s.name, u.name), coalesce(s.path, u.path), l.workflow"
            " FROM year_locks l JOIN units u ON u.id = l.unit_id LEFT JOIN units s ON s.id = l.set_by_unit_id"
            " WHERE l.unit_id = ? AND l.year = ?",
            [unit.id, year],
        ).fetchone()
        if row is None:
            return
        if row[4] is not None:
            raise PermissionDenied(
                f"{unit.name}{year}年的年度报告{'已报送' if row[4] == 'submitted' else '已通过审核'}，"
                "这一封账由报送审核管理，不能在这里解除；需要修改时，请由上级单位在“报送审核”中退回。"
            )
        if not row[3].startswith(user.unit_path):
            raise PermissionDenied(
                f"{unit.name}{year}年的封账是“{row[2]}”设置的，只能由“{row[2]}”或更上级单位的管理员解除。"
            )
        cur.execute("DELETE FROM year_locks WHERE unit_id = ? AND year = ?", [unit.id, year])
        audit.log(
            cur,
            user,
            "unlock",
            "year_lock",
            f"{unit.id}:{year}",
            unit.id,
            {"unit": unit.name, "year": year, "locked_by": row[0], "locked_at": row[1]},
            None,
        )


# ───────────── the submission workflow's own steps (inside its transaction; callers check permissions) ─────────────


def hold(
    cur: Cursor,
    unit: Unit,
    year: int,
    *,
    workflow: str,
    locked_by: str,
    set_by_unit_id: int | None,
    frozen: dict[str, Any] | None = None,
) -> None:
    """Make this unit's own lock of `year` the workflow's ('submitted' or 'approved'): an existing lock (an
    ordinary 封账 of the unit's own, or the workflow's earlier one) is taken over, keeping what it froze;
    otherwise a new one is set with `frozen`."""
    _check_year(year)
    exists = single(cur, "SELECT count(*) FROM year_locks WHERE unit_id = ? AND year = ?", [unit.id, year])[0]
    if exists:
        # UPDATE of columns outside the key, never DELETE + INSERT of the same key in one transaction
        cur.execute(
            "UPDATE year_locks SET workflow = ?, locked_by = ?, locked_at = ?, set_by_unit_id = ?"
            " WHERE unit_id = ? AND year = ?",
            [workflow, locked_by, datetime.now(), set_by_unit_id, unit.id, year],
        )
        return
    cur.execute(
        "INSERT INTO year_locks (unit_id, year, locked_by, locked_at, set_by_unit_id, frozen, workflow)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        [
            unit.id,
            year,
            locked_by,
            datetime.now(),
            set_by_unit_id,
            json.dumps(frozen, ensure_ascii=False) if frozen is not None else None,
            workflow,
        ],
    )


def release(cur: Cursor, unit: Unit, year: int) -> bool:
    """Lift this unit's own workflow lock of `year` (a return); True when there was one."""
    removed = cur.execute(
        "DELETE FROM year_locks WHERE unit_id = ? AND year = ? AND workflow IS NOT NULL RETURNING unit_id",
        [unit.id, year],
    ).fetchall()
    return bool(removed)

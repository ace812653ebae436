"""封账: a unit's finished year refuses every write; locking a unit also locks the units below it."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from fazhi import audit
from fazhi.auth import User, require_admin
from fazhi.errors import YearLocked

if TYPE_CHECKING:
    from fazhi.db import Cursor, Database
    from fazhi.units import Unit


def lock_holding(cur: Cursor, unit: Unit, year: int) -> tuple[str, str, datetime] | None:
    """(locking unit's name, who, when) when this unit or one above it has locked `year`, else None."""
    ancestor_ids = [int(part) for part in unit.path.strip("/").split("/") if part]
    sql = (
        "SELECT u.name, l.locked_by, l.locked_at FROM year_locks l JOIN units u ON u.id = l.unit_id"
        " WHERE l.year = ? AND list_contains(?, l.unit_id) ORDER BY length(u.path) LIMIT 1"
    )
    return cur.execute(sql, [year, ancestor_ids]).fetchone()


def lock_state(db: Database, unit: Unit, year: int) -> str | None:
    """A sentence for the page banner when the year is locked for this unit, else None."""
    with db.cursor() as cur:
        held = lock_holding(cur, unit, year)
    if held is None:
        return None
    name, who, when = held
    return f"{name}{year}年已封账（{who}于{when:%Y年%m月%d日}），该年度数据只能查看。"


def ensure_unlocked(cur: Cursor, unit: Unit, year: int) -> None:
    """Raise YearLocked when `year` is locked for this unit (checked inside the writing transaction)."""
    held = lock_holding(cur, unit, year)
    if held:
        name, who, when = held
        raise YearLocked(
            f"{name}{year}年已封账（{who}于{when:%Y年%m月%d日}封账），不能再新增、修改或删除该年度的数据。"
            "如确需修改，请联系管理员解除封账。"
        )


def lock_year(db: Database, user: User, unit: Unit, year: int) -> None:
    """Lock a unit's year (administrators only); audited."""
    require_admin(user, unit)
    with db.transaction() as cur:
        if cur.execute(
            "SELECT count(*) FROM year_locks WHERE unit_id = ? AND year = ?", [unit.id, year]
        ).fetchone()[0]:
            return
        cur.execute(
            "INSERT INTO year_locks VALUES (?, ?, ?, ?)", [unit.id, year, user.username, datetime.now()]
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
    """Unlock a unit's year (administrators only); audited."""
    require_admin(user, unit)
    with db.transaction() as cur:
        row = cur.execute(
            "SELECT locked_by, locked_at FROM year_locks WHERE unit_id = ? AND year = ?", [unit.id, year]
        ).fetchone()
        if row is None:
            return
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

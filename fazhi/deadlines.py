"""报送截止日期: the date by which a county wants its townships' reports of a year, and days left or overdue."""

from __future__ import annotations

from datetime import date, datetime

from fazhi import audit
from fazhi.db import Database
from fazhi.errors import InvalidInput, Problem
from fazhi.permissions import User, require_admin
from fazhi.units import Unit


def deadline_for(db: Database, county: Unit, year: int) -> date | None:
    """The county's deadline for the year's reports, or None when it has set none."""
    row = db.one(
        "SELECT due_on FROM submission_deadlines WHERE county_id = ? AND year = ?", [county.id, year]
    )
    return row[0] if row else None


def set_deadline(db: Database, user: User, county: Unit, year: int, due_on: date | None) -> bool:
    """Set (or with None, remove) the county's deadline for the year (its administrators only); audited.
    The date must fall in the year or the next one. True when anything changed."""
    require_admin(user, county)
    if county.level != "county":
        raise InvalidInput([Problem("county", f"报送截止日期由区县设置，“{county.name}”不是区县。")])
    if due_on is not None and not date(year, 1, 1) <= due_on <= date(year + 1, 12, 31):
        raise InvalidInput(
            [Problem("due_on", f"{year}年报告的截止日期应在{year}年1月1日到{year + 1}年12月31日之间。")]
        )
    with db.transaction() as cur:
        row = cur.execute(
            "SELECT due_on FROM submission_deadlines WHERE county_id = ? AND year = ?", [county.id, year]
        ).fetchone()
        before = row[0] if row else None
        if before == due_on:
            return False
        if due_on is None:
            cur.execute(
                "DELETE FROM submission_deadlines WHERE county_id = ? AND year = ?", [county.id, year]
            )
        else:
            cur.execute(
                "INSERT INTO submission_deadlines VALUES (?, ?, ?, ?, ?) ON CONFLICT (county_id, year)"
                " DO UPDATE SET due_on = excluded.due_on, set_by = excluded.set_by, set_at = excluded.set_at",
                [county.id, year, due_on, user.username, datetime.now()],
            )
        audit.log(
            cur,
            user,
            "update",
            "deadline",
            f"{county.id}:{year}",
            county.id,
            {"unit": county.name, "year": year, "due_on": before},
            {"unit": county.name, "year": year, "due_on": due_on},
        )
    return True


def days_left(due_on: date | None, today: date) -> int | None:
    """Days from `today` to the deadline (0 on the day itself, negative once overdue); None without one."""
    return None if due_on is None else (due_on - today).days


def describe(days: int | None) -> str:
    """'还剩3天', '今天截止', '已逾期2天' or '' without a deadline."""
    if days is None:
        return ""
    if days > 0:
        return f"还剩{days}天"
    if days == 0:
        return "今天截止"
    return f"已逾期{-days}天"

"""公开: where and when a unit published its annual report; due before 4月1日 of the next year
(《法治政府建设与责任落实督察工作规定》), so a report published after 4月1日 is late.

Publishing happens after the report is approved, so recording it is not refused in a locked year; it is
the unit's administrators' (or those above) to record, and audited.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from urllib.parse import urlsplit

from fazhi import audit
from fazhi.db import Database
from fazhi.errors import InvalidInput, Problem
from fazhi.permissions import User, require_admin
from fazhi.units import Unit

URL_MAX = 500
_SPACE_OR_CONTROL = re.compile(r"[\s\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff]")
STATES = {"on_time": "按时公开", "late": "逾期公开", "missing": "逾期未公开", "pending": "尚未公开"}


@dataclass(frozen=True)
class Publication:
    """Where and when a unit-year's report was published, and who recorded it."""

    unit_id: int
    year: int
    published_on: date
    url: str
    recorded_by: str
    recorded_at: datetime


def due(year: int) -> date:
    """The last day a report of `year` is on time: 4月1日 of the next year."""
    return date(year + 1, 4, 1)


def is_late(published_on: date, year: int) -> bool:
    """True when published after 4月1日 of the next year."""
    return published_on > due(year)


def state(publication: Publication | None, year: int, today: date) -> str:
    """'on_time', 'late', 'missing' (not published and past 4月1日) or 'pending' (not yet, still in time)."""
    if publication is not None:
        return "late" if is_late(publication.published_on, year) else "on_time"
    return "missing" if today > due(year) else "pending"


def check_url(text: str) -> str:
    """The address as stored (spaces around it removed); InvalidInput unless http(s) with a host, ≤ 500
    characters, without spaces or invisible characters."""
    url = (text or "").strip()
    if not url:
        raise InvalidInput([Problem("url", "请填写公开报告的网址。")])
    if len(url) > URL_MAX:
        raise InvalidInput([Problem("url", f"网址不能超过{URL_MAX}个字符（现有{len(url)}个）。")])
    if _SPACE_OR_CONTROL.search(url):
        raise InvalidInput([Problem("url", "网址中不能有空格或看不见的字符。")])
    try:
        parts = urlsplit(url)
    except ValueError:
        raise InvalidInput([Problem("url", "网址格式不正确。")]) from None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise InvalidInput([Problem("url", "网址应以 http:// 或 https:// 开头，如 https://www.wz.gov.cn/…")])
    return url


def publication_of(db: Database, unit: Unit, year: int) -> Publication | None:
    """What was recorded about the publication of the unit-year's report, or None."""
    row = db.one(
        "SELECT unit_id, year, published_on, url, recorded_by, recorded_at FROM publications"
        " WHERE unit_id = ? AND year = ?",
        [unit.id, year],
    )
    return Publication(*row) if row else None


def record_publication(
    db: Database,
    user: User,
    unit: Unit,
    year: int,
    published_on: date | None,
    url: str,
    *,
    today: date | None = None,
) -> Publication:
    """Record (or correct) where and when the report was published; audited. The date may not be before the
    year's end nor after today."""
    require_admin(user, unit)
    today = today or date.today()
    problems = []
    if published_on is None:
        problems.append(Problem("published_on", "请选择公开日期。"))
    elif published_on < date(year, 12, 31):
        problems.append(Problem("published_on", f"{year}年的报告不能早于{year}年12月31日公开。"))
    elif published_on > today:
        problems.append(Problem("published_on", "公开日期不能晚于今天。"))
    try:
        url = check_url(url)
    except InvalidInput as error:
        problems.extend(error.problems)
    if problems or published_on is None:
        raise InvalidInput(problems)
    before = publication_of(db, unit, year)
    now = datetime.now()
    with db.transaction() as cur:
        cur.execute(
            "INSERT INTO publications VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (unit_id, year) DO UPDATE SET"
            " published_on = excluded.published_on, url = excluded.url, recorded_by = excluded.recorded_by,"
            " recorded_at = excluded.recorded_at",
            [unit.id, year, published_on, url, user.username, now],
        )
        audit.log(
            cur,
            user,
            "update",
            "publication",
            f"{unit.id}:{year}",
            unit.id,
            None
            if before is None
            else {"unit": unit.name, "year": year, "published_on": before.published_on, "url": before.url},
            {"unit": unit.name, "year": year, "published_on": published_on, "url": url},
        )
    return Publication(unit.id, year, published_on, url, user.username, now)

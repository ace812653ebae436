"""Annual targets per unit and indicator: catalog defaults, stored overrides, copying last year's."""

from __future__ import annotations

import math
from datetime import datetime

import pandas as pd

from fazhi import audit
from fazhi.catalog import Catalog, Indicator
from fazhi.db import Database
from fazhi.errors import InvalidInput, Problem
from fazhi.locks import ensure_unlocked
from fazhi.permissions import User, require_admin, require_view
from fazhi.units import Unit, subtree

# Far above any year's figure (a county of 50 townships hands out a few million leaflets), far below
# what prints as a 309-digit number.
TARGET_MAX = 100_000_000


def township_count(db: Database, unit: Unit) -> int:
    """How many 乡镇/街道 a unit covers (1 for a 乡镇 or 村 itself)."""
    if unit.level != "county":
        return 1
    return max(1, sum(1 for u in subtree(db, unit) if u.level == "township"))


def default_target(indicator: Indicator, unit: Unit, townships: int = 1) -> float | None:
    """The catalog's default target for this unit: cumulative 'more is better' targets of a 区县 are
    the township default times its number of 乡镇; a 村/社区 has none (the defaults are written for a whole
    乡镇, so a village would fall short of nearly all of them; its own targets can still be set); everything
    else is the default as written."""
    if indicator.target is None or unit.level == "village":
        return None
    if unit.level == "county" and indicator.cumulative and indicator.direction == "up":
        return float(indicator.target) * townships
    return float(indicator.target)


def stored_targets(db: Database, unit: Unit, year: int) -> dict[str, float]:
    """Targets set for this unit and year (without defaults)."""
    rows = db.rows(
        "SELECT indicator_code, value FROM targets WHERE unit_id = ? AND year = ?", [unit.id, year]
    )
    return {code: float(value) for code, value in rows}


def targets_for(db: Database, catalog: Catalog, unit: Unit, year: int) -> dict[str, float | None]:
    """Each indicator's target for the unit and year: the stored one, else the default (None: no target)."""
    stored = stored_targets(db, unit, year)
    townships = township_count(db, unit)
    return {i.code: stored.get(i.code, default_target(i, unit, townships)) for i in catalog.indicators}


def _check(catalog: Catalog, values: dict[str, float | None]) -> dict[str, float | None]:
    problems: list[Problem] = []
    clean: dict[str, float | None] = {}
    codes = {i.code: i for i in catalog.indicators}
    for code, raw in values.items():
        indicator = codes.get(code)
        if indicator is None:
            problems.append(Problem(code, f"没有编码为“{code}”的指标。"))
            continue
        if raw is None or (isinstance(raw, float) and math.isnan(raw)):
            clean[code] = None
            continue
        try:
            value = float(raw)
        except (TypeError, ValueError):
            problems.append(Problem(code, f"“{indicator.name}”的目标应为数字。"))
            continue
        if math.isinf(value) or value < 0:
            problems.append(Problem(code, f"“{indicator.name}”的目标不能为负数或无穷大。"))
        elif value > TARGET_MAX:
            problems.append(
                Problem(code, f"“{indicator.name}”的目标不能超过{TARGET_MAX:,.0f}（填入的是{value:.6g}）。")
            )
        elif indicator.unit == "%" and value > 100:
            problems.append(Problem(code, f"“{indicator.name}”的目标不能超过100%。"))
        elif indicator.kind in ("yesno",) and value not in (0, 1):
            problems.append(Problem(code, f"“{indicator.name}”的目标只能是1（是）或0（否）。"))
        else:
            clean[code] = value
    if problems:
        raise InvalidInput(problems)
    return clean


def set_targets(
    db: Database, user: User, catalog: Catalog, unit: Unit, year: int, values: dict[str, float | None]
) -> int:
    """Store targets (None restores the default) for administrators; audited; refused in a locked year.
    Returns how many targets changed."""
    require_admin(user, unit)
    clean = _check(catalog, values)
    before = stored_targets(db, unit, year)
    changed = 0
    now = datetime.now()
    with db.transaction() as cur:
        ensure_unlocked(cur, unit, year)
        for code, value in clean.items():
            if before.get(code) == value:
                continue
            if value is None:
                if code not in before:
                    continue
                cur.execute(
                    "DELETE FROM targets WHERE year = ? AND unit_id = ? AND indicator_code = ?",
                    [year, unit.id, code],
                )
            else:
                cur.execute(
                    "INSERT INTO targets VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (year, unit_id, indicator_code) DO UPDATE"
                    " SET value = excluded.value, updated_by = excluded.updated_by, updated_at = excluded.updated_at",
                    [year, unit.id, code, value, user.username, now],
                )
            audit.log(
                cur,
                user,
                "update",
                "target",
                f"{unit.id}:{year}:{code}",
                unit.id,
                {"year": year, "indicator": code, "value": before.get(code)},
                {"year": year, "indicator": code, "value": value},
            )
            changed += 1
    return changed


def copy_previous_year(db: Database, user: User, catalog: Catalog, unit: Unit, year: int) -> int:
    """Copy the targets stored for the previous year into this year; returns how many were copied."""
    require_view(user, unit)
    previous = stored_targets(db, unit, year - 1)
    if not previous:
        return 0
    return set_targets(db, user, catalog, unit, year, dict(previous))


def target_table(db: Database, user: User, catalog: Catalog, unit: Unit, year: int) -> pd.DataFrame:
    """Every indicator's targets for the 目标 page, in catalog order.

    Columns: code, area (short name in that year's 纲要), name, unit, default (the catalog default for this
    unit), target (this year's: stored, else default), previous (last year's, the same way), stored (True when
    this year's target was set), definition (口径说明). Targets are None where there is none.
    """
    require_view(user, unit)
    townships = township_count(db, unit)
    this_year = targets_for(db, catalog, unit, year)
    last_year = targets_for(db, catalog, unit, year - 1)
    stored = stored_targets(db, unit, year)
    rows = [
        {
            "code": i.code,
            "area": catalog.indicator_area(i, year).short,
            "name": i.name,
            "unit": i.unit,
            "default": default_target(i, unit, townships),
            "target": this_year[i.code],
            "previous": last_year[i.code],
            "stored": i.code in stored,
            "definition": i.definition,
        }
        for i in catalog.indicators
    ]
    frame = pd.DataFrame(rows)
    for column in ("default", "target", "previous"):
        frame[column] = frame[column].astype("float64")
    return frame


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA


def changed_targets(before: pd.DataFrame, after: pd.DataFrame) -> dict[str, float | None]:
    """What `set_targets` must store after the 目标 table was edited: changed rows only; a cleared cell or a
    value equal to the default means "use the default" (None)."""
    old = before.set_index("code")
    changes: dict[str, float | None] = {}
    for code, value in zip(after["code"], after["target"], strict=True):
        previous = old.at[code, "target"]
        if (_blank(value) and _blank(previous)) or (
            not _blank(value) and not _blank(previous) and float(value) == float(previous)
        ):
            continue
        default = old.at[code, "default"]
        if _blank(value) or (not _blank(default) and float(value) == float(default)):
            changes[code] = None
        else:
            changes[code] = value  # set_targets checks it is a number
    return changes


def restore_defaults(db: Database, user: User, catalog: Catalog, unit: Unit, year: int) -> int:
    """Drop every target set for this unit and year (administrators; audited); returns how many were dropped."""
    require_admin(user, unit)
    stored = stored_targets(db, unit, year)
    if not stored:
        return 0
    return set_targets(db, user, catalog, unit, year, dict.fromkeys(stored))

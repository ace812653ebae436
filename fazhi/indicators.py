"""Indicators of a unit together with everything below it.

fazhi/measures.py computes every measure of every indicator for the requested years (and, when asked, per
child unit), from per unit-year parts it keeps; Python here combines measures into ratios and compares
with targets. `indicator_table` is the one function behind the dashboard, the meeting view, the report
and the CLI, so they can never disagree.
"""

from __future__ import annotations

import math
from datetime import date
from typing import Any

import pandas as pd

from fazhi import chinese
from fazhi.catalog import Catalog, Indicator, Measure
from fazhi.db import Database
from fazhi.labels import Status
from fazhi.measures import direct_keys, grouped, paired
from fazhi.permissions import User, require_view
from fazhi.targets import targets_for
from fazhi.units import Unit, children

SHORTFALLS = (Status.BEHIND, Status.MISSED, Status.NO_DATA)


def _measure_value(
    measure: Measure, parts: dict[str, float | None], direct: dict[Measure, str]
) -> float | None:
    if measure in direct:
        return parts.get(direct[measure])  # None: no latest value

    def total(keys: list[str]) -> float:  # counts and sums of non-null values are never NULL
        return sum(parts.get(key) or 0.0 for key in keys)

    if measure.kind == "count":
        if measure.where:  # a yes/no field is 1 or 0, so "records where it is 是" is its sum
            return total([f"s:{t}:{measure.where}" for t in measure.types])
        return total([f"n:{t}" for t in measure.types])
    codes = measure.fields or (measure.field,)
    return total([f"s:{t}:{code}" for t in measure.types for code in codes])


def compute_values(
    db: Database, catalog: Catalog, unit: Unit, years: list[int], *, by_child: bool = False
) -> pd.DataFrame:
    """Every indicator's value for a unit with its children, for each year (and each child when asked).

    Columns: year, bucket (unit id: the unit itself, or the child unit whose subtree holds the records),
    code, value (None when a ratio's denominator is 0 or there is no latest value), numerator,
    denominator, records (how many records of the indicator's types). From `measures.grouped`.
    """
    direct = direct_keys(catalog)
    groups = grouped(db, catalog, unit, years, by_child=by_child)
    out = []
    for (year, bucket), parts in sorted(groups.items()):
        for indicator in catalog.indicators:
            measured = {m: _measure_value(m, parts, direct) for m in indicator.measures()}
            if paired(indicator):
                num, den = indicator.numerator.field, indicator.denominator.field  # type: ignore[union-attr]
                types = indicator.numerator.types  # type: ignore[union-attr]
                measured[indicator.denominator] = sum(parts.get(f"p:{t}:{num}:{den}", 0.0) for t in types)  # type: ignore[index,misc]
            first = indicator.measures()[0]
            records = int(sum(parts.get(f"n:{t}") or 0.0 for t in first.types))
            value, numerator, denominator = _combine(indicator, measured)
            out.append((year, bucket, indicator.code, value, numerator, denominator, records))
    frame = pd.DataFrame(
        out, columns=["year", "bucket", "code", "value", "numerator", "denominator", "records"]
    )
    return _fill_missing(frame, catalog, years, by_child, unit)


def _number(raw: Any) -> float | None:
    if raw is None:
        return None
    value = float(raw)
    return None if math.isnan(value) else value


def _combine(
    indicator: Indicator, measured: dict[Measure, Any]
) -> tuple[float | None, float | None, float | None]:
    if indicator.kind == "ratio":
        numerator = _number(measured[indicator.numerator]) or 0.0  # type: ignore[index]
        denominator = _number(measured[indicator.denominator]) or 0.0  # type: ignore[index]
        if denominator == 0:
            return None, numerator, denominator
        return numerator / denominator * indicator.factor, numerator, denominator
    return _number(measured[indicator.measure]), None, None  # type: ignore[index]


def _fill_missing(
    frame: pd.DataFrame, catalog: Catalog, years: list[int], by_child: bool, unit: Unit
) -> pd.DataFrame:
    """Add rows for years without any record: counts and sums are 0, ratios and latest values None."""
    present = set(zip(frame["year"], frame["bucket"], strict=True))
    wanted = {(y, unit.id) for y in years} if not by_child else set()
    missing = [(y, b) for y, b in sorted(wanted - present)]
    if not missing:
        return frame
    extra = []
    for year, bucket in missing:
        for indicator in catalog.indicators:
            value = 0.0 if indicator.kind not in ("ratio", "latest", "yesno") else None
            numerator, denominator = (0.0, 0.0) if indicator.kind == "ratio" else (None, None)
            extra.append((year, bucket, indicator.code, value, numerator, denominator, 0))
    filler = pd.DataFrame(extra, columns=frame.columns)
    return filler if frame.empty else pd.concat([frame, filler], ignore_index=True)


def year_share(year: int, today: date | None = None) -> float:
    """The share of `year` already passed on `today` (1 for past years, 0 for future ones)."""
    today = today or date.today()
    if year < today.year:
        return 1.0
    if year > today.year:
        return 0.0
    start, end = date(year, 1, 1), date(year, 12, 31)
    return ((today - start).days + 1) / ((end - start).days + 1)


def _assess(
    indicator: Indicator, value: float | None, target: float | None, records: int, share: float
) -> tuple[float | None, Status]:
    """(completion %, status) of one indicator against its target."""
    if indicator.direction == "neutral" or target is None:
        return None, Status.INFO if records else Status.NO_DATA
    if indicator.direction == "zero":
        return (100.0, Status.DONE) if not value else (0.0, Status.MISSED)
    if value is None or (records == 0 and indicator.direction in ("up", "yes")):
        return (0.0 if value is not None else None), Status.NO_DATA
    if indicator.direction == "yes":
        return (100.0, Status.DONE) if value >= 1 else (0.0, Status.MISSED)
    if indicator.direction == "down":
        if value <= target:
            return 100.0, Status.DONE
        return (target / value * 100 if value else 0.0), Status.MISSED
    completion = value / target * 100 if target else 100.0
    if completion >= 100:
        return completion, Status.DONE
    if indicator.cumulative and completion >= share * 100:
        return completion, Status.ON_TRACK
    return completion, Status.BEHIND if share < 1 else Status.MISSED


def indicator_table(
    db: Database, user: User, catalog: Catalog, unit: Unit, year: int, *, today: date | None = None
) -> pd.DataFrame:
    """Every indicator for the unit (with its children) and year, with target, completion and last year.

    Columns: code, name, unit, kind, direction, area_code, area, area_name, value, numerator, denominator,
    records, previous_records, target, completion (%), previous (last year's value), change (value − previous),
    change_pct (% of previous; None when previous is 0 or missing), status, definition, and the formatted
    value_text, target_text, previous_text. Rows follow the catalog order.
    """
    require_view(user, unit)
    values = compute_values(db, catalog, unit, [year - 1, year])
    return _table(catalog, values, targets_for(db, catalog, unit, year), year, year_share(year, today))


def child_tables(
    db: Database, user: User, catalog: Catalog, unit: Unit, year: int, *, today: date | None = None
) -> dict[int, pd.DataFrame]:
    """`indicator_table` of every child unit (each with its own subtree and targets), by child id, from one
    query for all of them (a county comparing its townships)."""
    require_view(user, unit)
    years = [year - 1, year]
    values = compute_values(db, catalog, unit, years, by_child=True)
    share = year_share(year, today)
    tables = {}
    for child in children(db, unit):
        own = _fill_missing(values[values["bucket"] == child.id], catalog, years, False, child)
        tables[child.id] = _table(catalog, own, targets_for(db, catalog, child, year), year, share)
    return tables


def _table(
    catalog: Catalog, values: pd.DataFrame, targets: dict[str, float | None], year: int, share: float
) -> pd.DataFrame:
    """The indicator table from one unit's values of `year` and the year before (see indicator_table)."""
    # plain dicts once: a DataFrame.at per cell (six per indicator) was most of this function's time
    this = values[values["year"] == year].set_index("code").to_dict("index")
    last = values[values["year"] == year - 1].set_index("code").to_dict("index")
    rows = []
    for indicator in catalog.indicators:
        value = _number(this[indicator.code]["value"])
        previous = _number(last[indicator.code]["value"])
        records = int(this[indicator.code]["records"])
        previous_records = int(last[indicator.code]["records"])
        target = targets[indicator.code]
        completion, status = _assess(indicator, value, target, records, share)
        change = None if value is None or previous is None else value - previous
        change_pct = None if change is None or not previous else change / previous * 100
        area = catalog.indicator_area(indicator, year)
        rows.append(
            {
                "code": indicator.code,
                "name": indicator.name,
                "unit": indicator.unit,
                "kind": indicator.kind,
                "direction": indicator.direction,
                "area_code": area.code,
                "area": area.short,
                "area_name": area.name,
                "value": value,
                "numerator": _number(this[indicator.code]["numerator"]),
                "denominator": _number(this[indicator.code]["denominator"]),
                "records": records,
                "previous_records": previous_records,
                "target": target,
                "completion": completion,
                "previous": previous,
                "change": change,
                "change_pct": change_pct,
                "status": status,
                "definition": indicator.definition,
                "value_text": format_value(indicator, value),
                "target_text": format_value(indicator, target),
                "previous_text": format_value(indicator, previous),
            }
        )
    return pd.DataFrame(rows)


def format_value(indicator: Indicator, value: float | None) -> str:
    """A value as people read it: '2536份', '95%', '3.5万元', '是'; '—' when there is none."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if indicator.kind == "yesno":
        return "是" if value >= 1 else "否"
    text = chinese.number(value, 1)
    return f"{text}{indicator.unit}" if indicator.unit else text


def shortfalls(table: pd.DataFrame) -> pd.DataFrame:
    """The rows of an `indicator_table` that need attention: no records yet, behind pace, or missed."""
    return table[table["status"].isin(SHORTFALLS)]

"""Indicators computed in DuckDB for a unit together with everything below it.

One SQL query computes every measure of every indicator for the requested years (and, when asked, per
child unit); Python then only combines measures into ratios and compares with targets. `indicator_table`
is the one function behind the dashboard, the meeting view, the report and the CLI, so they can never
disagree.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from typing import Any

import pandas as pd

from fazhi.auth import User, require_view
from fazhi.catalog import Catalog, Indicator, Measure
from fazhi.db import Database
from fazhi.targets import targets_for
from fazhi.units import Unit

STATUS_DONE = "达标"
STATUS_ON_TRACK = "进度正常"
STATUS_BEHIND = "落后"
STATUS_MISSED = "未达标"
STATUS_NO_DATA = "无记录"
STATUS_INFO = "仅统计"
SHORTFALLS = (STATUS_BEHIND, STATUS_MISSED, STATUS_NO_DATA)


def _sql_list(codes: tuple[str, ...]) -> str:
    # codes are validated by the catalog as [a-z][a-z0-9_]*, so quoting them is safe
    return ", ".join(f"'{code}'" for code in codes)


def _condition(measure: Measure) -> str:
    condition = f"type_code IN ({_sql_list(measure.types)})"
    if measure.where:
        condition += f' AND "f_{measure.where}" = 1'
    return condition


def _expression(measure: Measure) -> str:
    """The aggregate that computes one measure over the wide records table `w`."""
    cond = _condition(measure)
    if measure.kind == "count":
        return f"count(*) FILTER (WHERE {cond})"
    if measure.kind == "sum":
        return f'coalesce(sum("f_{measure.field}") FILTER (WHERE {cond}), 0)'
    if measure.kind == "distinct_days":
        days = f"list(generate_series(start_on, end_on, INTERVAL 1 DAY)) FILTER (WHERE {cond})"
        return f"coalesce(len(list_distinct(flatten({days}))), 0)"
    if measure.kind == "distinct_places":
        return f"count(DISTINCT nullif(trim(place), '')) FILTER (WHERE {cond})"
    if measure.kind == "distinct_quarters":
        return f"count(DISTINCT quarter(start_on)) FILTER (WHERE {cond})"
    if measure.kind == "latest":
        return f'arg_max("f_{measure.field}", (start_on, id)) FILTER (WHERE {cond} AND "f_{measure.field}" IS NOT NULL)'
    raise ValueError(measure.kind)


@dataclass(frozen=True)
class _Plan:
    sql: str
    measures: tuple[Measure, ...]
    record_counts: tuple[tuple[str, ...], ...]


def _plan(catalog: Catalog, by_child: bool) -> _Plan:
    measures = tuple(dict.fromkeys(m for i in catalog.indicators for m in i.measures()))
    type_sets = tuple(dict.fromkeys(tuple(i.measures()[0].types) for i in catalog.indicators))
    fields = sorted({f for m in measures for f in (m.field, m.where) if f})
    pivot = ", ".join(f"max(num_value) FILTER (WHERE field_code = '{f}') AS \"f_{f}\"" for f in fields)
    columns = [f"{_expression(m)} AS m{n}" for n, m in enumerate(measures)]
    columns += [
        f"count(*) FILTER (WHERE type_code IN ({_sql_list(t)})) AS n{n}" for n, t in enumerate(type_sets)
    ]
    bucket = (
        "CASE WHEN u.path = $path THEN $unit_id"
        " ELSE CAST(string_split(u.path, '/')[$depth + 2] AS INTEGER) END"
        if by_child
        else "$unit_id"
    )
    sql = f"""
        WITH r AS (
            SELECT r.id, r.type_code, r.start_on, r.end_on, r.place, year(r.start_on) AS year, {bucket} AS bucket
            FROM records r JOIN units u ON u.id = r.unit_id
            WHERE NOT r.is_deleted AND u.path LIKE $path || '%'
              AND r.start_on BETWEEN $first AND $last
        ),
        f AS (
            SELECT record_id, {pivot}
            FROM record_values WHERE record_id IN (SELECT id FROM r)
            GROUP BY record_id
        ),
        w AS (SELECT * FROM r LEFT JOIN f ON f.record_id = r.id)
        SELECT year, bucket, {", ".join(columns)}
        FROM w GROUP BY year, bucket
    """
    return _Plan(sql, measures, type_sets)


def compute_values(
    db: Database, catalog: Catalog, unit: Unit, years: list[int], *, by_child: bool = False
) -> pd.DataFrame:
    """Every indicator's value for a unit with its children, for each year (and each child when asked).

    Columns: year, bucket (unit id: the unit itself, or the child unit whose subtree holds the records),
    code, value (None when a ratio's denominator is 0 or there is no latest value), numerator,
    denominator, records (how many records the indicator draws on). All in one query.
    """
    plan = _plan(catalog, by_child)
    params: dict[str, Any] = {
        "path": unit.path,
        "unit_id": unit.id,
        "first": date(min(years), 1, 1),
        "last": date(max(years), 12, 31),
    }
    if by_child:
        params["depth"] = unit.path.strip("/").count("/") + 1
    rows = db.rows(plan.sql, params)
    index = {m: n for n, m in enumerate(plan.measures)}
    type_index = {t: n for n, t in enumerate(plan.record_counts)}
    out = []
    for row in rows:
        year, bucket, values = row[0], row[1], row[2:]
        counts = values[len(plan.measures) :]
        for indicator in catalog.indicators:
            measured = {m: values[index[m]] for m in indicator.measures()}
            records = int(counts[type_index[tuple(indicator.measures()[0].types)]])
            value, numerator, denominator = _combine(indicator, measured)
            out.append((int(year), int(bucket), indicator.code, value, numerator, denominator, records))
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
) -> tuple[float | None, str]:
    """(completion %, status) of one indicator against its target."""
    if indicator.direction == "neutral" or target is None:
        return None, STATUS_INFO if records else STATUS_NO_DATA
    if indicator.direction == "zero":
        return (100.0, STATUS_DONE) if not value else (0.0, STATUS_MISSED)
    if value is None or (records == 0 and indicator.direction in ("up", "yes")):
        return (0.0 if value is not None else None), STATUS_NO_DATA
    if indicator.direction == "yes":
        return (100.0, STATUS_DONE) if value >= 1 else (0.0, STATUS_MISSED)
    if indicator.direction == "down":
        if value <= target:
            return 100.0, STATUS_DONE
        return (target / value * 100 if value else 0.0), STATUS_MISSED
    completion = value / target * 100 if target else 100.0
    if completion >= 100:
        return completion, STATUS_DONE
    if indicator.cumulative and completion >= share * 100:
        return completion, STATUS_ON_TRACK
    return completion, STATUS_BEHIND if share < 1 else STATUS_MISSED


def indicator_table(
    db: Database, user: User, catalog: Catalog, unit: Unit, year: int, *, today: date | None = None
) -> pd.DataFrame:
    """Every indicator for the unit (with its children) and year, with target, completion and last year.

    Columns: code, name, unit, kind, direction, area_code, area, area_name, value, numerator, denominator,
    records, target, completion (%), previous (last year's value), change (value − previous),
    change_pct (% of previous; None when previous is 0 or missing), status, definition, and the formatted
    value_text, target_text, previous_text. Rows follow the catalog order.
    """
    require_view(user, unit)
    values = compute_values(db, catalog, unit, [year - 1, year])
    this = values[values["year"] == year].set_index("code")
    last = values[values["year"] == year - 1].set_index("code")
    targets = targets_for(db, catalog, unit, year)
    share = year_share(year, today)
    rows = []
    for indicator in catalog.indicators:
        value = _number(this.at[indicator.code, "value"])
        previous = _number(last.at[indicator.code, "value"])
        records = int(this.at[indicator.code, "records"])
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
                "numerator": _number(this.at[indicator.code, "numerator"]),
                "denominator": _number(this.at[indicator.code, "denominator"]),
                "records": records,
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
    if float(value).is_integer():
        text = str(int(value))
    else:
        text = f"{value:.1f}".rstrip("0").rstrip(".")
    return f"{text}{indicator.unit}" if indicator.unit else text


def shortfalls(table: pd.DataFrame) -> pd.DataFrame:
    """The rows of an `indicator_table` that need attention: no records yet, behind pace, or missed."""
    return table[table["status"].isin(SHORTFALLS)]

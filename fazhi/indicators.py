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

from fazhi import chinese
from fazhi.catalog import Catalog, Indicator, Measure
from fazhi.db import Database
from fazhi.labels import Status
from fazhi.permissions import User, require_view
from fazhi.targets import targets_for
from fazhi.units import Unit, children

SHORTFALLS = (Status.BEHIND, Status.MISSED, Status.NO_DATA)


def _sql_list(codes: tuple[str, ...]) -> str:
    # codes are validated by the catalog as [a-z][a-z0-9_]*, so quoting them is safe
    return ", ".join(f"'{code}'" for code in codes)


_DIRECT = {"distinct_days", "distinct_places", "distinct_quarters", "latest"}


def _latest_combine(catalog: Catalog, measure: Measure) -> str:
    """How units' latest values make one: a stock is added up (持证执法人员), a rate averaged (满意度 %), a
    yes/no is 是 only when every unit that recorded it says 是 (the smallest)."""
    if measure.kind != "latest":
        return "sum"
    field = catalog.type(measure.types[0]).field(measure.field or "")
    return "avg" if field.unit == "%" and field.spec.combined == "sum" else field.spec.combined


def _direct_part(key: str, measure: Measure) -> str:
    """A SELECT computing one distinct measure (days, places, quarters), which cannot be added up from
    per-type parts ('latest' measures are all in _latest_part)."""
    types = f"r.type_code IN ({_sql_list(measure.types)})"
    if measure.kind == "distinct_days":  # every day a record spans, each counted once
        return (
            f"SELECT r.year, r.bucket, '{key}' AS key, count(DISTINCT d.day) AS value FROM r"
            f" CROSS JOIN LATERAL generate_series(r.start_on, r.end_on, INTERVAL '1 day') AS d(day)"
            f" WHERE {types} GROUP BY 1, 2, 3"
        )
    expression = {
        "distinct_places": "count(DISTINCT nullif(trim(r.place), ''))",
        "distinct_quarters": "count(DISTINCT extract(quarter FROM r.start_on))",
    }[measure.kind]
    return f"SELECT r.year, r.bucket, '{key}' AS key, {expression} AS value FROM r WHERE {types} GROUP BY 1, 2, 3"


def _latest_part(catalog: Catalog, latest: dict[Measure, str]) -> list[str]:
    """One SELECT for every 'latest' measure (each unit's latest value, then the units of the bucket
    combined, see _latest_combine): the measures are a VALUES list joined to the values, since one
    aggregate per measure (17 of them, two each) was most of the query's time."""
    if not latest:
        return []
    rows = ", ".join(
        f"('{key}', '{code}', '{measure.field}', '{_latest_combine(catalog, measure)}')"
        for measure, key in latest.items()
        for code in measure.types
    )
    # each unit's newest value by a window, not DuckDB's arg_max, and min(combine) for the one combine of a
    # key, not any_value (PostgreSQL 15 has neither): the SQL runs on both backends
    return [
        "SELECT year, bucket, key, CASE min(combine) WHEN 'min' THEN min(value) WHEN 'avg' THEN avg(value)"
        " ELSE sum(value) END AS value FROM ("
        "SELECT r.year, r.bucket, m.key, m.combine, v.num_value AS value, row_number() OVER"
        " (PARTITION BY r.year, r.bucket, r.unit_id, m.key ORDER BY r.start_on DESC, r.id DESC) AS newest"
        f" FROM r JOIN rv v ON v.record_id = r.id JOIN (VALUES {rows}) AS m(key, type_code, field_code, combine)"
        " ON m.type_code = r.type_code AND m.field_code = v.field_code"
        " WHERE v.num_value IS NOT NULL"
        ") AS latest WHERE newest = 1 GROUP BY year, bucket, key"
    ]


def _pairs_part(pairs: list[tuple[Any, Any]]) -> list[str]:
    """One SELECT for every paired ratio's denominator: the sum of the denominator field over the records
    whose numerator field is filled in, per type (the pairs a VALUES list, as in _latest_part)."""
    if not pairs:
        return []
    rows = ", ".join(f"('{num}', '{den}')" for num, den in pairs)
    return [
        "SELECT r.year, r.bucket, 'p:' || r.type_code || ':' || pr.num || ':' || pr.den AS key,"
        " sum(d.num_value) AS value"
        " FROM r JOIN rv n ON n.record_id = r.id AND n.num_value IS NOT NULL"
        f" JOIN (VALUES {rows}) AS pr(num, den) ON pr.num = n.field_code"
        " JOIN rv d ON d.record_id = r.id AND d.field_code = pr.den GROUP BY 1, 2, 3"
    ]


@dataclass(frozen=True)
class _Plan:
    sql: str
    direct: dict[Measure, str]


def _paired(indicator: Indicator) -> bool:
    """A ratio of two field sums over the same types: its denominator counts only the records that have the
    numerator filled in (调解成功 left blank is unknown, not 0)."""
    n, d = indicator.numerator, indicator.denominator
    return (
        indicator.kind == "ratio"
        and n is not None
        and d is not None
        and n.kind == d.kind == "sum"
        and n.types == d.types
        and not n.where
        and not d.where
        and not n.fields
        and not d.fields
    )


def _plan(catalog: Catalog, by_child: bool) -> _Plan:
    """One query: records per type, field sums per type, and each distinct/latest measure, as long rows."""
    measures = dict.fromkeys(m for i in catalog.indicators for m in i.measures())
    direct = {m: f"m{n}" for n, m in enumerate(measures) if m.kind in _DIRECT}
    pairs = sorted({(i.numerator.field, i.denominator.field) for i in catalog.indicators if _paired(i)})  # type: ignore[union-attr]
    bucket = (
        "CASE WHEN u.path = $path THEN $unit_id ELSE CAST(split_part(u.path, '/', $depth + 2) AS INTEGER) END"
        if by_child
        else "$unit_id"
    )
    parts = [
        "SELECT year, bucket, 'n:' || type_code AS key, count(*) AS value FROM r GROUP BY 1, 2, 3",
        "SELECT r.year, r.bucket, 's:' || r.type_code || ':' || v.field_code AS key, sum(v.num_value) AS value"
        " FROM r JOIN rv v ON v.record_id = r.id WHERE v.num_value IS NOT NULL GROUP BY 1, 2, 3",
        *(_direct_part(key, m) for m, key in direct.items() if m.kind != "latest"),
        *_latest_part(catalog, {m: key for m, key in direct.items() if m.kind == "latest"}),
        *_pairs_part(pairs),
    ]
    sql = f"""
        WITH r AS (
            SELECT r.id, r.unit_id, r.type_code, r.start_on, r.end_on, r.place, year(r.start_on) AS year,
                {bucket} AS bucket
            FROM records r JOIN units u ON u.id = r.unit_id
            WHERE NOT r.is_deleted AND u.path LIKE $path || '%' AND r.start_on BETWEEN $first AND $last
        ),
        -- the values of those records, read once: each of the ~40 parts below joining the whole
        -- record_values table scanned it ~40 times (171 → 67 ms for a 乡镇 of a 200,000-record file)
        rv AS (SELECT * FROM record_values WHERE record_id IN (SELECT id FROM r))
        {" UNION ALL ".join(parts)}
    """
    return _Plan(sql, direct)


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
    denominator, records (how many records of the indicator's types). All from one query.
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
    groups: dict[tuple[int, int], dict[str, float | None]] = {}
    for year, bucket, key, value in db.rows(plan.sql, params):
        groups.setdefault((int(year), int(bucket)), {})[key] = None if value is None else float(value)
    out = []
    for (year, bucket), parts in sorted(groups.items()):
        for indicator in catalog.indicators:
            measured = {m: _measure_value(m, parts, plan.direct) for m in indicator.measures()}
            if _paired(indicator):
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

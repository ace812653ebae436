"""The indicators' measures in SQL, computed per unit and year and kept as parts until that unit's records
change, so a 区县's figures add up cached parts instead of reading every record again.

A measure (catalog.Measure) is a count, a field sum, a paired denominator, a unit's latest value or a
distinct count (days, places, quarters). `measure_rows` runs them all over one set of records in one
query, grouped by (year, bucket, key); the bucket is an SQL expression (the unit shown, its child, or each
record's own unit). `grouped` gives what that query gives for a unit's subtree, but from one `Part` per
(unit, year) of the subtree's units, each unit's own records only:
- counts and sums (keys `n:`, `s:`, `p:`) add up over the units;
- a 'latest' measure is each unit's newest value, combined over the units of the bucket as
  `latest_combine` says (a stock added up, a rate averaged, a yes/no the smallest);
- a distinct measure keeps the unit's distinct items (days, places, quarters), so the union is counted.

Parts are kept per open database (`Database` object, for DuckDB the one process's file) and keyed by the
unit's own `year_version` (which moves with writes to that unit's own records of that year, or with any
write not limited to units) and `generation`, read before the records are: a save in one 村 makes only
that 村's part of that year be read again (the records of that one unit, and one pass over
record_values); its 乡镇's and 区县's own parts, the other years and every other unit's stay. Each
subtree's total of a year (its own part and its children's totals added up) is kept as well, by the
subtree's `year_version`, so that save adds up again only that year's totals on the 村's path. Neither
is persistent: after a restart the first view of a 区县 reads its records once, as before.

Over 400 lines because the one-query SQL and the parts and totals that must add up to exactly what it
gives belong together: the tests hold them equal for every unit, on both backends.
"""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from fazhi.catalog import Catalog, Indicator, Measure
from fazhi.db import Database
from fazhi.units import Unit, subtree

DIRECT = {"distinct_days", "distinct_places", "distinct_quarters", "latest"}
PARTS_KEPT = 8192  # parts and subtree totals per open database (a unit and year each, a few hundred numbers)


def _sql_list(codes: Iterable[str]) -> str:
    # codes are validated by the catalog as [a-z][a-z0-9_]*, so quoting them is safe
    return ", ".join(f"'{code}'" for code in codes)


def latest_combine(catalog: Catalog, measure: Measure) -> str:
    """How units' latest values make one: a stock is added up (持证执法人员), a rate averaged (满意度 %), a
    yes/no is 是 only when every unit that recorded it says 是 (the smallest)."""
    if measure.kind != "latest":
        return "sum"
    field = catalog.type(measure.types[0]).field(measure.field or "")
    return "avg" if field.unit == "%" and field.spec.combined == "sum" else field.spec.combined


def paired(indicator: Indicator) -> bool:
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


def direct_keys(catalog: Catalog) -> dict[Measure, str]:
    """The measures that cannot be read off per-type counts and sums (distinct and latest), by their key."""
    measures = dict.fromkeys(m for i in catalog.indicators for m in i.measures())
    return {m: f"m{n}" for n, m in enumerate(measures) if m.kind in DIRECT}


def _records(bucket: str, where: str) -> str:
    """The records a query reads (not deleted, start date in $first..$last, `where`), and their values."""
    return f"""
        WITH r AS (
            SELECT r.id, r.unit_id, r.type_code, r.start_on, r.end_on, r.place, year(r.start_on) AS year,
                {bucket} AS bucket
            FROM records r JOIN units u ON u.id = r.unit_id
            WHERE NOT r.is_deleted AND {where} AND r.start_on BETWEEN $first AND $last
        ),
        -- the values of those records, read once: each of the parts below joining the whole
        -- record_values table scanned it again (171 → 67 ms for a 乡镇 of a 200,000-record file)
        rv AS (SELECT * FROM record_values WHERE record_id IN (SELECT id FROM r))
    """


def _distinct_item(key: str, measure: Measure) -> str:
    """A SELECT of one distinct measure's items per (year, bucket); a NULL item says "records, none named"."""
    types = f"r.type_code IN ({_sql_list(measure.types)})"
    if measure.kind == "distinct_days":  # every day a record spans, each counted once
        return (
            f"SELECT DISTINCT r.year, r.bucket, '{key}' AS key, CAST(d.day AS VARCHAR) AS item FROM r"
            f" CROSS JOIN LATERAL generate_series(r.start_on, r.end_on, INTERVAL '1 day') AS d(day)"
            f" WHERE {types}"
        )
    item = {
        "distinct_places": "nullif(trim(r.place), '')",
        "distinct_quarters": "CAST(extract(quarter FROM r.start_on) AS VARCHAR)",
    }[measure.kind]
    return f"SELECT DISTINCT r.year, r.bucket, '{key}' AS key, {item} AS item FROM r WHERE {types}"


def _latest_part(catalog: Catalog, latest: dict[Measure, str]) -> list[str]:
    """One SELECT for every 'latest' measure (each unit's latest value, then the units of the bucket
    combined, see latest_combine): the measures are a VALUES list joined to the values, since one
    aggregate per measure (17 of them, two each) was most of the query's time."""
    if not latest:
        return []
    rows = ", ".join(
        f"('{key}', '{code}', '{measure.field}', '{latest_combine(catalog, measure)}')"
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


def _sums(catalog: Catalog, *, distinct: bool) -> list[str]:
    """The SELECTs of records per type, field sums per type, paired denominators, latest values and (with
    `distinct`) each distinct measure's count, each giving rows (year, bucket, key, value) over r and rv."""
    direct = direct_keys(catalog)
    pairs = sorted({(i.numerator.field, i.denominator.field) for i in catalog.indicators if paired(i)})  # type: ignore[union-attr]
    counted = [
        f"SELECT year, bucket, key, count(item) AS value FROM ({_distinct_item(key, m)}) AS items"
        " GROUP BY 1, 2, 3"
        for m, key in direct.items()
        if m.kind != "latest"
    ]
    return [
        "SELECT year, bucket, 'n:' || type_code AS key, count(*) AS value FROM r GROUP BY 1, 2, 3",
        "SELECT r.year, r.bucket, 's:' || r.type_code || ':' || v.field_code AS key, sum(v.num_value) AS value"
        " FROM r JOIN rv v ON v.record_id = r.id WHERE v.num_value IS NOT NULL GROUP BY 1, 2, 3",
        *(counted if distinct else []),
        *_latest_part(catalog, {m: key for m, key in direct.items() if m.kind == "latest"}),
        *_pairs_part(pairs),
    ]


def _sums_sql(catalog: Catalog, bucket: str, where: str) -> str:
    """Every measure as long rows (year, bucket, key, value), the distinct ones counted."""
    return _records(bucket, where) + " UNION ALL ".join(_sums(catalog, distinct=True))


def _parts_sql(catalog: Catalog, where: str) -> str:
    """Per unit (the bucket) in one query: the sums as rows (year, bucket, key, value, NULL) and each
    distinct measure's items as rows (year, bucket, key, NULL, item); a NULL item says "records, none
    named". One query, not two: the records and their values are found once (a 村's part after a save)."""
    sums = " UNION ALL ".join(_sums(catalog, distinct=False))
    items = [
        f"SELECT year, bucket, key, CAST(NULL AS FLOAT8), item FROM ({_distinct_item(key, m)}) AS items{n}"
        for n, (m, key) in enumerate(direct_keys(catalog).items())
        if m.kind != "latest"
    ]
    return _records("r.unit_id", where) + " UNION ALL ".join(
        [
            f"SELECT year, bucket, key, CAST(value AS FLOAT8), CAST(NULL AS VARCHAR) FROM ({sums}) AS sums",
            *items,
        ]
    )


def _depth(unit: Unit) -> int:
    return unit.path.strip("/").count("/") + 1


def measure_rows(
    db: Database, catalog: Catalog, unit: Unit, years: Sequence[int], *, by_child: bool = False
) -> list[tuple[int, int, str, Any]]:
    """Every measure of the unit's subtree from one query over its records (no parts): (year, bucket, key,
    value) rows, the bucket the unit itself or, by child, the child whose subtree holds the record. What the
    parts are checked against, and the bench's floor."""
    bucket = (
        "CASE WHEN u.path = $path THEN $unit_id ELSE CAST(split_part(u.path, '/', $depth + 2) AS INTEGER) END"
        if by_child
        else "$unit_id"
    )
    params: dict[str, Any] = {**_span(years), "path": unit.path, "unit_id": unit.id}
    if by_child:
        params["depth"] = _depth(unit)
    sql = _sums_sql(catalog, bucket, "u.path LIKE $path || '%'")
    return db.rows(sql, params)


def _span(years: Iterable[int]) -> dict[str, date]:
    years = list(years)
    return {"first": date(min(years), 1, 1), "last": date(max(years), 12, 31)}


# ───────────── parts per unit and year, kept per open database ─────────────


@dataclass(frozen=True)
class Part:
    """One unit's own records of one year: `values` by key (counts, sums, paired denominators, the unit's
    latest values), `items` by distinct measure key (None in a set: records with no place named)."""

    values: dict[str, float | None]
    items: dict[str, frozenset[str | None]]

    @property
    def empty(self) -> bool:
        return not self.values and not self.items


_EMPTY = Part({}, {})


class _Kept:
    """The parts of one open database for one catalog, least recently used dropped past PARTS_KEPT."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.catalog: Catalog | None = None  # held, so parts of another catalog can never pass for these
        # ("own", unit, year) → (stamp, Part) and ("tree", unit, year) → (stamp, _Total)
        self.parts: OrderedDict[tuple[str, int, int], tuple[Any, Any]] = OrderedDict()

    def use(self, catalog: Catalog) -> None:
        """Parts of `catalog` from now on (another catalog's are dropped; a process has one)."""
        with self.lock:
            if self.catalog is not catalog:
                self.catalog = catalog
                self.parts.clear()

    def get(self, key: tuple[str, int, int], stamp: Any) -> Any:
        with self.lock:
            held = self.parts.get(key)
            if held is None or held[0] != stamp:
                return None
            self.parts.move_to_end(key)
            return held[1]

    def put(self, key: tuple[str, int, int], stamp: Any, part: Any) -> None:
        with self.lock:
            self.parts[key] = (stamp, part)
            self.parts.move_to_end(key)
            while len(self.parts) > PARTS_KEPT:
                self.parts.popitem(last=False)


_kept: weakref.WeakKeyDictionary[Database, _Kept] = weakref.WeakKeyDictionary()
_kept_lock = threading.Lock()


def _kept_for(db: Database) -> _Kept:
    with _kept_lock:
        kept = _kept.get(db)
        if kept is None:
            kept = _kept[db] = _Kept()
        return kept


def forget(db: Database) -> None:
    """Drop every kept part of this database (the bench times a first view)."""
    with _kept_lock:
        _kept.pop(db, None)


def parts(
    db: Database, catalog: Catalog, units: Sequence[Unit], years: Sequence[int]
) -> dict[tuple[int, int], Part]:
    """The part of every (unit, year): kept ones reused, the others read in one query for their units
    (over the years any of them misses)."""
    kept = _kept_for(db)
    kept.use(catalog)
    # the stamp is read before the records: a write committed meanwhile moves it, never the other way
    stamps = {(u.id, y): (db.generation, db.year_version(u.path, y, own=True)) for u in units for y in years}
    found: dict[tuple[int, int], Part] = {}
    missing: set[tuple[int, int]] = set()
    for key, stamp in stamps.items():
        part = kept.get(("own", *key), stamp)
        if part is None:
            missing.add(key)
        else:
            found[key] = part
    if missing:
        read = _read_parts(db, catalog, sorted({u for u, _ in missing}), sorted({y for _, y in missing}))
        for key in missing:
            part = read.get(key, _EMPTY)
            kept.put(("own", *key), stamps[key], part)
            found[key] = part
    return found


def _read_parts(
    db: Database, catalog: Catalog, unit_ids: list[int], years: Sequence[int]
) -> dict[tuple[int, int], Part]:
    where = f"r.unit_id IN ({', '.join(str(int(i)) for i in unit_ids)})"
    params = _span(years)
    values: dict[tuple[int, int], dict[str, float | None]] = {}
    items: dict[tuple[int, int], dict[str, set[str | None]]] = {}
    distinct = {key for m, key in direct_keys(catalog).items() if m.kind != "latest"}
    for year, unit_id, key, value, item in db.rows(_parts_sql(catalog, where), params):
        if key in distinct:
            items.setdefault((int(year), int(unit_id)), {}).setdefault(key, set()).add(item)
        else:
            values.setdefault((int(year), int(unit_id)), {})[key] = None if value is None else float(value)
    wanted = set(years)
    return {
        (unit_id, year): Part(
            values.get((year, unit_id), {}),
            {k: frozenset(v) for k, v in items.get((year, unit_id), {}).items()},
        )
        for (year, unit_id) in set(values) | set(items)
        if year in wanted
    }


@dataclass(frozen=True)
class _Total:
    """A subtree's measures of one year before they are finished: sums as `Part.values`, each 'latest' key's
    (sum, count, smallest) over the subtree's units (so a rate averages over units, not over 乡镇 averages),
    and the distinct items' union. `empty` when no unit of the subtree recorded anything that year."""

    sums: dict[str, float | None]
    latest: dict[str, tuple[float, int, float]]
    items: dict[str, frozenset[str | None]]
    empty: bool


def _own_total(part: Part, latest_keys: dict[str, str]) -> _Total:
    sums: dict[str, float | None] = {}
    latest: dict[str, tuple[float, int, float]] = {}
    for key, value in part.values.items():
        if key not in latest_keys:
            sums[key] = value
        elif value is not None:
            latest[key] = (value, 1, value)
    return _Total(sums, latest, part.items, part.empty)


def _added(totals: list[_Total]) -> _Total:
    """The totals of several subtrees (a unit's own part and its children's subtrees) as one."""
    present = [t for t in totals if not t.empty]
    if len(present) == 1:
        return present[0]
    sums: dict[str, float | None] = {}
    latest: dict[str, tuple[float, int, float]] = {}
    items: dict[str, set[str | None]] = {}
    for total in present:
        for key, value in total.sums.items():
            if value is None:
                sums.setdefault(key, None)
            else:
                sums[key] = (sums.get(key) or 0.0) + value
        for key, (added, count, smallest) in total.latest.items():
            held = latest.get(key)
            latest[key] = (
                (added, count, smallest)
                if held is None
                else (held[0] + added, held[1] + count, min(held[2], smallest))
            )
        for key, kept in total.items.items():
            items.setdefault(key, set()).update(kept)
    return _Total(sums, latest, {k: frozenset(v) for k, v in items.items()}, not present)


def _finished(total: _Total, latest_keys: dict[str, str]) -> dict[str, float | None]:
    into = dict(total.sums)
    for key, (added, count, smallest) in total.latest.items():
        kind = latest_keys[key]
        into[key] = smallest if kind == "min" else added / count if kind == "avg" else added
    for key, union in total.items.items():
        into[key] = float(len(union - {None}))
    return into


def _parent(path: str) -> str:
    return path[: path.rstrip("/").rfind("/") + 1]


def grouped(
    db: Database, catalog: Catalog, unit: Unit, years: Sequence[int], *, by_child: bool = False
) -> dict[tuple[int, int], dict[str, float | None]]:
    """What `measure_rows` gives, as {(year, bucket): {key: value}}, added up from the kept parts of the
    subtree's units (see the module's docstring for how each kind of measure adds up).

    Each subtree's total of a year is kept too, keyed by its `year_version` (which moves with a write
    anywhere in it in that year): after a save in one 村 only that year's totals on its path are added up
    again, each from its own part and its children's kept totals, so a 区县 of 250 units adds up a few
    dozen, not 250 parts."""
    members = subtree(db, unit)
    kept = _kept_for(db)
    kept.use(catalog)
    # read before any record is (as in `parts`): a write committed meanwhile moves it, never the other way
    years = list(years)
    stamps = {(m.id, y): (db.generation, db.year_version(m.path, y)) for m in members for y in years}
    below: dict[str, list[Unit]] = {}
    for member in members:
        if member.id != unit.id:
            below.setdefault(_parent(member.path), []).append(member)
    direct = direct_keys(catalog)
    latest_keys = {key: latest_combine(catalog, m) for m, key in direct.items() if m.kind == "latest"}
    tops = [unit] if not by_child else below.get(unit.path, [])

    # which totals are kept, and so which units' own parts are needed (one query for those not kept)
    totals: dict[tuple[int, int], _Total] = {}
    needed: dict[int, Unit] = {unit.id: unit} if by_child else {}
    waiting = list(tops)
    while waiting:
        member = waiting.pop()
        held = {year: kept.get(("tree", member.id, year), stamps[(member.id, year)]) for year in years}
        totals.update({(member.id, year): h for year, h in held.items() if h is not None})
        if None in held.values():  # that year added up again: its own part and its children's totals
            needed[member.id] = member
            waiting.extend(below.get(member.path, []))
    own = parts(db, catalog, list(needed.values()), years) if needed else {}

    def total(member: Unit, year: int) -> _Total:
        found = totals.get((member.id, year))
        if found is None:
            found = _added(
                [_own_total(own[(member.id, year)], latest_keys)]
                + [total(child, year) for child in below.get(member.path, [])]
            )
            totals[(member.id, year)] = found
            kept.put(("tree", member.id, year), stamps[(member.id, year)], found)
        return found

    result: dict[tuple[int, int], dict[str, float | None]] = {}
    for year in years:
        buckets = [(m.id, total(m, year)) for m in tops]
        if by_child:
            buckets.append((unit.id, _own_total(own[(unit.id, year)], latest_keys)))
        for bucket, found in buckets:
            if not found.empty:
                result[(year, bucket)] = _finished(found, latest_keys)
    return result

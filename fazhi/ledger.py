"""台账: which records a user sees (`RecordFilter` → `list_records`, one row per record with a column per
field), their sums, records per area, and the years that have records.

`SCOPE` is the one definition of "this unit's and its children's records of these years, not deleted"
that every per-unit-and-year query uses.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import pandas as pd

from fazhi.catalog import Catalog
from fazhi.db import Database
from fazhi.labels import BASE_FIELDS
from fazhi.permissions import User, require_view
from fazhi.units import Unit, get_unit

# Records (alias r) not deleted, of a unit (units alias u) and everything below it, starting in a range of
# years; the parameters are `scope(...)`. Paths hold only digits and slashes, so LIKE needs no escaping.
SCOPE = "NOT r.is_deleted AND u.path LIKE ? AND r.start_on BETWEEN ? AND ?"


def year_bounds(first: int, last: int | None = None) -> tuple[date, date]:
    """1 January of `first` and 31 December of `last` (default `first`)."""
    return date(first, 1, 1), date(last if last is not None else first, 12, 31)


def scope(unit: Unit, first: int, last: int | None = None) -> list[Any]:
    """The parameters of `SCOPE` for a unit and a year (or years `first`..`last`)."""
    return [unit.path + "%", *year_bounds(first, last)]


@dataclass
class RecordFilter:
    """What the 台账 list shows: all fields optional; the unit includes everything below it."""

    year: int | None = None
    unit_id: int | None = None
    type_codes: Sequence[str] = ()
    area: str | None = None
    keyword: str = ""
    date_from: date | None = None
    date_to: date | None = None
    include_deleted: bool = False
    deleted_only: bool = False
    ids: Sequence[int] | None = None
    order_by: str = "start_on"
    descending: bool = False


SORT_COLUMNS = {
    "start_on": BASE_FIELDS["start_on"],
    "updated_at": "最后修改时间",
    "unit_name": BASE_FIELDS["unit"],
    "type_code": "类型",
    "title": BASE_FIELDS["title"],
    "id": "编号",
}
_SORT_SQL = {
    "start_on": "r.start_on",
    "updated_at": "r.updated_at",
    "unit_name": "u.path",
    "type_code": "r.type_code",
    "title": "r.title",
    "id": "r.id",
}


def _like(text: str) -> str:
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def list_records(
    db: Database, user: User, catalog: Catalog, filters: RecordFilter | None = None
) -> pd.DataFrame:
    """The records the user may see that match the filter, one row each with a column per field code.

    Columns: id, unit_id, unit_name, type_code, type_name, area_name, title, start_on, end_on, place, summary,
    version, updated_by, updated_at, is_deleted, updated_by_name (the person's name, else the login name), then one column per field code present (integers as Int64).
    """
    filters = filters or RecordFilter()
    where = ["u.path LIKE ?"]  # paths hold only digits and slashes, so no escaping is needed
    params: list[Any] = [user.unit_path + "%"]
    if filters.unit_id is not None:
        unit = get_unit(db, filters.unit_id)
        require_view(user, unit)
        where.append("u.path LIKE ?")
        params.append(unit.path + "%")
    if filters.deleted_only:
        where.append("r.is_deleted")
    elif not filters.include_deleted:
        where.append("NOT r.is_deleted")
    if filters.year is not None:
        where.append("r.start_on BETWEEN ? AND ?")
        params += list(year_bounds(filters.year))
    type_codes = list(filters.type_codes)
    if filters.area:
        in_area = [
            code
            for code in catalog.record_types
            if catalog.area_of(code, filters.year or date.today().year).code == filters.area
        ]
        type_codes = [c for c in type_codes if c in in_area] if type_codes else in_area
        if not type_codes:
            type_codes = ["\x00none"]
    if type_codes:
        where.append("list_contains(?, r.type_code)")
        params.append(type_codes)
    if filters.keyword.strip():
        where.append(
            "(r.title ILIKE ? ESCAPE '\\' OR r.place ILIKE ? ESCAPE '\\' OR r.summary ILIKE ? ESCAPE '\\')"
        )
        params += [_like(filters.keyword.strip())] * 3
    if filters.date_from:
        where.append("r.end_on >= ?")
        params.append(filters.date_from)
    if filters.date_to:
        where.append("r.start_on <= ?")
        params.append(filters.date_to)
    if filters.ids is not None:
        where.append("list_contains(?, r.id)")
        params.append([int(i) for i in filters.ids])
    order = _SORT_SQL.get(filters.order_by, "r.start_on") + (" DESC" if filters.descending else "")
    if filters.order_by == "type_code":  # catalog order, as the entry form lists the types
        order = "list_position(?, r.type_code)" + (" DESC" if filters.descending else "")
        params.append(list(catalog.record_types))
    sql = (
        "SELECT r.id, r.unit_id, u.name AS unit_name, r.type_code, r.title, r.start_on, r.end_on, r.place,"
        " r.summary, r.version, r.updated_by, r.updated_at, r.is_deleted,"
        " coalesce(nullif(p.display_name, ''), r.updated_by) AS updated_by_name"  # the person, not the login
        " FROM records r JOIN units u ON u.id = r.unit_id LEFT JOIN users p ON p.username = r.updated_by WHERE "
        + " AND ".join(where)
        + f" ORDER BY {order}, r.id{' DESC' if filters.descending else ''}"
    )
    with db.cursor() as cur:
        frame = cur.execute(sql, params).df()
        if frame.empty:
            values = pd.DataFrame(columns=["record_id", "field_code", "num_value", "text_value"])
        else:
            cur.register("listed_ids", frame[["id"]])
            try:
                values = cur.execute(
                    "SELECT v.record_id, v.field_code, v.num_value, v.text_value"
                    " FROM record_values v JOIN listed_ids l ON l.id = v.record_id"
                ).df()
            finally:
                cur.unregister("listed_ids")
    frame.insert(4, "type_name", frame["type_code"].map(catalog.type_name))
    frame.insert(
        5,
        "area_name",
        [_area_name(catalog, c, d) for c, d in zip(frame["type_code"], frame["start_on"], strict=True)],
    )
    frame["is_deleted"] = frame["is_deleted"].astype(bool)
    for date_column in ("start_on", "end_on"):
        frame[date_column] = pd.to_datetime(frame[date_column]).dt.date
    return _with_values(frame, values, catalog)


def _area_name(catalog: Catalog, code: str, day: Any) -> str:
    if code not in catalog.record_types:
        return ""
    return catalog.area_of(code, pd.Timestamp(day).year).short


def _with_values(frame: pd.DataFrame, values: pd.DataFrame, catalog: Catalog) -> pd.DataFrame:
    by_code = catalog.fields_by_code()
    codes = set(values["field_code"].unique())  # once: rebuilding it per code cost seconds at 10,000 records
    present = [c for c in by_code if c in codes]
    if not present:
        return frame
    # One pivot per storage column, aligned to the listed ids once, and every field column added in one
    # concat: a map and an insert per field cost most of a 台账 run (about 150 fields at 4,000 records).
    ids = pd.Index(frame["id"])
    numeric = values[values["num_value"].notna()].pivot(
        index="record_id", columns="field_code", values="num_value"
    )
    text = values[values["text_value"].notna()].pivot(
        index="record_id", columns="field_code", values="text_value"
    )
    numeric, text = numeric.reindex(ids), text.reindex(ids)
    columns: dict[str, pd.Series] = {}
    for code in present:
        spec = by_code[code].spec
        source = numeric if spec.numeric else text
        if code in source.columns:
            column = pd.Series(source[code].to_numpy(), index=frame.index)
        else:
            column = pd.Series(index=frame.index, dtype="float64")
        columns[code] = spec.column(column)
    return pd.concat([frame, pd.DataFrame(columns, index=frame.index)], axis=1)


def totals(frame: pd.DataFrame, catalog: Catalog) -> dict[str, float | int]:
    """Sum of each integer or decimal field column in a `list_records` frame (percent and yes/no are not summed)."""
    sums: dict[str, float | int] = {}
    for code, item in catalog.fields_by_code().items():
        if code in frame.columns and item.spec.summed:
            sums[code] = item.spec.stored(frame[code].sum(skipna=True))
    return sums


def count_by_area(db: Database, user: User, catalog: Catalog, unit_id: int, year: int) -> pd.DataFrame:
    """Records per area of that year's 纲要 for a unit and its children: columns area, short, records."""
    unit = get_unit(db, unit_id)
    require_view(user, unit)
    counts = dict(
        db.rows(
            f"SELECT r.type_code, count(*) FROM records r JOIN units u ON u.id = r.unit_id"
            f" WHERE {SCOPE} GROUP BY r.type_code",
            scope(unit, year),
        )
    )
    outline = catalog.outline_for(year)
    per_area = {area.code: 0 for area in outline.areas}
    for code, number in counts.items():
        if code in catalog.record_types:
            per_area[catalog.area_of(code, year).code] += int(number)
    return pd.DataFrame(
        [(area.name, area.short, per_area[area.code]) for area in outline.areas],
        columns=["area", "short", "records"],
    )


def years_with_records(db: Database, user: User) -> list[int]:
    """Years that have records the user may see, newest first."""
    rows = db.rows(
        "SELECT DISTINCT year(r.start_on) AS y FROM records r JOIN units u ON u.id = r.unit_id"
        " WHERE NOT r.is_deleted AND u.path LIKE ? ORDER BY y DESC",
        [user.unit_path + "%"],
    )
    return [int(r[0]) for r in rows]

"""Records of work, stored: add, update (with conflict detection), soft delete, restore, read, bulk insert.

Every write validates first (`fazhi/validation.py`), is permission-checked, refused in a locked year, and
audited in the same transaction. Listing records for 台账 is `fazhi/ledger.py`; showing them to people is
`fazhi/record_display.py`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from datetime import date, datetime
from typing import Any

import pandas as pd

from fazhi import audit
from fazhi.catalog import Catalog
from fazhi.db import Cursor, Database, single
from fazhi.errors import InvalidRecord, NotFound, Problem, RecordConflict
from fazhi.fields import stored_value
from fazhi.locks import ensure_unlocked
from fazhi.permissions import Scope, User, require_admin, require_edit, require_view
from fazhi.units import Unit, get_unit
from fazhi.validation import RecordInput, ValidRecord, validate


@dataclass(frozen=True)
class Record:
    """A stored record with its field values (integers as int, yes/no as bool, text as str)."""

    id: int
    unit_id: int
    unit_name: str
    type_code: str
    title: str
    start_on: date
    end_on: date
    place: str
    summary: str
    values: dict[str, Any]
    version: int
    created_by: str
    created_at: datetime
    updated_by: str
    updated_at: datetime
    is_deleted: bool = False

    def as_input(self) -> RecordInput:
        """The record as an editable input."""
        return RecordInput(
            self.type_code,
            self.unit_id,
            self.title,
            self.start_on,
            self.end_on,
            self.place,
            self.summary,
            dict(self.values),
        )

    def snapshot(self) -> dict[str, Any]:
        """The record's content for the audit log and the conflict view."""
        return {
            "unit": self.unit_name,
            "type_code": self.type_code,
            "title": self.title,
            "start_on": self.start_on,
            "end_on": self.end_on,
            "place": self.place,
            "summary": self.summary,
            "values": self.values,
            "version": self.version,
        }


@dataclass(frozen=True)
class Saved:
    """The outcome of a save: the record id, its version and any notices (e.g. removed characters)."""

    id: int
    version: int
    notices: tuple[str, ...] = ()


_RECORD_SQL = (
    "SELECT r.id, r.unit_id, u.name, r.type_code, r.title, r.start_on, r.end_on, r.place, r.summary,"
    " r.version, r.created_by, r.created_at, r.updated_by, r.updated_at, r.is_deleted, u.path"
    " FROM records r JOIN units u ON u.id = r.unit_id WHERE r.id = ?"
)


def _load(cur: Cursor, catalog: Catalog, record_id: int) -> tuple[Record, str] | None:
    row = cur.execute(_RECORD_SQL, [record_id]).fetchone()
    if row is None:
        return None
    record_type = catalog.record_types.get(row[3])
    known = {f.code: f for f in record_type.fields} if record_type else {}
    values = {
        code: stored_value(known.get(code), num, text)
        for code, num, text in cur.execute(
            "SELECT field_code, num_value, text_value FROM record_values WHERE record_id = ? ORDER BY field_code",
            [record_id],
        ).fetchall()
    }
    record = Record(
        id=row[0],
        unit_id=row[1],
        unit_name=row[2],
        type_code=row[3],
        title=row[4],
        start_on=row[5],
        end_on=row[6],
        place=row[7],
        summary=row[8],
        values=values,
        version=row[9],
        created_by=row[10],
        created_at=row[11],
        updated_by=row[12],
        updated_at=row[13],
        is_deleted=bool(row[14]),
    )
    return record, row[15]


def get_record(
    db: Database, user: User, catalog: Catalog, record_id: int, *, include_deleted: bool = False
) -> Record:
    """The record, if the user may see it; NotFound for missing (or deleted, unless asked)."""
    with db.cursor() as cur:
        loaded = _load(cur, catalog, record_id)
    if loaded is None or (loaded[0].is_deleted and not include_deleted):
        raise NotFound(f"找不到编号为 {record_id} 的记录（可能已被删除）。")
    record, path = loaded
    require_view(user, Scope(record.unit_name, path))
    return record


def _value_rows(record_id: int, values: dict[str, Any]) -> list[tuple[int, str, float | None, str | None]]:
    rows: list[tuple[int, str, float | None, str | None]] = []
    for code, value in values.items():
        if isinstance(value, str):
            rows.append((record_id, code, None, value))
        else:
            rows.append((record_id, code, float(value), None))
    return rows


def _writable_unit(cur: Cursor, user: User, unit_id: int, year: int) -> Unit:
    try:
        unit = get_unit(cur, unit_id)
    except NotFound:
        raise InvalidRecord([Problem("unit_id", "请选择单位。")]) from None
    require_edit(user, unit)
    ensure_unlocked(cur, unit, year)
    return unit


def add_record(
    db: Database, user: User, catalog: Catalog, item: RecordInput | ValidRecord, *, year: int | None = None
) -> Saved:
    """Validate and store a new record; the function the entry form uses."""
    cleaned, notices = validate(catalog, item, year)
    now = datetime.now()
    with db.transaction() as cur:
        unit = _writable_unit(cur, user, cleaned.unit_id, cleaned.start_on.year)
        db.changed(unit.path, years=[cleaned.start_on.year])  # only this unit's (and parents') figures move
        record_id = single(
            cur,
            "INSERT INTO records (unit_id, type_code, title, start_on, end_on, place, summary,"
            " created_by, created_at, updated_by, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            [
                unit.id,
                cleaned.type_code,
                cleaned.title,
                cleaned.start_on,
                cleaned.end_on,
                cleaned.place,
                cleaned.summary,
                user.username,
                now,
                user.username,
                now,
            ],
        )[0]
        rows = _value_rows(record_id, cleaned.values)
        if rows:
            cur.executemany("INSERT INTO record_values VALUES (?, ?, ?, ?)", rows)
        after = {**_snapshot_of(cleaned, unit.name), "version": 1}
        audit.log(cur, user, "create", "record", record_id, unit.id, None, after)
    return Saved(record_id, 1, tuple(notices))


def _snapshot_of(item: ValidRecord, unit_name: str) -> dict[str, Any]:
    data = asdict(item)
    data.pop("unit_id")
    return {"unit": unit_name, **data}


def update_record(
    db: Database,
    user: User,
    catalog: Catalog,
    record_id: int,
    item: RecordInput,
    expected_version: int,
    *,
    year: int | None = None,
) -> Saved:
    """Save changes to a record opened at `expected_version`; RecordConflict if someone saved since."""
    cleaned, notices = validate(catalog, item, year)
    with db.transaction() as cur:
        loaded = _load(cur, catalog, record_id)
        if loaded is None or loaded[0].is_deleted:
            raise NotFound(f"找不到编号为 {record_id} 的记录（可能已被删除）。")
        current, path = loaded
        require_edit(user, Scope(current.unit_name, path))
        if current.version != expected_version:
            raise RecordConflict(current)
        ensure_unlocked(cur, get_unit(cur, current.unit_id), current.start_on.year)
        unit = _writable_unit(cur, user, cleaned.unit_id, cleaned.start_on.year)
        # the unit and year it was in and the unit and year it is in now
        db.changed(path, unit.path, years=sorted({current.start_on.year, cleaned.start_on.year}))
        version = current.version + 1
        cur.execute(
            "UPDATE records SET unit_id = ?, type_code = ?, title = ?, start_on = ?, end_on = ?, place = ?,"
            " summary = ?, updated_by = ?, updated_at = ?, version = ? WHERE id = ?",
            [
                unit.id,
                cleaned.type_code,
                cleaned.title,
                cleaned.start_on,
                cleaned.end_on,
                cleaned.place,
                cleaned.summary,
                user.username,
                datetime.now(),
                version,
                record_id,
            ],
        )
        cur.execute("DELETE FROM record_values WHERE record_id = ?", [record_id])
        rows = _value_rows(record_id, cleaned.values)
        if rows:
            cur.executemany("INSERT INTO record_values VALUES (?, ?, ?, ?)", rows)
        after = {**_snapshot_of(cleaned, unit.name), "version": version}
        audit.log(cur, user, "update", "record", record_id, unit.id, current.snapshot(), after)
    return Saved(record_id, version, tuple(notices))


def delete_record(
    db: Database, user: User, catalog: Catalog, record_id: int, expected_version: int | None = None
) -> None:
    """Soft-delete a record (it stays in the database and an administrator can restore it); audited."""
    with db.transaction() as cur:
        loaded = _load(cur, catalog, record_id)
        if loaded is None or loaded[0].is_deleted:
            raise NotFound(f"找不到编号为 {record_id} 的记录（可能已被删除）。")
        current, path = loaded
        require_edit(user, Scope(current.unit_name, path))
        if expected_version is not None and current.version != expected_version:
            raise RecordConflict(current)
        ensure_unlocked(cur, get_unit(cur, current.unit_id), current.start_on.year)
        db.changed(path, years=[current.start_on.year])
        cur.execute(
            "UPDATE records SET is_deleted = true, deleted_by = ?, deleted_at = ?, version = version + 1 WHERE id = ?",
            [user.username, datetime.now(), record_id],
        )
        audit.log(cur, user, "delete", "record", record_id, current.unit_id, current.snapshot(), None)


def restore_record(db: Database, user: User, catalog: Catalog, record_id: int) -> None:
    """Undo a soft delete (administrators only); audited."""
    with db.transaction() as cur:
        loaded = _load(cur, catalog, record_id)
        if loaded is None:
            raise NotFound(f"找不到编号为 {record_id} 的记录。")
        current, path = loaded
        require_admin(user, Scope(current.unit_name, path))
        if not current.is_deleted:
            return
        ensure_unlocked(cur, get_unit(cur, current.unit_id), current.start_on.year)
        db.changed(path, years=[current.start_on.year])
        cur.execute(
            "UPDATE records SET is_deleted = false, deleted_by = NULL, deleted_at = NULL, version = version + 1"
            " WHERE id = ?",
            [record_id],
        )
        restored = replace(current, is_deleted=False, version=current.version + 1)
        audit.log(cur, user, "restore", "record", record_id, current.unit_id, None, restored.snapshot())


def insert_many(
    cur: Cursor, user: User, items: Sequence[ValidRecord], *, action: str = "import", audited: bool = True
) -> list[int]:
    """Bulk-insert validated inputs inside the caller's transaction; returns the new ids in order.

    Callers validate, check permissions and locks first (see `import_records`); this only writes.
    """
    if not items:
        return []
    count = len(items)
    ids = [
        row[0]
        for row in cur.execute(
            "SELECT nextval('record_id_seq') FROM generate_series(1, ?)", [count]
        ).fetchall()
    ]
    now = datetime.now()
    records = pd.DataFrame(
        {
            "id": pd.array(ids, dtype="int64"),
            "unit_id": pd.array([i.unit_id for i in items], dtype="int32"),
            "type_code": [i.type_code for i in items],
            "title": [i.title for i in items],
            "start_on": pd.to_datetime([i.start_on for i in items]),
            "end_on": pd.to_datetime([i.end_on for i in items]),
            "place": [i.place for i in items],
            "summary": [i.summary for i in items],
        }
    )
    value_rows = [
        row for record_id, item in zip(ids, items, strict=True) for row in _value_rows(record_id, item.values)
    ]
    values = pd.DataFrame(value_rows, columns=["record_id", "field_code", "num_value", "text_value"])
    values["num_value"] = values["num_value"].astype("float64")
    values["text_value"] = values["text_value"].astype("object")
    cur.register("new_records", records)
    cur.register("new_values", values)
    try:
        cur.execute(
            "INSERT INTO records (id, unit_id, type_code, title, start_on, end_on, place, summary,"
            " created_by, created_at, updated_by, updated_at)"
            " SELECT id, unit_id, type_code, title, CAST(start_on AS DATE), CAST(end_on AS DATE), place, summary,"
            " $user, $now, $user, $now FROM new_records",
            {"user": user.username, "now": now},
        )
        if len(values):
            cur.execute(
                "INSERT INTO record_values SELECT record_id, field_code, num_value, text_value FROM new_values"
            )
    finally:
        cur.unregister("new_records")
        cur.unregister("new_values")
    if audited:
        audit.log_many(
            cur,
            user,
            action,
            "record",
            (
                (record_id, item.unit_id, None, {**_snapshot_of(item, ""), "version": 1})
                for record_id, item in zip(ids, items, strict=True)
            ),
        )
    return ids


def import_records(
    db: Database,
    user: User,
    catalog: Catalog,
    items: Sequence[RecordInput | ValidRecord],
    *,
    year: int | None = None,
    action: str = "import",
) -> list[int]:
    """Validate every input, then store all of them in one transaction or none (InvalidRecord lists rows)."""
    problems: list[Problem] = []
    cleaned: list[ValidRecord] = []
    for row, item in enumerate(items, 1):
        try:
            cleaned.append(validate(catalog, item, year)[0])
        except InvalidRecord as error:
            problems.extend(replace(p, row=row) for p in error.problems)
    if problems:
        raise InvalidRecord(problems)
    with db.transaction() as cur:
        for unit_id, record_year in sorted({(i.unit_id, i.start_on.year) for i in cleaned}):
            _writable_unit(cur, user, unit_id, record_year)
        return insert_many(cur, user, cleaned, action=action)


def record_count(db: Database) -> int:
    """How many records (deleted ones included) the database holds."""
    row = db.one("SELECT count(*) FROM records")
    return int(row[0]) if row else 0

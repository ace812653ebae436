"""Records of work: validate, add, update (with conflict detection), soft delete, restore, list, bulk insert.

Text is stored exactly as typed except for control characters (other than tab and newline), which
are removed with a notice. Every write is permission-checked, refused in a locked year, and audited
in the same transaction.
"""

from __future__ import annotations

import json
import math
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import date, datetime
from typing import Any

import pandas as pd

from fazhi import audit
from fazhi.catalog import Catalog, Field, RecordType
from fazhi.db import Cursor, Database
from fazhi.errors import InvalidRecord, NotFound, Problem, RecordConflict
from fazhi.labels import ACTIONS, RECORD_COLUMNS
from fazhi.locks import ensure_unlocked
from fazhi.permissions import Scope, User, require_admin, require_edit, require_view
from fazhi.units import Unit, get_unit

TITLE_MAX = 100
PLACE_MAX = 100
SUMMARY_MAX = 5000
FIRST_YEAR, LAST_YEAR = 2000, 2100

# C0/C1 controls, DEL, and the characters XML 1.0 forbids; tab and newline are kept.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ufffe\uffff]|[\ud800-\udfff]")


@dataclass
class RecordInput:
    """What a form, an import row or the demo gives for one record, before validation."""

    type_code: str
    unit_id: int
    title: str
    start_on: date | None
    end_on: date | None = None
    place: str = ""
    summary: str = ""
    values: dict[str, Any] = field(default_factory=dict)


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


def clean_text(text: object) -> tuple[str, int]:
    """The text with forbidden control characters removed (tab and newline kept), and how many went."""
    if text is None or (isinstance(text, float) and math.isnan(text)):
        return "", 0
    value = str(text).replace("\r\n", "\n")
    cleaned = _CONTROL.sub("", value)
    return cleaned, len(value) - len(cleaned)


def _number(raw: object) -> float | None:
    """A finite number from a widget or a cell, None when blank; ValueError when not a number."""
    if raw is None:
        return None
    if isinstance(raw, bool):
        return float(raw)
    if isinstance(raw, int | float):
        if isinstance(raw, float) and math.isnan(raw):
            return None
        value = float(raw)
    else:
        text = unicodedata.normalize("NFKC", str(raw)).strip().replace(",", "")
        if text == "":
            return None
        value = float(text)  # raises ValueError on text
    if math.isinf(value) or math.isnan(value):
        raise ValueError(raw)
    return value


_YES = {"是", "有", "yes", "y", "true", "1", "√", "✓"}
_NO = {"否", "无", "no", "n", "false", "0", "×", "✗"}


def _field_value(item: Field, raw: object) -> tuple[Any, str | None]:
    """(stored value or None, problem or None) for one field."""
    caption = item.label
    if item.kind == "text":
        text, _ = clean_text(raw)
        text = text.strip()
        if not text:
            return None, f"请填写“{caption}”。" if item.required else None
        if len(text) > item.max_length:
            return None, f"“{caption}”不能超过{item.max_length}个字（现有{len(text)}个）。"
        return text, None
    if item.kind == "yesno":
        if raw is None or (isinstance(raw, float) and math.isnan(raw)) or str(raw).strip() == "":
            return None, f"请选择“{caption}”（是/否）。" if item.required else None
        if isinstance(raw, bool):
            return raw, None
        token = unicodedata.normalize("NFKC", str(raw)).strip().lower()
        if token in {"1.0"}:
            token = "1"
        if token in {"0.0"}:
            token = "0"
        if token in _YES:
            return True, None
        if token in _NO:
            return False, None
        return None, f"“{caption}”应填“是”或“否”。"
    try:
        value = _number(raw)
    except (TypeError, ValueError):
        return None, f"“{caption}”应为数字。"
    if value is None:
        return None, f"请填写“{caption}”。" if item.required else None
    unit = item.unit if item.unit not in ("", "%") else ""
    if item.kind == "integer" and not value.is_integer():
        return None, f"“{caption}”应为整数。"
    if item.kind == "percent" and not 0 <= value <= 100:
        return None, f"“{caption}”应在0到100之间。"
    if item.min is not None and value < item.min:
        if item.min == 0:
            return None, f"“{caption}”不能为负数。"
        return None, f"“{caption}”不能小于{_plain(item.min)}{unit}。"
    if item.max is not None and value > item.max:
        return None, f"“{caption}”不能大于{_plain(item.max)}{unit}。"
    return (int(value) if item.kind == "integer" else value), None


def _plain(number: float) -> str:
    return str(int(number)) if float(number).is_integer() else str(number)


def _as_date(raw: object) -> date | None:
    if raw is None or (isinstance(raw, float) and math.isnan(raw)):
        return None
    if isinstance(raw, datetime):
        return raw.date()
    if isinstance(raw, date):
        return raw
    if isinstance(raw, pd.Timestamp):
        return None if pd.isna(raw) else raw.date()
    text = unicodedata.normalize("NFKC", str(raw)).strip()
    if not text:
        return None
    match = re.fullmatch(
        r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[ T]00:00(?::00)?)?", text
    )
    if not match:
        raise ValueError(text)
    return date(int(match[1]), int(match[2]), int(match[3]))


def validate(catalog: Catalog, item: RecordInput, year: int | None = None) -> tuple[RecordInput, list[str]]:
    """The cleaned input and notices, or InvalidRecord naming each problem by field (in Chinese)."""
    problems: list[Problem] = []
    notices: list[str] = []
    record_type: RecordType | None = catalog.record_types.get(item.type_code)
    if record_type is None:
        problems.append(Problem("type_code", "请选择记录类型。"))

    def text(name: str, raw: object, label: str, limit: int, required: bool) -> str:
        value, removed = clean_text(raw)
        if removed:
            notices.append(f"“{label}”中有{removed}个不可见的控制字符，已删除。")
        if required and not value.strip():
            problems.append(Problem(name, f"请填写“{label}”。"))
        if len(value) > limit:
            problems.append(Problem(name, f"“{label}”不能超过{limit}个字（现有{len(value)}个）。"))
        return value

    title = text("title", item.title, "标题", TITLE_MAX, True).strip()
    place = text("place", item.place, "地点", PLACE_MAX, False).strip()
    summary = text("summary", item.summary, "情况说明", SUMMARY_MAX, False)

    dates: dict[str, date | None] = {}
    for name, label in (("start_on", "开始日期"), ("end_on", "结束日期")):
        try:
            dates[name] = _as_date(getattr(item, name))
        except ValueError:
            dates[name] = None
            problems.append(Problem(name, f"“{label}”不是有效日期，请按 2020-03-15 的格式填写。"))
    start, end = dates["start_on"], dates["end_on"]
    if start is None and not any(p.field == "start_on" for p in problems):
        problems.append(Problem("start_on", "请填写“开始日期”。"))
    given_end = end
    if end is None:
        end = start
    for name, label, day in (("start_on", "开始日期", start), ("end_on", "结束日期", given_end)):
        if day is None:
            continue
        if year is not None and day.year != year:
            problems.append(
                Problem(name, f"“{label}”须在{year}年内（现为{day.year}年{day.month}月{day.day}日）。")
            )
        elif not FIRST_YEAR <= day.year <= LAST_YEAR:
            problems.append(Problem(name, f"“{label}”的年份应在{FIRST_YEAR}到{LAST_YEAR}年之间。"))
    if start and end and end < start:
        problems.append(Problem("end_on", "“结束日期”不能早于“开始日期”。"))

    values: dict[str, Any] = {}
    if record_type is not None:
        known = {f.code for f in record_type.fields}
        for code in item.values:
            if code not in known:
                problems.append(Problem(code, f"“{record_type.name}”没有“{code}”这一项。"))
        for item_field in record_type.fields:
            value, problem = _field_value(item_field, item.values.get(item_field.code))
            if problem:
                problems.append(Problem(item_field.code, problem))
            elif value is not None:
                values[item_field.code] = value
        for check in record_type.checks:
            low, high = values.get(check.field), values.get(check.at_most)
            if low is not None and high is not None and low > high:
                a, b = record_type.field(check.field), record_type.field(check.at_most)
                problems.append(
                    Problem(
                        check.field, f"“{a.label}”（{_plain(low)}）不能大于“{b.label}”（{_plain(high)}）。"
                    )
                )
    if problems:
        raise InvalidRecord(problems)
    cleaned = RecordInput(item.type_code, item.unit_id, title, start, end, place, summary, values)
    return cleaned, notices


def _stored(item: RecordType | None, code: str, num: float | None, text: str | None) -> Any:
    if text is not None:
        return text
    if num is None:
        return None
    kind = item.field(code).kind if item is not None and code in {f.code for f in item.fields} else "decimal"
    if kind == "integer":
        return int(num)
    if kind == "yesno":
        return bool(num)
    return num


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
    values = {
        code: _stored(record_type, code, num, text)
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
    rows = []
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
    db: Database, user: User, catalog: Catalog, item: RecordInput, *, year: int | None = None
) -> Saved:
    """Validate and store a new record; the function the entry form uses."""
    cleaned, notices = validate(catalog, item, year)
    now = datetime.now()
    with db.transaction() as cur:
        unit = _writable_unit(cur, user, cleaned.unit_id, cleaned.start_on.year)  # type: ignore[union-attr]
        record_id = cur.execute(
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
        ).fetchone()[0]
        rows = _value_rows(record_id, cleaned.values)
        if rows:
            cur.executemany("INSERT INTO record_values VALUES (?, ?, ?, ?)", rows)
        after = {**_snapshot_of(cleaned, unit.name), "version": 1}
        audit.log(cur, user, "create", "record", record_id, unit.id, None, after)
    return Saved(record_id, 1, tuple(notices))


def _snapshot_of(item: RecordInput, unit_name: str) -> dict[str, Any]:
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
        unit = _writable_unit(cur, user, cleaned.unit_id, cleaned.start_on.year)  # type: ignore[union-attr]
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


def describe(record: Record, catalog: Catalog) -> str:
    """One line naming a record for people: '燕山乡 · 赶场日集中宣传 · “标题” · 2020年3月15日'."""
    day = f"{record.start_on.year}年{record.start_on.month}月{record.start_on.day}日"
    if record.end_on != record.start_on:
        day += f"至{record.end_on.month}月{record.end_on.day}日"
    return f"{record.unit_name} · {_type_name(catalog, record.type_code)} · “{record.title}” · {day}"


def saved_message(db: Database, user: User, catalog: Catalog, saved: Saved) -> str:
    """The confirmation after a save, naming the record, with any notices (e.g. removed characters)."""
    record = get_record(db, user, catalog, saved.id)
    lines = [f"已保存：{describe(record, catalog)}（编号 {record.id}）。"]
    return "\n\n".join(lines + list(saved.notices))


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
        cur.execute(
            "UPDATE records SET is_deleted = false, deleted_by = NULL, deleted_at = NULL, version = version + 1"
            " WHERE id = ?",
            [record_id],
        )
        restored = replace(current, is_deleted=False, version=current.version + 1)
        audit.log(cur, user, "restore", "record", record_id, current.unit_id, None, restored.snapshot())


def insert_many(
    cur: Cursor, user: User, items: Sequence[RecordInput], *, action: str = "import", audited: bool = True
) -> list[int]:
    """Bulk-insert validated inputs inside the caller's transaction; returns the new ids in order.

    Callers validate, check permissions and locks first (see `import_records`); this only writes.
    """
    if not items:
        return []
    count = len(items)
    ids = [row[0] for row in cur.execute("SELECT nextval('record_id_seq') FROM range(?)", [count]).fetchall()]
    now = datetime.now()
    records = pd.DataFrame(
        {
            "id": pd.array(ids, dtype="int64"),
            "unit_id": pd.array([i.unit_id for i in items], dtype="int32"),
            "type_code": [i.type_code for i in items],
            "title": [i.title for i in items],
            "start_on": pd.to_datetime([i.start_on for i in items]),
            "end_on": pd.to_datetime([i.end_on or i.start_on for i in items]),
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
    items: Sequence[RecordInput],
    *,
    year: int | None = None,
    action: str = "import",
) -> list[int]:
    """Validate every input, then store all of them in one transaction or none (InvalidRecord lists rows)."""
    problems: list[Problem] = []
    cleaned: list[RecordInput] = []
    for row, item in enumerate(items, 1):
        try:
            cleaned.append(validate(catalog, item, year)[0])
        except InvalidRecord as error:
            problems.extend(replace(p, row=row) for p in error.problems)
    if problems:
        raise InvalidRecord(problems)
    with db.transaction() as cur:
        for unit_id, record_year in sorted({(i.unit_id, i.start_on.year) for i in cleaned}):  # type: ignore[union-attr]
            _writable_unit(cur, user, unit_id, record_year)
        return insert_many(cur, user, cleaned, action=action)


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
    "start_on": "开始日期",
    "updated_at": "最后修改时间",
    "unit_name": "单位",
    "type_code": "类型",
    "title": "标题",
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
    version, updated_by, updated_at, is_deleted, then one column per field code present (integers as Int64).
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
        params += [date(filters.year, 1, 1), date(filters.year, 12, 31)]
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
        " r.summary, r.version, r.updated_by, r.updated_at, r.is_deleted"
        " FROM records r JOIN units u ON u.id = r.unit_id WHERE "
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
    frame.insert(4, "type_name", frame["type_code"].map(lambda c: _type_name(catalog, c)))
    frame.insert(
        5,
        "area_name",
        [_area_name(catalog, c, d) for c, d in zip(frame["type_code"], frame["start_on"], strict=True)],
    )
    frame["is_deleted"] = frame["is_deleted"].astype(bool)
    for date_column in ("start_on", "end_on"):
        frame[date_column] = pd.to_datetime(frame[date_column]).dt.date
    return _with_values(frame, values, catalog)


def _type_name(catalog: Catalog, code: str) -> str:
    record_type = catalog.record_types.get(code)
    return record_type.name if record_type else f"（已停用的类型 {code}）"


def _area_name(catalog: Catalog, code: str, day: Any) -> str:
    if code not in catalog.record_types:
        return ""
    return catalog.area_of(code, pd.Timestamp(day).year).short


def field_kinds(catalog: Catalog) -> dict[str, str]:
    """The kind of each field code across all types."""
    return {f.code: f.kind for t in catalog.record_types.values() for f in t.fields}


def _with_values(frame: pd.DataFrame, values: pd.DataFrame, catalog: Catalog) -> pd.DataFrame:
    kinds = field_kinds(catalog)
    order = [f.code for t in catalog.record_types.values() for f in t.fields]
    codes = set(values["field_code"].unique())  # once: rebuilding it per code cost seconds at 10,000 records
    present = [c for c in dict.fromkeys(order) if c in codes]
    if not present:
        return frame
    numeric = values[values["num_value"].notna()].pivot(
        index="record_id", columns="field_code", values="num_value"
    )
    text = values[values["text_value"].notna()].pivot(
        index="record_id", columns="field_code", values="text_value"
    )
    for code in present:
        source = text if kinds.get(code) == "text" else numeric
        column = (
            frame["id"].map(source[code])
            if code in source.columns
            else pd.Series(index=frame.index, dtype="float64")
        )
        kind = kinds.get(code)
        if kind == "integer":
            column = column.round().astype("Int64")
        elif kind == "yesno":
            column = column.map(lambda v: None if pd.isna(v) else bool(v)).astype("boolean")
        frame[code] = column
    return frame


def totals(frame: pd.DataFrame, catalog: Catalog) -> dict[str, float | int]:
    """Sum of each integer or decimal field column in a `list_records` frame (percent and yes/no are not summed)."""
    kinds = field_kinds(catalog)
    sums: dict[str, float | int] = {}
    for code, kind in kinds.items():
        if code in frame.columns and kind in ("integer", "decimal"):
            total = frame[code].sum(skipna=True)
            sums[code] = int(total) if kind == "integer" else float(total)
    return sums


def count_by_area(db: Database, user: User, catalog: Catalog, unit_id: int, year: int) -> pd.DataFrame:
    """Records per area of that year's 纲要 for a unit and its children: columns area, short, records."""
    unit = get_unit(db, unit_id)
    require_view(user, unit)
    counts = dict(
        db.rows(
            "SELECT r.type_code, count(*) FROM records r JOIN units u ON u.id = r.unit_id"
            " WHERE u.path LIKE ? AND NOT r.is_deleted AND r.start_on BETWEEN ? AND ? GROUP BY r.type_code",
            [unit.path + "%", date(year, 1, 1), date(year, 12, 31)],
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


def record_count(db: Database) -> int:
    """How many records (deleted ones included) the database holds."""
    row = db.one("SELECT count(*) FROM records")
    return int(row[0]) if row else 0


def display_frame(frame: pd.DataFrame, catalog: Catalog) -> pd.DataFrame:
    """A `list_records` frame for people: Chinese headers, yes/no as 是/否, internal columns dropped."""
    captions = catalog.field_captions()
    shown = [
        c
        for c in (
            "id",
            "unit_name",
            "type_name",
            "area_name",
            "title",
            "start_on",
            "end_on",
            "place",
            "attachment_count",
        )
        if c in frame
    ]
    value_columns = [c for c in frame.columns if c in captions]
    view = frame[shown + value_columns + ["summary", "updated_by", "updated_at"]].copy()
    kinds = field_kinds(catalog)
    for code in value_columns:
        if kinds.get(code) == "yesno":
            view[code] = (
                view[code].map(lambda v: "" if pd.isna(v) else ("是" if v else "否")).astype("object")
            )
    return view.rename(columns={**RECORD_COLUMNS, **captions})


# ───────────── records as people read them: detail rows, side-by-side versions, history ─────────────


def value_text(item: Field | None, value: Any) -> str:
    """A stored field value as shown to people: 是/否, 2536, 3.5; '' when blank."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, bool) or (item is not None and item.kind == "yesno"):
        return "是" if value else "否"
    if isinstance(value, int | float):
        return _plain(float(value))
    return str(value)


def _day(value: Any) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        return value
    return value.isoformat()


def input_rows(catalog: Catalog, item: RecordInput, unit_name: str) -> list[tuple[str, str]]:
    """(label, value as text) for every part of a record, in the order of the form."""
    rows = [
        ("单位", unit_name),
        ("标题", str(item.title or "")),
        ("开始日期", _day(item.start_on)),
        ("结束日期", _day(item.end_on or item.start_on)),
        ("地点", str(item.place or "")),
    ]
    record_type = catalog.record_types.get(item.type_code)
    for item_field in record_type.fields if record_type else ():
        rows.append((item_field.caption, value_text(item_field, item.values.get(item_field.code))))
    rows.append(("情况说明", str(item.summary or "")))
    return rows


def compare(
    catalog: Catalog, theirs: RecordInput, their_unit: str, mine: RecordInput, my_unit: str
) -> pd.DataFrame:
    """Two versions side by side (项目, 对方保存的版本, 您填写的版本, 不同), for a refused save."""
    left = input_rows(catalog, theirs, their_unit)
    right = dict(input_rows(catalog, mine, my_unit))
    return pd.DataFrame(
        [
            (label, value, right.get(label, ""), "≠" if value != right.get(label, "") else "")
            for label, value in left
        ],
        columns=["项目", "对方保存的版本", "您填写的版本", "不同"],
    )


def _changes(catalog: Catalog, before: dict[str, Any] | None, after: dict[str, Any] | None) -> str:
    if not before or not after:
        return ""

    def as_input(snapshot: dict[str, Any]) -> RecordInput:
        return RecordInput(
            snapshot.get("type_code", ""),
            0,
            snapshot.get("title", ""),
            snapshot.get("start_on"),
            snapshot.get("end_on"),
            snapshot.get("place", ""),
            snapshot.get("summary", ""),
            snapshot.get("values") or {},
        )

    old = input_rows(catalog, as_input(before), before.get("unit", ""))
    new = dict(input_rows(catalog, as_input(after), after.get("unit", "")))
    parts = []
    for label, value in old:
        if new.get(label, "") != value:
            shown = [v if len(v) <= 30 else v[:30] + "…" for v in (value, new.get(label, ""))]
            parts.append(f"{label}：{shown[0] or '（空）'} → {shown[1] or '（空）'}")
    return "；".join(parts)


def history(db: Database, user: User, catalog: Catalog, record_id: int) -> pd.DataFrame:
    """Every audited change of a record, oldest first: 时间, 操作人, 操作, 改动 (what changed, before → after)."""
    get_record(db, user, catalog, record_id, include_deleted=True)  # the permission check
    rows = db.rows(
        "SELECT logged_at, username, action, before_json, after_json FROM audit_log"
        " WHERE entity = 'record' AND entity_id = ? ORDER BY id",
        [str(record_id)],
    )
    return pd.DataFrame(
        [
            (
                when,
                who,
                ACTIONS.get(action, action),
                _changes(
                    catalog, json.loads(before) if before else None, json.loads(after) if after else None
                ),
            )
            for when, who, action, before, after in rows
        ],
        columns=["时间", "操作人", "操作", "改动"],
    )

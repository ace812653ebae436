"""Records as people read them: the 台账 table, a record's detail rows, two versions side by side after a
refused save, its history from the audit log, and the line that names a record after a save."""

from __future__ import annotations

import json
from typing import Any

import pandas as pd

from fazhi import chinese
from fazhi.catalog import Catalog
from fazhi.db import Database
from fazhi.fields import value_text
from fazhi.labels import ACTIONS, BASE_FIELDS, RECORD_COLUMNS
from fazhi.permissions import User
from fazhi.records import Record, Saved, get_record
from fazhi.validation import RecordInput, ValidRecord


def describe(record: Record, catalog: Catalog) -> str:
    """One line naming a record for people: '燕山乡 · 赶场日集中宣传 · “标题” · 2020年3月15日'."""
    day = chinese.day_span(record.start_on, record.end_on)
    return f"{record.unit_name} · {catalog.type_name(record.type_code)} · “{record.title}” · {day}"


def saved_message(db: Database, user: User, catalog: Catalog, saved: Saved) -> str:
    """The confirmation after a save, naming the record, with any notices (e.g. removed characters)."""
    record = get_record(db, user, catalog, saved.id)
    lines = [f"已保存：{describe(record, catalog)}（编号 {record.id}）。"]
    return "\n\n".join(lines + list(saved.notices))


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
    who = "updated_by_name" if "updated_by_name" in frame else "updated_by"
    view = (
        frame[shown + value_columns + ["summary", who, "updated_at"]]
        .copy()
        .rename(columns={who: "updated_by"})
    )
    by_code = catalog.fields_by_code()
    for code in value_columns:
        view[code] = by_code[code].spec.display(view[code])
    return view.rename(columns={**RECORD_COLUMNS, **_distinct_captions(catalog, value_columns)})


def _distinct_captions(catalog: Catalog, codes: list[str]) -> dict[str, str]:
    """A header per field code, the type's name added where two codes share a caption (participants and
    learners are both 参学人数): a table cannot have two columns of one name."""
    captions = catalog.field_captions()
    seen: dict[str, int] = {}
    for code in codes:
        seen[captions[code]] = seen.get(captions[code], 0) + 1
    first_type: dict[str, str] = {}
    for record_type in catalog.record_types.values():
        for item in record_type.fields:
            first_type.setdefault(item.code, record_type.name)
    return {
        code: f"{captions[code]}·{first_type[code]}" if seen[captions[code]] > 1 else captions[code]
        for code in codes
    }


def _day(value: Any) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        return value
    return value.isoformat()


def input_rows(catalog: Catalog, item: RecordInput | ValidRecord, unit_name: str) -> list[tuple[str, str]]:
    """(label, value as text) for every part of a record, in the order of the form."""
    label = BASE_FIELDS
    rows = [
        (label["unit"], unit_name),
        (label["title"], str(item.title or "")),
        (label["start_on"], _day(item.start_on)),
        (label["end_on"], _day(item.end_on or item.start_on)),
        (label["place"], str(item.place or "")),
    ]
    record_type = catalog.record_types.get(item.type_code)
    for item_field in record_type.fields if record_type else ():
        rows.append((item_field.caption, value_text(item_field, item.values.get(item_field.code))))
    rows.append((label["summary"], str(item.summary or "")))
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
        "SELECT a.logged_at, coalesce(nullif(p.display_name, ''), a.username), a.action, a.before_json,"
        " a.after_json FROM audit_log a LEFT JOIN users p ON p.username = a.username"
        " WHERE a.entity = 'record' AND a.entity_id = ? ORDER BY a.id",
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

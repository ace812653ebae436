"""A record as typed (`RecordInput`) and as checked (`ValidRecord`): `validate` turns one into the other or
raises InvalidRecord naming each problem by field, in Chinese.

Text is kept exactly as typed except for control characters (other than tab and newline), which are
removed with a notice. Each field's value is checked by its kind (`fazhi/fields.py`).
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import pandas as pd

from fazhi import chinese
from fazhi.catalog import Catalog, RecordType
from fazhi.errors import InvalidRecord, Problem
from fazhi.labels import BASE_FIELDS
from fazhi.text import clean_text

TITLE_MAX = 100
PLACE_MAX = 100
SUMMARY_MAX = 5000
FIRST_YEAR, LAST_YEAR = 2000, 2100


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
class ValidRecord:
    """A record that passed `validate`: known type, dates within range (end on or after start, set to the
    start for a one-day activity), text cleaned and within its limits, each value of its field's kind."""

    type_code: str
    unit_id: int
    title: str
    start_on: date
    end_on: date
    place: str = ""
    summary: str = ""
    values: dict[str, Any] = field(default_factory=dict)


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


def _values(record_type: RecordType, given: dict[str, Any], problems: list[Problem]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    known = {f.code for f in record_type.fields}
    for code in given:
        if code not in known:
            problems.append(Problem(code, f"“{record_type.name}”没有“{code}”这一项。"))
    for item_field in record_type.fields:
        value, problem = item_field.spec.parse(item_field, given.get(item_field.code))
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
                    check.field,
                    f"“{a.label}”（{chinese.number(low)}）不能大于“{b.label}”（{chinese.number(high)}）。",
                )
            )
    return values


def validate(
    catalog: Catalog, item: RecordInput | ValidRecord, year: int | None = None
) -> tuple[ValidRecord, list[str]]:
    """The checked record and notices (e.g. removed characters), or InvalidRecord naming each problem."""
    problems: list[Problem] = []
    notices: list[str] = []
    record_type: RecordType | None = catalog.record_types.get(item.type_code)
    if record_type is None:
        problems.append(Problem("type_code", "请选择记录类型。"))

    def text(name: str, raw: object, limit: int, required: bool) -> str:
        label = BASE_FIELDS[name]
        value, removed = clean_text(raw)
        if removed:
            notices.append(f"“{label}”中有{removed}个不可见的控制字符，已删除。")
        if required and not value.strip():
            problems.append(Problem(name, f"请填写“{label}”。"))
        if len(value) > limit:
            problems.append(Problem(name, f"“{label}”不能超过{limit}个字（现有{len(value)}个）。"))
        return value

    title = text("title", item.title, TITLE_MAX, True).strip()
    place = text("place", item.place, PLACE_MAX, False).strip()
    summary = text("summary", item.summary, SUMMARY_MAX, False)

    dates: dict[str, date | None] = {}
    for name in ("start_on", "end_on"):
        try:
            dates[name] = _as_date(getattr(item, name))
        except ValueError:
            dates[name] = None
            problems.append(Problem(name, f"“{BASE_FIELDS[name]}”不是有效日期，请按 2020-03-15 的格式填写。"))
    start, end = dates["start_on"], dates["end_on"]
    if start is None and not any(p.field == "start_on" for p in problems):
        problems.append(Problem("start_on", f"请填写“{BASE_FIELDS['start_on']}”。"))
    given_end = end
    if end is None:
        end = start
    for name, day in (("start_on", start), ("end_on", given_end)):
        if day is None:
            continue
        label = BASE_FIELDS[name]
        if year is not None and day.year != year:
            problems.append(Problem(name, f"“{label}”须在{year}年内（现为{chinese.day(day)}）。"))
        elif not FIRST_YEAR <= day.year <= LAST_YEAR:
            problems.append(Problem(name, f"“{label}”的年份应在{FIRST_YEAR}到{LAST_YEAR}年之间。"))
    if start and end and end < start:
        problems.append(Problem("end_on", f"“{BASE_FIELDS['end_on']}”不能早于“{BASE_FIELDS['start_on']}”。"))

    values = _values(record_type, item.values, problems) if record_type is not None else {}
    if problems or start is None or end is None:
        raise InvalidRecord(problems)
    cleaned = ValidRecord(item.type_code, item.unit_id, title, start, end, place, summary, values)
    return cleaned, notices

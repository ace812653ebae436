"""The facts a report is written from, and the formatters of every slot (fazhi/report/wording.py).

`Facts` holds one unit-year: the indicator table (the one source of every figure), the year's records
(read only for wording: dates, places, titles, laws, staff summaries, yes/no and text fields), the number
style of each figure, and, for a 区县, its own records apart from its 乡镇's, with each 乡镇's figures for
attribution ("其中A镇5次、B镇4次"). Nothing here writes a sentence; writer.py does, from data.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from fazhi.catalog import Catalog
from fazhi.report import numbers
from fazhi.report.wording import Condition, Slot, Wording

_LAW = re.compile(r"《[^《》]{1,40}》")
_END = "。；;，,、.！!？? \t"
_LEADING = re.compile(r"^(全年|今年|本年度|年内)[，,]?")
TOP = 3  # units named in an attribution
RECORD_LIMITS = {"dates": 6, "places": 3, "titles": 3, "laws": 6}


_PERIOD = re.compile(r"^(?:\d{1,2}月份?|[一二三四]季度|上半年|下半年|\d{4}年\d{1,2}月)")
_NOTE = re.compile(r"（[^（）]*）$")


def title_text(raw: Any) -> str:
    """A record's title as the report names the work: without a leading month or quarter and a trailing
    note in brackets ('3月镇村干部法治培训（第2期）' → '镇村干部法治培训'), so monthly records of one
    activity are named once."""
    text = one_line(str(raw or ""))
    stripped = _NOTE.sub("", _PERIOD.sub("", text)).strip()
    return stripped or text


def one_line(text: str) -> str:
    """Staff text as one clause: line breaks become '；', trailing punctuation goes."""
    joined = "；".join(line.strip() for line in str(text).splitlines() if line.strip())
    return joined.strip().rstrip(_END).strip()


def _blank(value: Any) -> bool:
    """True for None, NaN and pandas' NA (a field left empty)."""
    return value is None or bool(pd.isna(value))


def _number(raw: Any) -> float | None:
    if raw is None:
        return None
    try:
        value = float(raw)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(value) else value


@dataclass(frozen=True)
class Figure:
    """One indicator in one scope (the unit, the county's own records, its 乡镇 together, one 乡镇)."""

    code: str
    unit: str
    kind: str
    value: float | None
    records: int
    previous: float | None = None
    previous_records: int = 0
    numerator: float | None = None
    denominator: float | None = None
    target: float | None = None

    @property
    def recorded(self) -> bool:
        """True when records back the figure and it is above zero (是 for a yes/no indicator)."""
        return self.records > 0 and self.value is not None and self.value > 0

    @property
    def explicit_zero(self) -> bool:
        """True when records back the figure and it is exactly zero (a recorded 0, never an absence)."""
        return self.records > 0 and self.value == 0


@dataclass
class Voice:
    """How the report names its unit and the bodies around it."""

    self_name: str  # 我乡, 我区
    whole: str  # 全乡, 全区
    committee: str  # 乡党委, 区委
    government: str  # 乡政府, 区政府
    superior: str  # 区委、区政府
    short: str  # 燕山
    outline: str  # 法治政府建设实施纲要（2015—2020年）
    county: bool = False  # the county's voice: its own work first person, its 乡镇's as aggregates
    children: int = 0  # 乡镇（街道） below a county
    child_label: str = "乡镇（街道）"


@dataclass
class Facts:
    """One unit-year, ready for the writer."""

    catalog: Catalog
    wording: Wording
    year: int
    table: pd.DataFrame  # indicator_table, indexed by code
    frame: pd.DataFrame  # the year's records of the unit and everything below it
    voice: Voice
    exact: bool = False  # the unit's setting: every number exact
    styles: dict[str, str] = field(default_factory=dict)  # per-indicator overrides set by the unit
    stored_targets: dict[str, float] = field(default_factory=dict)
    own: dict[str, Figure] = field(default_factory=dict)  # a county's own records
    by_child: dict[str, dict[str, Figure]] = field(default_factory=dict)  # a county's 乡镇, by name
    own_frame: pd.DataFrame | None = None

    def __post_init__(self) -> None:
        # records as plain rows by type, read many times by the writer (pandas per call costs ~1 ms)
        self._by_type = _rows_by_type(self.frame)
        self._own_by_type = _rows_by_type(self.own_frame) if self.own_frame is not None else {}
        self._figures: dict[str, Figure] = {}

    # ───────────── figures ─────────────

    def known(self, code: str) -> bool:
        """True when the catalog defines this indicator."""
        return code in self.table.index

    def figure(self, code: str, scope: str = "") -> Figure | None:
        """The indicator in a scope: '' the whole unit, 'own' a county's own records, 'sub' its 乡镇 together."""
        if not self.known(code):
            return None
        if scope == "own":
            return self.own.get(code)
        if scope == "sub":
            parts = [figures[code] for figures in self.by_child.values() if code in figures]
            return _added(parts, self.table.at[code, "unit"], self.table.at[code, "kind"]) if parts else None
        if code not in self._figures:
            row = self.table.loc[code]
            self._figures[code] = Figure(
                code=code,
                unit=str(row["unit"]),
                kind=str(row["kind"]),
                value=_number(row["value"]),
                records=int(row["records"]),
                previous=_number(row["previous"]),
                previous_records=int(row.get("previous_records", 0) or 0),
                numerator=_number(row["numerator"]),
                denominator=_number(row["denominator"]),
                target=_number(row["target"]),
            )
        return self._figures[code]

    def style(self, code: str) -> str:
        """How this indicator's figures are written ('exact', 'approx', 'at_least')."""
        if self.exact:
            return "exact"
        figure = self.figure(code)
        return self.styles.get(code) or self.wording.style_of(code, figure.unit if figure else "")

    def format(
        self, code: str, value: float, *, previous: float | None = None, unit: str | None = None
    ) -> str:
        """A value of this indicator as printed ('2500余份', '11次', '98.6%'), apart from last year's."""
        figure = self.figure(code)
        shown_unit = figure.unit if unit is None and figure else (unit or "")
        if figure is not None and figure.kind == "yesno":
            return "是" if value >= 1 else "否"
        return numbers.figure(value, shown_unit, self.style(code), previous=previous)

    def figure_text(self, slot: Slot) -> str:
        """A figure slot's text, or '' when there is nothing to say (no record, no last year, …)."""
        code = slot.name
        if slot.scope == "top":
            return self.attribution(code)
        figure = self.figure(code, slot.scope)
        if figure is None:
            return ""
        if slot.attr == "change":
            if figure.previous_records <= 0 or figure.previous is None or figure.value is None:
                return ""
            return numbers.year_on_year(figure.value, figure.previous, figure.unit, style=self.style(code))
        if slot.attr in ("num", "den"):
            part = figure.numerator if slot.attr == "num" else figure.denominator
            if part is None or figure.records <= 0:
                return ""
            units = self.wording.part_units.get(code) or self._part_units(code)
            unit = units[0] if slot.attr == "num" else units[1]
            return numbers.figure(part, unit, "exact")
        if slot.attr == "target":
            if figure.target is None:
                return ""
            return self.format(code, figure.target)
        if figure.records <= 0 or figure.value is None:
            return ""
        previous = figure.previous if figure.previous_records > 0 else None
        return self.format(code, figure.value, previous=previous)

    def _part_units(self, code: str) -> tuple[str, str]:
        indicator = self.catalog.indicator(code)
        found = []
        for measure in (indicator.numerator, indicator.denominator):
            unit = ""
            if measure is not None and measure.field:
                unit = self.catalog.type(measure.types[0]).field(measure.field).unit
            found.append(unit)
        return found[0], found[1]

    def attribution(self, code: str) -> str:
        """'其中A镇5次、B镇4次、C镇3次' for a county: its 乡镇 with the most, when two or more have some."""
        ranked = sorted(
            ((name, figures[code]) for name, figures in self.by_child.items() if code in figures),
            key=lambda item: -(item[1].value or 0),
        )
        ranked = [(name, figure) for name, figure in ranked if figure.recorded]
        if len(ranked) < 2:
            return ""
        shown = [f"{name}{self.format(code, figure.value or 0)}" for name, figure in ranked[:TOP]]
        return "其中" + "、".join(shown) + ("等" if len(ranked) > TOP else "")

    # ───────────── records (wording only) ─────────────

    def records(self, types: Sequence[str], *, own: bool = False) -> list[dict[str, Any]]:
        """This year's records of these types as plain rows, by date (a county's own ones with `own`)."""
        source = self._own_by_type if own else self._by_type
        found = [row for t in types for row in source.get(t, [])]
        if len(types) > 1:
            found.sort(key=lambda row: (row["start_on"], row["id"]))
        return found

    def record_text(self, name: str, types: Sequence[str], limit: int = 2, *, own: bool = False) -> str:
        """The text of a record slot: dates, places, titles, laws or summaries of these types."""
        rows = self.records(types, own=own)
        if not rows:
            return ""
        if name == "dates":
            spans = [(row["start_on"], row["end_on"]) for row in rows]
            if len(set(spans)) > RECORD_LIMITS["dates"]:
                return ""
            return numbers.date_list(spans)
        if name == "places":
            return numbers.listing(
                _distinct([row.get("place") for row in rows]), limit=RECORD_LIMITS["places"]
            )
        if name == "titles":
            return numbers.listing(
                _distinct([title_text(row.get("title")) for row in rows]), limit=RECORD_LIMITS["titles"]
            )
        if name == "laws":
            found: list[str] = []
            for row in rows:
                found += _LAW.findall(str(row.get("title") or "")) + _LAW.findall(
                    str(row.get("summary") or "")
                )
            # titles in 书名号 stand side by side without 顿号 (GB/T 15834); the wording says 等 itself
            return "".join(list(dict.fromkeys(found))[: RECORD_LIMITS["laws"]])
        if name == "summaries":
            return "；".join(summaries([row.get("summary") for row in rows], limit))
        raise KeyError(name)

    def field_values(self, types: Sequence[str], code: str) -> list[Any]:
        """The values a field took in this year's records of these types (blanks left out)."""
        return [row[code] for row in self.records(types) if not _blank(row.get(code))]

    def all_yes(self, types: Sequence[str], code: str) -> bool:
        """True when every record of these types has the yes/no field set to 是."""
        rows = self.records(types)
        return bool(rows) and all(not _blank(row.get(code)) and bool(row.get(code)) for row in rows)

    def filled(self, types: Sequence[str], code: str) -> bool:
        """True when every record of these types has the field filled in."""
        rows = self.records(types)
        return bool(rows) and all(not _blank(row.get(code)) for row in rows)

    @property
    def record_count(self) -> int:
        """How many records the year holds."""
        return len(self.frame)

    # ───────────── conditions ─────────────

    def holds(self, condition: Condition, types: Sequence[str], limit: int = 2) -> bool:
        """Whether one condition of a clause holds for these facts."""
        if condition.keyword:
            result = self.voice.county if condition.keyword == "county" else not self.voice.county
            return result != condition.negate
        prefix, left = condition.prefix, condition.left
        if prefix == "has":
            result = bool(self.record_text(left, types, limit, own=self.voice.county))
        elif prefix == "filled":
            result = self.filled(types, left)
        elif prefix == "prev":
            figure = self.figure(left)
            result = bool(figure and figure.previous_records > 0 and figure.previous is not None)
        elif prefix == "zero":
            figure = self.figure(left)
            result = bool(figure and figure.explicit_zero)
        elif prefix in ("own", "sub"):
            figure = self.figure(left, prefix)
            result = bool(figure and figure.recorded)
        elif prefix == "every":
            found = [figures.get(left) for figures in self.by_child.values()]
            result = bool(found) and all(f is not None and f.recorded for f in found)
        elif not condition.op:
            figure = self.figure(left)
            result = bool(figure and figure.recorded)
        else:
            result = self._compare(condition)
        return result != condition.negate

    def _compare(self, condition: Condition) -> bool:
        figure = self.figure(condition.left)
        if figure is None or figure.records <= 0 or figure.value is None:
            return False
        left = round(figure.value, numbers.RATE_DIGITS) if figure.unit == "%" else figure.value
        right_text = condition.right
        if right_text == "prev":
            if figure.previous is None or figure.previous_records <= 0:
                return False
            right = figure.previous
        elif re.match(r"^-?\d", right_text):
            right = float(right_text)
        else:
            other = self.figure(right_text)
            if other is None or other.value is None:
                return False
            right = other.value
        return {
            "=": left == right,
            "!=": left != right,
            "<": left < right,
            ">": left > right,
            "<=": left <= right,
            ">=": left >= right,
        }[condition.op]


def summaries(texts: Sequence[Any], limit: int) -> list[str]:
    """What staff wrote in 情况说明, one clause each: no repeats, none contained in another, without a
    leading '全年' (the writer says it once per subsection)."""
    found: list[str] = []
    for raw in texts:
        text = _LEADING.sub("", one_line(str(raw or "")))
        if not text or any(text in kept for kept in found):
            continue
        found = [kept for kept in found if kept not in text]
        found.append(text)
    return found[:limit]


def _rows_by_type(frame: pd.DataFrame) -> dict[str, list[dict[str, Any]]]:
    """The frame's rows as plain dicts grouped by record type, each group by date."""
    grouped: dict[str, list[dict[str, Any]]] = {}
    for row in frame.to_dict("records"):
        grouped.setdefault(str(row["type_code"]), []).append(row)
    for rows in grouped.values():
        rows.sort(key=lambda row: (row["start_on"], row["id"]))
    return grouped


def _distinct(values: Sequence[Any]) -> list[str]:
    return list(dict.fromkeys(one_line(str(v)) for v in values if v is not None and one_line(str(v))))


def _added(parts: list[Figure], unit: str, kind: str) -> Figure:
    """Several units' figures as one: counts and stocks add up, a ratio is recomputed from its parts, a rate
    of 'latest' kind is averaged."""
    records = sum(p.records for p in parts)
    if kind == "ratio":
        numerator = sum(p.numerator or 0 for p in parts)
        denominator = sum(p.denominator or 0 for p in parts)
        value = numerator / denominator * 100 if denominator else None
        return Figure(parts[0].code, unit, kind, value, records, numerator=numerator, denominator=denominator)
    values = [p.value for p in parts if p.value is not None and p.records > 0]
    if not values:
        return Figure(parts[0].code, unit, kind, None, records)
    value = sum(values) / len(values) if unit == "%" or kind == "yesno" else sum(values)
    return Figure(parts[0].code, unit, kind, value, records)

"""Fields of a record type and the registry of their kinds (integer, decimal, percent, yes/no, text).

Everything that depends on a field's kind is in its `FieldKind` entry: how a typed or imported value is
checked, how it is stored and read back, its column in the 台账 frame, how it is shown and exported, the
note in the import template, the help under its form widget, which widget the form uses, and the value
the synthetic data generator makes. Code elsewhere asks `field.spec` and never switches on the kind, so a
new kind is one entry here (and its name in the catalog's documentation).
"""

from __future__ import annotations

import math
import random
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pandas as pd

from fazhi import chinese
from fazhi.text import clean_text

YES, NO = "是", "否"
_YES = {"是", "有", "yes", "y", "true", "1", "√", "✓"}
_NO = {"否", "无", "no", "n", "false", "0", "×", "✗"}


@dataclass(frozen=True)
class Field:
    """One value recorded with a record type, e.g. 发放宣传资料 (份, integer)."""

    code: str
    label: str
    unit: str
    kind: str
    required: bool = False
    min: float | None = None
    max: float | None = None
    max_length: int = 200
    default: float | None = None
    help: str = ""

    @property
    def spec(self) -> FieldKind:
        """The registry entry of this field's kind."""
        return KINDS[self.kind]

    @property
    def numeric(self) -> bool:
        """True when the value is stored as a number (yes/no as 1/0)."""
        return self.spec.numeric

    @property
    def caption(self) -> str:
        """Label with the unit, e.g. '发放宣传资料（份）'."""
        return f"{self.label}（{self.unit}）" if self.unit else self.label


def is_blank(value: Any) -> bool:
    """True for None, NaN and pandas' NA (an empty cell or widget)."""
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


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


Parsed = tuple[Any, str | None]


def _parse_text(item: Field, raw: object) -> Parsed:
    text, _ = clean_text(raw)
    text = text.strip()
    if not text:
        return None, f"请填写“{item.label}”。" if item.required else None
    if len(text) > item.max_length:
        return None, f"“{item.label}”不能超过{item.max_length}个字（现有{len(text)}个）。"
    return text, None


def _parse_yesno(item: Field, raw: object) -> Parsed:
    if raw is None or (isinstance(raw, float) and math.isnan(raw)) or str(raw).strip() == "":
        return None, f"请选择“{item.label}”（是/否）。" if item.required else None
    if isinstance(raw, bool):
        return raw, None
    token = unicodedata.normalize("NFKC", str(raw)).strip().lower()
    token = {"1.0": "1", "0.0": "0"}.get(token, token)
    if token in _YES:
        return True, None
    if token in _NO:
        return False, None
    return None, f"“{item.label}”应填“是”或“否”。"


def _number_parser(*, whole: bool = False, percent: bool = False) -> Callable[[Field, object], Parsed]:
    def parse(item: Field, raw: object) -> Parsed:
        caption = item.label
        try:
            value = _number(raw)
        except (TypeError, ValueError):
            return None, f"“{caption}”应为数字。"
        if value is None:
            return None, f"请填写“{caption}”。" if item.required else None
        unit = item.unit if item.unit not in ("", "%") else ""
        if whole and not value.is_integer():
            return None, f"“{caption}”应为整数。"
        if percent and not 0 <= value <= 100:
            return None, f"“{caption}”应在0到100之间。"
        if item.min is not None and value < item.min:
            if item.min == 0:
                return None, f"“{caption}”不能为负数。"
            return None, f"“{caption}”不能小于{chinese.number(item.min)}{unit}。"
        if item.max is not None and value > item.max:
            return None, f"“{caption}”不能大于{chinese.number(item.max)}{unit}。"
        return (int(value) if whole else value), None

    return parse


def _integer_note(item: Field) -> str:
    text = f"整数，单位：{item.unit}" if item.unit else "整数"
    if item.max is not None and item.max < 1_000_000:  # only a limit tighter than the default is news
        text += f"，不超过{int(item.max)}"
    return text


def _integer_sample(item: Field, rng: random.Random) -> int:
    low = int(item.min or 0)
    top = min(item.max or 1000, 1000)
    return rng.randint(low, max(low, int(top // 20) or 1))


def _as_float(value: Any) -> float:
    return float(value)


def _as_int(value: Any) -> int:
    return int(value)


def _as_str(value: Any) -> str:
    return str(value)


def _as_yes_no(value: Any) -> str:
    return YES if value else NO


def _round_whole(column: pd.Series) -> pd.Series:
    return column.round().astype("Int64")


def _yes_no_column(column: pd.Series) -> pd.Series:
    # Whole columns at once: a Python call per cell cost a quarter of every 台账 run at 4,000 records.
    result = pd.Series(pd.NA, index=column.index, dtype="boolean")
    present = column.notna()
    result[present] = column[present].astype(bool)
    return result


def _yes_no_display(column: pd.Series) -> pd.Series:
    result = pd.Series("", index=column.index, dtype="object")
    present = column.notna()
    result[present] = [YES if v else NO for v in column[present].astype(bool)]
    return result


def _as_is(column: pd.Series) -> pd.Series:
    return column


@dataclass(frozen=True)
class FieldKind:
    """Everything that depends on a field's kind (see the module docstring)."""

    code: str
    label: str  # the kind in Chinese, for `python -m fazhi check` and the catalog's messages
    numeric: bool  # stored in record_values.num_value (yes/no as 1/0), else text_value
    summed: bool  # 台账 合计 adds it up
    combined: (
        str  # how units' latest values make one (SQL aggregate): a stock adds up, a yes/no is 是 if all are
    )
    flag: bool  # holds or not: may be an indicator's `where`, and the field a 是/否 indicator reads
    bounds: tuple[float | None, float | None]  # default (min, max) when the catalog gives none
    forced: tuple[float, float] | None  # (min, max) the catalog cannot widen
    widget: str  # the form widget: "choice" (是/否), "text", "whole" (integer input) or "number"
    parse: Callable[[Field, object], Parsed]  # (value to store or None, problem or None)
    stored: Callable[[float], Any]  # a num_value read back as the value the model holds
    column: Callable[[pd.Series], pd.Series]  # the 台账 frame's column (dtype) for this kind
    display: Callable[[pd.Series], pd.Series]  # that column as people read it on 台账
    cell: Callable[[Any], Any]  # a value (not blank) as an exported cell or its widget holds it
    note: Callable[[Field], str]  # the import template's note on what to write
    help: Callable[[Field], str]  # the form's help under the widget ('' for none)
    sample: Callable[[Field, random.Random], Any]  # a plausible value for synthetic records
    choices: tuple[str, ...] = ()  # what a cell or widget may hold, when limited (a dropdown)


KINDS: dict[str, FieldKind] = {
    "integer": FieldKind(
        code="integer",
        label="整数",
        numeric=True,
        summed=True,
        combined="sum",
        flag=False,
        bounds=(0, 1_000_000),
        forced=None,
        widget="whole",
        parse=_number_parser(whole=True),
        stored=_as_int,
        column=_round_whole,
        display=_as_is,
        cell=_as_int,
        note=_integer_note,
        help=lambda f: f"整数，{int(f.min or 0)}到{int(f.max or 0)}{f.unit}。",
        sample=_integer_sample,
    ),
    "decimal": FieldKind(
        code="decimal",
        label="小数",
        numeric=True,
        summed=True,
        combined="sum",
        flag=False,
        bounds=(0, 1_000_000_000),
        forced=None,
        widget="number",
        parse=_number_parser(),
        stored=_as_float,
        column=_as_is,
        display=_as_is,
        cell=_as_float,
        note=lambda f: f"数字，单位：{f.unit}" if f.unit else "数字",
        help=lambda f: f"数字，可带小数，单位：{f.unit}。" if f.unit else "数字，可带小数。",
        sample=lambda f, rng: round(rng.uniform(0.5, 20), 1),
    ),
    "percent": FieldKind(
        code="percent",
        label="百分比",
        numeric=True,
        summed=False,
        combined="avg",
        flag=False,
        bounds=(0, 100),
        forced=(0, 100),
        widget="number",
        parse=_number_parser(percent=True),
        stored=_as_float,
        column=_as_is,
        display=_as_is,
        cell=_as_float,
        note=lambda f: "0到100之间的数，如 95",
        help=lambda f: "0到100之间的数，如 95 或 99.5。",
        sample=lambda f, rng: round(rng.uniform(85, 100), 1),
    ),
    "yesno": FieldKind(
        code="yesno",
        label="是/否",
        numeric=True,
        summed=False,
        combined="min",
        flag=True,
        bounds=(0, 1),
        forced=(0, 1),
        widget="choice",
        parse=_parse_yesno,
        stored=bool,
        column=_yes_no_column,
        display=_yes_no_display,
        cell=_as_yes_no,
        note=lambda f: "填“是”或“否”",
        help=lambda f: "",
        sample=lambda f, rng: rng.random() < 0.9,
        choices=(YES, NO),
    ),
    "text": FieldKind(
        code="text",
        label="文字",
        numeric=False,
        summed=False,
        combined="sum",
        flag=False,
        bounds=(None, None),
        forced=None,
        widget="text",
        parse=_parse_text,
        stored=_as_str,
        column=_as_is,
        display=_as_is,
        cell=_as_str,
        note=lambda f: f"文字，不超过{f.max_length}字" + (f"，{f.help}" if f.help else ""),
        help=lambda f: f"不超过{f.max_length}个字。",
        sample=lambda f, rng: rng.choice(["区级", "市级", "全国"]),
    ),
}
# The kind assumed for a stored value whose field is no longer in the catalog.
FALLBACK = KINDS["decimal"]


def stored_value(item: Field | None, num: float | None, text: str | None) -> Any:
    """A record_values row (num_value, text_value) as the value the model holds for that field."""
    if text is not None:
        return text
    if num is None:
        return None
    return (item.spec if item is not None else FALLBACK).stored(num)


def value_text(item: Field | None, value: Any) -> str:
    """A stored field value as shown to people: 是/否, 2536, 3.5; '' when blank."""
    if is_blank(value):
        return ""
    if isinstance(value, bool) or (item is not None and item.spec.choices == KINDS["yesno"].choices):
        return YES if value else NO
    if isinstance(value, int | float):
        return chinese.number(float(value))
    return str(value)


def cell(item: Field, value: Any) -> Any:
    """A value as an exported cell or as its form widget holds it (是/否 for yes/no); None when blank."""
    return None if is_blank(value) else item.spec.cell(value)


def help_text(item: Field) -> str:
    """The help under a field's widget: the catalog's help, then what may be typed ('' for none)."""
    parts = [item.help] if item.help else []
    extra = item.spec.help(item)
    if extra:
        parts.append(extra)
    return " ".join(parts)

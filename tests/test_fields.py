"""fazhi.fields: one registry entry per field kind, and every catalog field goes through it."""

from __future__ import annotations

import random

import pandas as pd
import pytest

from fazhi import fields
from fazhi.catalog import Catalog
from fazhi.fields import KINDS, Field


def test_every_catalog_field_has_a_registered_kind(catalog: Catalog) -> None:
    used = {f.kind for t in catalog.record_types.values() for f in t.fields}
    assert used <= set(KINDS)
    assert list(KINDS) == ["integer", "decimal", "percent", "yesno", "text"]


@pytest.mark.parametrize("kind", list(KINDS))
def test_sample_values_parse_and_round_trip(catalog: Catalog, kind: str) -> None:
    rng = random.Random(7)
    examples = [f for t in catalog.record_types.values() for f in t.fields if f.kind == kind]
    assert examples, kind
    for item in examples:
        value = item.spec.sample(item, rng)
        parsed, problem = item.spec.parse(item, value)
        assert problem is None and parsed == value
        stored = fields.stored_value(
            item, float(parsed) if item.numeric else None, None if item.numeric else parsed
        )
        assert stored == value
        assert fields.cell(item, stored) is not None


def _field(kind: str, **extra: object) -> Field:
    return Field(code="x", label="数量", unit="份", kind=kind, **extra)  # type: ignore[arg-type]


def test_parse_messages() -> None:
    whole = _field("integer", min=0, max=100)
    assert whole.spec.parse(whole, "1,200") == (None, "“数量”不能大于100份。")
    assert whole.spec.parse(whole, "2.5") == (None, "“数量”应为整数。")
    assert whole.spec.parse(whole, "-1") == (None, "“数量”不能为负数。")
    assert whole.spec.parse(whole, "３０") == (30, None)
    assert whole.spec.parse(whole, "abc") == (None, "“数量”应为数字。")
    rate = _field("percent", min=0, max=100)
    assert rate.spec.parse(rate, 101) == (None, "“数量”应在0到100之间。")
    flag = _field("yesno", required=True)
    assert flag.spec.parse(flag, "√") == (True, None)
    assert flag.spec.parse(flag, "0.0") == (False, None)
    assert flag.spec.parse(flag, "") == (None, "请选择“数量”（是/否）。")
    assert flag.spec.parse(flag, "也许") == (None, "“数量”应填“是”或“否”。")
    words = _field("text", max_length=3)
    assert words.spec.parse(words, " 区级 ") == ("区级", None)
    assert words.spec.parse(words, "全国各地") == (None, "“数量”不能超过3个字（现有4个）。")


def test_shown_and_noted() -> None:
    whole, flag = _field("integer", min=0, max=500), _field("yesno")
    assert fields.value_text(whole, 2536) == "2536"
    assert fields.value_text(_field("decimal"), 3.5) == "3.5"
    assert fields.value_text(flag, 1.0) == "是"
    assert fields.value_text(None, True) == "是"
    assert fields.value_text(whole, None) == ""
    assert fields.cell(flag, False) == "否"
    assert fields.cell(whole, 3.0) == 3
    assert whole.spec.note(whole) == "整数，单位：份，不超过500"
    assert flag.spec.note(flag) == "填“是”或“否”"
    assert fields.help_text(whole) == "整数，0到500份。"
    assert fields.help_text(flag) == ""
    assert flag.spec.choices == ("是", "否") and flag.spec.widget == "choice"


def test_columns_and_display() -> None:
    raw = pd.Series([1.0, None, 0.0])
    assert KINDS["integer"].column(raw).tolist() == [1, pd.NA, 0]
    assert KINDS["yesno"].display(KINDS["yesno"].column(raw)).tolist() == ["是", "", "否"]
    assert [k for k, spec in KINDS.items() if spec.summed] == ["integer", "decimal"]
    assert {k: spec.combined for k, spec in KINDS.items()} == {
        "integer": "sum",
        "decimal": "sum",
        "percent": "avg",
        "yesno": "min",
        "text": "sum",
    }
    assert [k for k, spec in KINDS.items() if spec.flag] == ["yesno"]

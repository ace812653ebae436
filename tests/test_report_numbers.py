"""fazhi.report.numbers: the Chinese number style of the report, exact values."""

from __future__ import annotations

from datetime import date

import pytest

from fazhi.report import numbers


@pytest.mark.parametrize(
    ("value", "unit", "expected"),
    [
        (2536, "份", "2500余份"),
        (10356, "人", "1万余人"),
        (218, "人次", "200余人次"),
        (117, "人次", "100余人次"),
        (53, "人", "50余人"),
        (4638, "户", "4600余户"),
        (2046, "份", "2000余份"),
        (4, "次", "4次"),
        (2, "件", "2件"),
        (25, "幅", "25幅"),
        (49, "人", "49人"),
        (0, "件", "0件"),
        (50, "人", "50人"),
        (59, "人", "50余人"),
        (99, "人", "90余人"),
        (100, "人", "100人"),
        (150, "人", "150人"),
        (199, "人", "150余人"),
        (999, "份", "950余份"),
        (1000, "份", "1000份"),
        (2500, "份", "2500份"),
        (9999, "份", "9900余份"),
        (10000, "人", "1万人"),
        (12000, "人", "1.2万人"),
        (12345, "人", "1.2万余人"),
        (99999, "人", "9.9万余人"),
        (100000, "人", "10万人"),
        (156789, "人", "15万余人"),
        (1234567, "人", "123万余人"),
        (3.5, "万元", "3.5万元"),
        (0.25, "万元", "0.25万元"),
        (2.0, "万元", "2万元"),
        (49.9, "学时", "49.9学时"),
        (123.7, "学时", "100余学时"),
        (-3, "件", "-3件"),
        (2536, "", "2500余"),
    ],
)
def test_approx(value: float, unit: str, expected: str) -> None:
    assert numbers.approx(value, unit) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [(156, "150人次以上"), (218, "200人次以上"), (150, "150人次"), (12, "12人次"), (10356, "1万人次以上")],
)
def test_approx_at_least(value: int, expected: str) -> None:
    assert numbers.approx(value, "人次", at_least=True) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [(2536, "2536份"), (10356, "10356份"), (3.5, "3.5份"), (0, "0份"), (12000, "12000份")],
)
def test_exact_numbers_setting(value: float, expected: str) -> None:
    assert numbers.approx(value, "份", exact=True) == expected
    assert numbers.approx(value, "份", exact=True, at_least=True) == expected


def test_approx_needs_a_number() -> None:
    with pytest.raises(ValueError):
        numbers.approx(float("nan"), "份")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (100, "100%"),
        (95.0, "95%"),
        (99.14, "99.1%"),
        (600 / 7, "85.7%"),
        (99.8, "99.8%"),
        (0, "0%"),
        (None, "—"),
    ],
)
def test_percent(value: float | None, expected: str) -> None:
    assert numbers.percent(value) == expected


@pytest.mark.parametrize(
    ("value", "previous", "points", "expected", "clause"),
    [
        (2536, 1800, False, "增长40.9%", "较上年增长40.9%"),
        (9, 8, False, "增长12.5%", "较上年增长12.5%"),
        (8, 10, False, "下降20%", "较上年下降20%"),
        (5, 5, False, "持平", "与上年持平"),
        (10000, 9999, False, "持平", "与上年持平"),  # 0.01% rounds to 持平
        (3, 0, False, "", ""),
        (3, None, False, "", ""),
        (None, 3, False, "", ""),
        (95, 92, True, "提高3个百分点", "较上年提高3个百分点"),
        (97.5, 99, True, "下降1.5个百分点", "较上年下降1.5个百分点"),
        (100, 100, True, "持平", "与上年持平"),
        (80, 0, True, "提高80个百分点", "较上年提高80个百分点"),
    ],
)
def test_change(value, previous, points: bool, expected: str, clause: str) -> None:
    assert numbers.change(value, previous, points=points) == expected
    assert numbers.compared(value, previous, points=points) == clause


def test_dates() -> None:
    assert numbers.chinese_date(date(2021, 1, 15)) == "2021年1月15日"
    spans = [
        (date(2020, 9, 28), None),
        (date(2020, 3, 15), date(2020, 3, 15)),
        (date(2020, 6, 28), date(2020, 6, 29)),
        (date(2020, 3, 15), None),  # the same day twice is listed once
    ]
    assert numbers.date_list(spans) == "3月15日、6月28日至29日、9月28日"
    assert numbers.date_list([(date(2020, 6, 30), date(2020, 7, 2))]) == "6月30日至7月2日"
    assert numbers.date_list([(date(2020, 12, 30), date(2021, 1, 2))]) == "12月30日至2021年1月2日"
    assert numbers.date_list([]) == ""


@pytest.mark.parametrize(
    ("number", "expected"),
    [(1, "一"), (9, "九"), (10, "十"), (11, "十一"), (20, "二十"), (35, "三十五"), (99, "九十九")],
)
def test_numerals(number: int, expected: str) -> None:
    assert numbers.numeral(number) == expected
    assert numbers.heading_number(number) == f"{expected}、"
    assert numbers.subheading_number(number) == f"（{expected}）"


def test_numeral_range() -> None:
    for bad in (0, 100):
        with pytest.raises(ValueError):
            numbers.numeral(bad)


def test_listing() -> None:
    assert numbers.listing(["宪法", "民法典", "宪法", ""]) == "宪法、民法典"
    assert numbers.listing(["甲", "乙", "丙", "丁"], limit=3) == "甲、乙、丙等"
    assert numbers.plain(3.50) == "3.5" and numbers.plain(1234) == "1234" and numbers.plain(-0.001) == "0"

"""fazhi.chinese: numbers and dates as Chinese text, one way everywhere."""

from __future__ import annotations

from datetime import date

from fazhi import chinese


def test_number() -> None:
    assert chinese.number(2536) == "2536"
    assert chinese.number(2536.0) == "2536"
    assert chinese.number(3.5) == "3.5"
    assert chinese.number(3.25) == "3.25"
    assert chinese.number(3.25, 1) == "3.2"
    assert chinese.number(1.25, 1) == "1.2"
    assert chinese.number(0.04, 1) == "0"
    assert chinese.number(-1.25, 1) == "-1.2"


def test_day() -> None:
    assert chinese.day(date(2020, 3, 5)) == "2020年3月5日"
    assert chinese.day("2020-06-30") == "2020年6月30日"


def test_day_span() -> None:
    assert chinese.day_span(date(2020, 3, 15), date(2020, 3, 15)) == "2020年3月15日"
    assert chinese.day_span(date(2020, 6, 28), date(2020, 6, 29)) == "2020年6月28日至6月29日"

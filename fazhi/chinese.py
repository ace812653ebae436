"""Numbers and dates as Chinese text, written one way everywhere outside the report's own number style
(`fazhi/report/numbers.py`: 2500余, 1万余)."""

from __future__ import annotations

from datetime import date


def number(value: float, places: int | None = None) -> str:
    """A number as written in a sentence: '2536', '3.5'; a whole number never has '.0'. With `places`, at
    most that many decimals, trailing zeros dropped ('3.25' → '3.2' with places=1)."""
    if float(value).is_integer():
        return str(int(value))
    if places is None:
        return str(value)
    return f"{value:.{places}f}".rstrip("0").rstrip(".")


def day(value: date | str) -> str:
    """'2020年3月15日' (no leading zeros); an ISO date string is read first."""
    when = value if isinstance(value, date) else date.fromisoformat(str(value))
    return f"{when.year}年{when.month}月{when.day}日"


def day_span(start: date, end: date) -> str:
    """'2020年3月15日', or '2020年6月28日至6月29日' for an activity over several days."""
    text = day(start)
    if end != start:
        text += f"至{end.month}月{end.day}日"
    return text

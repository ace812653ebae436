"""Numbers, rates, changes and dates written the way 法治政府建设 reports write them.

Each figure has a style (data/wording.toml says which, by unit and per indicator):
- "exact" for what is counted one by one: cases, sessions, documents, people ("128件次", "108人", "11次");
- "approx" for audiences and materials that were estimated: "N余" is a little over N (2,536 份 → "2500余份",
  10,356 人 → "1万余人"); small numbers stay exact, and a figure never reads the same as last year's when
  the two differ (the step gets finer until they part);
- "at_least" for a floor: 156 人次 → "150人次以上".
Rates have one precision everywhere (one decimal: "98.6%", "100%"). A unit may ask for exact numbers
everywhere instead (the `exact` report setting).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import date

EXACT_BELOW = 50  # approximate figures under this are still written exactly ("25幅", "15车次")
RATE_DIGITS = 1  # "98.6%": the precision of every rate, in the body and the appendix alike
STYLES = ("exact", "approx", "at_least")
_NUMERALS = "零一二三四五六七八九"


def _step(value: int) -> int:
    """The rounding step for a count: coarser as numbers grow, so the leading digits carry the meaning."""
    if value < EXACT_BELOW:
        return 1
    if value < 100:
        return 10
    if value < 1_000:
        return 50
    if value < 10_000:
        return 100
    if value < 100_000:
        return 1_000
    return 10_000


def plain(value: float, digits: int = 2) -> str:
    """A number without trailing zeros: 3.50 → '3.5', 2.0 → '2', 1234 → '1234'."""
    if float(value).is_integer():
        return str(int(value))
    text = f"{value:.{digits}f}".rstrip("0").rstrip(".")
    return text if text not in ("", "-0") else "0"


def _wan(value: int) -> str:
    """An integer with 万 for ten thousands: 10000 → '1万', 12000 → '1.2万', 9900 → '9900'."""
    if value >= 10_000:
        return plain(value / 10_000, 4) + "万"
    return str(value)


def _rounded(value: float, unit: str, step: int, at_least: bool) -> str:
    number = int(math.floor(value))
    base = number // step * step
    if base == value:
        return f"{_wan(base)}{unit}"
    return f"{_wan(base)}{unit}以上" if at_least else f"{_wan(base)}余{unit}"


def approx(
    value: float,
    unit: str = "",
    *,
    exact: bool = False,
    at_least: bool = False,
    apart_from: float | None = None,
) -> str:
    """A count with its unit in report style: 2536 → '2500余份'; with `at_least` 156 → '150人次以上';
    under 50 (or with `exact`) as is: '25幅'; a round number stays exact: 12000 → '1.2万人'. When
    `apart_from` (last year's value) is given and differs, the step gets finer until the two read apart."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        raise ValueError("approx() needs a number")
    if exact or value < 0 or (not float(value).is_integer() and value < EXACT_BELOW):
        return f"{plain(value)}{unit}"
    step = _step(int(value))
    text = _rounded(value, unit, step, at_least)
    if apart_from is not None and apart_from != value and apart_from >= 0:
        while step > 1 and text == _rounded(apart_from, unit, _step(int(apart_from)), at_least):
            step = max(1, step // 10 if step in (10, 100, 1_000, 10_000) else step // 5)
            text = _rounded(value, unit, step, at_least)
    return text


def figure(value: float, unit: str, style: str = "exact", *, previous: float | None = None) -> str:
    """A figure in its style: 'exact' → '128件次', 'approx' → '3800余份', 'at_least' → '150人次以上'; a rate
    (unit '%') is always '98.6%'."""
    if unit == "%":
        return percent(value)
    if style == "exact":
        return f"{plain(value)}{unit}"
    return approx(value, unit, at_least=style == "at_least", apart_from=previous)


def percent(value: float | None, digits: int = RATE_DIGITS) -> str:
    """A rate as printed: 100 → '100%', 98.64 → '98.6%', None → '—'."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return f"{plain(round(value, digits), digits)}%"


def change(value: float | None, previous: float | None, *, points: bool = False) -> str:
    """How `value` moved from `previous`: '增长12.5%', '下降20%', '持平'; for rates (`points`) '提高3个百分点';
    '' when there is nothing to compare (no value, or a count that was 0 last year)."""
    if value is None or previous is None or any(math.isnan(v) for v in (value, previous)):
        return ""
    if points:
        diff = round(value - previous, RATE_DIGITS)
        if diff == 0:
            return "持平"
        return f"{'提高' if diff > 0 else '下降'}{plain(abs(diff), RATE_DIGITS)}个百分点"
    if previous == 0:
        return ""
    pct = round((value - previous) / previous * 100, 1)
    if pct == 0:
        return "持平"
    return f"{'增长' if pct > 0 else '下降'}{plain(abs(pct), 1)}%"


PERCENT_BASE = 10  # below this last-year value a change is told as a difference, not a percentage


def year_on_year(value: float | None, previous: float | None, unit: str, *, style: str = "exact") -> str:
    """A change against last year in 公文 words: '同比增长18%', '同比下降15.2%', '较上年增加2件',
    '提高3个百分点', '与上年持平'; '' when there is nothing to compare."""
    if value is None or previous is None or any(math.isnan(v) for v in (value, previous)):
        return ""
    if unit == "%":
        moved = change(value, previous, points=True)
        return "与上年持平" if moved == "持平" else moved
    if value == previous:
        return "与上年持平"
    if previous >= PERCENT_BASE or (style != "exact" and previous > 0):
        return f"同比{change(value, previous)}"
    difference = abs(value - previous)
    return f"较上年{'增加' if value > previous else '减少'}{plain(difference)}{unit}"


def compared(value: float | None, previous: float | None, *, points: bool = False) -> str:
    """The comparison as a clause: '较上年增长12.5%', '与上年持平', or '' when not comparable."""
    moved = change(value, previous, points=points)
    if not moved:
        return ""
    return "与上年持平" if moved == "持平" else f"较上年{moved}"


def chinese_date(day: date) -> str:
    """A date the way a 公文 writes 成文日期: 2021年1月15日 (Arabic numerals, no leading zeros)."""
    return f"{day.year}年{day.month}月{day.day}日"


def _span(start: date, end: date) -> str:
    if end <= start:
        return f"{start.month}月{start.day}日"
    if end.year != start.year:
        return f"{start.month}月{start.day}日至{chinese_date(end)}"
    if end.month != start.month:
        return f"{start.month}月{start.day}日至{end.month}月{end.day}日"
    return f"{start.month}月{start.day}日至{end.day}日"


def date_list(spans: Iterable[tuple[date, date | None]]) -> str:
    """Dates of events in order, e.g. '3月15日、6月28日至29日、9月28日' (a two-day event is one item)."""
    unique = sorted({(start, end or start) for start, end in spans})
    return "、".join(_span(start, end) for start, end in unique)


def numeral(number: int) -> str:
    """A Chinese numeral for 1–99: 1 → '一', 10 → '十', 12 → '十二', 20 → '二十'."""
    if not 0 < number < 100:
        raise ValueError(number)
    tens, ones = divmod(number, 10)
    if tens == 0:
        return _NUMERALS[ones]
    return ("" if tens == 1 else _NUMERALS[tens]) + "十" + (_NUMERALS[ones] if ones else "")


def heading_number(number: int) -> str:
    """'一、' for a first-level heading."""
    return f"{numeral(number)}、"


def subheading_number(number: int) -> str:
    """'（一）' for a second-level heading."""
    return f"（{numeral(number)}）"


def listing(items: Iterable[str], limit: int | None = None) -> str:
    """Items joined with '、'; beyond `limit` the rest become '等'."""
    items = [i for i in dict.fromkeys(items) if i]
    if limit is not None and len(items) > limit:
        return "、".join(items[:limit]) + "等"
    return "、".join(items)

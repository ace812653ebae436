"""Which year people work on: the year being reported on, and the days a calendar offers for it.

From January to March (report season) offices write the report on last year, so the app opens on last
year then; from April on, on this year. A calendar for a year offers that year's days only, so it opens
inside the year (at today when today is in it, else at the year's nearest end) instead of on today's month.
"""

from __future__ import annotations

from datetime import date

REPORT_SEASON_LAST_MONTH = 3  # January–March: the annual report on last year is being written


def working_year(today: date | None = None) -> int:
    """The year a login opens on: last year in January–March, this year from April."""
    today = today or date.today()
    return today.year - 1 if today.month <= REPORT_SEASON_LAST_MONTH else today.year


def year_days(year: int) -> tuple[date, date]:
    """The first and last day of `year`, the bounds of a date picker for it."""
    return date(year, 1, 1), date(year, 12, 31)

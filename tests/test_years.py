"""fazhi/years.py: the year a login opens on, and a year's days for the date pickers."""

from __future__ import annotations

from datetime import date

import pytest

from fazhi import years
from tests.test_pages import app_db, demo_app, run_app  # noqa: F401  (fixtures)


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (date(2021, 1, 1), 2020),
        (date(2021, 2, 14), 2020),
        (date(2021, 3, 31), 2020),
        (date(2021, 4, 1), 2021),
        (date(2021, 12, 31), 2021),
    ],
)
def test_report_season_opens_on_last_year(today: date, expected: int) -> None:
    assert years.working_year(today) == expected


def test_a_years_days() -> None:
    assert years.year_days(2020) == (date(2020, 1, 1), date(2020, 12, 31))


class February(date):
    """A day in report season for the app under test."""

    @classmethod
    def today(cls) -> February:
        return cls(2021, 2, 10)


def test_a_login_in_february_opens_on_last_year(demo_app, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(years, "date", February)
    at = run_app(demo_app["editor"])
    assert not at.exception
    assert at.selectbox(key="year_picker").value == 2020
    assert at.title[0].value.startswith("燕山乡 · 2020年")

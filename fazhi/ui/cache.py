"""Dashboard data, report context and a county's township scores, cached but never stale.

All are keyed by (database file, `db.version`, unit, year, the user's unit path, today, catalog identity).
`db.version` grows with every committed write of this process (the only process that may write the file),
so a saved record, target or lock shows at the next rerun; `today` moves the time marker daily.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import streamlit as st

from fazhi import auth, compare, dashboard, units
from fazhi.catalog import Catalog
from fazhi.db import Database
from fazhi.report.context import build_context


@st.cache_data(show_spinner=False, max_entries=64)
def _dashboard_data(
    path: str,
    version: int,
    unit_id: int,
    year: int,
    user_path: str,
    today: date,
    catalog_id: int,
    _db: Database,
    _user: auth.User,
    _catalog: Catalog,
    _unit: units.Unit,
) -> dashboard.DashboardData:
    return dashboard.dashboard_data(_db, _user, _catalog, _unit, year, today=today)


def dashboard_data(
    db: Database, user: auth.User, catalog: Catalog, unit: units.Unit, year: int, today: date | None = None
) -> dashboard.DashboardData:
    """`dashboard.dashboard_data`, cached by (file, data version, unit, year, the user's unit path, today)."""
    today = today or date.today()
    return _dashboard_data(
        str(db.path), db.version, unit.id, year, user.unit_path, today, id(catalog), db, user, catalog, unit
    )


def clear_dashboard_data() -> None:
    """Forget every cached dashboard (the benchmark times a run whose data just changed)."""
    _dashboard_data.clear()


@st.cache_data(show_spinner=False, max_entries=16)
def _township_scores(
    path: str,
    version: int,
    county_id: int,
    year: int,
    user_path: str,
    today: date,
    catalog_id: int,
    _db: Database,
    _user: auth.User,
    _catalog: Catalog,
    _county: units.Unit,
) -> list[compare.Score]:
    return compare.scores(_db, _user, _catalog, _county, year, today=today)


def township_scores(
    db: Database, user: auth.User, catalog: Catalog, county: units.Unit, year: int
) -> list[compare.Score]:
    """`compare.scores` of the county's townships, cached like `dashboard_data`, for 报送进度, 乡镇比较 and
    会议模式, where every click reruns the page."""
    return _township_scores(
        str(db.path),
        db.version,
        county.id,
        year,
        user.unit_path,
        date.today(),
        id(catalog),
        db,
        user,
        catalog,
        county,
    )


@st.cache_data(show_spinner=False, max_entries=32)
def _report_context(
    path: str,
    version: int,
    unit_id: int,
    year: int,
    user_path: str,
    today: date,
    catalog_id: int,
    _db: Database,
    _user: auth.User,
    _catalog: Catalog,
    _unit: units.Unit,
) -> dict[str, Any]:
    return build_context(_db, _user, _catalog, _unit, year, today=today)


def report_context(
    db: Database, user: auth.User, catalog: Catalog, unit: units.Unit, year: int
) -> dict[str, Any]:
    """`report.context.build_context` (without charts), cached like `dashboard_data`: every committed write
    (records, saved text, settings) bumps `db.version`, so the page never shows stale drafts, and reruns
    while someone types do not rebuild the whole report."""
    return _report_context(
        str(db.path),
        db.version,
        unit.id,
        year,
        user.unit_path,
        date.today(),
        id(catalog),
        db,
        user,
        catalog,
        unit,
    )

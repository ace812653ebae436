"""What every session shares instead of computing it again: dashboard data and its charts, the report
context, a county's township scores, the 台账 listing, the sidebar's units, years, report notes and the 封账
banner, all cached but never stale.

Every key starts with (database file, `db.scope_version(path)` of the unit shown or the user's unit), read
at call time. The figures version moves after each committed write that may change a figure (records and values, units, targets, locks, report
text and settings; see `Database.transaction`), and not after a login, an account change, an evidence
file or an audit-only row, so a colleague's login leaves everyone's cached dashboards in place. This
process is the only one that may write the file, so a saved record shows at the next rerun; `today` in a
key moves the time marker daily. A record write moves only the scopes of its unit's path (the 乡镇 where a
colleague saves, and the 区县), so the other 乡镇 keep their cached figures.

The dashboard data, its figures and the 台账 frame are `st.cache_resource`: one object handed to every
session (no copy per rerun), which callers only read. A figure is keyed by the identity of the shared
`DashboardData` it draws, and its entry holds that object, so the identity cannot be reused meanwhile.
"""

from __future__ import annotations

import dataclasses
from datetime import date
from typing import Any

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from fazhi import (
    attachments,
    auth,
    charts,
    compare,
    dashboard,
    ledger,
    locks,
    record_display,
    scorecard,
    submissions,
    units,
)
from fazhi.catalog import Catalog
from fazhi.db import Database
from fazhi.report.context import build_context


@st.cache_resource(show_spinner=False, max_entries=64)
def _dashboard_data(
    path: str,
    version: tuple[int, int],
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
    """`dashboard.dashboard_data`, shared by every session: keyed by (file, figures version, unit, year, the
    user's unit path, today); the same object until the figures change (read it, never modify it)."""
    today = today or date.today()
    return _dashboard_data(
        str(db.path),
        db.scope_version(unit.path),
        unit.id,
        year,
        user.unit_path,
        today,
        id(catalog),
        db,
        user,
        catalog,
        unit,
    )


@st.cache_resource(show_spinner=False, max_entries=512)
def _derived(
    data_id: int,
    what: str,
    code: str | None,
    height: int | None,
    font_size: int,
    _data: Any,
    _catalog: Catalog | None,
) -> tuple[dashboard.DashboardData, Any]:
    if what == "shortfalls":
        return _data, scorecard.shortfall_lines(_data.table, _data.share)
    if what == "indicators":
        return _data, scorecard.indicator_display(_data.table)
    assert _catalog is not None  # a chart always comes with its catalog
    frame = charts.frame(what, _data, _catalog, code)
    return _data, charts.build(what, frame, height=height, font_size=font_size)


def figure(
    kind: str,
    data: dashboard.DashboardData,
    catalog: Catalog,
    code: str | None = None,
    height: int | None = None,
    font_size: int = 16,
) -> go.Figure:
    """The registered chart `kind` of shared dashboard data, built once for every session that shows it."""
    held, built = _derived(id(data), kind, code, height, font_size, data, catalog)
    if held is not data:  # not shared data (e.g. built by a test): never serve another object's figure
        return charts.build(kind, charts.frame(kind, data, catalog, code), height=height, font_size=font_size)
    return built


def shortfall_lines(data: dashboard.DashboardData) -> list[str]:
    """`scorecard.shortfall_lines` of shared dashboard data, computed once."""
    held, lines = _derived(id(data), "shortfalls", None, None, 0, data, None)
    return list(lines) if held is data else scorecard.shortfall_lines(data.table, data.share)


def indicator_display(data: dashboard.DashboardData) -> pd.DataFrame:
    """`scorecard.indicator_display` of shared dashboard data, computed once (read it, never modify it)."""
    held, frame = _derived(id(data), "indicators", None, None, 0, data, None)
    return frame if held is data else scorecard.indicator_display(data.table)


@st.cache_data(show_spinner=False, max_entries=16)
def _township_scores(
    path: str,
    version: tuple[int, int],
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
    会议模式, where every click reruns the page (the county's figures version: a login leaves it in place)."""
    return _township_scores(
        str(db.path),
        db.scope_version(county.path),
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
    version: tuple[int, int],
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
    """`report.context.build_context` (without charts), cached like `dashboard_data`: every write that
    changes the report (records, saved text, settings, templates, locks) moves the unit's figures version, so the
    page never shows stale drafts, and reruns while someone types do not rebuild the whole report."""
    return _report_context(
        str(db.path),
        db.scope_version(unit.path),
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


@st.cache_resource(show_spinner=False, max_entries=128)
def _records(
    path: str,
    version: tuple[int, int],
    user_path: str,
    role: str,
    catalog_id: int,
    filters: tuple,
    _db: Database,
    _user: auth.User,
    _catalog: Catalog,
    _filters: ledger.RecordFilter,
) -> pd.DataFrame:
    return ledger.list_records(_db, _user, _catalog, _filters)


def list_records(
    db: Database, user: auth.User, catalog: Catalog, filters: ledger.RecordFilter
) -> pd.DataFrame:
    """`ledger.list_records`, shared by sessions asking the same of the same figures (read it, never
    modify it): 台账 reruns on every click there, and the listing is most of its cost."""
    key = tuple(
        (f.name, tuple(v) if isinstance(v := getattr(filters, f.name), list | tuple) else v)
        for f in dataclasses.fields(filters)
    )
    return _records(
        str(db.path),
        db.scope_version(user.unit_path),
        user.unit_path,
        user.role,
        id(catalog),
        key,
        db,
        user,
        catalog,
        filters,
    )


@st.cache_resource(show_spinner=False, max_entries=64)
def _ledger_view(
    path: str, version: int, frame_id: int, _frame: pd.DataFrame, _db: Database, _catalog: Catalog
) -> tuple[pd.DataFrame, pd.DataFrame]:
    return _frame, record_display.display_frame(attachments.with_counts(_db, _frame), _catalog)


def ledger_view(db: Database, catalog: Catalog, frame: pd.DataFrame) -> pd.DataFrame:
    """The 台账 table for people (`record_display.display_frame` with evidence counts) of a shared listing,
    by (file, data version: evidence files count too, frame); read it, never modify it."""
    held, view = _ledger_view(str(db.path), db.version, id(frame), frame, db, catalog)
    if held is not frame:  # not a shared listing: never serve another frame's view
        return record_display.display_frame(attachments.with_counts(db, frame), catalog)
    return view


@st.cache_data(show_spinner=False, max_entries=256)
def _years(path: str, version: tuple[int, int], user_path: str, _db: Database, _user: auth.User) -> list[int]:
    return ledger.years_with_records(_db, _user)


def years_with_records(db: Database, user: auth.User) -> list[int]:
    """`ledger.years_with_records` by (file, figures version, the user's unit path): the sidebar asks on every
    run of every session, and only a write of records can change it."""
    return _years(str(db.path), db.scope_version(user.unit_path), user.unit_path, db, user)


@st.cache_data(show_spinner=False, max_entries=256)
def _visible_units(
    path: str, version: tuple[int, int], user_path: str, _db: Database, _user: auth.User
) -> list[units.Unit]:
    return units.visible_units(_db, _user)


def visible_units(db: Database, user: auth.User) -> list[units.Unit]:
    """`units.visible_units` by (file, figures version, the user's unit path)."""
    return _visible_units(str(db.path), db.scope_version(user.unit_path), user.unit_path, db, user)


@st.cache_data(show_spinner=False, max_entries=256)
def _lock_state(
    path: str, version: tuple[int, int], unit_id: int, year: int, _db: Database, _unit: units.Unit
) -> str | None:
    return locks.lock_state(_db, _unit, year)


def lock_state(db: Database, unit: units.Unit, year: int) -> str | None:
    """`locks.lock_state` by (file, figures version, unit, year): the banner every page run shows."""
    return _lock_state(str(db.path), db.scope_version(unit.path), unit.id, year, db, unit)


@st.cache_data(show_spinner=False, max_entries=256)
def _submission_notes(
    path: str,
    version: tuple[int, int],
    user_id: int,
    user_path: str,
    role: str,
    _db: Database,
    _user: auth.User,
) -> list[tuple[str, str]]:
    return submissions.notes_for(_db, _user, units.visible_units(_db, _user))


def submission_notes(db: Database, user: auth.User) -> list[tuple[str, str]]:
    """`submissions.notes_for` of the user's units, by (file, figures version of the user's unit, user): the
    sidebar shows them on every run, and a submission or a decision is a write that moves every scope."""
    return _submission_notes(
        str(db.path), db.scope_version(user.unit_path), user.id, user.unit_path, user.role, db, user
    )

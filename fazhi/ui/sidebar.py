"""The sidebar every page shares: the pages a user may open, who is logged in, the unit and year everyone
works on (kept across pages), the notes of returned or waiting reports, and the 封账 banner of that year."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import streamlit as st
from streamlit.navigation.page import StreamlitPage

from fazhi import auth, navigation, units, years
from fazhi.db import Database
from fazhi.labels import BASE_FIELDS
from fazhi.text import markdown_literal
from fazhi.ui import cache
from fazhi.ui.session import UNIT_KEY, YEAR_KEY, log_out

PENDING_KEY = "fazhi_pending_choice"
UNIT_WIDGET = "unit_picker"
UNIT_PARAM = "unit"  # ?unit=ID&year=YYYY in every page's URL: a bookmark or F5 keeps the sidebar's choice
YEAR_PARAM = "year"
YEAR_WIDGET = "year_picker"


def navigation_pages(
    db: Database, user: auth.User | None
) -> list[StreamlitPage] | dict[str, list[StreamlitPage]]:
    """What st.navigation shows: 初始化 on a new installation, 登录 when anonymous, else the role's pages.

    Every page's URL is always known, so a reload or a bookmark never meets Streamlit's "Page not found":
    anonymous, /ledger shows the login form and, once logged in, the ledger; a page the role may not open
    (a 查看者's /entry) says so in Chinese instead of running.
    """
    if user is None:
        spec = navigation.SETUP if auth.user_count(db) == 0 else navigation.LOGIN
        first = st.Page(spec.path, title=spec.title, url_path=spec.url_path, icon=spec.icon, default=True)
        return [first] + [
            st.Page(spec.path, title=spec.title, url_path=page.url_path, icon=spec.icon, visibility="hidden")
            for page in navigation.PAGES
        ]
    sections: dict[str, list[StreamlitPage]] = {}
    own = next((u for u in cache.visible_units(db, user) if u.id == user.unit_id), None)
    level = own.level if own is not None else None
    allowed = navigation.pages_for(user.role, level)
    for number, spec in enumerate(allowed):
        page = st.Page(
            spec.path,
            title=spec.title,
            url_path=spec.url_path,
            icon=spec.icon,
            default=number == 0,
            visibility="visible" if spec.visible else "hidden",
        )
        sections.setdefault(spec.section, []).append(page)
    first = next(iter(sections.values()))[0]
    hidden = [
        st.Page(_go_to(first), title=spec.title, url_path=spec.url_path, icon=spec.icon, visibility="hidden")
        for spec in (navigation.LOGIN, navigation.SETUP)
    ] + [
        st.Page(
            _not_for_role(spec), title=spec.title, url_path=spec.url_path, icon=spec.icon, visibility="hidden"
        )
        for spec in navigation.PAGES
        if spec not in allowed
    ]
    sections[next(iter(sections))].extend(hidden)  # hidden pages still belong to some section
    return sections


def _go_to(page: StreamlitPage) -> Callable[[], None]:
    """The page behind 登录 and 初始化 once logged in (the run right after logging in asks for it): the first
    page of the menu."""

    def go() -> None:
        st.switch_page(page)

    go.__name__ = "logged_in"
    return go


def _not_for_role(spec: navigation.PageSpec) -> Callable[[], None]:
    """A page that only says the role cannot open `spec` (a 查看者's bookmark of /entry)."""

    def page() -> None:
        st.error(f"您的账号不能使用“{spec.title}”。请从左侧菜单选择您能使用的功能。", icon=":material/lock:")

    page.__name__ = f"not_{spec.url_path}"
    return page


def sidebar(db: Database, user: auth.User) -> None:
    """Who is logged in, the year and unit everyone works on, and 退出."""
    with st.sidebar:
        st.caption(markdown_literal(f"{user.display_name}（{user.role_label}） · {user.unit_name}"))
        unit_and_year_picker(db, user)
        submission_notes(db, user)
        if st.button("退出登录", key="logout", icon=":material/logout:"):
            log_out()
            st.query_params.clear()
            st.rerun()


def submission_notes(db: Database, user: auth.User) -> None:
    """The sidebar's note of a returned report (with the county's comment) or of reports waiting for review."""
    for kind, note in cache.submission_notes(db, user):
        shown = st.warning if kind == "returned" else st.info
        shown(markdown_literal(note), icon=":material/rate_review:")


def choose(unit_id: int | None = None, year: int | None = None) -> None:
    """Switch the sidebar to this unit and/or year from the next run on (e.g. after loading the demo)."""
    st.session_state[PENDING_KEY] = (unit_id, year)


def keep(widget_key: str, state_key: str) -> None:
    """Widget callback: copy the widget's value to a plain session key, which survives page switches."""
    st.session_state[state_key] = st.session_state[widget_key]


def unit_and_year_picker(db: Database, user: auth.User) -> None:
    """Sidebar selectors for the unit (own unit and below) and the year, shared by every page.

    The choice lives in plain session keys (UNIT_KEY, YEAR_KEY) that survive page switches; the widgets
    are set from them on every run and copy changes back.
    """
    pending_unit, pending_year = st.session_state.pop(PENDING_KEY, (None, None))
    if pending_unit is not None:
        st.session_state[UNIT_KEY] = pending_unit
    if pending_year is not None:
        st.session_state[YEAR_KEY] = pending_year
    # A reload, a bookmark or a new tab starts without session state: the URL says the unit and year.
    if UNIT_KEY not in st.session_state:
        st.session_state[UNIT_KEY] = _query_number(UNIT_PARAM)
    if YEAR_KEY not in st.session_state:
        st.session_state[YEAR_KEY] = _query_number(YEAR_PARAM)
    visible = cache.visible_units(db, user)
    if not visible:
        st.warning("您的账号没有可查看的单位。")
        return
    by_id = {u.id: u for u in visible}
    if st.session_state.get(UNIT_KEY) not in by_id:
        st.session_state[UNIT_KEY] = _default_unit(visible).id
    st.session_state[UNIT_WIDGET] = st.session_state[UNIT_KEY]
    st.selectbox(
        BASE_FIELDS["unit"],
        list(by_id),
        format_func=lambda i: units.indented_name(by_id[i], visible[0].depth),
        key=UNIT_WIDGET,
        on_change=keep,
        args=(UNIT_WIDGET, UNIT_KEY),
        help="选择乡镇时包含其下各村（社区）；选择区县时包含全部乡镇。",
    )
    opening = years.working_year()
    offered = sorted(set(cache.years_with_records(db, user)) | {date.today().year, opening}, reverse=True)
    if st.session_state.get(YEAR_KEY) not in offered:
        st.session_state[YEAR_KEY] = opening  # January–March: the year being reported on
    st.session_state[YEAR_WIDGET] = st.session_state[YEAR_KEY]
    st.selectbox(
        "年度",
        offered,
        key=YEAR_WIDGET,
        on_change=keep,
        args=(YEAR_WIDGET, YEAR_KEY),
        format_func=lambda y: f"{y}年",
    )
    _keep_in_url(UNIT_PARAM, st.session_state[UNIT_KEY])
    _keep_in_url(YEAR_PARAM, st.session_state[YEAR_KEY])


def _query_number(name: str) -> int | None:
    """A whole number from the URL's query parameters, or None (missing or not a number)."""
    text = str(st.query_params.get(name, "")).strip()
    return int(text) if text.isdigit() and len(text) < 10 else None


def _keep_in_url(name: str, value: int) -> None:
    """Write the choice into the URL (only when it differs: each change is a message to the browser)."""
    if st.query_params.get(name) != str(value):
        st.query_params[name] = str(value)


def _default_unit(visible: list[units.Unit]) -> units.Unit:
    """The user's own unit, except a 区县 with exactly one 乡镇 (the usual township install) opens on it."""
    top = visible[0]
    below = [u for u in visible if u.parent_id == top.id]
    if top.level == "county" and len(below) == 1:
        return below[0]
    return top


def selected_unit(db: Database, user: auth.User) -> units.Unit:
    """The unit chosen in the sidebar (the user's own unit by default)."""
    unit_id = st.session_state.get(UNIT_KEY)
    visible = {u.id: u for u in cache.visible_units(db, user)}
    if unit_id not in visible:
        return _default_unit(list(visible.values()))
    return visible[unit_id]


def selected_year() -> int:
    """The year chosen in the sidebar (by default the year being worked on, see `years.working_year`)."""
    return int(st.session_state.get(YEAR_KEY) or years.working_year())


def lock_banner(db: Database, unit: units.Unit, year: int) -> bool:
    """Show the 封账 state of the year on the page; True when locked."""
    state = cache.lock_state(db, unit, year)
    if state:
        st.info(state, icon=":material/lock:")
    return state is not None


def unit_label(unit: units.Unit, top: units.Unit | None = None) -> str:
    """The unit's name indented by its depth below `top`, for pickers showing the tree."""
    return units.indented_name(unit, top.depth if top else 0)

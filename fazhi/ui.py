"""Streamlit glue, the one module of fazhi/ that imports streamlit: the cached connection, the login
gate, the shared year/unit picker, the way errors are shown, the cached dashboard data, charts and KPI
cards, and the way a page asks 台账 to show some records.

Contract with 台账 (`open_ledger` → pages/ledger.py): a page that wants to show "the records behind this
figure" calls `open_ledger(year=2020, unit_id=5, type_codes=[...], area="publicity", date_from=date(...),
date_to=date(...), keyword="...")` with any of the keys of `records.RecordFilter` (no others). It stores
them as a plain dict in `st.session_state["fazhi_ledger_request"]` (LEDGER_REQUEST) and switches to
pages/ledger.py. The 台账 page takes the request exactly once with `take_ledger_request()` (which removes
it), applies it as `records.RecordFilter(**request)` on top of its defaults, says in words what is shown
(`dashboard.describe_filter`) and offers a way back to the full list.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any, NoReturn

import streamlit as st

from fazhi import auth, backup, charts, dashboard, locks, navigation, records, units
from fazhi.catalog import Catalog, load_catalog
from fazhi.db import Database, connect
from fazhi.errors import FazhiError, InvalidInput
from fazhi.settings import auto_backup_enabled, db_path, idle_timeout_minutes

USER_KEY = "fazhi_user_id"
SEEN_KEY = "fazhi_last_seen"
YEAR_KEY = "fazhi_year"
UNIT_KEY = "fazhi_unit_id"
NOTICE_KEY = "fazhi_notice"
GENERATION_KEY = "fazhi_generation"
PENDING_KEY = "fazhi_pending_choice"
UNIT_WIDGET = "unit_picker"
YEAR_WIDGET = "year_picker"
LEDGER_REQUEST = "fazhi_ledger_request"
KPI_KEY = "fazhi_kpis"
KPI_WIDGET = "kpi_picker"


@st.cache_resource(show_spinner=False)
def _open(path: str) -> Database:
    return connect(path)


def database() -> Database:
    """The process's connection to the database at $FAZHI_DB (read now, so each path has its own)."""
    try:
        return _open(str(db_path()))
    except FazhiError as error:
        st.error(error.message, icon=":material/database:")
        st.stop()
        raise  # unreachable: st.stop() raises


@st.cache_resource(show_spinner=False)
def _daily_backup(path: str, day: str) -> threading.Thread:
    """Start the day's automatic backup of this database once per process and day (in the background)."""
    thread = threading.Thread(
        target=backup.daily_backup_quietly, args=(_open(path),), name=f"fazhi-backup-{day}", daemon=True
    )
    thread.start()
    return thread


def daily_backup(db: Database) -> threading.Thread | None:
    """Make today's automatic backup on the first run of the day, without holding up the page; None when off."""
    if not auto_backup_enabled():
        return None
    return _daily_backup(str(db.path), date.today().isoformat())


def catalog() -> Catalog:
    """The catalog, or a stop with the file and key that are wrong."""
    try:
        return load_catalog()
    except FazhiError as error:
        st.error(f"目录文件有误，程序无法启动：{error.message}", icon=":material/error:")
        st.stop()
        raise


def show_error(error: FazhiError) -> None:
    """A Chinese error box; for invalid input, one line per problem."""
    if isinstance(error, InvalidInput) and len(error.problems) > 1:
        lines = "\n".join(
            f"- {'第' + str(p.row) + '行：' if p.row else ''}{p.message}" for p in error.problems[:50]
        )
        more = f"\n- ……另有{len(error.problems) - 50}处" if len(error.problems) > 50 else ""
        st.error(f"有{len(error.problems)}处需要修改：\n{lines}{more}", icon=":material/error:")
    else:
        st.error(error.message, icon=":material/error:")


@contextmanager
def guard() -> Iterator[None]:
    """Run an action; a FazhiError becomes a Chinese error box instead of a traceback."""
    try:
        yield
    except FazhiError as error:
        show_error(error)


def flash(message: str) -> None:
    """A success message shown once on the next run (survives st.rerun)."""
    st.session_state[NOTICE_KEY] = message


def show_flash() -> None:
    """Show and clear the message left by `flash`."""
    message = st.session_state.pop(NOTICE_KEY, None)
    if message:
        st.success(message, icon=":material/check_circle:")


def log_in(user: auth.User) -> None:
    """Start a browser session for this user (valid until the database file is replaced by a restore)."""
    st.session_state[USER_KEY] = user.id
    st.session_state[SEEN_KEY] = time.time()
    st.session_state[GENERATION_KEY] = database().generation


def log_out() -> None:
    """End the browser session (the data stays; only this browser forgets the login)."""
    for key in (USER_KEY, SEEN_KEY, YEAR_KEY, UNIT_KEY, GENERATION_KEY):
        st.session_state.pop(key, None)


def current_user(db: Database) -> auth.User | None:
    """The logged-in user, or None; logs out after the idle timeout or when the account was disabled."""
    user_id = st.session_state.get(USER_KEY)
    if user_id is None:
        return None
    if st.session_state.get(GENERATION_KEY, db.generation) != db.generation:
        # A restore replaced the data: the account behind this id may now be someone else's.
        log_out()
        st.info("数据已从备份恢复，请重新登录。", icon=":material/settings_backup_restore:")
        return None
    last_seen = st.session_state.get(SEEN_KEY, 0.0)
    if time.time() - last_seen > idle_timeout_minutes() * 60:
        log_out()
        st.info("长时间未操作，已自动退出，请重新登录。", icon=":material/schedule:")
        return None
    user = auth.load_user(db, user_id)
    if user is None:
        log_out()
        return None
    st.session_state[SEEN_KEY] = time.time()
    return user


def require_user() -> auth.User:
    """The logged-in user for a page; an anonymous visitor sees only a prompt to log in."""
    user = current_user(database())
    if user is None:
        st.warning("请先登录。", icon=":material/lock:")
        st.stop()
    return user  # type: ignore[return-value]


def navigation_pages(db: Database, user: auth.User | None) -> list[st.Page] | dict[str, list[st.Page]]:
    """What st.navigation shows: 初始化 on a new installation, 登录 when anonymous, else the role's pages."""
    if user is None:
        spec = navigation.SETUP if auth.user_count(db) == 0 else navigation.LOGIN
        return [st.Page(spec.path, title=spec.title, url_path=spec.url_path, icon=spec.icon, default=True)]
    sections: dict[str, list[st.Page]] = {}
    for number, spec in enumerate(navigation.pages_for(user.role)):
        page = st.Page(
            spec.path, title=spec.title, url_path=spec.url_path, icon=spec.icon, default=number == 0
        )
        sections.setdefault(spec.section, []).append(page)
    return sections


def sidebar(db: Database, user: auth.User) -> None:
    """Who is logged in, the year and unit everyone works on, and 退出."""
    with st.sidebar:
        st.caption(f"{user.display_name}（{user.role_label}） · {user.unit_name}")
        unit_and_year_picker(db, user)
        if st.button("退出登录", key="logout", icon=":material/logout:"):
            log_out()
            st.rerun()


def choose(unit_id: int | None = None, year: int | None = None) -> None:
    """Switch the sidebar to this unit and/or year from the next run on (e.g. after loading the demo)."""
    st.session_state[PENDING_KEY] = (unit_id, year)


def _keep(widget_key: str, state_key: str) -> None:
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
    visible = units.visible_units(db, user)
    if not visible:
        st.warning("您的账号没有可查看的单位。")
        return
    by_id = {u.id: u for u in visible}
    depth = {u.id: u.path.count("/") - 2 for u in visible}
    if st.session_state.get(UNIT_KEY) not in by_id:
        st.session_state[UNIT_KEY] = _default_unit(visible).id
    st.session_state[UNIT_WIDGET] = st.session_state[UNIT_KEY]
    st.selectbox(
        "单位",
        list(by_id),
        format_func=lambda i: "　" * (depth[i] - depth[visible[0].id]) + by_id[i].name,
        key=UNIT_WIDGET,
        on_change=_keep,
        args=(UNIT_WIDGET, UNIT_KEY),
        help="选择乡镇时包含其下各村（社区）；选择区县时包含全部乡镇。",
    )
    years = sorted(set(records.years_with_records(db, user)) | {date.today().year}, reverse=True)
    if st.session_state.get(YEAR_KEY) not in years:
        st.session_state[YEAR_KEY] = years[0]
    st.session_state[YEAR_WIDGET] = st.session_state[YEAR_KEY]
    st.selectbox(
        "年度",
        years,
        key=YEAR_WIDGET,
        on_change=_keep,
        args=(YEAR_WIDGET, YEAR_KEY),
        format_func=lambda y: f"{y}年",
    )


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
    visible = {u.id: u for u in units.visible_units(db, user)}
    if unit_id not in visible:
        return _default_unit(list(visible.values()))
    return visible[unit_id]


def selected_year() -> int:
    """The year chosen in the sidebar (this year by default)."""
    return int(st.session_state.get(YEAR_KEY) or date.today().year)


def lock_banner(db: Database, unit: units.Unit, year: int) -> bool:
    """Show the 封账 state of the year on the page; True when locked."""
    state = locks.lock_state(db, unit, year)
    if state:
        st.info(state, icon=":material/lock:")
    return state is not None


def require_admin(user: auth.User) -> None:
    """Stop the page for anyone but an administrator (navigation hides such pages; this covers a direct run)."""
    if not user.is_admin:
        st.error("此页面只有管理员可以使用。", icon=":material/lock:")
        st.stop()


def unit_label(unit: units.Unit, top: units.Unit | None = None) -> str:
    """The unit's name indented by its depth below `top`, for pickers showing the tree."""
    depth = unit.path.count("/") - (top.path.count("/") if top else 2)
    return "　" * max(0, depth) + unit.name


# ───────────── plain text in Markdown-rendering widgets ─────────────

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~<>$:])")


def md(text: object) -> str:
    """Text escaped for st.title/st.markdown/captions, so typed text (a unit name) is never Markdown."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", str(text))


# ───────────── 台账 requests from other pages ─────────────


def open_ledger(**filters: Any) -> NoReturn:
    """Switch to 台账 showing the records that match `filters` (keys of records.RecordFilter; see the module
    docstring for the contract)."""
    unknown = set(filters) - set(dashboard.LEDGER_FILTER_KEYS)
    if unknown:
        raise TypeError(f"open_ledger: unknown filter keys {sorted(unknown)}")
    st.session_state[LEDGER_REQUEST] = dict(filters)
    st.switch_page("pages/ledger.py")
    raise AssertionError("unreachable: st.switch_page raises")


def take_ledger_request() -> dict[str, Any] | None:
    """The filters another page asked 台账 to show, once (removed as it is read); None when there is none."""
    return st.session_state.pop(LEDGER_REQUEST, None)


# ───────────── dashboard data, cached but never stale ─────────────


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
    """`dashboard.dashboard_data`, cached by (file, data version, unit, year, the user's unit path, today).

    `db.version` grows with every committed write of this process (the only process that may write the
    file), so a saved record, target or lock shows at the next rerun; `today` moves the time marker daily.
    """
    today = today or date.today()
    return _dashboard_data(
        str(db.path), db.version, unit.id, year, user.unit_path, today, id(catalog), db, user, catalog, unit
    )


# ───────────── charts and KPI cards ─────────────

_CHART_CONFIG = {"displayModeBar": False, "displaylogo": False, "scrollZoom": False}
_STATUS_MARKDOWN = {
    "达标": "green",
    "进度正常": "blue",
    "落后": "orange",
    "未达标": "red",
    "无记录": "gray",
    "仅统计": "gray",
}


def chart(
    kind: str,
    data: dashboard.DashboardData,
    catalog: Catalog,
    *,
    key: str,
    code: str | None = None,
    selectable: bool = True,
    font_size: int = 16,
    height: int | None = None,
) -> None:
    """Draw a registered chart of the dashboard data; selecting a bar or node opens the matching 台账 records."""
    figure = charts.build(kind, data.frame(kind, catalog, code), height=height, font_size=font_size)
    if not (selectable and charts.CHARTS[kind].selectable):
        st.plotly_chart(figure, key=key, theme=None, config=_CHART_CONFIG)
        return
    event = st.plotly_chart(
        figure, key=key, theme=None, config=_CHART_CONFIG, on_select="rerun", selection_mode="points"
    )
    points = event.selection.points if event else []
    if points:
        filters = dashboard.ledger_filter(catalog, kind, dict(points[0]), data.unit, data.year)
        if filters is not None:
            open_ledger(**filters)


def kpi_cards(cards: list[dashboard.Kpi], per_row: int = 4) -> None:
    """KPI cards in rows: value, change against last year (coloured by direction), target, completion, status."""
    for start in range(0, len(cards), per_row):
        columns = st.columns(per_row)
        for column, card in zip(columns, cards[start : start + per_row], strict=False):
            with column.container(border=True):
                st.metric(
                    md(card.label),
                    card.value,
                    card.delta,
                    delta_color=card.delta_color,  # type: ignore[arg-type]
                    delta_arrow="off" if card.delta in (None, "持平") else "auto",
                    help=md(card.help),
                )
                color = _STATUS_MARKDOWN.get(card.status, "gray")
                st.caption(
                    f"{md(card.previous)} · 目标 {md(card.target)} · 完成 {md(card.completion)} · "
                    f":{color}[{md(card.status)}]"
                )


def chosen_kpis(catalog: Catalog) -> list[str]:
    """The indicator codes of the KPI cards this session chose on 看板 (the default set until then)."""
    known = {i.code for i in catalog.indicators}
    chosen = st.session_state.get(KPI_KEY) or list(dashboard.KEY_INDICATORS)
    return [code for code in chosen if code in known]


def kpi_picker(catalog: Catalog) -> list[str]:
    """A multiselect of the KPI cards to show (kept for the session, also used by 会议模式); the chosen codes."""
    names = {i.code: i.name for i in catalog.indicators}
    st.session_state[KPI_WIDGET] = chosen_kpis(catalog)
    st.multiselect(
        "关键指标卡片",
        list(names),
        format_func=names.get,
        key=KPI_WIDGET,
        on_change=_keep,
        args=(KPI_WIDGET, KPI_KEY),
        placeholder="选择要显示的指标",
        help="选择看板和会议模式顶部显示哪些指标；清空后恢复默认。",
    )
    return chosen_kpis(catalog)


def plain_list(lines: list[str]) -> None:
    """A bulleted list of plain sentences (escaped, never Markdown)."""
    st.markdown("\n".join(f"- {md(line)}" for line in lines))


# Static styling only: no data ever goes into this HTML.
_MEETING_CSS = """<style>
[data-testid="stMainBlockContainer"] { padding-top: 2.5rem; }
[data-testid="stMainBlockContainer"] h1 { font-size: 3rem; }
[data-testid="stMainBlockContainer"] h2 { font-size: 2.2rem; }
[data-testid="stMetricValue"] { font-size: 4.2rem; line-height: 1.15; }
[data-testid="stMetricLabel"] p { font-size: 1.7rem; }
[data-testid="stMetricDelta"] div, [data-testid="stMetricDeltaDescription"] { font-size: 1.35rem; }
[data-testid="stMainBlockContainer"] [data-testid="stCaptionContainer"] p { font-size: 1.3rem; }
[data-testid="stMainBlockContainer"] [data-testid="stMarkdownContainer"] li { font-size: 1.55rem; }
</style>"""


def meeting_style() -> None:
    """Projector-sized fonts for 会议模式 (static CSS, applied only while that page is shown)."""
    st.markdown(_MEETING_CSS, unsafe_allow_html=True)

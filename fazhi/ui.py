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

from fazhi import attachments, auth, backup, charts, dashboard, locks, navigation, records, units
from fazhi.catalog import Catalog, Field, RecordType, load_catalog
from fazhi.db import Database, connect
from fazhi.errors import FazhiError, InvalidInput
from fazhi.report.context import build_context
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


_INLINE_MARKUP = re.compile(r"([\\`*_\[\]<>$~|&:])")
_LINE_START_MARKUP = re.compile(r"^([ \t]*)(\d+)?([#+\-=.)])", re.MULTILINE)


def plain(text: object) -> str:
    """User text made literal for elements that render Markdown (titles, alerts): markers are backslash-escaped."""
    escaped = _INLINE_MARKUP.sub(r"\\\1", str(text))
    return _LINE_START_MARKUP.sub(lambda m: f"{m[1]}{m[2] or ''}\\{m[3]}", escaped)


def show_error(error: FazhiError) -> None:
    """A Chinese error box; for invalid input, one line per problem (messages may quote user text: escaped)."""
    if isinstance(error, InvalidInput) and len(error.problems) > 1:
        lines = "\n".join(
            f"- {'第' + str(p.row) + '行：' if p.row else ''}{plain(p.message)}" for p in error.problems[:50]
        )
        more = f"\n- ……另有{len(error.problems) - 50}处" if len(error.problems) > 50 else ""
        st.error(f"有{len(error.problems)}处需要修改：\n{lines}{more}", icon=":material/error:")
    else:
        st.error(plain(error.message), icon=":material/error:")


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


def client_address() -> str:
    """The browser's address as the server sees it ('' when unknown, as in AppTest)."""
    try:
        return str(st.context.ip_address or "")
    except Exception:  # no request behind this script run
        return ""


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
            spec.path,
            title=spec.title,
            url_path=spec.url_path,
            icon=spec.icon,
            default=number == 0,
            visibility="visible" if spec.visible else "hidden",
        )
        sections.setdefault(spec.section, []).append(page)
    return sections


def sidebar(db: Database, user: auth.User) -> None:
    """Who is logged in, the year and unit everyone works on, and 退出."""
    with st.sidebar:
        st.caption(plain(f"{user.display_name}（{user.role_label}） · {user.unit_name}"))
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


# The 台账 page's own filter widgets, which a request fills in so the user sees (and can change) them.
LEDGER_WIDGETS = {
    "unit_id": "ledger_unit",
    "area": "ledger_area",
    "type_codes": "ledger_types",
    "keyword": "ledger_keyword",
    "date_from": "ledger_from",
    "date_to": "ledger_to",
}


def _ledger_default(key: str) -> Any:
    return [] if key == "type_codes" else "" if key == "keyword" else None


def clear_ledger_filters() -> None:
    """Button callback: every 台账 filter back to "all"."""
    for key, widget in LEDGER_WIDGETS.items():
        st.session_state[widget] = _ledger_default(key)


def apply_ledger_request(db: Database, catalog: Catalog) -> bool:
    """Turn a pending `open_ledger` request into 台账's filters: the sidebar moves to its year, the page's
    filter widgets (including 下属单位) take its values, others are cleared. True when the page must rerun."""
    request = take_ledger_request()
    if request is None:
        return False
    for key, widget in LEDGER_WIDGETS.items():
        st.session_state[widget] = request.get(key, _ledger_default(key))
    st.session_state["ledger_deleted"] = False
    choose(None, request.get("year"))  # the sidebar keeps its unit; a unit below it is 台账's own filter
    flash(
        plain(
            "只显示："
            + dashboard.describe_filter(db, catalog, request)
            + "。修改上方的筛选条件即可查看其他记录。"
        )
    )
    return True


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
                    plain(card.label),
                    card.value,
                    card.delta,
                    delta_color=card.delta_color,  # type: ignore[arg-type]
                    delta_arrow="off" if card.delta in (None, "持平") else "auto",
                    help=plain(card.help),
                )
                color = _STATUS_MARKDOWN.get(card.status, "gray")
                st.caption(
                    f"{plain(card.previous)} · 目标 {plain(card.target)} · 完成 {plain(card.completion)} · "
                    f":{color}[{plain(card.status)}]"
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
    st.markdown("\n".join(f"- {plain(line)}" for line in lines))


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


# ───────────── the record form, shared by 录入 and 记录详情 ─────────────

YES, NO = "是", "否"


def _unit_label(choices: list[units.Unit]) -> Any:
    top = min(u.path.count("/") for u in choices) if choices else 0
    by_id = {u.id: u for u in choices}
    return lambda unit_id: "　" * (by_id[unit_id].path.count("/") - top) + by_id[unit_id].name


def record_type_picker(catalog: Catalog, key: str, label: str = "记录类型") -> str | None:
    """A searchable picker of the catalog's record types, '组 · 名称'; the chosen type code or None."""
    types = catalog.record_types
    return st.selectbox(
        label,
        list(types),
        index=None,
        format_func=lambda code: f"{types[code].group} · {types[code].name}",
        key=key,
        placeholder="请选择记录类型（可输入文字搜索）",
    )


def _widget_value(item: Field, value: Any) -> Any:
    if value is None:
        return None
    if item.kind == "yesno":
        return YES if value else NO
    if item.kind == "integer":
        return int(value)
    if item.kind == "text":
        return str(value)
    return float(value)


def load_form(prefix: str, item: records.RecordInput | None) -> None:
    """Fill (or, with None, empty) the form `prefix` from the next run on, before its widgets exist."""
    st.session_state[f"{prefix}__load"] = item


def _apply_pending(prefix: str, record_type: RecordType, default_unit: int, year: int) -> None:
    if f"{prefix}__load" not in st.session_state:
        return
    item = st.session_state.pop(f"{prefix}__load")
    if item is None:  # an empty form: the default unit and, in the current year, today
        today = date.today()
        item = records.RecordInput(record_type.code, default_unit, "", today if year == today.year else None)
    state = st.session_state
    for key in [k for k in state if str(k).startswith(f"{prefix}_v_")]:
        del state[key]
    # Every value is set explicitly (blank too): only a value set in session state replaces what the
    # browser still shows in a widget; a deleted key would let the old text come back.
    state[f"{prefix}_unit_id"] = item.unit_id
    state[f"{prefix}_title"] = item.title
    state[f"{prefix}_start_on"] = item.start_on
    state[f"{prefix}_end_on"] = item.end_on if item.end_on != item.start_on else None
    state[f"{prefix}_place"] = item.place
    state[f"{prefix}_summary"] = item.summary
    for field in record_type.fields:
        state[f"{prefix}_v_{field.code}"] = _widget_value(field, item.values.get(field.code))


def _field_help(item: Field) -> str:
    parts = [item.help] if item.help else []
    if item.kind == "integer":
        parts.append(f"整数，{int(item.min or 0)}到{int(item.max or 0)}{item.unit}。")
    elif item.kind == "percent":
        parts.append("0到100之间的数，如 95 或 99.5。")
    elif item.kind == "decimal":
        parts.append(f"数字，可带小数，单位：{item.unit}。" if item.unit else "数字，可带小数。")
    elif item.kind == "text":
        parts.append(f"不超过{item.max_length}个字。")
    return " ".join(parts)


def _field_widget(prefix: str, item: Field) -> Any:
    key = f"{prefix}_v_{item.code}"
    label = item.caption + ("（必填）" if item.required else "")
    help_text = _field_help(item) or None
    if item.kind == "yesno":
        choice = st.radio(label, [YES, NO], index=None, key=key, horizontal=True, help=help_text)
        return None if choice is None else choice == YES
    if item.kind == "text":
        return st.text_input(label, key=key, help=help_text)
    if item.kind == "integer":
        return st.number_input(label, value=None, step=1, key=key, help=help_text, placeholder="不填则留空")
    return st.number_input(
        label, value=None, step=1.0, format="%g", key=key, help=help_text, placeholder="不填则留空"
    )


def record_form(
    prefix: str, record_type: RecordType, unit_choices: list[units.Unit], year: int
) -> tuple[records.RecordInput, dict[str, Any]]:
    """The widgets of one record (call inside st.form; keys '<prefix>_title', '<prefix>_v_<field>', …).

    Returns what is typed as a RecordInput and an empty slot under each widget, keyed by field name,
    where `form_guard` writes that field's problem.
    """
    default_unit = unit_choices[0].id
    if f"{prefix}_title" not in st.session_state and f"{prefix}__load" not in st.session_state:
        load_form(prefix, None)  # first show: the default unit and, this year, today's date
    _apply_pending(prefix, record_type, default_unit, year)
    unit_ids = [u.id for u in unit_choices]
    if st.session_state.get(f"{prefix}_unit_id") not in unit_ids:
        st.session_state[f"{prefix}_unit_id"] = default_unit
    slots: dict[str, Any] = {}
    left, right = st.columns([1, 2])
    with left:
        unit_id = st.selectbox(
            "单位", unit_ids, format_func=_unit_label(unit_choices), key=f"{prefix}_unit_id"
        )
        slots["unit_id"] = st.empty()
    with right:
        title = st.text_input(
            "标题（必填）",
            key=f"{prefix}_title",
            help=f"如：“三月法治宣传月”赶场日集中宣传。不超过{records.TITLE_MAX}个字。",
        )
        slots["title"] = st.empty()
    first, last, where = st.columns(3)
    bounds = {"min_value": date(records.FIRST_YEAR, 1, 1), "max_value": date(records.LAST_YEAR, 12, 31)}
    with first:
        start_on = st.date_input(
            "开始日期（必填）", value=None, key=f"{prefix}_start_on", format="YYYY-MM-DD", **bounds
        )
        slots["start_on"] = st.empty()
    with last:
        end_on = st.date_input(
            "结束日期",
            value=None,
            key=f"{prefix}_end_on",
            format="YYYY-MM-DD",
            help="持续多天的活动填写最后一天；一天内完成的不填。",
            **bounds,
        )
        slots["end_on"] = st.empty()
    with where:
        place = st.text_input("地点", key=f"{prefix}_place", help=f"不超过{records.PLACE_MAX}个字。")
        slots["place"] = st.empty()
    values: dict[str, Any] = {}
    columns = st.columns(3)
    for number, field in enumerate(record_type.fields):
        with columns[number % 3]:
            values[field.code] = _field_widget(prefix, field)
            slots[field.code] = st.empty()
    summary = st.text_area(
        "情况说明",
        key=f"{prefix}_summary",
        height=120,
        help=f"活动内容、参加人员、成效等，写报告时引用。不超过{records.SUMMARY_MAX}个字。",
    )
    slots["summary"] = st.empty()
    item = records.RecordInput(
        type_code=record_type.code,
        unit_id=unit_id,
        title=title or "",
        start_on=start_on,
        end_on=end_on,
        place=place or "",
        summary=summary or "",
        values={code: value for code, value in values.items() if value is not None and value != ""},
    )
    return item, slots


@contextmanager
def form_guard(slots: dict[str, Any]) -> Iterator[None]:
    """Like `guard`, but each problem of invalid input is also shown under its own widget."""
    try:
        yield
    except InvalidInput as error:
        placed: dict[str, list[str]] = {}
        for problem in error.problems:
            if problem.field in slots:
                placed.setdefault(problem.field, []).append(problem.message)
        for field, messages in placed.items():
            slots[field].error(plain(" ".join(messages)), icon=":material/error:")
        if len(placed) == len({p.field for p in error.problems}):
            st.error(
                f"有{len(error.problems)}处需要修改，见上方标红的各项；已填写的内容都还在。",
                icon=":material/error:",
            )
        else:
            show_error(error)
    except FazhiError as error:
        show_error(error)


RECORD_PAGE = "pages/record.py"


def open_record(record_id: int) -> None:
    """Go to 记录详情 for this record (its id travels in the address: …/record?id=12)."""
    st.switch_page(RECORD_PAGE, query_params={"id": str(int(record_id))})


def record_or_stop(db: Database, user: auth.User, catalog: Catalog) -> records.Record:
    """The record named by ?id= in the address, if the user may see it; else a Chinese message and a stop."""
    raw = st.query_params.get("id", "")
    if not re.fullmatch(r"[0-9]{1,18}", raw):  # str.isdigit() also takes '²' and '٣', which int() refuses
        st.title("记录详情")
        st.info("请在“台账”中点选一条记录。", icon=":material/info:")
        st.stop()
    try:
        return records.get_record(db, user, catalog, int(raw), include_deleted=user.is_admin)
    except FazhiError as error:
        st.title("记录详情")
        show_error(error)
        st.stop()
        raise


def detail_table(rows: list[tuple[str, str]], key: str) -> None:
    """(label, text) rows as a two-column table of plain text; the last row (情况说明) as text below it."""
    *short, (label, text) = rows
    st.dataframe(
        {"项目": [r[0] for r in short], "内容": [r[1] for r in short]},
        hide_index=True,
        key=key,
        height=35 * (len(short) + 1) + 3,
        column_config={
            "项目": st.column_config.TextColumn(width="medium"),
            "内容": st.column_config.TextColumn(width="large"),
        },
    )
    st.caption(label)
    st.text(text or "（无）")


# ───────────── evidence files on 记录详情 ─────────────


@st.cache_data(show_spinner=False, max_entries=500)
def _thumbnail(path: str, sha256: str) -> bytes | None:
    """A thumbnail, cached by content hash (the same hash is always the same picture)."""
    try:
        with open(path, "rb") as handle:
            return attachments.thumbnail(handle.read())
    except OSError:
        return None


def evidence_panel(
    db: Database, user: auth.User, catalog: Catalog, record: records.Record, editable: bool
) -> None:
    """The record's files (photos as thumbnails, each downloadable) and, for editors, upload and remove."""
    files = attachments.list_files(db, user, catalog, record.id)
    if not files:
        st.caption("还没有佐证材料。")
    columns = st.columns(4)
    for number, item in enumerate(files):
        with columns[number % 4].container(border=True):
            if item.is_image:
                picture = _thumbnail(str(attachments.stored_path(db, item.sha256)), item.sha256)
                if picture:
                    st.image(picture, width="stretch")
            else:
                st.markdown(":material/description:")
            st.text(item.filename)
            st.caption(plain(f"{item.size_text} · {item.uploaded_by} · {item.uploaded_at:%Y-%m-%d}"))
            st.download_button(
                "下载",
                data=lambda item=item: attachments.read_file(db, user, catalog, item.id)[1],
                file_name=item.filename,
                mime=item.mime,
                key=f"evidence_download_{item.id}",
                icon=":material/download:",
                on_click="ignore",
            )
            if editable:
                if st.button("移除", key=f"evidence_remove_{item.id}", icon=":material/delete:"):
                    st.session_state["evidence_confirm"] = item.id
                if st.session_state.get("evidence_confirm") == item.id and st.button(
                    "确认移除", key=f"evidence_remove_yes_{item.id}", type="primary"
                ):
                    with guard():
                        attachments.remove_file(db, user, catalog, item.id)
                        st.session_state.pop("evidence_confirm", None)
                        flash(plain(f"已移除佐证材料“{item.filename}”。"))
                        st.rerun()
    if not editable:
        return
    limit = attachments.max_upload_mb()
    # a fresh key after each upload: the browser only forgets chosen files when the widget is new
    round_ = st.session_state.setdefault("evidence_round", 0)
    uploaded = st.file_uploader(
        f"添加佐证材料（可一次选多个；每个不超过 {limit} MB）",
        accept_multiple_files=True,
        key=f"evidence_files_{round_}",
        help=f"可上传{attachments.ACCEPTED}。程序按文件内容检查类型；同一文件只保存一份。",
    )
    if uploaded and st.button(
        "上传所选文件", key="evidence_upload", type="primary", icon=":material/upload:"
    ):
        with guard():
            result = attachments.add_files(
                db, user, catalog, record.id, [(f.name, f.getvalue()) for f in uploaded]
            )
            message = f"已添加{len(result.added)}个文件。"
            if result.already:
                message += "以下文件这条记录已经有了，未重复添加：" + "、".join(result.already) + "。"
            st.session_state["evidence_round"] = round_ + 1
            flash(plain(message))
            st.rerun()

"""What 看板 and 会议模式 draw: a registered chart whose points open 台账, KPI cards and the picker that
chooses them (kept for the session), and the projector-sized styling of 会议模式."""

from __future__ import annotations

import time

import streamlit as st

from fazhi import charts, scorecard
from fazhi.catalog import Catalog
from fazhi.dashboard import DashboardData
from fazhi.labels import Status
from fazhi.text import markdown_literal
from fazhi.ui import cache
from fazhi.ui.ledger_link import open_ledger
from fazhi.ui.sidebar import keep

KPI_KEY = "fazhi_kpis"
KPI_WIDGET = "kpi_picker"
_CHART_CONFIG = {"displayModeBar": False, "displaylogo": False, "scrollZoom": False}
_STATUS_MARKDOWN = {
    Status.DONE: "green",
    Status.ON_TRACK: "blue",
    Status.BEHIND: "orange",
    Status.MISSED: "red",
    Status.NO_DATA: "gray",
    Status.INFO: "gray",
}


def chart(
    kind: str,
    data: DashboardData,
    catalog: Catalog,
    *,
    key: str,
    code: str | None = None,
    selectable: bool = True,
    font_size: int = 16,
    height: int | None = None,
) -> None:
    """Draw a registered chart of the dashboard data; selecting a bar or node opens the matching 台账 records."""
    figure = cache.figure(kind, data, catalog, code, height=height, font_size=font_size)
    if not (selectable and charts.CHARTS[kind].selectable):
        st.plotly_chart(figure, key=key, theme=None, config=_CHART_CONFIG)
        return
    event = st.plotly_chart(
        figure, key=key, theme=None, config=_CHART_CONFIG, on_select="rerun", selection_mode="points"
    )
    points = event["selection"]["points"] if event else []  # a PlotlyState is a dict of dicts
    if points:
        filters = charts.ledger_filter(catalog, kind, dict(points[0]), data.unit, data.year)
        if filters is not None:
            open_ledger(**filters)


def kpi_cards(cards: list[scorecard.Kpi], per_row: int = 4) -> None:
    """KPI cards in rows: value, change against last year (coloured by direction), target, completion, status."""
    for start in range(0, len(cards), per_row):
        columns = st.columns(per_row)
        for column, card in zip(columns, cards[start : start + per_row], strict=False):
            with column.container(border=True):
                st.metric(
                    markdown_literal(card.label),
                    card.value,
                    card.delta,
                    delta_color=card.delta_color,
                    delta_arrow="auto" if card.arrow else "off",
                    help=markdown_literal(card.help),
                )
                color = _STATUS_MARKDOWN.get(card.status, "gray")
                st.caption(
                    f"{markdown_literal(card.previous)} · 目标 {markdown_literal(card.target)} · "
                    f"完成 {markdown_literal(card.completion)} · :{color}[{markdown_literal(card.status)}]"
                )


def chosen_kpis(catalog: Catalog) -> list[str]:
    """The indicator codes of the KPI cards this session chose on 看板 (the default set until then)."""
    known = {i.code for i in catalog.indicators}
    chosen = st.session_state.get(KPI_KEY) or list(scorecard.key_indicators(catalog))
    return [code for code in chosen if code in known]


def kpi_picker(catalog: Catalog) -> list[str]:
    """A multiselect of the KPI cards to show (kept for the session, also used by 会议模式); the chosen codes."""
    names = {i.code: i.name for i in catalog.indicators}
    st.session_state[KPI_WIDGET] = chosen_kpis(catalog)
    st.multiselect(
        "关键指标卡片",
        list(names),
        format_func=lambda code: names[code],
        key=KPI_WIDGET,
        on_change=keep,
        args=(KPI_WIDGET, KPI_KEY),
        placeholder="选择要显示的指标",
        help="选择看板和会议模式顶部显示哪些指标；清空后恢复默认。",
    )
    return chosen_kpis(catalog)


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


MEETING_SCREENS = ("关键指标", "完成情况与短板", "各月工作")  # each fits one 1920×1080 projector screen
COMPARISON_SCREEN = "乡镇比较"  # a county's fourth screen: its 乡镇 × 领域 heatmap
PAGE_SECONDS = 30  # how long each screen stays when 会议模式 pages on its own
MEETING_CHART_HEIGHT = 640  # px: a chart and the title above it in one 1080-pixel screen
MEETING_SHORTFALLS = 8  # 短板 lines on the screen beside the completion chart


def screen_at(
    now: float | None = None, seconds: int = PAGE_SECONDS, count: int = len(MEETING_SCREENS)
) -> int:
    """The screen 会议模式 shows at `now` (epoch seconds) when paging: the next one every `seconds`."""
    return int((time.time() if now is None else now) // seconds) % count


def meeting_style() -> None:
    """Projector-sized fonts for 会议模式 (static CSS, applied only while that page is shown)."""
    st.markdown(_MEETING_CSS, unsafe_allow_html=True)

"""会议模式: a read-only projector view, one 1920×1080 screen at a time — big numbers, completion by area with
the 短板 list, the monthly chart — chosen by hand or paged on a timer; optional auto-refresh."""

import streamlit as st

from fazhi import charts, compare, scorecard
from fazhi.text import markdown_literal
from fazhi.ui import cache, dashboard_widgets, feedback, resources, session, sidebar

db = resources.database()
catalog = resources.catalog()
user = session.require_user()
unit = sidebar.selected_unit(db, user)
year = sidebar.selected_year()
SCREENS = dashboard_widgets.MEETING_SCREENS + (
    (dashboard_widgets.COMPARISON_SCREEN,) if unit.level == "county" else ()
)  # a county also shows its 乡镇 side by side

dashboard_widgets.meeting_style()
title, paging, refresh = st.columns([4, 1, 1], vertical_alignment="bottom")
title.title(f"{markdown_literal(unit.name)} · {year}年法治政府建设")
turning = paging.toggle(
    f"每{dashboard_widgets.PAGE_SECONDS}秒翻页",
    key="meeting_paging",
    help="开启后依次显示各个画面，一个画面正好一屏投影。",
)
refreshing = refresh.toggle(
    "每分钟自动刷新", key="meeting_refresh", help="开启后每60秒重新读取数据，会上新保存的记录会自动出现。"
)


def board() -> None:
    """One screen below the title; re-run alone on the timer when paging or auto-refresh is on."""
    if turning:  # the screen follows the clock, so every open browser shows the same one
        st.session_state["meeting_screen"] = SCREENS[dashboard_widgets.screen_at(count=len(SCREENS))]
    shown = st.segmented_control(
        "画面",
        SCREENS,
        key="meeting_screen",
        default=SCREENS[0],
        disabled=turning,
        label_visibility="collapsed",
    )
    data = cache.dashboard_data(resources.database(), user, catalog, unit, year)
    st.caption(scorecard.progress_text(data))
    if shown in (SCREENS[0], None):
        dashboard_widgets.kpi_cards(
            scorecard.kpi_cards(catalog, data.table, dashboard_widgets.chosen_kpis(catalog), year)
        )
    elif shown == SCREENS[1]:
        left, right = st.columns([3, 2])
        with left:
            dashboard_widgets.chart(
                "completion_by_area", data, catalog, key="meeting_completion", selectable=False, font_size=22,
                height=dashboard_widgets.MEETING_CHART_HEIGHT,
            )  # fmt: skip
        with right:
            st.header("短板提示")
            lines = cache.shortfall_lines(data)
            top = dashboard_widgets.MEETING_SHORTFALLS
            feedback.plain_list(
                lines[:top] + ([f"……另有{len(lines) - top}项，详见看板"] if len(lines) > top else [])
            )
            if not lines:
                st.success("有目标的指标均已达标或进度正常。")
    elif shown == dashboard_widgets.COMPARISON_SCREEN:
        found = cache.township_scores(resources.database(), user, catalog, unit, year)
        if not found:
            st.info(markdown_literal(f"{unit.name}下还没有乡镇（街道）。"), icon=":material/info:")
            return
        figure = charts.build("township_heatmap", compare.heatmap_frame(catalog, year, found), font_size=22)
        figure.update_layout(height=dashboard_widgets.MEETING_CHART_HEIGHT)
        st.plotly_chart(figure, key="meeting_heatmap", theme=None, config={"displayModeBar": False})
    else:
        dashboard_widgets.chart(
            "monthly_activity", data, catalog, key="meeting_monthly", selectable=False, font_size=22,
            height=dashboard_widgets.MEETING_CHART_HEIGHT,
        )  # fmt: skip


if turning:
    st.fragment(board, run_every=dashboard_widgets.PAGE_SECONDS)()
elif refreshing:
    st.fragment(board, run_every=60)()
else:
    board()

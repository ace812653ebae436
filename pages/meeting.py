"""会议模式: a read-only projector view — big numbers, the key charts, the 短板 list; optional auto-refresh."""

import streamlit as st

from fazhi import scorecard
from fazhi.text import markdown_literal
from fazhi.ui import cache, dashboard_widgets, feedback, resources, session, sidebar

db = resources.database()
catalog = resources.catalog()
user = session.require_user()
unit = sidebar.selected_unit(db, user)
year = sidebar.selected_year()

dashboard_widgets.meeting_style()
title, switch = st.columns([5, 1], vertical_alignment="bottom")
title.title(f"{markdown_literal(unit.name)} · {year}年法治政府建设")
refresh = switch.toggle(
    "每分钟自动刷新", key="meeting_refresh", help="开启后每60秒重新读取数据，会上新保存的记录会自动出现。"
)


def board() -> None:
    """Everything below the title; re-run alone every minute when auto-refresh is on."""
    data = cache.dashboard_data(resources.database(), user, catalog, unit, year)
    st.caption(scorecard.progress_text(data))
    dashboard_widgets.kpi_cards(
        scorecard.kpi_cards(catalog, data.table, dashboard_widgets.chosen_kpis(catalog), year)
    )
    left, right = st.columns([3, 2])
    with left:
        dashboard_widgets.chart(
            "completion_by_area", data, catalog, key="meeting_completion", selectable=False, font_size=22
        )
    with right:
        st.header("短板提示")
        lines = cache.shortfall_lines(data)
        feedback.plain_list(
            lines[:12] + ([f"……另有{len(lines) - 12}项，详见看板"] if len(lines) > 12 else [])
        )
        if not lines:
            st.success("有目标的指标均已达标或进度正常。")
    dashboard_widgets.chart(
        "monthly_activity", data, catalog, key="meeting_monthly", selectable=False, font_size=22
    )


if refresh:
    st.fragment(board, run_every=60)()
else:
    board()

"""看板: are we on track, where are we behind, how does this year compare with last year."""

import streamlit as st

from fazhi import dashboard, scorecard
from fazhi.text import markdown_literal
from fazhi.ui import cache, dashboard_widgets, feedback, resources, session, sidebar

db = resources.database()
catalog = resources.catalog()
user = session.require_user()
unit = sidebar.selected_unit(db, user)
year = sidebar.selected_year()

st.title(f"看板 · {markdown_literal(unit.name)} · {year}年")
data = cache.dashboard_data(db, user, catalog, unit, year)
st.caption(scorecard.progress_text(data) + "点击图中的柱形或方块可查看对应的台账记录。")

with st.expander("选择关键指标卡片", icon=":material/tune:"):
    codes = dashboard_widgets.kpi_picker(catalog)
dashboard_widgets.kpi_cards(scorecard.kpi_cards(catalog, data.table, codes, year))

st.subheader("短板提示")
lines = cache.shortfall_lines(data)
if lines:
    feedback.plain_list(lines)
else:
    st.success("有目标的指标均已达标或进度正常。", icon=":material/check_circle:")

left, right = st.columns(2)
with left:
    dashboard_widgets.chart("completion_by_area", data, catalog, key="chart_completion")
with right:
    dashboard_widgets.chart("monthly_activity", data, catalog, key="chart_monthly")

left, right = st.columns(2) if data.child_units else (None, st.container())
if left is not None:
    with left:
        names = {i.code: i.name for i in catalog.indicators}
        code = st.selectbox(
            "按下级单位查看的指标",
            list(names),
            index=list(names).index(dashboard.default_breakdown(catalog, data.children)),
            format_func=names.get,
            key="breakdown_indicator",
        )
        dashboard_widgets.chart("by_unit", data, catalog, key="chart_by_unit", code=code)
with right:
    dashboard_widgets.chart("records_by_type", data, catalog, key="chart_by_type")
dashboard_widgets.chart("year_over_year", data, catalog, key="chart_year_over_year")
rest = dashboard.other_changes(data.comparison)
if not rest.empty:
    with st.expander(f"其余{len(rest)}项指标较上年的增减", icon=":material/table_rows:"):
        st.dataframe(
            scorecard.change_display(rest),
            hide_index=True,
            key="dashboard_other_changes",
            column_config={"较上年": st.column_config.NumberColumn(format="%+.1f%%")},
        )

st.subheader("全部指标")
st.dataframe(
    cache.indicator_display(data),
    hide_index=True,
    placeholder="—",
    height=600,
    key="dashboard_indicators",
    column_config={
        "完成率": st.column_config.NumberColumn(format="%.0f%%", help="数值 ÷ 目标；无目标的指标不计算"),
        "较上年": st.column_config.NumberColumn(format="%+.1f%%", help="较上年数值增减的百分比"),
        "口径说明": st.column_config.TextColumn(width="large"),
    },
)

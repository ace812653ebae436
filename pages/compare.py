"""乡镇比较: a county's townships ranked on overall completion and the key indicators, and a 乡镇 × 领域
heatmap of completion whose cells open that township's 台账 for the area."""

import streamlit as st

from fazhi import charts, compare, progress
from fazhi.text import markdown_literal
from fazhi.ui import cache, feedback, ledger_link, resources, session, sidebar

db = resources.database()
catalog = resources.catalog()
user = session.require_user()
year = sidebar.selected_year()
county = progress.county_for(db, user, sidebar.selected_unit(db, user))

st.title(
    markdown_literal(
        f"乡镇比较 · {county.name if county else sidebar.selected_unit(db, user).name} · {year}年"
    )
)
feedback.show_flash()
if county is None:
    st.info("本页供区县比较所辖乡镇（街道）；请用区县的账号查看。", icon=":material/info:")
    st.stop()
found = cache.township_scores(db, user, catalog, county, year)
if not found:
    st.info(markdown_literal(f"{county.name}下还没有乡镇（街道）。"), icon=":material/info:")
    st.stop()

st.caption(
    "完成率：每个乡镇（街道）有目标的指标完成率的平均（每项最多按100%计），与各乡镇自己的“看板”一致。"
    "点热力图中的方块，打开该乡镇该领域的台账。"
)
_CONFIG = {"displayModeBar": False, "displaylogo": False, "scrollZoom": False}
heat = charts.build("township_heatmap", compare.heatmap_frame(catalog, year, found))
event = st.plotly_chart(
    heat, key="compare_heatmap", theme=None, config=_CONFIG, on_select="rerun", selection_mode="points"
)
points = event["selection"]["points"] if event else []  # a PlotlyState is a dict of dicts
filters = compare.cell_filter(dict(points[0]), year) if points else None
if filters is not None:
    sidebar.choose(county.id, year)  # 台账 lists the county's units, so the township is among them
    ledger_link.open_ledger(**filters)

ranking = compare.ranking_frame(catalog, found)
st.plotly_chart(charts.build("township_ranking", ranking), key="compare_ranking", theme=None, config=_CONFIG)
st.subheader("关键指标排名")
st.dataframe(compare.ranking_display(catalog, ranking), hide_index=True, key="compare_table")

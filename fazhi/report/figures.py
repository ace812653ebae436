"""The report's charts: the dashboard's own chart builders (fazhi/charts.py) over the dashboard's data, so a
chart in the report is the same picture, with the same figures, as on 看板.

`report_figures` returns (caption, Figure) pairs for the charts that have something to show; the caption
goes under the image in the report, so the title drawn inside the figure is dropped.
"""

from __future__ import annotations

import plotly.graph_objects as go

from fazhi import charts, dashboard
from fazhi.auth import User
from fazhi.catalog import Catalog
from fazhi.db import Database
from fazhi.units import Unit

WIDTH_MM = 150  # printed width in the report (版心 is 156 mm)
WIDTH_PX, HEIGHT_PX = 900, 440
FONT_SIZE = 16


def _for_print(kind: str, data: dashboard.DashboardData, catalog: Catalog) -> go.Figure:
    figure = charts.build(
        kind, data.frame(kind, catalog), width=WIDTH_PX, height=HEIGHT_PX, font_size=FONT_SIZE
    )
    figure.update_layout(title_text="", margin_t=round(FONT_SIZE * 1.5))
    return figure


def report_figures(
    db: Database, user: User, catalog: Catalog, unit: Unit, year: int
) -> list[tuple[str, go.Figure]]:
    """The report's charts as (caption, figure): records by month and area, completion by area, and an
    indicator by 村/社区 (or by 乡镇 for a 区县); charts without data are left out."""
    data = dashboard.dashboard_data(db, user, catalog, unit, year)
    made: list[tuple[str, go.Figure]] = []
    if not int(data.monthly["records"].sum()):
        return made  # a year without records has nothing to draw
    made.append((f"{year}年各月工作记录数（按领域）", _for_print("monthly_activity", data, catalog)))
    if data.completion["completion"].notna().any():
        made.append((f"{year}年各领域目标完成情况", _for_print("completion_by_area", data, catalog)))
    if data.child_units:
        below = data.frame("by_unit", catalog)
        if len(below) and below["value"].fillna(0).any():
            name = below["indicator_name"].iloc[0]
            level = "各乡镇（街道）" if unit.level == "county" else "各村（社区）"
            made.append((f"{year}年{level}{name}", _for_print("by_unit", data, catalog)))
    return made

"""The report's charts: the dashboard's own chart builders (fazhi/charts.py) over the dashboard's data, so a
chart in the report is the same picture, with the same figures, as on 看板.

`report_figures` returns (caption, Figure) pairs for the charts that have something to show; the caption
goes under the image in the report, so the title drawn inside the figure is dropped.
"""

from __future__ import annotations

import plotly.graph_objects as go

from fazhi import charts, dashboard
from fazhi.catalog import Catalog
from fazhi.db import Database
from fazhi.permissions import User
from fazhi.report import images, texts
from fazhi.units import Unit

WIDTH_MM = 150  # printed width in the report (版心 is 156 mm)
WIDTH_PX, HEIGHT_PX = 900, 440
FONT_SIZE = 16


def _for_print(
    kind: str, data: dashboard.DashboardData, catalog: Catalog, names: dict[str, str] | None = None
) -> go.Figure:
    frame = charts.frame(kind, data, catalog)
    if names and "unit_id" in frame and "unit_name" in frame:  # a locked year: its units' names then
        frame = frame.copy()
        frame["unit_name"] = [
            (texts.text("appendix.own_bucket", name=names[str(unit_id)]) if own else names[str(unit_id)])
            if str(unit_id) in names
            else name
            for unit_id, name, own in zip(
                frame["unit_id"], frame["unit_name"], frame.get("own", [False] * len(frame)), strict=False
            )
        ]
    figure = charts.build(kind, frame, width=WIDTH_PX, height=HEIGHT_PX, font_size=FONT_SIZE)
    figure.update_layout(title_text="", margin_t=round(FONT_SIZE * 1.5))
    return figure


def report_figures(
    db: Database, user: User, catalog: Catalog, unit: Unit, year: int, names: dict[str, str] | None = None
) -> list[tuple[str, go.Figure]]:
    """The report's charts as (caption, figure): records by month and area, completion by area, and an
    indicator by 村/社区 (or by 乡镇 for a 区县); charts without data are left out. `names` (unit id →
    name) names the units as a locked year's report knew them."""
    return figures_of(dashboard.dashboard_data(db, user, catalog, unit, year), catalog, names)


def figures_of(
    data: dashboard.DashboardData, catalog: Catalog, names: dict[str, str] | None = None
) -> list[tuple[str, go.Figure]]:
    """`report_figures` from dashboard data already read (no database: the worker process draws them)."""
    unit, year = data.unit, data.year
    made: list[tuple[str, go.Figure]] = []
    if not int(data.monthly["records"].sum()):
        return made  # a year without records has nothing to draw
    made.append(
        (texts.text("appendix.chart_monthly", year=year), _for_print("monthly_activity", data, catalog))
    )
    if data.completion["completion"].notna().any():
        caption = texts.text("appendix.chart_completion", year=year)
        made.append((caption, _for_print("completion_by_area", data, catalog)))
    if data.child_units:
        below = charts.frame("by_unit", data, catalog)
        if len(below) and below["value"].fillna(0).any():
            level = texts.text(
                "appendix.level_townships" if unit.level == "county" else "appendix.level_villages"
            )
            caption = texts.text(
                "appendix.chart_by_unit", year=year, level=level, indicator=below["indicator_name"].iloc[0]
            )
            made.append((caption, _for_print("by_unit", data, catalog, names)))
    return made


def chart_images(
    data: dashboard.DashboardData, catalog: Catalog, names: dict[str, str] | None = None
) -> list[tuple[str, bytes]]:
    """(caption, PNG) of each report chart of the data (fazhi/worker.py runs it in its process);
    ChartsUnavailable with the reason when images cannot be made."""
    made = figures_of(data, catalog, names)
    pngs = images.to_png([figure for _, figure in made])
    return [(caption, png) for (caption, _), png in zip(made, pngs, strict=True)]

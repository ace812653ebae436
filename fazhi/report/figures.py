"""The report's charts as plotly Figures (Chinese labels, CJK font), from the indicator table and records.

All figure construction of the report is in this one module so it can be swapped for the shared chart
builders (fazhi/charts.py) without touching the rest: `report_figures` returns (caption, Figure) pairs.
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from fazhi.auth import User, require_view
from fazhi.catalog import Catalog
from fazhi.db import Database
from fazhi.records import RecordFilter, list_records
from fazhi.units import Unit, children, subtree

FONT = "Noto Sans CJK SC, Microsoft YaHei, sans-serif"
COLOR = "#2F5597"
WIDTH_MM = 150  # printed width in the report (版心 is 156 mm)
WIDTH_PX, HEIGHT_PX = 900, 420


def _layout(figure: go.Figure, y_title: str) -> go.Figure:
    figure.update_layout(
        template="simple_white",
        font={"family": FONT, "size": 16, "color": "#222222"},
        margin={"l": 70, "r": 30, "t": 30, "b": 60},
        width=WIDTH_PX,
        height=HEIGHT_PX,
        showlegend=False,
        yaxis_title=y_title,
    )
    figure.update_traces(marker_color=COLOR, textposition="outside", cliponaxis=False)
    return figure


def monthly_activity(frame: pd.DataFrame, year: int) -> go.Figure:
    """Records per month of the year (bars, 1月–12月)."""
    months = pd.to_datetime(frame["start_on"]).dt.month if not frame.empty else pd.Series(dtype=int)
    counts = [int((months == m).sum()) for m in range(1, 13)]
    labels = [f"{m}月" for m in range(1, 13)]
    figure = go.Figure(go.Bar(x=labels, y=counts, text=[c or "" for c in counts]))
    return _layout(figure, "工作记录（条）")


def completion_by_area(table: pd.DataFrame) -> go.Figure | None:
    """Average completion (capped at 100%) of the indicators with a target and records, per area."""
    assessed = table[table["completion"].notna() & (table["records"] > 0) & (table["direction"] != "zero")]
    if assessed.empty:
        return None
    capped = assessed.assign(capped=assessed["completion"].clip(upper=100))
    order = list(dict.fromkeys(table["area"]))
    means = capped.groupby("area")["capped"].mean().reindex(order).dropna()
    values = [round(v, 1) for v in means]
    figure = go.Figure(
        go.Bar(x=values, y=list(means.index), orientation="h", text=[f"{v:g}%" for v in values])
    )
    figure.update_yaxes(autorange="reversed")
    figure.update_xaxes(range=[0, 115], ticksuffix="%")
    _layout(figure, "")
    figure.update_layout(xaxis_title="指标平均完成率（超过100%按100%计）")
    return figure


def by_unit(db: Database, unit: Unit, frame: pd.DataFrame) -> go.Figure | None:
    """Records per unit directly below (村/社区 of a 乡镇, 乡镇 of a 区县), with the unit's own as 本级."""
    below = children(db, unit)
    if not below or frame.empty:
        return None
    owner: dict[int, str] = {unit.id: f"{unit.name}本级"}
    for child in below:
        for member in subtree(db, child):
            owner[member.id] = child.name
    names = [f"{unit.name}本级", *(c.name for c in below)]
    counted = frame["unit_id"].map(owner).value_counts()
    counts = [int(counted.get(name, 0)) for name in names]
    if not any(counts[1:]):
        return None
    figure = go.Figure(go.Bar(x=names, y=counts, text=[c or "" for c in counts]))
    return _layout(figure, "工作记录（条）")


def report_figures(
    db: Database,
    user: User,
    catalog: Catalog,
    unit: Unit,
    year: int,
    table: pd.DataFrame,
    frame: pd.DataFrame | None = None,
) -> list[tuple[str, go.Figure]]:
    """The report's charts as (caption, figure), those that have data: by month, by area, by unit below."""
    require_view(user, unit)
    if frame is None:
        frame = list_records(db, user, catalog, RecordFilter(year=year, unit_id=unit.id))
    made: list[tuple[str, go.Figure | None]] = []
    if not frame.empty:
        made.append((f"{year}年各月工作记录数", monthly_activity(frame, year)))
    made.append((f"{year}年各领域指标完成情况", completion_by_area(table)))
    below = "各乡镇（街道）" if unit.level == "county" else "各村（社区）"
    made.append((f"{year}年{below}工作记录数", by_unit(db, unit, frame)))
    return [(caption, figure) for caption, figure in made if figure is not None]

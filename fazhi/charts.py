"""Charts as data: pure functions DataFrame → plotly Figure, and one registry of chart kinds (`CHARTS`).

Each registry entry holds everything about one chart: its Chinese title, which frame of a
`dashboard.DashboardData` it draws, its builder, and its drill-down to 台账 (`fazhi/drilldown.py`; None
when a point leads nowhere). Builders take the frame and nothing else (no database), so the dashboard,
the meeting view and the report's PNG export (kaleido) draw the same figure from the same numbers.
Labels are Chinese, fonts a CJK stack, colours follow status, direction and the catalog's area colours,
and every label that may come from typed text is escaped so plotly shows it as plain text.

Over 400 lines because it holds seven figure builders (five of the dashboard, two comparing a county's
townships; each about 60 lines of plotly dicts) beside the registries that name them; splitting the
builders from their registry would separate a chart from itself.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pandas as pd
import plotly.graph_objects as go

from fazhi import drilldown
from fazhi.catalog import Catalog
from fazhi.dashboard import TOP_CHANGES, DashboardData, largest_changes
from fazhi.labels import Status
from fazhi.text import html_literal
from fazhi.units import Unit

FONT_FAMILY = "Microsoft YaHei, PingFang SC, Noto Sans CJK SC, Source Han Sans SC, sans-serif"
TEXT_COLOR = "#1f2933"
GRID_COLOR = "#d9dee3"

STATUS_COLORS = {
    Status.DONE: "#2e7d32",
    Status.ON_TRACK: "#1565c0",
    Status.BEHIND: "#ef6c00",
    Status.MISSED: "#c62828",
    Status.NO_DATA: "#9e9e9e",
    Status.INFO: "#607d8b",
}
VERDICT_COLORS = {"better": "#2e7d32", "worse": "#c62828", "same": "#9e9e9e", "info": "#607d8b"}
VERDICT_LABELS = {"better": "向好", "worse": "变差", "same": "持平", "info": "仅统计"}

EMPTY_TEXT = "暂无数据"


def _axis(title: str, font_size: int, **extra: object) -> dict:
    return {
        "title": {"text": title, "font": {"size": font_size}},
        "gridcolor": GRID_COLOR,
        "linecolor": GRID_COLOR,
        "zerolinecolor": GRID_COLOR,
        "automargin": True,
        "exponentformat": "none",  # 12000, not plotly's English "12k"
        "separatethousands": False,
        **extra,
    }


def _empty_note(font_size: int) -> dict:
    return {
        "text": EMPTY_TEXT,
        "x": 0.5,
        "y": 0.5,
        "xref": "paper",
        "yref": "paper",
        "showarrow": False,
        "font": {"size": round(font_size * 1.4), "color": STATUS_COLORS[Status.NO_DATA]},
    }


def _figure(
    traces: list[dict],
    layout: dict,
    title: str,
    *,
    width: int | None,
    height: int | None,
    default_height: int,
    font_size: int,
) -> go.Figure:
    """One Figure from plain dicts, validated once (plotly's named templates alone cost ~20 ms a figure,
    so the few settings we need are written out instead)."""
    base: dict[str, Any] = {
        "template": "none",
        "title": {
            "text": html_literal(title),
            "x": 0,
            "xref": "paper",
            "xanchor": "left",
            "y": 1,
            "yref": "container",
            "yanchor": "top",
            "pad": {"t": round(font_size * 0.8)},
            "font": {"size": round(font_size * 1.3)},
        },
        "font": {"family": FONT_FAMILY, "size": font_size, "color": TEXT_COLOR},
        "hoverlabel": {"font": {"family": FONT_FAMILY, "size": font_size}},
        "legend": {"font": {"family": FONT_FAMILY, "size": font_size}},
        "margin": {"l": 10, "r": 20, "t": round(font_size * 4.2), "b": 10},
        "height": height or default_height,
        "width": width,
        "autosize": width is None,
        "paper_bgcolor": "white",
        "plot_bgcolor": "white",
        "separators": ".,",
    }
    for key, value in layout.items():
        base[key] = {**base[key], **value} if isinstance(base.get(key), dict) else value
    return go.Figure(data=traces, layout=base)


def monthly_activity(
    frame: pd.DataFrame, *, width: int | None = None, height: int | None = None, font_size: int = 16
) -> go.Figure:
    """Stacked bars of records per month, one colour per area (areas without records left out)."""
    traces = []
    totals = frame.groupby("area_code", sort=False)["records"].sum() if not frame.empty else pd.Series()
    for area_code, part in frame.sort_values(["area_order", "month"]).groupby("area_code", sort=False):
        if not totals.get(area_code, 0):
            continue
        name = html_literal(part["area"].iloc[0])
        traces.append(
            {
                "type": "bar",
                "x": part["month"].tolist(),
                "y": part["records"].tolist(),
                "name": name,
                "marker": {"color": str(part["area_color"].iloc[0])},
                "customdata": [[area_code, int(m)] for m in part["month"]],
                "hovertemplate": f"{name}<br>%{{x}}月：%{{y}}条<extra></extra>",
            }
        )
    layout = {
        "barmode": "stack",
        # the legend beside the plot, one area a line: however many areas, it never reaches the title
        "legend": {"orientation": "v", "yanchor": "top", "y": 1.0, "x": 1.02, "xanchor": "left"},
        "xaxis": _axis(
            "月份",
            font_size,
            tickmode="array",
            tickvals=list(range(1, 13)),
            ticktext=[str(m) for m in range(1, 13)],
            range=[0.5, 12.5],
            tickangle=0,
        ),
        "yaxis": _axis("记录数（条）", font_size, rangemode="tozero"),
        "annotations": [] if traces else [_empty_note(font_size)],
    }
    return _figure(
        traces,
        layout,
        "各月工作记录（按领域）",
        width=width,
        height=height,
        default_height=480,
        font_size=font_size,
    )


def completion_by_area(
    frame: pd.DataFrame, *, width: int | None = None, height: int | None = None, font_size: int = 16
) -> go.Figure:
    """Horizontal bars of average completion per area, coloured by status, with the year's time marker."""
    rows = frame.sort_values("area_order", ascending=False)
    traces, shapes, notes = [], [], []
    if not rows.empty:
        traces.append(
            {
                "type": "bar",
                "orientation": "h",
                "y": [html_literal(a) for a in rows["area"]],
                "x": rows["completion"].tolist(),
                "marker": {
                    "color": [STATUS_COLORS.get(s, STATUS_COLORS[Status.INFO]) for s in rows["status"]]
                },
                "text": [f"{c:.0f}%" for c in rows["completion"]],
                "textposition": "auto",
                "insidetextanchor": "end",
                "cliponaxis": False,
                "customdata": [[code] for code in rows["area_code"]],
                "hovertext": [
                    f"{html_literal(r.area_name)}<br>平均完成率 {r.completion:.0f}%<br>"
                    f"达标{r.done}项 · 进度正常{r.on_track}项 · 落后{r.behind}项 · 未达标{r.missed}项 · "
                    f"无记录{r.no_data}项"
                    for r in rows.itertuples()
                ],
                "hovertemplate": "%{hovertext}<extra></extra>",
                "showlegend": False,
            }
        )
        share = float(frame["share"].iloc[0])
        shapes.append(
            {
                "type": "line",
                "x0": share,
                "x1": share,
                "xref": "x",
                "y0": 0,
                "y1": 1,
                "yref": "paper",
                "line": {"color": TEXT_COLOR, "width": 2, "dash": "dash"},
            }
        )
        notes.append(
            {
                "x": share,
                "y": 1.0,
                "xref": "x",
                "yref": "paper",
                "yanchor": "bottom",
                "text": f"时间进度 {share:.0f}%",
                "showarrow": False,
                "font": {"size": font_size, "color": TEXT_COLOR},
            }
        )
    else:
        notes.append(_empty_note(font_size))
    layout = {
        "xaxis": _axis("平均完成率（%，各指标封顶100%）", font_size, range=[0, 115], ticksuffix="%"),
        "yaxis": _axis("领域", font_size),
        "shapes": shapes,
        "annotations": notes,
    }
    return _figure(
        traces,
        layout,
        "各领域目标完成情况",
        width=width,
        height=height,
        default_height=120 + 46 * max(len(rows), 3),
        font_size=font_size,
    )


def by_unit(
    frame: pd.DataFrame, *, width: int | None = None, height: int | None = None, font_size: int = 16
) -> go.Figure:
    """Bars of one indicator per child unit (村/社区 or 乡镇), the unit's own records first."""
    name = str(frame["indicator_name"].iloc[0]) if not frame.empty else "指标"
    unit = str(frame["indicator_unit"].iloc[0]) if not frame.empty else ""
    level = str(frame["child_level"].iloc[0]) if not frame.empty else "下级单位"
    traces = []
    if not frame.empty:
        traces.append(
            {
                "type": "bar",
                "x": [html_literal(n) for n in frame["unit_name"]],
                "y": [0 if pd.isna(v) else float(v) for v in frame["value"]],
                "text": [html_literal(t) for t in frame["value_text"]],
                "textposition": "outside",
                "cliponaxis": False,
                "marker": {"color": ["#90a4ae" if own else "#1565c0" for own in frame["own"]]},
                "customdata": [[int(u), c] for u, c in zip(frame["unit_id"], frame["code"], strict=True)],
                "hovertemplate": "%{x}：%{text}<extra></extra>",
                "showlegend": False,
            }
        )
    layout = {
        "xaxis": _axis(level, font_size),
        "yaxis": _axis(
            f"{html_literal(name)}（{html_literal(unit)}）" if unit else html_literal(name),
            font_size,
            rangemode="tozero",
        ),
        "annotations": [] if traces else [_empty_note(font_size)],
    }
    return _figure(
        traces,
        layout,
        f"{name} · 按{level}",
        width=width,
        height=height,
        default_height=420,
        font_size=font_size,
    )


def records_by_type(
    frame: pd.DataFrame, *, width: int | None = None, height: int | None = None, font_size: int = 16
) -> go.Figure:
    """A treemap of the year's records: areas, then record types; node ids 'area:…' and 'type:…'."""
    traces = []
    if not frame.empty:
        areas = (
            frame.groupby(["area_order", "area_code", "area", "area_color"], sort=True)["records"]
            .sum()
            .reset_index()
        )
        ids, labels, parents = ["all"], ["全部记录"], [""]
        values, colors = [int(frame["records"].sum())], ["#eceff1"]
        for row in areas.itertuples():
            ids.append(f"area:{row.area_code}")
            labels.append(html_literal(row.area))
            parents.append("all")
            values.append(int(row.records))
            colors.append(row.area_color)
        for row in frame.itertuples():
            ids.append(f"type:{row.type_code}")
            labels.append(html_literal(row.type_name))
            parents.append(f"area:{row.area_code}")
            values.append(int(row.records))
            colors.append(row.area_color)
        traces.append(
            {
                "type": "treemap",
                "ids": ids,
                "labels": labels,
                "parents": parents,
                "values": values,
                "branchvalues": "total",
                "marker": {"colors": colors, "line": {"color": "white", "width": 2}},
                "texttemplate": "%{label}<br>%{value}条",
                "hovertemplate": "%{label}：%{value}条（占%{percentRoot:.0%}）<extra></extra>",
                "maxdepth": 3,
                "root": {"color": "#eceff1"},
                "pathbar": {"visible": False},
            }
        )
    layout = {
        "uniformtext": {"minsize": max(9, font_size - 6), "mode": "hide"},
        "annotations": [] if traces else [_empty_note(font_size)],
        "xaxis": {"visible": False},
        "yaxis": {"visible": False},
    }
    return _figure(
        traces,
        layout,
        "各类工作记录数",
        width=width,
        height=height,
        default_height=460,
        font_size=font_size,
    )


def year_over_year(
    frame: pd.DataFrame, *, width: int | None = None, height: int | None = None, font_size: int = 16
) -> go.Figure:
    """Horizontal bars of the indicators' change against last year in %, green when better, red when worse:
    the `TOP_CHANGES` largest changes either way (the page lists the rest in a table)."""
    year = int(frame["year"].iloc[0]) if not frame.empty else None
    previous = int(frame["previous_year"].iloc[0]) if not frame.empty else None
    trimmed = len(frame) > TOP_CHANGES
    frame = largest_changes(frame)
    rows = frame.iloc[::-1]
    traces, shapes = [], []
    if not rows.empty:
        traces.append(
            {
                "type": "bar",
                "orientation": "h",
                "y": [html_literal(n) for n in rows["name"]],
                "x": rows["change_pct"].tolist(),
                "marker": {"color": [VERDICT_COLORS[v] for v in rows["verdict"]]},
                "text": [f"{c:+.0f}%" for c in rows["change_pct"]],
                "textposition": "outside",
                "cliponaxis": False,
                "customdata": [[c] for c in rows["code"]],
                "hovertext": [
                    f"{html_literal(r.name)}：{html_literal(r.value_text)}，上年{html_literal(r.previous_text)}，"
                    f"{r.change_pct:+.1f}%（{VERDICT_LABELS[r.verdict]}）"
                    for r in rows.itertuples()
                ],
                "hovertemplate": "%{hovertext}<extra></extra>",
                "showlegend": False,
            }
        )
        shapes.append(
            {
                "type": "line",
                "x0": 0,
                "x1": 0,
                "xref": "x",
                "y0": 0,
                "y1": 1,
                "yref": "paper",
                "line": {"color": TEXT_COLOR, "width": 1},
            }
        )
    low = min(0.0, float(frame["change_pct"].min())) if not frame.empty else 0.0
    high = max(0.0, float(frame["change_pct"].max())) if not frame.empty else 0.0
    pad = max(10.0, (high - low) * 0.15)  # room for the '+41%' labels outside the bars
    layout = {
        "xaxis": _axis(
            f"较{previous}年增减（%）" if previous else "较上年增减（%）",
            font_size,
            ticksuffix="%",
            zeroline=True,
            range=[low - (pad if low < 0 else 0), high + pad],
        ),
        "yaxis": _axis("指标", font_size),
        "shapes": shapes,
        "annotations": [] if traces else [_empty_note(font_size)],
    }
    return _figure(
        traces,
        layout,
        (f"{year}年与{previous}年比较" if year else "与上年比较")
        + (f"（变化最大的{TOP_CHANGES}项）" if trimmed else ""),
        width=width,
        height=height,
        default_height=120 + 34 * max(len(rows), 4),
        font_size=font_size,
    )


Builder = Callable[..., go.Figure]
FrameOf = Callable[[DashboardData, Catalog, "str | None"], pd.DataFrame]
Drill = Callable[[Catalog, dict[str, Any], Unit, int], "dict[str, Any] | None"]


@dataclass(frozen=True)
class ChartKind:
    """A registered chart: its Chinese title, the dashboard frame it draws (`code`: the indicator, for the
    by-unit chart), its builder, and its drill-down from a selected point to a 台账 filter."""

    title: str
    frame: FrameOf
    build: Builder
    drill: Drill | None = None

    @property
    def selectable(self) -> bool:
        """True when selecting a point leads to 台账."""
        return self.drill is not None


CHARTS: dict[str, ChartKind] = {
    "monthly_activity": ChartKind(
        "各月工作记录（按领域）", lambda d, c, code: d.monthly, monthly_activity, drilldown.monthly_activity
    ),
    "completion_by_area": ChartKind(
        "各领域目标完成情况",
        lambda d, c, code: d.completion,
        completion_by_area,
        drilldown.completion_by_area,
    ),
    "by_unit": ChartKind(
        "按下级单位分布", lambda d, c, code: d.breakdown(c, code), by_unit, drilldown.by_unit
    ),
    "records_by_type": ChartKind(
        "各类工作记录数", lambda d, c, code: d.by_type, records_by_type, drilldown.records_by_type
    ),
    "year_over_year": ChartKind(
        "与上年比较", lambda d, c, code: d.comparison, year_over_year, drilldown.year_over_year
    ),
}


def frame(kind: str, data: DashboardData, catalog: Catalog, code: str | None = None) -> pd.DataFrame:
    """The frame a registered chart kind draws from the dashboard data; KeyError for an unknown kind."""
    return CHARTS[kind].frame(data, catalog, code)


# ───────────── a county's townships compared (frames of fazhi/compare.py) ─────────────

COMPLETION_SCALE = [
    [0.0, STATUS_COLORS[Status.MISSED]],
    [0.6, STATUS_COLORS[Status.BEHIND]],
    [1.0, STATUS_COLORS[Status.DONE]],
]


def township_heatmap(
    frame: pd.DataFrame, *, width: int | None = None, height: int | None = None, font_size: int = 16
) -> go.Figure:
    """A 乡镇 × 领域 grid of completion (`compare.heatmap_frame`): one square per cell, red to green by the
    area's average completion, grey where the area has no target; every cell can be selected (its customdata
    is [unit id, area code]), which a page turns into that township's 台账 for the area."""
    towns = frame.drop_duplicates("unit_id").sort_values("unit_order")
    areas = frame.drop_duplicates("area_code").sort_values("area_order")
    traces = []
    if not frame.empty:
        rated = frame[frame["completion"].notna()]
        blank = frame[frame["completion"].isna()]
        size = max(18, round(font_size * 2.6))

        def trace(part: pd.DataFrame, name: str, marker: dict, text: list[str]) -> dict:
            return {
                "type": "scatter",
                "mode": "markers+text",
                "name": name,
                "x": [html_literal(a) for a in part["area"]],
                "y": [html_literal(u) for u in part["unit_name"]],
                "marker": {
                    "symbol": "square",
                    "size": size,
                    "line": {"width": 1, "color": "white"},
                    **marker,
                },
                "text": text,
                "textfont": {"color": "white", "size": round(font_size * 0.8)},
                "customdata": [
                    [int(u), str(a)] for u, a in zip(part["unit_id"], part["area_code"], strict=True)
                ],
                "hovertext": [
                    f"{html_literal(r.unit_name)} · {html_literal(r.area_name)}<br>"
                    + (
                        f"平均完成率 {r.completion:.0f}%"
                        if pd.notna(r.completion)
                        else "本领域没有设定目标的指标"
                    )
                    + f"<br>记录 {int(r.records)} 条（点击查看台账）"
                    for r in part.itertuples()
                ],
                "hovertemplate": "%{hovertext}<extra></extra>",
                "showlegend": False,
            }

        if not rated.empty:
            traces.append(
                trace(
                    rated,
                    "完成率",
                    {
                        "color": rated["completion"].astype("float64").tolist(),
                        "colorscale": COMPLETION_SCALE,
                        "cmin": 0,
                        "cmax": 100,
                        "showscale": True,
                        "colorbar": {"title": {"text": "完成率（%）"}, "ticksuffix": "%"},
                    },
                    [f"{c:.0f}%" for c in rated["completion"]],
                )
            )
        if not blank.empty:
            traces.append(
                trace(blank, "无目标", {"color": STATUS_COLORS[Status.NO_DATA]}, ["—"] * len(blank))
            )
    layout = {
        "xaxis": _axis(
            "领域", font_size, type="category", categoryorder="array",
            categoryarray=[html_literal(a) for a in areas["area"]], side="top", showgrid=False,
        ),
        "yaxis": _axis(
            "乡镇（街道）", font_size, type="category", categoryorder="array",
            categoryarray=[html_literal(u) for u in towns["unit_name"]][::-1], showgrid=False,
        ),
        "annotations": [] if traces else [_empty_note(font_size)],
        "clickmode": "event+select",
        "dragmode": False,
        "margin": {"t": round(font_size * 7)},  # the area names sit on top, under the title
    }  # fmt: skip
    return _figure(
        traces,
        layout,
        "各乡镇（街道）各领域目标完成情况",
        width=width,
        height=height,
        default_height=200 + round(font_size * 3.2) * max(len(towns), 3),
        font_size=font_size,
    )


def township_ranking(
    frame: pd.DataFrame, *, width: int | None = None, height: int | None = None, font_size: int = 16
) -> go.Figure:
    """Horizontal bars of each township's overall completion (`compare.ranking_frame`), best at the top;
    a bar's customdata is [unit id]."""
    rows = frame[frame["completion"].notna()].iloc[::-1]
    traces = []
    if not rows.empty:
        traces.append(
            {
                "type": "bar",
                "orientation": "h",
                "y": [html_literal(u) for u in rows["unit_name"]],
                "x": rows["completion"].astype("float64").tolist(),
                "text": [f"{c:.1f}%" for c in rows["completion"]],
                "textposition": "auto",
                "marker": {
                    "color": rows["completion"].astype("float64").tolist(),
                    "colorscale": COMPLETION_SCALE,
                    "cmin": 0,
                    "cmax": 100,
                },
                "customdata": [[int(u)] for u in rows["unit_id"]],
                "hovertemplate": "%{y}：指标完成率 %{text}<extra></extra>",
                "showlegend": False,
            }
        )
    layout = {
        "xaxis": _axis("指标完成率（%，各指标封顶100%）", font_size, range=[0, 105], ticksuffix="%"),
        "yaxis": _axis("乡镇（街道）", font_size, type="category"),
        "annotations": [] if traces else [_empty_note(font_size)],
    }
    return _figure(
        traces,
        layout,
        "各乡镇（街道）指标完成率排名",
        width=width,
        height=height,
        default_height=140 + 40 * max(len(rows), 3),
        font_size=font_size,
    )


# Charts of a county's townships: they draw frames of fazhi/compare.py, not a dashboard's.
@dataclass(frozen=True)
class ComparisonChart:
    """A registered chart of a county's townships: its Chinese title and its builder (the frame comes from
    `fazhi/compare.py`; a selected point's customdata names the township, which the page opens in 台账)."""

    title: str
    build: Builder


COMPARISON_CHARTS: dict[str, ComparisonChart] = {
    "township_heatmap": ComparisonChart("各乡镇（街道）各领域完成情况", township_heatmap),
    "township_ranking": ComparisonChart("各乡镇（街道）指标完成率排名", township_ranking),
}


def build(
    kind: str,
    frame: pd.DataFrame,
    *,
    width: int | None = None,
    height: int | None = None,
    font_size: int = 16,
) -> go.Figure:
    """The figure of a registered chart kind (CHARTS or COMPARISON_CHARTS) for its frame (sizes in pixels;
    font_size in px)."""
    chart: ChartKind | ComparisonChart = CHARTS[kind] if kind in CHARTS else COMPARISON_CHARTS[kind]
    return chart.build(frame, width=width, height=height, font_size=font_size)


def ledger_filter(
    catalog: Catalog, kind: str, point: dict[str, Any], unit: Unit, year: int
) -> dict[str, Any] | None:
    """The 台账 filter (keys of ledger.RecordFilter) for a point selected on a chart; None when it leads nowhere."""
    chart = CHARTS.get(kind)
    if chart is None or chart.drill is None:
        return None
    return chart.drill(catalog, point, unit, year)

"""fazhi.charts: every registered chart kind draws the demo in Chinese with the CJK fonts, purely."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date

import pandas as pd
import plotly.graph_objects as go
import pytest

from fazhi import auth, charts, dashboard, db, sample
from fazhi.catalog import Catalog
from fazhi.units import find_unit, insert_unit

CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(scope="module")
def shown(
    tmp_path_factory: pytest.TempPathFactory, catalog: Catalog
) -> Iterator[dict[int, dashboard.DashboardData]]:
    """The demo's dashboard data for 2020 and for 2023 (a year without records), computed once for the module."""
    database = db.connect(tmp_path_factory.mktemp("charts") / "demo.duckdb")
    sample.load_demo(database, catalog)
    township = find_unit(database, "燕山乡")
    yield {
        year: dashboard.dashboard_data(database, auth.system_user(), catalog, township, year, today=today)
        for year, today in ((2020, date(2021, 1, 10)), (2023, date(2023, 3, 1)))
    }
    database.close()


@pytest.fixture
def data(shown: dict[int, dashboard.DashboardData]) -> dashboard.DashboardData:
    return shown[2020]


def _texts(figure: go.Figure) -> list[str]:
    """Every piece of text a reader sees: title, axis titles, category labels, annotations, trace names."""
    layout = figure.layout
    texts = [layout.title.text or ""]
    texts += [axis.title.text or "" for axis in (layout.xaxis, layout.yaxis)]
    texts += [a.text for a in layout.annotations]
    for trace in figure.data:
        texts.append(trace.name or "")
        for attribute in ("x", "y", "labels", "text"):
            values = getattr(trace, attribute, None)
            if values is not None:
                texts += [str(v) for v in values]
    return texts


def test_the_registry_names_five_kinds() -> None:
    assert list(charts.CHARTS) == [
        "monthly_activity",
        "completion_by_area",
        "by_unit",
        "records_by_type",
        "year_over_year",
    ]
    for kind in charts.CHARTS.values():
        assert CJK.search(kind.title)


@pytest.mark.parametrize("kind", list(charts.CHARTS))
def test_every_kind_draws_in_chinese_with_the_cjk_fonts(
    kind: str, data: dashboard.DashboardData, catalog: Catalog
) -> None:
    figure = charts.build(kind, charts.frame(kind, data, catalog))
    assert isinstance(figure, go.Figure)
    assert figure.layout.font.family == charts.FONT_FAMILY
    assert "Noto Sans CJK SC" in figure.layout.font.family and "Microsoft YaHei" in figure.layout.font.family
    assert CJK.search(figure.layout.title.text)
    assert figure.layout.font.size == 16
    assert len(figure.data) >= 1
    if kind == "records_by_type":  # a treemap has no axes; its labels are Chinese
        assert all(CJK.search(label) for label in figure.data[0].labels)
    else:
        assert CJK.search(figure.layout.xaxis.title.text) and CJK.search(figure.layout.yaxis.title.text)
    assert figure.layout.annotations == () or all(
        a.text != charts.EMPTY_TEXT for a in figure.layout.annotations
    )


@pytest.mark.parametrize("kind", list(charts.CHARTS))
def test_every_kind_takes_a_size_and_a_font_size(
    kind: str, data: dashboard.DashboardData, catalog: Catalog
) -> None:
    figure = charts.build(kind, charts.frame(kind, data, catalog), width=1200, height=700, font_size=24)
    assert (figure.layout.width, figure.layout.height, figure.layout.font.size) == (1200, 700, 24)
    assert figure.layout.autosize is False
    assert figure.layout.title.font.size == 31


@pytest.mark.parametrize("kind", list(charts.CHARTS))
def test_builders_are_pure_and_deterministic(
    kind: str, data: dashboard.DashboardData, catalog: Catalog
) -> None:
    frame = charts.frame(kind, data, catalog)
    before = frame.copy()
    first = charts.build(kind, frame).to_json()
    assert charts.build(kind, frame).to_json() == first
    assert frame.equals(before)  # the frame is not changed


@pytest.mark.parametrize("kind", list(charts.CHARTS))
def test_every_kind_draws_an_empty_year(
    kind: str, shown: dict[int, dashboard.DashboardData], catalog: Catalog
) -> None:
    empty = shown[2023]
    figure = charts.build(kind, charts.frame(kind, empty, catalog))
    assert figure.layout.font.family == charts.FONT_FAMILY
    if kind in ("monthly_activity", "records_by_type", "year_over_year"):
        assert [a.text for a in figure.layout.annotations] == [charts.EMPTY_TEXT]


def test_monthly_activity_stacks_areas_in_outline_order(
    data: dashboard.DashboardData, catalog: Catalog
) -> None:
    figure = charts.build("monthly_activity", data.monthly)
    assert [t.name for t in figure.data] == [
        "组织保障",
        "履行职能",
        "制度体系",
        "依法决策",
        "严格执法",
        "矛盾化解",
        "学法用法",
        "法治宣传",
    ]
    publicity = figure.data[-1]
    assert list(publicity.x) == list(range(1, 13))
    assert publicity.y[5] == 6 and list(publicity.customdata[5]) == ["publicity", 6]
    assert publicity.marker.color == "#ff9da7"  # data/areas.toml
    assert figure.layout.barmode == "stack"


def test_completion_marks_the_time_and_colours_by_status(data: dashboard.DashboardData) -> None:
    figure = charts.build("completion_by_area", data.completion)
    bars = figure.data[0]
    assert list(bars.y)[-1] == "组织保障"  # first area on top
    colours = dict(zip(bars.y, bars.marker.color, strict=True))
    assert colours["组织保障"] == charts.STATUS_COLORS["达标"]
    assert colours["法治宣传"] == charts.STATUS_COLORS["未达标"]
    assert [s.x0 for s in figure.layout.shapes] == [100.0]
    assert [a.text for a in figure.layout.annotations] == ["时间进度 100%"]


def test_by_unit_labels_and_selection_data(data: dashboard.DashboardData, catalog: Catalog) -> None:
    figure = charts.build("by_unit", charts.frame("by_unit", data, catalog, "village_materials"))
    bars = figure.data[0]
    assert list(bars.x) == ["示例一村", "示例二村", "示例三村", "示例社区"]
    assert list(bars.y) == [520, 498, 515, 513]
    assert list(bars.text) == ["520份", "498份", "515份", "513份"]
    assert [row[1] for row in bars.customdata] == ["village_materials"] * 4
    assert figure.layout.yaxis.title.text == "村（居）散发宣传资料（份）"
    assert figure.layout.xaxis.title.text == "村/社区"


def test_treemap_nodes_carry_area_and_type_ids(data: dashboard.DashboardData) -> None:
    tree = charts.build("records_by_type", data.by_type).data[0]
    nodes = dict(zip(tree.ids, tree.values, strict=True))
    assert nodes["all"] == 55
    assert nodes["area:publicity"] == 26
    assert nodes["type:market_day"] == 3
    assert dict(zip(tree.ids, tree.parents, strict=True))["type:market_day"] == "area:publicity"


def test_year_over_year_is_green_when_better(data: dashboard.DashboardData) -> None:
    figure = charts.build("year_over_year", data.comparison)
    bars = figure.data[0]
    assert list(bars.y)[-1] == "法律援助案件"  # the largest rise on top
    assert bars.text[-1] == "+100%"
    assert set(bars.marker.color) == {charts.VERDICT_COLORS["better"]}  # the 12 largest changes all rose
    assert figure.layout.xaxis.title.text == "较2019年增减（%）"
    assert figure.layout.title.text == "2020年与2019年比较（变化最大的12项）"
    assert len(bars.y) == 12 and len(data.comparison) == 26  # one screen; the page lists the other 14


def test_year_over_year_keeps_the_largest_changes_either_way() -> None:
    frame = pd.DataFrame({"code": list("abcdef"), "change_pct": [50.0, 20.0, 5.0, -1.0, -30.0, -60.0]})
    assert dashboard.largest_changes(frame, 3)["code"].tolist() == ["a", "e", "f"]
    assert dashboard.other_changes(frame, 3)["code"].tolist() == ["b", "c", "d"]
    assert dashboard.largest_changes(frame, 6)["code"].tolist() == list("abcdef")
    assert dashboard.other_changes(frame, 6).empty


def test_the_monthly_legend_stands_beside_the_plot(data: dashboard.DashboardData) -> None:
    legend = charts.build("monthly_activity", data.monthly).layout.legend
    assert (legend.orientation, legend.x, legend.xanchor, legend.y, legend.yanchor) == (
        "v",
        1.02,
        "left",
        1,
        "top",
    )


def test_typed_names_are_shown_as_plain_text(demo: db.Database, catalog: Catalog) -> None:
    township = find_unit(demo, "燕山乡")
    with demo.transaction() as cur:
        insert_unit(cur, "<b>新村</b> & {{ x }}", "village", township)
    frame = dashboard.by_unit(demo, auth.system_user(), catalog, township, 2020, "village_materials")
    figure = charts.build("by_unit", frame)
    assert "&lt;b&gt;新村&lt;/b&gt; &amp; {{ x }}" in list(figure.data[0].x)
    assert not any("<b>" in text for text in _texts(figure))

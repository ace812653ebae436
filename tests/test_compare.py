"""fazhi.compare and its charts: a county's townships side by side, each cell leading to a 台账."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date

import plotly.graph_objects as go
import pytest

from fazhi import auth, charts, compare, dashboard, db, drilldown, records, sample, units
from fazhi.catalog import Catalog
from fazhi.units import find_unit
from fazhi.validation import RecordInput

CJK = re.compile(r"[\u4e00-\u9fff]")
TODAY = date(2021, 1, 20)


@pytest.fixture(scope="module")
def county(
    tmp_path_factory: pytest.TempPathFactory, catalog: Catalog
) -> Iterator[tuple[db.Database, list[compare.Score]]]:
    """The demo with a second township, 青石镇, that recorded one market day in 2020."""
    database = db.connect(tmp_path_factory.mktemp("compare") / "county.duckdb")
    sample.load_demo(database, catalog)
    system = auth.system_user("测试")
    other = units.create_child_unit(database, system, find_unit(database, "万州区").id, "青石镇")
    item = RecordInput(
        "market_day",
        other.id,
        "赶场日宣传",
        date(2020, 3, 1),
        values={"consultations": 10, "materials": 100, "banners": 2},
    )
    records.add_record(database, system, catalog, item)
    found = compare.scores(database, system, catalog, find_unit(database, "万州区"), 2020, today=TODAY)
    yield database, found
    database.close()


def test_each_township_scores_as_its_own_dashboard(county, catalog: Catalog) -> None:
    database, found = county
    assert [(s.unit.name, s.completion, s.records) for s in found] == [
        ("燕山乡", 85.4, 55),
        ("青石镇", 10.6, 1),
    ]
    yanshan = found[0]
    own = dashboard.completion_by_area(database, auth.system_user(), catalog, yanshan.unit, 2020, today=TODAY)
    assert yanshan.areas["completion"].tolist() == own["completion"].tolist()
    assert found[1].by_area == {
        "leadership": 0, "functions": 0, "rules": 0, "decisions": 0, "enforcement": 0, "oversight": 0,
        "disputes": 0, "capacity": 0, "publicity": 1,
    }  # fmt: skip
    assert sum(yanshan.by_area.values()) == 55


def test_the_heatmap_frame_has_a_cell_per_township_and_area(county, catalog: Catalog) -> None:
    _, found = county
    frame = compare.heatmap_frame(catalog, 2020, found)
    assert len(frame) == 2 * 9
    yanshan = frame[frame["unit_name"] == "燕山乡"].set_index("area_code")
    assert yanshan.loc["publicity", ["area", "completion", "status", "records"]].tolist() == [
        "法治宣传",
        94.4,
        "未达标",
        26,
    ]
    assert yanshan.loc["leadership", ["completion", "status", "records"]].tolist() == [100.0, "达标", 4]
    other = frame[frame["unit_name"] == "青石镇"].set_index("area_code")
    assert other.loc["publicity", ["completion", "records"]].tolist() == [3.1, 1]
    assert frame["area_order"].tolist()[:9] == list(range(1, 10))


def test_the_ranking_orders_townships_and_each_key_indicator(county, catalog: Catalog) -> None:
    _, found = county
    frame = compare.ranking_frame(catalog, found)
    assert frame["unit_name"].tolist() == ["燕山乡", "青石镇"]
    assert frame["rank"].tolist() == [1, 2]
    assert frame["market_day_materials_text"].tolist() == ["2536份", "100份"]
    assert frame["market_day_materials_rank"].tolist() == [1, 2]
    assert frame["major_accidents_rank"].tolist() == [1, 1]  # both 0起: a tie, and fewer is better
    shown = compare.ranking_display(catalog, frame)
    assert shown.iloc[1].tolist() == [
        "2",
        "青石镇",
        "10.6%",
        1,
        "0次（第2）",
        "—",
        "100份（第2）",
        "0户（第2）",
        "0件（第2）",
        "0件（第2）",
        "—",
        "0起（第1）",
    ]
    assert list(shown.columns)[:4] == ["名次", "乡镇（街道）", "指标完成率", "记录数"]


def test_ranks_follow_the_direction_of_each_indicator() -> None:
    assert compare._rank([3.0, None, 5.0, 5.0], "up") == [3, None, 1, 1]
    assert compare._rank([3.0, None, 5.0, 5.0], "down") == [1, None, 2, 2]


def test_a_heatmap_cell_leads_to_that_townships_ledger(county, catalog: Catalog) -> None:
    _, found = county
    figure = charts.build("township_heatmap", compare.heatmap_frame(catalog, 2020, found))
    point = {"customdata": list(figure.data[0].customdata[0])}
    assert compare.cell_filter(point, 2020) == {
        "year": 2020,
        "unit_id": found[0].unit.id,
        "area": "leadership",
    }
    assert set(compare.cell_filter(point, 2020)) <= set(drilldown.LEDGER_FILTER_KEYS)
    assert compare.cell_filter({"x": "组织保障"}, 2020) is None


def test_the_comparison_charts_are_registered_and_chinese() -> None:
    assert list(charts.COMPARISON_CHARTS) == ["township_heatmap", "township_ranking"]
    assert not set(charts.COMPARISON_CHARTS) & set(charts.CHARTS)
    for kind in charts.COMPARISON_CHARTS.values():
        assert CJK.search(kind.title)


@pytest.mark.parametrize("kind", list(charts.COMPARISON_CHARTS))
def test_every_comparison_chart_draws_purely_in_chinese(kind: str, county, catalog: Catalog) -> None:
    _, found = county
    frame = (
        compare.heatmap_frame(catalog, 2020, found)
        if kind == "township_heatmap"
        else compare.ranking_frame(catalog, found)
    )
    before = frame.copy()
    figure = charts.build(kind, frame, width=1200, height=700, font_size=24)
    assert isinstance(figure, go.Figure)
    assert figure.layout.font.family == charts.FONT_FAMILY
    assert (figure.layout.width, figure.layout.height, figure.layout.font.size) == (1200, 700, 24)
    assert CJK.search(figure.layout.title.text) and CJK.search(figure.layout.xaxis.title.text)
    assert CJK.search(figure.layout.yaxis.title.text)
    assert charts.build(kind, frame, width=1200, height=700, font_size=24).to_json() == figure.to_json()
    assert frame.equals(before)
    empty = charts.build(kind, frame.iloc[0:0])
    assert [a.text for a in empty.layout.annotations] == [charts.EMPTY_TEXT]


def test_the_heatmap_colours_by_completion_and_greys_areas_without_targets(county, catalog: Catalog) -> None:
    _, found = county
    frame = compare.heatmap_frame(catalog, 2020, found)
    frame.loc[(frame["unit_name"] == "青石镇") & (frame["area_code"] == "oversight"), "completion"] = None
    figure = charts.build("township_heatmap", frame)
    rated, blank = figure.data
    assert (rated.marker.cmin, rated.marker.cmax, rated.marker.symbol) == (0, 100, "square")
    assert list(rated.text[:2]) == ["100%", "80%"]
    assert (blank.name, list(blank.text), list(blank.customdata)) == (
        "无目标",
        ["—"],
        [[found[1].unit.id, "oversight"]],
    )
    assert blank.marker.color == charts.STATUS_COLORS["无记录"]
    assert list(figure.layout.yaxis.categoryarray) == ["青石镇", "燕山乡"]  # the first township on top
    assert "记录 4 条（点击查看台账）" in rated.hovertext[0]


def test_names_are_shown_as_text(catalog: Catalog, county) -> None:
    _, found = county
    frame = compare.heatmap_frame(catalog, 2020, found)
    frame["unit_name"] = "<b>粗体</b>镇"
    figure = charts.build("township_heatmap", frame)
    assert figure.data[0].y[0] == "&lt;b&gt;粗体&lt;/b&gt;镇"


def test_one_query_for_every_township_gives_each_its_own_indicator_table(county, catalog: Catalog) -> None:
    """indicators.child_tables (one query for the county) equals indicator_table of each township."""
    from pandas.testing import assert_frame_equal

    from fazhi import indicators

    database, found = county
    system = auth.system_user()
    tables = indicators.child_tables(
        database, system, catalog, find_unit(database, "万州区"), 2020, today=TODAY
    )
    assert set(tables) == {s.unit.id for s in found}
    for item in found:
        alone = indicators.indicator_table(database, system, catalog, item.unit, 2020, today=TODAY)
        assert_frame_equal(tables[item.unit.id], alone)
        assert_frame_equal(item.table, alone)

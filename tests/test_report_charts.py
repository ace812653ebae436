"""The report's charts: figures from the data, PNG images through kaleido and the system Chromium, and a
report that is still produced (with the reason) when no image backend works."""

from __future__ import annotations

import io
import time
from collections import Counter, OrderedDict
from datetime import date

import pandas as pd
import pytest
from docx import Document

from fazhi import auth, charts, db, sample
from fazhi.catalog import Catalog
from fazhi.errors import ChartsUnavailable
from fazhi.report import figures, images
from fazhi.report.context import build_context, chart_images, with_charts
from fazhi.report.render import render
from fazhi.units import find_unit

TODAY = date(2021, 1, 15)
PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(autouse=True)
def fresh_backend_state(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(images._state, "problem", "")
    monkeypatch.setitem(images._state, "failed_at", 0.0)


def test_figures_are_the_dashboards_charts_with_the_same_figures(demo: db.Database, catalog: Catalog) -> None:
    unit = find_unit(demo, "燕山乡")
    made = figures.report_figures(demo, auth.system_user(), catalog, unit, 2020)
    assert [caption for caption, _ in made] == [
        "2020年各月工作记录数（按领域）",
        "2020年各领域目标完成情况",
        "2020年各村（社区）村（居）散发宣传资料",
    ]
    monthly, by_area, by_unit = (figure for _, figure in made)
    months = Counter(int(row[3][5:7]) for row in sample.DEMO_2020)  # the demo's own start dates
    per_month = [sum(trace.y[m - 1] for trace in monthly.data) for m in range(1, 13)]
    assert per_month == [months[m] for m in range(1, 13)] and sum(per_month) == 55
    assert list(by_unit.data[0].x) == ["示例一村", "示例二村", "示例三村", "示例社区"]
    assert list(by_unit.data[0].y) == [520, 498, 515, 513]
    assert by_area.data[0].orientation == "h" and "法治宣传" in list(by_area.data[0].y)
    for figure in (monthly, by_area, by_unit):
        assert figure.layout.font.family == charts.FONT_FAMILY
        assert not figure.layout.title.text  # the caption under the image names it
        assert (figure.layout.width, figure.layout.height) == (figures.WIDTH_PX, figures.HEIGHT_PX)


def test_county_chart_is_by_township(demo: db.Database, catalog: Catalog) -> None:
    county = find_unit(demo, "万州区")
    made = dict(figures.report_figures(demo, auth.system_user(), catalog, county, 2020))
    (caption,) = [c for c in made if c.startswith("2020年各乡镇（街道）")]
    assert list(made[caption].data[0].x) == ["燕山乡"]


def test_a_year_without_records_has_no_charts(demo: db.Database, catalog: Catalog) -> None:
    assert figures.report_figures(demo, auth.system_user(), catalog, find_unit(demo, "燕山乡"), 2015) == []


@pytest.mark.skipif(images.browser_path() is None, reason="没有 Chromium，无法生成图表图片")
def test_report_with_chart_images(demo: db.Database, catalog: Catalog) -> None:
    unit = find_unit(demo, "燕山乡")
    context = build_context(demo, auth.system_user(), catalog, unit, 2020, today=TODAY, charts=True)
    assert context["charts_problem"] == ""
    assert [c["caption"] for c in context["charts"]] == [
        "图1　2020年各月工作记录数（按领域）",
        "图2　2020年各领域目标完成情况",
        "图3　2020年各村（社区）村（居）散发宣传资料",
    ]
    assert all(c["png"].startswith(PNG) and len(c["png"]) > 10_000 for c in context["charts"])
    assert context["attachments"] == ["1．主要指标完成情况", "2．工作开展情况图表"]
    document = Document(io.BytesIO(render(context)))
    assert len(document.inline_shapes) == 3
    assert round(document.inline_shapes[0].width.mm) == figures.WIDTH_MM
    texts = [p.text for p in document.paragraphs]
    assert "附件2" in texts and "图3　2020年各村（社区）村（居）散发宣传资料" in texts
    started = time.perf_counter()
    images.to_png(
        [figure for _, figure in figures.report_figures(demo, auth.system_user(), catalog, unit, 2020)]
    )
    assert time.perf_counter() - started < 10  # warm: the browser is already running


def test_no_browser_means_a_report_without_charts(
    demo: db.Database, catalog: Catalog, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(images, "browser_path", lambda: None)
    monkeypatch.setattr(images, "_cache", OrderedDict())  # a machine without a browser never drew one
    context = build_context(
        demo, auth.system_user(), catalog, find_unit(demo, "燕山乡"), 2020, today=TODAY, charts=True
    )
    assert context["charts"] == []
    assert (
        context["charts_problem"]
        == "本机没有找到 Chrome、Edge 或 Chromium 浏览器，无法生成图表图片，报告将不含图表。"
    )
    assert context["attachments"] == ["主要指标完成情况"] and context["table_label"] == "附件"
    document = Document(io.BytesIO(render(context)))
    assert len(document.inline_shapes) == 0 and "附件2" not in [p.text for p in document.paragraphs]


def test_a_kaleido_error_or_timeout_is_named_and_remembered(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(images, "browser_path", lambda: "/usr/bin/chromium")

    def broken(*args):
        raise RuntimeError("chromium crashed")

    monkeypatch.setattr(images, "_render", broken)
    figure = charts.build(
        "monthly_activity",
        pd.DataFrame(columns=["month", "area_code", "area", "area_name", "area_order", "records"]),
    )
    with pytest.raises(ChartsUnavailable, match="生成图表时出错（RuntimeError：chromium crashed）"):
        images.to_png([figure])
    assert images.problem().startswith("生成图表时出错")  # not retried at once
    with pytest.raises(ChartsUnavailable, match="生成图表时出错"):
        images.to_png([figure])

    monkeypatch.setitem(images._state, "problem", "")
    monkeypatch.setattr(images, "TIMEOUT_S", 0.2)
    monkeypatch.setattr(images, "_render", lambda *args: time.sleep(1))
    with pytest.raises(ChartsUnavailable, match="生成图表超时"):
        images.to_png([figure])


def test_charts_added_to_a_context_built_without_them_renumber_the_appendix(
    demo: db.Database, catalog: Catalog, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The page's cached context (no charts) plus the charts is the context built with them: what the
    download uses instead of building the whole context again."""
    monkeypatch.setattr(figures, "chart_images", lambda data, catalog, names: [("按月记录数", PNG + b"x")])
    unit = find_unit(demo, "燕山乡")
    plain = build_context(demo, auth.system_user(), catalog, unit, 2020, today=TODAY)
    assert plain["attachments"] == ["主要指标完成情况"] and plain["charts_label"] == "附件"
    built = build_context(demo, auth.system_user(), catalog, unit, 2020, today=TODAY, charts=True)
    added = with_charts(plain, *chart_images(demo, auth.system_user(), catalog, unit, 2020))
    assert added == built
    assert added["attachments"] == ["1．主要指标完成情况", "2．工作开展情况图表"]
    assert (added["table_label"], added["charts_label"]) == ("附件1", "附件2")
    assert [c["caption"] for c in added["charts"]] == ["图1　按月记录数"]
    assert plain["charts"] == []  # the cached context is left as it was

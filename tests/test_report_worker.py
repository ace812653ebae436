"""fazhi/report/worker.py: the report's charts and template filling in a process of its own, the same
document as in the app process, its errors as they are, and the app process without it unchanged."""

from __future__ import annotations

import io
import os
import sys
import types
from collections.abc import Iterator

import pytest
from docx import Document

from fazhi import auth, dashboard, db
from fazhi.catalog import Catalog
from fazhi.errors import ReportTemplateError
from fazhi.report import figures, images, worker
from fazhi.report import render as render_module
from fazhi.report.generate import generate
from fazhi.report.render import render
from fazhi.units import find_unit


@pytest.fixture
def running() -> Iterator[None]:
    worker.start(warm=False)
    yield
    worker.stop()


def _texts(docx: bytes) -> list[str]:
    document = Document(io.BytesIO(docx))
    cells = [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    return [paragraph.text for paragraph in document.paragraphs] + cells


def test_without_a_started_worker_the_step_runs_here() -> None:
    assert not worker.started()
    assert worker.call(os.getpid) == os.getpid()


def test_the_worker_makes_the_same_report_in_its_own_process(
    running: None, demo: db.Database, catalog: Catalog, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert worker.call(os.getpid) != os.getpid()
    unit = find_unit(demo, "燕山乡")
    with monkeypatch.context() as patched:  # the app process must not fill the template itself
        patched.setattr(render_module, "render_in_process", lambda *args: pytest.fail("rendered here"))
        there = generate(demo, auth.system_user(), catalog, unit, 2020, charts=False)
    worker.stop()
    here = generate(demo, auth.system_user(), catalog, unit, 2020, charts=False)
    assert _texts(there.docx) == _texts(here.docx)
    assert _texts(there.docx)[0] == "燕山乡关于2020年法治政府建设情况的报告"


def test_a_template_error_in_the_worker_comes_back_as_itself(running: None) -> None:
    with pytest.raises(ReportTemplateError, match="模板文件不是完整的压缩格式文件"):
        worker.call(render, {"title": "x"}, b"not a docx at all")


@pytest.mark.skipif(images.browser_path() is None, reason="没有 Chromium，无法生成图表图片")
def test_chart_images_come_from_the_worker_with_their_captions(
    running: None, demo: db.Database, catalog: Catalog
) -> None:
    data = dashboard.dashboard_data(demo, auth.system_user(), catalog, find_unit(demo, "燕山乡"), 2020)
    made = worker.call(figures.chart_images, data, catalog, None)
    assert [caption for caption, _ in made] == [caption for caption, _ in figures.figures_of(data, catalog)]
    assert all(png.startswith(b"\x89PNG\r\n\x1a\n") for _, png in made)


def test_a_worker_started_while_a_page_script_is_main_does_not_run_it(
    tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """While a page runs, Streamlit makes the page script `__main__`; a worker started then (a dead one's
    replacement, at a click) must not re-run it (app.py opens the database the app holds: the worker died)."""
    script = tmp_path / "page.py"
    marker = tmp_path / "ran"
    script.write_text(f"open({str(marker)!r}, 'w').close()\nraise SystemExit('the page ran in the worker')\n")
    page = types.ModuleType("__main__")
    page.__file__ = str(script)
    monkeypatch.setitem(sys.modules, "__main__", page)
    worker.start(warm=False)
    try:
        assert worker.call(os.getpid) != os.getpid()
    finally:
        worker.stop()
    assert sys.modules["__main__"] is page  # put back
    assert not marker.exists()

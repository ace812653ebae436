"""fazhi/worker.py: the report's charts and template filling and the reading of imported files in a process
of its own: the same document and the same import plan as in the app process, errors as they are (every
FazhiError survives the trip), and the app process without a worker unchanged."""

from __future__ import annotations

import io
import os
import pickle
import sys
import types
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from docx import Document

from fazhi import attachments, auth, dashboard, db, errors, evidence, spreadsheet, transfer, worker
from fazhi.catalog import Catalog
from fazhi.errors import ReportTemplateError
from fazhi.report import figures, images
from fazhi.report import render as render_module
from fazhi.report.generate import generate
from fazhi.report.render import render
from fazhi.units import find_unit
from tests import evidence_files


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
    assert worker.call(os.getpid, task="测试") == os.getpid()


def test_the_worker_makes_the_same_report_in_its_own_process(
    running: None, demo: db.Database, catalog: Catalog, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert worker.call(os.getpid, task="测试") != os.getpid()
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
        worker.call(render, {"title": "x"}, b"not a docx at all", task="生成报告")


@pytest.mark.skipif(images.browser_path() is None, reason="没有 Chromium，无法生成图表图片")
def test_chart_images_come_from_the_worker_with_their_captions(
    running: None, demo: db.Database, catalog: Catalog
) -> None:
    data = dashboard.dashboard_data(demo, auth.system_user(), catalog, find_unit(demo, "燕山乡"), 2020)
    made = worker.call(figures.chart_images, data, catalog, None, task="生成报告图表")
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
        assert worker.call(os.getpid, task="测试") != os.getpid()
    finally:
        worker.stop()
    assert sys.modules["__main__"] is page  # put back
    assert not marker.exists()


def test_an_import_is_read_and_checked_in_the_worker_with_the_same_plan(
    running: None, demo: db.Database, catalog: Catalog, monkeypatch: pytest.MonkeyPatch
) -> None:
    user = auth.system_user()
    workbook = transfer.export_xlsx(demo, user, catalog, transfer.ledger.RecordFilter(year=2020))
    with monkeypatch.context() as patched:  # the app process must not read the workbook itself
        patched.setattr(transfer, "read_tables", lambda *args: pytest.fail("read here"))
        there = transfer.preview(demo, user, catalog, "台账.xlsx", workbook, year=2020)
    worker.stop()
    here = transfer.preview(demo, user, catalog, "台账.xlsx", workbook, year=2020)
    assert there == here
    stored = demo.rows(
        "SELECT count(*) FROM records WHERE start_on BETWEEN '2020-01-01' AND '2020-12-31' AND NOT is_deleted"
    )
    assert len(here.rows) == stored[0][0] > 0
    assert len(here.duplicates) == len(here.rows)  # every row is a record already stored


def test_a_refused_file_comes_back_from_the_worker_with_its_problems(running: None) -> None:
    with pytest.raises(errors.InvalidFile) as refused:
        worker.call(spreadsheet.read_tables, "空.xlsx", b"", task="读取导入的文件")
    assert refused.value.message == "“空.xlsx”是空文件。"
    assert [p.field for p in refused.value.problems] == ["file"]


# Subclasses whose __init__ takes something other than the message, with an example of each.
_EXAMPLES: dict[type[errors.FazhiError], errors.FazhiError] = {
    errors.InvalidInput: errors.InvalidInput([errors.Problem("title", "请填写标题。", 3)]),
    errors.InvalidRecord: errors.InvalidRecord([errors.Problem("count", "人数不能是负数。")]),
    errors.InvalidFile: errors.InvalidFile([errors.Problem("file", "文件是空的。")], "无法导入"),
    errors.RecordConflict: errors.RecordConflict({"id": 7, "title": "普法"}),
    errors.NarrativeConflict: errors.NarrativeConflict(None),
    errors.StaleFigures: errors.StaleFigures([{"section": "一", "old": "3次", "new": "4次"}]),
    errors.UnitsToCreate: errors.UnitsToCreate(["燕山乡/新华村"]),
}


def _every_error() -> list[type[errors.FazhiError]]:
    found, waiting = [], [errors.FazhiError]
    while waiting:
        kind = waiting.pop()
        found.append(kind)
        waiting.extend(kind.__subclasses__())
    return found


@pytest.mark.parametrize("kind", _every_error(), ids=lambda kind: kind.__name__)
def test_every_error_survives_the_trip_from_the_worker(kind: type[errors.FazhiError]) -> None:
    error = _EXAMPLES.get(kind) or kind("出错了：请重试。")
    back = pickle.loads(pickle.dumps(error))
    assert type(back) is kind
    assert str(back) == str(error) and back.message == error.message
    assert back.__dict__ == error.__dict__


def test_the_evidence_package_is_written_in_the_worker(
    running: None, demo: db.Database, catalog: Catalog, users: dict[str, auth.User], tmp_path
) -> None:
    editor = users["editor"]
    frame = transfer.ledger.list_records(demo, editor, catalog, transfer.ledger.RecordFilter(year=2020))
    record = int(frame["id"].iloc[0])
    photo, sheet = evidence_files.image("JPEG"), evidence_files.docx()
    attachments.add_files(demo, editor, catalog, record, [("现场.jpg", photo), ("签到表.docx", sheet)])
    township = find_unit(demo, "燕山乡")
    contents = evidence.contents(demo, editor, catalog, township.id, 2020)
    there = worker.call(evidence.write_file, contents, str(tmp_path / "there.zip"), task="打包佐证材料")
    worker.stop()
    here = evidence.write_file(contents, str(tmp_path / "here.zip"))
    assert (there.files, there.records) == (here.files, here.records) == (2, len(frame))
    with zipfile.ZipFile(tmp_path / "there.zip") as a, zipfile.ZipFile(tmp_path / "here.zip") as b:
        assert a.namelist() == b.namelist()
        assert sorted(a.read(n) for n in a.namelist() if not n.endswith(".xlsx")) == sorted([photo, sheet])
    # a stored file gone from the folder: the worker's NotFound names it
    worker.start(warm=False)
    Path(contents.files[0][1]).unlink()
    with pytest.raises(errors.NotFound, match=f"佐证材料“{contents.files[0][2]}”的文件不在"):
        worker.call(evidence.write_file, contents, str(tmp_path / "gone.zip"), task="打包佐证材料")

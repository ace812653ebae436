"""The newcomer's goal in a real browser: log in, open 年度报告 for 2020, click 下载 Word, get a .docx that opens."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from docx import Document

from fazhi import auth, db, sample
from fazhi.catalog import load_catalog
from fazhi.units import find_unit
from tests.conftest import PASSWORD
from tests.e2e.conftest import screenshot, wait_idle

pytestmark = pytest.mark.browser


def _demo_with_editor(path: Path) -> None:
    database = db.connect(path)
    try:
        sample.load_demo(database, load_catalog())
        unit = find_unit(database, "燕山乡")
        auth.create_user(database, auth.system_user(), "wangwu", PASSWORD, "editor", unit.id, "王五")
    finally:
        database.close()


def test_download_the_report(app_factory, page, tmp_path: Path) -> None:
    _demo_with_editor(tmp_path / "e2e.duckdb")  # the file app_factory's app opens
    app = app_factory(worker=True)  # as served: charts and the template filled in the report worker
    page.goto(app.url)
    page.get_by_role("textbox", name="用户名").fill("wangwu")
    page.get_by_role("textbox", name="密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    wait_idle(page)
    sidebar = page.get_by_test_id("stSidebar")
    sidebar.get_by_test_id("stSelectbox").filter(has_text="年度").click()
    page.get_by_role("option", name="2020年").click()
    wait_idle(page)
    page.get_by_test_id("stSidebarNav").get_by_text("年度报告").click()
    page.get_by_role("heading", name="年度报告 · 燕山乡 · 2020年").wait_for()
    wait_idle(page)
    assert "/report" in page.url
    page.get_by_text("开头段").first.wait_for()
    screenshot(page, "report-page")

    with page.expect_download(timeout=120_000) as info:
        page.get_by_role("button", name="下载 Word").click()
    download = info.value
    assert download.suggested_filename == "燕山乡2020年法治政府建设情况报告.docx"
    document = Document(io.BytesIO(Path(download.path()).read_bytes()))
    paragraphs = [p.text for p in document.paragraphs]
    assert paragraphs[0] == "燕山乡关于2020年法治政府建设情况的报告"
    assert "三、存在的不足和原因" in paragraphs
    assert any("发放宣传资料2500余份" in p for p in paragraphs)
    assert len(document.inline_shapes) == 3  # the charts, drawn by the worker's browser

    page.get_by_role("tab", name="全文预览").click()
    page.get_by_text("区委、区政府：").first.wait_for()
    screenshot(page, "report-preview")

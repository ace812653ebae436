"""Both sides of 报送 in a real browser: 燕山乡's administrator submits 2020 → 万州区's administrator sees
已报送 and returns it with a comment → 燕山乡 sees the comment and edits → submits again → 万州区 approves →
the year is locked for 燕山乡. Two browser contexts, one per office."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from fazhi import auth, db, locks, sample, submissions
from fazhi.catalog import load_catalog
from fazhi.units import find_unit
from tests.conftest import PASSWORD
from tests.e2e.conftest import screenshot, wait_idle

pytestmark = pytest.mark.browser


def _demo_with_two_offices(path: Path) -> None:
    database = db.connect(path)
    try:
        sample.load_demo(database, load_catalog())
        system = auth.system_user()
        auth.create_user(
            database, system, "ys_admin", PASSWORD, "admin", find_unit(database, "燕山乡").id, "王五"
        )
        auth.create_user(
            database, system, "wz_admin", PASSWORD, "admin", find_unit(database, "万州区").id, "李四"
        )
    finally:
        database.close()


def _log_in(page, url: str, username: str) -> None:
    page.goto(url)
    page.get_by_role("textbox", name="用户名").fill(username)
    page.get_by_role("textbox", name="密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    wait_idle(page)
    page.get_by_test_id("stSidebar").get_by_test_id("stSelectbox").filter(has_text="年度").wait_for()
    wait_idle(page)
    option = page.get_by_role("option", name="2020年")
    for _ in range(3):  # a rerun finishing just then closes the list again; open it once more
        page.get_by_test_id("stSidebar").get_by_test_id("stSelectbox").filter(has_text="年度").click()
        try:
            option.wait_for(timeout=5_000)
            break
        except Exception:
            wait_idle(page)
    option.click()
    wait_idle(page)


def _open(page, title: str, heading: str) -> None:
    page.get_by_test_id("stSidebarNav").get_by_text(title, exact=True).click()
    page.get_by_role("heading", name=heading).wait_for()
    wait_idle(page)


def test_submit_return_edit_resubmit_approve(app_factory, browser, page, tmp_path: Path) -> None:
    from playwright.sync_api import expect  # only once the browser fixture found playwright

    _demo_with_two_offices(tmp_path / "e2e.duckdb")
    app = app_factory()
    township = page
    county_context = browser.new_context(viewport={"width": 1400, "height": 900}, locale="zh-CN")
    county_context.set_default_timeout(30_000)
    county = county_context.new_page()
    try:
        # 燕山乡 submits 2020 from 年度报告
        _log_in(township, app.url, "ys_admin")
        _open(township, "年度报告", "年度报告 · 燕山乡 · 2020年")
        township.get_by_text("报送与公开：未报送").wait_for()
        township.get_by_role("button", name="报送2020年报告").click()
        township.get_by_text("已报送燕山乡2020年的年度报告（第1次），该年度已锁定。").wait_for(
            timeout=120_000
        )
        township.get_by_text("燕山乡2020年的年度报告已报送（ys_admin于").first.wait_for()
        wait_idle(township)
        screenshot(township, "submission-township-submitted")

        # 万州区 sees 已报送 and returns it with a comment
        _log_in(county, app.url, "wz_admin")
        county.get_by_text("燕山乡2020年的年度报告已报送，等待审核。").wait_for()
        _open(county, "报送进度", "报送进度 · 万州区 · 2020年")
        expect(county.get_by_role("combobox", name="查看或审核")).to_have_value("燕山乡（已报送）")
        assert county.get_by_test_id("stMetricValue").first.inner_text() == "100.0%"
        screenshot(county, "submission-county-progress")
        county.get_by_role("button", name="打开报送审核").click()
        county.get_by_role("heading", name="报送审核 · 2020年").wait_for()
        county.get_by_role("heading", name="燕山乡：已报送（第1次报送）").wait_for()
        wait_idle(county)
        county.get_by_role("textbox", name="审核意见（退回时必填，乡镇会在报告页面看到）").fill(
            "请补充典型案例。"
        )
        county.get_by_role("button", name="退回", exact=True).click()
        county.get_by_text("已退回，该年度恢复可修改：燕山乡2020年的年度报告。").wait_for()
        county.get_by_role("heading", name="燕山乡：已退回（第1次报送）").wait_for()

        # 燕山乡 sees the comment in the sidebar and on the report page, and edits the report
        _open(township, "首页", "燕山乡 · 2020年法治政府建设")  # a reload would start a new session (log out)
        _open(township, "年度报告", "年度报告 · 燕山乡 · 2020年")
        sidebar = township.get_by_test_id("stSidebar")
        sidebar.get_by_text("燕山乡2020年的年度报告已被退回：万州区（wz_admin）于").wait_for()
        township.get_by_text("报送与公开：已退回（第1次报送）").wait_for()
        assert township.get_by_text("请补充典型案例。").count() >= 2  # sidebar and report page
        screenshot(township, "submission-township-returned")
        text = township.get_by_role("textbox", name="报告中的文字").first
        text.fill(text.input_value() + "我乡还在场镇开展了典型案例宣讲。")
        township.get_by_role("button", name="保存", exact=True).first.click()
        township.get_by_text("已保存“开头段”").wait_for()
        wait_idle(township)

        # … submits again, and 万州区 approves
        township.get_by_role("button", name="报送2020年报告").click()
        township.get_by_text("已报送燕山乡2020年的年度报告（第2次），该年度已锁定。").wait_for(
            timeout=120_000
        )
        wait_idle(township)
        _open(county, "报送审核", "报送审核 · 2020年")
        county.get_by_role("heading", name="燕山乡：已报送（第2次报送）").wait_for()
        county.get_by_role("button", name="通过", exact=True).click()
        county.get_by_text("已通过，该年度已由上级封账：燕山乡2020年的年度报告。").wait_for()
        wait_idle(county)
        screenshot(county, "submission-county-approved")

        # the county downloads every submitted report with the 汇总表, then compares its townships
        _open(county, "报送进度", "报送进度 · 万州区 · 2020年")
        with county.expect_download(timeout=60_000) as info:
            county.get_by_role("button", name="下载全部报告和汇总表（zip）").click()
        with zipfile.ZipFile(info.value.path()) as archive:
            assert archive.namelist() == [
                "报送情况汇总表.xlsx",
                "01 燕山乡2020年法治政府建设情况报告（已通过）.docx",
            ]
        _open(county, "乡镇比较", "乡镇比较 · 万州区 · 2020年")
        heatmap = county.locator(".js-plotly-plot", has_text="各乡镇（街道）各领域目标完成情况")
        cell = heatmap.locator("g.points path.point").first
        cell.wait_for()
        wait_idle(county)
        screenshot(county, "compare-county")
        cell.scroll_into_view_if_needed()
        county.wait_for_timeout(300)
        box = cell.bounding_box()
        x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
        county.mouse.move(x, y)  # plotly's drag layer takes the pointer, as for a person: hover, then click
        county.wait_for_timeout(300)
        county.mouse.click(x, y)
        county.get_by_role("heading", name="台账 · 万州区 · 2020年").wait_for()
        county.get_by_text("只显示：燕山乡 · 2020年 · 领域：组织保障").wait_for()
        county.get_by_text("共 4 条记录").wait_for()

        # the year is locked for 燕山乡: the banner says so and the report text can no longer be changed
        _open(township, "首页", "燕山乡 · 2020年法治政府建设")  # a reload would start a new session (log out)
        _open(township, "年度报告", "年度报告 · 燕山乡 · 2020年")
        township.get_by_text("燕山乡2020年的年度报告已通过审核（wz_admin于").first.wait_for()
        township.get_by_text("只能查看：查看者账号或已封账的年度不能修改报告文字。").wait_for()
        assert township.get_by_role("button", name="报送2020年报告").count() == 0
        assert township.get_by_role("textbox", name="报告中的文字").count() == 0
        screenshot(township, "submission-township-locked")
    finally:
        county_context.close()

    # what the walk left in the database (read once the server has let go of the file)
    app.process.terminate()
    app.process.wait(timeout=30)
    database = db.connect(app.db_path)
    try:
        unit = find_unit(database, "燕山乡")
        history = submissions.history(database, auth.system_user(), unit, 2020)
        assert [
            (s.round, s.state, [(d.action, d.decided_by, d.comment) for d in ds]) for s, ds in history
        ] == [
            (2, "approved", [("approve", "wz_admin", "")]),
            (1, "returned", [("return", "wz_admin", "请补充典型案例。")]),
        ]
        assert locks.setter(database, unit, 2020)[0] == "万州区"
        assert locks.workflow_of(database, unit, 2020) == "approved"
    finally:
        database.close()

"""In a real browser: a record typed into 录入 and one imported from a GBK CSV on 导入导出 both appear in
台账 with the right totals (the file read in the worker process, as served); then the record is opened,
corrected and given a photo."""

from __future__ import annotations

from pathlib import Path

import pytest

from fazhi import auth, db, sample
from fazhi.catalog import load_catalog
from fazhi.units import find_unit
from tests import evidence_files as files
from tests.conftest import PASSWORD
from tests.e2e.conftest import screenshot, wait_idle

pytestmark = pytest.mark.browser


def grid(page, index: int) -> list[list[str]]:
    """The cells of the index-th table on the page (the grid draws on a canvas; its accessible copy has the text)."""
    table = page.get_by_test_id("stDataFrame").nth(index).locator("table[role=grid]")
    return table.evaluate(
        "t => [...t.querySelectorAll('tr')].map(r => [...r.querySelectorAll('th,td')].map(c => c.textContent))"
    )


def prepare(tmp_path: Path) -> None:
    """The demo and an editor of 燕山乡 in the file the app will open."""
    database = db.connect(tmp_path / "e2e.duckdb")
    try:
        sample.load_demo(database, load_catalog())
        auth.create_user(
            database,
            auth.system_user(),
            "editor",
            PASSWORD,
            "editor",
            find_unit(database, "燕山乡").id,
            "李四",
        )
    finally:
        database.close()


def test_enter_import_and_see_both_in_the_ledger(app_factory, page, tmp_path: Path) -> None:
    prepare(tmp_path)
    app = app_factory(worker=True)
    page.goto(app.url)
    page.get_by_role("textbox", name="用户名").fill("editor")
    page.get_by_role("textbox", name="密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.get_by_text("退出登录").wait_for()
    wait_idle(page)
    page.get_by_test_id("stSidebar").get_by_role("combobox", name="年度").click()
    page.get_by_role("option", name="2020年").click()
    wait_idle(page)

    nav = page.get_by_test_id("stSidebarNav")
    nav.get_by_text("录入").click()
    page.get_by_role("heading", name="录入 · 燕山乡 · 2020年").wait_for()
    page.get_by_role("combobox", name="记录类型").click()
    page.keyboard.type("赶场日")
    page.keyboard.press("Enter")
    wait_idle(page)
    page.get_by_role("textbox", name="标题（必填）").fill("浏览器录入的宣传 <b>&")
    start = page.get_by_test_id("stDateInput").first.locator("input")
    start.fill("2020-12-20")
    start.press("Enter")
    page.get_by_role("spinbutton", name="解答法律咨询（人次）").fill("10")
    page.get_by_role("spinbutton", name="发放宣传资料（份）").fill("-100")
    page.get_by_role("button", name="保存").click()
    page.get_by_text("“发放宣传资料”不能为负数。").wait_for()
    assert page.get_by_role("textbox", name="标题（必填）").input_value() == "浏览器录入的宣传 <b>&"
    page.get_by_role("spinbutton", name="发放宣传资料（份）").fill("100")
    page.get_by_role("button", name="保存").click()
    page.get_by_text("已保存：燕山乡 · 赶场日集中宣传 · “浏览器录入的宣传 <b>&” · 2020年12月20日").wait_for()
    wait_idle(page)
    # ready for the next one; `expect` retries, as the browser may apply the emptied value a moment later
    from playwright.sync_api import expect  # playwright is imported only where the browser tests run

    expect(page.get_by_role("textbox", name="标题（必填）")).to_have_value("")
    screenshot(page, "entry-saved")

    nav.get_by_text("导入导出").click()
    page.get_by_role("heading", name="导入导出 · 燕山乡 · 2020年").wait_for()
    csv = tmp_path / "赶场.csv"
    csv.write_bytes(
        "记录类型,单位,标题,开始日期,结束日期,地点,情况说明,发放宣传资料（份）,解答法律咨询（人次）\r\n"
        "赶场日集中宣传,示例二村,从GBK文件导入的宣传,2020/11/5,,村委会,,200,30\r\n".encode("gbk")
    )
    page.locator("input[type=file]").set_input_files(str(csv))
    page.get_by_text("赶场.csv：共1行记录，全部可以导入。").wait_for()
    wait_idle(page)
    screenshot(page, "import-preview")
    page.get_by_role("button", name="导入", exact=False).last.click()
    page.get_by_text("已从“赶场.csv”导入1条记录。").wait_for()

    nav.get_by_text("台账").click()
    page.get_by_role("heading", name="台账 · 燕山乡 · 2020年").wait_for()
    page.get_by_role("combobox", name="记录类型").click()
    page.keyboard.type("赶场日")  # 55 types: the list shows the first ones, typing narrows it
    page.get_by_role("option", name="赶场日集中宣传").click()
    page.keyboard.press("Escape")
    page.get_by_text("共 5 条记录").wait_for()
    wait_idle(page)
    page.wait_for_timeout(1000)  # the grid paints after the element appears
    listed = grid(page, 0)
    titles = [row[listed[0].index("标题")] for row in listed[1:]]
    assert "浏览器录入的宣传 <b>&" in titles and "从GBK文件导入的宣传" in titles
    assert grid(page, 1)[1:] == [
        ["解答法律咨询（人次）", str(218 + 10 + 30)],
        ["发放宣传资料（份）", str(2536 + 100 + 200)],
        ["悬挂横幅（幅）", "25"],
    ]
    screenshot(page, "ledger-after-entry-and-import")

    # open the typed record from the list (its row is the last one), correct it and add a photo
    table = page.get_by_test_id("stDataFrame").first.bounding_box()
    page.mouse.click(table["x"] + 18, table["y"] + 35 * 5 + 17)  # the selection box of the fifth row
    page.get_by_role("heading", name="赶场日集中宣传 · 浏览器录入的宣传 <b>&").wait_for()
    wait_idle(page)
    assert "/record?id=" in page.url
    page.get_by_role("tab", name="修改或删除").click()
    page.get_by_role("spinbutton", name="悬挂横幅（幅）").fill("4")
    page.get_by_role("button", name="保存修改").click()
    page.get_by_text("已保存：燕山乡 · 赶场日集中宣传").wait_for()
    wait_idle(page)
    page.get_by_role("tab", name="佐证材料").click()
    photo = tmp_path / "现场照片.jpg"
    photo.write_bytes(files.image("JPEG", (1200, 900), "seagreen"))
    page.locator("input[type=file]").set_input_files(str(photo))
    page.get_by_role("button", name="上传所选文件", exact=False).click()
    page.get_by_text("已添加1个文件。").wait_for()
    wait_idle(page)
    page.get_by_role("tab", name="佐证材料").click()
    thumbnail = page.get_by_role("img", name="现场照片.jpg")  # from the route that checks the login
    thumbnail.wait_for()
    page.wait_for_function("(img) => img.complete && img.naturalWidth > 0", arg=thumbnail.element_handle())
    screenshot(page, "record-with-photo")
    page.get_by_role("tab", name="修改记录").click()
    page.wait_for_timeout(1000)
    history = grid(page, 1)
    assert [row[history[0].index("操作")] for row in history[1:]] == ["新增", "修改"]
    assert history[2][history[0].index("改动")] == "悬挂横幅（幅）：（空） → 4"

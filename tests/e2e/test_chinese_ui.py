"""The English scan (issue 14 §2): every page, as each role, with the common popovers open, in Chromium with
an English browser; any Latin word a person can see or a screen reader can say fails, outside a short
allow-list (file formats, units, commands and addresses, the accounts' login names)."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from fazhi.navigation import pages_for
from fazhi.ui.chinese import ATTRIBUTES
from tests.conftest import PASSWORD
from tests.e2e.conftest import RunningApp, screenshot, start_app, wait_idle
from tests.e2e.test_accounts import choose, cli

pytestmark = pytest.mark.browser

ACCOUNTS = {  # login name: (unit, role, name)
    "xiang_admin": ("燕山乡", "管理员", "张三"),
    "xiang_editor": ("燕山乡", "录入员", "李四"),
    "xiang_viewer": ("燕山乡", "查看者", "王五"),
    "qu_admin": ("万州区", "管理员", "赵六"),
}
ROLE = {"管理员": "admin", "录入员": "editor", "查看者": "viewer"}
# file formats and units named in Chinese sentences, the accounts' own login names (data, not interface)
ALLOWED = {
    "word",
    "excel",
    "pdf",
    "csv",
    "xlsx",
    "xls",
    "docx",
    "doc",
    "zip",
    "mb",
    "jpg",
    "png",
    "gif",
    "webp",
}
ALLOWED |= {"kb", "libreoffice", "esc", "gb", "sha"} | set(ACCOUNTS)
# browsers and systems by their product names (用户管理's 当前登录 says 'Edge · Windows'), as Word and Excel
ALLOWED |= {"chrome", "edge", "firefox", "safari", "windows", "linux", "macos", "android", "iphone"}
WORD = re.compile(r"[A-Za-z][A-Za-z_]+")
URL = re.compile(r"(https?://|www\.)\S+")
FILE_NAME = re.compile(r"[\w.-]+\.(zip|xlsx|docx|csv|pdf|duckdb)\b")  # backup and template files: data

# Every text node and every labelling attribute on the page; <code> (commands) and icon ligatures
# (Material Symbols names, aria-hidden and translate=no: drawn as a picture, never read out) left out.
COLLECT = """
(attributes) => {
  const found = [];
  const skip = (element) => element.closest('script,style,noscript,code,pre,[translate="no"][aria-hidden="true"]');
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (node.parentElement && !skip(node.parentElement) && /[A-Za-z]/.test(node.nodeValue))
      found.push(['text', node.nodeValue.trim()]);
  }
  for (const element of document.querySelectorAll('*')) {
    if (skip(element)) continue;
    for (const name of attributes) {
      const value = element.getAttribute(name);
      if (value && /[A-Za-z]/.test(value)) found.push([name, value]);
    }
  }
  found.push(['document.title', document.title]);
  return found;
}
"""


def english(page) -> list[str]:
    """Each piece of text or attribute on the page holding a Latin word outside ALLOWED."""
    bad = []
    for where, value in page.evaluate(COLLECT, list(ATTRIBUTES)):
        words = [w for w in WORD.findall(FILE_NAME.sub("", URL.sub("", value))) if w.lower() not in ALLOWED]
        if words:
            bad.append(f"{where}: {value[:160]!r} ({', '.join(words)})")
    return sorted(set(bad))


def assert_chinese(page, where: str) -> None:
    bad = english(page)
    if bad:
        screenshot(page, f"english-{where}")
    assert not bad, f"{where}: English on screen:\n" + "\n".join(bad)


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningApp]:
    tmp_path = tmp_path_factory.mktemp("chinese")
    db_path = tmp_path / "e2e.duckdb"
    cli(db_path, "demo")
    for username, (unit, role, name) in ACCOUNTS.items():
        cli(db_path, "user", "add", username, "--unit", unit, "--role", role, "--display-name", name,
            password=PASSWORD)  # fmt: skip
    running = start_app(tmp_path)
    yield running
    running.process.terminate()
    try:
        running.process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        running.process.kill()


@pytest.fixture
def english_page(browser) -> Iterator[object]:
    """A page in a browser whose language is English, as on a PC set up in English."""
    context = browser.new_context(viewport={"width": 1400, "height": 900}, locale="en-US")
    context.set_default_timeout(30_000)
    page = context.new_page()
    yield page
    context.close()


def log_in(page, url: str, username: str) -> None:
    page.goto(url)
    page.get_by_role("textbox", name="用户名").wait_for()
    wait_idle(page)
    assert_chinese(page, "login")
    page.get_by_role("textbox", name="用户名").fill(username)
    page.get_by_role("textbox", name="密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.get_by_test_id("stSidebarNav").wait_for()
    wait_idle(page)


def open_popovers(page, where: str) -> None:
    """Open the date picker, a select with no match, the grid's toolbar menus and a column menu; scan each."""
    main = page.get_by_test_id("stMain")
    dates = main.get_by_test_id("stDateInput").filter(visible=True)
    if dates.count():
        dates.first.locator("button").last.click()
        page.get_by_role("grid").first.wait_for()
        assert_chinese(page, f"{where}-calendar")
        page.keyboard.press("Escape")
    selects = main.get_by_test_id("stSelectbox").filter(visible=True)
    if selects.count():
        selects.first.click()
        page.keyboard.type("qqq")
        page.wait_for_timeout(400)
        assert_chinese(page, f"{where}-select-no-match")
        page.keyboard.press("Escape")
    multi = main.get_by_test_id("stMultiSelect").filter(visible=True)
    if multi.count():
        multi.first.click()
        page.wait_for_timeout(400)
        assert_chinese(page, f"{where}-multiselect")
        page.keyboard.press("Escape")
    grids = main.get_by_test_id("stDataFrame").filter(visible=True)
    if grids.count():
        grid = grids.first
        grid.scroll_into_view_if_needed()
        grid.hover()
        toolbar = main.get_by_test_id("stElementToolbar").first
        toolbar.get_by_role("button", name="显示/隐藏列").click()
        page.get_by_text("全选").wait_for()
        assert_chinese(page, f"{where}-grid-columns")
        page.keyboard.press("Escape")
        grid.hover()
        toolbar.get_by_role("button", name="搜索").click()
        page.keyboard.type("qqq")
        page.wait_for_timeout(400)
        assert_chinese(page, f"{where}-grid-search")
        page.keyboard.press("Escape")


@pytest.mark.parametrize("username", list(ACCOUNTS))
def test_every_page_is_chinese_for_every_role(app: RunningApp, english_page, username: str) -> None:
    page = english_page
    log_in(page, app.url, username)
    choose(page, "year_picker", "2020年")
    role = ROLE[ACCOUNTS[username][1]]
    level = "county" if ACCOUNTS[username][0].endswith("区") else "township"
    for spec in pages_for(role, level):
        if not spec.visible:
            continue
        page.get_by_test_id("stSidebarNav").get_by_text(spec.title, exact=True).click()
        page.wait_for_function(
            "path => location.pathname.endsWith('/' + path) || (path === 'home' && location.pathname === '/')",
            arg=spec.url_path,
        )
        wait_idle(page)
        page.wait_for_timeout(500)
        assert_chinese(page, f"{username}-{spec.url_path}")
        if spec.url_path in {"ledger", "audit", "transfer", "users", "entry"}:
            open_popovers(page, f"{username}-{spec.url_path}")
    screenshot(page, f"chinese-{username}-last-page")


def test_uploader_and_grid_menu_in_chinese(app: RunningApp, english_page, tmp_path: Path) -> None:
    page = english_page
    log_in(page, app.url, "xiang_admin")
    page.get_by_test_id("stSidebarNav").get_by_text("导入导出", exact=True).click()
    wait_idle(page)
    uploader = page.get_by_test_id("stFileUploader").first
    assert "每个文件不超过 10 MB" in uploader.inner_text()
    assert uploader.get_by_role("button", name="选择文件", exact=True).count() == 1
    # a file over the limit is stopped in the browser, before it is sent, with a Chinese message
    big = tmp_path / "太大的台账.csv"
    big.write_bytes(b"a" * (11 * 1024 * 1024))
    uploader.locator("input[type=file]").set_input_files(str(big))
    page.get_by_text("文件超过了上传大小上限（10 MB）").wait_for()
    assert_chinese(page, "uploader-too-large")
    screenshot(page, "uploader-too-large")

    choose(page, "year_picker", "2020年")
    page.get_by_test_id("stSidebarNav").get_by_text("台账", exact=True).click()
    wait_idle(page)
    grid = page.get_by_test_id("stMain").get_by_test_id("stDataFrame").first
    grid.hover()
    box = grid.bounding_box()
    # the 编号 column: its menu dots at the right end of the header cell (hover first, as a person does)
    for x in range(int(box["x"]) + 75, int(box["x"]) + 40, -4):
        page.mouse.move(x, box["y"] + 17)
        page.wait_for_timeout(150)
        page.mouse.click(x, box["y"] + 17)
        if page.get_by_text("升序排列").count():
            break
    page.get_by_text("升序排列").wait_for()
    page.get_by_text("统计").hover()
    page.wait_for_timeout(500)
    assert_chinese(page, "grid-column-menu")
    screenshot(page, "grid-column-menu")


def test_a_lost_connection_is_told_in_chinese(browser, tmp_path: Path) -> None:
    running = start_app(tmp_path, [["demo"]])
    context = browser.new_context(viewport={"width": 1400, "height": 900}, locale="en-US")
    page = context.new_page()
    try:
        page.goto(running.url)
        page.get_by_role("textbox", name="用户名").wait_for()
        wait_idle(page)
        running.process.terminate()
        running.process.wait(timeout=10)
        page.get_by_text("连接中断").wait_for(timeout=30_000)
        page.get_by_text("暂时连不上程序").wait_for()
        assert_chinese(page, "connection-lost")
    finally:
        context.close()
        if running.process.poll() is None:
            running.process.kill()

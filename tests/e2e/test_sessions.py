"""In a real browser against `streamlit run server.py`: the login survives F5, a bookmark of record?id=N and a
second tab, each on the page asked for with the sidebar's unit and year; logging out in one tab logs out
the other; evidence downloads need the login; after a server restart the open page comes straight back
(with the cookie) with the Chinese menu, and a 查看者 still cannot reach 录入."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from PIL import Image

from fazhi import attachments, db, sessions
from fazhi.catalog import load_catalog
from fazhi.permissions import system_user
from tests.conftest import PASSWORD
from tests.e2e.conftest import screenshot, wait_idle
from tests.e2e.test_accounts import choose, cli, log_in

pytestmark = pytest.mark.browser

MENU = ["首页", "看板", "台账", "导入导出", "年度报告", "会议模式", "报送审核"]  # a 乡镇 查看者's menu


def prepared(tmp_path: Path) -> tuple[Path, int]:
    """The demo with a 查看者 of 燕山乡 and a photo on a 2020 record of 燕山乡: (database, that record's id)."""
    db_path = tmp_path / "e2e.duckdb"
    cli(db_path, "demo")
    cli(db_path, "user", "add", "lingdao", "--unit", "燕山乡", "--role", "查看者", "--display-name", "张三",
        password=PASSWORD)  # fmt: skip
    with db.connect(db_path) as database:
        record_id = database.one(
            "SELECT min(r.id) FROM records r JOIN units u ON u.id = r.unit_id"
            " WHERE u.name = '燕山乡' AND year(r.start_on) = 2020"
        )[0]
        buffer = io.BytesIO()
        Image.new("RGB", (64, 48), (30, 90, 200)).save(buffer, "PNG")
        attachments.add_files(
            database, system_user(), load_catalog(), record_id, [("现场.png", buffer.getvalue())]
        )
    return db_path, int(record_id)


def menu(page) -> list[str]:
    """The menu's page titles (each link also holds its icon's ligature name, e.g. 'home')."""
    links = page.get_by_test_id("stSidebarNav").locator("a").all_inner_texts()
    return [t.strip().split("\n")[-1] for t in links]


def logged_in_on(page, heading: str) -> None:
    page.get_by_role("heading", name=heading).wait_for()
    page.get_by_role("button", name="退出登录").wait_for()
    wait_idle(page)
    assert "Page not found" not in page.locator("body").inner_text()


def test_f5_a_bookmark_and_a_second_tab_stay_logged_in(app_factory, page, tmp_path: Path) -> None:
    db_path, record_id = prepared(tmp_path)
    app = app_factory()
    # a bookmark of a record, opened before logging in: the login form at that address, then the record
    log_in(page, f"{app.url}/record?id={record_id}", "lingdao")
    page.get_by_role("link", name="返回台账").wait_for()
    logged_in_on(page, re.compile(r"^年度重点事项 · "))
    assert menu(page) == MENU
    cookie = next(c for c in page.context.cookies() if c["name"] == sessions.COOKIE)
    assert (cookie["httpOnly"], cookie["sameSite"], cookie["path"]) == (True, "Strict", "/")

    page.get_by_test_id("stSidebarNav").get_by_text("台账").click()
    logged_in_on(page, re.compile(r"^台账 · 燕山乡 · \d{4}年$"))
    choose(page, "year_picker", "2020年")
    page.get_by_role("heading", name="台账 · 燕山乡 · 2020年").wait_for()
    wait_idle(page)
    assert re.search(r"/ledger\?unit=\d+&year=2020$", page.url), page.url

    page.reload()  # F5
    logged_in_on(page, "台账 · 燕山乡 · 2020年")
    screenshot(page, "sessions-after-f5")

    second = page.context.new_page()  # a new tab with a bookmark of a record
    second.goto(f"{app.url}/record?id={record_id}&year=2020")
    second.get_by_role("link", name="返回台账").wait_for()
    logged_in_on(second, re.compile(r"^年度重点事项 · "))
    second.get_by_role("tab", name="佐证材料").click()
    wait_idle(second)
    thumbnail = second.get_by_role("img", name="现场.png")  # drawn from the checked route, with the cookie
    thumbnail.wait_for()
    second.wait_for_function("(img) => img.complete && img.naturalWidth > 0", arg=thumbnail.element_handle())
    with second.expect_download() as download_info:
        second.get_by_role("link", name="下载").click()
    download = download_info.value
    assert download.suggested_filename == "现场.png"
    assert Path(download.path()).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    third = page.context.new_page()  # a viewer's bookmark of 录入 says no in Chinese
    third.goto(f"{app.url}/entry")
    third.get_by_text("您的账号不能使用“录入”。请从左侧菜单选择您能使用的功能。").wait_for()
    assert menu(third) == MENU
    third.close()

    # logging out in the second tab logs the first out at its next click
    second.get_by_role("button", name="退出登录").click()
    second.get_by_role("heading", name="登录").wait_for()
    wait_idle(second)
    # the login page's script drops the cookie with a fetch of its own, which a loaded machine may still be
    # sending: wait for it (up to 30 s) before asserting
    for _ in range(300):
        if sessions.COOKIE not in [c["name"] for c in page.context.cookies()]:
            break
        second.wait_for_timeout(100)
    assert sessions.COOKIE not in [c["name"] for c in page.context.cookies()]
    page.get_by_test_id("stSidebarNav").get_by_text("首页").click()
    page.get_by_text("您已退出登录（可能是在本浏览器的另一个窗口中），请重新登录。").wait_for()
    page.get_by_role("heading", name="登录").wait_for()
    screenshot(page, "sessions-logged-out-elsewhere")
    page.reload()
    page.get_by_role("heading", name="登录").wait_for()
    wait_idle(page)
    assert page.get_by_role("button", name="退出登录").count() == 0


def test_evidence_downloads_need_the_login(app_factory, browser, tmp_path: Path) -> None:
    db_path, _ = prepared(tmp_path)
    app = app_factory()
    stranger = browser.new_context(locale="zh-CN")
    try:
        answer = stranger.request.get(f"{app.url}/files/attachment/1")
        assert answer.status == 401
        assert "请先登录法治政府建设工作台" in answer.text()
        forged = stranger.request.get(
            f"{app.url}/files/attachment/1", headers={"Cookie": f"{sessions.COOKIE}={'A' * 43}"}
        )
        assert forged.status == 401
        assert stranger.request.get(f"{app.url}/files/evidence?unit=2&year=2020").status == 401
        assert stranger.request.get(f"{app.url}/healthz").json() == {"status": "ok"}
    finally:
        stranger.close()


def test_a_server_restart_brings_the_open_page_back(app_factory, page, tmp_path: Path) -> None:
    prepared(tmp_path)
    app = app_factory()
    log_in(page, f"{app.url}/dashboard", "lingdao")
    logged_in_on(page, re.compile(r"^看板 · 燕山乡"))
    port = int(app.url.rsplit(":", 1)[1])

    app.process.terminate()
    app.process.wait(timeout=20)
    restarted = app_factory(port=port)  # the same address, as systemd restarts it
    assert restarted.url == app.url
    # the open page reconnects by itself; its next run is a fresh session that finds the cookie
    page.get_by_role("button", name="退出登录").wait_for(timeout=60_000)
    page.get_by_test_id("stSidebarNav").get_by_text("台账").click()
    logged_in_on(page, re.compile(r"^台账 · 燕山乡"))
    assert menu(page) == MENU  # never the 18 file names of pages/
    screenshot(page, "sessions-after-restart")
    page.goto(f"{app.url}/entry")
    page.get_by_text("您的账号不能使用“录入”。请从左侧菜单选择您能使用的功能。").wait_for()
    assert page.locator(".st-key-entry_type").count() == 0

    # a browser without the cookie (logged out meanwhile) lands on a clean login after the next restart
    page.get_by_role("button", name="退出登录").click()
    page.get_by_role("heading", name="登录").wait_for()
    restarted.process.terminate()
    restarted.process.wait(timeout=20)
    app_factory(port=port)
    page.goto(f"{app.url}/ledger")
    page.get_by_role("heading", name="登录").wait_for()
    wait_idle(page)
    assert menu(page) == []  # the login page has no menu
    assert "Page not found" not in page.locator("body").inner_text()

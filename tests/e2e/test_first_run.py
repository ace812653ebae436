"""The newcomer's path in a real browser: 初始化 → load the demo → see the navigation and 2020 records."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import screenshot, set_up_administrator, wait_idle

pytestmark = pytest.mark.browser


def test_setup_demo_and_ledger(app_factory, page) -> None:
    app = app_factory()
    set_up_administrator(page, app.url)

    page.get_by_role("button", name="加载示例数据").click()
    page.get_by_text("已加载示例数据：燕山乡 89 条记录。").wait_for()
    page.get_by_role("heading", name="燕山乡 · 2020年法治政府建设").wait_for()
    wait_idle(page)
    page.get_by_test_id("stDataFrame").first.wait_for()
    page.wait_for_timeout(1000)  # the grid paints its canvas after the element appears
    screenshot(page, "home-demo")

    nav = page.get_by_test_id("stSidebarNav")
    assert nav.get_by_text("首页").is_visible()
    nav.get_by_text("台账").click()
    page.get_by_role("heading", name="台账 · 燕山乡 · 2020年").wait_for()
    page.get_by_text("共 55 条记录").wait_for()
    wait_idle(page)
    page.get_by_test_id("stDataFrame").first.wait_for()
    page.wait_for_timeout(1000)
    assert "/ledger" in page.url
    screenshot(page, "ledger-demo")

    page.get_by_role("button", name="退出登录").click()
    page.get_by_role("heading", name="登录").wait_for()

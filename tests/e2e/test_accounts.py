"""In a real browser: a 录入员 of one 村 sees only that village; admin pages are unreachable; a backup
downloads through the real button and passes every restore check."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from fazhi import backup
from fazhi.settings import PROJECT_DIR
from tests.conftest import PASSWORD
from tests.e2e.conftest import screenshot, wait_idle

pytestmark = pytest.mark.browser


def cli(db_path: Path, *args: str, password: str | None = None) -> None:
    """Run `python -m fazhi …` on the database before the app starts (the password arrives on stdin)."""
    subprocess.run(
        [sys.executable, "-m", "fazhi", *args, "--db", str(db_path)],
        input=password + "\n" if password else None,
        text=True,
        check=True,
        cwd=PROJECT_DIR,
        capture_output=True,
        timeout=120,
    )


def log_in(page, url: str, username: str) -> None:
    page.goto(url)
    page.get_by_role("textbox", name="用户名").wait_for()
    wait_idle(page)
    notice = page.get_by_role("dialog")
    if notice.count():  # Streamlit's "Page not found" for a URL this session does not offer
        notice.get_by_role("button").first.click()
        notice.wait_for(state="detached")
    page.get_by_role("textbox", name="用户名").fill(username)
    page.get_by_role("textbox", name="密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    wait_idle(page)


def choose(page, key: str, option: str) -> None:
    """Pick an option of the selectbox with this key (its list opens on a click, once the page has settled)."""
    for _ in range(3):
        page.locator(f".st-key-{key}").click()
        try:
            page.get_by_role("option", name=option).click(timeout=5_000)
            break
        except Exception:  # noqa: BLE001 - the list closed again while the page re-rendered: retry
            page.keyboard.press("Escape")
    else:
        raise AssertionError(f"{key}: could not choose {option}")
    wait_idle(page)


def test_a_village_editor_sees_only_the_village(app_factory, page, tmp_path: Path) -> None:
    db_path = tmp_path / "e2e.duckdb"
    cli(db_path, "demo")
    cli(db_path, "user", "add", "cunyuan", "--unit", "示例一村", "--role", "录入员", "--display-name", "李四",
        password=PASSWORD)  # fmt: skip
    app = app_factory()
    log_in(page, app.url, "cunyuan")
    page.get_by_text("李四（录入员） · 示例一村").wait_for()
    page.get_by_role("heading", name=re.compile(r"^示例一村 · \d{4}年法治政府建设$")).wait_for()
    wait_idle(page)

    nav = page.get_by_test_id("stSidebarNav")
    assert nav.get_by_text("首页").is_visible() and nav.get_by_text("台账").is_visible()
    for hidden in ("用户管理", "单位管理", "封账", "审计日志", "备份与恢复"):
        assert nav.get_by_text(hidden, exact=True).count() == 0

    choose(page, "year_picker", "2020年")
    nav.get_by_text("台账").click()
    page.get_by_role("heading", name="台账 · 示例一村 · 2020年").wait_for()
    page.get_by_text("共 2 条记录").wait_for()
    wait_idle(page)
    page.wait_for_timeout(1000)  # the grid paints its canvas after the element appears
    screenshot(page, "village-editor-ledger")
    body = page.locator("body").inner_text()
    for other in ("示例二村", "示例三村", "示例社区"):
        assert other not in body

    # the unit picker offers the village only
    page.locator(".st-key-unit_picker").click()
    page.get_by_role("option").first.wait_for()
    options = page.get_by_role("option").all_inner_texts()
    assert [o.strip() for o in options] == ["示例一村"]
    page.keyboard.press("Escape")

    # an administrator's page typed into the address bar (or bookmarked): still logged in (the cookie), and
    # the page says in Chinese that this role cannot use it; it never runs
    page.goto(f"{app.url}/users")
    page.get_by_text("您的账号不能使用“用户管理”。请从左侧菜单选择您能使用的功能。").wait_for()
    wait_idle(page)
    text = page.locator("body").inner_text()
    assert "此页面只有管理员可以使用" not in text  # not even the page's own refusal: it never runs
    assert "添加用户" not in text and "示例二村" not in text and "Page not found" not in text
    assert page.locator(".st-key-new_username").count() == 0
    screenshot(page, "village-editor-admin-url")

    page.get_by_role("button", name="退出登录").click()
    page.get_by_role("heading", name="登录").wait_for()
    page.goto(f"{app.url}/ledger")
    wait_idle(page)
    page.get_by_role("heading", name="登录").wait_for()
    assert "示例一村" not in page.locator("body").inner_text()


def test_an_administrator_downloads_a_backup_that_checks_out(app_factory, page, tmp_path: Path) -> None:
    db_path = tmp_path / "e2e.duckdb"
    cli(db_path, "demo")
    cli(db_path, "user", "add", "top", "--unit", "万州区", "--role", "管理员", password=PASSWORD)
    app = app_factory()
    log_in(page, app.url, "top")
    page.get_by_test_id("stSidebarNav").get_by_text("备份与恢复").click()
    page.get_by_role("button", name="生成备份").click()
    page.get_by_text("已备份：89 条记录，0 个佐证材料文件。").wait_for()
    wait_idle(page)
    screenshot(page, "backup-page")
    with page.expect_download() as download_info:
        # served by fazhi/web.py after checking the login
        page.get_by_role("link", name="下载", exact=True).click()
    download = download_info.value
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    assert saved.name.startswith("fazhi-backup-") and saved.suffix == ".zip"
    manifest = backup.verify(saved)
    assert manifest.records == 89 and manifest.created_by == "top"

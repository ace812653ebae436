"""Browser tests: the real app under `streamlit run` on a free loopback port, driven by Playwright in
Debian's Chromium (never a downloaded browser). Skipped without Chromium, except in CI where that fails.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from fazhi.settings import PROJECT_DIR
from tests.artifacts import SCREENSHOTS

CHROMIUM = os.environ.get("FAZHI_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class RunningApp:
    url: str
    db_path: Path
    process: subprocess.Popen


def _wait_until_up(url: str, process: subprocess.Popen, log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"streamlit exited early:\n{log.read_text(errors='replace')}")
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"streamlit did not answer within {timeout} s:\n{log.read_text(errors='replace')}")


def start_app(
    tmp_path: Path, prepare: list[list[str]] | None = None, port: int | None = None, *, worker: bool = False
) -> RunningApp:
    """`streamlit run server.py` on a free port with a temporary database, after running CLI `prepare` steps.

    The worker process (fazhi/worker.py, and its chart browser) starts only with `worker`: the tests that
    make reports or import a file ask for it; the others would start a Python process and a Chromium each
    for nothing."""
    db_path = tmp_path / "e2e.duckdb"
    env = {**os.environ, "FAZHI_DB": str(db_path), "FAZHI_WORKER": "1" if worker else "0"}
    for step in prepare or []:
        subprocess.run(
            [sys.executable, "-m", "fazhi", *step, "--db", str(db_path)], check=True, env=env, cwd=PROJECT_DIR
        )
    port = port or _free_port()
    log = tmp_path / f"streamlit-{port}-{time.monotonic_ns()}.log"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            "server.py",
            "--server.port",
            str(port),
            "--server.address",
            "127.0.0.1",
            "--server.headless",
            "true",
            "--browser.gatherUsageStats",
            "false",
        ],
        cwd=PROJECT_DIR,
        env=env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(url, process, log)
    except Exception:
        process.kill()
        raise
    return RunningApp(url, db_path, process)


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI needs Chromium at {CHROMIUM} for the browser tests (apt-get install chromium).")
        pytest.skip(f"没有找到 Chromium（{CHROMIUM}），跳过浏览器测试；安装：apt-get install chromium")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        if os.environ.get("CI") == "true":
            raise
        pytest.skip("没有安装 playwright（pip install -r requirements-dev.txt）")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def app_factory(tmp_path: Path) -> Iterator:
    started: list[RunningApp] = []

    def factory(
        prepare: list[list[str]] | None = None, port: int | None = None, *, worker: bool = False
    ) -> RunningApp:
        app = start_app(tmp_path, prepare, port, worker=worker)
        started.append(app)
        return app

    yield factory
    for app in started:
        app.process.terminate()
        try:
            app.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            app.process.kill()


@pytest.fixture
def page(browser) -> Iterator[object]:
    context = browser.new_context(viewport={"width": 1400, "height": 900}, locale="zh-CN")
    context.set_default_timeout(30_000)
    page = context.new_page()
    yield page
    context.close()


def screenshot(page, name: str) -> Path:
    """Save a full-page screenshot under SCREENSHOTS ($FAZHI_SCREENSHOTS or the temp folder) and return its path."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def wait_idle(page) -> None:
    """Wait until Streamlit has finished running the script (no 'Running…' status)."""
    page.wait_for_load_state("networkidle")
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=30_000
    )


def set_up_administrator(page, url: str) -> None:
    """Walk the 初始化 page as a newcomer: 万州区 as a 区县, administrator admin (王五)."""
    from tests.conftest import PASSWORD

    page.goto(url)
    page.get_by_text("初始化法治政府建设工作台").wait_for()
    page.get_by_role("textbox", name="单位名称").fill("万州区")
    page.get_by_text("区县（其下可设乡镇/街道）").click()
    page.get_by_role("textbox", name="用户名").fill("admin")
    page.get_by_role("textbox", name="姓名").fill("王五")
    page.get_by_role("textbox", name="密码", exact=True).fill(PASSWORD)
    page.get_by_role("textbox", name="再次输入密码").fill(PASSWORD)
    page.get_by_role("button", name="建立单位和管理员").click()
    page.get_by_text("初始化完成，欢迎您，王五。").wait_for()


__all__ = ["RunningApp", "screenshot", "set_up_administrator", "start_app", "wait_idle"]

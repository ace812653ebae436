"""Plotly figures to PNG with kaleido 1.x and a Chromium already on the machine (never downloaded).

One kaleido server (a headless Chromium) is started on first use and kept for the process, so the
first chart costs a browser start (≈2.5 s) and later ones ≈0.2 s each. Every failure — no browser,
a kaleido error, a timeout — becomes ChartsUnavailable with a Chinese reason; the report then goes
without charts. After a failure the backend is not tried again for a few minutes.
"""

from __future__ import annotations

import os
import shutil
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from pathlib import Path
from typing import Any

from fazhi.errors import ChartsUnavailable

TIMEOUT_S = 45.0  # per call, including the browser start on first use
RETRY_AFTER_S = 300.0
SCALE = 2  # 900 × 420 px at scale 2 prints sharply at 150 mm
_CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "chrome", "msedge")
_WINDOWS = (
    r"C:\Program Files\Google\Chrome\Application\chrome.exe",
    r"C:\Program Files (x86)\Google\Chrome\Application\chrome.exe",
    r"C:\Program Files (x86)\Microsoft\Edge\Application\msedge.exe",
    r"C:\Program Files\Microsoft\Edge\Application\msedge.exe",
)
_lock = threading.Lock()
_state: dict[str, Any] = {"started": False, "problem": "", "failed_at": 0.0}
_pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="fazhi-kaleido")


def browser_path() -> str | None:
    """The browser kaleido will use: $BROWSER_PATH, $FAZHI_CHROMIUM, /usr/bin/chromium, one on PATH, or
    Chrome/Edge in their usual Windows folders."""
    for name in ("BROWSER_PATH", "FAZHI_CHROMIUM"):
        value = os.environ.get(name, "").strip()
        if value and Path(value).exists():
            return value
    if Path("/usr/bin/chromium").exists():
        return "/usr/bin/chromium"
    for candidate in _CANDIDATES:
        found = shutil.which(candidate)
        if found:
            return found
    return next((path for path in _WINDOWS if Path(path).exists()), None)


def problem() -> str:
    """Why charts cannot be made right now ('' when they should work): no browser, no kaleido, a recent failure."""
    try:
        import kaleido  # noqa: F401  # optional at run time: a missing package is a reason, not a crash
    except ImportError:
        return "图表组件 kaleido 没有安装（pip install -r requirements.txt），报告将不含图表。"
    if browser_path() is None:
        return "本机没有找到 Chrome、Edge 或 Chromium 浏览器，无法生成图表图片，报告将不含图表。"
    if _state["problem"] and time.monotonic() - _state["failed_at"] < RETRY_AFTER_S:
        return _state["problem"]
    return ""


def _fail(message: str) -> ChartsUnavailable:
    _state.update(problem=message, failed_at=time.monotonic())
    return ChartsUnavailable(message)


def _start() -> None:
    import kaleido  # heavy (starts a browser bridge): loaded on the first chart, not at app start

    os.environ["BROWSER_PATH"] = browser_path() or ""
    kaleido.start_sync_server(mathjax=False, timeout=TIMEOUT_S, silence_warnings=True)
    _state["started"] = True


def _render(figures: list[Any], width: int | None, height: int | None) -> list[bytes]:
    import kaleido  # see _start

    if not _state["started"]:
        _start()
    out = []
    for figure in figures:
        opts = {
            "format": "png",
            "width": width or figure.layout.width or 900,
            "height": height or figure.layout.height or 420,
            "scale": SCALE,
        }
        out.append(kaleido.calc_fig_sync(figure, opts=opts))
    return out


def to_png(figures: list[Any], *, width: int | None = None, height: int | None = None) -> list[bytes]:
    """PNG bytes of each figure, in order; ChartsUnavailable (with the reason) when they cannot be made."""
    if not figures:
        return []
    reason = problem()
    if reason:
        raise ChartsUnavailable(reason)
    with _lock:  # the kaleido server answers one caller at a time
        future = _pool.submit(_render, figures, width, height)
        try:
            images = future.result(timeout=TIMEOUT_S * max(1, len(figures)))
        except FutureTimeout:
            raise _fail("生成图表超时（浏览器没有响应），报告将不含图表；几分钟后会自动重试。") from None
        except Exception as error:  # kaleido and choreographer raise many kinds
            raise _fail(f"生成图表时出错（{type(error).__name__}：{error}），报告将不含图表。") from error
    _state["problem"] = ""
    return images

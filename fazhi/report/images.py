"""Plotly figures to PNG with kaleido 1.x and a Chromium already on the machine (never downloaded).

One kaleido server (a headless Chromium) is started on first use and kept for the process, so the
first chart costs a browser start (≈2.5 s) and later ones ≈0.2 s each. Images are kept by the content of
their figure (a figure is built from the data, so while the data is unchanged the same chart is never
drawn twice). Every failure — no browser,
a kaleido error, a timeout — becomes ChartsUnavailable with a Chinese reason; the report then goes
without charts. After a failure the backend is not tried again for a few minutes.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import threading
import time
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from pathlib import Path
from typing import Any

from fazhi.errors import ChartsUnavailable
from fazhi.report import texts

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
CACHE_SIZE = 64  # images (≈100 KB each) kept by the content of their figure
_cache: OrderedDict[str, bytes] = OrderedDict()


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
        return texts.text("messages.charts_no_kaleido")
    if browser_path() is None:
        return texts.text("messages.charts_no_browser")
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


def _key(figure: Any, width: int | None, height: int | None) -> str:
    spec = figure.to_plotly_json() if hasattr(figure, "to_plotly_json") else figure
    text = json.dumps([spec, width, height, SCALE], sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def to_png(
    figures: list[Any], *, width: int | None = None, height: int | None = None, cached: bool = True
) -> list[bytes]:
    """PNG bytes of each figure, in order; ChartsUnavailable (with the reason) when they cannot be made.
    A figure drawn before (same content, same size) comes from the cache without asking the browser
    (`cached=False` draws anew, as the benchmark times it)."""
    if not figures:
        return []
    keys = [_key(figure, width, height) for figure in figures]
    missing = [
        (key, figure) for key, figure in zip(keys, figures, strict=True) if not cached or key not in _cache
    ]
    if missing:
        reason = problem()
        if reason:
            raise ChartsUnavailable(reason)
        with _lock:  # the kaleido server answers one caller at a time
            future = _pool.submit(_render, [figure for _, figure in missing], width, height)
            try:
                images = future.result(timeout=TIMEOUT_S * max(1, len(missing)))
            except FutureTimeout:
                raise _fail(texts.text("messages.charts_timeout")) from None
            except Exception as error:  # kaleido and choreographer raise many kinds
                raise _fail(
                    texts.text("messages.charts_error", kind=type(error).__name__, error=error)
                ) from error
            for (key, _), image in zip(missing, images, strict=True):
                _cache[key] = image
                while len(_cache) > CACHE_SIZE:
                    _cache.popitem(last=False)
        _state["problem"] = ""
    found = []
    for key in keys:
        _cache.move_to_end(key)
        found.append(_cache[key])
    return found


def warm_up() -> bool:
    """Start the chart browser now (in the worker process at server start), so the first report does not
    wait for it; False when charts are not available here. Starting kaleido's server alone leaves Chromium
    to the first image (7 s on a busy 2-core machine), so one tiny image is drawn."""
    if problem():
        return False
    with _lock:
        try:
            _pool.submit(_render, [{"data": [], "layout": {}}], 50, 50).result(timeout=TIMEOUT_S)
        except Exception:  # reported on first real use, with its reason
            return False
    return True

"""The app's CPU-heavy steps in a process of their own, so one user's work does not hold the app's
interpreter while colleagues click (Python runs one thread at a time: a report cost others' page runs
seconds, reading a 10,000-row workbook about five): the report's chart images (plotly, kaleido) and
template filling (docxtpl), reading and checking an imported spreadsheet, and writing an evidence zip.

The worker gets data (the dashboard's frames, the report context, a file's bytes and the catalog), never the
database: every query stays in the app process. The web server starts it (server.py), which also starts the
chart browser in it at once, so the first report does not wait for Chromium; without a started worker (the
command line, tests, `streamlit run app.py`) `call` runs the step here, as before. One process, reused, its
steps one after another; if it dies, the next call starts another.
"""

from __future__ import annotations

import multiprocessing
import sys
import threading
import types
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

from fazhi.errors import FazhiError
from fazhi.report import images

T = TypeVar("T")
TIMEOUT_S = 180.0  # a whole step: the chart browser's start, the images, a long report, a large file

_lock = threading.Lock()
_state: dict[str, Any] = {"pool": None}


def start(warm: bool = True) -> Future[Any] | None:
    """Start the worker process (and, with `warm`, its chart browser) without waiting; None when running."""
    with _lock:
        if _state["pool"] is not None:
            return None
        pool = _new_pool()
        _state["pool"] = pool
    return pool.submit(_warm_up) if warm else None


def started() -> bool:
    """True once `start` made the worker (the steps then run there)."""
    return _state["pool"] is not None


def stop() -> None:
    """End the worker (at server shutdown); later calls run in this process."""
    with _lock:
        pool, _state["pool"] = _state["pool"], None
    if pool is not None:
        pool.shutdown(wait=False, cancel_futures=True)


class WorkerFailed(FazhiError):
    """The worker died (killed, out of memory) or did not finish in time; nothing it was doing was kept."""


def call(function: Callable[..., T], *args: Any, task: str) -> T:
    """`function(*args)` in the worker when it runs, else here; the worker's FazhiError comes back as it is.

    `function` must be a module-level function and its arguments plain data (they are pickled); `task`
    names the work for the message when the worker fails ("生成报告", "读取导入的文件")."""
    pool = _state["pool"]
    if pool is None:
        return function(*args)
    try:
        return pool.submit(function, *args).result(timeout=TIMEOUT_S)
    except BrokenProcessPool:  # the worker died (killed, out of memory): a new one for the next report
        with _lock:
            if _state["pool"] is pool:
                _state["pool"] = _new_pool()
        raise WorkerFailed(
            f"{task}的后台进程意外退出（可能是内存不足），这一次没有完成，请再试一次。"
        ) from None
    except TimeoutError:
        raise WorkerFailed(f"{task}超过{int(TIMEOUT_S)}秒仍未完成，已停止，请稍后再试。") from None


def _new_pool() -> ProcessPoolExecutor:
    """A pool whose one process is started now, with no main module to re-run.

    Spawn, never fork: the app process holds DuckDB's threads and the server's event loop. A spawned child
    first re-imports the parent's `__main__` from its file, and while a page runs Streamlit makes the page
    script (app.py) `__main__`: a worker started then (the one replacing a dead worker, at a download click)
    ran app.py, which opens the database the app holds, and died at once. So the process is started here,
    by a first no-op task, with a bare `__main__` in place (the pool's processes all start at its first
    task)."""
    pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"))
    main = sys.modules.get("__main__")
    sys.modules["__main__"] = types.ModuleType("__main__")
    try:
        pool.submit(_ready)
    finally:
        if main is not None:
            sys.modules["__main__"] = main
    return pool


def _ready() -> bool:
    """In the worker: nothing (the task that starts the process)."""
    return True


def _warm_up() -> bool:
    """In the worker: start the chart browser (one tiny image)."""
    return images.warm_up()

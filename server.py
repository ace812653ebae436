"""The web server: Streamlit serving app.py, with the app's own routes beside it (fazhi/web.py).

`streamlit run server.py` (what run.py, start.bat and the systemd unit start) finds `app` below and serves it
with uvicorn; `streamlit run app.py` still works but has no login cookie, downloads or /healthz.
"""

from __future__ import annotations

import signal
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import streamlit as st
from starlette.middleware import Middleware
from streamlit.runtime.pages_manager import PagesManager

from fazhi import db, settings, web, worker
from fazhi.ui import chinese


@asynccontextmanager
async def lifespan(_app: st.App) -> AsyncIterator[None]:
    """Before the first page runs: app.py routes every page through st.navigation.

    A fresh Streamlit process treats a project with a pages/ folder as an old-style multipage app until
    some run of app.py calls st.navigation; after a restart the first page to reconnect (say /entry) would
    run pages/entry.py alone, with the 18 file names as the menu and no login or role check in app.py.
    """
    PagesManager.uses_pages_directory = False
    # uvicorn catches Ctrl+C and systemctl stop, shuts down cleanly, then raises the signal again, so the
    # process would end by SIGTERM or with KeyboardInterrupt's status 1; the handler it installed belongs to
    # its Server, whose record of the signal is cleared below, so a clean stop exits 0 as before.
    handler = signal.getsignal(signal.SIGTERM)
    server = getattr(handler, "__self__", None)
    # The heavy steps (report charts and templates, imported files, evidence zips) run in a worker process,
    # its chart browser started now (in the background) so the first report does not wait (fazhi/worker.py).
    if settings.worker_enabled():
        worker.start()
    try:
        yield
    finally:
        worker.stop()
        db.close_shared()  # checkpoint: the file is whole for the command-line tools at once
        captured = getattr(server, "_captured_signals", None)
        if isinstance(captured, list):
            captured.clear()


app = st.App("app.py", routes=web.routes(), lifespan=lifespan, middleware=[Middleware(chinese.IndexScript)])

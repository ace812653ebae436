"""The process's shared resources: the database connection cached by path, the catalog, the daily backup."""

from __future__ import annotations

import threading
from datetime import date

import streamlit as st

from fazhi import backup
from fazhi.catalog import Catalog, load_catalog
from fazhi.db import Database, shared
from fazhi.errors import FazhiError
from fazhi.settings import auto_backup_enabled, database_url


@st.cache_resource(show_spinner=False)
def connection(path: str) -> Database:
    """The one connection of this process to the database file at `path` (opened on first use)."""
    return shared(path)  # the same object the web routes use (fazhi/web.py)


def database() -> Database:
    """The process's connection to the database at $FAZHI_DATABASE_URL or $FAZHI_DB (read now, so each has
    its own)."""
    try:
        return connection(database_url())
    except FazhiError as error:
        st.error(error.message, icon=":material/database:")
        st.stop()
        raise  # unreachable: st.stop() raises


@st.cache_resource(show_spinner=False)
def _daily_backup(path: str, day: str) -> threading.Thread:
    """Start the day's automatic backup of this database once per process and day (in the background)."""
    thread = threading.Thread(
        target=backup.daily_backup_quietly, args=(connection(path),), name=f"fazhi-backup-{day}", daemon=True
    )
    thread.start()
    return thread


def daily_backup(db: Database) -> threading.Thread | None:
    """Make today's automatic backup on the first run of the day, without holding up the page; None when off
    or while the database is still empty (a new installation: the first run after 初始化 makes it)."""
    if not auto_backup_enabled() or not backup.has_data(db):
        return None
    return _daily_backup(db.target, date.today().isoformat())


def catalog() -> Catalog:
    """The catalog, or a stop with the file and key that are wrong."""
    try:
        return load_catalog()
    except FazhiError as error:
        st.error(f"目录文件有误，程序无法启动：{error.message}", icon=":material/error:")
        st.stop()
        raise

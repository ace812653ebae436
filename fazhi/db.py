"""The one owner of the DuckDB file: connect, migrate, read through cursors, write in transactions.

DuckDB lets one process open a file read-write. Inside that process one connection is shared;
each operation takes its own cursor (a connection is not thread-safe), and every write runs in
an explicit transaction under a process-wide lock, so concurrent Streamlit sessions never
interleave half-done writes.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from importlib import resources
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from fazhi.errors import DatabaseBusy, DatabaseError

Cursor = duckdb.DuckDBPyConnection

_LOCK_HELD = re.compile(r"Conflicting lock is held in (?P<program>.+?) \(PID (?P<pid>\d+)\)")


def migrations() -> list[tuple[str, str]]:
    """The schema migrations as (name, SQL), in the order they apply; names are never reused."""
    folder = resources.files("fazhi") / "migrations"
    files = sorted(p for p in folder.iterdir() if p.name.endswith(".sql"))
    return [(p.name.removesuffix(".sql"), p.read_text(encoding="utf-8")) for p in files]


class Database:
    """An open database file: a shared connection, a write lock and a data version."""

    def __init__(self, path: Path, connection: duckdb.DuckDBPyConnection) -> None:
        self.path = path
        self._connection = connection
        self._write_lock = threading.RLock()
        self._version = 0

    @property
    def version(self) -> int:
        """A counter bumped after every committed write: a cache key that is never stale."""
        return self._version

    @contextmanager
    def cursor(self) -> Iterator[Cursor]:
        """A cursor of its own for one read; closed afterwards."""
        cur = self._connection.cursor()
        try:
            yield cur
        finally:
            cur.close()

    @contextmanager
    def transaction(self) -> Iterator[Cursor]:
        """A cursor inside BEGIN … COMMIT under the write lock; any error rolls everything back."""
        with self._write_lock:
            cur = self._connection.cursor()
            try:
                cur.execute("BEGIN TRANSACTION")
                try:
                    yield cur
                except BaseException:
                    cur.execute("ROLLBACK")
                    raise
                cur.execute("COMMIT")
                self._version += 1
            finally:
                cur.close()

    def rows(self, sql: str, params: Sequence[Any] | dict[str, Any] | None = None) -> list[tuple]:
        """All rows of a read query as tuples."""
        with self.cursor() as cur:
            return cur.execute(sql, params or []).fetchall()

    def one(self, sql: str, params: Sequence[Any] | dict[str, Any] | None = None) -> tuple | None:
        """The first row of a read query, or None."""
        with self.cursor() as cur:
            return cur.execute(sql, params or []).fetchone()

    def frame(self, sql: str, params: Sequence[Any] | dict[str, Any] | None = None) -> pd.DataFrame:
        """A read query as a DataFrame."""
        with self.cursor() as cur:
            return cur.execute(sql, params or []).df()

    def checkpoint(self) -> None:
        """Write the WAL into the file (under the write lock, so no transaction is half in it)."""
        with self._write_lock, self.cursor() as cur:
            cur.execute("CHECKPOINT")

    def close(self) -> None:
        """Checkpoint and close the file so another process may open it."""
        with self._write_lock:
            try:
                self._connection.execute("CHECKPOINT")
            except duckdb.Error:
                pass
            self._connection.close()

    def __enter__(self) -> Database:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def busy_message(path: Path, detail: str = "") -> str:
    """The Chinese explanation shown when another program holds the database file."""
    who = ""
    match = _LOCK_HELD.search(detail)
    if match:
        who = f"（占用它的程序：{Path(match['program']).name}，进程号 {match['pid']}）"
    return (
        f"数据库文件 {path} 正被另一个程序打开{who}，本程序无法同时使用它。"
        "请先关闭另一个正在运行的法治工作台（浏览器所连的 streamlit 窗口或命令行程序），"
        "或在命令行中用 --db 指定另一个数据库文件，然后重试。"
    )


def connect(path: Path | str, *, migrate: bool = True) -> Database:
    """Open (creating if needed) the database at `path` and bring its schema up to date."""
    path = Path(path).expanduser().resolve()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise DatabaseError(f"无法创建数据库所在的文件夹 {path.parent}：{error.strerror or error}") from error
    try:
        connection = duckdb.connect(str(path))
    except duckdb.IOException as error:
        if "lock" in str(error).lower():
            raise DatabaseBusy(busy_message(path, str(error))) from error
        raise DatabaseError(f"无法打开数据库文件 {path}：{error}") from error
    except duckdb.Error as error:
        raise DatabaseError(
            f"数据库文件 {path} 无法读取，可能已损坏或不是本程序的数据库。"
            f"请从备份恢复，或用 --db 指定另一个文件。（{error}）"
        ) from error
    db = Database(path, connection)
    if migrate:
        try:
            apply_migrations(db)
        except BaseException:
            connection.close()
            raise
    return db


def applied_migrations(db: Database) -> list[str]:
    """Names of the migrations already applied to this file, oldest first."""
    exists = db.one(
        "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'main' AND table_name = 'schema_migrations'"
    )
    if not exists or not exists[0]:
        return []
    return [row[0] for row in db.rows("SELECT name FROM schema_migrations ORDER BY name")]


def apply_migrations(db: Database) -> list[str]:
    """Apply each pending migration in its own transaction, then CHECKPOINT; returns the names applied."""
    done = set(applied_migrations(db))
    known = migrations()
    unknown = done - {name for name, _ in known}
    if unknown:
        raise DatabaseError(
            f"数据库文件 {db.path} 由更新版本的程序创建（未知的结构版本：{', '.join(sorted(unknown))}），"
            "请升级本程序后再打开。"
        )
    if not done:
        with db.transaction() as cur:
            cur.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations (name VARCHAR PRIMARY KEY, applied_at TIMESTAMP NOT NULL)"
            )
    applied = []
    for name, sql in known:
        if name in done:
            continue
        try:
            with db.transaction() as cur:
                cur.execute(sql)
                cur.execute("INSERT INTO schema_migrations VALUES (?, ?)", [name, datetime.now()])
        except duckdb.Error as error:
            raise DatabaseError(f"数据库结构升级 {name} 失败，数据未改动：{error}") from error
        applied.append(name)
    if applied:
        db.checkpoint()
    return applied


def schema_version(db: Database) -> str:
    """The name of the newest migration applied: what a backup records and a restore checks."""
    names = applied_migrations(db)
    return names[-1] if names else ""


def describe_schema(db: Database) -> list[tuple[str, str, str, str]]:
    """(table, column, type, nullable) for every user table: two schemas compare equal as lists."""
    return db.rows(
        """
        SELECT table_name, column_name, data_type, is_nullable
        FROM information_schema.columns
        WHERE table_schema = 'main'
        ORDER BY table_name, ordinal_position
        """
    )

"""fazhi.db's PostgreSQL driver: connections from a small pool, and a cursor that speaks like DuckDB's.

Only fazhi/db.py uses this module (imported when a postgresql:// URL is opened, so an installation on the
DuckDB file never needs psycopg). The rest of fazhi/ writes DuckDB-flavoured SQL that PostgreSQL 15 also
accepts; what differs is bridged here, in one place:
- placeholders: `?` and `$name` become psycopg's `%s` and `%(name)s`, a literal `%` becomes `%%`;
- results: `json` comes back as its text and `numeric` (PostgreSQL's sum and avg of integers) as int or
  float, as DuckDB returns them; a statement without rows fetches `(rowcount,)` as DuckDB's UPDATE does;
- `.df()` builds the DataFrame DuckDB would (dates and timestamps as datetime64);
- `register(name, frame)` (DuckDB's view over a DataFrame) fills a temporary table of that name.
The functions DuckDB has and PostgreSQL lacks (list_contains, year, …) are created in the database by the
migration 0009_postgres (fazhi/migrations/0009_postgres.postgres.sql).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator, Sequence
from datetime import date, datetime
from typing import Any
from urllib.parse import urlsplit

import pandas as pd
import psycopg
from psycopg.adapt import Loader
from psycopg.pq import TransactionStatus
from psycopg.types.string import TextLoader

from fazhi.errors import DatabaseError

Error = psycopg.Error

# The key of the advisory lock every writing transaction takes first: one writer at a time across processes.
WRITE_LOCK_KEY = 4_652_383_521


def shown(url: str) -> str:
    """The URL without its password, for messages and logs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.netloc.rsplit("@", 1)[-1]
    return url.replace(parts.netloc, f"{parts.username or ''}:***@{host}", 1)


_TOKEN = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|--[^\n]*|\$[A-Za-z_]\w*|[?%]")


def translate(sql: str) -> str:
    """DuckDB's placeholders in psycopg's spelling, outside string literals, identifiers and comments."""

    def one(match: re.Match[str]) -> str:
        token = match.group()
        if token == "?":
            return "%s"
        if token == "%":
            return "%%"
        if token.startswith("$"):
            return f"%({token[1:]})s"
        return token.replace("%", "%%")  # psycopg reads % everywhere, literals included

    return _TOKEN.sub(one, sql)


class _Number(Loader):
    """numeric as DuckDB gives it: an int when whole-valued text, else a float."""

    def load(self, data: Any) -> int | float:
        text = bytes(data).decode()
        return int(text) if text.lstrip("-").isdigit() else float(text)


_DATES = {1082, 1114, 1184}  # date, timestamp, timestamptz


def _pg_type(column: pd.Series) -> str:
    kind = column.dtype.kind
    if kind == "b":
        return "BOOLEAN"
    if kind in "iu":
        return "BIGINT"
    if kind == "f":
        return "DOUBLE PRECISION"
    if kind == "M":
        return "TIMESTAMP"
    sample = next((v for v in column if v is not None and not pd.isna(v)), None)
    if isinstance(sample, bool):
        return "BOOLEAN"
    if isinstance(sample, int):
        return "BIGINT"
    if isinstance(sample, float):
        return "DOUBLE PRECISION"
    if isinstance(sample, bytes | memoryview):
        return "BYTEA"
    if isinstance(sample, datetime):
        return "TIMESTAMP"
    if isinstance(sample, date):
        return "DATE"
    return "VARCHAR"


def _plain(value: Any) -> Any:
    """A DataFrame cell as psycopg dumps it: None for missing, Python scalars for numpy ones."""
    if value is None or (not isinstance(value, list | tuple) and pd.isna(value)):
        return None
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    return value.item() if hasattr(value, "item") else value


class Cursor:
    """DuckDB's cursor surface (execute → self, fetchone, fetchall, df, register) over a psycopg connection."""

    def __init__(self, connection: psycopg.Connection) -> None:
        self.connection = connection
        self._cur = connection.cursor()

    def execute(self, sql: str, params: Sequence[Any] | dict[str, Any] | None = None, /) -> Cursor:
        if params:
            self._cur.execute(translate(sql).encode(), params)
        else:
            self._cur.execute(sql.encode())
        return self

    def executemany(self, sql: str, params: Sequence[Sequence[Any]], /) -> Cursor:
        self._cur.executemany(translate(sql).encode(), params)
        return self

    @property
    def description(self) -> Any:
        return self._cur.description

    def fetchone(self) -> tuple | None:
        if self._cur.description is None:
            return (self._cur.rowcount,)
        return self._cur.fetchone()

    def fetchall(self) -> list[tuple]:
        if self._cur.description is None:
            return [(self._cur.rowcount,)]
        return self._cur.fetchall()

    def df(self) -> pd.DataFrame:
        described = self._cur.description or []
        names = [column.name for column in described]
        frame = pd.DataFrame(self._cur.fetchall(), columns=names)
        for column in described:
            if column.type_code in _DATES:
                frame[column.name] = pd.to_datetime(frame[column.name])
        return frame

    def register(self, name: str, frame: pd.DataFrame, /) -> None:
        columns = ", ".join(f'"{c}" {_pg_type(frame[c])}' for c in frame.columns)
        self._cur.execute(f'DROP TABLE IF EXISTS pg_temp."{name}"'.encode())
        self._cur.execute(f'CREATE TEMPORARY TABLE "{name}" ({columns})'.encode())
        with self._cur.copy(f'COPY "{name}" FROM STDIN'.encode()) as copy:
            for row in frame.itertuples(index=False, name=None):
                copy.write_row([_plain(v) for v in row])

    def unregister(self, name: str, /) -> None:
        self._cur.execute(f'DROP TABLE IF EXISTS pg_temp."{name}"'.encode())

    def close(self) -> None:
        self._cur.close()


def _open(url: str) -> psycopg.Connection:
    try:
        connection = psycopg.connect(url, autocommit=True)
    except psycopg.Error as error:
        raise DatabaseError(
            f"无法连接 PostgreSQL 数据库 {shown(url)}：{str(error).strip()}。"
            "请检查数据库服务是否已启动、地址和账号是否正确（FAZHI_DATABASE_URL 或 --db）。"
        ) from error
    connection.adapters.register_loader("json", TextLoader)
    connection.adapters.register_loader("jsonb", TextLoader)
    connection.adapters.register_loader("numeric", _Number)
    # Times are stored as the office's local wall-clock time (naive, as with DuckDB): now() must agree.
    offset = datetime.now().astimezone().strftime("%z")
    connection.execute(f"SET TIME ZONE INTERVAL '{offset[:3]}:{offset[3:]}' HOUR TO MINUTE".encode())
    # No JIT: once the statistics say the indicator query is big, PostgreSQL compiles its ~150 expressions
    # first, which cost 2.4 s of a 3.7 s county query on a 200,000-record database (the run itself 0.9 s)
    connection.execute(b"SET jit = off")
    return connection


class Pool:
    """Connections to one database, reused: a read or a transaction borrows one and gives it back."""

    KEEP = 8  # idle connections kept open; more are opened when needed and closed when given back

    def __init__(self, url: str) -> None:
        self.url = url
        self._idle: list[psycopg.Connection] = []
        self._lock = threading.Lock()
        self.put(self.get())  # fail now, with a clear message, if the server cannot be reached

    def get(self) -> psycopg.Connection:
        with self._lock:
            while self._idle:
                connection = self._idle.pop()
                if not connection.closed:
                    return connection
        return _open(self.url)

    def put(self, connection: psycopg.Connection) -> None:
        if connection.closed or connection.info.transaction_status != TransactionStatus.IDLE:
            connection.close()
            return
        with self._lock:
            if len(self._idle) < self.KEEP:
                self._idle.append(connection)
                return
        connection.close()

    def borrowed(self) -> Iterator[psycopg.Connection]:
        """One connection for a `with` block (see fazhi.db)."""
        connection = self.get()
        try:
            yield connection
        finally:
            self.put(connection)

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for connection in idle:
            connection.close()


def database_name(url: str) -> str:
    """The database a URL names (the path part, or $PGDATABASE-style dbname= in the query)."""
    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    if not name:
        match = re.search(r"(?:^|&)dbname=([^&]+)", parts.query)
        name = match.group(1) if match else ""
    return name


def with_database(url: str, name: str) -> str:
    """The same server and account, another database."""
    parts = urlsplit(url)
    query = re.sub(r"(?:^|&)dbname=[^&]+", "", parts.query).lstrip("&")
    return f"{parts.scheme}://{parts.netloc}/{name}" + (
        f"?{query}" if query else ""
    )  # keeps '///' (a socket)


_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def create_database(server: str, name: str) -> None:
    """CREATE DATABASE `name` on the server `server` names (a URL to any database there); DatabaseError
    in Chinese when the name is not a plain identifier or the account may not."""
    _administer(server, name, "CREATE DATABASE {}")


def drop_database(server: str, name: str) -> None:
    """DROP DATABASE `name` if it exists, ending its connections first."""
    _administer(server, name, "DROP DATABASE IF EXISTS {} WITH (FORCE)")


def _administer(server: str, name: str, statement: str) -> None:
    if not _NAME.match(name):
        raise DatabaseError(f"数据库名 {name!r} 只能由小写字母、数字和下划线组成。")
    connection = _open(server)
    try:
        connection.execute(statement.format(name).encode())
    except psycopg.Error as error:
        raise DatabaseError(f"无法在 {shown(server)} 上处理数据库 {name}：{str(error).strip()}") from error
    finally:
        connection.close()

"""The one owner of the database: connect, migrate, read through cursors, write in transactions.

Two backends, one API (`connect`, `shared`, `Database.cursor/transaction/rows/one/frame`, `single`):

- The DuckDB file (the default, data/fazhi.duckdb or $FAZHI_DB). DuckDB lets one process open a file
  read-write. Inside that process one connection is shared; each operation takes its own cursor (a
  connection is not thread-safe), and every write runs in an explicit transaction under a process-wide
  lock, so concurrent Streamlit sessions never interleave half-done writes.
- PostgreSQL ($FAZHI_DATABASE_URL=postgresql://…, or a URL given to --db), so that several app processes
  share one database. Reads and transactions borrow connections from a small pool (fazhi/postgres.py).
  Every writing transaction first takes `pg_advisory_xact_lock` on one fixed key, so writes are serialized
  across all processes exactly as the in-process lock serializes them within one: conflict detection on
  records, lockout counting on failed logins and the 封账 checks read and write with nobody else writing.
  The counters caches key on (`version`, `figures_version`, `scope_version`, `year_version`,
  `generation`) live in the table data_versions, bumped inside the committing transaction; a process reads the whole (small) table
  at most every VERSION_POLL seconds, and at once after its own commits, so another process's write
  reaches every session's cache keys within half a second (polling rather than LISTEN/NOTIFY: no
  listener thread and no connection held open per process for it).

Over 400 lines because it is the one owner of both backends: the shared Database (cursors, transactions,
the write lock, the versions, the file swap of a restore), the migrations and the opening of either kind;
PostgreSQL's wire details (pool, placeholders, cursor) are apart in fazhi/postgres.py.
"""

from __future__ import annotations

import os
import re
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import duckdb
import pandas as pd

from fazhi.errors import DatabaseBusy, DatabaseError, FazhiError
from fazhi.settings import db_path

if TYPE_CHECKING:
    from fazhi import postgres


class Cursor(Protocol):
    """What every backend's cursor offers: DuckDB's own, or fazhi.postgres.Cursor speaking like it."""

    def execute(self, query: str, parameters: Any = None, /) -> Cursor: ...

    def executemany(self, query: str, parameters: Any = None, /) -> Cursor: ...

    def fetchone(self) -> tuple | None: ...

    def fetchall(self) -> list[tuple]: ...

    def df(self) -> pd.DataFrame: ...

    def register(self, view_name: str, python_object: Any, /) -> Any: ...

    def unregister(self, view_name: str, /) -> Any: ...

    def close(self) -> None: ...

    @property
    def description(self) -> Any: ...


def single(cur: Cursor, sql: str, params: Sequence[Any] | dict[str, Any] | None = None) -> tuple[Any, ...]:
    """The one row a statement always returns (a count, INSERT … RETURNING, nextval); DatabaseError if none."""
    row = cur.execute(sql, params or []).fetchone()
    if row is None:
        raise DatabaseError(f"数据库没有返回结果：{sql[:60]}")
    return row


_LOCK_HELD = re.compile(r"Conflicting lock is held in (?P<program>.+?) \(PID (?P<pid>\d+)\)")


def migrations(backend: str = "duckdb") -> list[tuple[str, str]]:
    """The schema migrations as (name, SQL), in the order they apply; names are never reused.

    The same names on both backends: `0001_initial.sql` serves both unless a `0001_initial.postgres.sql`
    beside it says the same in PostgreSQL's dialect (a type DuckDB spells differently, its functions)."""
    folder = resources.files("fazhi") / "migrations"
    files = {p.name: p for p in folder.iterdir() if p.name.endswith(".sql")}
    found = []
    for name in sorted(n for n in files if n.count(".") == 1):
        stem = name.removesuffix(".sql")
        chosen = files.get(f"{stem}.{backend}.sql", files[name])
        found.append((stem, chosen.read_text(encoding="utf-8")))
    return found


# How long a file swap waits for running reads to finish before giving up (seconds).
SWAP_WAIT = 30.0


class Database:
    """An open database file: a shared connection, a write lock and a data version."""

    backend = "duckdb"
    errors: tuple[type[Exception], ...] = (duckdb.Error,)

    def __init__(self, path: Path, connection: duckdb.DuckDBPyConnection) -> None:
        self.path = path  # the file; its folder holds attachments/, backups/ and templates/
        self.target = str(path)  # what `shared` is keyed by and messages name
        self._connection = connection
        self._write_lock = threading.RLock()
        self._version = 0
        self._figures_version = 0
        self._global_figures = 0  # figure-changing commits not limited to units (targets, units, settings, …)
        self._unit_figures: dict[str, int] = {}  # scope (see _scopes) → commits changing records in it
        self._scoped: list[tuple[str, int | None]] | None = None  # (unit path, year) the transaction changes
        self._generation = 0
        # Reads are counted so that a file swap (restore) waits for them and holds new ones back.
        self._gate = threading.Condition()
        self._readers = 0
        self._swapping: int | None = None  # the thread swapping the file, which may still read

    @property
    def version(self) -> int:
        """A counter bumped after every committed write: a cache key that is never stale."""
        return self._version

    @property
    def figures_version(self) -> int:
        """A counter bumped after every committed write that may change what 看板 or a report shows (records
        and their values, units, targets, locks, report text and settings), not after logins, accounts,
        evidence files or audit-only rows: the key of the caches every session shares."""
        return self._figures_version

    def scope_version(self, path: str) -> tuple[int, int]:
        """The figures version of one unit's subtree (path '/1/5/'): it moves with every figure-changing write
        not limited to units, and with record writes in this unit, below it or above it in its path only,
        so a save in one 乡镇 leaves the cached figures of every other 乡镇 in place (the 区县's move)."""
        return self._global_figures, self._unit_figures.get(path, 0)

    def year_version(self, path: str, year: int, *, own: bool = False) -> tuple[int, int, int]:
        """The figures version of one unit's subtree in one year (with `own`, of the unit's own records
        only): it moves with every figure-changing write not limited to units, with record writes there
        that do not say their years, and with those in that year. A save in a 村 in 2026 leaves its
        乡镇's and 区县's own measures and every 2025 figure (fazhi/measures.py) in place."""
        return (self._global_figures, *_year_scope(self._unit_figures, path, year, own))

    def changed(self, *paths: str, years: Sequence[int] = ()) -> None:
        """Inside a transaction: this write changes only records of these units (paths), of these years
        (their start dates') when given, so only their subtrees' and ancestors' `scope_version` and
        `year_version` move at commit (without a call, every scope moves)."""
        with self._write_lock:  # held by the transaction already: the calling thread owns `_scoped`
            whens: list[int | None] = [*years] or [None]
            changes = [(path, year) for path in paths for year in whens]
            self._scoped = [*(self._scoped or []), *changes]

    @property
    def generation(self) -> int:
        """A counter bumped each time the file is replaced (restore): sessions from before must log in again."""
        return self._generation

    @contextmanager
    def cursor(self) -> Iterator[Cursor]:
        """A cursor of its own for one read; closed afterwards."""
        me = threading.get_ident()
        with self._gate:
            while self._swapping is not None and self._swapping != me:
                self._gate.wait()
            self._readers += 1
        try:
            cur = self._connection.cursor()
            try:
                yield cur
            finally:
                cur.close()
        finally:
            with self._gate:
                self._readers -= 1
                self._gate.notify_all()

    @contextmanager
    def exclusive(self) -> Iterator[None]:
        """Hold the write lock for a while (no transaction anywhere in the process meanwhile); reads go on."""
        with self._write_lock:
            yield

    def replace_with(self, source: Path) -> None:
        """Swap the file under this object for `source` (a database already checked), then reopen it.

        Under the write lock, once running reads have finished and with new reads held back, the current
        file is closed and moved aside, `source` takes its place, and the connection is reopened (migrating
        an older schema). Every session keeps using this object and sees the new data; `generation` goes up.
        If the new file cannot be opened, the old one is put back and DatabaseError is raised. The process
        must hold no other connection to this file (the app has one, cached by path; the CLI has one).
        """
        source = Path(source)
        with self._write_lock:
            me = threading.get_ident()
            with self._gate:
                self._swapping = me
                deadline = time.monotonic() + SWAP_WAIT
                while self._readers > 0:
                    if not self._gate.wait(timeout=max(0.0, deadline - time.monotonic())):
                        self._swapping = None
                        self._gate.notify_all()
                        raise DatabaseError("数据库正忙（有人正在查看大量数据），未作任何改动，请稍后重试。")
            try:
                self._swap(source)
            finally:
                with self._gate:
                    self._swapping = None
                    self._gate.notify_all()

    def _swap(self, source: Path) -> None:
        try:
            self._connection.execute("CHECKPOINT")
        except duckdb.Error:
            pass
        self._connection.close()
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S-%f")
        aside = self.path.with_name(f"{self.path.name}.replaced-{stamp}")
        wal = self.path.with_name(self.path.name + ".wal")
        moved: list[tuple[Path, Path]] = []
        try:
            if self.path.exists():
                os.replace(self.path, aside)
                moved.append((aside, self.path))
            if wal.exists():  # a WAL belongs to the file it was written for: never pair it with another
                os.replace(wal, aside.with_name(aside.name + ".wal"))
                moved.append((aside.with_name(aside.name + ".wal"), wal))
            os.replace(source, self.path)
            self._connection = _open_connection(self.path)
            try:
                apply_migrations(self)
            except BaseException:
                self._connection.close()
                raise
        except BaseException as error:
            if self.path.exists() and moved:
                self.path.unlink()
            for back, original in moved:
                os.replace(back, original)
            self._connection = _open_connection(self.path)
            if isinstance(error, FazhiError):
                raise
            raise DatabaseError(f"无法换用新的数据库文件，原数据未改动：{error}") from error
        for back, _ in moved:
            back.unlink(missing_ok=True)
        self._version += 1
        self._figures_version += 1
        self._global_figures += 1
        self._generation += 1

    @contextmanager
    def transaction(self, *, figures: bool = True, data: bool = True) -> Iterator[Cursor]:
        """A cursor inside BEGIN … COMMIT under the write lock; any error rolls everything back.

        `figures=False` says the write cannot change a figure (a login, an account, an evidence file, an
        audit-only row): `figures_version` then stays and every session keeps its cached dashboards.
        `data=False` for writes no page shows (a login's last activity): `version` stays too.
        """
        with self._write_lock:
            outer, self._scoped = self._scoped, None
            cur = self._connection.cursor()
            try:
                cur.execute("BEGIN TRANSACTION")
                try:
                    yield cur
                except BaseException:
                    cur.execute("ROLLBACK")
                    raise
                cur.execute("COMMIT")
                if data:
                    self._version += 1
                if data and figures:
                    self._figures_version += 1
                    self._bump_scopes(self._scoped)
            finally:
                self._scoped = outer
                cur.close()

    def _bump_scopes(self, changes: list[tuple[str, int | None]] | None) -> None:
        if changes is None:
            self._global_figures += 1
            return
        for scope in _scopes(changes):
            self._unit_figures[scope] = self._unit_figures.get(scope, 0) + 1

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


OWN = "own:"  # the scopes of a unit's own records ('own:/1/5/2026'), beside its subtree's ('/1/5/2026')
ANY_YEAR = "*"  # record writes that did not say their years ('/1/5/*')


def _scopes(changes: list[tuple[str, int | None]]) -> set[str]:
    """The counters a write to records of these (unit path, year) moves: the subtree of the unit and of
    each ancestor ('/1/5/', and by year '/1/5/2026' or, year not given, '/1/5/*'), and the unit's own
    records by year ('own:/1/5/2026' or 'own:/1/5/*'). PostgreSQL keeps them in data_versions."""
    touched: set[str] = set()
    for path, year in changes:
        when = ANY_YEAR if year is None else str(year)
        parts = [p for p in path.split("/") if p]
        for n in range(1, len(parts) + 1):
            prefix = "/" + "/".join(parts[:n]) + "/"
            touched.update((prefix, prefix + when))
        touched.add(OWN + path + when)
    return touched


def _year_scope(counters: dict[str, int], path: str, year: int, own: bool) -> tuple[int, int]:
    scope = (OWN if own else "") + path
    return counters.get(scope + ANY_YEAR, 0), counters.get(scope + str(year), 0)


# How stale another process's commits may look to this one's cache keys (seconds; PostgreSQL only).
VERSION_POLL = 0.5


class PostgresDatabase(Database):
    """A PostgreSQL database shared by several processes: pooled connections, an advisory write lock, and
    the data versions kept in the table data_versions (see the module's docstring)."""

    backend = "postgres"

    def __init__(self, url: str, files: Path, pool: postgres.Pool) -> None:
        self.path = files
        self.target = url
        self.url = url
        self._pool = pool
        self.errors = (duckdb.Error, _postgres().Error)
        self._write_lock = threading.RLock()
        self._depth = 0  # transactions of the thread holding the write lock (the outermost takes the lock)
        self._scoped = None
        self._counters: dict[str, int] = {}
        self._read_at = -VERSION_POLL

    def _versions(self) -> dict[str, int]:
        now = time.monotonic()
        if now - self._read_at >= VERSION_POLL:
            try:
                rows = self.rows("SELECT scope, value FROM data_versions")
            except self.errors:
                rows = []  # before the migration that makes the table
            self._counters = {scope: int(value) for scope, value in rows}
            self._read_at = now
        return self._counters

    @property
    def version(self) -> int:
        return self._versions().get("data", 0)

    @property
    def figures_version(self) -> int:
        return self._versions().get("figures", 0)

    def scope_version(self, path: str) -> tuple[int, int]:
        counters = self._versions()
        return counters.get("global", 0), counters.get(path, 0)

    def year_version(self, path: str, year: int, *, own: bool = False) -> tuple[int, int, int]:
        counters = self._versions()
        return (counters.get("global", 0), *_year_scope(counters, path, year, own))

    @property
    def generation(self) -> int:
        return self._versions().get("generation", 0)

    @contextmanager
    def cursor(self) -> Iterator[Cursor]:
        connection = self._pool.get()
        cur = _postgres().Cursor(connection)
        try:
            yield cur
        finally:
            cur.close()
            self._pool.put(connection)

    @contextmanager
    def exclusive(self) -> Iterator[None]:
        """Hold the write lock, in this process and (a session-level advisory lock) in every other."""
        with self._write_lock:
            if self._depth:  # this thread holds it already (a backup inside a restore)
                yield
                return
            with self._advisory_session():
                yield

    @contextmanager
    def _advisory_session(self) -> Iterator[None]:
        with self.cursor() as cur:
            cur.execute("SELECT pg_advisory_lock(?)", [_postgres().WRITE_LOCK_KEY])
            try:
                self._depth += 1
                yield
            finally:
                self._depth -= 1
                cur.execute("SELECT pg_advisory_unlock(?)", [_postgres().WRITE_LOCK_KEY])

    @contextmanager
    def transaction(self, *, figures: bool = True, data: bool = True) -> Iterator[Cursor]:
        with self._write_lock:
            outer, self._scoped = self._scoped, None
            first = self._depth == 0
            self._depth += 1
            connection = self._pool.get()
            cur = _postgres().Cursor(connection)
            try:
                cur.execute("BEGIN")
                try:
                    if first:
                        cur.execute("SELECT pg_advisory_xact_lock(?)", [_postgres().WRITE_LOCK_KEY])
                    yield cur
                    bumped = self._bumped(figures=figures, data=data)
                    if bumped:
                        cur.execute(
                            "INSERT INTO data_versions SELECT unnest(CAST(? AS VARCHAR[])), 1"
                            " ON CONFLICT (scope) DO UPDATE SET value = data_versions.value + 1",
                            [bumped],
                        )
                except BaseException:
                    if not connection.closed:
                        cur.execute("ROLLBACK")
                    raise
                cur.execute("COMMIT")
                self._read_at = -VERSION_POLL  # this process sees its own commit at once
            finally:
                self._depth -= 1
                self._scoped = outer
                cur.close()
                self._pool.put(connection)

    def _bumped(self, *, figures: bool, data: bool) -> list[str]:
        if not data:
            return []
        if not figures:
            return ["data"]
        if self._scoped is None:
            return ["data", "figures", "global"]
        return ["data", "figures", *sorted(_scopes(self._scoped))]

    def bump_generation(self, cur: Cursor) -> None:
        """Inside a transaction: every scope moves and sessions from before must log in again (a restore)."""
        cur.execute(
            "INSERT INTO data_versions SELECT unnest(CAST(? AS VARCHAR[])), 1"
            " ON CONFLICT (scope) DO UPDATE SET value = data_versions.value + 1",
            [["data", "figures", "global", "generation"]],
        )

    def replace_with(self, source: Path) -> None:
        raise DatabaseError("PostgreSQL 数据库不能用替换文件的方式恢复，请用 python -m fazhi restore。")

    def checkpoint(self) -> None:
        """Nothing to do: PostgreSQL writes its WAL itself."""

    def close(self) -> None:
        self._pool.close()


def _postgres() -> Any:
    """The module fazhi.postgres (and with it psycopg), loaded on first use."""
    # psycopg is needed only with a PostgreSQL URL: a DuckDB installation runs without it installed
    from fazhi import postgres

    return postgres


def is_url(target: Path | str) -> bool:
    """Whether a --db / $FAZHI_DATABASE_URL value names a PostgreSQL database rather than a DuckDB file."""
    return str(target).startswith(("postgresql://", "postgres://"))


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


def connect(path: Path | str, *, migrate: bool = True, files: Path | str | None = None) -> Database:
    """Open (creating if needed) the database at `path` — a DuckDB file, or a postgresql:// URL — and bring
    its schema up to date. `files`: beside which file a PostgreSQL database keeps attachments, backups and
    templates (default $FAZHI_DB's place, data/)."""
    if is_url(path):
        return _connect_postgres(str(path), migrate=migrate, files=files)
    path = Path(path).expanduser().resolve()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise DatabaseError(f"无法创建数据库所在的文件夹 {path.parent}：{error.strerror or error}") from error
    db = Database(path, _open_connection(path))
    if migrate:
        try:
            apply_migrations(db)
        except BaseException:
            db._connection.close()
            raise
    return db


def _connect_postgres(url: str, *, migrate: bool, files: Path | str | None) -> Database:
    database = PostgresDatabase(
        url, Path(files).expanduser().resolve() if files else db_path(), _postgres().Pool(url)
    )
    if migrate:
        try:
            apply_migrations(database)
        except BaseException:
            database.close()
            raise
    return database


_shared: dict[str, Database] = {}
_shared_lock = threading.Lock()


def shared(path: Path | str) -> Database:
    """The process's one open Database for the file at `path` (opened and migrated on first use).

    The Streamlit pages (through fazhi/ui/resources.py) and the web routes (fazhi/web.py) of one server
    must share it: DuckDB gives a process one writer, and the write lock and `version` live on this object."""
    key = str(path) if is_url(path) else str(Path(path).expanduser().resolve())
    with _shared_lock:
        if key not in _shared:
            _shared[key] = connect(key)
        return _shared[key]


def close_shared() -> None:
    """Checkpoint and close every shared Database (the server's shutdown)."""
    with _shared_lock:
        for database in _shared.values():
            errors: tuple[type[Exception], ...] = (FazhiError, *database.errors)
            try:
                database.close()
            except errors:
                pass
        _shared.clear()


def _open_connection(path: Path) -> duckdb.DuckDBPyConnection:
    """A connection to the file, or DatabaseBusy / DatabaseError with a Chinese message."""
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
    return connection


def applied_migrations(db: Database) -> list[str]:
    """Names of the migrations already applied to this file, oldest first."""
    exists = db.one(
        "SELECT count(*) FROM information_schema.tables"
        " WHERE table_schema = current_schema() AND table_name = 'schema_migrations'"
    )
    if not exists or not exists[0]:
        return []
    return [row[0] for row in db.rows("SELECT name FROM schema_migrations ORDER BY name")]


def apply_migrations(db: Database) -> list[str]:
    """Apply each pending migration in its own transaction, then CHECKPOINT; returns the names applied."""
    done = set(applied_migrations(db))
    known = migrations(db.backend)
    unknown = done - {name for name, _ in known}
    if unknown:
        raise DatabaseError(
            f"数据库 {shown(db)} 由更新版本的程序创建（未知的结构版本：{', '.join(sorted(unknown))}），"
            "请升级本程序后再打开。"
        )
    # data=False: nothing is cached before the schema exists (and data_versions may not exist yet)
    if not done:
        with db.transaction(data=False) as cur:
            cur.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations (name VARCHAR PRIMARY KEY, applied_at TIMESTAMP NOT NULL)"
            )
    applied = []
    for name, sql in known:
        if name in done:
            continue
        try:
            with db.transaction(data=False) as cur:
                cur.execute(sql)
                cur.execute("INSERT INTO schema_migrations VALUES (?, ?)", [name, datetime.now()])
        except db.errors as error:
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
    """(table, column, type, nullable) for every user table: two schemas compare equal as lists, also one
    in DuckDB and one in PostgreSQL (PostgreSQL's type names are given as DuckDB spells them)."""
    rows = db.rows(
        """
        SELECT table_name, column_name, data_type, is_nullable
        FROM information_schema.columns
        WHERE table_schema = current_schema()
        ORDER BY table_name, ordinal_position
        """
    )
    return [(table, column, _TYPE_NAMES.get(kind, kind), nullable) for table, column, kind, nullable in rows]


_TYPE_NAMES = {
    "character varying": "VARCHAR",
    "text": "VARCHAR",
    "integer": "INTEGER",
    "bigint": "BIGINT",
    "double precision": "DOUBLE",
    "boolean": "BOOLEAN",
    "timestamp without time zone": "TIMESTAMP",
    "date": "DATE",
    "json": "JSON",
    "bytea": "BLOB",
}


def shown(db: Database) -> str:
    """How a message names the database: the file, or the URL without its password."""
    return _postgres().shown(db.target) if db.backend == "postgres" else str(db.path)

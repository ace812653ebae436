"""Moving an installation between backends: every table of one database copied into a new, empty one
(the DuckDB file → PostgreSQL when one server process is no longer enough, and back).

The target's schema comes from its own migrations (fazhi.db.connect applies them), so both must be at the
same schema version; then the rows, table by table in one transaction, with each column cast to the
target's type; then each sequence set past the largest id; then the row counts are compared. The tables
have no foreign keys, so the order is only for reading (units and accounts before what refers to them).
Evidence files and custom report templates live beside the database, not in it: they are copied too when
the two databases keep their files in different folders.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from fazhi import db as dbmod
from fazhi.errors import DatabaseError
from fazhi.settings import attachments_dir, templates_dir

# Not copied: the migration history belongs to each database, and the cache counters start afresh.
SKIPPED = {"schema_migrations", "data_versions"}
FIRST = ["units", "users", "records", "record_values"]
CHUNK = 50_000  # rows read and written at a time

# DuckDB's type names (as describe_schema gives them for both) in each backend's CAST spelling.
_CAST = {
    "duckdb": {},
    "postgres": {"DOUBLE": "DOUBLE PRECISION", "BLOB": "BYTEA"},
}
_SEQUENCE = re.compile(r"nextval\('(?P<name>[A-Za-z_][A-Za-z0-9_]*)'")


@dataclass(frozen=True)
class Copied:
    """What a copy moved: rows per table (equal in both), and how many files beside the database."""

    rows: dict[str, int]
    files: int


def tables(database: dbmod.Database) -> list[str]:
    """The tables a copy moves, in the order it moves them."""
    names = {table for table, *_ in dbmod.describe_schema(database)} - SKIPPED
    return [t for t in FIRST if t in names] + sorted(names - set(FIRST))


def _columns(database: dbmod.Database) -> dict[str, list[tuple[str, str]]]:
    found: dict[str, list[tuple[str, str]]] = {}
    for table, column, kind, _ in dbmod.describe_schema(database):
        found.setdefault(table, []).append((column, kind))
    return found


def _sequences(database: dbmod.Database) -> dict[str, tuple[str, str]]:
    """Sequence → (table, column) it numbers, read from the columns' defaults."""
    found = {}
    for table, column, default in database.rows(
        "SELECT table_name, column_name, column_default FROM information_schema.columns"
        " WHERE table_schema = current_schema() AND column_default IS NOT NULL"
    ):
        match = _SEQUENCE.search(str(default))
        if match:
            found[match["name"]] = (table, column)
    return found


def _count(database: dbmod.Database, table: str) -> int:
    with database.cursor() as cur:
        return int(dbmod.single(cur, f'SELECT count(*) FROM "{table}"')[0])


def _chunks(source: dbmod.Database, table: str, columns: list[str]) -> Iterator[pd.DataFrame]:
    """The rows of a table as DataFrames of at most CHUNK rows (Python values, so both backends read them)."""
    listed = ", ".join(f'"{c}"' for c in columns)
    with source.cursor() as cur:
        rows = cur.execute(f'SELECT {listed} FROM "{table}"').fetchall()
    for start in range(0, len(rows), CHUNK):
        yield pd.DataFrame(rows[start : start + CHUNK], columns=columns, dtype=object)


def check_empty(target: dbmod.Database, shown: str) -> None:
    """DatabaseError unless every table of `target` (but the migration history) is empty."""
    for table in tables(target):
        count = _count(target, table)
        if count:
            raise DatabaseError(
                f"目标数据库 {shown} 已有数据（表 {table} 有 {count} 行），未作任何改动。"
                "复制只能写入新建的空数据库：请指定一个新的文件或新建的 PostgreSQL 数据库。"
            )


def copy(source: dbmod.Database, target: dbmod.Database, *, replace: bool = False) -> Copied:
    """Copy every row of `source` into the empty `target` (both opened, so both migrated); counts checked.

    `replace=True` (a restore into PostgreSQL): the target's rows are deleted first, in the same transaction,
    and every process's sessions and caches start afresh (`generation` moves)."""
    if source.target == target.target:
        raise DatabaseError("复制的来源和目标是同一个数据库，未作任何改动。")
    if dbmod.schema_version(source) != dbmod.schema_version(target):
        raise DatabaseError(
            f"两个数据库的结构版本不同（{dbmod.schema_version(source)} 与 {dbmod.schema_version(target)}），"
            "请先用同一版本的程序打开两者。"
        )
    if not replace:
        check_empty(target, dbmod.shown(target))
    columns = _columns(target)
    casts = _CAST[target.backend]
    with target.transaction() as cur:
        if replace:
            for table in tables(target):
                cur.execute(f'DELETE FROM "{table}"')
            if isinstance(target, dbmod.PostgresDatabase):
                target.bump_generation(cur)
        for table in tables(source):
            names = [c for c, _ in columns[table]]
            selected = ", ".join(f'CAST("{c}" AS {casts.get(kind, kind)})' for c, kind in columns[table])
            for frame in _chunks(source, table, names):
                cur.register("copied_rows", frame)
                try:
                    cur.execute(f'INSERT INTO "{table}" SELECT {selected} FROM copied_rows')
                finally:
                    cur.unregister("copied_rows")
        for sequence, (table, column) in _sequences(target).items():
            top = cur.execute(f'SELECT coalesce(max("{column}"), 0) FROM "{table}"').fetchone()
            _advance(target, cur, sequence, int(top[0]) if top else 0)
    if target.backend == "postgres":
        # fresh statistics, so the planner knows the copied tables' sizes at once (not after autovacuum)
        with target.cursor() as cur:
            cur.execute("ANALYZE")
    counts = {table: _count(source, table) for table in tables(source)}
    copied = {table: _count(target, table) for table in tables(source)}
    if copied != counts:
        wrong = ", ".join(
            f"{t}（{counts[t]} → {copied.get(t)}）" for t in counts if copied.get(t) != counts[t]
        )
        raise DatabaseError(f"复制后行数不一致：{wrong}。请不要使用目标数据库，重新建立后再试。")
    return Copied(counts, 0 if replace else _copy_files(source.path, target.path))


def _advance(target: dbmod.Database, cur: dbmod.Cursor, sequence: str, top: int) -> None:
    """Make the next id of `sequence` (in a new database) come after `top`."""
    if top <= 0:
        return
    if target.backend == "postgres":
        cur.execute("SELECT setval(?, ?)", [sequence, top])
    else:  # DuckDB has no setval: a fresh sequence is advanced by drawing `top` numbers
        cur.execute(f"SELECT count(nextval('{sequence}')) FROM range(?)", [top])


def _copy_files(source: Path, target: Path) -> int:
    """Copy evidence files and custom templates when the target keeps its files in another folder."""
    if source.parent.resolve() == target.parent.resolve():
        return 0
    count = 0
    for folder in (attachments_dir, templates_dir):
        origin, destination = folder(source), folder(target)
        if origin.is_dir():
            count += sum(1 for p in origin.rglob("*") if p.is_file())
            shutil.copytree(origin, destination, dirs_exist_ok=True)
    return count

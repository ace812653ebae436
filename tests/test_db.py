"""fazhi.db: migrations, transactions, the lock held by another process."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import duckdb
import pytest

from fazhi import db
from fazhi.errors import DatabaseBusy, DatabaseError

pytestmark = pytest.mark.both_backends  # tests/backends.py: on DuckDB and on PostgreSQL


def test_fresh_database_has_every_migration(database: db.Database) -> None:
    names = [name for name, _ in db.migrations()]
    assert names[0] == "0001_initial"
    assert db.applied_migrations(database) == names
    assert db.schema_version(database) == names[-1]
    tables = {row[0] for row in database.rows("SELECT table_name FROM information_schema.tables")}
    assert {
        "units",
        "records",
        "record_values",
        "narratives",
        "targets",
        "audit_log",
        "users",
        "year_locks",
        "attachments",
        "record_attachments",
        "unit_settings",
        "schema_migrations",
    } <= tables


def test_upgraded_database_ends_with_the_same_schema(tmp_path: Path, database: db.Database) -> None:
    """A file made by the first migration only, then upgraded, matches a fresh one column for column."""
    old = tmp_path / "old.duckdb"
    first_name, first_sql = db.migrations()[0]
    with duckdb.connect(str(old)) as raw:
        raw.execute(
            "CREATE TABLE schema_migrations (name VARCHAR PRIMARY KEY, applied_at TIMESTAMP NOT NULL)"
        )
        raw.execute(first_sql)
        raw.execute("INSERT INTO schema_migrations VALUES (?, now())", [first_name])
    upgraded = db.connect(old)
    try:
        assert db.applied_migrations(upgraded) == [name for name, _ in db.migrations()]
        assert db.describe_schema(upgraded) == db.describe_schema(database)
    finally:
        upgraded.close()


def test_reopening_applies_nothing(db_file: Path) -> None:
    db.connect(db_file).close()
    again = db.connect(db_file)
    try:
        assert db.apply_migrations(again) == []
    finally:
        again.close()


def test_a_file_from_a_newer_version_is_refused(db_file: Path) -> None:
    db.connect(db_file).close()
    with duckdb.connect(str(db_file)) as raw:
        raw.execute("INSERT INTO schema_migrations VALUES ('9999_future', now())")
    with pytest.raises(DatabaseError, match="更新版本"):
        db.connect(db_file)


def test_transaction_rolls_back_on_error(database: db.Database) -> None:
    version = database.version
    with pytest.raises(RuntimeError), database.transaction() as cur:
        cur.execute("INSERT INTO narratives VALUES (2020, 1, 'x', 'text', 'me', now(), NULL)")
        raise RuntimeError("boom")
    assert database.one("SELECT count(*) FROM narratives") == (0,)
    assert database.version == version
    with database.transaction() as cur:
        cur.execute("INSERT INTO narratives VALUES (2020, 1, 'x', 'text', 'me', now(), NULL)")
    assert database.version == version + 1


def test_busy_file_gives_a_chinese_message(db_file: Path) -> None:
    """Another process holds the file: the message names the file and says what to do."""
    db.connect(db_file).close()
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(f"""
            import duckdb, sys, time
            con = duckdb.connect({str(db_file)!r})
            print("ready", flush=True)
            time.sleep(60)
        """),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
        with pytest.raises(DatabaseBusy) as caught:
            db.connect(db_file)
        message = str(caught.value)
        assert str(db_file) in message
        assert "正被另一个程序打开" in message
        assert f"进程号 {holder.pid}" in message
    finally:
        holder.kill()
        holder.wait()


def test_not_a_database_is_refused(tmp_path: Path) -> None:
    bogus = tmp_path / "bogus.duckdb"
    bogus.write_bytes(b"this is not a database" * 100)
    with pytest.raises(DatabaseError, match="无法"):
        db.connect(bogus)

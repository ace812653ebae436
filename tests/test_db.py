"""fazhi.db: migrations, transactions, the lock held by another process."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
import time
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


# ───────────── PostgreSQL (issue 16) ─────────────


def test_both_backends_know_the_same_migrations() -> None:
    """One name per migration on both; PostgreSQL's own spelling only where a file says it differently."""
    duck, pg = db.migrations("duckdb"), db.migrations("postgres")
    assert [n for n, _ in duck] == [n for n, _ in pg]
    differ = [name for (name, a), (_, b) in zip(duck, pg, strict=True) if a != b]
    assert differ == ["0001_initial", "0007_submissions", "0009_data_versions", "0010_record_index"]


def test_a_postgres_database_has_the_schema_of_a_duckdb_file(db_file: Path, postgres_url: str) -> None:
    duck = db.connect(db_file)
    pg = db.connect(postgres_url, files=db_file)
    try:
        assert db.describe_schema(pg) == db.describe_schema(duck)
        assert db.applied_migrations(pg) == db.applied_migrations(duck)
        assert db.apply_migrations(pg) == []
    finally:
        duck.close()
        pg.close()


def test_postgres_connections_plan_without_jit_and_find_a_units_records_by_index(
    postgres_url: str, db_file: Path
) -> None:
    """JIT compiling the indicator query cost more than running it (2.4 of 3.7 s for a 区县): it is off on
    every connection; a unit's records of some years are found by the index of migration 0010."""
    pg = db.connect(postgres_url, files=db_file)
    try:
        with pg.cursor() as cur:
            assert cur.execute("SHOW jit").fetchone() == ("off",)
        assert pg.rows("SELECT indexdef FROM pg_indexes WHERE indexname = 'records_unit_start'") == [
            ("CREATE INDEX records_unit_start ON public.records USING btree (unit_id, start_on)",)
        ]
    finally:
        pg.close()


def test_placeholders_become_psycopgs_outside_literals() -> None:
    from fazhi.postgres import translate

    assert translate("SELECT ? WHERE a LIKE $path || '%' AND b = '?' AND c = $x") == (
        "SELECT %s WHERE a LIKE %(path)s || '%%' AND b = '?' AND c = %(x)s"
    )
    assert translate('SELECT "a?" FROM t -- what?\nWHERE x % 2 = 0') == (
        'SELECT "a?" FROM t -- what?\nWHERE x %% 2 = 0'
    )


def test_another_process_sees_a_commit_in_every_version(
    postgres_url: str, db_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two Database objects on one PostgreSQL database, as two app processes: a write in one moves the
    other's data, figures and scope versions; a login-like write (figures=False) leaves figures."""
    monkeypatch.setattr(db, "VERSION_POLL", 0.0)
    one = db.connect(postgres_url, files=db_file)
    two = db.connect(postgres_url, files=db_file)
    try:
        before = (two.version, two.figures_version, two.scope_version("/1/2/"), two.scope_version("/1/3/"))
        assert before == (0, 0, (0, 0), (0, 0))
        with one.transaction() as cur:
            one.changed("/1/2/", years=[2026])
            cur.execute("INSERT INTO unit_settings VALUES (2, 'x', 'y')")
        assert (two.version, two.figures_version) == (1, 1)
        assert (two.scope_version("/1/2/"), two.scope_version("/1/"), two.scope_version("/1/3/")) == (
            (0, 1),
            (0, 1),
            (0, 0),
        )
        assert (two.year_version("/1/2/", 2026, own=True), two.year_version("/1/", 2026, own=True)) == (
            (0, 0, 1),
            (0, 0, 0),
        )
        assert (two.year_version("/1/", 2026), two.year_version("/1/", 2025)) == ((0, 0, 1), (0, 0, 0))
        with one.transaction(figures=False) as cur:
            cur.execute("UPDATE unit_settings SET value = 'z'")
        assert (two.version, two.figures_version) == (2, 1)
        with one.transaction() as cur:
            cur.execute("DELETE FROM unit_settings")
        assert (two.version, two.figures_version, two.scope_version("/1/3/")) == (3, 2, (1, 0))
        assert two.year_version("/1/2/", 2026, own=True) == (1, 0, 1)
        with one.transaction(data=False) as cur:
            cur.execute("INSERT INTO unit_settings VALUES (2, 'x', 'y')")
        assert two.version == 3 and two.generation == 0
    finally:
        one.close()
        two.close()


def test_writers_in_two_processes_take_turns(postgres_url: str, db_file: Path) -> None:
    """The advisory lock: a second 'process' (its own Database) waits until the first one commits."""
    one = db.connect(postgres_url, files=db_file)
    two = db.connect(postgres_url, files=db_file)
    order: list[str] = []
    inside = threading.Event()

    def second() -> None:
        inside.wait()
        with two.transaction() as cur:
            order.append("two writes")
            cur.execute("INSERT INTO unit_settings VALUES (1, 'b', 'two')")

    thread = threading.Thread(target=second)
    thread.start()
    try:
        with one.transaction() as cur:
            cur.execute("INSERT INTO unit_settings VALUES (1, 'a', 'one')")
            inside.set()
            time.sleep(
                0.3
            )  # time for the second to run into the lock (if there were none, it would write now)
            order.append("one commits")
        thread.join()
        assert order == ["one commits", "two writes"]
        assert one.rows("SELECT key, value FROM unit_settings ORDER BY key") == [("a", "one"), ("b", "two")]
    finally:
        one.close()
        two.close()


def test_an_unreachable_server_is_a_chinese_message(db_file: Path) -> None:
    with pytest.raises(
        DatabaseError, match="无法连接 PostgreSQL 数据库 postgresql://fazhi:\\*\\*\\*@127.0.0.1:1/x"
    ):
        db.connect("postgresql://fazhi:secret@127.0.0.1:1/x", files=db_file)

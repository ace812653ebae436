"""Nothing is lost under load, crashes and odd input: concurrency, SIGKILL, migrations, property tests."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fazhi import auth, db, indicators, records, validation
from fazhi.catalog import Catalog
from fazhi.errors import InvalidRecord, RecordConflict
from fazhi.settings import PROJECT_DIR
from fazhi.units import find_unit
from fazhi.validation import RecordInput

pytestmark = pytest.mark.both_backends  # tests/backends.py: on DuckDB and on PostgreSQL

THREADS, PER_THREAD = 20, 100


def _item(unit_id: int, title: str, materials: int = 10) -> RecordInput:
    return RecordInput(
        "market_day",
        unit_id,
        title,
        date(2021, 5, 1),
        None,
        "市场",
        "",
        {"consultations": 1, "materials": materials, "banners": 1},
    )


@pytest.mark.slow
def test_twenty_threads_save_two_thousand_records(
    demo: db.Database, catalog: Catalog, users: dict[str, auth.User]
) -> None:
    """20 threads × 100 saves through the entry form's function: exactly 2,000 new records, no duplicates."""
    editor = users["editor"]
    unit_id = find_unit(demo, "燕山乡").id
    before = records.record_count(demo)

    def save(thread: int) -> list[int]:
        return [
            records.add_record(demo, editor, catalog, _item(unit_id, f"并发{thread}-{n}"), year=2021).id
            for n in range(PER_THREAD)
        ]

    with ThreadPoolExecutor(THREADS) as pool:
        ids = [i for batch in pool.map(save, range(THREADS)) for i in batch]
    assert len(ids) == len(set(ids)) == THREADS * PER_THREAD
    assert records.record_count(demo) == before + THREADS * PER_THREAD
    titles = demo.rows(
        "SELECT title, count(*) FROM records WHERE title LIKE '并发%' GROUP BY title HAVING count(*) > 1"
    )
    assert titles == []
    audited = demo.one(
        "SELECT count(*) FROM audit_log WHERE action = 'create' AND username = ?", [editor.username]
    )
    assert audited == (THREADS * PER_THREAD,)


def test_two_sessions_edit_the_same_record(
    demo: db.Database, catalog: Catalog, users: dict[str, auth.User]
) -> None:
    """Both open version 1 and save at once: one wins, the other gets the conflict, nothing is overwritten."""
    unit_id = find_unit(demo, "燕山乡").id
    saved = records.add_record(demo, users["editor"], catalog, _item(unit_id, "原标题"), year=2021)
    barrier = threading.Barrier(2)
    outcomes: dict[str, object] = {}

    def edit(who: str) -> None:
        item = _item(unit_id, f"{who}的标题")
        barrier.wait()
        try:
            outcomes[who] = records.update_record(
                demo, users["editor"], catalog, saved.id, item, expected_version=1
            )
        except RecordConflict as error:
            outcomes[who] = error

    threads = [threading.Thread(target=edit, args=(who,)) for who in ("甲", "乙")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    conflicts = [who for who, outcome in outcomes.items() if isinstance(outcome, RecordConflict)]
    winners = [who for who in outcomes if who not in conflicts]
    assert len(conflicts) == 1 and len(winners) == 1
    stored = records.get_record(demo, users["editor"], catalog, saved.id)
    assert stored.title == f"{winners[0]}的标题" and stored.version == 2
    assert str(outcomes[conflicts[0]]).startswith("该记录已被他人修改")


@pytest.mark.slow
def test_dashboard_figures_keep_answering_while_records_are_saved(
    demo: db.Database, catalog: Catalog, users: dict[str, auth.User]
) -> None:
    unit = find_unit(demo, "燕山乡")
    stop = threading.Event()
    seen: list[float] = []
    errors: list[BaseException] = []

    def read() -> None:
        while not stop.is_set():
            try:
                table = indicators.indicator_table(demo, users["viewer"], catalog, unit, 2021).set_index(
                    "code"
                )
                seen.append(table.at["market_day_campaigns", "value"])
            except BaseException as error:  # noqa: BLE001 - any failure of a reader is what this test looks for
                errors.append(error)

    reader = threading.Thread(target=read)
    reader.start()
    try:
        for n in range(200):
            records.add_record(demo, users["editor"], catalog, _item(unit.id, f"边读边写{n}"), year=2021)
    finally:
        stop.set()
        reader.join()
    assert errors == []
    assert len(seen) >= 2
    assert seen == sorted(seen)  # each answer is a consistent snapshot: the count never goes back
    assert (
        indicators.indicator_table(demo, users["viewer"], catalog, unit, 2021)
        .set_index("code")
        .at["market_day_campaigns", "value"]
        == 200
    )


SAVER = textwrap.dedent(
    """
    import sys
    from datetime import date
    from fazhi import auth, db, records
    from fazhi.catalog import load_catalog
    from fazhi.units import find_unit
    catalog = load_catalog()
    database = db.connect(sys.argv[1])
    unit = find_unit(database, "燕山乡")
    n = 0
    while True:
        item = validation.RecordInput("market_day", unit.id, f"崩溃测试{n}", date(2021, 5, 1), None, "", "",
                                   {"consultations": 1, "materials": 2, "banners": 3})
        saved = records.add_record(database, auth.system_user("saver"), catalog, item)
        print(saved.id, flush=True)
        n += 1
    """
)


@pytest.mark.slow
def test_sigkill_loses_nothing_that_was_committed(tmp_path: Path, catalog: Catalog) -> None:
    path = tmp_path / "crash.duckdb"
    subprocess.run(
        [sys.executable, "-m", "fazhi", "demo", "--db", str(path)],
        check=True,
        cwd=PROJECT_DIR,
        capture_output=True,
    )
    saver = subprocess.Popen(
        [sys.executable, "-c", SAVER, str(path)], cwd=PROJECT_DIR, stdout=subprocess.PIPE, text=True
    )
    committed: list[int] = []
    assert saver.stdout is not None
    for line in saver.stdout:
        committed.append(int(line))
        if len(committed) >= 150:
            break
    os.kill(saver.pid, signal.SIGKILL)
    saver.wait()
    committed += [int(line) for line in saver.stdout.read().split()]  # ids printed before the kill landed
    reopened = db.connect(path)
    try:
        stored = {row[0] for row in reopened.rows("SELECT id FROM records WHERE title LIKE '崩溃测试%'")}
        assert set(committed) <= stored
        assert len(stored) - len(committed) <= 1  # at most the save in flight when the kill came
        fresh = db.connect(tmp_path / "fresh.duckdb")
        try:
            assert db.describe_schema(reopened) == db.describe_schema(fresh)
        finally:
            fresh.close()
        values = reopened.rows(
            "SELECT count(*) FROM records r WHERE title LIKE '崩溃测试%'"
            " AND (SELECT count(*) FROM record_values v WHERE v.record_id = r.id) <> 3"
        )
        assert values == [(0,)]  # every record came with all its values, or not at all
    finally:
        reopened.close()
    started = subprocess.run(
        [
            sys.executable,
            "-c",
            "from streamlit.testing.v1 import AppTest; at = AppTest.from_file('app.py', default_timeout=60).run();"
            " assert not at.exception, at.exception; print(at.title[0].value if at.title else at.subheader[0].value)",
        ],
        cwd=PROJECT_DIR,
        env={**os.environ, "FAZHI_DB": str(path)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert started.returncode == 0, started.stderr
    assert "初始化法治政府建设工作台" in started.stdout  # the app starts on the recovered file


MIGRATOR = textwrap.dedent(
    """
    import sys
    from fazhi import db
    slow = ("9000_slow_test_migration",
            "CREATE TABLE big AS SELECT range AS n, md5(range::VARCHAR) AS h FROM range(5000000);"
            " ALTER TABLE units ADD COLUMN probe INTEGER DEFAULT 7;")
    original = db.migrations
    db.migrations = lambda backend="duckdb": original(backend) + [slow]
    print("start", flush=True)
    database = db.connect(sys.argv[1])
    print("done", flush=True)
    """
)


@pytest.mark.slow
@pytest.mark.parametrize("delay", [0.2, 1.0, 2.5, "after it finished"])
def test_a_kill_during_a_migration_leaves_the_old_or_the_new_schema(
    tmp_path: Path, delay: float | str
) -> None:
    path = tmp_path / "migrate.duckdb"
    db.connect(path).close()
    old_schema = db.describe_schema(db.connect(path, migrate=False))
    migrator = subprocess.Popen(
        [sys.executable, "-c", MIGRATOR, str(path)], cwd=PROJECT_DIR, stdout=subprocess.PIPE, text=True
    )
    assert migrator.stdout is not None and migrator.stdout.readline().strip() == "start"
    if isinstance(delay, str):
        assert migrator.stdout.readline().strip() == "done"
    else:
        time.sleep(delay)
    os.kill(migrator.pid, signal.SIGKILL)
    migrator.wait()
    with duckdb.connect(str(path)) as raw:
        applied = [
            row[0] for row in raw.execute("SELECT name FROM schema_migrations ORDER BY name").fetchall()
        ]
        tables = {
            row[0] for row in raw.execute("SELECT table_name FROM information_schema.tables").fetchall()
        }
        columns = {
            row[0]
            for row in raw.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_name = 'units'"
            ).fetchall()
        }
        if delay == "after it finished":
            assert "9000_slow_test_migration" in applied
        if delay == "after it finished":
            assert "9000_slow_test_migration" in applied
        if "9000_slow_test_migration" in applied:
            assert "big" in tables and "probe" in columns
            assert raw.execute("SELECT count(*) FROM big").fetchone() == (5_000_000,)
        else:
            assert "big" not in tables and "probe" not in columns
    if "9000_slow_test_migration" not in applied:
        reopened = db.connect(path)
        try:
            assert db.describe_schema(reopened) == old_schema
        finally:
            reopened.close()


# ───────────── property tests: every input is stored exactly or refused with a message ─────────────

text = st.text(st.characters(codec="utf-8"), max_size=300) | st.sampled_from(
    [
        "",
        " ",
        "{{ x }}",
        "{% if %}",
        "<b>&</b>",
        "=1+1",
        "\x00\x1b\t\n",
        "长" * 6000,
        "\U0001f600\u200b\ufeff" * 50,
    ]
)
numbers = (
    st.none()
    | st.integers(min_value=-(10**12), max_value=10**12)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.sampled_from(["", "12", "1,200", "三", "1e3", " 7 ", "nan", "inf", "-5"])
)
days = (
    st.dates(min_value=date(1900, 1, 1), max_value=date(2200, 12, 31))
    | st.none()
    | st.sampled_from(["2021-02-30", "不是日期", "2021年3月5日"])
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(title=text, summary=text, place=text, start=days, end=days, consultations=numbers, materials=numbers)
@pytest.mark.slow
def test_form_input_is_stored_exactly_or_refused(
    demo: db.Database, catalog: Catalog, title, summary, place, start, end, consultations, materials
) -> None:
    unit_id = find_unit(demo, "燕山乡").id
    item = RecordInput(
        "market_day",
        unit_id,
        title,
        start,
        end,
        place,
        summary,
        {"consultations": consultations, "materials": materials},
    )
    before = records.record_count(demo)
    try:
        saved = records.add_record(demo, auth.system_user("hypothesis"), catalog, item, year=2021)
    except InvalidRecord as error:
        assert error.problems and all(p.message.strip() for p in error.problems)
        assert records.record_count(demo) == before
        return
    cleaned, _ = validation.validate(catalog, item, 2021)
    stored = records.get_record(demo, auth.system_user("hypothesis"), catalog, saved.id)
    assert (stored.title, stored.summary, stored.place) == (cleaned.title, cleaned.summary, cleaned.place)
    assert (stored.start_on, stored.end_on) == (cleaned.start_on, cleaned.end_on)
    assert stored.values == cleaned.values
    assert stored.start_on.year == 2021 and stored.end_on >= stored.start_on
    assert all(v >= 0 and float(v).is_integer() for v in stored.values.values())
    assert records.record_count(demo) == before + 1


SAVER = textwrap.dedent(
    """
    import sys
    from concurrent.futures import ThreadPoolExecutor
    from datetime import date
    from fazhi import auth, db, records
    from fazhi.catalog import load_catalog
    from fazhi.validation import RecordInput

    url, user_id, unit_id, process, threads, per_thread = sys.argv[1:]
    catalog = load_catalog()
    database = db.connect(url)
    editor = auth.load_user(database, int(user_id))

    def save(thread):
        return [
            records.add_record(
                database, editor, catalog,
                RecordInput("market_day", int(unit_id), f"进程{process}-{thread}-{n}", date(2021, 5, 1), None,
                            "市场", "", {"consultations": 1, "materials": 10, "banners": 1}),
                year=2021,
            ).id
            for n in range(int(per_thread))
        ]

    with ThreadPoolExecutor(int(threads)) as pool:
        ids = [i for batch in pool.map(save, range(int(threads))) for i in batch]
    print(" ".join(map(str, ids)))
    """
)


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
def test_two_processes_save_two_thousand_records_into_one_postgres_database(
    demo: db.Database, users: dict[str, auth.User], backend: str
) -> None:
    """Two app processes × 10 threads × 100 saves on one PostgreSQL database: exactly 2,000 new records, every
    id once, each audited, and both processes' writes serialized by the advisory lock."""
    editor = users["editor"]
    unit_id = find_unit(demo, "燕山乡").id
    before = records.record_count(demo)
    version = demo.version
    runs = [
        subprocess.Popen(
            [sys.executable, "-c", SAVER, demo.target, str(editor.id), str(unit_id), str(p), "10", "100"],
            cwd=PROJECT_DIR,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for p in (1, 2)
    ]
    outputs = [run.communicate(timeout=600) for run in runs]
    assert [run.returncode for run in runs] == [0, 0], [err[-2000:] for _, err in outputs]
    ids = [int(i) for out, _ in outputs for i in out.split()]
    assert len(ids) == len(set(ids)) == 2000
    assert records.record_count(demo) == before + 2000
    assert (
        demo.rows("SELECT title FROM records WHERE title LIKE '进程%' GROUP BY title HAVING count(*) > 1")
        == []
    )
    audited = demo.one(
        "SELECT count(*) FROM audit_log WHERE action = 'create' AND username = ?", [editor.username]
    )
    assert audited == (2000,)
    time.sleep(db.VERSION_POLL)  # this process reads the other processes' commits at most this late
    assert demo.version == version + 2000


@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
def test_two_processes_edit_the_same_record_one_wins(
    demo: db.Database, catalog: Catalog, users: dict[str, auth.User], backend: str
) -> None:
    """Eight editors in two 'processes' (two Database objects: separate pools and write locks, so only the
    advisory lock is shared) save version 1 at once: one wins, seven get the conflict."""
    other = db.connect(demo.target, files=demo.path)
    unit_id = find_unit(demo, "燕山乡").id
    saved = records.add_record(demo, users["editor"], catalog, _item(unit_id, "原标题"), year=2021)
    barrier = threading.Barrier(8)
    outcomes: dict[int, object] = {}

    def edit(n: int) -> None:
        barrier.wait()
        try:
            outcomes[n] = records.update_record(
                (demo, other)[n % 2],
                users["editor"],
                catalog,
                saved.id,
                _item(unit_id, f"标题{n}"),
                expected_version=1,
            )
        except RecordConflict as error:
            outcomes[n] = error

    try:
        threads = [threading.Thread(target=edit, args=(n,)) for n in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        other.close()
    winners = [n for n, outcome in outcomes.items() if not isinstance(outcome, RecordConflict)]
    assert len(winners) == 1 and len(outcomes) == 8
    stored = records.get_record(demo, users["editor"], catalog, saved.id)
    assert stored.title == f"标题{winners[0]}" and stored.version == 2

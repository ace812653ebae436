"""fazhi.database_copy and `python -m fazhi database copy`: an installation moved to PostgreSQL and back."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from fazhi import auth, database_copy, db, locks, records
from fazhi.__main__ import main
from fazhi.catalog import Catalog
from fazhi.errors import DatabaseError
from fazhi.units import find_unit


def _contents(database: db.Database) -> dict[str, list[str]]:
    """Every row of every copied table, as text, in a stable order."""
    return {
        t: sorted(map(repr, database.rows(f'SELECT * FROM "{t}"'))) for t in database_copy.tables(database)
    }


@pytest.fixture
def full(demo: db.Database, users: dict[str, auth.User], catalog: Catalog) -> db.Database:
    """The demo with accounts, a 封账 (JSON), a submission (a BLOB) and a deleted record."""
    township = find_unit(demo, "燕山乡")
    first = demo.one("SELECT min(id) FROM records")[0]  # type: ignore[index]
    records.delete_record(demo, users["admin"], catalog, first)
    locks.lock_year(demo, users["admin"], township, 2019, frozen={"names": {"1": "万州区"}, "说明": "冻结"})
    with demo.transaction() as cur:
        cur.execute(
            "INSERT INTO submissions (unit_id, year, round, state, submitted_by, submitted_at, record_count,"
            " records_sha256, docx, docx_sha256, indicators, indicators_sha256, evidence)"
            " VALUES (?, 2020, 1, 'submitted', 'x', ?, 3, 'r', ?, 'd', '[]', 'i', '[]')",
            [township.id, datetime(2021, 1, 5, 9, 30, 15, 123456), b"PK\x03\x04\x00\xff binary"],
        )
    return demo


def test_a_file_goes_to_postgres_and_back_unchanged(
    full: db.Database, postgres_url: str, tmp_path: Path
) -> None:
    pg = db.connect(postgres_url, files=full.path)
    back = db.connect(tmp_path / "back" / "fazhi.duckdb")
    try:
        there = database_copy.copy(full, pg)
        again = database_copy.copy(pg, back)
        assert there.rows == again.rows
        assert there.rows["records"] == 89 and there.rows["users"] == 6 and there.rows["submissions"] == 1
        assert _contents(pg) == _contents(full)
        assert _contents(back) == _contents(full)
        assert pg.one("SELECT docx FROM submissions") == (b"PK\x03\x04\x00\xff binary",)
        # the planner knows the copied sizes at once (ANALYZE), not after autovacuum gets round to it
        assert pg.one("SELECT reltuples FROM pg_class WHERE relname = 'records'") == (89.0,)
        # new ids continue after the copied ones, on both
        top = full.one("SELECT max(id) FROM records")[0]  # type: ignore[index]
        for target in (pg, back):
            with target.transaction() as cur:
                assert cur.execute("SELECT nextval('record_id_seq')").fetchone() == (top + 1,)
    finally:
        pg.close()
        back.close()


def test_a_target_with_data_is_refused_and_left_alone(demo: db.Database, postgres_url: str) -> None:
    pg = db.connect(postgres_url, files=demo.path)
    try:
        database_copy.copy(demo, pg)
        before = _contents(pg)
        with pytest.raises(DatabaseError, match="已有数据（表 units 有 6 行），未作任何改动"):
            database_copy.copy(demo, pg)
        assert _contents(pg) == before
    finally:
        pg.close()


def test_the_command_copies_and_says_what_it_did(
    demo: db.Database, postgres_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = demo.path
    demo.close()  # the command opens the file itself
    assert main(["database", "copy", "--from", str(source), "--to", postgres_url]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0] == (
        f"已把 {source} 复制到 {postgres_url}：18 个表共 360 行，其中记录 89 条，各表行数已核对一致。"
    )
    assert main(["database", "copy", "--from", str(source), "--to", postgres_url]) == 2
    assert "已有数据" in capsys.readouterr().err
    copied = tmp_path / "copied" / "fazhi.duckdb"
    assert main(["database", "copy", "--from", postgres_url, "--to", str(copied)]) == 0
    assert "佐证材料和报告模板文件" in capsys.readouterr().out
    assert main(["indicators", "--db", postgres_url, "--unit", "燕山乡", "--year", "2020"]) == 0
    on_pg = capsys.readouterr().out
    assert main(["indicators", "--db", str(copied), "--unit", "燕山乡", "--year", "2020"]) == 0
    assert capsys.readouterr().out == on_pg
    assert main(["database", "copy", "--from", str(tmp_path / "none.duckdb"), "--to", str(copied)]) == 2
    assert "找不到数据库文件" in capsys.readouterr().err

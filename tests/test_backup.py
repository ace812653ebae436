"""fazhi.backup: a backup restores exactly; a broken or foreign zip is refused and changes nothing."""

from __future__ import annotations

import hashlib
import io
import json
import os
import random
import subprocess
import sys
import threading
import zipfile
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from fazhi import auth, backup, db, locks, postgres, records
from fazhi.__main__ import main
from fazhi.catalog import Catalog
from fazhi.errors import DatabaseError, InvalidBackup, PermissionDenied
from fazhi.settings import PROJECT_DIR, attachments_dir, backups_dir
from fazhi.units import find_unit
from fazhi.validation import RecordInput
from tests.conftest import make_user

SYSTEM = auth.system_user("测试")


def add_attachment(database: db.Database, record_id: int, content: bytes, filename: str) -> str:
    """Store an evidence file the way the entry pages do: by content hash, with its rows."""
    sha = hashlib.sha256(content).hexdigest()
    path = attachments_dir(database.path) / sha[:2] / sha
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    with database.transaction() as cur:
        cur.execute("INSERT INTO attachments VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
                    [sha, len(content), "image/jpeg", datetime(2020, 3, 15, 10, 0)])  # fmt: skip
        cur.execute(
            "INSERT INTO record_attachments (record_id, sha256, filename, uploaded_by, uploaded_at)"
            " VALUES (?, ?, ?, ?, ?)",
            [record_id, sha, filename, "测试", datetime(2020, 3, 15, 10, 1)],
        )
    return sha


@pytest.fixture
def full(demo: db.Database, catalog: Catalog, users: dict[str, auth.User]) -> db.Database:
    """The demo with every kind of data: records (one deleted), narratives, targets, settings, a lock,
    users, evidence files (one shared by two records), and text with & < > {{ }} and newlines."""
    township = find_unit(demo, "燕山乡")
    saved = records.add_record(
        demo,
        users["editor"],
        catalog,
        RecordInput("market_day", township.id, "宣传 & <b>{{ x }}</b>", date(2021, 3, 15),
                    summary="第一行\n第二行 \"引号\" ' 单引号", values={"materials": 10}),
    )  # fmt: skip
    records.delete_record(demo, users["editor"], catalog, 1)
    rng = random.Random(7)
    photos = [bytes(rng.getrandbits(8) for _ in range(size)) for size in (0, 1, 150_000)]
    for number, photo in enumerate(photos):
        add_attachment(demo, saved.id, photo, f"照片{number}.jpg")
    add_attachment(demo, 2, photos[2], "同一张照片.jpg")
    with demo.transaction() as cur:
        cur.execute("INSERT INTO narratives VALUES (2020, ?, 'summary', ?, '测试', now(), NULL)",
                    [township.id, "一、工作开展情况\n（一）& < > {{ }}"])  # fmt: skip
        cur.execute("INSERT INTO targets VALUES (2020, ?, 'study_group', 4, '测试', now())", [township.id])
        cur.execute("INSERT INTO unit_settings VALUES (?, 'recipient', '区委、区政府')", [township.id])
    locks.lock_year(demo, users["admin"], township, 2019)
    return demo


def dump(database: db.Database) -> dict[str, list[tuple]]:
    """Every row of every table, in a fixed order."""
    tables = [
        r[0]
        for r in database.rows(
            "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database()"
        )
    ]
    return {t: database.rows(f'SELECT * FROM "{t}" ORDER BY ALL') for t in sorted(tables)}


def files(folder: Path) -> dict[str, bytes]:
    """Every file under the folder by relative path, with its bytes."""
    if not folder.exists():
        return {}
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


def test_backup_then_restore_into_an_empty_folder_is_exact(full: db.Database, tmp_path: Path) -> None:
    out = tmp_path / "backup.zip"
    manifest = backup.create_backup(full, SYSTEM, out)
    assert manifest.records == 90
    assert manifest.attachments == 3
    assert manifest.tables["record_attachments"] == 4
    assert manifest.tables["users"] == 6
    assert manifest.schema_version == db.schema_version(full)
    with zipfile.ZipFile(out) as archive:
        names = sorted(archive.namelist())
        for name, expected in manifest.members.items():
            assert hashlib.sha256(archive.read(name)).hexdigest() == expected["sha256"]
    assert names == sorted(
        ["manifest.json", "fazhi.duckdb", *(f"attachments/{k}" for k in files(attachments_dir(full.path)))]
    )

    target = tmp_path / "empty" / "restored.duckdb"
    assert not target.parent.exists()
    result = backup.restore_file(out, target)
    assert result.saved_before is None  # nothing was there to keep
    restored = db.connect(target)
    try:
        expected, actual = dump(full), dump(restored)
        # the source logged the backup after its snapshot; the copy logged its restore
        assert actual["audit_log"][:-1] == expected["audit_log"][:-1]
        assert expected["audit_log"][-1][3:5] == ("backup", "database")
        assert actual["audit_log"][-1][3:5] == ("restore_backup", "database")
        del expected["audit_log"], actual["audit_log"]
        assert actual == expected
        assert files(attachments_dir(target)) == files(attachments_dir(full.path))
        assert db.schema_version(restored) == db.schema_version(full)
        # sequences continue where they were: new ids never collide with restored ones
        new = records.add_record(
            restored, SYSTEM, sample_catalog(),
            RecordInput("market_day", find_unit(restored, "燕山乡").id, "恢复后新增", date(2022, 1, 3)),
        )  # fmt: skip
        assert new.id == 91
    finally:
        restored.close()


def sample_catalog() -> Catalog:
    from fazhi.catalog import load_catalog

    return load_catalog()


def test_the_zip_member_checksums_are_real(full: db.Database, tmp_path: Path) -> None:
    out = tmp_path / "backup.zip"
    backup.create_backup(full, SYSTEM, out)
    with zipfile.ZipFile(out) as archive:
        manifest = json.loads(archive.read("manifest.json"))
        for name in archive.namelist():
            if name.startswith("attachments/"):
                assert hashlib.sha256(archive.read(name)).hexdigest() == name.rsplit("/", 1)[1]
    assert manifest["format"] == "fazhi-backup" and manifest["created_by"] == "测试"
    assert backup.verify(out).tables == manifest["tables"]


def _rewrite(source: Path, target: Path, change) -> None:
    """Copy a zip member by member, letting `change(name, data)` return new bytes (or None to drop it)."""
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        for info in old.infolist():
            data = change(info.filename, old.read(info))
            if data is not None:
                new.writestr(info.filename, data)


def _flip(data: bytes, at: int) -> bytes:
    return data[:at] + bytes([data[at] ^ 0xFF]) + data[at + 1 :]


def _manifest_edit(edit):
    def change(name: str, data: bytes) -> bytes:
        if name != "manifest.json":
            return data
        manifest = json.loads(data)
        edit(manifest)
        return json.dumps(manifest).encode()

    return change


def _flip_inside_the_big_photo(raw: bytes) -> bytes:
    """Damage one byte in the middle of the stored (uncompressed) 150 000-byte photo: the zip's CRC catches it."""
    with zipfile.ZipFile(io.BytesIO(raw)) as archive:
        info = next(i for i in archive.infolist() if i.file_size == 150_000)
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    return _flip(raw, start + 75_000)


def _breakers():
    def big(name: str, data: bytes) -> bool:
        return name.startswith("attachments/") and len(data) == 150_000

    return {
        "not_a_zip": ("raw", lambda raw: b"PK\x03\x04 not really a zip" * 100, "这不是完整的备份文件"),
        "truncated": ("raw", lambda raw: raw[: len(raw) // 2], "这不是完整的备份文件"),
        "bit_flip_in_stored_photo": ("raw", _flip_inside_the_big_photo, "备份已损坏：无法读出“attachments/"),
        "foreign_zip": (
            "zip",
            lambda n, d: None if n == "manifest.json" else d,
            "不是本程序的备份（缺少 manifest.json）",
        ),
        "other_program": (
            "zip",
            _manifest_edit(lambda m: m.update(format="something-else")),
            "不是本程序的备份（清单无法识别）",
        ),
        "newer_schema": (
            "zip",
            _manifest_edit(lambda m: m.update(schema_version="9999_future")),
            "不是本程序认识的版本",
        ),
        "newer_format": (
            "zip",
            _manifest_edit(lambda m: m.update(format_version=99)),
            "由更新版本的程序生成",
        ),
        "database_changed": (
            "zip",
            lambda n, d: _flip(d, len(d) // 2) if n == "fazhi.duckdb" else d,
            "“fazhi.duckdb”的校验值与清单不符",
        ),
        "photo_changed": ("zip", lambda n, d: _flip(d, 10) if big(n, d) else d, "的校验值与清单不符"),
        "photo_missing": ("zip", lambda n, d: None if big(n, d) else d, "备份不完整：缺少“attachments/"),
        "counts_changed": (
            "zip",
            _manifest_edit(lambda m: m["tables"].update(records=91)),
            "records 的行数不同",
        ),
        "zip_slip": (
            "zip",
            _manifest_edit(
                lambda m: m["members"].update({"../../evil.txt": {"sha256": "0" * 64, "size": 1}})
            ),
            "备份中有不认识的文件“../../evil.txt”",
        ),
        "content_not_its_name": ("swap", None, "的内容与文件名不符"),
    }


BREAKERS = _breakers()


@pytest.mark.parametrize("how", BREAKERS, ids=str)
def test_a_broken_or_foreign_zip_is_refused_and_changes_nothing(
    full: db.Database, tmp_path: Path, how: str
) -> None:
    good = tmp_path / "good.zip"
    backup.create_backup(full, SYSTEM, good)
    bad = tmp_path / "bad.zip"
    kind, change, message = BREAKERS[how]
    if kind == "raw":
        bad.write_bytes(change(good.read_bytes()))
    elif kind == "zip":
        _rewrite(good, bad, change)
    else:  # an attachment whose bytes and checksum were both replaced: only its name gives it away
        manifest = json.loads(zipfile.ZipFile(good).read("manifest.json"))
        name = next(
            n for n, m in manifest["members"].items() if n.startswith("attachments/") and m["size"] == 1
        )
        manifest["members"][name] = {"sha256": hashlib.sha256(b"X").hexdigest(), "size": 1}
        _rewrite(
            good,
            bad,
            lambda n, d: b"X" if n == name else json.dumps(manifest).encode() if n == "manifest.json" else d,
        )

    before_rows, before_files = dump(full), files(attachments_dir(full.path))
    generation = full.generation
    with pytest.raises(InvalidBackup) as caught:
        backup.restore(full, SYSTEM, bad)
    assert message in str(caught.value)
    assert str(caught.value).endswith("未作任何改动。")
    assert dump(full) == before_rows
    assert files(attachments_dir(full.path)) == before_files
    assert full.generation == generation
    assert not list(full.path.parent.glob(".fazhi-tmp-*"))  # no leftovers
    assert not list(backups_dir(full.path).glob("*.zip"))  # refused before saving anything


def test_restoring_into_the_running_database_swaps_under_every_session(
    full: db.Database, catalog: Catalog, tmp_path: Path
) -> None:
    """The app's shared Database object: sessions keep using it and see the restored data at once."""
    out = tmp_path / "before.zip"
    backup.create_backup(full, SYSTEM, out)
    before = dump(full)
    before_files = files(attachments_dir(full.path))
    later = records.add_record(
        full, SYSTEM, catalog, RecordInput("market_day", 2, "备份之后新增", date(2021, 5, 1))
    )
    add_attachment(full, later.id, b"a photo taken after the backup", "后来.jpg")

    stop, failures, reads = threading.Event(), [], [0]

    def reader() -> None:  # another browser session reading all the time
        while not stop.is_set():
            try:
                full.one("SELECT count(*) FROM records")
                reads[0] += 1
            except Exception as error:  # noqa: BLE001 - any failure is the finding
                failures.append(error)

    threads = [threading.Thread(target=reader) for _ in range(3)]
    for thread in threads:
        thread.start()
    try:
        result = backup.restore(full, SYSTEM, out)
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    assert failures == [] and reads[0] > 0
    assert full.generation == 1
    after = dump(full)
    assert (
        after["audit_log"][:-1] == before["audit_log"][:-1]
    )  # the backup's own entry came after its snapshot
    del after["audit_log"], before["audit_log"]
    assert after == before
    assert files(attachments_dir(full.path)) == before_files
    assert result.saved_before is not None and result.saved_before.parent == backups_dir(full.path)

    # the data from just before the restore was kept, and restores too
    backup.restore(full, SYSTEM, result.saved_before)
    assert records.get_record(full, SYSTEM, catalog, later.id).title == "备份之后新增"
    assert b"a photo taken after the backup" in files(attachments_dir(full.path)).values()


def test_an_older_backup_is_upgraded_on_restore(tmp_path: Path) -> None:
    """A backup made by an earlier version (fewer migrations) restores and gains the newer tables."""
    old = tmp_path / "old.duckdb"
    names = db.migrations()
    with duckdb.connect(str(old)) as raw:
        raw.execute(
            "CREATE TABLE schema_migrations (name VARCHAR PRIMARY KEY, applied_at TIMESTAMP NOT NULL)"
        )
        for name, sql in names[:2]:
            raw.execute(sql)
            raw.execute("INSERT INTO schema_migrations VALUES (?, now())", [name])
        raw.execute("INSERT INTO units (name, level, path) VALUES ('老乡', 'township', '/1/')")
        raw.execute(
            "INSERT INTO users (username, display_name, password_hash, role, unit_id, created_at)"
            " VALUES ('admin', '管理员', 'x', 'admin', 1, now())"
        )
    older = db.connect(old, migrate=False)
    try:
        manifest = backup.create_backup(older, SYSTEM, tmp_path / "old.zip")
    finally:
        older.close()
    assert manifest.schema_version == names[1][0]
    target = tmp_path / "new" / "fazhi.duckdb"
    backup.restore_file(tmp_path / "old.zip", target)
    with db.connect(target) as restored:
        assert db.schema_version(restored) == names[-1][0]
        assert restored.rows("SELECT name FROM units") == [("老乡",)]


def test_only_an_administrator_of_the_top_unit_backs_up(
    full: db.Database, users: dict[str, auth.User], tmp_path: Path
) -> None:
    for role in ("admin", "editor", "viewer", "village_editor"):
        assert not backup.may_back_up(users[role])
        with pytest.raises(PermissionDenied):
            backup.create_backup(full, users[role], tmp_path / f"{role}.zip")
        with pytest.raises(PermissionDenied):
            backup.restore(full, users[role], tmp_path / "any.zip")
        assert not (tmp_path / f"{role}.zip").exists()
    manifest = backup.create_backup(full, users["county_admin"], tmp_path / "county.zip")
    assert manifest.created_by == users["county_admin"].username
    entry = full.one(
        "SELECT username, action, entity, after_json->>'file' FROM audit_log ORDER BY id DESC LIMIT 1"
    )
    assert entry == (users["county_admin"].username, "backup", "database", "county.zip")


def test_daily_backup_once_a_day_and_pruned(full: db.Database, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAZHI_BACKUP_KEEP_DAYS", "3")
    day = datetime(2026, 3, 1, 8, 0)
    made = [backup.daily_backup(full, day + timedelta(days=n)) for n in range(6)]
    assert all(made)
    assert backup.daily_backup(full, day + timedelta(days=5, hours=9)) is None  # once a day
    kept = [b.created_at.date() for b in backup.list_backups(full.path)]
    assert kept == [date(2026, 3, d) for d in (6, 5, 4, 3)]  # newer than 3 days before the last run
    assert backup.verify(made[-1]).records == 90
    audit_rows = full.one("SELECT count(*) FROM audit_log WHERE action = 'backup'")[0]
    assert audit_rows == 0  # automatic backups are not audit events
    assert [b.kind for b in backup.list_backups(full.path)] == ["auto"] * 4


def test_of_processes_sharing_the_folder_one_makes_the_days_backup(
    full: db.Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Several app processes on one PostgreSQL database share the backups folder: the first to claim the
    day makes its automatic backup, the others none; a failed backup gives the claim back."""
    day = datetime(2026, 3, 1, 8, 0)
    assert backup._claim_day(full.path, day) is not None  # another process claimed 3月1日 first
    assert backup.daily_backup(full, day) is None
    assert backup.list_backups(full.path) == []

    def broken(*args, **kwargs):
        raise DatabaseError("磁盘已满")

    next_day = day + timedelta(days=1)
    with monkeypatch.context() as patched:
        patched.setattr(backup, "create_backup", broken)
        with pytest.raises(DatabaseError):
            backup.daily_backup(full, next_day)
    made = backup.daily_backup(full, next_day + timedelta(hours=1))  # the claim was given back
    assert made is not None and [b.path for b in backup.list_backups(full.path)] == [made]
    claims = sorted(p.name for p in backups_dir(full.path).glob(".auto-*.claim"))
    assert claims == [".auto-20260302.claim"]  # 3月1日's was pruned with the old backups


def test_prune_keeps_the_newest_and_never_touches_other_backups(full: db.Database) -> None:
    folder = backups_dir(full.path)
    folder.mkdir(parents=True)
    for name in ("fazhi-auto-20200101-080000.zip", "fazhi-backup-20200101-080000.zip", "燕山乡.zip"):
        (folder / name).write_bytes(b"x")
    assert backup.prune(full.path, 30, datetime(2026, 1, 1)) == []  # the only automatic one is the newest
    (folder / "fazhi-auto-20200102-080000.zip").write_bytes(b"x")
    assert backup.prune(full.path, 30, datetime(2026, 1, 1)) == [folder / "fazhi-auto-20200101-080000.zip"]
    assert sorted(p.name for p in folder.iterdir()) == [
        "fazhi-auto-20200102-080000.zip",
        "fazhi-backup-20200101-080000.zip",
        "燕山乡.zip",
    ]
    assert [b.kind for b in backup.list_backups(full.path)] == [
        "other",
        "auto",
        "backup",
    ]  # by time, newest first


def test_no_daily_backup_of_an_empty_database(database: db.Database) -> None:
    assert backup.daily_backup(database) is None
    assert backup.list_backups(database.path) == []


def test_a_failed_daily_backup_only_warns(full: db.Database, monkeypatch, caplog) -> None:
    def broken(*args, **kwargs):
        raise DatabaseError("磁盘已满")

    monkeypatch.setattr(backup, "create_backup", broken)
    assert backup.daily_backup_quietly(full) is None
    assert "自动备份失败：磁盘已满" in caplog.text


def test_replace_with_a_broken_file_keeps_the_old_one(full: db.Database, tmp_path: Path) -> None:
    junk = tmp_path / "junk.duckdb"
    junk.write_bytes(b"not a database" * 1000)
    before = dump(full)
    with pytest.raises(DatabaseError):
        full.replace_with(junk)
    assert dump(full) == before
    assert full.generation == 0
    assert not list(full.path.parent.glob("*.replaced-*"))


def test_cli_backup_and_restore(full: db.Database, tmp_path: Path, capsys) -> None:
    expected = dump(full)
    full.close()
    out = tmp_path / "cli.zip"
    assert main(["backup", "--db", str(full.path), "--out", str(out)]) == 0
    version = db.migrations()[-1][0]
    assert capsys.readouterr().out == f"已备份到 {out}：90 条记录，3 个佐证材料文件，结构版本 {version}。\n"
    target = tmp_path / "cli-restored" / "fazhi.duckdb"
    assert main(["restore", "--db", str(target), str(out)]) == 0
    assert "90 条记录，3 个佐证材料文件" in capsys.readouterr().out
    with db.connect(target) as restored:
        actual = dump(restored)
    assert (
        actual["audit_log"][:-1] == expected["audit_log"]
    )  # the CLI logged its backup in the snapshot's file
    del actual["audit_log"], expected["audit_log"]
    assert actual == expected
    assert files(attachments_dir(target)) == files(attachments_dir(full.path))
    assert main(["backup", "--db", str(target)]) == 0  # default: into the backups folder
    assert [b.kind for b in backup.list_backups(target)] == ["backup"]


def test_cli_restore_refuses_while_the_app_holds_the_file(full: db.Database, tmp_path: Path) -> None:
    out = tmp_path / "held.zip"
    backup.create_backup(full, SYSTEM, out)
    before = dump(full)
    result = subprocess.run(
        [sys.executable, "-m", "fazhi", "restore", "--db", str(full.path), str(out)],
        capture_output=True, text=True, cwd=PROJECT_DIR, timeout=120,
    )  # fmt: skip
    assert result.returncode == 2
    assert "正被另一个程序打开" in result.stderr and "Traceback" not in result.stderr
    assert dump(full) == before


def test_cli_restore_of_a_missing_or_broken_file(tmp_path: Path, capsys) -> None:
    target = tmp_path / "t.duckdb"
    assert main(["restore", "--db", str(target), str(tmp_path / "nope.zip")]) == 2
    assert capsys.readouterr().err == f"错误：找不到备份文件 {tmp_path / 'nope.zip'}。\n"
    (tmp_path / "x.zip").write_bytes(b"hello")
    assert main(["restore", "--db", str(target), str(tmp_path / "x.zip")]) == 2
    assert "这不是完整的备份文件" in capsys.readouterr().err
    assert not target.exists()  # a refused restore onto a new path leaves no empty database behind


def test_restore_from_an_uploaded_file_object(full: db.Database, tmp_path: Path) -> None:
    out = tmp_path / "up.zip"
    backup.create_backup(full, SYSTEM, out)
    upload = io.BytesIO(out.read_bytes())
    upload.name = "上传的备份.zip"
    result = backup.restore(full, SYSTEM, upload)
    assert result.manifest.records == 90
    assert full.one("SELECT after_json->>'file' FROM audit_log ORDER BY id DESC LIMIT 1") == (
        "上传的备份.zip",
    )


def test_writes_work_after_a_restore(full: db.Database, tmp_path: Path) -> None:
    out = tmp_path / "u.zip"
    backup.create_backup(full, SYSTEM, out)
    backup.restore(full, SYSTEM, out)
    created = make_user(full, "示例二村", "viewer")
    assert auth.load_user(full, created.id).unit_name == "示例二村"
    assert full.one("SELECT action, entity FROM audit_log ORDER BY id DESC LIMIT 1") == ("create", "user")


def test_a_failed_folder_swap_leaves_the_attachments_in_place(
    full: db.Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Windows refuses to rename a folder while a file in it is open: the restore stops, nothing moved."""
    out = tmp_path / "b.zip"
    backup.create_backup(full, SYSTEM, out)
    before_rows, before_files = dump(full), files(attachments_dir(full.path))
    real_replace = os.replace

    def refuse_second_move(src, dst):
        if Path(src).name == "attachments" and Path(dst) == attachments_dir(full.path):
            raise PermissionError(13, "另一个程序正在使用此文件")
        return real_replace(src, dst)

    monkeypatch.setattr(backup.os, "replace", refuse_second_move)
    with pytest.raises(DatabaseError, match="恢复时无法读写文件：另一个程序正在使用此文件。未作任何改动。"):
        backup.restore(full, SYSTEM, out)
    assert files(attachments_dir(full.path)) == before_files
    assert dump(full) == before_rows


# ───────────── PostgreSQL (issue 16) ─────────────


def _rows(database: db.Database, *skip: str) -> dict[str, list[str]]:
    """Every row of every table but `skip` (and the cache counters), as text, in a stable order."""
    names = [
        r[0]
        for r in database.rows(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()"
            " AND table_name <> 'data_versions'"
        )
    ]
    return {t: sorted(map(repr, database.rows(f'SELECT * FROM "{t}"'))) for t in names if t not in skip}


@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
def test_a_postgres_backup_restores_into_postgres_and_into_a_file(
    full: db.Database, tmp_path: Path, catalog: Catalog, backend: str
) -> None:
    """The same zip as the file's (its tables in a DuckDB file, backend "postgres" in the manifest): restored
    into the running PostgreSQL database after a change, and onto a new computer's file."""
    before = _rows(full)
    out = tmp_path / "pg.zip"
    manifest = backup.create_backup(full, SYSTEM, out)
    assert (manifest.backend, manifest.records, manifest.attachments) == ("postgres", 90, 3)
    with zipfile.ZipFile(out) as archive:
        assert json.loads(archive.read(backup.MANIFEST))["backend"] == "postgres"
        dump = tmp_path / backup.PG_DUMP_MEMBER
        dump.write_bytes(archive.read(backup.PG_DUMP_MEMBER))
    assert backup.PG_DUMP_MEMBER in manifest.members  # PostgreSQL's own dump of the same moment
    listing = subprocess.run(["pg_restore", "--list", str(dump)], capture_output=True, text=True, check=True)
    assert "TABLE DATA public records" in listing.stdout and "TABLE DATA public attachments" in listing.stdout
    name = f"fazhi_dump_{os.getpid()}"
    server = full.target
    postgres.create_database(server, name)
    try:  # an administrator's pg_restore gets the same rows
        into = postgres.with_database(server, name)
        subprocess.run(
            ["pg_restore", "--no-owner", "--dbname", into, str(dump)], capture_output=True, check=True
        )
        with db.connect(into, files=tmp_path / "dumped" / "fazhi.duckdb", migrate=False) as dumped:
            assert records.record_count(dumped) == 90
    finally:
        postgres.drop_database(server, name)
    generation = full.generation
    township = find_unit(full, "燕山乡")
    records.add_record(
        full, SYSTEM, catalog, RecordInput("market_day", township.id, "恢复后消失", date(2021, 4, 1))
    )
    restored = backup.restore(full, SYSTEM, out)
    assert restored.saved_before is not None  # the changed data was saved first, as on the file
    assert full.generation == generation + 1
    skip = ("audit_log", "sessions")  # the restore is audited and ends sessions
    assert _rows(full, *skip) == {t: rows for t, rows in before.items() if t not in skip}
    assert records.record_count(full) == 90
    elsewhere = tmp_path / "elsewhere" / "fazhi.duckdb"
    backup.restore_file(out, elsewhere)
    with db.connect(elsewhere) as copy:
        assert _rows(copy, *skip, "schema_migrations") == _rows(full, *skip, "schema_migrations")

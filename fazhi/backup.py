"""备份与恢复: one zip holding a consistent snapshot of the database, the evidence files (佐证材料) and a
manifest of row counts and sha256 checksums; a restore checks all of it in new files before swapping them in.

Zip layout:
    manifest.json                      format, schema version, row count per table, sha256 and size per member
    fazhi.duckdb                       the database, copied under the write lock (COPY FROM DATABASE)
    attachments/<sha256[:2]>/<sha256>  every evidence file, as stored beside the database

Over 400 lines on purpose: writing a backup and checking one before a restore are two halves of one
format (the manifest, the member names, the checksums), and the checks are the security boundary of
restore (issue 10), so they stay beside what they check.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import shutil
import subprocess
import tempfile
import uuid
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import IO, Any

from fazhi import archives, audit, database_copy, sessions
from fazhi.db import (
    Database,
    applied_migrations,
    apply_migrations,
    connect,
    migrations,
    schema_version,
    single,
)
from fazhi.errors import DatabaseError, FazhiError, InvalidBackup, NotFound, PermissionDenied
from fazhi.permissions import User, require_admin, system_user
from fazhi.settings import attachments_dir, backup_keep_days, backups_dir

log = logging.getLogger(__name__)

FORMAT = "fazhi-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
DB_MEMBER = "fazhi.duckdb"
# PostgreSQL's own dump of the same moment (pg_dump's custom format), beside the DuckDB copy the app restores
# from: for a database administrator's `pg_restore`, checked like every member, never restored by the app.
PG_DUMP_MEMBER = "postgres.dump"
_ATTACHMENT = re.compile(r"^attachments/([0-9a-f]{2})/([0-9a-f]{64})$")
_FILE_NAME = re.compile(r"^fazhi-(auto|backup|before-restore|upload)-(\d{8}-\d{6})\.zip$")
KINDS = {
    "auto": "自动备份",
    "backup": "手动备份",
    "before-restore": "恢复前自动备份",
    "upload": "上传的备份",
    "other": "其他",
}
_CHUNK = 1 << 20
_MAX_MANIFEST = 50 << 20
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_DUCKDB_MAGIC = b"DUCK"  # bytes 8–11 of every DuckDB file
_DISK_MARGIN = 200 << 20  # free space a restore leaves on the disk


@dataclass(frozen=True)
class Manifest:
    """What a backup holds: when and by whom, the schema version, rows per table, checksum per member."""

    created_at: str
    created_by: str
    schema_version: str
    tables: dict[str, int]
    members: dict[str, dict[str, Any]]
    missing_attachments: list[str] = field(default_factory=list)
    # Where the data came from: "duckdb" (the file, copied as it is) or "postgres" (its tables copied into a
    # DuckDB file of the same schema). Either restores into either backend.
    backend: str = "duckdb"

    @property
    def attachments(self) -> int:
        """How many evidence files the zip holds."""
        return sum(1 for name in self.members if name.startswith("attachments/"))

    @property
    def records(self) -> int:
        """How many records (deleted ones included) the snapshot holds."""
        return self.tables.get("records", 0)

    def as_json(self) -> dict[str, Any]:
        """The manifest as written into the zip."""
        return {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "created_at": self.created_at,
            "created_by": self.created_by,
            "schema_version": self.schema_version,
            "tables": self.tables,
            "members": self.members,
            "missing_attachments": self.missing_attachments,
            "backend": self.backend,
        }


@dataclass(frozen=True)
class BackupFile:
    """A zip in the backups folder, for the list on the page."""

    path: Path
    kind: str
    created_at: datetime
    size: int

    @property
    def size_text(self) -> str:
        """The size for people: '1.2 MB' or '20 KB'."""
        return _size(self.size)

    @property
    def label(self) -> str:
        """e.g. '2026-01-15 08:30 · 自动备份 · 1.2 MB · fazhi-auto-20260115-083000.zip'."""
        return f"{self.created_at:%Y-%m-%d %H:%M} · {KINDS[self.kind]} · {self.size_text} · {self.path.name}"


@dataclass(frozen=True)
class Restored:
    """The outcome of a restore: the backup's manifest and where the data from before it was saved."""

    manifest: Manifest
    saved_before: Path | None


def _size(size: int) -> str:
    if size >= 1 << 20:
        return f"{size / (1 << 20):.1f} MB"
    return f"{max(1, round(size / 1024))} KB"


def may_back_up(user: User) -> bool:
    """True for an administrator of a top unit (a backup holds every unit's data) and the command line."""
    return user.is_admin and (user.is_system or user.unit_path.count("/") == 2)


def require_backup_admin(user: User) -> None:
    """Raise PermissionDenied unless the user may back up and restore the whole installation."""
    require_admin(user)
    if not may_back_up(user):
        raise PermissionDenied("备份和恢复包含全部单位的数据，只有最上级单位的管理员可以进行。")


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _attachment_files(folder: Path) -> list[tuple[str, Path]]:
    """(zip member name, file) for every evidence file stored under `folder`, by name."""
    if not folder.is_dir():
        return []
    found = []
    for path in sorted(folder.glob("*/*")):
        member = f"attachments/{path.parent.name}/{path.name}"
        if path.is_file() and _ATTACHMENT.match(member):
            found.append((member, path))
    return found


def _snapshot(db: Database, target: Path) -> tuple[dict[str, int], list[tuple[str, Path]], list[str]]:
    """Copy the database into `target` while no write can happen; (rows per table, evidence files, missing)."""
    if db.backend == "postgres":
        return _snapshot_tables(db, target)
    alias = f"snapshot_{uuid.uuid4().hex}"
    with db.exclusive(), db.cursor() as cur:
        source = single(cur, "SELECT current_database()")[0]
        cur.execute(f"ATTACH '{str(target).replace(chr(39), chr(39) * 2)}' AS {alias}")
        try:
            cur.execute(f"COPY FROM DATABASE {_quoted(source)} TO {alias}")
            names = [
                row[0]
                for row in cur.execute(
                    "SELECT table_name FROM duckdb_tables() WHERE database_name = ? ORDER BY table_name",
                    [alias],
                ).fetchall()
            ]
            tables = {
                name: int(single(cur, f"SELECT count(*) FROM {alias}.main.{_quoted(name)}")[0])
                for name in names
            }
            referenced = set()
            if "attachments" in tables:
                referenced = {
                    r[0] for r in cur.execute(f"SELECT sha256 FROM {alias}.main.attachments").fetchall()
                }
        finally:
            cur.execute(f"DETACH {alias}")
        files = _attachment_files(attachments_dir(db.path))
    missing = sorted(referenced - {path.name for _, path in files})
    return tables, files, missing


def _snapshot_tables(db: Database, target: Path) -> tuple[dict[str, int], list[tuple[str, Path]], list[str]]:
    """PostgreSQL: every table copied into a new DuckDB file at `target` while no process can write, so a
    backup is the same zip whichever backend made it (and restores into either)."""
    with db.exclusive():
        with connect(target) as snapshot:
            database_copy.copy(db, snapshot)
            tables = _table_counts(snapshot)
            referenced = {r[0] for r in snapshot.rows("SELECT sha256 FROM attachments")}
        _pg_dump(db, target.with_name(PG_DUMP_MEMBER))
        files = _attachment_files(attachments_dir(db.path))
    missing = sorted(referenced - {path.name for _, path in files})
    return tables, files, missing


def _pg_dump(db: Database, out: Path) -> None:
    """pg_dump of the database into `out` while the advisory lock holds every writer back (the same moment
    as the DuckDB copy); nothing when Debian's postgresql-client is not installed (the copy is what the
    app restores from). DatabaseError when pg_dump is there but fails."""
    program = shutil.which("pg_dump")
    if program is None:
        return
    try:
        subprocess.run(
            [program, "--format=custom", "--no-owner", "--file", str(out), "--dbname", db.target],
            check=True,
            capture_output=True,
            timeout=3600,
        )
    except (OSError, subprocess.SubprocessError) as error:
        detail = getattr(error, "stderr", b"") or b""
        out.unlink(missing_ok=True)
        raise DatabaseError(
            f"pg_dump 未能导出数据库，备份未完成：{detail.decode(errors='replace').strip() or error}"
        ) from error


def _write_member(archive: zipfile.ZipFile, name: str, source: IO[bytes], compress: int) -> dict[str, Any]:
    info = zipfile.ZipInfo(name, date_time=datetime.now().timetuple()[:6])
    info.compress_type = compress
    digest, size = hashlib.sha256(), 0
    with archive.open(info, "w", force_zip64=True) as out:
        while chunk := source.read(_CHUNK):
            digest.update(chunk)
            size += len(chunk)
            out.write(chunk)
    return {"sha256": digest.hexdigest(), "size": size}


def _private(path: Path) -> None:
    """Readable and writable by the program's own account only (a backup holds every password hash)."""
    try:
        os.chmod(path, 0o600 if path.is_file() else 0o700)
    except OSError:  # a file system without Unix permissions (e.g. a USB stick): nothing to tighten
        pass


def create_backup(db: Database, user: User, out: Path, *, audited: bool = True) -> Manifest:
    """Write a backup zip to `out` (replaced only once complete, mode 0600); audited unless automatic."""
    require_backup_admin(user)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.parent == backups_dir(db.path):
        _private(out.parent)
    work = Path(_temporary_folder(out.parent))
    partial = out.with_name(out.name + ".part")
    try:
        snapshot = work / DB_MEMBER
        tables, files, missing = _snapshot(db, snapshot)
        members: dict[str, dict[str, Any]] = {}
        with zipfile.ZipFile(partial, "w", allowZip64=True) as archive:
            with snapshot.open("rb") as handle:
                members[DB_MEMBER] = _write_member(archive, DB_MEMBER, handle, zipfile.ZIP_DEFLATED)
            dump = work / PG_DUMP_MEMBER
            if dump.exists():  # compressed by pg_dump already
                with dump.open("rb") as handle:
                    members[PG_DUMP_MEMBER] = _write_member(
                        archive, PG_DUMP_MEMBER, handle, zipfile.ZIP_STORED
                    )
            for member, path in files:
                try:
                    with path.open("rb") as handle:  # photos and PDFs are compressed already
                        members[member] = _write_member(archive, member, handle, zipfile.ZIP_STORED)
                except FileNotFoundError:  # removed since the snapshot: not part of it
                    continue
            manifest = Manifest(
                created_at=datetime.now().isoformat(timespec="seconds"),
                created_by=user.username,
                schema_version=schema_version(db),
                tables=tables,
                members=members,
                missing_attachments=missing,
                backend=db.backend,
            )
            text = json.dumps(manifest.as_json(), ensure_ascii=False, indent=1, sort_keys=True)
            archive.writestr(MANIFEST, text.encode("utf-8"), compress_type=zipfile.ZIP_DEFLATED)
        _private(partial)
        os.replace(partial, out)
    except OSError as error:
        raise DatabaseError(f"无法写入备份文件 {out}：{error.strerror or error}") from error
    finally:
        partial.unlink(missing_ok=True)
        shutil.rmtree(work, ignore_errors=True)
    if audited:
        with db.transaction(figures=False) as cur:
            audit.log(cur, user, "backup", "database", None, None, None, _summary(out, manifest))
    return manifest


def _summary(path: Path, manifest: Manifest) -> dict[str, Any]:
    return {
        "file": path.name,
        "created_at": manifest.created_at,
        "schema_version": manifest.schema_version,
        "tables": manifest.tables,
        "attachments": manifest.attachments,
    }


def _temporary_folder(near: Path) -> str:
    """A new hidden folder beside `near`'s files (same disk, so moving out of it is instant)."""
    path = near / f".fazhi-tmp-{datetime.now():%Y%m%d%H%M%S}-{uuid.uuid4().hex[:8]}"
    path.mkdir(parents=True)
    return str(path)


# ───────────── reading and checking a zip ─────────────


@contextmanager
def _open_zip(source: Path | IO[bytes]) -> Iterator[zipfile.ZipFile]:
    try:
        with zipfile.ZipFile(source) as archive:
            yield archive
    except zipfile.BadZipFile as error:
        raise InvalidBackup(f"这不是完整的备份文件（{error}），未作任何改动。") from error
    except OSError as error:
        raise InvalidBackup(f"无法读取备份文件：{error.strerror or error}，未作任何改动。") from error


def read_manifest(archive: zipfile.ZipFile) -> Manifest:
    """The manifest of an open zip, or InvalidBackup when it is not a backup of this program."""
    try:
        info = archive.getinfo(MANIFEST)
    except KeyError:
        raise InvalidBackup("这个压缩文件不是本程序的备份（缺少 manifest.json），未作任何改动。") from None
    if info.file_size > _MAX_MANIFEST:
        raise InvalidBackup("备份文件的清单异常（过大），未作任何改动。")
    try:
        data = json.loads(archive.read(info).decode("utf-8"))
        if data.get("format") != FORMAT:
            raise ValueError("format")
        manifest = Manifest(
            created_at=str(data["created_at"]),
            created_by=str(data["created_by"]),
            schema_version=str(data["schema_version"]),
            tables={str(k): int(v) for k, v in data["tables"].items()},
            members={
                str(k): {"sha256": str(v["sha256"]), "size": int(v["size"])}
                for k, v in data["members"].items()
            },
            missing_attachments=[str(s) for s in data.get("missing_attachments", [])],
            backend=str(data.get("backend", "duckdb")),
        )
    except (ValueError, KeyError, TypeError, AttributeError, UnicodeDecodeError, zipfile.BadZipFile) as error:
        raise InvalidBackup("这个压缩文件不是本程序的备份（清单无法识别），未作任何改动。") from error
    if int(data.get("format_version", 0)) > FORMAT_VERSION:
        raise InvalidBackup("这个备份由更新版本的程序生成，请先升级本程序再恢复。未作任何改动。")
    known = [name for name, _ in migrations()]
    if manifest.schema_version not in known:
        raise InvalidBackup(
            f"这个备份的数据库结构版本（{manifest.schema_version}）不是本程序认识的版本，"
            "可能来自更新版本的程序，请先升级本程序再恢复。未作任何改动。"
        )
    if DB_MEMBER not in manifest.members:
        raise InvalidBackup("备份中缺少数据库文件，未作任何改动。")
    for name in manifest.members:
        if name not in (DB_MEMBER, PG_DUMP_MEMBER) and not _ATTACHMENT.match(name):
            raise InvalidBackup(f"备份中有不认识的文件“{name}”，未作任何改动。")
    return manifest


def _read_member(
    archive: zipfile.ZipFile, name: str, expected: dict[str, Any], out: IO[bytes] | None
) -> None:
    """Stream one member, checking its size and sha256 (never more bytes than declared); copy it to `out`
    when given. InvalidBackup when it does not match."""
    try:
        info = archive.getinfo(name)
    except KeyError:
        raise InvalidBackup(f"备份不完整：缺少“{name}”，未作任何改动。") from None
    if info.file_size != expected["size"]:
        raise InvalidBackup(f"备份已损坏：“{name}”的大小与清单不符，未作任何改动。")
    digest, size = hashlib.sha256(), 0
    try:
        with archive.open(info) as source:
            while chunk := source.read(_CHUNK):
                if size == 0 and name == DB_MEMBER and chunk[8:12] != _DUCKDB_MAGIC:
                    raise InvalidBackup("备份中的数据库文件不是本程序的数据库，未作任何改动。")
                size += len(chunk)
                if size > expected["size"]:
                    break
                digest.update(chunk)
                if out is not None:
                    out.write(chunk)
    except (zipfile.BadZipFile, EOFError, OSError, ValueError) as error:  # CRC errors, truncation
        raise InvalidBackup(f"备份已损坏：无法读出“{name}”（{error}），未作任何改动。") from error
    if size != expected["size"] or digest.hexdigest() != expected["sha256"]:
        raise InvalidBackup(f"备份已损坏：“{name}”的校验值与清单不符，未作任何改动。")


def _extract(archive: zipfile.ZipFile, name: str, expected: dict[str, Any], target: Path) -> None:
    """Copy one member to `target`, checked on the way. The database is checked in a first pass that writes
    nothing (it compresses well, so a forged one could fill the disk before its checksum fails)."""
    if name == DB_MEMBER:
        _read_member(archive, name, expected, None)
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("wb") as out:
        _read_member(archive, name, expected, out)


def _check_room(manifest: Manifest, work: Path) -> None:
    """InvalidBackup unless the disk holding `work` has room for everything the backup unpacks to."""
    needed = sum(int(m["size"]) for m in manifest.members.values())
    free = shutil.disk_usage(work).free
    if needed + _DISK_MARGIN > free:
        raise InvalidBackup(
            f"磁盘空间不足：恢复这个备份需要约{needed / (1 << 30):.1f} GB，磁盘只剩{free / (1 << 30):.1f} GB。"
            "请先清理磁盘（如旧的备份），未作任何改动。"
        )


def _unpack(source: Path | IO[bytes], work: Path) -> tuple[Manifest, dict[str, int]]:
    """Check and extract a backup into `work` (database file and attachments/); InvalidBackup on any fault.

    Returns the manifest and the row counts of the extracted database once brought up to date."""
    with _open_zip(source) as archive:
        try:
            archives.check(archive, archives.BACKUP, "备份文件")
        except archives.UnsafeArchive as error:
            raise InvalidBackup(f"{error.message}未作任何改动。") from error
        manifest = read_manifest(archive)
        _check_room(manifest, work)
        for name, expected in manifest.members.items():
            if name == DB_MEMBER:
                _extract(archive, name, expected, work / DB_MEMBER)
                continue
            if name == PG_DUMP_MEMBER:  # checked, not unpacked: the app restores from the DuckDB copy
                _read_member(archive, name, expected, None)
                continue
            match = _ATTACHMENT.match(name)
            assert match is not None  # read_manifest refused any other name
            target = work / "attachments" / match[1] / match[2]
            _extract(archive, name, expected, target)
            if not match[2].startswith(match[1]) or _sha256(target) != match[2]:
                raise InvalidBackup(f"备份已损坏：佐证材料“{name}”的内容与文件名不符，未作任何改动。")
    return manifest, _check_database(work / DB_MEMBER, manifest)


# PostgreSQL's cache counters (fazhi/db.py): they move with every write and are no data of a backup.
COUNTERS = {"data_versions"}


def _table_counts(db: Database) -> dict[str, int]:
    names = [
        r[0]
        for r in db.rows(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()"
            " AND table_type = 'BASE TABLE' ORDER BY table_name"
        )
        if r[0] not in COUNTERS or db.backend == "duckdb"  # (always empty in a file)
    ]
    with db.cursor() as cur:
        return {name: int(single(cur, f"SELECT count(*) FROM {_quoted(name)}")[0]) for name in names}


def _check_database(path: Path, manifest: Manifest) -> dict[str, int]:
    """Open the extracted database, compare schema version and row counts, then bring its schema up to date;
    returns the row counts after that upgrade."""
    try:
        candidate = connect(path, migrate=False)
    except FazhiError as error:
        raise InvalidBackup(f"备份中的数据库无法打开，未作任何改动。（{error.message}）") from error
    try:
        applied = applied_migrations(candidate)
        if not applied or applied[-1] != manifest.schema_version:
            raise InvalidBackup("备份中的数据库与清单不符（结构版本不同），未作任何改动。")
        counts = _table_counts(candidate)
        wrong = [name for name, rows in manifest.tables.items() if counts.get(name) != rows]
        if wrong:
            raise InvalidBackup(f"备份中的数据库与清单不符（{'、'.join(wrong)} 的行数不同），未作任何改动。")
        apply_migrations(candidate)
        _check_contents(candidate)
        return _table_counts(candidate)
    finally:
        candidate.close()


def _check_contents(candidate: Database) -> None:
    """InvalidBackup unless what the database says is safe to use: every evidence file named by a
    64-hex-digit hash (a name is a path below attachments/), unit paths that are the units' own, and at
    least one active administrator of a top unit (a restore must never reopen 初始化 to anyone)."""
    for table in ("attachments", "record_attachments"):
        bad = candidate.one(
            f"SELECT count(*) FROM {table} WHERE NOT regexp_full_match(sha256, '[0-9a-f]{{64}}')"
        )
        if bad and bad[0]:
            raise InvalidBackup(
                f"备份中的佐证材料记录有{bad[0]}处文件名不合规（可能是伪造的备份），未作任何改动。"
            )
    bad = candidate.one(
        "SELECT count(*) FROM units WHERE NOT ends_with(path, '/' || id || '/')"
        " OR (parent_id IS NULL AND path <> '/' || id || '/')"
    )
    if bad and bad[0]:
        raise InvalidBackup("备份中的单位结构不一致（可能是伪造的备份），未作任何改动。")
    admins = candidate.one(
        "SELECT count(*) FROM users u JOIN units un ON un.id = u.unit_id"
        " WHERE u.is_active AND u.role = 'admin' AND un.parent_id IS NULL"
    )
    if not admins or not admins[0]:
        raise InvalidBackup(
            "备份中没有可用的最上级单位管理员账号。恢复它会让任何人都能重新初始化程序，因此未恢复，未作任何改动。"
        )


def verify(source: Path | IO[bytes]) -> Manifest:
    """Check a backup completely (every checksum, the database opens with the counts listed) without using it."""
    work = Path(tempfile.mkdtemp(prefix="fazhi-verify-"))
    try:
        return _unpack(source, work)[0]
    finally:
        shutil.rmtree(work, ignore_errors=True)


# ───────────── restore ─────────────


def has_data(db: Database) -> bool:
    """Whether the database holds any unit, account or record (an empty one is not worth a backup)."""
    row = db.one(
        "SELECT (SELECT count(*) FROM users) + (SELECT count(*) FROM records) + (SELECT count(*) FROM units)"
    )
    return bool(row and row[0])


def restore(db: Database, user: User, source: Path | IO[bytes], *, name: str = "") -> Restored:
    """Replace the database and evidence files with a backup's, after checking everything in new files.

    The current data is first saved as a backup in the backups folder (when there is any). Any fault in the
    zip raises InvalidBackup and leaves everything as it was. The restore is audited in the restored data.
    """
    require_backup_admin(user)
    work = Path(_temporary_folder(db.path.parent))
    try:
        manifest, expected = _unpack(source, work)
        folder = attachments_dir(db.path)
        new_files = work / "attachments"
        new_files.mkdir(exist_ok=True)
        old_files = work / "attachments.before"
        saved = None
        with db.exclusive():  # from here on nobody writes: the saved copy is exactly what gets replaced
            if has_data(db):
                saved = new_backup_path(db.path, "before-restore")
                create_backup(db, user, saved, audited=False)
            _swap_folders(new_files, folder, old_files)
            try:
                if (
                    db.backend == "postgres"
                ):  # the tables' rows replaced in one transaction, for every process
                    with connect(work / DB_MEMBER) as restored:
                        database_copy.copy(restored, db, replace=True)
                else:
                    db.replace_with(work / DB_MEMBER)
            except BaseException:
                shutil.rmtree(folder, ignore_errors=True)
                if old_files.exists():
                    os.replace(old_files, folder)
                raise
            counts = _table_counts(db)
            wrong = [t for t, rows in expected.items() if t not in COUNTERS and counts.get(t) != rows]
            if wrong:  # only if something outside this object still held the old file open
                kept = f"恢复前的数据已保存在 {saved}，请用它再次恢复，并" if saved else "请"
                raise DatabaseError(
                    f"恢复后核对发现 {'、'.join(wrong)} 的行数与备份不符。{kept}联系技术人员。"
                )
            sessions.end_all(db, "restore")  # the backup's own sessions (and everyone's before) end here
            label = name or Path(str(getattr(source, "name", "") or "上传的文件")).name
            with db.transaction(figures=False) as cur:
                audit.log(
                    cur, user, "restore_backup", "database", None, None, None, _summary(Path(label), manifest)
                )
    except OSError as error:
        raise DatabaseError(f"恢复时无法读写文件：{error.strerror or error}。未作任何改动。") from error
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return Restored(manifest, saved)


def _swap_folders(new: Path, folder: Path, aside: Path) -> None:
    """Move `folder` to `aside` and `new` into its place; on failure `folder` is as it was."""
    moved = False
    try:
        if folder.exists():
            os.replace(folder, aside)
            moved = True
        os.replace(new, folder)
    except OSError:
        if moved and not folder.exists():
            os.replace(aside, folder)
        raise


def restore_file(source: Path, target: Path | str) -> Restored:
    """The command line's restore: open `target` (DatabaseBusy while the app holds it) and restore into it."""
    source = Path(source)
    if not source.is_file():
        raise InvalidBackup(f"找不到备份文件 {source}。")
    with connect(target) as db:
        return restore(db, system_user(), source, name=source.name)


# ───────────── the backups folder and the daily backup ─────────────


def list_backups(db_file: Path) -> list[BackupFile]:
    """Every zip in the backups folder beside the database, newest first."""
    folder = backups_dir(db_file)
    if not folder.is_dir():
        return []
    found = []
    for path in folder.glob("*.zip"):
        stat = path.stat()
        match = _FILE_NAME.match(path.name)
        if match:
            kind, created = match[1], datetime.strptime(match[2], "%Y%m%d-%H%M%S")
        else:
            kind, created = "other", datetime.fromtimestamp(stat.st_mtime)
        found.append(BackupFile(path, kind, created, stat.st_size))
    return sorted(found, key=lambda b: (b.created_at, b.path.name), reverse=True)


def find_backup(db_file: Path, name: str) -> BackupFile:
    """The backup of that exact file name in the backups folder (never a path elsewhere); NotFound if none."""
    for item in list_backups(db_file):
        if item.path.name == name:
            return item
    raise NotFound(f"备份文件夹中没有“{name}”。")


_CLAIM_PREFIX = ".auto-"  # backups/.auto-YYYYMMDD.claim: which process makes that day's automatic backup


def new_backup_path(db_file: Path, kind: str = "backup", now: datetime | None = None) -> Path:
    """Where a new backup of this kind goes: data/backups/fazhi-<kind>-YYYYMMDD-HHMMSS.zip."""
    return backups_dir(db_file) / f"fazhi-{kind}-{(now or datetime.now()):%Y%m%d-%H%M%S}.zip"


def prune(db_file: Path, keep_days: int, now: datetime | None = None) -> list[Path]:
    """Delete automatic backups older than `keep_days` (never the newest one); returns what was deleted."""
    now = now or datetime.now()
    automatic = [b for b in list_backups(db_file) if b.kind == "auto"]
    old = [b.path for b in automatic[1:] if b.created_at < now - timedelta(days=keep_days)]
    for path in old:
        path.unlink(missing_ok=True)
    for claim in backups_dir(db_file).glob(f"{_CLAIM_PREFIX}*.claim"):  # the claims of days gone by
        if claim.name < f"{_CLAIM_PREFIX}{now:%Y%m%d}.claim":
            claim.unlink(missing_ok=True)
    return old


def daily_backup(db: Database, now: datetime | None = None) -> Path | None:
    """Today's automatic backup, when there is none yet and the database holds anything; prunes old ones."""
    now = now or datetime.now()
    if any(b.kind == "auto" and b.created_at.date() == now.date() for b in list_backups(db.path)):
        return None
    if not has_data(db):
        return None
    claim = _claim_day(db.path, now)
    if claim is None:  # another app process on the same database makes today's
        return None
    path = new_backup_path(db.path, "auto", now)
    try:
        create_backup(db, system_user("自动备份"), path, audited=False)
    except BaseException:
        claim.unlink(missing_ok=True)  # so the next start may try again today
        raise
    prune(db.path, backup_keep_days(), now)
    return path


def _claim_day(db_file: Path, now: datetime) -> Path | None:
    """Claim today's automatic backup for this process: a file made only if it does not exist yet (so of
    several app processes sharing the folder, as on PostgreSQL, one makes it); None when already claimed."""
    folder = backups_dir(db_file)
    folder.mkdir(parents=True, exist_ok=True)
    claim = folder / f"{_CLAIM_PREFIX}{now:%Y%m%d}.claim"
    try:
        with claim.open("x", encoding="utf-8") as handle:
            handle.write(f"{os.getpid()}\n")
    except FileExistsError:
        return None
    return claim


def daily_backup_quietly(db: Database) -> Path | None:
    """`daily_backup` for a background thread: a failure is logged as a warning, never raised."""
    try:
        return daily_backup(db)
    except Exception as error:  # a backup problem must never stop anyone's work
        log.warning("自动备份失败：%s", getattr(error, "message", error))
        return None

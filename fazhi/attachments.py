"""Evidence files (佐证材料): photos, PDF, Word and Excel attached to records.

A file is checked by its content first (`fazhi/file_checks.py`). Each distinct file is stored once, as `attachments_dir/<sha256[:2]>/<sha256>`, and linked to
records in `record_attachments`; removing a link is soft and audited. Adding checks the record's unit
permission and year lock inside the transaction, like every other write.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pandas as pd
from PIL import Image, ImageOps, UnidentifiedImageError

from fazhi import audit
from fazhi.catalog import Catalog
from fazhi.db import Database, single
from fazhi.errors import InvalidFile, NotFound, Problem
from fazhi.file_checks import KINDS, check, clean_filename
from fazhi.locks import ensure_unlocked
from fazhi.permissions import User, require_edit
from fazhi.records import get_record
from fazhi.settings import attachments_dir
from fazhi.units import get_unit


@dataclass(frozen=True)
class Attachment:
    """One evidence file linked to one record."""

    id: int
    record_id: int
    sha256: str
    filename: str
    size: int
    mime: str
    uploaded_by: str
    uploaded_at: datetime

    @property
    def is_image(self) -> bool:
        """True for photos (shown as thumbnails)."""
        return self.mime.startswith("image/")

    @property
    def size_text(self) -> str:
        """The size for people: '235 KB', '3.4 MB'."""
        if self.size < 1024 * 1024:
            return f"{max(1, round(self.size / 1024))} KB"
        return f"{self.size / 1024 / 1024:.1f} MB"


_SHA256 = re.compile(r"^[0-9a-f]{64}$")


def stored_path(db: Database, sha256: str) -> Path:
    """Where the file with this hash lives: <folder of the database>/attachments/<sha256[:2]>/<sha256>.

    NotFound for anything but 64 hex digits, and for a path that would leave the folder (a second guard
    behind the restore's checks: a forged row can never name another file on the server)."""
    folder = attachments_dir(db.path)
    path = folder / sha256[:2] / sha256
    if not _SHA256.match(sha256 or "") or not path.resolve().is_relative_to(folder.resolve()):
        raise NotFound("佐证材料的文件名不合规，无法读取（可能是从伪造的备份恢复的记录）。请联系管理员。")
    return path


def _store(db: Database, data: bytes, sha256: str) -> None:
    """Write the content once (atomically: a half-written file never carries the hash's name)."""
    target = stored_path(db, sha256)
    if target.exists() and target.stat().st_size == len(data):
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".upload-")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


_COLUMNS = (
    "ra.id, ra.record_id, ra.sha256, ra.filename, a.size, a.mime, ra.uploaded_by, ra.uploaded_at"
    " FROM record_attachments ra JOIN attachments a ON a.sha256 = ra.sha256"
)


@dataclass(frozen=True)
class Added:
    """What an upload did: the files linked, and the names of those the record already had."""

    added: tuple[Attachment, ...]
    already: tuple[str, ...] = ()


def add_files(
    db: Database, user: User, catalog: Catalog, record_id: int, files: Sequence[tuple[str, bytes]]
) -> Added:
    """Check every file, then store and link all of them to the record, or none (InvalidFile names each bad one).

    Permission and the year lock are checked before anything is written, and again in the transaction."""
    record = get_record(db, user, catalog, record_id)
    with db.cursor() as cur:  # refused users and locked years never put a byte on the disk
        unit = get_unit(cur, record.unit_id)
        require_edit(user, unit)
        ensure_unlocked(cur, unit, record.start_on.year)
    problems: list[Problem] = []
    checked: list[tuple[str, bytes, str, str]] = []
    for filename, data in files:
        try:
            kind = check(filename, data)
        except InvalidFile as error:
            problems.extend(error.problems)
            continue
        checked.append((clean_filename(filename), data, KINDS[kind].mime, hashlib.sha256(data).hexdigest()))
    if problems:
        raise InvalidFile(problems)
    for _, data, _, sha256 in checked:
        _store(db, data, sha256)  # before the rows: a committed row always has its file
    added: list[Attachment] = []
    already: list[str] = []
    now = datetime.now()
    with db.transaction(figures=False) as cur:
        unit = get_unit(cur, record.unit_id)
        require_edit(user, unit)
        ensure_unlocked(cur, unit, record.start_on.year)
        linked = {
            row[0]
            for row in cur.execute(
                "SELECT sha256 FROM record_attachments WHERE record_id = ? AND NOT is_deleted", [record_id]
            ).fetchall()
        }
        for filename, data, mime, sha256 in checked:
            if sha256 in linked:
                already.append(filename)
                continue
            linked.add(sha256)
            cur.execute(
                "INSERT INTO attachments VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
                [sha256, len(data), mime, now],
            )
            attachment_id = single(
                cur,
                "INSERT INTO record_attachments (record_id, sha256, filename, uploaded_by, uploaded_at)"
                " VALUES (?, ?, ?, ?, ?) RETURNING id",
                [record_id, sha256, filename, user.username, now],
            )[0]
            attachment = Attachment(
                attachment_id, record_id, sha256, filename, len(data), mime, user.username, now
            )
            added.append(attachment)
            audit.log(cur, user, "create", "attachment", attachment_id, unit.id, None, _snapshot(attachment))
    return Added(tuple(added), tuple(already))


def _snapshot(attachment: Attachment) -> dict[str, object]:
    return {
        "record_id": attachment.record_id,
        "filename": attachment.filename,
        "sha256": attachment.sha256,
        "size": attachment.size,
        "mime": attachment.mime,
    }


def files_of(db: Database, record_ids: Sequence[int]) -> dict[int, list[Attachment]]:
    """The current files of each record, in upload order (no permission check: callers list the records first)."""
    if not record_ids:
        return {}
    rows = db.rows(
        f"SELECT {_COLUMNS} WHERE list_contains(?, ra.record_id) AND NOT ra.is_deleted ORDER BY ra.id",
        [[int(i) for i in record_ids]],
    )
    found: dict[int, list[Attachment]] = {}
    for row in rows:
        found.setdefault(row[1], []).append(Attachment(*row))
    return found


def list_files(db: Database, user: User, catalog: Catalog, record_id: int) -> list[Attachment]:
    """The record's files, if the user may see the record."""
    get_record(db, user, catalog, record_id, include_deleted=user.is_admin)
    return files_of(db, [record_id]).get(record_id, [])


def count_files(db: Database, record_ids: Sequence[int]) -> dict[int, int]:
    """How many files each record has (records without files are absent)."""
    if not record_ids:
        return {}
    rows = db.rows(
        "SELECT record_id, count(*) FROM record_attachments WHERE list_contains(?, record_id) AND NOT is_deleted"
        " GROUP BY record_id",
        [[int(i) for i in record_ids]],
    )
    return {int(record_id): int(count) for record_id, count in rows}


def _load(db: Database, attachment_id: int) -> Attachment:
    row = db.one(f"SELECT {_COLUMNS} WHERE ra.id = ? AND NOT ra.is_deleted", [attachment_id])
    if row is None:
        raise NotFound(f"找不到编号为 {attachment_id} 的佐证材料（可能已被删除）。")
    return Attachment(*row)


def read_file(db: Database, user: User, catalog: Catalog, attachment_id: int) -> tuple[Attachment, bytes]:
    """The file and its bytes, if the user may see its record."""
    attachment = _load(db, attachment_id)
    get_record(db, user, catalog, attachment.record_id, include_deleted=user.is_admin)
    return attachment, read_bytes(db, attachment)


def open_file(db: Database, user: User, catalog: Catalog, attachment_id: int) -> tuple[Attachment, Path]:
    """The file and where it is stored, if the user may see its record (the download route streams it);
    NotFound when the row or the stored file is missing, PermissionDenied for another unit's record."""
    attachment = _load(db, attachment_id)
    get_record(db, user, catalog, attachment.record_id, include_deleted=user.is_admin)
    path = stored_path(db, attachment.sha256)
    if not path.is_file():
        raise NotFound(
            f"佐证材料“{attachment.filename}”的文件不在 {path.parent} 中，可能被移动或删除。请从备份恢复。"
        )
    return attachment, path


def read_bytes(db: Database, attachment: Attachment) -> bytes:
    """The stored content of a file (NotFound with the path when it went missing from the folder)."""
    return stored_bytes(stored_path(db, attachment.sha256), attachment.filename)


def stored_bytes(path: Path, filename: str) -> bytes:
    """A stored file's content by its path (NotFound naming the file when it went missing from the folder)."""
    try:
        return path.read_bytes()
    except FileNotFoundError as error:
        raise NotFound(
            f"佐证材料“{filename}”的文件不在 {path.parent} 中，可能被移动或删除。请从备份恢复。"
        ) from error


def remove_file(db: Database, user: User, catalog: Catalog, attachment_id: int) -> None:
    """Unlink a file from its record (soft; the stored file stays for backups); audited."""
    attachment = _load(db, attachment_id)
    record = get_record(db, user, catalog, attachment.record_id)
    with db.transaction(figures=False) as cur:
        unit = get_unit(cur, record.unit_id)
        require_edit(user, unit)
        ensure_unlocked(cur, unit, record.start_on.year)
        cur.execute("UPDATE record_attachments SET is_deleted = true WHERE id = ?", [attachment_id])
        audit.log(cur, user, "delete", "attachment", attachment_id, unit.id, _snapshot(attachment), None)


def thumbnail(data: bytes, size: int = 320) -> bytes | None:
    """A JPEG at most `size` pixels wide and high, upright per its EXIF; None when the image cannot be read."""
    try:
        with Image.open(io.BytesIO(data)) as opened:
            image: Image.Image = ImageOps.exif_transpose(opened)
            image.thumbnail((size, size))
            if image.mode not in ("RGB", "L"):
                image = image.convert("RGBA")
                background = Image.new("RGB", image.size, "white")
                background.paste(image, mask=image.getchannel("A"))
                image = background
            out = io.BytesIO()
            image.save(out, "JPEG", quality=80)
            return out.getvalue()
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        return None


def with_counts(db: Database, frame: pd.DataFrame) -> pd.DataFrame:
    """A `ledger.list_records` frame with an `attachment_count` column (files per record, 0 when none)."""
    counts = count_files(db, [int(i) for i in frame["id"]]) if not frame.empty else {}
    result = frame.copy()
    result["attachment_count"] = [counts.get(int(i), 0) for i in frame["id"]]
    return result

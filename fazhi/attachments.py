"""Evidence files (佐证材料): photos, PDF, Word and Excel attached to records.

A file's type is decided by its content (magic bytes, and the parts inside a DOCX/XLSX zip), never by its
name alone. Each distinct file is stored once, as `attachments_dir/<sha256[:2]>/<sha256>`, and linked to
records in `record_attachments`; removing a link is soft and audited. Adding checks the record's unit
permission and year lock inside the transaction, like every other write.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import struct
import tempfile
import zipfile
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from xml.etree.ElementTree import ParseError, fromstring

import olefile
import pandas as pd
from PIL import Image, ImageOps, UnidentifiedImageError

from fazhi import archives, audit
from fazhi.catalog import Catalog
from fazhi.db import Database, single
from fazhi.errors import InvalidFile, NotFound, Problem
from fazhi.locks import ensure_unlocked
from fazhi.permissions import User, require_edit
from fazhi.records import get_record
from fazhi.settings import attachments_dir, max_upload_mb
from fazhi.units import get_unit

FILENAME_MAX = 120


@dataclass(frozen=True)
class Kind:
    """An accepted kind of file: its MIME type, a Chinese name and the extensions it may carry."""

    mime: str
    label: str
    extensions: tuple[str, ...]
    image: bool = False


KINDS: dict[str, Kind] = {
    "jpeg": Kind("image/jpeg", "JPG 图片", ("jpg", "jpeg", "jfif", "jpe"), True),
    "png": Kind("image/png", "PNG 图片", ("png",), True),
    "gif": Kind("image/gif", "GIF 图片", ("gif",), True),
    "webp": Kind("image/webp", "WebP 图片", ("webp",), True),
    "pdf": Kind("application/pdf", "PDF 文件", ("pdf",)),
    "docx": Kind(
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "Word 文件", ("docx",)
    ),
    "xlsx": Kind(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "Excel 文件", ("xlsx",)
    ),
    "doc": Kind("application/msword", "Word 97-2003 文件", ("doc",)),
    "xls": Kind("application/vnd.ms-excel", "Excel 97-2003 文件", ("xls",)),
}
IMAGE_EXTENSIONS = {ext for kind in KINDS.values() if kind.image for ext in kind.extensions}
ACCEPTED = "照片（JPG、PNG、GIF、WebP）、PDF、Word（DOC、DOCX）和 Excel（XLS、XLSX）"
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_UNSAFE_NAME = re.compile(r"[\x00-\x1f\x7f\\/:*?\"<>|]")
# Invisible characters that reorder or hide text (an RTL override makes “gpj.exe” look like “exe.jpg”).
_INVISIBLE = re.compile(r"[\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")
# Names Windows keeps for devices: “CON.png” cannot be unpacked from the evidence package.
_DEVICE = re.compile(r"^(CON|PRN|AUX|NUL|COM[0-9¹²³]|LPT[0-9¹²³])(\.|$)", re.IGNORECASE)
# External relationships a Word or Excel file may have: links the reader clicks. Any other (a remote
# template, an OLE object or picture fetched on opening, a frame, a sub-document) is refused.
_SAFE_EXTERNAL = ("/hyperlink",)
_REFUSED_PARTS = ("/afchunk", "/attachedtemplate", "/subdocument", "/frame")
_PDF_ACTIVE = frozenset(
    (b"/JavaScript", b"/JS", b"/Launch", b"/EmbeddedFile", b"/EmbeddedFiles", b"/RichMedia", b"/XFA")
)
_PDF_NAME = re.compile(rb"/[^\s/<>\[\]()%{}]+")
_PDF_STREAM = re.compile(rb"stream\r?\n")
_PDF_INFLATED_MAX = 64 * 1024 * 1024  # bytes of decompressed streams a check reads


def _office_zip(data: bytes) -> str | None:
    """'docx', 'xlsx', 'macro' (a macro-enabled Office file), 'external' (it reaches outside itself on
    opening: a remote template, an altChunk, an mhtml: or file: target) or None for any other zip."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            archives.check(archive, archives.OFFICE, "文件")
            names = set(archive.namelist())
            if "[Content_Types].xml" not in names:
                return None
            with archive.open("[Content_Types].xml") as part:
                types = part.read(1024 * 1024).decode("utf-8", "replace")  # a bomb stops at 1 MB
            if "macroEnabled" in types or "vbaProject" in types:
                return "macro"
            if any(name.lower().endswith("vbaproject.bin") for name in names):
                return "macro"
            if any(name.endswith(".rels") and _reaches_out(archive.read(name)) for name in names):
                return "external"
    except archives.UnsafeArchive:
        return "external"
    except (zipfile.BadZipFile, OSError, KeyError, ValueError, RuntimeError, NotImplementedError, EOFError):
        return None
    if "word/document.xml" in names and "wordprocessingml.document.main" in types:
        return "docx"
    if "xl/workbook.xml" in names and "spreadsheetml.sheet.main" in types:
        return "xlsx"
    return None


def _reaches_out(rels: bytes) -> bool:
    """True when a relationships part points outside the file for anything but a hyperlink, or names a
    part kind that pulls in other content (altChunk, attached template, sub-document, frame)."""
    try:
        root = fromstring(rels)  # the archive check refused DTDs: no entity can expand here
    except ParseError:
        return True
    for item in root:
        kind = (item.get("Type") or "").lower()
        target = (item.get("Target") or "").strip().lower()
        if kind.endswith(_REFUSED_PARTS) or target.startswith(("mhtml:", "file:", "\\\\")):
            return True
        if (item.get("TargetMode") or "").lower() == "external" and not kind.endswith(_SAFE_EXTERNAL):
            return True
    return False


def _ole(data: bytes) -> str | None:
    """'doc' or 'xls' for an old Office compound file (by its streams), 'macro' when it carries a VBA
    project, None when it is neither or cannot be read."""
    try:
        with olefile.OleFileIO(io.BytesIO(data)) as ole:
            entries = ["/".join(path).lower() for path in ole.listdir(streams=True, storages=True)]
    except (OSError, ValueError, IndexError, TypeError, KeyError, struct.error, RecursionError):
        return None
    parts = {part for entry in entries for part in entry.split("/")}
    if parts & {"macros", "_vba_project_cur", "_vba_project", "vba"}:
        return "macro"
    tops = {entry.split("/")[0] for entry in entries}
    if "worddocument" in tops:
        return "doc"
    if "workbook" in tops or "book" in tops:
        return "xls"
    return None


def _pdf_names(chunk: bytes) -> set[bytes]:
    """The PDF names in `chunk`, with #xx escapes decoded (/J#61vaScript is /JavaScript)."""
    found = set()
    for name in _PDF_NAME.findall(chunk):
        if b"#" in name:
            name = re.sub(rb"#([0-9A-Fa-f]{2})", lambda m: bytes([int(m[1], 16)]), name)
        found.add(name)
    return found


def _pdf_is_active(data: bytes) -> bool:
    """True when a PDF holds JavaScript, a launch action, embedded files, rich media or XFA forms, in its
    objects or inside its compressed (Flate) streams, where object streams hide dictionaries."""
    if _pdf_names(data) & _PDF_ACTIVE:
        return True
    budget = _PDF_INFLATED_MAX
    for match in _PDF_STREAM.finditer(data):
        inflater = zlib.decompressobj()
        try:
            inflated = inflater.decompress(data[match.end() : match.end() + budget], budget)
        except zlib.error:
            continue  # not a Flate stream (a JPEG, another filter): no objects inside
        budget -= len(inflated)
        if _pdf_names(inflated) & _PDF_ACTIVE or budget <= 0:
            return True  # streams inflating past the budget are refused as suspicious
    return False


def _image_ends_cleanly(kind: str, data: bytes) -> bool:
    """True when nothing follows the image's own end (a PNG's IEND, a JPEG's EOI, a GIF's trailer, the
    length a WebP declares): data appended to a picture (a web page, a program) is refused."""
    if kind == "png":
        at = 8
        while at + 12 <= len(data):
            length = int.from_bytes(data[at : at + 4], "big")
            chunk = data[at + 4 : at + 8]
            at += 12 + length
            if chunk == b"IEND":
                return at == len(data)
        return False
    if kind == "jpeg":
        return data.rstrip(b"\x00").endswith(b"\xff\xd9")
    if kind == "gif":
        return data.endswith(b"\x3b")
    if kind == "webp":
        return int.from_bytes(data[4:8], "little") + 8 in (len(data), len(data) - 1)
    return True


def sniff(data: bytes) -> str | None:
    """The kind of file by its content: a key of KINDS, 'macro' (Office with macros), 'external' (Office
    reaching outside itself on opening), or None (anything else)."""
    head = data[:16]
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if data[:1024].lstrip(b"\x00\t\r\n ").startswith(b"%PDF-"):
        return "pdf"
    if head.startswith(b"PK\x03\x04"):
        return _office_zip(data)
    if head.startswith(_OLE):
        return _ole(data)
    return None


def safe_name(text: str) -> str:
    """Text made safe as one part of a path on Windows and Linux: characters a file name may not hold
    replaced by '_', invisible reordering characters dropped, a device name (CON, NUL, …) prefixed '_'."""
    base = _UNSAFE_NAME.sub("_", _INVISIBLE.sub("", text)).strip()
    return "_" + base if _DEVICE.match(base) else base


def clean_filename(name: str) -> str:
    """The file's own name without any folder part, unsafe characters replaced, at most 120 characters."""
    base = safe_name(re.split(r"[\\/]", str(name or ""))[-1]).strip(".") or "未命名文件"
    if len(base) > FILENAME_MAX:
        stem, dot, ext = base.rpartition(".")
        base = (
            (stem[: FILENAME_MAX - len(ext) - 1] + "." + ext)
            if dot and len(ext) <= 10
            else base[:FILENAME_MAX]
        )
    return base


def _extension(name: str) -> str:
    stem, dot, ext = name.rpartition(".")
    return ext.lower() if dot and stem else ""


def check(filename: str, data: bytes, limit_mb: float | None = None) -> str:
    """The kind of an acceptable file; InvalidFile naming the file and the reason otherwise."""
    name = clean_filename(filename)
    limit = max_upload_mb() if limit_mb is None else limit_mb
    if not data:
        raise InvalidFile([Problem(name, f"“{name}”是空文件，未上传。")])
    if len(data) > limit * 1024 * 1024:
        raise InvalidFile(
            [
                Problem(
                    name,
                    f"“{name}”有{len(data) / 1024 / 1024:.1f} MB，超过每个文件{limit:g} MB的上限，未上传。"
                    "请压缩照片或拆分文件后再上传。",
                )
            ]
        )
    kind = sniff(data)
    if kind == "macro":
        raise InvalidFile(
            [
                Problem(
                    name, f"“{name}”是含宏的 Office 文件，为安全起见不接受。请另存为 DOCX 或 XLSX 后再上传。"
                )
            ]
        )
    if kind == "external":
        raise InvalidFile(
            [
                Problem(
                    name,
                    f"“{name}”在打开时会连接外部内容（远程模板、外部对象、altChunk 或 mhtml 链接等），"
                    "为安全起见不接受。请在 Word/Excel 中“另存为”新文件后再上传。",
                )
            ]
        )
    if kind is None:
        raise InvalidFile([Problem(name, f"“{name}”的内容不是可接受的文件类型，未上传。只接受{ACCEPTED}。")])
    if kind == "pdf" and _pdf_is_active(data):
        raise InvalidFile(
            [
                Problem(
                    name,
                    f"“{name}”含有脚本、启动程序的动作或内嵌文件（JavaScript、Launch 等），为安全起见不接受。"
                    "请用“打印为 PDF”重新生成后再上传。",
                )
            ]
        )
    if KINDS[kind].image and not _image_ends_cleanly(kind, data):
        raise InvalidFile(
            [
                Problem(
                    name,
                    f"“{name}”在图片数据之后还附带了其他内容（有些手机的“动态照片”也会这样），为安全起见不接受。"
                    "请用画图等软件另存为新的图片后再上传。",
                )
            ]
        )
    ext = _extension(name)
    expected = KINDS[kind]
    if ext not in expected.extensions and not (expected.image and ext in IMAGE_EXTENSIONS):
        shown = f"扩展名是 .{ext}" if ext else "没有扩展名"
        raise InvalidFile(
            [
                Problem(
                    name,
                    f"“{name}”{shown}，但内容是{expected.label}，未上传。请改正扩展名（.{expected.extensions[0]}）后再上传。",
                )
            ]
        )
    return kind


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
    with db.transaction() as cur:
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


def read_bytes(db: Database, attachment: Attachment) -> bytes:
    """The stored content of a file (NotFound with the path when it went missing from the folder)."""
    path = stored_path(db, attachment.sha256)
    try:
        return path.read_bytes()
    except FileNotFoundError as error:
        raise NotFound(
            f"佐证材料“{attachment.filename}”的文件不在 {path.parent} 中，可能被移动或删除。请从备份恢复。"
        ) from error


def remove_file(db: Database, user: User, catalog: Catalog, attachment_id: int) -> None:
    """Unlink a file from its record (soft; the stored file stays for backups); audited."""
    attachment = _load(db, attachment_id)
    record = get_record(db, user, catalog, attachment.record_id)
    with db.transaction() as cur:
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

"""What an evidence file is, by its content, and whether it may be stored: `check(filename, data)`.

A file's type is decided by its content (magic bytes, the parts inside a DOCX/XLSX zip, the streams of an
old Office compound file), never by its name alone. Macros, content that reaches outside the file
(remote templates, external objects, altChunk, mhtml), active PDFs (JavaScript, launch actions, embedded
files, also inside compressed object streams) and data after an image's end are refused, with the file
named and the reason in Chinese. Storing accepted files is `fazhi/attachments.py`.
"""

from __future__ import annotations

import io
import re
import struct
import zipfile
import zlib
from dataclasses import dataclass
from xml.etree.ElementTree import ParseError, fromstring

import olefile

from fazhi import archives
from fazhi.errors import InvalidFile, Problem
from fazhi.settings import max_upload_mb

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

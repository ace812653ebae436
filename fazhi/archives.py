"""Zip archives from outside (an .xlsx to import, a .docx template, a backup, a .docx/.xlsx piece of
evidence) checked before anything in them is read: member count, declared sizes, compression ratio,
names, and no DTD in any XML part. Nothing is extracted or written by these checks.

A zip's declared sizes bound what Python's zipfile will ever decompress from a member (it stops at the
declared size and checks the CRC), so checking the declarations is enough to bound memory and disk.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fazhi.errors import FazhiError

MB = 1024 * 1024
# A member this small may compress as well as it likes: ratios only mean something for large ones.
_RATIO_FLOOR = 1 * MB
_DTD = re.compile(rb"<!(?:DOCTYPE|ENTITY)", re.IGNORECASE)
_XML_NAME = re.compile(r"\.(?:xml|rels|vml)$", re.IGNORECASE)


@dataclass(frozen=True)
class Limits:
    """How big a kind of archive may be once unpacked."""

    members: int  # number of members
    total: int  # sum of declared uncompressed sizes, bytes
    member: int  # largest declared uncompressed member, bytes
    ratio: float  # uncompressed / compressed, for members over 1 MB
    xml_scan: bool = True  # refuse DTDs and entity declarations in XML parts


# An Office document: a year of records is a few MB of sheet XML; real parts compress 3–20 times.
OFFICE = Limits(members=2_000, total=200 * MB, member=150 * MB, ratio=100)
# A report template: one document with some pictures.
TEMPLATE = Limits(members=1_000, total=60 * MB, member=40 * MB, ratio=100)
# A backup: the database file and every evidence file, stored; the database is checked by its header.
BACKUP = Limits(
    members=2_000_000, total=512 * 1024 * MB, member=256 * 1024 * MB, ratio=100_000, xml_scan=False
)


class UnsafeArchive(FazhiError):
    """An archive refused before reading; the message says why in Chinese."""


def _size(size: int) -> str:
    return f"{size / MB:.0f} MB" if size >= MB else f"{max(1, size // 1024)} KB"


def check(archive: zipfile.ZipFile, limits: Limits, label: str) -> list[zipfile.ZipInfo]:
    """The members of `archive` when it fits `limits`; UnsafeArchive naming the problem otherwise.

    `label` names the file for the message, e.g. “台账.xlsx”.
    """
    infos = archive.infolist()
    if len(infos) > limits.members:
        raise UnsafeArchive(f"{label}内含{len(infos)}个部件，超过了{limits.members}个的上限，未读取。")
    total = 0
    for info in infos:
        name = info.filename
        if name.startswith(("/", "\\")) or ".." in re.split(r"[\\/]", name) or "\x00" in name:
            raise UnsafeArchive(f"{label}内有路径异常的部件“{name[:80]}”，未读取。")
        if info.flag_bits & 0x1:
            raise UnsafeArchive(f"{label}有密码保护（已加密），无法读取。请去掉密码后重新保存。")
        if info.file_size > limits.member:
            raise UnsafeArchive(
                f"{label}内的部件“{name[:80]}”解压后有{_size(info.file_size)}，"
                f"超过了{_size(limits.member)}的上限，未读取。"
            )
        if info.file_size > _RATIO_FLOOR and info.file_size > limits.ratio * max(1, info.compress_size):
            raise UnsafeArchive(
                f"{label}内的部件“{name[:80]}”压缩比异常（{_size(info.compress_size)}解压后为"
                f"{_size(info.file_size)}），可能是恶意构造的文件，未读取。"
            )
        total += info.file_size
        if total > limits.total:
            raise UnsafeArchive(f"{label}解压后超过{_size(limits.total)}，超过了上限，未读取。")
    if limits.xml_scan:
        for info in infos:
            if _XML_NAME.search(info.filename) and _has_dtd(archive, info):
                raise UnsafeArchive(
                    f"{label}的“{info.filename[:80]}”含有 DTD 或实体声明（Office 文件不会有），"
                    "可能是恶意构造的文件，未读取。"
                )
    return infos


def _has_dtd(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> bool:
    """True when the part declares a DTD or an entity (read in chunks; a DTD must precede the root element,
    but a scan of the whole part also catches one written after a long prolog)."""
    tail = b""
    try:
        with archive.open(info) as part:
            while chunk := part.read(MB):
                if _DTD.search(tail + chunk):
                    return True
                tail = chunk[-16:]
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError, RuntimeError) as error:
        raise UnsafeArchive(f"部件“{info.filename[:80]}”已损坏，无法读取（{error}）。") from error
    return False


def opened(
    data_or_path: object, limits: Limits, label: str, fail: Callable[[str], FazhiError]
) -> zipfile.ZipFile:
    """A ZipFile over bytes-like or a path that passed `check`; `fail(message)` is raised otherwise (callers
    pass their own error type: InvalidFile, ReportTemplateError, InvalidBackup). The caller closes it."""
    source: Any = (
        io.BytesIO(data_or_path) if isinstance(data_or_path, bytes | bytearray | memoryview) else data_or_path
    )  # a path or a binary file, as ZipFile takes them; anything else fails as "not a zip" below
    try:
        archive = zipfile.ZipFile(source)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError) as error:
        raise fail(f"{label}不是完整的压缩格式文件（可能没有下载或保存完整），无法读取。") from error
    try:
        check(archive, limits, label)
    except UnsafeArchive as error:
        archive.close()
        raise fail(error.message) from error
    return archive

"""The evidence package (佐证材料包) inspectors ask for: one zip per unit and year.

Inside: a folder per area of that year's 纲要, in it a folder per record holding the record's files, and
索引.xlsx listing every record with its files (records without files too, so gaps are visible).
`contents` reads what goes in from the database; `write` makes the zip from that alone, so the download
route has the worker process write it (fazhi/worker.py): a 区县's index of tens of thousands of rows and
its files do not hold the app's interpreter.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from fazhi import attachments, file_checks, ledger
from fazhi.catalog import Catalog
from fazhi.db import Database
from fazhi.labels import BASE_FIELDS
from fazhi.permissions import User
from fazhi.spreadsheet import Table, write_xlsx
from fazhi.units import require_visible

INDEX_NAME = "索引.xlsx"
INDEX_COLUMNS = [
    "序号",
    "领域",
    "记录类型",
    BASE_FIELDS["unit"],
    BASE_FIELDS["title"],
    BASE_FIELDS["start_on"],
    BASE_FIELDS["end_on"],
    "记录编号",
    "佐证材料",
    "在压缩包中的位置",
    "大小（KB）",
    "上传人",
    "上传时间",
    "SHA-256",
]
_UNSAFE = re.compile(r"[\x00-\x1f\x7f\\/:*?\"<>|]")
_STORED = {"image/jpeg", "image/png", "image/gif", "image/webp"}  # already compressed


def folder_name(text: str, limit: int = 60) -> str:
    """A name Windows accepts for a folder or file: unsafe and invisible reordering characters replaced or
    dropped, no device name (CON, NUL, …), no trailing dot or space."""
    cleaned = file_checks.safe_name(_UNSAFE.sub("_", text)).strip().rstrip(". ")
    return cleaned[:limit].rstrip(". ") or "_"


@dataclass(frozen=True)
class Package:
    """What went into a package: its file name, how many records and files, and the zip size in bytes."""

    filename: str
    records: int
    files: int
    size: int


def _unique(name: str, taken: set[str]) -> str:
    stem, dot, ext = name.rpartition(".")
    if not dot:
        stem, ext = name, ""
    candidate, number = name, 2
    while candidate.lower() in taken:
        candidate = f"{stem}（{number}）{dot}{ext}"
        number += 1
    taken.add(candidate.lower())
    return candidate


@dataclass(frozen=True)
class Contents:
    """What a package will hold, read from the database: each file's place in the zip and where it is
    stored, and the index rows. Plain data, so the worker process writes the zip (fazhi/worker.py)."""

    root: str
    records: int
    files: list[tuple[str, str, str, bool]]  # place in the zip, stored file, its name, deflate it
    rows: list[tuple[int, list[object]]]


def contents(db: Database, user: User, catalog: Catalog, unit_id: int, year: int) -> Contents:
    """The unit's (with its units') evidence of the year, as `write` lays it out."""
    unit = require_visible(db, user, unit_id)
    frame = ledger.list_records(db, user, catalog, ledger.RecordFilter(year=year, unit_id=unit.id))
    files = attachments.files_of(db, [int(i) for i in frame["id"]]) if not frame.empty else {}
    root = folder_name(f"{unit.name}{year}年佐证材料")
    outline = catalog.outline_for(year)
    order = {area.name: area.order for area in outline.areas}
    rows: list[tuple[int, list[object]]] = []
    placed: list[tuple[str, str, str, bool]] = []
    for record in frame.sort_values(["start_on", "id"]).itertuples():
        area = catalog.area_of(record.type_code, year) if record.type_code in catalog.record_types else None
        area_folder = folder_name(f"{order.get(area.name, 99):02d}{area.short}" if area else "99其他")
        base = [
            record.area_name,
            record.type_name,
            record.unit_name,
            record.title,
            record.start_on,
            record.end_on,
            int(record.id),
        ]
        linked = files.get(int(record.id), [])
        if not linked:
            rows.append((len(rows) + 2, [len(rows) + 1, *base, "（无佐证材料）", "", None, "", None, ""]))
            continue
        folder = f"{root}/{area_folder}/{folder_name(f'{record.start_on:%Y-%m-%d} {record.title}（编号{record.id}）', 80)}"
        taken: set[str] = set()
        for item in linked:
            path = f"{folder}/{_unique(folder_name(item.filename, 120), taken)}"
            stored = str(attachments.stored_path(db, item.sha256))
            placed.append((path, stored, item.filename, item.mime not in _STORED))
            rows.append(
                (
                    len(rows) + 2,
                    [
                        len(rows) + 1,
                        *base,
                        item.filename,
                        path,
                        round(item.size / 1024, 1),
                        item.uploaded_by,
                        item.uploaded_at.replace(microsecond=0),
                        item.sha256,
                    ],
                )
            )
    return Contents(root, len(frame), placed, rows)


def write(contents: Contents, out: BinaryIO) -> Package:
    """The package as a zip into `out` (no database: the worker runs it); NotFound naming a stored file
    that went missing from the folder."""
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for path, stored, filename, deflate in contents.files:
            data = attachments.stored_bytes(Path(stored), filename)
            archive.writestr(
                path, data, compress_type=zipfile.ZIP_DEFLATED if deflate else zipfile.ZIP_STORED
            )
        index = Table("佐证材料索引", INDEX_COLUMNS, contents.rows)
        archive.writestr(f"{contents.root}/{INDEX_NAME}", write_xlsx([index]))
    size = out.tell() if out.seekable() else 0
    return Package(f"{contents.root}.zip", contents.records, len(contents.files), size)


def write_file(contents: Contents, path: str) -> Package:
    """`write` into the file at `path` (what the download route hands the worker)."""
    with open(path, "wb") as out:
        return write(contents, out)


def write_package(
    db: Database, user: User, catalog: Catalog, unit_id: int, year: int, out: BinaryIO
) -> Package:
    """Write the unit's (with its units') evidence package for the year into `out` (a zip)."""
    return write(contents(db, user, catalog, unit_id, year), out)


def package_bytes(
    db: Database, user: User, catalog: Catalog, unit_id: int, year: int
) -> tuple[Package, bytes]:
    """The evidence package in memory (for a download button), with what it holds."""
    out = io.BytesIO()
    package = write_package(db, user, catalog, unit_id, year, out)
    return package, out.getvalue()

"""Small real files of each kind for the evidence tests, made in memory (no binary fixtures in git)."""

from __future__ import annotations

import io
import zipfile

from PIL import Image


def image(kind: str = "JPEG", size: tuple[int, int] = (800, 600), color: str = "red") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, kind)
    return out.getvalue()


def pdf() -> bytes:
    return (
        b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
        b"2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
    )


def docx(text: str = "签到表") -> bytes:
    from docx import Document

    document = Document()
    document.add_paragraph(text)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def xlsx() -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    book.active["A1"] = "签到"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def macro_docx() -> bytes:
    """A .docm: a Word zip whose content types declare macros."""
    source = zipfile.ZipFile(io.BytesIO(docx()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            data = source.read(item)
            if item.filename == "[Content_Types].xml":
                data = data.replace(
                    b"wordprocessingml.document.main+xml", b"ms-word.document.macroEnabled.main+xml"
                )
            target.writestr(item, data)
        target.writestr("word/vbaProject.bin", b"\x00" * 16)
    return out.getvalue()


def ole(stream: str, *more: str) -> bytes:
    """A real old-Office compound file (CFB v3) whose root holds the named streams (e.g. WordDocument, or
    Workbook) and storages (a name ending in '/', e.g. 'Macros/' or '_VBA_PROJECT_CUR/'), each stream 4 KB
    so that no mini stream is needed."""
    import struct

    sector, end, free, fat_mark = 512, 0xFFFFFFFE, 0xFFFFFFFF, 0xFFFFFFFD
    names = [stream, *more]
    entries = [("Root Entry", 5, end, 0)]
    data_sectors: list[bytes] = []
    next_data = 0  # counted from the first data sector, fixed up below
    for name in names:
        if name.endswith("/"):
            entries.append((name.rstrip("/"), 1, end, 0))
        else:
            entries.append((name, 2, next_data, 4096))
            data_sectors.extend([b"x" * sector] * 8)
            next_data += 8
    dir_sectors = (len(entries) + 3) // 4
    first_data = 1 + dir_sectors  # sector 0 is the FAT
    fat = [fat_mark] + [1 + i + 1 if i + 1 < dir_sectors else end for i in range(dir_sectors)]
    for entry in entries:
        if entry[1] == 2:
            start = first_data + entry[2]
            fat += [start + i + 1 if i < 7 else end for i in range(8)]
    fat += [free] * (128 - len(fat))
    directory = b""
    for index, (name, kind, start, size) in enumerate(entries):
        encoded = (name + "\0").encode("utf-16-le")
        child = 1 if index == 0 and len(entries) > 1 else free
        right = index + 1 if 0 < index < len(entries) - 1 else free
        begin = first_data + start if kind == 2 else end
        directory += (
            encoded.ljust(64, b"\0")
            + struct.pack("<HBB3I", len(encoded), kind, 1, free, right, child)
            + bytes(16 + 4 + 16)
            + struct.pack("<IQ", begin, size)
        )
    directory = directory.ljust(dir_sectors * sector, b"\0")  # unused slots: empty entries
    header = (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
        + bytes(16)
        + struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6)
        + bytes(6)
        + struct.pack("<IIIIIIIII", 0, 1, 1, 0, 4096, end, 0, end, 0)
        + struct.pack("<I", 0)
        + struct.pack("<108I", *([free] * 108))
    )
    return header + struct.pack("<128I", *fat) + directory + b"".join(data_sectors)


def png_with_chunk(size: int) -> bytes:
    """A valid PNG made larger by a private ancillary chunk of `size` bytes before its IEND."""
    import struct
    import zlib

    data = image("PNG", (40, 40))
    body = b"prVt" + b"\0" * size
    chunk = struct.pack(">I", size) + body + struct.pack(">I", zlib.crc32(body))
    return data[:-12] + chunk + data[-12:]


def pdf_with(dictionary: bytes, *, compressed: bool = False) -> bytes:
    """A PDF whose catalog carries `dictionary` entries, plainly or inside a Flate object stream."""
    import zlib

    if not compressed:
        return b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R " + dictionary + b" >> endobj\n%%EOF\n"
    inner = zlib.compress(b"3 0 << " + dictionary + b" >>")
    return (
        b"%PDF-1.5\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
        b"4 0 obj << /Type /ObjStm /N 1 /First 6 /Filter /FlateDecode /Length "
        + str(len(inner)).encode()
        + b" >>\nstream\n"
        + inner
        + b"\nendstream\nendobj\n%%EOF\n"
    )


def office_with_rels(base: bytes, rels_name: str, relationship: bytes) -> bytes:
    """A Word/Excel file with one more relationship in the named .rels part."""
    source = zipfile.ZipFile(io.BytesIO(base))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = source.read(item)
            if item.filename == rels_name:
                data = data.replace(b"</Relationships>", relationship + b"</Relationships>")
            target.writestr(item, data)
    return out.getvalue()


def plain_zip() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("readme.txt", "hello")
    return out.getvalue()

"""Spreadsheets in and out: xlsx workbooks and CSV files as plain tables, whatever Chinese Excel saved.

Reading accepts .xlsx and CSV in UTF-8 (with or without BOM), GB18030/GBK and UTF-16 (Excel's "Unicode
text", tab-separated). Writing neutralises text that a spreadsheet would run as a formula (= + - @, tab,
CR) with a leading apostrophe, and reading removes exactly that apostrophe, so a round trip is exact.
This module knows nothing about records; fazhi/transfer.py maps tables to records and back.

Over 400 lines because the streaming byte scan that measures every sheet before openpyxl reads a row
(issue 10) lives beside the reader it protects.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import unicodedata
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from xml.etree.ElementTree import iterparse

from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from fazhi import archives, chinese
from fazhi.errors import FazhiError, InvalidFile, Problem

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
NOTES_MARK = "填写说明"
MAX_ROWS = 100_000  # per file: far above a year of any office's work, far below what exhausts memory
MAX_CELLS = 3_000_000  # per file, empty cells written into the sheet included
MAX_COLUMNS = 500  # a template sheet has under 30; the widest sheet Excel allows has 16,384
MAX_STRINGS = 2_000_000  # entries of the shared-strings part
# A workbook is read only after its zip passes these (a 100,000-row import is about 50 MB of sheet XML).
SPREADSHEET = archives.Limits(members=1_000, total=160 * archives.MB, member=96 * archives.MB, ratio=100)
SHEET_NAME_MAX = 31
_FORMULA_START = re.compile(r"^'*[=+\-@\t\r]")
_SHEET_UNSAFE = re.compile(r"[\[\]:*?/\\]")
_BINARY = re.compile(r"[\x00-\x08\x0e-\x1f]")  # control characters no text file holds


def neutralise(text: str) -> str:
    """Text a spreadsheet will never run as a formula: a leading apostrophe before = + - @ tab CR (and before
    text that already starts with apostrophes followed by one of them, so `restore` can undo it exactly)."""
    return "'" + text if _FORMULA_START.match(text) else text


def restore(text: str) -> str:
    """Undo `neutralise`: one leading apostrophe goes when what follows would start a formula."""
    return text[1:] if text.startswith("'") and _FORMULA_START.match(text) else text


@dataclass
class Table:
    """One sheet or CSV file: header, optional notes row, and data rows with their row numbers (header = 1)."""

    name: str
    header: list[str]
    rows: list[tuple[int, list[Any]]] = field(default_factory=list)
    notes: list[str] | None = None
    choices: dict[int, list[str]] = field(
        default_factory=dict
    )  # column index → allowed values (xlsx dropdowns)
    hidden: bool = False  # a worksheet hidden in Excel (imported only when asked for)


def header_key(text: object) -> str:
    """A header cell reduced for matching: NFKC, no spaces, without '*' or a '（必填）' mark."""
    value = unicodedata.normalize("NFKC", str(text or "")).strip()
    value = re.sub(r"\s+", "", value).replace("*", "")
    return value.removesuffix("(必填)")


def sheet_title(name: str) -> str:
    """A name Excel accepts for a sheet: no [ ] : * ? / \\ and at most 31 characters."""
    return _SHEET_UNSAFE.sub("_", name)[:SHEET_NAME_MAX] or "Sheet"


# ───────────── writing ─────────────


def _cell(value: Any) -> Any:
    if isinstance(value, str):
        return neutralise(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _styled(sheet: Any, values: Sequence[Any], font: Any, fill: Any = None, align: Any = None) -> list[Any]:
    """Cells of a header or notes row for a write-only sheet, with their style."""
    cells = []
    for value in values:
        cell = WriteOnlyCell(sheet, _cell(value))
        cell.font = font
        if fill is not None:
            cell.fill = fill
        if align is not None:
            cell.alignment = align
        cells.append(cell)
    return cells


def write_xlsx(tables: Sequence[Table]) -> bytes:
    """A workbook with one sheet per table: bold header, grey notes row, real dates, yes/no dropdowns.

    Written in openpyxl's streaming (write-only) mode: 10,000 rows take about a second, not five.
    """

    book = Workbook(write_only=True)
    bold, header_fill = Font(bold=True), PatternFill("solid", fgColor="E8EEF7")
    notes_font, wrap = Font(italic=True, color="666666", size=9), Alignment(wrap_text=True, vertical="top")
    for table in tables:
        sheet = book.create_sheet(sheet_title(table.name))
        first_data = 2 if table.notes is None else 3
        sheet.freeze_panes = f"A{first_data}"
        for column, header in enumerate(table.header, 1):
            width = max(len(str(header)) * 2 + 2, 12)
            sheet.column_dimensions[get_column_letter(column)].width = min(
                width, 60 if "说明" in str(header) else 40
            )
        for column, allowed in table.choices.items():
            letter = get_column_letter(column + 1)
            rule = DataValidation(type="list", formula1='"' + ",".join(allowed) + '"', allow_blank=True)
            rule.error, rule.errorTitle = f"请填写：{'、'.join(allowed)}", "填写有误"
            rule.add(f"{letter}{first_data}:{letter}{max(first_data + 999, first_data + len(table.rows))}")
            sheet.data_validations.append(rule)

        sheet.append(_styled(sheet, table.header, bold, header_fill))
        if table.notes is not None:
            sheet.append(_styled(sheet, table.notes, notes_font, align=wrap))
        for _, values in table.rows:
            row = []
            for value in values:
                if isinstance(value, date):
                    cell = WriteOnlyCell(sheet, value)
                    cell.number_format = "yyyy-mm-dd hh:mm" if isinstance(value, datetime) else "yyyy-mm-dd"
                    row.append(cell)
                else:
                    row.append(_cell(value))
            sheet.append(row)
    if not tables:
        book.create_sheet("空")
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float):
        return chinese.number(value)  # every digit of a fraction (str is repr for floats)
    return neutralise(str(value))


def write_csv(table: Table) -> bytes:
    """The table as CSV in UTF-8 with a BOM (what Excel opens without garbling Chinese), CRLF line ends."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([_csv_cell(h) for h in table.header])
    if table.notes is not None:
        writer.writerow([_csv_cell(n) for n in table.notes])
    for _, values in table.rows:
        writer.writerow([_csv_cell(v) for v in values])
    return codecs.BOM_UTF8 + out.getvalue().encode("utf-8")


# ───────────── reading ─────────────


def _not_a_table(filename: str, why: str) -> InvalidFile:
    return InvalidFile([Problem("file", f"“{filename}”{why}")])


def _too_long(filename: str) -> InvalidFile:
    return _not_a_table(filename, f"超过{MAX_ROWS}行，请拆分成几个文件后分别导入。")


def decode_text(filename: str, data: bytes) -> str:
    """The text of a CSV file in UTF-8 (BOM or not), UTF-16 (BOM or not) or GB18030/GBK; InvalidFile otherwise."""
    if data.startswith(codecs.BOM_UTF8):
        candidates = [("utf-8", data[3:])]
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        candidates = [("utf-16", data)]
    elif b"\x00" in data[:4000]:  # UTF-16 without a BOM: ASCII characters leave zero bytes on one side
        sample = data[:4000]
        little = sample[1::2].count(0) >= sample[0::2].count(0)
        candidates = [("utf-16-le" if little else "utf-16-be", data)]
    else:
        candidates = [("utf-8", data), ("gb18030", data)]
    for encoding, raw in candidates:
        try:
            text = raw.decode(encoding)
        except (UnicodeDecodeError, ValueError):
            continue
        if _BINARY.search(text[:4000]):
            break
        if encoding == "gb18030" and not _reads_as_chinese(text):
            raise _unknown_encoding(filename)
        return text
    if not _BINARY.search(data[:4000].decode("latin-1")):  # text, but in an encoding we do not read
        raise _unknown_encoding(filename)
    raise _not_a_table(
        filename, "不是表格文件（既不是 Excel 的 .xlsx，也不是可识别编码的 CSV 文本），无法导入。"
    )


def _unknown_encoding(filename: str) -> InvalidFile:
    return _not_a_table(
        filename,
        "的文字编码无法识别（不是 UTF-8、GBK/GB18030 或 UTF-16，可能是西文编码），"
        "导入会变成乱码。请在 Excel 中“另存为”“CSV UTF-8（逗号分隔）”后再导入。",
    )


def _reads_as_chinese(text: str) -> bool:
    """True when text decoded as GB18030 looks like Chinese rather than mojibake of a Western encoding:
    bytes of Latin-1 or Windows-1252 text (é, ü, ß…) decode to rare characters outside GB2312, which Chinese
    office text uses only now and then (a rare character in a name), or to four-byte GB18030 sequences."""
    unusual = total = 0
    for char in text:
        if char.isascii():
            continue
        total += 1
        try:
            char.encode("gb2312")
        except UnicodeEncodeError:
            unusual += 1
    return total == 0 or unusual * 2 <= total


def _delimiter(text: str) -> str:
    first = next((line for line in text.splitlines() if line.strip()), "")
    counts = {d: first.count(d) for d in (",", "\t", ";")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def read_csv(filename: str, data: bytes, name: str = "") -> Table:
    """One table from CSV bytes; rows numbered as Excel shows them (header = 1)."""
    text = decode_text(filename, data)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text))
    try:
        all_rows = []
        for number, row in enumerate(reader, 1):
            all_rows.append((number, [restore(c) for c in row]))
            if number > MAX_ROWS + 10:
                raise _too_long(filename)
    except csv.Error as error:
        raise _not_a_table(filename, f"的 CSV 格式有误（{error}），请用 Excel 打开后重新保存。") from error
    return _table(name or filename.rsplit(".", 1)[0], all_rows)


def _value(cell: Any) -> Any:
    if isinstance(cell, str):
        return restore(cell)
    if isinstance(cell, datetime) and cell.hour == cell.minute == cell.second == 0:
        return cell.date()
    return cell


_ROW_TAG = re.compile(rb"<(?:\w+:)?row[\s/>]")
_ROW_NUMBER = re.compile(rb"<(?:\w+:)?row\b[^>]*?\sr=\"(\d{1,9})\"")
_CELL_TAG = re.compile(rb"<(?:\w+:)?c[\s/>]")
_CELL_COLUMN = re.compile(rb"<(?:\w+:)?c\b[^>]*?\sr=\"([A-Za-z]{1,5})\d")
_FORMULA_TAG = re.compile(rb"<(?:\w+:)?f[\s/>]")
_STRING_TAG = re.compile(rb"<(?:\w+:)?si[\s/>]")


@dataclass
class _Extent:
    """What a streaming pass over one sheet's XML found: rows written (empty ones too), the highest row
    number, cells, the widest column and whether any cell holds a formula."""

    rows: int = 0
    last_row: int = 0
    cells: int = 0
    last_column: int = 0
    formulas: bool = False


def _column_number(letters: bytes) -> int:
    number = 0
    for letter in letters.upper():
        number = number * 26 + letter - 64
    return number


def _pieces(part: Any) -> Any:
    """The part's bytes in chunks that never split a tag's opening (each ends just before a '<')."""
    carry = b""
    while chunk := part.read(archives.MB):
        data = carry + chunk
        cut = data.rfind(b"<")
        if cut <= 0:
            carry = data
            continue
        yield data[:cut]
        carry = data[cut:]
    if carry:
        yield carry


def _extent(archive: zipfile.ZipFile, member: str) -> _Extent:
    """Measure one sheet by scanning its XML as bytes (constant memory, C speed); stops at the limits."""
    found = _Extent()
    with archive.open(member) as part:
        for piece in _pieces(part):
            found.rows += len(_ROW_TAG.findall(piece))
            numbers = _ROW_NUMBER.findall(piece)
            if numbers:
                found.last_row = max(found.last_row, max(int(n) for n in numbers))
            found.cells += len(_CELL_TAG.findall(piece))
            columns = _CELL_COLUMN.findall(piece)
            if columns:
                found.last_column = max(found.last_column, max(_column_number(c) for c in set(columns)))
            found.formulas = found.formulas or bool(_FORMULA_TAG.search(piece))
            if max(found.rows, found.last_row) > MAX_ROWS + 10 or found.cells > MAX_CELLS:
                break
    return found


def _count_strings(archive: zipfile.ZipFile) -> int:
    if "xl/sharedStrings.xml" not in archive.namelist():
        return 0
    count = 0
    with archive.open("xl/sharedStrings.xml") as part:
        for piece in _pieces(part):
            count += len(_STRING_TAG.findall(piece))
            if count > MAX_STRINGS:
                break
    return count


def _measure(filename: str, archive: zipfile.ZipFile) -> dict[str, _Extent]:
    """Every sheet's extent by its part name, or InvalidFile when the workbook is larger than an import may
    be: rows (empty rows and rows skipped over count), cells, columns, shared strings."""
    extents = {
        name: _extent(archive, name)
        for name in archive.namelist()
        if name.startswith("xl/worksheets/") and name.endswith(".xml")
    }
    rows = sum(max(e.rows, e.last_row) for e in extents.values())
    if rows > MAX_ROWS + 10 * max(1, len(extents)):
        raise _too_long(filename)
    if sum(e.cells for e in extents.values()) > MAX_CELLS:
        raise _not_a_table(filename, f"的单元格超过{MAX_CELLS}个，请删去无关的内容或拆分成几个文件。")
    if any(e.last_column > MAX_COLUMNS for e in extents.values()):
        raise _not_a_table(filename, f"有超过{MAX_COLUMNS}列的工作表，不是导入模板的格式。请使用下载的模板。")
    if _count_strings(archive) > MAX_STRINGS:
        raise _not_a_table(filename, "中的文字条目过多，请删去无关的内容或拆分成几个文件。")
    return extents


def _uncomputed_formulas(archive: zipfile.ZipFile, member: str) -> dict[int, dict[int, str]]:
    """Cells of one sheet holding a formula but no computed value (files written by programs other than
    Excel), by row number and column index: their formula text, so a check names them instead of reading a
    blank. Streams the sheet's XML (it has passed `_measure`)."""
    found: dict[int, dict[int, str]] = {}
    row_number = 0
    with archive.open(member) as part:
        for _, element in iterparse(part, events=("end",)):
            tag = element.tag.rsplit("}", 1)[-1]
            if tag == "c":
                children = {child.tag.rsplit("}", 1)[-1]: child for child in element}
                formula, value = children.get("f"), children.get("v")
                reference = element.get("r", "")
                if formula is not None and (value is None or not (value.text or "").strip()):
                    letters = re.match(r"[A-Za-z]+", reference)
                    number = int(reference[len(letters[0]) :]) if letters else row_number + 1
                    column = _column_number(letters[0].encode()) - 1 if letters else 0
                    found.setdefault(number, {})[column] = "=" + (formula.text or "")
                element.clear()
            elif tag == "row":
                row_number = int(element.get("r") or row_number + 1)
                element.clear()
    return found


def _broken(filename: str) -> InvalidFile:
    return _not_a_table(
        filename,
        "不是完整的 Excel 文件（可能没有下载或保存完整，或已损坏），请在 Excel 中重新保存为 .xlsx 后再导入。",
    )


def read_xlsx(filename: str, data: bytes) -> list[Table]:
    """Every non-empty sheet of an .xlsx workbook as a table (formulas read as their last computed values).

    The zip is checked first (sizes, compression ratio, no DTD: `archives`), then every sheet is measured
    by a streaming pass (rows, cells, columns) before openpyxl reads a single row.
    """
    fail = lambda message: InvalidFile([Problem("file", message)])  # noqa: E731
    with archives.opened(data, SPREADSHEET, f"“{filename}”", fail) as archive:
        try:
            extents = _measure(filename, archive)
            formulas = {
                member: _uncomputed_formulas(archive, member) for member, e in extents.items() if e.formulas
            }
        except FazhiError:
            raise
        except Exception as error:  # zipfile, expat: a damaged or crafted part
            raise _broken(filename) from error
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds for a damaged workbook
        raise _broken(filename) from error
    tables = []
    try:
        for sheet in book.worksheets:
            sheet.reset_dimensions()  # never pad rows to a dimension the file claims
            rows = []
            missing = formulas.get(getattr(sheet, "_worksheet_path", ""), {})
            for number, row in enumerate(sheet.iter_rows(values_only=True), 1):
                if number in missing:  # a formula without a computed value: keep its text, never a blank
                    row = tuple(missing[number].get(i, c) for i, c in enumerate(row))
                if any(c is not None and str(c).strip() for c in row):
                    rows.append((number, [_value(c) for c in row]))
                    if len(rows) > MAX_ROWS:
                        raise _too_long(filename)
            if rows:
                table = _table(sheet.title, rows)
                table.hidden = getattr(sheet, "sheet_state", "visible") != "visible"
                tables.append(table)
    except FazhiError:
        raise
    except Exception as error:  # openpyxl, expat, defusedxml: a part damaged or crafted past the checks
        raise _not_a_table(
            filename, "已损坏，读到一半出错，请在 Excel 中重新保存为 .xlsx 后再导入。"
        ) from error
    finally:
        book.close()
    return tables


def _table(name: str, rows: list[tuple[int, list[Any]]]) -> Table:
    """Find the header (the first row naming 标题, in the first 10 rows; else the first row) and the notes row."""
    rows = [(n, cells) for n, cells in rows if any(c is not None and str(c).strip() for c in cells)]
    if not rows:
        return Table(name, [])
    at = next((i for i, (_, cells) in enumerate(rows[:10]) if "标题" in {header_key(c) for c in cells}), 0)
    header = [str(c).strip() if c is not None else "" for c in rows[at][1]]
    while header and not header[-1]:
        header.pop()
    data = rows[at + 1 :]
    notes = None
    if data and str(data[0][1][0] if data[0][1] else "").strip().startswith(NOTES_MARK):
        notes = [str(c or "") for c in data[0][1]]
        data = data[1:]
    return Table(name, header, data, notes)


def read_tables(filename: str, data: bytes) -> list[Table]:
    """The tables of an uploaded file, by its content: .xlsx sheets or one CSV table; InvalidFile otherwise."""
    if not data:
        raise _not_a_table(filename, "是空文件。")
    if data.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                is_workbook = "xl/workbook.xml" in archive.namelist()
        except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError):
            raise _broken(filename) from None
        if not is_workbook:
            raise _not_a_table(filename, "是压缩包或 Word 等文件，不是 Excel 表格，无法导入。")
        return read_xlsx(filename, data)
    if data.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        raise _not_a_table(
            filename,
            "是旧版 Excel（.xls）或 Word 文件。请在 Excel 中“另存为”“Excel 工作簿（.xlsx）”后再导入。",
        )
    if data.startswith((b"%PDF", b"\x89PNG", b"\xff\xd8\xff", b"GIF8")):
        raise _not_a_table(filename, "是 PDF 或图片，不是表格文件，无法导入。")
    return [read_csv(filename, data)]

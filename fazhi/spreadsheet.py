"""Spreadsheets in and out: xlsx workbooks and CSV files as plain tables, whatever Chinese Excel saved.

Reading accepts .xlsx and CSV in UTF-8 (with or without BOM), GB18030/GBK and UTF-16 (Excel's "Unicode
text", tab-separated). Writing neutralises text that a spreadsheet would run as a formula (= + - @, tab,
CR) with a leading apostrophe, and reading removes exactly that apostrophe, so a round trip is exact.
This module knows nothing about records; fazhi/transfer.py maps tables to records and back.
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

from fazhi.errors import InvalidFile, Problem

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
NOTES_MARK = "填写说明"
MAX_ROWS = 100_000  # per file: far above a year of any office's work, far below what exhausts memory
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
    from openpyxl.cell import WriteOnlyCell

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
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

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
        return str(int(value)) if value.is_integer() else repr(value)
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
        return text
    raise _not_a_table(
        filename, "不是表格文件（既不是 Excel 的 .xlsx，也不是可识别编码的 CSV 文本），无法导入。"
    )


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


_FORMULA_TAG = re.compile(rb"<(?:\w+:)?f[ >/]")


def _uncomputed_formulas(data: bytes) -> dict[str, dict[int, dict[int, str]]]:
    """Cells holding a formula but no computed value (files written by programs other than Excel), by sheet,
    row number and column index: their formula text, so a check names them instead of reading a blank."""
    from openpyxl import load_workbook

    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        if not any(
            _FORMULA_TAG.search(archive.read(name))
            for name in archive.namelist()
            if name.startswith("xl/worksheets/") and name.endswith(".xml")
        ):
            return {}
    found: dict[str, dict[int, dict[int, str]]] = {}
    values = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    formulas = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    try:
        for computed, written in zip(values.worksheets, formulas.worksheets, strict=True):
            rows = zip(
                computed.iter_rows(values_only=True), written.iter_rows(values_only=True), strict=False
            )
            for number, (value_row, formula_row) in enumerate(rows, 1):
                for index, (value, formula) in enumerate(zip(value_row, formula_row, strict=False)):
                    if value is None and isinstance(formula, str) and formula.startswith("="):
                        found.setdefault(computed.title, {}).setdefault(number, {})[index] = formula
    finally:
        values.close()
        formulas.close()
    return found


def read_xlsx(filename: str, data: bytes) -> list[Table]:
    """Every non-empty sheet of an .xlsx workbook as a table (formulas read as their last computed values)."""
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError, EOFError) as error:
        raise _not_a_table(
            filename,
            "不是完整的 Excel 文件（可能没有下载或保存完整，或已损坏），请在 Excel 中重新保存为 .xlsx 后再导入。",
        ) from error
    tables = []
    try:
        uncomputed = _uncomputed_formulas(data)
        for sheet in book.worksheets:
            rows = []
            missing = uncomputed.get(sheet.title, {})
            for number, row in enumerate(sheet.iter_rows(values_only=True), 1):
                if number in missing:  # a formula without a computed value: keep its text, never a blank
                    row = tuple(missing[number].get(i, c) for i, c in enumerate(row))
                if any(c is not None and str(c).strip() for c in row):
                    rows.append((number, [_value(c) for c in row]))
                    if len(rows) > MAX_ROWS:
                        raise _too_long(filename)
            if rows:
                tables.append(_table(sheet.title, rows))
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError, EOFError) as error:
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
        except (zipfile.BadZipFile, OSError, ValueError):
            raise _not_a_table(
                filename,
                "不是完整的 Excel 文件（可能没有下载或保存完整，或已损坏），请在 Excel 中重新保存为 .xlsx 后再导入。",
            ) from None
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

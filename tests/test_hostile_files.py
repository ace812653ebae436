"""Hostile spreadsheets (issue 10): zip bombs, sheets of empty rows, rows and columns far away, entity
declarations, broken XML, hidden sheets, CSV in a Western encoding. Each is refused in Chinese (or
imported as asked), with the database unchanged. The resource-heavy ones are read in a child process
with an address-space limit, so a regression fails the test instead of the machine."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import openpyxl
import pytest

from fazhi import auth, db, ledger, spreadsheet, transfer
from fazhi.catalog import Catalog
from fazhi.errors import FazhiError, InvalidFile
from tests.test_bad_files import CHINESE, snapshot

SYSTEM = auth.system_user("测试")
SHEET_HEAD = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
)
SHEET_TAIL = b"</sheetData></worksheet>"


def template_book(catalog: Catalog) -> bytes:
    return transfer.template(catalog, ["market_day"])


def with_sheet_xml(book: bytes, writer) -> bytes:
    """The workbook with its first worksheet's XML replaced by what `writer(handle)` streams out."""
    source = zipfile.ZipFile(io.BytesIO(book))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        for info in source.infolist():
            if info.filename == "xl/worksheets/sheet1.xml":
                with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as handle:
                    handle.write(SHEET_HEAD)
                    writer(handle)
                    handle.write(SHEET_TAIL)
            else:
                archive.writestr(info, source.read(info))
    return out.getvalue()


def empty_rows(count: int):
    def write(handle) -> None:
        for start in range(1, count + 1, 10_000):
            handle.write(b"".join(b'<row r="%d"/>' % n for n in range(start, min(count, start + 9_999) + 1)))

    return write


def one_far_row(handle) -> None:
    handle.write(b'<row r="1048576"><c r="A1048576" t="inlineStr"><is><t>x</t></is></c></row>')


def one_wide_row(handle) -> None:
    handle.write(b'<row r="1"><c r="XFD1" t="inlineStr"><is><t>x</t></is></c></row>')


def compressible_bomb(handle) -> None:
    # 200 MB of one repeated cell: a few hundred KB once deflated
    cell = b'<c t="inlineStr"><is><t>' + b"a" * 1000 + b"</t></is></c>"
    block = b'<row r="1">' + cell * 1000 + b"</row>"
    for _ in range(200):
        handle.write(block)


def entity_declaration(handle) -> None:
    handle.write(b'<row r="1"><c t="inlineStr"><is><t>&lol;</t></is></c></row>')


def with_doctype(book: bytes) -> bytes:
    source = zipfile.ZipFile(io.BytesIO(book))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                head, _, rest = data.partition(b"?>")
                data = head + b'?><!DOCTYPE w [<!ENTITY lol "lol">]>' + rest
            archive.writestr(info, data)
    return out.getvalue()


def broken_xml(book: bytes) -> bytes:
    source = zipfile.ZipFile(io.BytesIO(book))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = data[: len(data) // 2] + b"<<<<"
            archive.writestr(info, data)
    return out.getvalue()


READER = textwrap.dedent(
    """
    import json, resource, sys, time
    resource.setrlimit(resource.RLIMIT_AS, (1024 * 1024 * 1024,) * 2)
    from fazhi import spreadsheet
    from fazhi.errors import FazhiError
    data = open(sys.argv[1], "rb").read()
    started = time.perf_counter()
    try:
        spreadsheet.read_tables("炸弹.xlsx", data)
        outcome = "read"
    except FazhiError as error:
        outcome = error.message
    seconds = time.perf_counter() - started
    # VmHWM, not ru_maxrss: on Linux the latter keeps the parent's size from before exec
    status = open("/proc/self/status").read()
    peak = int(status.split("VmHWM:")[1].split()[0]) / 1024
    print(json.dumps({"outcome": outcome, "seconds": seconds, "peak_mb": peak}, ensure_ascii=False))
    """
)


def read_in_child(tmp_path: Path, data: bytes) -> dict:
    path = tmp_path / "bomb.xlsx"
    path.write_bytes(data)
    done = subprocess.run(
        [sys.executable, "-c", READER, str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=Path(__file__).resolve().parent.parent,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


BOMBS = [
    ("many_empty_rows", lambda book: with_sheet_xml(book, empty_rows(300_000)), "超过100000行"),
    ("one_row_far_away", lambda book: with_sheet_xml(book, one_far_row), "超过100000行"),
    ("one_column_far_away", lambda book: with_sheet_xml(book, one_wide_row), "列"),
    ("compression_bomb", lambda book: with_sheet_xml(book, compressible_bomb), "超过"),
    ("entity_declaration", with_doctype, "DTD"),
]


@pytest.mark.skipif(sys.platform != "linux", reason="the child measures itself in /proc (Linux)")
@pytest.mark.parametrize(("name", "make", "said"), BOMBS, ids=[b[0] for b in BOMBS])
def test_a_hostile_workbook_is_refused_quickly_in_little_memory(
    catalog: Catalog, tmp_path: Path, name: str, make, said: str
) -> None:
    result = read_in_child(tmp_path, make(template_book(catalog)))
    assert said in result["outcome"] and CHINESE.search(result["outcome"]), result
    assert result["seconds"] < 5, result
    assert result["peak_mb"] < 300, result


def test_a_workbook_with_broken_sheet_xml_is_refused_in_chinese(catalog: Catalog) -> None:
    with pytest.raises(InvalidFile, match="已损坏|不是完整的 Excel") as caught:
        spreadsheet.read_tables("坏.xlsx", broken_xml(template_book(catalog)))
    assert CHINESE.search(str(caught.value))


def test_an_entity_used_without_declaration_is_refused(catalog: Catalog) -> None:
    with pytest.raises(InvalidFile, match="已损坏|不是完整的 Excel"):
        spreadsheet.read_tables("实体.xlsx", with_sheet_xml(template_book(catalog), entity_declaration))


def _book_with_hidden_sheet(catalog: Catalog) -> bytes:
    workbook = openpyxl.Workbook()
    visible = workbook.active
    visible.title = "赶场日集中宣传"
    hidden = workbook.create_sheet("法律援助")
    for sheet, code, row in (
        (visible, "market_day", ["燕山乡", "四月赶场宣传", "2020-04-15", None, None, None, 10, 300, 2]),
        (hidden, "legal_aid", ["燕山乡", "藏起来的援助", "2020-05-06", None, None, None, 1]),
    ):
        sheet.append(transfer.columns(catalog.type(code)))
        sheet.append(row)
    hidden.sheet_state = "hidden"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def test_a_hidden_sheet_is_named_and_imported_only_when_asked(demo: db.Database, catalog: Catalog) -> None:
    data = _book_with_hidden_sheet(catalog)
    plan = transfer.preview(demo, SYSTEM, catalog, "隐藏.xlsx", data, year=2020)
    assert plan.hidden_sheets == ["法律援助"]
    assert [row.title for row in plan.rows] == ["四月赶场宣传"]
    assert any("隐藏的工作表“法律援助”" in notice for notice in plan.notices)
    both = transfer.preview(demo, SYSTEM, catalog, "隐藏.xlsx", data, year=2020, include_hidden=True)
    assert sorted(row.title for row in both.rows) == ["四月赶场宣传", "藏起来的援助"]
    result = transfer.run(demo, SYSTEM, catalog, both)
    assert len(result.ids) == 2


@pytest.mark.parametrize(
    "line",
    [
        "Yanshan,Cafés crème für Jürgen,2020-04-15",  # decodes as GB18030, into rare characters
        "Yanshan,Café, déjà vu,2020-04-15",  # does not decode as GB18030 at all
    ],
)
def test_a_csv_in_a_western_encoding_is_refused_not_stored_as_mojibake(
    demo: db.Database, catalog: Catalog, line: str
) -> None:
    data = f"Unit,Title,Date\r\n{line}\r\n".encode("latin-1")
    before = snapshot(demo)
    with pytest.raises(FazhiError, match="编码无法识别") as caught:
        transfer.preview(demo, SYSTEM, catalog, "西文.csv", data, year=2020, type_code="market_day")
    assert "CSV UTF-8" in caught.value.message
    assert snapshot(demo) == before


def test_gbk_text_with_rare_characters_still_reads_as_chinese() -> None:
    text = "单位,标题\r\n燕山乡,镕铖堃喆（生僻字）赶场宣传\r\n" * 3
    assert spreadsheet.decode_text("x.csv", text.encode("gb18030")) == text


def test_the_largest_real_import_still_reads(demo: db.Database, catalog: Catalog) -> None:
    # 5,000 rows of the real format pass every limit and import exactly.
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet("赶场日集中宣传")
    sheet.append(transfer.columns(catalog.type("market_day")))
    for n in range(5000):
        sheet.append(["燕山乡", f"第{n}场", "2020-03-15", None, None, None, 1, 2, 3])
    out = io.BytesIO()
    workbook.save(out)
    plan = transfer.preview(demo, SYSTEM, catalog, "大.xlsx", out.getvalue(), year=2020)
    assert plan.ok and len(plan.rows) == 5000
    frame = ledger.list_records(demo, SYSTEM, catalog, ledger.RecordFilter(year=2020))
    assert len(frame) > 0

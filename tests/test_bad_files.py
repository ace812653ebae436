"""One corpus of bad files thrown at every door that takes a file: import, restore, custom report templates.

Each file is either refused with a clear Chinese message (a FazhiError, never another exception) and the
database is exactly as before, or imported correctly. Hostile text in a report renders and converts.
"""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import zipfile
from collections.abc import Callable
from datetime import date
from pathlib import Path

import openpyxl
import pytest
from docx import Document

from fazhi import auth, backup, db, ledger, records, transfer, validation
from fazhi.catalog import Catalog
from fazhi.errors import FazhiError
from fazhi.report import custom
from fazhi.report.context import build_context
from fazhi.report.render import render
from fazhi.report.template import default_template_bytes
from fazhi.units import find_unit

SYSTEM = auth.system_user("测试")
CHINESE = re.compile(r"[\u4e00-\u9fff]")
TABLES = (
    "records",
    "record_values",
    "units",
    "users",
    "narratives",
    "targets",
    "record_attachments",
    "unit_settings",
)


def snapshot(database: db.Database) -> dict[str, list[tuple]]:
    return {table: database.rows(f"SELECT * FROM {table} ORDER BY ALL") for table in TABLES}


def exported(database: db.Database, catalog: Catalog) -> bytes:
    return transfer.export_xlsx(
        database, SYSTEM, catalog, ledger.RecordFilter(year=2020, type_codes=["market_day"])
    )


def edited(data: bytes, change: Callable[[openpyxl.Workbook], None]) -> bytes:
    workbook = openpyxl.load_workbook(io.BytesIO(data))
    change(workbook)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def merged_cells(workbook: openpyxl.Workbook) -> None:
    sheet = workbook.worksheets[0]
    sheet.merge_cells(start_row=3, start_column=1, end_row=4, end_column=1)  # one 单位 cell over two rows


def a_formula(workbook: openpyxl.Workbook) -> None:
    sheet = workbook.worksheets[0]
    sheet.cell(row=3, column=8).value = "=SUM(1000,2)"  # 发放宣传资料 as a formula


def zipped(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return out.getvalue()


def market_csv(encoding: str) -> bytes:
    text = (
        "单位,标题,开始日期,结束日期,地点,情况说明,解答法律咨询（人次）,发放宣传资料（份）,悬挂横幅（幅）\r\n"
        "燕山乡,赶场日宣传“民法典”&<b>{{ x }}</b>,2020-04-15,,农贸市场,=危险,10,300,2\r\n"
    )
    return text.encode(encoding)


# (file name, how to make its bytes from the demo, expected: "refused" or the number of records imported)
IMPORTS: list[tuple[str, Callable[[db.Database, Catalog], bytes], str | int]] = [
    ("空.xlsx", lambda d, c: b"", "refused"),
    ("空.csv", lambda d, c: b"", "refused"),
    ("半截.xlsx", lambda d, c: exported(d, c)[: len(exported(d, c)) // 2], "refused"),
    ("压缩包.xlsx", lambda d, c: zipped({"说明.txt": "不是表格".encode()}), "refused"),
    ("照片.xlsx", lambda d, c: b"\xff\xd8\xff\xe0" + bytes(2000), "refused"),
    ("文档.xlsx", lambda d, c: default_template_bytes(), "refused"),
    ("表头不对.csv", lambda d, c: "名称,时间,数量\r\n燕山乡,2020-03-15,5\r\n".encode(), "refused"),
    ("合并单元格.xlsx", lambda d, c: edited(exported(d, c), merged_cells), "refused"),
    ("公式.xlsx", lambda d, c: edited(exported(d, c), a_formula), "refused"),
    ("二进制.csv", lambda d, c: bytes(range(256)) * 8, "refused"),
    ("utf8.csv", lambda d, c: market_csv("utf-8"), 1),
    ("utf8-bom.csv", lambda d, c: market_csv("utf-8-sig"), 1),
    ("gbk.csv", lambda d, c: market_csv("gbk"), 1),
    ("gb18030.csv", lambda d, c: market_csv("gb18030"), 1),
    ("utf16.csv", lambda d, c: market_csv("utf-16"), 1),
]


@pytest.mark.parametrize(("name", "make", "expected"), IMPORTS, ids=[n for n, _, _ in IMPORTS])
def test_import_corpus(demo: db.Database, catalog: Catalog, name: str, make, expected: str | int) -> None:
    data = make(demo, catalog)
    before = snapshot(demo)
    options = {"year": 2020, "type_code": "market_day"} if name.endswith(".csv") else {"year": 2020}
    try:
        plan = transfer.preview(demo, SYSTEM, catalog, name, data, **options)
        result = transfer.run(demo, SYSTEM, catalog, plan)
    except FazhiError as error:
        assert expected == "refused", f"{name} should import: {error}"
        assert CHINESE.search(str(error)), str(error)
        assert snapshot(demo) == before
        return
    assert expected == len(result.ids), name
    stored = records.get_record(demo, SYSTEM, catalog, result.ids[0])
    assert stored.title == "赶场日宣传“民法典”&<b>{{ x }}</b>"  # exactly as in the file
    assert stored.summary == "=危险"
    assert stored.values == {"consultations": 10, "materials": 300, "banners": 2}


def test_a_very_large_sheet_is_refused_before_it_fills_memory(
    demo: db.Database, catalog: Catalog, monkeypatch: pytest.MonkeyPatch
) -> None:
    from fazhi import spreadsheet

    monkeypatch.setattr(spreadsheet, "MAX_ROWS", 1000)
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet("赶场日集中宣传")
    sheet.append(transfer.columns(catalog.type("market_day")))
    for n in range(5000):
        sheet.append(["燕山乡", f"第{n}场", "2020-03-15", None, None, None, 1, 2, 3])
    out = io.BytesIO()
    workbook.save(out)
    before = snapshot(demo)
    with pytest.raises(FazhiError, match="超过1000行"):
        transfer.preview(demo, SYSTEM, catalog, "很大.xlsx", out.getvalue(), year=2020)
    assert snapshot(demo) == before


@pytest.fixture
def good_backup(demo: db.Database, tmp_path: Path) -> bytes:
    auth.create_user(demo, SYSTEM, "county_admin", "correct-horse-42", "admin", find_unit(demo, "万州区").id)
    out = tmp_path / "good.zip"
    backup.create_backup(demo, SYSTEM, out)
    return out.read_bytes()


def _tampered(data: bytes) -> bytes:
    source = zipfile.ZipFile(io.BytesIO(data))
    members = {info.filename: source.read(info) for info in source.infolist()}
    database = bytearray(members["fazhi.duckdb"])
    middle = len(database) // 3
    database[middle : middle + 64] = bytes(b ^ 0xFF for b in database[middle : middle + 64])
    members["fazhi.duckdb"] = bytes(database)
    return zipped(members)


def _without_manifest(data: bytes) -> bytes:
    source = zipfile.ZipFile(io.BytesIO(data))
    return zipped({i.filename: source.read(i) for i in source.infolist() if i.filename != "manifest.json"})


def _forged(data: bytes, *statements: str) -> bytes:
    """The backup with its database changed by `statements` and the manifest made to match: a forgery
    whose every checksum and row count is right."""
    import hashlib
    import json
    import tempfile

    import duckdb

    source = zipfile.ZipFile(io.BytesIO(data))
    members = {info.filename: source.read(info) for info in source.infolist()}
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "x.duckdb"
        path.write_bytes(members["fazhi.duckdb"])
        with duckdb.connect(str(path)) as raw:
            for statement in statements:
                raw.execute(statement)
            counts = {
                name: raw.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0]
                for (name,) in raw.execute("SELECT table_name FROM duckdb_tables()").fetchall()
            }
            raw.execute("CHECKPOINT")
        members["fazhi.duckdb"] = path.read_bytes()
    manifest = json.loads(members["manifest.json"])
    manifest["members"]["fazhi.duckdb"] = {
        "sha256": hashlib.sha256(members["fazhi.duckdb"]).hexdigest(),
        "size": len(members["fazhi.duckdb"]),
    }
    manifest["tables"] = counts
    members["manifest.json"] = json.dumps(manifest).encode()
    return zipped(members)


def _zero_database(data: bytes) -> bytes:
    """A 'database' of 300 MB of zeros that deflates to a few hundred KB, with a manifest to match."""
    import hashlib
    import json

    size = 300 << 20
    digest = hashlib.sha256()
    block = bytes(1 << 20)
    for _ in range(size >> 20):
        digest.update(block)
    source = zipfile.ZipFile(io.BytesIO(data))
    manifest = json.loads(source.read("manifest.json"))
    manifest["members"] = {"fazhi.duckdb": {"sha256": digest.hexdigest(), "size": size}}
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        archive.writestr("manifest.json", json.dumps(manifest))
        with archive.open("fazhi.duckdb", "w", force_zip64=True) as handle:
            for _ in range(size >> 20):
                handle.write(block)
    return out.getvalue()


RESTORES: list[tuple[str, Callable[[bytes, bytes], bytes]]] = [
    ("empty", lambda good, xlsx: b""),
    ("truncated", lambda good, xlsx: good[: len(good) // 2]),
    ("a_spreadsheet", lambda good, xlsx: xlsx),
    ("not_a_zip", lambda good, xlsx: "备份".encode() * 1000),
    ("tampered_database", lambda good, xlsx: _tampered(good)),
    ("no_manifest", lambda good, xlsx: _without_manifest(good)),
]


@pytest.mark.parametrize(("name", "make"), RESTORES, ids=[n for n, _ in RESTORES])
def test_restore_corpus(demo: db.Database, catalog: Catalog, good_backup: bytes, name: str, make) -> None:
    data = make(good_backup, exported(demo, catalog))
    before = snapshot(demo)
    with pytest.raises(FazhiError) as caught:
        backup.restore(demo, SYSTEM, io.BytesIO(data), name=f"{name}.zip")
    assert CHINESE.search(str(caught.value)), str(caught.value)
    assert snapshot(demo) == before


def _template_with(paragraph: str) -> bytes:
    document = Document(io.BytesIO(default_template_bytes()))
    document.add_paragraph(paragraph)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


TEMPLATES: list[tuple[str, Callable[[], bytes], str]] = [
    ("empty", lambda: b"", "docx"),
    ("an_image", lambda: b"\x89PNG\r\n\x1a\n" + bytes(500), "docx"),
    ("a_spreadsheet", lambda: zipped({"xl/workbook.xml": b"<workbook/>"}), "Word"),
    ("unclosed_tag", lambda: _template_with("{{ title "), "{{ title"),
    ("unknown_variable", lambda: _template_with("{{ nonsense_variable }}"), "nonsense_variable"),
    ("unclosed_loop", lambda: _template_with("{% for x in sections %}没有结束"), "for"),
    # Code, CPU and memory through Jinja (issue 10): refused at check time, the tag named.
    (
        "globals_to_os",
        lambda: _template_with("{{ cycler.__init__.__globals__.os.popen('id').read() }}"),
        "函数或方法调用",
    ),
    ("range_loop", lambda: _template_with("{% for i in range(10**9) %}x{% endfor %}"), "函数或方法调用"),
    ("string_times", lambda: _template_with("{{ 'a'*10**10 }}"), "运算符“*”"),
    ("include", lambda: _template_with("{% include 'report_template.docx' %}"), "{% include %}"),
    ("extends", lambda: _template_with("{% extends 'base' %}"), "{% extends %}"),
    ("import", lambda: _template_with("{% import 'macros' as m %}"), "{% import %}"),
    ("from_import", lambda: _template_with("{% from 'm' import x %}"), "{% from … import %}"),
    ("attr_filter", lambda: _template_with("{{ title|attr('__class__') }}"), "|attr"),
    ("dunder", lambda: _template_with("{{ title.__class__.__mro__ }}"), "__class__"),
    ("set", lambda: _template_with("{% set x = title %}{{ x }}"), "{% set %}"),
    ("concat_doubling", lambda: _template_with("{{ title ~ title ~ title }}"), "字符串拼接"),
    ("wide_filter", lambda: _template_with("{{ title|center(1000000000) }}"), "|center"),
    ("macro", lambda: _template_with("{% macro m() %}x{% endmacro %}"), "{% macro %}"),
    ("lipsum", lambda: _template_with("{{ lipsum(10**6) }}"), "函数或方法调用"),
    ("entity_bomb", lambda: _with_doctype(default_template_bytes()), "DTD"),
    ("zip_bomb", lambda: _zip_bomb_docx(), "压缩比异常"),
]


def _with_doctype(data: bytes) -> bytes:
    """The default template with a billion-laughs DTD put in front of its document part."""
    source = zipfile.ZipFile(io.BytesIO(data))
    members = {info.filename: source.read(info) for info in source.infolist()}
    laughs = b'<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
    xml = members["word/document.xml"]
    head, _, rest = xml.partition(b"?>")
    members["word/document.xml"] = head + b"?>" + laughs + rest.replace(b"<w:t>", b"<w:t>&lol2;", 1)
    return zipped(members)


def _zip_bomb_docx() -> bytes:
    """A .docx-shaped zip whose one extra part inflates 5 MB of zeros from a few KB."""
    source = zipfile.ZipFile(io.BytesIO(default_template_bytes()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for info in source.infolist():
            archive.writestr(info.filename, source.read(info))
        archive.writestr("word/media/bomb.bin", bytes(5 * 1024 * 1024))
    return out.getvalue()


@pytest.mark.parametrize(("name", "make", "named"), TEMPLATES, ids=[n for n, _, _ in TEMPLATES])
def test_template_corpus(demo: db.Database, catalog: Catalog, name: str, make, named: str) -> None:
    unit = find_unit(demo, "燕山乡")
    context = build_context(demo, SYSTEM, catalog, unit, 2020)
    with pytest.raises(FazhiError) as caught:
        custom.check_template(make(), context)
    message = str(caught.value)
    assert CHINESE.search(message) and named in message, message


HOSTILE = "& < > \" ' {{ title }} {% if x %} {%p endfor %} 😀 \x07\x1b" + "很长的一行" * 400


@pytest.mark.skipif(
    shutil.which("soffice") is None, reason="没有安装 LibreOffice（soffice），跳过 PDF 转换检查"
)
def test_a_report_of_hostile_text_opens_and_converts(
    demo: db.Database, catalog: Catalog, tmp_path: Path
) -> None:
    unit = find_unit(demo, "燕山乡")
    item = validation.RecordInput(  # the year's first campaign: its 情况说明 is the one the report quotes
        "market_day", unit.id, "恶意文字", date(2020, 1, 8), None, HOSTILE[:90], HOSTILE
    )
    records.add_record(demo, SYSTEM, catalog, item)
    docx = render(build_context(demo, SYSTEM, catalog, unit, 2020))
    text = "\n".join(p.text for p in Document(io.BytesIO(docx)).paragraphs)
    assert "{{ title }} {% if x %} {%p endfor %} 😀" in text
    assert "\x07" not in text and "\x1b" not in text
    (tmp_path / "hostile.docx").write_bytes(docx)
    subprocess.run(
        [
            "soffice",
            "--headless",
            f"-env:UserInstallation=file://{tmp_path}/profile",
            "--convert-to",
            "pdf",
            "--outdir",
            str(tmp_path),
            str(tmp_path / "hostile.docx"),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    pdf = (tmp_path / "hostile.pdf").read_bytes()
    assert pdf.startswith(b"%PDF") and len(pdf) > 10_000


# Crafted backups whose every checksum and row count is right (issue 10): each is refused for its own reason.
FORGED: list[tuple[str, Callable[[bytes], bytes], str]] = [
    (
        "path_in_hash",
        lambda good: _forged(
            good, "INSERT INTO attachments VALUES ('../../../../etc/hostname', 10, 'image/png', now())"
        ),
        "文件名不合规",
    ),
    ("no_users", lambda good: _forged(good, "DELETE FROM users"), "没有可用的最上级单位管理员账号"),
    (
        "no_active_admin",
        lambda good: _forged(good, "UPDATE users SET is_active = false"),
        "没有可用的最上级单位管理员账号",
    ),
    ("zeros_as_database", _zero_database, "不是本程序的数据库"),
]


@pytest.mark.parametrize(("name", "make", "said"), FORGED, ids=[f[0] for f in FORGED])
def test_forged_backups_are_refused_by_their_contents(
    demo: db.Database, good_backup: bytes, tmp_path: Path, name: str, make, said: str
) -> None:
    before = snapshot(demo)
    with pytest.raises(FazhiError, match=said):
        backup.restore(demo, SYSTEM, io.BytesIO(make(good_backup)), name=f"{name}.zip")
    assert snapshot(demo) == before
    leftovers = [p for p in demo.path.parent.rglob("*") if p.is_file() and p.stat().st_size > 50 << 20]
    assert leftovers == []  # nothing large was written on the way to the refusal


def test_the_forger_tool_makes_restorable_backups(demo: db.Database, good_backup: bytes) -> None:
    """Control for the cases above: a forgery that changes nothing harmful restores."""
    data = _forged(good_backup, "UPDATE units SET sort_order = sort_order")
    assert backup.restore(demo, SYSTEM, io.BytesIO(data), name="ok.zip").manifest.records > 0


def test_evidence_paths_are_checked_again_when_read(demo: db.Database) -> None:
    from fazhi import attachments
    from fazhi.errors import NotFound

    with pytest.raises(NotFound, match="文件名不合规"):
        attachments.stored_path(demo, "../../../../etc/hostname")
    assert attachments.stored_path(demo, "ab" * 32).name == "ab" * 32


def test_backups_are_readable_by_the_program_only(demo: db.Database, tmp_path: Path) -> None:
    import stat

    from fazhi.settings import backups_dir

    out = backup.new_backup_path(demo.path)
    backup.create_backup(demo, SYSTEM, out)
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert stat.S_IMODE(backups_dir(demo.path).stat().st_mode) == 0o700

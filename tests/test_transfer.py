"""fazhi.transfer + fazhi.spreadsheet: templates, export → import round trips, encodings, broken files,
duplicates, permissions and the audit trail of an import."""

from __future__ import annotations

import codecs
import io
import json
import zipfile
from datetime import date, datetime
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import Workbook, load_workbook

from fazhi import auth, db, ledger, locks, records, sample, spreadsheet, transfer, validation
from fazhi.catalog import Catalog
from fazhi.errors import InvalidFile
from fazhi.units import all_units, find_unit, insert_unit
from tests import evidence_files as files

HEADER = "单位,标题,开始日期,结束日期,地点,情况说明,解答法律咨询（人次）,发放宣传资料（份）,悬挂横幅（幅）"


def comparable(database: db.Database, catalog: Catalog) -> pd.DataFrame:
    """Everything a record holds except ids, versions and who/when: what a round trip must keep."""
    frame = ledger.list_records(database, auth.system_user(), catalog)
    frame = frame.drop(columns=["id", "unit_id", "version", "updated_by", "updated_by_name", "updated_at"])
    return frame.sort_values(["start_on", "type_code", "title", "unit_name"]).reset_index(drop=True)


def same_tree(source: db.Database, target: db.Database) -> None:
    """The unit tree of `source` rebuilt in the empty `target` (an import never creates units)."""
    with target.transaction() as cur:
        made: dict[int, object] = {}
        for unit in all_units(source):
            made[unit.id] = insert_unit(cur, unit.name, unit.level, made.get(unit.parent_id))


@pytest.fixture
def empty(tmp_path: Path, demo: db.Database) -> db.Database:
    """A second, empty database with the demo's unit tree."""
    target = db.connect(tmp_path / "empty.duckdb")
    same_tree(demo, target)
    yield target
    target.close()


def plan_of(
    database: db.Database, catalog: Catalog, name: str, data: bytes, **options
) -> transfer.ImportPlan:
    return transfer.preview(database, auth.system_user(), catalog, name, data, **options)


def problems(plan: transfer.ImportPlan) -> list[tuple]:
    return [(p.sheet, p.row, p.column, p.message) for p in plan.problems]


# ───────────── template and format ─────────────


def test_template_has_a_sheet_per_type_with_header_and_notes(catalog: Catalog) -> None:
    book = load_workbook(io.BytesIO(transfer.template(catalog)))
    assert book.sheetnames == [t.name for t in catalog.record_types.values()]
    sheet = book["赶场日集中宣传"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == tuple(HEADER.split(","))
    assert rows[1] == (
        "填写说明：必填；本单位或下属单位的名称（重名时写“上级/本级”）",
        "必填；不超过100字",
        "必填；日期，如 2020-03-15",
        "选填；不填则与开始日期相同",
        "选填；不超过100字",
        "选填；不超过5000字",
        "选填；整数，单位：人次",
        "选填；整数，单位：份",
        "选填；整数，单位：幅，不超过10000",
    )
    assert len(rows) == 2
    assert sheet.freeze_panes == "A3"
    exam = list(book["网上学法考试"].iter_rows(values_only=True))[1]
    assert exam[6:] == (
        "必填；整数，单位：人",
        "必填；整数，单位：人；不得大于“应参学人数”",
        "必填；整数，单位：人；不得大于“实参学人数”",
    )
    decision = book["重大行政决策"]
    assert [v.formula1 for v in decision.data_validations.dataValidation] == ['"是,否"'] * 3
    one = load_workbook(io.BytesIO(transfer.template(catalog, ["legal_aid"])))
    assert one.sheetnames == ["法律援助"]


def test_neutralise_and_restore_are_exact_inverses() -> None:
    cases = {
        "=SUM(A1:A3)": "'=SUM(A1:A3)",
        "+86 138": "'+86 138",
        "-3 份": "'-3 份",
        "@cmd": "'@cmd",
        "\tTAB": "'\tTAB",
        "\rCR": "'\rCR",
        "'=already": "''=already",
        "'plain": "'plain",
        "普通文字": "普通文字",
        "a=b": "a=b",
        "": "",
    }
    for text, shown in cases.items():
        assert spreadsheet.neutralise(text) == shown
        assert spreadsheet.restore(shown) == text


# ───────────── round trips ─────────────


def test_xlsx_export_import_round_trip(demo: db.Database, empty: db.Database, catalog: Catalog) -> None:
    data = transfer.export_xlsx(demo, auth.system_user(), catalog, ledger.RecordFilter())
    book = load_workbook(io.BytesIO(data))
    recorded = set(comparable(demo, catalog)["type_code"])
    assert book.sheetnames == [t.name for t in catalog.record_types.values() if t.code in recorded]
    market = list(book["赶场日集中宣传"].iter_rows(values_only=True))
    assert market[2] == (
        "燕山乡",
        "“三月法治宣传月”赶场日集中宣传",
        datetime(2019, 3, 16),
        datetime(2019, 3, 16),
        "燕山农贸市场",
        None,
        80,
        920,
        9,
    )
    plan = plan_of(empty, catalog, "台账.xlsx", data)
    assert (problems(plan), len(plan.rows), plan.duplicates) == ([], 89, [])
    result = transfer.run(empty, auth.system_user(), catalog, plan)
    assert (len(result.ids), result.skipped) == (89, 0)
    pd.testing.assert_frame_equal(comparable(empty, catalog), comparable(demo, catalog))


def test_csv_export_import_round_trip(demo: db.Database, empty: db.Database, catalog: Catalog) -> None:
    user = auth.system_user()
    data, kind = transfer.export_csv(demo, user, catalog, ledger.RecordFilter())
    assert kind == "zip"
    archive = zipfile.ZipFile(io.BytesIO(data))
    names = archive.namelist()
    assert "赶场日集中宣传.csv" in names and len(names) == len(set(comparable(demo, catalog)["type_code"]))
    market = archive.read("赶场日集中宣传.csv")
    assert market.startswith(codecs.BOM_UTF8)
    assert market.decode("utf-8-sig").split("\r\n")[0] == "记录类型," + HEADER
    for name in names:
        plan = plan_of(empty, catalog, name, archive.read(name))
        assert problems(plan) == []
        transfer.run(empty, user, catalog, plan)
    pd.testing.assert_frame_equal(comparable(empty, catalog), comparable(demo, catalog))
    single, kind = transfer.export_csv(demo, user, catalog, ledger.RecordFilter(type_codes=["legal_aid"]))
    assert kind == "csv" and single.decode("utf-8-sig").count("\r\n") == 2 + 3  # header, notes, 3 records


def test_text_that_looks_like_a_formula_is_neutralised_and_comes_back_exactly(
    demo: db.Database, empty: db.Database, catalog: Catalog
) -> None:
    user = auth.system_user()
    township = find_unit(demo, "燕山乡").id
    tricky = {
        '=HYPERLINK("http://x","点我")': "\t以制表符开头\n第二行",
        "+1+1": "-2 份",
        "@SUM(1)": "'=带撇号",
        "'已有撇号": "普通 & <b> {{ x }} {% if %}",
    }
    for title, summary in tricky.items():
        item = validation.RecordInput(
            "legal_aid", township, title, date(2021, 5, 6), summary=summary, values={"aid_cases": 1}
        )
        records.add_record(demo, user, catalog, item)
    only_2021 = ledger.RecordFilter(year=2021)
    data = transfer.export_xlsx(demo, user, catalog, only_2021)
    cells = [
        row[1:6:4]
        for row in load_workbook(io.BytesIO(data))["法律援助"].iter_rows(min_row=3, values_only=True)
    ]
    assert sorted(cells) == sorted(
        [
            ('\'=HYPERLINK("http://x","点我")', "'\t以制表符开头\n第二行"),
            ("'+1+1", "'-2 份"),
            ("'@SUM(1)", "''=带撇号"),
            ("'已有撇号", "普通 & <b> {{ x }} {% if %}"),
        ]
    )
    sheet = load_workbook(io.BytesIO(data))["法律援助"]
    text_cells = [c for row in sheet.iter_rows(min_row=3) for c in (row[1], row[5])]
    assert {c.data_type for c in text_cells} == {"s"}  # strings, never formulas
    csv_data, _ = transfer.export_csv(demo, user, catalog, only_2021)
    assert "'=HYPERLINK" in csv_data.decode("utf-8-sig") and ",=" not in csv_data.decode("utf-8-sig")
    for name, content in (("x.xlsx", data), ("x.csv", csv_data)):
        target = ledger.list_records(empty, user, catalog, only_2021)
        assert target.empty
        transfer.run(empty, user, catalog, plan_of(empty, catalog, name, content))
        back = ledger.list_records(empty, user, catalog, only_2021)
        assert dict(zip(back["title"], back["summary"], strict=True)) == tricky
        for record_id in back["id"]:
            records.delete_record(empty, user, catalog, int(record_id))


# ───────────── encodings ─────────────

ROWS = [
    "燕山乡,赶场日宣传,2020/3/15,,农贸市场,说明，含逗号,12,1300,2",
    '示例一村,“六五”普法宣传,2020年6月28日,2020-06-29,村委会,,,"1,200",',
]


@pytest.mark.parametrize(
    ("name", "encode"),
    [
        ("utf8.csv", lambda text: text.encode("utf-8")),
        ("utf8-bom.csv", lambda text: codecs.BOM_UTF8 + text.encode("utf-8")),
        ("gbk.csv", lambda text: text.encode("gbk")),
        ("gb18030.csv", lambda text: text.encode("gb18030")),
        (
            "unicode-text.txt",
            lambda text: text.replace(",", "\t").replace('"1\t200"', "1200").encode("utf-16"),
        ),
        ("utf16le.csv", lambda text: text.encode("utf-16-le")),
        ("utf16be.csv", lambda text: codecs.BOM_UTF16_BE + text.encode("utf-16-be")),
    ],
)
def test_csv_in_each_encoding_reads_the_same(demo: db.Database, catalog: Catalog, name: str, encode) -> None:
    text = "\r\n".join([HEADER, *ROWS]) + "\r\n"
    plan = plan_of(demo, catalog, name, encode(text), year=2020, type_code="market_day")
    assert problems(plan) == []
    assert [(r.sheet, r.row) for r in plan.rows] == [(name.rsplit(".", 1)[0], 2), (name.rsplit(".", 1)[0], 3)]
    first, second = plan.items(include_duplicates=True)
    assert (first.title, first.start_on, first.end_on, first.place, first.summary, first.values) == (
        "赶场日宣传",
        date(2020, 3, 15),
        date(2020, 3, 15),
        "农贸市场",
        "说明，含逗号",
        {"consultations": 12, "materials": 1300, "banners": 2},
    )
    assert (second.title, second.start_on, second.end_on, second.values) == (
        "“六五”普法宣传",
        date(2020, 6, 28),
        date(2020, 6, 29),
        {"materials": 1200},
    )
    assert second.unit_id == find_unit(demo, "示例一村").id


# ───────────── broken files ─────────────


def market_csv(*rows: str, header: str = HEADER) -> bytes:
    return ("\r\n".join([header, *rows]) + "\r\n").encode("gbk")


def test_wrong_headers_name_the_columns(demo: db.Database, catalog: Catalog) -> None:
    bad = HEADER.replace("发放宣传资料（份）", "宣传资料数").replace("开始日期", "日期")
    plan = plan_of(demo, catalog, "错表头.csv", market_csv(ROWS[0], header=bad), type_code="market_day")
    assert problems(plan) == [
        (
            "错表头",
            1,
            "",
            "无法识别的列：“日期”、“宣传资料数”。“赶场日集中宣传”的列应为：单位、标题、开始日期、结束日期、地点、情况说明、"
            "解答法律咨询（人次）、发放宣传资料（份）、悬挂横幅（幅）（请使用下载的模板，不要改动表头）。",
        ),
        ("错表头", 1, "", "缺少必需的列：开始日期。请使用下载的模板。"),
    ]
    assert plan.rows == [] and not plan.ok


def test_a_table_without_a_type_is_explained(demo: db.Database, catalog: Catalog) -> None:
    plan = plan_of(demo, catalog, "不知类型.csv", market_csv(ROWS[0]))
    assert problems(plan) == [
        (
            "不知类型",
            None,
            "",
            "不知道这张表是哪种记录类型：工作表名称应为记录类型名称（如“赶场日集中宣传”），或加一列“记录类型”，或在导入时选择记录类型。",
        )
    ]


NOT_TABLES = [
    ("截图.png", files.image("PNG"), "“截图.png”是 PDF 或图片，不是表格文件，无法导入。"),
    ("通知.pdf", files.pdf(), "“通知.pdf”是 PDF 或图片，不是表格文件，无法导入。"),
    ("签到表.docx", files.docx(), "“签到表.docx”是压缩包或 Word 等文件，不是 Excel 表格，无法导入。"),
    (
        "旧表.xls",
        files.ole("Workbook"),
        "“旧表.xls”是旧版 Excel（.xls）或 Word 文件。请在 Excel 中“另存为”“Excel 工作簿（.xlsx）”后再导入。",
    ),
    (
        "乱码.csv",
        bytes(range(256)) * 4,
        "“乱码.csv”不是表格文件（既不是 Excel 的 .xlsx，也不是可识别编码的 CSV 文本），无法导入。",
    ),
    ("空.csv", b"", "“空.csv”是空文件。"),
]


@pytest.mark.parametrize(("name", "data", "message"), NOT_TABLES, ids=[n for n, _, _ in NOT_TABLES])
def test_not_a_spreadsheet_at_all(
    demo: db.Database, catalog: Catalog, name: str, data: bytes, message: str
) -> None:
    with pytest.raises(InvalidFile) as caught:
        plan_of(demo, catalog, name, data)
    assert str(caught.value) == message


def test_truncated_xlsx(demo: db.Database, catalog: Catalog) -> None:
    whole = transfer.export_xlsx(demo, auth.system_user(), catalog, ledger.RecordFilter(year=2020))
    for cut in (len(whole) // 2, len(whole) - 200, 100):
        with pytest.raises(InvalidFile) as caught:
            plan_of(demo, catalog, "半截.xlsx", whole[:cut])
        assert str(caught.value) == (
            "“半截.xlsx”不是完整的 Excel 文件（可能没有下载或保存完整，或已损坏），请在 Excel 中重新保存为 .xlsx 后再导入。"
        )


def test_every_row_problem_is_named_by_row_and_column(demo: db.Database, catalog: Catalog) -> None:
    data = market_csv(
        "燕山乡,好的一行,2020-03-15,,,,1,2,3",
        "燕山乡,数字列写了字,2020-03-16,,,,很多,2,3",
        "燕山乡,日期不在本年,2021-01-02,,,,1,2,3",
        "燕山乡,结束早于开始,2020-05-02,2020-05-01,,,,,",
        "没有的乡,单位不对,2020-05-03,,,,,-1,",
        ",,,,,,,,",
        "燕山乡,,2020-13-45,,,,,,",
    )
    before = records.record_count(demo)
    plan = plan_of(demo, catalog, "有错.csv", data, year=2020, type_code="market_day")
    assert problems(plan) == [
        ("有错", 3, "解答法律咨询（人次）", "“解答法律咨询”应为数字。"),
        ("有错", 4, "开始日期", "“开始日期”须在2020年内（现为2021年1月2日）。"),
        ("有错", 5, "结束日期", "“结束日期”不能早于“开始日期”。"),
        ("有错", 6, "单位", "找不到单位“没有的乡”（只能导入您有权限的单位；单位须先在系统中建立）。"),
        ("有错", 6, "发放宣传资料（份）", "“发放宣传资料”不能为负数。"),
        ("有错", 8, "标题", "请填写“标题”。"),
        ("有错", 8, "开始日期", "“开始日期”不是有效日期，请按 2020-03-15 的格式填写。"),
    ]
    assert [r.row for r in plan.rows] == [2, 3, 4, 5, 6, 8]  # the empty row 7 is skipped
    assert (
        transfer.summary(plan) == "共6行记录，7处问题（涉及5行），请改正后重新上传；改正前不会导入任何记录。"
    )
    with pytest.raises(InvalidFile, match="文件有7处问题，没有导入任何记录。"):
        transfer.run(demo, auth.system_user(), catalog, plan)
    assert records.record_count(demo) == before  # all or nothing: the good row was not imported either


def test_ambiguous_unit_names_need_the_parent(demo: db.Database, catalog: Catalog) -> None:
    with demo.transaction() as cur:
        county = find_unit(demo, "万州区")
        other = insert_unit(cur, "长岭镇", "township", county)
        namesake = insert_unit(cur, "示例一村", "village", other)
    data = market_csv("示例一村,重名,2020-03-15,,,,,,", "长岭镇/示例一村,写了上级,2020-03-15,,,,,,")
    plan = plan_of(demo, catalog, "重名.csv", data, type_code="market_day")
    assert problems(plan) == [
        ("重名", 2, "单位", "有2个单位都叫“示例一村”，请写成“上级/本级”，如“燕山乡/示例一村”。")
    ]
    assert plan.rows[1].problems == [] and plan.rows[1].item.unit_id == namesake.id
    exported = transfer.export_tables(
        demo, auth.system_user(), catalog, ledger.RecordFilter(year=2020, type_codes=["village_publicity"])
    )
    assert {row[0] for _, row in exported[0].rows} == {"燕山乡/示例一村", "示例二村", "示例三村", "示例社区"}


def test_excel_dates_in_every_shape(demo: db.Database, catalog: Catalog) -> None:
    book = Workbook()
    sheet = book.active
    sheet.title = "法律援助"
    sheet.append(["单位", "标题", "开始日期", "结束日期", "法律援助案件（件）"])
    sheet.append(["燕山乡", "日期单元格", datetime(2020, 4, 1), None, 1])
    sheet.append(["燕山乡", "带时间", datetime(2020, 4, 2, 9, 30), None, 1])
    sheet.append(["燕山乡", "数字格式", 43924, None, 1])  # the serial number of 2020-04-03
    sheet.append(["燕山乡", "文字", "2020年4月4日", "2020.4.5", 1.0])
    out = io.BytesIO()
    book.save(out)
    plan = plan_of(demo, catalog, "日期.xlsx", out.getvalue(), year=2020)
    assert problems(plan) == []
    assert [(i.title, i.start_on, i.end_on, i.values) for i in plan.items(True)] == [
        ("日期单元格", date(2020, 4, 1), date(2020, 4, 1), {"aid_cases": 1}),
        ("带时间", date(2020, 4, 2), date(2020, 4, 2), {"aid_cases": 1}),
        ("数字格式", date(2020, 4, 3), date(2020, 4, 3), {"aid_cases": 1}),
        ("文字", date(2020, 4, 4), date(2020, 4, 5), {"aid_cases": 1}),
    ]


def test_a_title_row_above_the_header_and_a_missing_notes_row(demo: db.Database, catalog: Catalog) -> None:
    text = "燕山乡2020年法律援助台账\r\n单位,标题,开始日期,法律援助案件（件）\r\n燕山乡,援助,2020-04-01,1\r\n"
    plan = plan_of(demo, catalog, "法律援助.csv", text.encode("utf-8"))
    assert problems(plan) == [] and [(r.row, r.title) for r in plan.rows] == [(3, "援助")]


# ───────────── duplicates, permissions, locks, audit ─────────────


def test_duplicates_are_flagged_and_the_user_decides(demo: db.Database, catalog: Catalog) -> None:
    data = market_csv(
        "燕山乡,赶场日综合法治宣传,2020-09-28,,,,1,1,1",  # like a stored record
        "燕山乡,新的一场,2020-10-28,,,,1,1,1",
        "燕山乡,新的一场,2020-10-28,,,,2,2,2",  # like row 3 of the file
    )
    plan = plan_of(demo, catalog, "重复.csv", data, type_code="market_day")
    stored_id = int(
        ledger.list_records(
            demo, auth.system_user(), catalog, ledger.RecordFilter(keyword="赶场日综合法治宣传", year=2020)
        )["id"].iloc[0]
    )
    assert [(r.row, r.duplicate) for r in plan.rows] == [
        (2, f"与已有记录（编号 {stored_id}）的单位、类型、开始日期和标题相同"),
        (3, ""),
        (4, "与本文件第3行的单位、类型、开始日期和标题相同"),
    ]
    assert plan.ok and transfer.summary(plan) == "共3行记录，全部可以导入；其中2行疑似重复。"
    frame = transfer.plan_frame(plan)
    assert frame["状态"].tolist() == ["疑似重复", "可导入", "疑似重复"]
    before = records.record_count(demo)
    result = transfer.run(demo, auth.system_user(), catalog, plan)
    assert (len(result.ids), result.skipped, records.record_count(demo)) == (1, 2, before + 1)
    again = plan_of(demo, catalog, "重复.csv", data, type_code="market_day")
    result = transfer.run(demo, auth.system_user(), catalog, again, include_duplicates=True)
    assert (len(result.ids), result.skipped, records.record_count(demo)) == (3, 0, before + 4)


def test_permissions_and_locks_are_row_problems(
    demo: db.Database, catalog: Catalog, users: dict[str, auth.User]
) -> None:
    data = market_csv(
        "示例一村,村里的,2020-03-15,,,,,,",
        "示例二村,别的村,2020-03-15,,,,,,",
        "燕山乡,乡里的,2020-03-15,,,,,,",
    )
    plan = transfer.preview(demo, users["village_editor"], catalog, "权限.csv", data, type_code="market_day")
    assert problems(plan) == [
        ("权限", 3, "单位", "找不到单位“示例二村”（只能导入您有权限的单位；单位须先在系统中建立）。"),
        ("权限", 4, "单位", "找不到单位“燕山乡”（只能导入您有权限的单位；单位须先在系统中建立）。"),
    ]
    plan = transfer.preview(demo, users["viewer"], catalog, "权限.csv", data, type_code="market_day")
    assert {p.message for p in plan.problems} == {"您的账号是查看者，只能查看和下载，不能修改数据。"}
    locks.lock_year(demo, users["admin"], find_unit(demo, "燕山乡"), 2020)
    plan = transfer.preview(demo, users["editor"], catalog, "权限.csv", data, type_code="market_day")
    assert {p.message for p in plan.problems} == {"燕山乡2020年已封账，不能导入该年度的记录。"}


def test_an_import_is_audited_record_by_record(
    demo: db.Database, catalog: Catalog, users: dict[str, auth.User]
) -> None:
    data = market_csv("燕山乡,审计一,2020-03-15,,,,1,2,3", "示例一村,审计二,2020-03-16,,,,,5,")
    editor = users["editor"]
    result = transfer.run(
        demo, editor, catalog, transfer.preview(demo, editor, catalog, "a.csv", data, type_code="market_day")
    )
    logged = demo.rows(
        "SELECT entity_id, action, username, before_json, after_json FROM audit_log WHERE action = 'import' ORDER BY id"
    )
    assert [(int(r[0]), r[1], r[2], r[3]) for r in logged] == [
        (i, "import", editor.username, None) for i in result.ids
    ]
    assert json.loads(logged[0][4])["values"] == {"banners": 3, "consultations": 1, "materials": 2}
    assert json.loads(logged[1][4])["title"] == "审计二"


def test_progress_is_reported(demo: db.Database, catalog: Catalog) -> None:
    rows = [f"燕山乡,第{n}场,2020-03-15,,,,,{n},," for n in range(1200)]
    seen: list[tuple[float, str]] = []
    transfer.preview(
        demo,
        auth.system_user(),
        catalog,
        "多.csv",
        market_csv(*rows),
        type_code="market_day",
        progress=lambda f, t: seen.append((round(f, 2), t)),
    )
    assert seen[0] == (0.0, "正在读取文件……")
    assert ("正在检查第1000行，共1200行……") in [t for _, t in seen]
    assert seen[-1] == (1.0, "检查完毕。")
    assert [f for f, _ in seen] == sorted(f for f, _ in seen)


def test_synthetic_records_round_trip(tmp_path: Path, catalog: Catalog) -> None:
    """Every record type and field kind, from the benchmark generator, survives xlsx export → import."""
    source = db.connect(tmp_path / "s.duckdb")
    target = db.connect(tmp_path / "t.duckdb")
    try:
        made = sample.synthetic_units(source, 2, 2)
        with source.transaction() as cur:
            records.insert_many(
                cur, auth.system_user(), sample.synthetic_records(catalog, made, [2021, 2022], 400)
            )
        same_tree(source, target)
        data = transfer.export_xlsx(source, auth.system_user(), catalog, ledger.RecordFilter())
        transfer.run(target, auth.system_user(), catalog, plan_of(target, catalog, "s.xlsx", data))
        pd.testing.assert_frame_equal(comparable(target, catalog), comparable(source, catalog))
    finally:
        source.close()
        target.close()


def test_a_file_too_long_to_be_real_is_refused(demo: db.Database, catalog: Catalog, monkeypatch) -> None:
    monkeypatch.setattr(spreadsheet, "MAX_ROWS", 5)
    rows = [f"燕山乡,第{n}场,2020-03-15,,,,,{n}," for n in range(20)]
    with pytest.raises(InvalidFile) as caught:
        plan_of(demo, catalog, "长.csv", market_csv(*rows), type_code="market_day")
    assert str(caught.value) == "“长.csv”超过5行，请拆分成几个文件后分别导入。"
    data = transfer.export_xlsx(
        demo, auth.system_user(), catalog, ledger.RecordFilter(type_codes=["cadre_study"])
    )
    with pytest.raises(InvalidFile, match="“长.xlsx”超过5行"):
        plan_of(demo, catalog, "长.xlsx", data)

"""AppTest of 导入导出: a GBK CSV and an xlsx imported through the page appear in 台账 with the right
totals; a broken file changes nothing and says why; duplicates wait for the user's decision."""

from __future__ import annotations

import io

from openpyxl import load_workbook
from streamlit.testing.v1 import AppTest

from fazhi import auth, db, ledger, records, transfer
from fazhi.catalog import Catalog
from fazhi.ui import session, sidebar
from tests import test_pages
from tests.test_pages import run_app, texts

app_db, demo_app, navigation_v2 = test_pages.app_db, test_pages.demo_app, test_pages.navigation_v2


def open_transfer(user: auth.User, year: int = 2020) -> AppTest:
    at = run_app(user)
    at.sidebar.selectbox(key=sidebar.YEAR_WIDGET).select(year).run()
    at.switch_page("pages/transfer.py").run()
    assert not at.exception, at.exception
    return at


def upload(at: AppTest, name: str, data: bytes) -> AppTest:
    key = f"transfer_file_{at.session_state['transfer_round']}"
    at.file_uploader(key=key).set_value((name, data, "application/octet-stream")).run()
    assert not at.exception, at.exception
    return at


def table(at: AppTest, column: str):
    (found,) = [d.value for d in at.dataframe if column in d.value.columns]
    return found


def ledger_totals(at: AppTest, type_code: str) -> dict[str, int]:
    at.switch_page("pages/ledger.py").run()
    at.multiselect(key="ledger_types").set_value([type_code]).run()
    totals = table(at, "合计")
    return dict(zip(totals["项目"], totals["合计"], strict=True))


GBK_CSV = (
    "记录类型,单位,标题,开始日期,结束日期,地点,情况说明,发放宣传资料（份）,解答法律咨询（人次）\r\n"
    "赶场日集中宣传,燕山乡,国家安全日赶场宣传,2020/4/15,,燕山农贸市场,从 GBK 文件导入,300,20\r\n"
    "赶场日集中宣传,示例二村,赶场日宣传（村）,2020年11月5日,,村委会,,100,\r\n"
).encode("gbk")


def test_a_gbk_csv_and_an_xlsx_appear_in_the_ledger_with_correct_totals(
    demo_app: dict[str, auth.User], app_db: db.Database, catalog: Catalog
) -> None:
    editor = demo_app["editor"]
    at = open_transfer(editor)
    assert [t.label for t in at.tabs] == ["导入", "下载模板", "佐证材料包"]
    upload(at, "赶场.csv", GBK_CSV)
    assert at.success[0].value == "赶场.csv：共2行记录，全部可以导入。"
    preview = table(at, "状态")
    assert preview[["行", "单位", "标题", "开始日期", "状态"]].values.tolist() == [
        [2, "燕山乡", "国家安全日赶场宣传", "2020-04-15", "可导入"],
        [3, "示例二村", "赶场日宣传（村）", "2020-11-05", "可导入"],
    ]
    at.button(key="transfer_run").click().run()
    assert at.success[0].value == "已从“赶场.csv”导入2条记录。可在“台账”中查看。"
    assert ledger_totals(at, "market_day") == {
        "解答法律咨询（人次）": 218 + 20,
        "发放宣传资料（份）": 2536 + 300 + 100,
        "悬挂横幅（幅）": 25,
    }

    book = load_workbook(io.BytesIO(transfer.template(catalog, ["legal_aid"])))
    book["法律援助"].append(["燕山乡", "从 Excel 导入的援助", "2020-10-10", None, "司法所", "", 2])
    out = io.BytesIO()
    book.save(out)
    at.switch_page("pages/transfer.py").run()
    upload(at, "援助.xlsx", out.getvalue())
    assert at.success[0].value == "援助.xlsx：共1行记录，全部可以导入。"
    at.button(key="transfer_run").click().run()
    assert ledger_totals(at, "legal_aid") == {"法律援助案件（件）": 2 + 2}  # 2020 demo: 2 cases
    assert app_db.rows("SELECT DISTINCT action, username FROM audit_log WHERE action = 'import'") == [
        ("import", editor.username)
    ]


def test_a_broken_file_changes_nothing_and_says_why(
    demo_app: dict[str, auth.User], app_db: db.Database, catalog: Catalog
) -> None:
    before = records.record_count(app_db)
    at = open_transfer(demo_app["editor"])
    whole = transfer.export_xlsx(app_db, demo_app["editor"], catalog, ledger.RecordFilter(year=2020))
    upload(at, "半截.xlsx", whole[: len(whole) // 2])
    assert [e.value for e in at.error] == [
        "“半截.xlsx”不是完整的 Excel 文件（可能没有下载或保存完整，或已损坏），请在 Excel 中重新保存为 .xlsx 后再导入。"
    ]
    assert not [b for b in at.button if b.key == "transfer_run"]

    bad = GBK_CSV.replace(b"300", "三百".encode("gbk")).replace(b"2020/4/15", b"2021/4/15")
    upload(at, "有错.csv", bad)
    assert (
        at.error[0].value
        == "有错.csv：共2行记录，2处问题（涉及1行），请改正后重新上传；改正前不会导入任何记录。"
    )
    assert table(at, "原因").values.tolist() == [
        ["有错", 2, "开始日期", "“开始日期”须在2020年内（现为2021年4月15日）。"],
        ["有错", 2, "发放宣传资料（份）", "“发放宣传资料”应为数字。"],
    ]
    assert not [b for b in at.button if b.key == "transfer_run"]
    assert records.record_count(app_db) == before


def test_duplicates_are_skipped_unless_the_user_ticks_the_box(
    demo_app: dict[str, auth.User], app_db: db.Database
) -> None:
    at = open_transfer(demo_app["editor"])
    upload(at, "赶场.csv", GBK_CSV)
    at.button(key="transfer_run").click().run()
    before = records.record_count(app_db)
    upload(at, "赶场.csv", GBK_CSV)
    assert at.success[0].value == "赶场.csv：共2行记录，全部可以导入；其中2行疑似重复。"
    assert at.checkbox(key="transfer_duplicates").label == "仍然导入这2行疑似重复的行"
    at.button(key="transfer_run").click().run()
    assert at.success[0].value == "已从“赶场.csv”导入0条记录，跳过2行疑似重复。可在“台账”中查看。"
    assert records.record_count(app_db) == before
    upload(at, "赶场.csv", GBK_CSV)
    at.checkbox(key="transfer_duplicates").check()
    at.button(key="transfer_run").click().run()
    assert at.success[0].value == "已从“赶场.csv”导入2条记录。可在“台账”中查看。"
    assert records.record_count(app_db) == before + 2


def test_viewers_download_but_do_not_import(demo_app: dict[str, auth.User]) -> None:
    at = open_transfer(demo_app["viewer"])
    assert [t.label for t in at.tabs] == ["下载模板", "佐证材料包"]
    assert [b.key for b in at.get("download_button")] == ["template_download"]
    package = at.get("link_button")[0]
    assert (package.key, package.proto.url) == (
        "evidence_package",
        f"/files/evidence?unit={at.session_state[session.UNIT_KEY]}&year=2020",
    )
    assert "导入导出 · 燕山乡 · 2020年" == at.title[0].value
    assert "上传填好的" not in texts(at)


def test_the_ledger_offers_exports_of_the_filtered_records(demo_app: dict[str, auth.User]) -> None:
    at = run_app(demo_app["viewer"])
    at.sidebar.selectbox(key=sidebar.YEAR_WIDGET).select(2020).run()
    at.switch_page("pages/ledger.py").run()
    labels = {b.key: b.label for b in at.get("download_button")}
    assert labels == {
        "ledger_export_xlsx": "导出 Excel",
        "ledger_export_csv": "导出 CSV（每种类型一个文件，打包为 zip）",
    }
    at.multiselect(key="ledger_types").set_value(["legal_aid"]).run()
    assert {b.key: b.label for b in at.get("download_button")}["ledger_export_csv"] == "导出 CSV"

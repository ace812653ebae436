"""AppTest of 台账 (filters, sort, totals, opening a record) and 记录详情 (edit, conflict, delete, restore)."""

from __future__ import annotations

import json
from datetime import date

import pytest
from streamlit.testing.v1 import AppTest

from fazhi import auth, db, ledger, records, validation
from fazhi.catalog import Catalog
from fazhi.ui import sidebar
from fazhi.units import find_unit
from tests import test_pages
from tests.test_pages import run_app, texts

app_db, demo_app, navigation_v2 = test_pages.app_db, test_pages.demo_app, test_pages.navigation_v2


def open_ledger(user: auth.User, year: int = 2020) -> AppTest:
    at = run_app(user)
    at.sidebar.selectbox(key=sidebar.YEAR_WIDGET).select(year).run()
    at.switch_page("pages/ledger.py").run()
    assert not at.exception, at.exception
    return at


def listed(at: AppTest) -> list[str]:
    (frame,) = [d.value for d in at.dataframe if "标题" in d.value.columns and "编号" in d.value.columns]
    return frame["标题"].tolist()


def totals(at: AppTest) -> dict[str, float]:
    (frame,) = [d.value for d in at.dataframe if "合计" in d.value.columns]
    return dict(zip(frame["项目"], frame["合计"], strict=True))


def test_filters_sort_and_totals(demo_app: dict[str, auth.User], app_db: db.Database) -> None:
    at = open_ledger(demo_app["viewer"])
    assert at.title[0].value == "台账 · 燕山乡 · 2020年"
    assert "共 55 条记录" in texts(at)
    assert not [t for t in at.toggle if t.key == "ledger_deleted"]  # only administrators see deleted records

    at.selectbox(key="ledger_area").select("publicity").run()
    assert "共 26 条记录" in texts(at)
    at.multiselect(key="ledger_types").select("market_day").run()
    assert "共 3 条记录" in texts(at)
    assert totals(at) == {"解答法律咨询（人次）": 218, "发放宣传资料（份）": 2536, "悬挂横幅（幅）": 25}

    at.date_input(key="ledger_from").set_value(date(2020, 6, 29))
    at.date_input(key="ledger_to").set_value(date(2020, 9, 30)).run()
    assert listed(at) == [
        "“6.26”禁毒宣传赶场日集中宣传",
        "赶场日综合法治宣传",
    ]  # the 28–29 June event overlaps
    assert totals(at) == {"解答法律咨询（人次）": 140, "发放宣传资料（份）": 1676, "悬挂横幅（幅）": 17}
    at.toggle(key="ledger_desc").set_value(True).run()
    assert listed(at) == ["赶场日综合法治宣传", "“6.26”禁毒宣传赶场日集中宣传"]

    at.date_input(key="ledger_from").set_value(None)
    at.date_input(key="ledger_to").set_value(None)
    at.multiselect(key="ledger_types").set_value([])
    at.selectbox(key="ledger_area").set_value(None)
    at.text_input(key="ledger_keyword").input("民法典")
    at.selectbox(key="ledger_sort").select("title")
    at.toggle(key="ledger_desc").set_value(False).run()
    assert listed(at) == sorted(
        [
            "《民法典》进村宣讲",
            "《民法典》颁布集中宣传",
            "“美好生活·民法典相伴”集中宣传",
            "四季度机关干部集中学法",
        ]
    )
    at.text_input(key="ledger_keyword").input("没有这样的记录").run()
    assert "没有符合条件的记录。" in texts(at)

    at.sidebar.selectbox(key=sidebar.UNIT_WIDGET).select(find_unit(app_db, "示例一村").id).run()
    at.text_input(key="ledger_keyword").input("").run()
    assert at.title[0].value == "台账 · 示例一村 · 2020年"
    assert listed(at) == ["便民服务中心设台宣传", "结合脱贫攻坚走村入户宣传"]
    assert totals(at) == {
        "发放宣传资料（份）": 520,
        "解答法律咨询（人次）": 31,
        "进村入户（户）": 1160,
        "宣传群众（人）": 2590,
    }


def test_filters_survive_a_visit_to_a_record(demo_app: dict[str, auth.User]) -> None:
    at = open_ledger(demo_app["editor"])
    at.multiselect(key="ledger_types").select("legal_aid").run()
    assert listed(at) == ["农民工讨薪法律援助", "残疾人赡养纠纷法律援助"]
    at.session_state["ledger_table"] = {"selection": {"rows": [1], "columns": []}}
    at.run()
    assert not at.exception, at.exception
    assert at.title[0].value == "法律援助 · 残疾人赡养纠纷法律援助"
    at.switch_page("pages/ledger.py").run()
    assert listed(at) == ["农民工讨薪法律援助", "残疾人赡养纠纷法律援助"]


def uploader(at: AppTest):
    """The evidence uploader (its key gets a new number after each upload, so the browser clears it)."""
    return at.file_uploader(key=f"evidence_files_{at.session_state['evidence_round']}")


def open_record(user: auth.User, record_id: int) -> AppTest:
    at = run_app(user)
    at.query_params["id"] = str(record_id)
    at.switch_page("pages/record.py").run()
    assert not at.exception, at.exception
    return at


def legal_aid(database: db.Database, user: auth.User, catalog: Catalog) -> records.Record:
    frame = ledger.list_records(
        database, user, catalog, ledger.RecordFilter(year=2020, type_codes=["legal_aid"])
    )
    return records.get_record(database, user, catalog, int(frame["id"].iloc[0]))


def test_the_record_page_shows_values_as_plain_text(
    demo_app: dict[str, auth.User], app_db: db.Database, catalog: Catalog
) -> None:
    editor = demo_app["editor"]
    township = find_unit(app_db, "燕山乡")
    item = validation.RecordInput(
        "legal_aid", township.id, "**援助** <b>", date(2020, 5, 6), values={"aid_cases": 2}
    )
    saved = records.add_record(app_db, editor, catalog, item)
    at = open_record(editor, saved.id)
    assert at.title[0].value == "法律援助 · \\*\\*援助\\*\\* \\<b\\>"
    (detail,) = [d.value for d in at.dataframe if "内容" in d.value.columns]
    assert dict(zip(detail["项目"], detail["内容"], strict=True)) == {
        "单位": "燕山乡",
        "标题": "**援助** <b>",
        "开始日期": "2020-05-06",
        "结束日期": "2020-05-06",
        "地点": "",
        "法律援助案件（件）": "2",
    }
    assert "（无）" in [t.value for t in at.text]  # 情况说明, below the table
    assert at.text_input(key="edit_title").value == "**援助** <b>"


def test_no_id_and_unknown_id(demo_app: dict[str, auth.User]) -> None:
    at = run_app(demo_app["viewer"])
    at.switch_page("pages/record.py").run()
    assert "请在“台账”中点选一条记录。" in texts(at)
    at = open_record(demo_app["viewer"], 99999)
    assert [e.value for e in at.error] == ["找不到编号为 99999 的记录（可能已被删除）。"]


def test_viewers_cannot_edit(demo_app: dict[str, auth.User], app_db: db.Database, catalog: Catalog) -> None:
    record = legal_aid(app_db, demo_app["viewer"], catalog)
    at = open_record(demo_app["viewer"], record.id)
    assert [t.label for t in at.tabs] == ["内容", "佐证材料", "修改记录"]
    assert not [b for b in at.button if b.key == "record_delete"]


def test_edit_saves_a_new_version_and_the_history_says_what_changed(
    demo_app: dict[str, auth.User], app_db: db.Database, catalog: Catalog
) -> None:
    editor = demo_app["editor"]
    record = legal_aid(app_db, editor, catalog)
    at = open_record(editor, record.id)
    at.number_input(key="edit_v_aid_cases").set_value(3)
    at.text_input(key="edit_place").input("乡司法所调解室")
    at.button(key="edit_save").click().run()
    assert not at.exception, at.exception
    assert [e.value for e in at.error] == []
    stored = records.get_record(app_db, editor, catalog, record.id)
    assert (stored.values, stored.place, stored.version) == ({"aid_cases": 3}, "乡司法所调解室", 2)
    assert at.success[0].value.startswith(
        f"已保存：燕山乡 · 法律援助 · “农民工讨薪法律援助” · 2020年4月23日（编号 {record.id}）"
    )
    assert at.number_input(key="edit_v_aid_cases").value == 3
    (history,) = [d.value for d in at.dataframe if "改动" in d.value.columns]
    assert history["操作"].tolist() == ["新增", "修改"]
    assert history["操作人"].tolist() == ["示例数据", editor.display_name]  # the person, not the login name
    assert history["改动"].tolist() == ["", "地点：乡司法所 → 乡司法所调解室；法律援助案件（件）：1 → 3"]


def test_a_stale_save_is_refused_both_versions_shown_and_nothing_lost(
    demo_app: dict[str, auth.User], app_db: db.Database, catalog: Catalog
) -> None:
    editor, admin = demo_app["editor"], demo_app["admin"]
    record = legal_aid(app_db, editor, catalog)
    at = open_record(editor, record.id)
    # meanwhile an administrator saves the same record
    theirs = record.as_input()
    theirs.title = "农民工讨薪法律援助（管理员改）"
    records.update_record(app_db, admin, catalog, record.id, theirs, expected_version=1)

    at.text_input(key="edit_title").input("我的标题")
    at.number_input(key="edit_v_aid_cases").set_value(5)
    at.button(key="edit_save").click().run()
    assert not at.exception, at.exception
    assert [e.value for e in at.error] == [
        "该记录已被他人修改，您的修改未保存。请对照下方两个版本后重新编辑。"
    ]
    (compared,) = [d.value for d in at.dataframe if "您填写的版本" in d.value.columns]
    rows = {r["项目"]: (r["对方保存的版本"], r["您填写的版本"], r["不同"]) for _, r in compared.iterrows()}
    assert rows["标题"] == ("农民工讨薪法律援助（管理员改）", "我的标题", "≠")
    assert rows["法律援助案件（件）"] == ("1", "5", "≠")
    assert rows["地点"] == ("乡司法所", "乡司法所", "")
    assert at.text_input(key="edit_title").value == "我的标题"  # what was typed stays
    assert records.get_record(app_db, editor, catalog, record.id).title == "农民工讨薪法律援助（管理员改）"

    at.button(key="edit_keep_mine").click().run()  # a deliberate choice, not a silent overwrite
    stored = records.get_record(app_db, editor, catalog, record.id)
    assert (stored.title, stored.values, stored.version) == ("我的标题", {"aid_cases": 5}, 3)
    assert not [d for d in at.dataframe if "您填写的版本" in d.value.columns]


def test_taking_their_version_reloads_the_form(
    demo_app: dict[str, auth.User], app_db: db.Database, catalog: Catalog
) -> None:
    editor, admin = demo_app["editor"], demo_app["admin"]
    record = legal_aid(app_db, editor, catalog)
    at = open_record(editor, record.id)
    theirs = record.as_input()
    theirs.place = "管理员填的地点"
    records.update_record(app_db, admin, catalog, record.id, theirs, expected_version=1)
    at.text_input(key="edit_title").input("我的标题")
    at.button(key="edit_save").click().run()
    at.button(key="edit_take_theirs").click().run()
    assert at.text_input(key="edit_title").value == "农民工讨薪法律援助"
    assert at.text_input(key="edit_place").value == "管理员填的地点"
    at.text_input(key="edit_title").input("在对方版本上修改")
    at.button(key="edit_save").click().run()
    stored = records.get_record(app_db, editor, catalog, record.id)
    assert (stored.title, stored.place, stored.version) == ("在对方版本上修改", "管理员填的地点", 3)


def test_delete_asks_first_and_an_administrator_restores(
    demo_app: dict[str, auth.User], app_db: db.Database, catalog: Catalog
) -> None:
    editor, admin = demo_app["editor"], demo_app["admin"]
    record = legal_aid(app_db, editor, catalog)
    at = open_record(editor, record.id)
    at.button(key="record_delete").click().run()
    assert "确定删除“农民工讨薪法律援助”吗？删除后不计入台账和报告，管理员可以恢复。" in [
        w.value for w in at.warning
    ]
    at.button(key="record_delete_no").click().run()
    assert records.get_record(app_db, editor, catalog, record.id).version == 1
    at.button(key="record_delete").click().run()
    at.button(key="record_delete_yes").click().run()
    assert not at.exception, at.exception
    assert at.title[0].value.startswith("台账 · ")
    assert "已删除：燕山乡 · 法律援助 · “农民工讨薪法律援助” · 2020年4月23日。" in at.success[0].value
    assert records.get_record(app_db, admin, catalog, record.id, include_deleted=True).is_deleted

    at = open_ledger(admin)
    at.toggle(key="ledger_deleted").set_value(True).run()
    assert listed(at) == ["农民工讨薪法律援助"]
    at.session_state["ledger_table"] = {"selection": {"rows": [0], "columns": []}}
    at.run()
    assert "这条记录已被删除，不计入台账和报告。" in [w.value for w in at.warning]
    # AppTest keeps running the page it last switched to itself, so reopen the record page by address
    at = open_record(admin, record.id)
    at.button(key="record_restore").click().run()
    assert at.success[0].value == "已恢复这条记录。"
    assert not records.get_record(app_db, admin, catalog, record.id).is_deleted
    actions = app_db.rows(
        "SELECT action, username FROM audit_log WHERE entity = 'record' AND entity_id = ? ORDER BY id",
        [str(record.id)],
    )
    assert actions == [("create", "示例数据"), ("delete", editor.username), ("restore", admin.username)]
    assert (
        json.loads(
            app_db.one(
                "SELECT before_json FROM audit_log WHERE action = 'delete' AND entity_id = ?",
                [str(record.id)],
            )[0]
        )["title"]
        == "农民工讨薪法律援助"
    )


def test_evidence_upload_show_and_remove(
    demo_app: dict[str, auth.User], app_db: db.Database, catalog: Catalog
) -> None:
    from fazhi import attachments
    from tests import evidence_files as files

    editor = demo_app["editor"]
    record = legal_aid(app_db, editor, catalog)
    at = open_record(editor, record.id)
    assert "还没有佐证材料。" in texts(at)
    photo, sheet = files.image("JPEG"), files.docx()
    uploader(at).set_value(
        [("现场.jpg", photo, "image/jpeg"), ("签到表.docx", sheet, "application/octet-stream")]
    ).run()
    at.button(key="evidence_upload").click().run()
    assert not at.exception, at.exception
    assert at.success[0].value == "已添加2个文件。"
    stored = attachments.list_files(app_db, editor, catalog, record.id)
    assert [a.filename for a in stored] == ["现场.jpg", "签到表.docx"]
    assert {"现场.jpg", "签到表.docx"} <= {t.value for t in at.text}
    # a thumbnail for the photo only, from the route that checks the login (fazhi/web.py), no media link
    photo_id = stored[0].id
    pictures = [h.proto.body for h in at.get("html") if "<img" in h.proto.body]
    assert pictures == [
        f'<img src="/files/attachment/{photo_id}?size=thumb" alt="现场.jpg" '
        'style="width:100%;max-height:240px;object-fit:contain">'
    ]
    assert len(at.image) == 0
    # who uploaded, by the person's name (the login name only where the account has none)
    assert editor.display_name and editor.display_name != editor.username
    assert any(f" · {editor.display_name} · " in c.value for c in at.caption)
    links = {b.key: b.proto.url for b in at.get("link_button")}
    assert links == {f"evidence_download_{a.id}": f"/files/attachment/{a.id}" for a in stored}
    assert not at.get("download_button")  # no Streamlit media link: fazhi/web.py checks the login

    uploader(at).set_value([("病毒.jpg", b"MZ\x90\x00program", "image/jpeg")]).run()
    at.button(key="evidence_upload").click().run()
    assert [e.value for e in at.error] == [
        "“病毒.jpg”的内容不是可接受的文件类型，未上传。只接受照片（JPG、PNG、GIF、WebP）、PDF、Word（DOC、DOCX）和 Excel（XLS、XLSX）。"
    ]
    assert len(attachments.list_files(app_db, editor, catalog, record.id)) == 2

    photo_id = stored[0].id
    at.button(key=f"evidence_remove_{photo_id}").click().run()
    at.button(key=f"evidence_remove_yes_{photo_id}").click().run()
    assert at.success[0].value == "已移除佐证材料“现场.jpg”。"
    assert [a.filename for a in attachments.list_files(app_db, editor, catalog, record.id)] == ["签到表.docx"]

    viewer = open_record(demo_app["viewer"], record.id)
    assert not [w for w in viewer.get("file_uploader")]
    assert [b.key for b in viewer.get("link_button")] == [f"evidence_download_{stored[1].id}"]


def test_a_record_of_a_type_no_longer_in_the_catalog_is_shown_read_only(
    demo_app: dict[str, auth.User], app_db: db.Database, catalog: Catalog
) -> None:
    record = legal_aid(app_db, demo_app["editor"], catalog)
    with app_db.transaction() as cur:
        cur.execute("UPDATE records SET type_code = 'retired_type' WHERE id = ?", [record.id])
    at = open_record(demo_app["editor"], record.id)
    assert at.title[0].value == "已停用的类型 · 农民工讨薪法律援助"
    assert [t.label for t in at.tabs] == ["内容", "佐证材料", "修改记录"]


@pytest.mark.parametrize("raw", ["²", "٣", "1e3", "-1", "abc", "9" * 40, ""])
def test_a_strange_record_id_in_the_address_is_explained(demo_app: dict[str, auth.User], raw: str) -> None:
    at = run_app(demo_app["editor"])
    at.query_params["id"] = raw
    at.switch_page("pages/record.py").run()
    assert not at.exception, at.exception
    assert [i.value for i in at.info] == ["请在“台账”中点选一条记录。"]

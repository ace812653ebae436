"""fazhi.records: validation with exact messages, add/update/delete/restore, conflicts, listing and totals."""

from __future__ import annotations

import json
from datetime import date

import pytest

from fazhi import auth, db, ledger, record_display, records, validation
from fazhi.catalog import Catalog
from fazhi.errors import InvalidRecord, NotFound, PermissionDenied, RecordConflict
from fazhi.ledger import RecordFilter
from fazhi.units import find_unit
from fazhi.validation import RecordInput

pytestmark = pytest.mark.both_backends  # tests/backends.py: on DuckDB and on PostgreSQL


def _market(unit_id: int, **changes) -> RecordInput:
    item = RecordInput(
        type_code="market_day",
        unit_id=unit_id,
        title="赶场日宣传",
        start_on=date(2021, 3, 15),
        end_on=None,
        place="农贸市场",
        summary="",
        values={"consultations": 10, "materials": 100, "banners": 2},
    )
    for key, value in changes.items():
        setattr(item, key, value)
    return item


def _problems(catalog: Catalog, item: RecordInput, year: int | None = 2021) -> list[tuple[str, str]]:
    with pytest.raises(InvalidRecord) as caught:
        validation.validate(catalog, item, year)
    return [(p.field, p.message) for p in caught.value.problems]


def test_valid_input_is_cleaned(catalog: Catalog) -> None:
    cleaned, notices = validation.validate(
        catalog, _market(1, values={"consultations": "1,200", "materials": 3.0}), 2021
    )
    assert cleaned.values == {"consultations": 1200, "materials": 3}
    assert cleaned.end_on == date(2021, 3, 15)
    assert notices == []


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"title": "  "}, [("title", "请填写“标题”。")]),
        ({"start_on": None}, [("start_on", "请填写“开始日期”。")]),
        ({"start_on": date(2020, 12, 31)}, [("start_on", "“开始日期”须在2021年内（现为2020年12月31日）。")]),
        ({"end_on": date(2021, 3, 14)}, [("end_on", "“结束日期”不能早于“开始日期”。")]),
        ({"start_on": "2021-02-30"}, [("start_on", "“开始日期”不是有效日期，请按 2020-03-15 的格式填写。")]),
        ({"values": {"materials": -1}}, [("materials", "“发放宣传资料”不能为负数。")]),
        ({"values": {"materials": 2.5}}, [("materials", "“发放宣传资料”应为整数。")]),
        ({"values": {"materials": "很多"}}, [("materials", "“发放宣传资料”应为数字。")]),
        ({"values": {"materials": float("inf")}}, [("materials", "“发放宣传资料”应为数字。")]),
        ({"values": {"banners": 10001}}, [("banners", "“悬挂横幅”不能大于10000幅。")]),
        ({"values": {"nonsense": 1}}, [("nonsense", "“赶场日集中宣传”没有“nonsense”这一项。")]),
        ({"type_code": "no_such_type"}, [("type_code", "请选择记录类型。")]),
        ({"title": "标" * 101}, [("title", "“标题”不能超过100个字（现有101个）。")]),
    ],
)
def test_each_problem_is_named(catalog: Catalog, changes: dict, expected: list) -> None:
    assert _problems(catalog, _market(1, **changes)) == expected


def test_numerator_never_above_denominator(catalog: Catalog) -> None:
    item = RecordInput(
        "online_exam", 1, "考试", date(2021, 11, 1), values={"expected": 50, "attended": 51, "passed": 52}
    )
    assert _problems(catalog, item) == [
        ("attended", "“实参学人数”（51）不能大于“应参学人数”（50）。"),
        ("passed", "“考试合格人数”（52）不能大于“实参学人数”（51）。"),
    ]


def test_required_fields_and_percent_bounds(catalog: Catalog) -> None:
    item = RecordInput("satisfaction", 1, "测评", date(2021, 12, 1), values={"rate": 101})
    assert _problems(catalog, item) == [("rate", "“群众满意度”应在0到100之间。")]
    item = RecordInput("online_exam", 1, "考试", date(2021, 11, 1), values={"expected": 5})
    assert _problems(catalog, item) == [
        ("attended", "请填写“实参学人数”。"),
        ("passed", "请填写“考试合格人数”。"),
    ]


def test_yes_no_values(catalog: Catalog) -> None:
    item = RecordInput(
        "major_decision",
        1,
        "决策",
        date(2021, 5, 1),
        values={"legality_reviewed": "是", "risk_assessed": "否"},
    )
    cleaned, _ = validation.validate(catalog, item, 2021)
    assert cleaned.values == {"legality_reviewed": True, "risk_assessed": False}
    item.values = {"legality_reviewed": "也许"}
    assert _problems(catalog, item) == [("legality_reviewed", "“经合法性审查”应填“是”或“否”。")]


def test_control_characters_are_removed_with_a_notice(catalog: Catalog) -> None:
    item = _market(1, title="宣传\x00活动\x1b", summary="第一行\n\t第二行\x07 & <b>{{ x }}</b> {% if %}")
    cleaned, notices = validation.validate(catalog, item, 2021)
    assert cleaned.title == "宣传活动"
    assert cleaned.summary == "第一行\n\t第二行 & <b>{{ x }}</b> {% if %}"
    assert notices == [
        "“标题”中有2个不可见的控制字符，已删除。",
        "“情况说明”中有1个不可见的控制字符，已删除。",
    ]


def test_add_get_update_delete_restore(
    demo: db.Database, catalog: Catalog, users: dict[str, auth.User]
) -> None:
    editor, admin = users["editor"], users["admin"]
    township = find_unit(demo, "燕山乡")
    saved = records.add_record(demo, editor, catalog, _market(township.id, summary="<script>&"), year=2021)
    record = records.get_record(demo, editor, catalog, saved.id)
    assert (record.title, record.summary, record.values, record.version) == (
        "赶场日宣传",
        "<script>&",
        {"banners": 2, "consultations": 10, "materials": 100},
        1,
    )
    assert record.created_by == editor.username

    changed = record.as_input()
    changed.values["materials"] = 150
    second = records.update_record(demo, editor, catalog, saved.id, changed, expected_version=1)
    assert second.version == 2
    assert records.get_record(demo, editor, catalog, saved.id).values["materials"] == 150

    records.delete_record(demo, editor, catalog, saved.id, expected_version=2)
    with pytest.raises(NotFound):
        records.get_record(demo, editor, catalog, saved.id)
    with pytest.raises(PermissionDenied):
        records.restore_record(demo, editor, catalog, saved.id)
    records.restore_record(demo, admin, catalog, saved.id)
    assert records.get_record(demo, editor, catalog, saved.id).version == 4

    actions = demo.rows(
        "SELECT action, username FROM audit_log WHERE entity = 'record' AND entity_id = ? ORDER BY id",
        [str(saved.id)],
    )
    assert actions == [
        ("create", editor.username),
        ("update", editor.username),
        ("delete", editor.username),
        ("restore", admin.username),
    ]
    before, after = demo.one(
        "SELECT before_json, after_json FROM audit_log WHERE action = 'update' AND entity_id = ?",
        [str(saved.id)],
    )
    assert json.loads(before)["values"]["materials"] == 100
    assert json.loads(after)["values"]["materials"] == 150


def test_a_stale_save_is_refused_and_nothing_is_overwritten(
    demo: db.Database, catalog: Catalog, users: dict[str, auth.User]
) -> None:
    editor = users["editor"]
    saved = records.add_record(demo, editor, catalog, _market(find_unit(demo, "燕山乡").id), year=2021)
    mine = records.get_record(demo, editor, catalog, saved.id).as_input()
    theirs = records.get_record(demo, editor, catalog, saved.id).as_input()
    theirs.title = "他人的修改"
    records.update_record(demo, editor, catalog, saved.id, theirs, expected_version=1)
    mine.title = "我的修改"
    with pytest.raises(RecordConflict) as caught:
        records.update_record(demo, editor, catalog, saved.id, mine, expected_version=1)
    assert str(caught.value).startswith("该记录已被他人修改")
    assert caught.value.current.title == "他人的修改"
    assert records.get_record(demo, editor, catalog, saved.id).title == "他人的修改"


def test_viewers_and_other_units_cannot_write(
    demo: db.Database, catalog: Catalog, users: dict[str, auth.User]
) -> None:
    village_two = find_unit(demo, "示例二村")
    with pytest.raises(PermissionDenied, match="查看者"):
        records.add_record(demo, users["viewer"], catalog, _market(village_two.id), year=2021)
    with pytest.raises(PermissionDenied, match="示例二村"):
        records.add_record(demo, users["village_editor"], catalog, _market(village_two.id), year=2021)
    before = records.record_count(demo)
    records.add_record(demo, users["other_village_editor"], catalog, _market(village_two.id), year=2021)
    assert records.record_count(demo) == before + 1


def test_list_is_bounded_by_the_users_unit(
    demo: db.Database, catalog: Catalog, users: dict[str, auth.User]
) -> None:
    everything = ledger.list_records(demo, users["county_admin"], catalog, RecordFilter(year=2020))
    village = ledger.list_records(demo, users["village_editor"], catalog, RecordFilter(year=2020))
    assert len(everything) == 55
    assert set(village["unit_name"]) == {"示例一村"}
    assert len(village) == 2  # 村（居）宣传 and 走村入户
    with pytest.raises(PermissionDenied):
        ledger.list_records(
            demo, users["village_editor"], catalog, RecordFilter(unit_id=find_unit(demo, "燕山乡").id)
        )


def test_filters_and_totals(demo: db.Database, catalog: Catalog, users: dict[str, auth.User]) -> None:
    user = users["admin"]
    market = ledger.list_records(demo, user, catalog, RecordFilter(year=2020, type_codes=["market_day"]))
    assert ledger.totals(market, catalog) == {"consultations": 218, "materials": 2536, "banners": 25}
    publicity = ledger.list_records(demo, user, catalog, RecordFilter(year=2020, area="publicity"))
    assert len(publicity) == 26
    by_keyword = ledger.list_records(demo, user, catalog, RecordFilter(year=2020, keyword="民法典"))
    assert sorted(by_keyword["title"]) == sorted(
        [
            "《民法典》进村宣讲",
            "《民法典》颁布集中宣传",
            "“美好生活·民法典相伴”集中宣传",
            "四季度机关干部集中学法",
        ]
    )
    june = ledger.list_records(
        demo, user, catalog, RecordFilter(date_from=date(2020, 6, 29), date_to=date(2020, 6, 29))
    )
    assert "“6.26”禁毒宣传赶场日集中宣传" in set(june["title"])
    literal = ledger.list_records(demo, user, catalog, RecordFilter(keyword="100%"))
    assert literal.empty  # % is matched literally, not as a wildcard


def test_display_frame_has_chinese_headers(
    demo: db.Database, catalog: Catalog, users: dict[str, auth.User]
) -> None:
    frame = ledger.list_records(
        demo, users["admin"], catalog, RecordFilter(year=2020, type_codes=["major_decision"])
    )
    view = record_display.display_frame(frame, catalog)
    assert list(view.columns)[:8] == ["编号", "单位", "类型", "领域", "标题", "开始日期", "结束日期", "地点"]
    assert view.loc[view.index[0], "经合法性审查"] == "是"


def test_display_frame_headers_are_distinct(
    demo: db.Database, catalog: Catalog, users: dict[str, auth.User]
) -> None:
    # participants (中心组学法 …) and learners (网上学法课程) are both 参学人数: a table needs two names
    township = find_unit(demo, "燕山乡")
    item = RecordInput("online_learning", township.id, "网上学法", date(2020, 5, 6), values={"learners": 40})
    records.add_record(demo, users["admin"], catalog, item)
    frame = ledger.list_records(demo, users["admin"], catalog, RecordFilter(year=2020))
    view = record_display.display_frame(frame, catalog)
    assert view.columns.is_unique
    assert {"参学人数（人）·中心组集体学法", "参学人数（人）·网上学法课程"} <= set(view.columns)
    assert view["参学人数（人）·网上学法课程"].dropna().tolist() == [40]


def test_count_by_area(demo: db.Database, catalog: Catalog, users: dict[str, auth.User]) -> None:
    frame = ledger.count_by_area(demo, users["admin"], catalog, find_unit(demo, "燕山乡").id, 2020)
    assert dict(zip(frame["short"], frame["records"], strict=True)) == {
        "组织保障": 4,
        "履行职能": 4,
        "制度体系": 2,
        "依法决策": 1,
        "严格执法": 1,
        "权力监督": 0,
        "矛盾化解": 8,
        "学法用法": 9,
        "法治宣传": 26,
    }

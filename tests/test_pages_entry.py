"""AppTest of 录入: a valid record in a row of several, and each kind of invalid one keeping what was typed."""

from __future__ import annotations

import json
from datetime import date

import pytest
from streamlit.testing.v1 import AppTest

from fazhi import auth, db, records
from fazhi.catalog import Catalog, load_catalog
from fazhi.ui import sidebar
from fazhi.units import find_unit
from tests import test_pages
from tests.test_pages import run_app

# the AppTest fixtures of test_pages.py, shared without moving them
app_db, demo_app, navigation_v2 = test_pages.app_db, test_pages.demo_app, test_pages.navigation_v2


def open_entry(user: auth.User, type_code: str, year: int = 2020) -> AppTest:
    at = run_app(user)
    at.sidebar.selectbox(key=sidebar.YEAR_WIDGET).select(year).run()
    at.switch_page("pages/entry.py").run()
    at.selectbox(key="entry_type").select(type_code).run()
    assert not at.exception, at.exception
    return at


def fill(at: AppTest, title: str, start: date | None, end: date | None = None, **values) -> None:
    at.text_input(key="entry_title").input(title)
    at.date_input(key="entry_start_on").set_value(start)
    if end is not None:
        at.date_input(key="entry_end_on").set_value(end)
    for code, value in values.items():
        widget = at.get_by_key(f"entry_v_{code}")
        widget.set_value(value)


def save(at: AppTest) -> AppTest:
    return at.button(key="entry_save").click().run()


def table(at: AppTest, column: str):
    """The one dataframe on the page with this column (plain st.dataframe carries no key in AppTest)."""
    (found,) = [d.value for d in at.dataframe if column in d.value.columns]
    return found


def errors(at: AppTest) -> list[str]:
    return [e.value for e in at.error]


def test_the_form_shows_the_types_fields_with_labels_and_units(demo_app: dict[str, auth.User]) -> None:
    at = open_entry(demo_app["editor"], "online_exam")
    assert at.title[0].value == "录入 · 燕山乡 · 2020年"
    labels = [w.label for w in at.number_input]
    assert labels == ["应参学人数（人）（必填）", "实参学人数（人）（必填）", "考试合格人数（人）（必填）"]
    assert [o for o in at.selectbox(key="entry_unit_id").options] == [
        "燕山乡",
        "　示例一村",
        "　示例二村",
        "　示例三村",
        "　示例社区",
    ]
    at.selectbox(key="entry_type").select("major_decision").run()
    assert [w.label for w in at.radio] == ["经合法性审查（必填）", "开展风险评估", "听取公众意见"]


def test_a_valid_record_is_saved_and_the_form_is_ready_for_the_next(
    demo_app: dict[str, auth.User], app_db: db.Database, catalog: Catalog
) -> None:
    editor = demo_app["editor"]
    at = open_entry(editor, "market_day")
    before = records.record_count(app_db)
    fill(
        at,
        "赶场日宣传 <b>&{{ x }}{% if %}**粗**",
        date(2020, 4, 3),
        consultations=40,
        materials=600,
        banners=3,
    )
    at.text_area(key="entry_summary").input("第一行\n第二行\x07")
    save(at)
    assert not at.exception, at.exception
    assert errors(at) == []
    assert records.record_count(app_db) == before + 1
    new_id = app_db.one("SELECT max(id) FROM records")[0]
    record = records.get_record(app_db, editor, catalog, new_id)
    assert (record.title, record.summary, record.start_on, record.end_on, record.values) == (
        "赶场日宣传 <b>&{{ x }}{% if %}**粗**",
        "第一行\n第二行",
        date(2020, 4, 3),
        date(2020, 4, 3),
        {"banners": 3, "consultations": 40, "materials": 600},
    )
    assert record.unit_name == "燕山乡" and record.created_by == editor.username
    (message,) = [s.value for s in at.success]
    assert message == (
        f"已保存：燕山乡 · 赶场日集中宣传 · “赶场日宣传 \\<b\\>\\&{{{{ x }}}}{{% if %}}\\*\\*粗\\*\\*” · 2020年4月3日（编号 {new_id}）。"
        "\n\n“情况说明”中有1个不可见的控制字符，已删除。\n\n可以继续录入下一条。"
    )
    # ready for the next one: the type stays, everything typed is cleared
    assert at.selectbox(key="entry_type").value == "market_day"
    assert at.text_input(key="entry_title").value == ""
    assert at.number_input(key="entry_v_materials").value is None
    assert at.date_input(key="entry_start_on").value is None  # 2020 is not this year: no default date
    assert table(at, "标题")["标题"].tolist() == [record.title]
    logged = app_db.one(
        "SELECT action, username, after_json FROM audit_log WHERE entity = 'record' AND entity_id = ?",
        [str(new_id)],
    )
    assert logged[:2] == ("create", editor.username)
    assert json.loads(logged[2])["values"] == {"banners": 3, "consultations": 40, "materials": 600}

    fill(at, "第二场", date(2020, 5, 3), materials=10)
    at.selectbox(key="entry_unit_id").select(find_unit(app_db, "示例二村").id)
    save(at)
    assert records.record_count(app_db) == before + 2
    assert (
        app_db.one("SELECT u.name FROM records r JOIN units u ON u.id = r.unit_id ORDER BY r.id DESC")[0]
        == "示例二村"
    )
    assert table(at, "标题")["标题"].tolist() == ["第二场", record.title]


@pytest.mark.parametrize(
    ("type_code", "typed", "expected"),
    [
        ("market_day", {"title": "", "materials": 5}, ["请填写“标题”。"]),
        ("market_day", {"title": "标" * 101}, ["“标题”不能超过100个字（现有101个）。"]),
        ("market_day", {"start": None}, ["请填写“开始日期”。"]),
        ("market_day", {"end": date(2020, 3, 14)}, ["“结束日期”不能早于“开始日期”。"]),
        ("market_day", {"materials": -5}, ["“发放宣传资料”不能为负数。"]),
        ("market_day", {"banners": 10001}, ["“悬挂横幅”不能大于10000幅。"]),
        ("satisfaction", {"rate": 101.5}, ["“群众满意度”应在0到100之间。"]),
        (
            "dispute_screening",
            {"screened": 3, "resolved": 5},
            ["“化解矛盾纠纷”（5）不能大于“排查矛盾纠纷”（3）。"],
        ),
        (
            "online_exam",
            {"expected": 50, "attended": 51, "passed": 40},
            ["“实参学人数”（51）不能大于“应参学人数”（50）。"],
        ),
        ("online_exam", {"attended": 5, "passed": 5}, ["请填写“应参学人数”。"]),
        (
            "annual_checklist",
            {"leading_group": "是", "work_plan": "否", "duty_report": "是"},
            ["请选择“上年度法治政府建设报告已按时公开”（是/否）。"],
        ),
    ],
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_each_problem_is_named_at_its_field_and_nothing_typed_is_lost(
    demo_app: dict[str, auth.User], app_db: db.Database, type_code: str, typed: dict, expected: list[str]
) -> None:
    at = open_entry(demo_app["editor"], type_code)
    before = records.record_count(app_db)
    title = typed.pop("title", "测试记录")
    start = typed.pop("start", date(2020, 3, 15))
    end = typed.pop("end", None)
    fill(at, title, start, end, **typed)
    at.text_input(key="entry_place").input("会议室")
    save(at)
    assert not at.exception, at.exception
    shown = errors(at)
    assert shown[:-1] == expected  # under the field …
    assert (
        shown[-1] == f"有{len(expected)}处需要修改，见上方标红的各项；已填写的内容都还在。"
    )  # … and a summary
    assert records.record_count(app_db) == before
    assert at.text_input(key="entry_title").value == title
    assert at.date_input(key="entry_start_on").value == start
    assert at.text_input(key="entry_place").value == "会议室"
    if end is not None:
        assert at.date_input(key="entry_end_on").value == end
    for code, value in typed.items():
        assert at.get_by_key(f"entry_v_{code}").value == value
    assert not at.success


def test_a_locked_year_refuses_the_save_and_keeps_the_form(
    demo_app: dict[str, auth.User], app_db: db.Database
) -> None:
    from fazhi import locks

    locks.lock_year(app_db, demo_app["admin"], find_unit(app_db, "燕山乡"), 2020)
    at = open_entry(demo_app["editor"], "legal_aid")
    fill(at, "法律援助", date(2020, 6, 1), aid_cases=1)
    save(at)
    assert errors(at) == [
        "燕山乡2020年已封账（{}于{}封账），不能再新增、修改或删除该年度的数据。如确需修改，请联系管理员解除封账。".format(
            demo_app["admin"].username, date.today().strftime("%Y年%m月%d日")
        )
    ]
    assert at.text_input(key="entry_title").value == "法律援助"


def test_the_type_search_finds_work_by_its_usual_name_and_keeps_the_choice(
    demo_app: dict[str, auth.User],
) -> None:
    at = open_entry(demo_app["editor"], "market_day")
    at.text_input(key="entry_type_search").input("宪法宣传周").run()
    picker = at.selectbox(key="entry_type")
    assert picker.value == "market_day"  # the choice made before the search stays
    assert picker.options[0].endswith("赶场日集中宣传") and any(
        o.endswith("主题宣传活动") for o in picker.options
    )
    assert picker.label == f"记录类型（{len(picker.options) - 1}种）"
    picker.select("publicity_event").run()
    assert not at.exception and at.selectbox(key="entry_type").value == "publicity_event"
    at.text_input(key="entry_type_search").input("没有这种工作xyz").run()
    assert "没有找到相应的类型" in " ".join(c.value for c in at.caption)
    assert len(at.selectbox(key="entry_type").options) == len(load_catalog().record_types)
    assert at.selectbox(key="entry_type").value == "publicity_event"


def test_the_calendars_open_inside_the_selected_year(demo_app: dict[str, auth.User]) -> None:
    """Bounded to the year: in January a 2020 calendar opens in 2020, not on today's month (the form's own
    check of the year stays for imports and the CLI, see test_records)."""
    at = open_entry(demo_app["editor"], "market_day", year=2020)
    for key in ("entry_start_on", "entry_end_on"):
        assert (at.date_input(key=key).min, at.date_input(key=key).max) == (
            date(2020, 1, 1),
            date(2020, 12, 31),
        )

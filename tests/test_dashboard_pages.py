"""AppTest for 看板, 目标 and 会议模式: the 2020 demo figures, never-stale cards, chart selections leading to
台账, editing targets, and a meeting view without editing widgets."""

from __future__ import annotations

import json
from datetime import date

import pytest
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1.element_tree import Widget

from fazhi import auth, db, locks, navigation, records, targets, validation
from fazhi.catalog import Catalog, load_catalog
from fazhi.settings import PROJECT_DIR
from fazhi.text import markdown_literal
from fazhi.ui import dashboard_widgets, ledger_link, resources, session, sidebar
from fazhi.units import find_unit, insert_unit
from tests import test_pages
from tests.conftest import log_in_app
from tests.test_pages import run_app, texts

# The fixtures of test_pages.py, shared by name (the autouse navigation_v2 is what makes sidebar clicks work).
app_db = test_pages.app_db
demo_app = test_pages.demo_app
navigation_v2 = test_pages.navigation_v2


def open_page(user: auth.User, path: str, year: int = 2020) -> AppTest:
    at = run_app(user)
    at.sidebar.selectbox(key=sidebar.YEAR_WIDGET).select(year).run()
    at.switch_page(path).run()
    assert not at.exception, at.exception
    return at


def cards(at: AppTest) -> dict[str, tuple[str, str]]:
    return {m.label: (m.value, m.delta) for m in at.metric}


def app_database(app_db: db.Database) -> db.Database:
    """The Database object the app under test holds (writes must go through it, as they do in the app)."""
    return resources.connection(str(app_db.path))


def select_point(at: AppTest, key: str, point: dict) -> AppTest:
    """Run the app as if the user had clicked one point of the plotly chart with this key: the selection
    state the browser would send, set through AppTest's session state."""
    at.session_state[key] = {"selection": {"points": [point], "point_indices": [0], "box": [], "lasso": []}}
    at.run()
    assert not at.exception, at.exception
    return at


# ───────────── 看板 ─────────────


def test_dashboard_shows_the_2020_figures_with_targets_and_change_from_2019(
    demo_app: dict[str, auth.User],
) -> None:
    at = open_page(demo_app["viewer"], "pages/dashboard.py")
    assert at.title[0].value == "看板 · 燕山乡 · 2020年"
    assert cards(at) == {
        "中心组集体学法": ("4次", "+1次（+33.3%）"),
        "网上学法考试合格率": ("100%", "+2个百分点"),
        "集中宣传发放资料": ("2536份", "+736份（+40.9%）"),
        "进村入户宣传": ("4638户", "+631户（+15.7%）"),
        "化解矛盾纠纷": ("5件", "+1件（+25.0%）"),
        "法律援助案件": ("2件", "+1件（+100.0%）"),
        "群众满意度": ("95%", "+3个百分点"),
        "重大安全事故": ("0起", "持平"),
    }
    captions = [c.value for c in at.caption]
    assert "2019年 1800份 · 目标 2000份 · 完成 127% · :green[达标]" in captions
    assert "2019年 92% · 目标 90% · 完成 106% · :green[达标]" in captions
    assert "【学法用法】会前学法：尚无记录（目标6次）" in texts(at)
    assert [c.key for c in at.get("plotly_chart")] == [
        "chart_completion",
        "chart_monthly",
        "chart_by_unit",
        "chart_by_type",
        "chart_year_over_year",
    ]
    (rest,) = [d.value for d in at.dataframe if "趋势" in d.value.columns]  # beside the chart's 12 largest
    assert len(rest) == 14 and list(rest.columns) == ["领域", "指标", "本年", "上年", "较上年", "趋势"]
    assert rest.iloc[0][["指标", "本年", "上年", "较上年", "趋势"]].tolist() == [
        "矛盾纠纷化解率",
        "100%",
        "80%",
        25.0,
        "向好",
    ]
    (table,) = [d.value for d in at.dataframe if "口径说明" in d.value.columns]
    assert len(table) == len(load_catalog().indicators)
    row = table[table["指标"] == "集中宣传发放资料"].iloc[0]
    assert (row["数值"], row["目标"], row["上年"], row["状态"]) == ("2536份", "2000份", "1800份", "达标")


def test_a_saved_record_moves_the_card_at_the_next_rerun(
    demo_app: dict[str, auth.User], app_db: db.Database, catalog: Catalog
) -> None:
    at = open_page(demo_app["viewer"], "pages/dashboard.py")
    assert cards(at)["集中宣传发放资料"] == ("2536份", "+736份（+40.9%）")
    township = find_unit(app_db, "燕山乡")
    item = validation.RecordInput(
        "market_day", township.id, "补录一次赶场宣传", date(2020, 11, 5), None, "市场", "", {}
    )
    item.values = {"materials": 100, "consultations": 10, "banners": 1}
    # The cache holds the figures while nothing is written through the app's connection ...
    at.run()
    assert cards(at)["集中宣传发放资料"] == ("2536份", "+736份（+40.9%）")
    # ... and a save through it (what the entry form does) shows at once.
    records.add_record(app_database(app_db), demo_app["editor"], catalog, item)
    at.run()
    assert cards(at)["集中宣传发放资料"] == ("2636份", "+836份（+46.4%）")
    assert cards(at)["中心组集体学法"] == ("4次", "+1次（+33.3%）")


def test_the_cache_is_keyed_by_the_data_version(
    demo_app: dict[str, auth.User], app_db: db.Database, catalog: Catalog
) -> None:
    """A write through another connection (never the case in the app) is not seen until a version bump:
    proof that the figures come from the cache and that the version is what refreshes them."""
    at = open_page(demo_app["viewer"], "pages/dashboard.py")
    township = find_unit(app_db, "燕山乡")
    item = validation.RecordInput(
        "legal_aid", township.id, "法律援助", date(2020, 12, 1), None, "", "", {"aid_cases": 3}
    )
    records.add_record(app_db, demo_app["editor"], catalog, item)  # the test's own connection
    at.run()
    assert cards(at)["法律援助案件"] == ("2件", "+1件（+100.0%）")
    targets.set_targets(app_database(app_db), demo_app["admin"], catalog, township, 2021, {"banners": 21})
    at.run()
    assert cards(at)["法律援助案件"] == ("5件", "+4件（+400.0%）")


def test_selecting_a_village_bar_opens_its_records_in_the_ledger(
    demo_app: dict[str, auth.User], app_db: db.Database
) -> None:
    at = open_page(demo_app["viewer"], "pages/dashboard.py")
    village = find_unit(app_db, "示例二村")
    select_point(at, "chart_by_unit", {"customdata": [village.id, "village_materials"], "x": "示例二村"})
    assert at.title[0].value == "台账 · 燕山乡 · 2020年"
    assert "只显示：示例二村 · 2020年 · 类型：村（居）宣传" in texts(at)
    assert "共 1 条记录" in texts(at)
    assert ledger_link.LEDGER_REQUEST not in at.session_state  # taken once
    (totals,) = [d.value for d in at.dataframe if "合计" in d.value.columns]
    assert dict(zip(totals["项目"], totals["合计"], strict=True))["发放宣传资料（份）"] == 498
    # AppTest reruns the page it last switched to itself; a browser stays on 台账 (tests/e2e).
    at.switch_page("pages/ledger.py").run()
    assert "共 1 条记录" in texts(at)  # the filter stays while the user works in 台账
    at.button(key="ledger_clear").click().run()
    assert "共 55 条记录" in texts(at)


def test_selecting_a_month_opens_that_months_records_of_the_area(demo_app: dict[str, auth.User]) -> None:
    at = open_page(demo_app["editor"], "pages/dashboard.py")
    select_point(at, "chart_monthly", {"customdata": ["publicity", 6], "x": 6, "y": 6})
    assert "只显示：燕山乡 · 2020年 · 领域：法治宣传 · 2020年6月1日至2020年6月30日" in texts(at)
    assert "共 6 条记录" in texts(at)


def test_selecting_a_treemap_node_or_an_area_bar(demo_app: dict[str, auth.User]) -> None:
    at = open_page(demo_app["viewer"], "pages/dashboard.py")
    select_point(at, "chart_by_type", {"id": "type:market_day", "label": "赶场日集中宣传"})
    assert "共 3 条记录" in texts(at)
    at = open_page(demo_app["viewer"], "pages/dashboard.py")
    select_point(at, "chart_completion", {"customdata": ["disputes"]})
    assert "共 8 条记录" in texts(at)  # 矛盾化解 in 2020
    # picking another year in the sidebar drops the dashboard's filter
    at.switch_page("pages/ledger.py")
    at.sidebar.selectbox(key=sidebar.YEAR_WIDGET).select(2019).run()
    assert at.title[0].value == "台账 · 燕山乡 · 2019年"
    assert "只显示" not in texts(at)


def test_typed_text_is_never_markdown(demo_app: dict[str, auth.User], app_db: db.Database) -> None:
    assert markdown_literal("**粗** :red[红] $x$ <b>&") == "\\*\\*粗\\*\\* \\:red\\[红\\] \\$x\\$ \\<b\\>\\&"
    township = find_unit(app_db, "燕山乡")
    with app_db.transaction() as cur:
        odd = insert_unit(cur, "**粗** :red[红]", "village", township)
    at = run_app(demo_app["viewer"])
    at.sidebar.selectbox(key=sidebar.UNIT_WIDGET).select(odd.id).run()
    at.switch_page("pages/dashboard.py").run()
    assert not at.exception, at.exception
    assert (
        at.title[0].value
        == "看板 · \\*\\*粗\\*\\* \\:red\\[红\\] · " + f"{at.session_state[session.YEAR_KEY]}年"
    )


def test_open_ledger_refuses_unknown_filters() -> None:
    with pytest.raises(TypeError):
        ledger_link.open_ledger(year=2020, colour="red")


def test_a_county_user_sees_the_whole_county_and_its_townships(app_db: db.Database, catalog: Catalog) -> None:
    from fazhi import sample

    sample.load_demo(app_db, catalog)
    county_admin = auth.create_user(
        app_db,
        auth.system_user("测试"),
        "county",
        "correct-horse-42",
        "admin",
        find_unit(app_db, "万州区").id,
    )
    at = run_app(county_admin)
    county = find_unit(app_db, "万州区")
    at.sidebar.selectbox(key=sidebar.UNIT_WIDGET).select(county.id).run()
    at.sidebar.selectbox(key=sidebar.YEAR_WIDGET).select(2020).run()
    at.switch_page("pages/dashboard.py").run()
    assert not at.exception, at.exception
    assert at.title[0].value == "看板 · 万州区 · 2020年"
    assert cards(at)["集中宣传发放资料"] == ("2536份", "+736份（+40.9%）")
    # one 乡镇 holds everything, so the breakdown opens on the first indicator, by 乡镇
    assert at.selectbox(key="breakdown_indicator").value == "leadership_meetings"
    at.selectbox(key="breakdown_indicator").select("village_materials").run()
    (chart,) = [c for c in at.get("plotly_chart") if c.key == "chart_by_unit"]
    figure = json.loads(chart.proto.spec)
    assert figure["data"][0]["x"] == ["燕山乡"] and figure["data"][0]["y"] == [2046.0]
    assert figure["layout"]["xaxis"]["title"]["text"] == "乡镇/街道"


def test_a_village_has_no_breakdown_chart(demo_app: dict[str, auth.User], app_db: db.Database) -> None:
    at = run_app(demo_app["viewer"])
    at.sidebar.selectbox(key=sidebar.UNIT_WIDGET).select(find_unit(app_db, "示例一村").id).run()
    at.sidebar.selectbox(key=sidebar.YEAR_WIDGET).select(2020).run()
    at.switch_page("pages/dashboard.py").run()
    assert not at.exception, at.exception
    assert "chart_by_unit" not in [c.key for c in at.get("plotly_chart")]
    assert cards(at)["进村入户宣传"] == ("1160户", "+150户（+14.9%）")


def test_chosen_kpi_cards_are_kept_for_the_meeting(demo_app: dict[str, auth.User]) -> None:
    at = open_page(demo_app["viewer"], "pages/dashboard.py")
    at.multiselect(key=dashboard_widgets.KPI_WIDGET).set_value(["banners", "satisfaction"]).run()
    assert cards(at) == {"悬挂横幅": ("25幅", "+7幅（+38.9%）"), "群众满意度": ("95%", "+3个百分点")}
    at.switch_page("pages/meeting.py").run()
    assert cards(at) == {"悬挂横幅": ("25幅", "+7幅（+38.9%）"), "群众满意度": ("95%", "+3个百分点")}


# ───────────── 会议模式 ─────────────


def _main_widgets(at: AppTest) -> list[str]:
    """Keys (or types) of every input widget in the main area (the sidebar's pickers excluded)."""
    found = []

    def walk(node) -> None:
        if isinstance(node, Widget):
            found.append(node.key or node.type)
        if getattr(node, "type", "") == "plotly_chart" and len(node.proto.selection_mode):
            found.append(node.key or "plotly_chart")  # a selectable chart is an input too
        for child in getattr(node, "children", {}).values():
            walk(child)

    walk(at.main)
    return found


MEETING_WIDGETS = ["meeting_paging", "meeting_refresh", "meeting_screen"]  # ways to look, none to edit


def test_meeting_view_is_read_only_with_big_numbers(demo_app: dict[str, auth.User]) -> None:
    at = open_page(demo_app["admin"], "pages/meeting.py")
    assert at.title[0].value == "燕山乡 · 2020年法治政府建设"
    assert _main_widgets(at) == MEETING_WIDGETS
    assert at.get("button_group")[0].value == "关键指标"  # one projector screen at a time
    assert cards(at)["集中宣传发放资料"] == ("2536份", "+736份（+40.9%）")
    assert not at.get("plotly_chart")
    assert any("font-size: 4.2rem" in m.value for m in at.markdown)  # projector-sized numbers
    at.get("button_group")[0].set_value("完成情况与短板").run()
    assert [c.key for c in at.get("plotly_chart")] == ["meeting_completion"]
    assert "【学法用法】会前学法：尚无记录（目标6次）" in texts(at)
    assert "……另有2项，详见看板" in texts(at)  # 8 lines beside the chart, the rest on 看板
    at.get("button_group")[0].set_value("各月工作").run()
    assert [c.key for c in at.get("plotly_chart")] == ["meeting_monthly"]
    assert not cards(at)
    at.toggle(key="meeting_refresh").set_value(True).run()
    assert not at.exception, at.exception
    assert _main_widgets(at) == MEETING_WIDGETS


def test_meeting_view_pages_on_a_timer(
    demo_app: dict[str, auth.User], monkeypatch: pytest.MonkeyPatch
) -> None:
    at = open_page(demo_app["admin"], "pages/meeting.py")
    monkeypatch.setattr(dashboard_widgets.time, "time", lambda: 30.0 * 7)  # the 8th period: screen 7 % 3 = 1
    at.toggle(key="meeting_paging").set_value(True).run()
    assert not at.exception, at.exception
    assert at.get("button_group")[0].value == "完成情况与短板"
    assert [c.key for c in at.get("plotly_chart")] == ["meeting_completion"]


def test_the_screen_follows_the_clock() -> None:
    assert [dashboard_widgets.screen_at(t) for t in (0, 29.9, 30, 60, 89, 90, 125)] == [0, 0, 1, 2, 2, 0, 1]


def test_the_dashboard_has_editing_widgets_only_for_choices(demo_app: dict[str, auth.User]) -> None:
    """The contrast to the meeting view: 看板 offers choices and selectable charts."""
    at = open_page(demo_app["admin"], "pages/dashboard.py")
    assert {"kpi_picker", "breakdown_indicator", "chart_monthly"} <= set(_main_widgets(at))


# ───────────── 目标 ─────────────


def _row(at: AppTest, code: str) -> int:
    (editor,) = at.data_editor
    return editor.value["code"].tolist().index(code)


def test_admin_edits_a_target_and_saves(
    demo_app: dict[str, auth.User], app_db: db.Database, catalog: Catalog
) -> None:
    at = open_page(demo_app["admin"], "pages/targets.py", year=2020)
    assert at.title[0].value == "目标 · 燕山乡 · 2020年"
    (editor,) = at.data_editor
    table = editor.value.set_index("code")
    assert (table.at["market_day_materials", "default"], table.at["market_day_materials", "target"]) == (
        2000,
        2000,
    )
    at.session_state["targets_editor"] = {
        "edited_rows": {
            _row(at, "market_day_materials"): {"target": 3000},
            _row(at, "satisfaction"): {"target": 92},
        },
        "added_rows": [],
        "deleted_rows": [],
    }
    at.button(key="targets_save").click().run()
    assert not at.exception, at.exception
    assert "已保存，2项目标有变化。" in texts(at)
    township = find_unit(app_db, "燕山乡")
    assert targets.stored_targets(app_db, township, 2020) == {
        "market_day_materials": 3000,
        "satisfaction": 92,
    }
    (editor,) = at.data_editor
    assert editor.value.set_index("code").at["market_day_materials", "target"] == 3000


def test_invalid_targets_are_refused_in_chinese(demo_app: dict[str, auth.User], app_db: db.Database) -> None:
    at = open_page(demo_app["admin"], "pages/targets.py", year=2020)
    at.session_state["targets_editor"] = {
        "edited_rows": {_row(at, "satisfaction"): {"target": 120}, _row(at, "leading_group"): {"target": 3}},
        "added_rows": [],
        "deleted_rows": [],
    }
    at.button(key="targets_save").click().run()
    assert [e.value for e in at.error] == [
        "有2处需要修改：\n- “已成立法治建设领导小组”的目标只能是1（是）或0（否）。\n- “群众满意度”的目标不能超过100%。"
    ]
    assert targets.stored_targets(app_db, find_unit(app_db, "燕山乡"), 2020) == {}


def test_copy_last_years_targets_and_restore_defaults(
    demo_app: dict[str, auth.User], app_db: db.Database, catalog: Catalog
) -> None:
    township = find_unit(app_db, "燕山乡")
    at = open_page(demo_app["admin"], "pages/targets.py", year=2020)
    at.button(key="targets_copy").click().run()
    assert "2019年没有单独设置的目标（均为默认值），无需复制。" in texts(at)
    targets.set_targets(app_database(app_db), demo_app["admin"], catalog, township, 2019, {"banners": 30})
    at.button(key="targets_copy").click().run()
    assert "已复制2019年单独设置的目标，1项有变化。" in texts(at)
    assert targets.stored_targets(app_db, township, 2020) == {"banners": 30}
    (editor,) = at.data_editor
    row = editor.value.set_index("code").loc["banners"]
    assert (row["target"], row["previous"]) == (30, 30)
    at.button(key="targets_reset").click().run()
    assert "已恢复默认值（1项）。" in texts(at)
    assert targets.stored_targets(app_db, township, 2020) == {}


def test_a_locked_year_shows_targets_read_only(demo_app: dict[str, auth.User], app_db: db.Database) -> None:
    locks.lock_year(app_db, demo_app["admin"], find_unit(app_db, "燕山乡"), 2020)
    at = open_page(demo_app["admin"], "pages/targets.py")
    (editor,) = at.data_editor
    assert editor.proto.disabled
    assert any("燕山乡2020年已封账" in i.value and "目标只能查看" in i.value for i in at.info)
    keys = [b.key for b in at.button]
    assert not {"targets_save", "targets_copy", "targets_reset"} & set(keys)


@pytest.mark.parametrize("role", ["editor", "viewer"])
def test_targets_are_for_administrators_only(demo_app: dict[str, auth.User], role: str) -> None:
    assert "pages/targets.py" not in [p.path for p in navigation.pages_for(role)]
    at = run_app(demo_app[role])
    with pytest.raises(ValueError):
        at.switch_page("pages/targets.py")
    alone = AppTest.from_file(str(PROJECT_DIR / "pages" / "targets.py"), default_timeout=60)
    log_in_app(alone, demo_app[role])
    alone.run()
    assert not alone.data_editor and not alone.button
    assert "只有管理员可以设置目标；目标和完成情况可在看板中查看。" in texts(alone)

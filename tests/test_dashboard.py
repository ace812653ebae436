"""fazhi.dashboard: exact figures of the demo's 看板, KPI cards, 短板, ledger filters; few queries per screen."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from fazhi import auth, charts, dashboard, db, drilldown, ledger, records, scorecard
from fazhi.catalog import Catalog
from fazhi.units import find_unit
from fazhi.validation import RecordInput

NEW_YEAR = date(2021, 1, 10)


def _data(database: db.Database, catalog: Catalog, unit: str = "燕山乡", year: int = 2020, today=NEW_YEAR):
    return dashboard.dashboard_data(
        database, auth.system_user(), catalog, find_unit(database, unit), year, today=today
    )


def _add(database: db.Database, catalog: Catalog, unit: str, type_code: str, day: date, values: dict) -> None:
    item = RecordInput(type_code, find_unit(database, unit).id, f"测试{type_code}", day, None, "", "", values)
    records.add_record(database, auth.system_user(), catalog, item)


def test_monthly_activity_of_2020(demo: db.Database, catalog: Catalog) -> None:
    frame = dashboard.monthly_activity(demo, auth.system_user(), catalog, find_unit(demo, "燕山乡"), 2020)
    assert len(frame) == 9 * 12  # every area of the 2015 纲要 × every month
    assert frame.groupby("month")["records"].sum().tolist() == [3, 2, 7, 3, 4, 9, 3, 2, 7, 3, 4, 8]
    per_area = frame.groupby("area")["records"].sum().to_dict()
    assert per_area == {
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
    june = frame[(frame["month"] == 6)].set_index("area_code")["records"]
    assert (june["publicity"], june["capacity"], june["disputes"], june["functions"]) == (6, 1, 1, 1)


def test_monthly_activity_follows_the_2021_outline(demo: db.Database, catalog: Catalog) -> None:
    _add(demo, catalog, "燕山乡", "study_group", date(2021, 3, 3), {"participants": 9})
    frame = dashboard.monthly_activity(demo, auth.system_user(), catalog, find_unit(demo, "燕山乡"), 2021)
    assert len(frame) == 11 * 12
    march = frame[frame["month"] == 3].set_index("area_code")["records"]
    assert march["thought"] == 1  # 中心组学法 falls under 学习贯彻习近平法治思想 from 2021
    assert frame["records"].sum() == 1


def test_records_by_type(demo: db.Database, catalog: Catalog) -> None:
    frame = dashboard.records_by_type(demo, auth.system_user(), catalog, find_unit(demo, "燕山乡"), 2020)
    assert frame["records"].sum() == 55
    assert frame["area"].iloc[0] == "组织保障"  # 纲要 order
    counts = frame.set_index("type_code")["records"]
    assert (counts["market_day"], counts["publicity_vehicle"], counts["village_publicity"]) == (3, 5, 4)
    assert "legal_consult" not in counts.index  # types without records are left out


def test_breakdown_by_village_and_by_township(demo: db.Database, catalog: Catalog) -> None:
    user = auth.system_user()
    township = find_unit(demo, "燕山乡")
    frame = dashboard.by_unit(demo, user, catalog, township, 2020, "village_materials")
    assert dict(zip(frame["unit_name"], frame["value"], strict=True)) == {
        "示例一村": 520,
        "示例二村": 498,
        "示例三村": 515,
        "示例社区": 513,
    }
    assert frame["value_text"].tolist() == ["520份", "498份", "515份", "513份"]
    assert set(frame["child_level"]) == {"村/社区"}
    # the township's own records appear as 本级 only when there are some
    own = dashboard.by_unit(demo, user, catalog, township, 2020, "market_day_materials")
    assert dict(zip(own["unit_name"], own["value"], strict=True)) == {
        "燕山乡（本级）": 2536,
        "示例一村": 0,
        "示例二村": 0,
        "示例三村": 0,
        "示例社区": 0,
    }
    county = dashboard.by_unit(demo, user, catalog, find_unit(demo, "万州区"), 2020, "village_materials")
    assert dict(zip(county["unit_name"], county["value"], strict=True)) == {"燕山乡": 2046}
    assert set(county["child_level"]) == {"乡镇/街道"}
    # a ratio without denominator in a village is None and shown as a dash
    rate = dashboard.by_unit(demo, user, catalog, township, 2020, "dispute_resolution_rate")
    assert rate["value"].isna().tolist() == [False, True, True, True, True]
    assert rate["value_text"].tolist() == ["100%", "—", "—", "—", "—"]


def test_completion_by_area_of_a_finished_year(demo: db.Database, catalog: Catalog) -> None:
    frame = dashboard.completion_by_area(
        demo, auth.system_user(), catalog, find_unit(demo, "燕山乡"), 2020, today=NEW_YEAR
    ).set_index("area_code")
    assert frame["completion"].to_dict() == {
        "leadership": 100.0,
        "functions": 80.0,
        "rules": 100.0,
        "decisions": 50.0,
        "enforcement": 100.0,
        "oversight": 50.0,  # 负责人出庭应诉率 has no denominator: not counted; 政务公开 none yet: 0
        "disputes": 75.0,  # 人民调解成功率: the 2020 records leave 调解成功 blank, so no rate to count
        "capacity": 71.4,
        "publicity": 94.4,
    }
    assert frame.loc["publicity", ["indicators", "done", "no_data"]].tolist() == [18, 17, 1]
    assert frame.loc["oversight", ["indicators", "done", "no_data"]].tolist() == [3, 1, 2]
    assert frame["share"].unique().tolist() == [100.0]
    assert frame["status"].to_dict()["leadership"] == "达标"
    assert frame["status"].to_dict()["publicity"] == "未达标"  # the year is over


def test_completion_by_area_within_the_year(demo: db.Database, catalog: Catalog) -> None:
    frame = dashboard.completion_by_area(
        demo, auth.system_user(), catalog, find_unit(demo, "燕山乡"), 2020, today=date(2020, 7, 1)
    ).set_index("area_code")
    assert frame["share"].unique().tolist() == [50.0]  # 183 of 366 days
    assert frame.loc["publicity", "status"] == "进度正常"  # 94.4% ≥ 50%
    assert frame.loc["decisions", "status"] == "进度正常"  # 50.0% ≥ 50.0%
    assert frame.loc["leadership", "status"] == "达标"


def test_year_over_year(demo: db.Database, catalog: Catalog) -> None:
    frame = dashboard.year_over_year(
        demo, auth.system_user(), catalog, find_unit(demo, "燕山乡"), 2020, today=NEW_YEAR
    )
    assert len(frame) == 26  # 人民调解成功率 has no 2020 value
    assert frame["change_pct"].is_monotonic_decreasing
    assert frame.iloc[0][["name", "change_pct", "verdict"]].tolist() == ["法律援助案件", 100.0, "better"]
    row = frame.set_index("code").loc["market_day_materials"]
    assert (row["value_text"], row["previous_text"], row["change_pct"]) == ("2536份", "1800份", 40.9)
    assert set(frame["verdict"]) == {"better", "same"}
    assert not set(frame["code"]) & {"leading_group", "mediation_cases", "normative_docs"}  # yes/no, 仅统计
    assert (frame["year"].unique().tolist(), frame["previous_year"].unique().tolist()) == ([2020], [2019])


def test_worse_this_year_is_red_for_up_and_green_for_down(demo: db.Database, catalog: Catalog) -> None:
    assert dashboard._verdict("up", -1) == "worse"
    assert dashboard._verdict("down", -1) == "better"
    assert dashboard._verdict("zero", 1) == "worse"
    assert dashboard._verdict("up", 0) == "same"


def test_kpi_cards_of_2020(demo: db.Database, catalog: Catalog) -> None:
    data = _data(demo, catalog)
    cards = {
        card.code: card for card in scorecard.kpi_cards(catalog, data.table, catalog.key_indicators, 2020)
    }
    assert list(cards) == list(catalog.key_indicators)
    materials = cards["market_day_materials"]
    assert (materials.label, materials.value, materials.delta, materials.delta_color) == (
        "集中宣传发放资料",
        "2536份",
        "+736份（+40.9%）",
        "normal",
    )
    assert (materials.previous, materials.target, materials.completion, materials.status) == (
        "2019年 1800份",
        "2000份",
        "127%",
        "达标",
    )
    assert materials.help == catalog.indicator("market_day_materials").definition
    assert (cards["satisfaction"].delta, cards["exam_pass_rate"].delta) == ("+3个百分点", "+2个百分点")
    accidents = cards["major_accidents"]
    assert (accidents.value, accidents.delta, accidents.delta_color, accidents.target) == (
        "0起",
        "持平",
        "off",
        "0起",
    )
    (leading,) = scorecard.kpi_cards(catalog, data.table, ["leading_group", "no_such_code"], 2020)
    assert (leading.value, leading.delta, leading.delta_color) == ("是", None, "off")


def test_a_rising_accident_count_is_coloured_as_bad(demo: db.Database, catalog: Catalog) -> None:
    _add(demo, catalog, "示例一村", "safety_accident", date(2020, 7, 1), {"is_major": True, "deaths": 1})
    (card,) = scorecard.kpi_cards(catalog, _data(demo, catalog).table, ["major_accidents"], 2020)
    assert (card.value, card.delta, card.delta_color, card.status) == ("1起", "+1起", "inverse", "未达标")


def test_change_text(catalog: Catalog) -> None:
    funding, rate = catalog.indicator("funding"), catalog.indicator("satisfaction")
    assert scorecard.change_text(funding, 0.5, 16.666) == "+0.5万元（+16.7%）"
    assert scorecard.change_text(funding, -1.25, -25.0) == "-1.2万元（-25.0%）"
    assert scorecard.change_text(funding, 3, None) == "+3万元"  # last year was 0
    assert scorecard.change_text(rate, -2.5, -2.6) == "-2.5个百分点"
    assert scorecard.change_text(rate, 0, 0) == "持平"
    assert scorecard.change_text(rate, None, None) is None


def test_shortfall_lines_of_2020(demo: db.Database, catalog: Catalog) -> None:
    data = _data(demo, catalog)
    assert scorecard.shortfall_lines(data.table, data.share) == [
        "【制度体系】规范性文件报备率：尚无记录（目标100%）",
        "【依法决策】法律顾问参与：尚无记录（目标4次）",
        "【权力监督】负责人出庭应诉率：尚无记录（目标100%）",
        "【权力监督】政务公开信息：尚无记录（目标50条）",
        "【矛盾化解】人民调解成功率：尚无记录（目标95%）",
        "【矛盾化解】法律咨询服务：尚无记录（目标100人次）",
        "【学法用法】会前学法：尚无记录（目标6次）",
        "【学法用法】法治培训：尚无记录（目标100人次）",
        "【法治宣传】培养法律明白人：尚无记录（目标20人）",
        "【履行职能】网上可办事项：尚无记录（目标50项）",
    ]


def test_shortfalls_within_the_year_put_the_worst_first(demo: db.Database, catalog: Catalog) -> None:
    _add(demo, catalog, "燕山乡", "training", date(2020, 3, 1), {"trainees": 40})
    _add(demo, catalog, "示例一村", "safety_accident", date(2020, 5, 1), {"is_major": True, "deaths": 0})
    data = _data(demo, catalog, today=date(2020, 7, 1))
    lines = scorecard.shortfall_lines(data.table, data.share)
    assert lines[0] == "【履行职能】重大安全事故：发生1起，应为零"
    assert "【学法用法】法治培训：40人次，目标100人次，完成40%，低于时间进度50%" in lines
    assert lines.index("【学法用法】法治培训：40人次，目标100人次，完成40%，低于时间进度50%") < lines.index(
        "【学法用法】会前学法：尚无记录（目标6次）"
    )


def test_dashboard_data_equals_the_single_functions(demo: db.Database, catalog: Catalog) -> None:
    user, unit = auth.system_user(), find_unit(demo, "燕山乡")
    data = _data(demo, catalog)
    pd.testing.assert_frame_equal(data.monthly, dashboard.monthly_activity(demo, user, catalog, unit, 2020))
    pd.testing.assert_frame_equal(data.by_type, dashboard.records_by_type(demo, user, catalog, unit, 2020))
    pd.testing.assert_frame_equal(
        data.completion, dashboard.completion_by_area(demo, user, catalog, unit, 2020, today=NEW_YEAR)
    )
    pd.testing.assert_frame_equal(
        data.comparison, dashboard.year_over_year(demo, user, catalog, unit, 2020, today=NEW_YEAR)
    )
    pd.testing.assert_frame_equal(
        charts.frame("by_unit", data, catalog, "households_visited"),
        dashboard.by_unit(demo, user, catalog, unit, 2020, "households_visited"),
    )
    assert dashboard.default_breakdown(catalog, data.children) == "village_materials"
    assert charts.frame("by_unit", data, catalog)["code"].unique().tolist() == ["village_materials"]
    assert data.child_units == 4
    with pytest.raises(KeyError):
        charts.frame("pie", data, catalog)


@pytest.mark.parametrize("unit", ["燕山乡", "万州区", "示例一村"])
def test_a_dashboard_costs_a_few_queries_not_one_per_indicator(
    demo: db.Database, catalog: Catalog, monkeypatch: pytest.MonkeyPatch, unit: str
) -> None:
    """Records are read by two queries whatever the number of indicators (the measures' sums and
    distinct items in one, the records per month), and once the parts are kept (fazhi/measures.py) by one."""
    chosen = find_unit(demo, unit)
    calls: list[str] = []
    for name in ("rows", "one", "frame"):
        original = getattr(db.Database, name)

        def counted(self, sql, params=None, _original=original):
            calls.append(sql)
            return _original(self, sql, params)

        monkeypatch.setattr(db.Database, name, counted)

    def reading_records() -> list[str]:
        return [sql for sql in calls if "FROM records" in sql]

    dashboard.dashboard_data(demo, auth.system_user(), catalog, chosen, 2020)
    assert len(reading_records()) == 2, calls
    assert len(calls) <= 8, calls  # the rest: the unit tree and the targets
    calls.clear()
    dashboard.dashboard_data(demo, auth.system_user(), catalog, chosen, 2020)
    assert len(reading_records()) == 1, calls
    assert len(catalog.indicators) > 60


def test_a_village_viewer_cannot_open_the_township(
    demo: db.Database, catalog: Catalog, users: dict[str, auth.User]
) -> None:
    from fazhi.errors import PermissionDenied

    township = find_unit(demo, "燕山乡")
    for call in (
        lambda: dashboard.dashboard_data(demo, users["village_editor"], catalog, township, 2020),
        lambda: dashboard.monthly_activity(demo, users["village_editor"], catalog, township, 2020),
        lambda: dashboard.records_by_type(demo, users["village_editor"], catalog, township, 2020),
        lambda: dashboard.by_unit(demo, users["village_editor"], catalog, township, 2020, "banners"),
    ):
        with pytest.raises(PermissionDenied):
            call()


def test_an_empty_year(demo: db.Database, catalog: Catalog) -> None:
    data = _data(demo, catalog, year=2023, today=date(2023, 4, 1))
    assert data.monthly["records"].sum() == 0
    assert data.by_type.empty and data.comparison.empty
    assert len(data.completion) == 11
    assert round(data.share * 100) == 25


def test_indicator_display(demo: db.Database, catalog: Catalog) -> None:
    view = scorecard.indicator_display(_data(demo, catalog).table)
    assert list(view.columns) == [
        "领域",
        "指标",
        "数值",
        "目标",
        "完成率",
        "上年",
        "较上年",
        "状态",
        "口径说明",
    ]
    row = view[view["指标"] == "集中宣传发放资料"].iloc[0]
    assert (row["数值"], row["目标"], row["完成率"], row["上年"], row["较上年"], row["状态"]) == (
        "2536份",
        "2000份",
        126.8,
        "1800份",
        40.9,
        "达标",
    )
    assert view["口径说明"].str.len().min() > 0


def test_ledger_filters_for_selected_points(demo: db.Database, catalog: Catalog) -> None:
    unit = find_unit(demo, "燕山乡")
    village = find_unit(demo, "示例一村")
    base = {"year": 2020, "unit_id": unit.id}
    pick = charts.ledger_filter
    assert pick(catalog, "monthly_activity", {"customdata": ["publicity", 2]}, unit, 2020) == {
        **base,
        "area": "publicity",
        "date_from": date(2020, 2, 1),
        "date_to": date(2020, 2, 29),
    }
    assert pick(catalog, "completion_by_area", {"customdata": ["oversight"]}, unit, 2020) == {
        **base,
        "area": "oversight",
    }
    assert pick(catalog, "by_unit", {"customdata": [village.id, "mediation_success_rate"]}, unit, 2020) == {
        **base,
        "unit_id": village.id,
        "type_codes": ["mediation"],
    }
    assert pick(catalog, "year_over_year", {"customdata": ["exam_pass_rate"]}, unit, 2020) == {
        **base,
        "type_codes": ["online_exam"],
    }
    assert pick(catalog, "records_by_type", {"id": "type:market_day"}, unit, 2020) == {
        **base,
        "type_codes": ["market_day"],
    }
    assert pick(catalog, "records_by_type", {"id": "area:publicity"}, unit, 2020) == {
        **base,
        "area": "publicity",
    }
    assert pick(catalog, "records_by_type", {"id": "all"}, unit, 2020) == base
    assert pick(catalog, "records_by_type", {"label": "x"}, unit, 2020) is None
    assert pick(catalog, "monthly_activity", {}, unit, 2020) is None
    assert set(drilldown.LEDGER_FILTER_KEYS) <= set(ledger.RecordFilter.__dataclass_fields__)


def test_every_selectable_filter_finds_the_records_behind_the_figure(
    demo: db.Database, catalog: Catalog
) -> None:
    """The ledger rows behind a selected bar are the records the bar counts."""
    user, unit = auth.system_user(), find_unit(demo, "燕山乡")
    data = _data(demo, catalog)
    for row in data.monthly[data.monthly["records"] > 0].itertuples():
        filters = charts.ledger_filter(
            catalog, "monthly_activity", {"customdata": [row.area_code, row.month]}, unit, 2020
        )
        listed = ledger.list_records(demo, user, catalog, ledger.RecordFilter(**filters))
        started = listed[pd.to_datetime(listed["start_on"]).dt.month == row.month]
        assert len(started) == row.records, (row.area, row.month)
    for row in data.by_type.itertuples():
        filters = charts.ledger_filter(
            catalog, "records_by_type", {"id": f"type:{row.type_code}"}, unit, 2020
        )
        assert len(ledger.list_records(demo, user, catalog, ledger.RecordFilter(**filters))) == row.records
    village = find_unit(demo, "示例二村")
    filters = charts.ledger_filter(
        catalog, "by_unit", {"customdata": [village.id, "village_materials"]}, unit, 2020
    )
    listed = ledger.list_records(demo, user, catalog, ledger.RecordFilter(**filters))
    assert listed["materials"].sum() == 498


def test_describe_filter(demo: db.Database, catalog: Catalog) -> None:
    village = find_unit(demo, "示例一村")
    text = drilldown.describe_filter(
        demo,
        catalog,
        {
            "year": 2020,
            "unit_id": village.id,
            "area": "publicity",
            "type_codes": ["market_day", "village_publicity"],
            "date_from": date(2020, 6, 1),
            "date_to": date(2020, 6, 30),
            "keyword": "宪法",
        },
    )
    assert (
        text
        == "示例一村 · 2020年 · 领域：法治宣传 · 类型：赶场日集中宣传、村（居）宣传 · 2020年6月1日至2020年6月30日 · 关键词：宪法"
    )


def test_key_indicators_exist(catalog: Catalog) -> None:
    assert catalog.key_indicators == (  # data/kpi.toml, as the cards were before they became data
        "study_group_sessions",
        "exam_pass_rate",
        "market_day_materials",
        "households_visited",
        "disputes_resolved",
        "legal_aid_cases",
        "satisfaction",
        "major_accidents",
    )
    codes = {i.code for i in catalog.indicators}
    assert set(catalog.key_indicators) <= codes
    assert len(catalog.key_indicators) == len(set(catalog.key_indicators))


def test_progress_text(demo: db.Database, catalog: Catalog) -> None:
    assert (
        scorecard.progress_text(_data(demo, catalog))
        == "2020年已结束：数值为全年合计，“较上年”与2019年全年比较。"
    )
    assert scorecard.progress_text(_data(demo, catalog, today=date(2020, 7, 1))) == (
        "截至2020年7月1日，2020年已过50%（时间进度）；累计类指标低于时间进度即提示落后，“较上年”与2019年全年比较。"
    )
    assert scorecard.progress_text(_data(demo, catalog, today=date(2019, 7, 1))) == "2020年尚未开始。"

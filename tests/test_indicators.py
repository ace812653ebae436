"""fazhi.indicators and fazhi.targets: exact values on the demo, every kind, ratios, roll-up, targets."""

from __future__ import annotations

import json
from datetime import date

import pandas as pd
import pytest

from fazhi import auth, db, indicators, ledger, locks, records, targets
from fazhi.__main__ import main
from fazhi.catalog import Catalog
from fazhi.errors import InvalidInput, PermissionDenied, YearLocked
from fazhi.labels import Status
from fazhi.units import find_unit, insert_unit
from fazhi.validation import RecordInput

pytestmark = pytest.mark.both_backends  # tests/backends.py: on DuckDB and on PostgreSQL

# Every figure of the reference report (DOMAIN.md §3) as an indicator value of 燕山乡 in 2020.
REFERENCE_2020 = {
    "cadre_study_quarters": 4,  # 每季度组织全体机关干部学法1次
    "cadre_study_sessions": 4,
    "exam_expected": 53,  # 50余人
    "exam_attendance_rate": 100,  # 参学率 100%
    "exam_pass_rate": 100,  # 合格率 100%
    "study_group_sessions": 4,  # 中心组集体学法4次
    "market_day_campaigns": 3,  # 赶场日集中宣传3次
    "market_day_consultations": 218,  # 200余人次
    "market_day_materials": 2536,  # 2500余份
    "banners": 25,  # 25幅
    "village_materials": 2046,  # 2000余份
    "village_consultations": 117,  # 100余人次
    "publicity_vehicles": 15,  # 15车次
    "households_visited": 4638,  # 4600余户
    "residents_reached": 10356,  # 1万余人
    "school_sessions": 2,  # 燕山学校开展宣传2次
    "school_lessons": 4,  # 4课时
    "case_explain_audience": 156,  # 150人次以上
    "civil_code_campaigns": 3,  # 《民法典》集中宣传3次
    "civil_code_village_sessions": 5,  # 进村集中宣传5场次
    "satisfaction": 95,  # 满意度95%
    "enforcement_issues": 0,  # 未发生执法不公正、不规范情况
    "legal_aid_cases": 2,  # 申请法律援助案件2件
    "disputes_resolved": 5,  # 自排化解较大矛盾纠纷5件
    "mediation_cases": 9,  # 人民调解较大案件9件
    "major_accidents": 0,  # 未发生重大安全事故
    "market_cases": 0,  # 未发生侵犯知识产权和销售伪劣商品案件
}

NEW_YEAR = date(2021, 1, 10)


def _table(
    database: db.Database,
    catalog: Catalog,
    unit_name: str = "燕山乡",
    year: int = 2020,
    today: date = NEW_YEAR,
):
    table = indicators.indicator_table(
        database, auth.system_user(), catalog, find_unit(database, unit_name), year, today=today
    )
    return table.set_index("code")


def test_every_indicator_computes_and_is_documented(demo: db.Database, catalog: Catalog) -> None:
    assert len(catalog.indicators) >= 30
    table = _table(demo, catalog)
    assert list(table.index) == [i.code for i in catalog.indicators]
    for indicator in catalog.indicators:
        assert indicator.definition.strip(), indicator.code
        for year in (2020, 2023):
            assert catalog.indicator_area(indicator, year).outline == catalog.outline_for(year).code
        assert table.at[indicator.code, "status"] in (
            *indicators.SHORTFALLS,
            Status.DONE,
            Status.ON_TRACK,
            Status.INFO,
        )


def test_every_area_of_both_outlines_has_an_indicator(catalog: Catalog) -> None:
    for year in (2020, 2023):
        outline = catalog.outline_for(year)
        covered = {catalog.indicator_area(i, year).code for i in catalog.indicators}
        assert covered == {a.code for a in outline.areas}, outline.code


def test_every_kind_is_used(catalog: Catalog) -> None:
    assert {i.kind for i in catalog.indicators} == {
        "count",
        "sum",
        "distinct_days",
        "distinct_places",
        "distinct_quarters",
        "ratio",
        "latest",
        "zero",
        "yesno",
    }


@pytest.mark.parametrize(("code", "expected"), sorted(REFERENCE_2020.items()))
def test_reference_report_figures(demo: db.Database, catalog: Catalog, code: str, expected: float) -> None:
    assert _table(demo, catalog).at[code, "value"] == expected


def test_targets_completion_and_last_year(demo: db.Database, catalog: Catalog) -> None:
    table = _table(demo, catalog)
    row = table.loc["market_day_materials"]
    assert (row["target"], row["previous"], row["status"]) == (2000, 1800, "达标")
    assert row["completion"] == pytest.approx(126.8)
    assert row["change_pct"] == pytest.approx((2536 - 1800) / 1800 * 100)
    assert row["value_text"] == "2536份"
    sat = table.loc["satisfaction"]
    assert (sat["value_text"], sat["target_text"], sat["previous_text"]) == ("95%", "90%", "92%")
    assert table.at["mediation_success_rate", "previous_text"] == "85.7%"  # 2019: 6 of 7
    assert table.at["leading_group", "value_text"] == "是"
    assert table.at["funding", "value_text"] == "3.5万元"


def test_a_ratio_without_denominator_is_a_dash_not_an_error(demo: db.Database, catalog: Catalog) -> None:
    table = _table(demo, catalog)
    row = table.loc["head_appearance_rate"]  # no 行政应诉 in the demo
    assert pd.isna(row["value"]) and row["value_text"] == "—"
    assert (row["numerator"], row["denominator"], row["status"]) == (0, 0, "无记录")


def _add(
    database: db.Database,
    catalog: Catalog,
    unit: str,
    type_code: str,
    day: date,
    values: dict,
    end: date | None = None,
    place: str = "",
) -> None:
    item = RecordInput(
        type_code, find_unit(database, unit).id, f"测试{type_code}", day, end, place, "", values
    )
    records.add_record(database, auth.system_user(), catalog, item)


def test_latest_value_wins_and_counts_follow_filters(demo: db.Database, catalog: Catalog) -> None:
    _add(demo, catalog, "燕山乡", "satisfaction", date(2020, 12, 20), {"rate": 97})
    _add(demo, catalog, "燕山乡", "satisfaction", date(2020, 6, 1), {"rate": 80})
    _add(demo, catalog, "燕山乡", "safety_accident", date(2020, 5, 1), {"is_major": False, "deaths": 0})
    table = _table(demo, catalog)
    assert table.at["satisfaction", "value"] == 97  # the latest by date, not the last entered
    assert table.at["major_accidents", "value"] == 0  # a minor accident is not a 重大安全事故
    _add(demo, catalog, "示例一村", "safety_accident", date(2020, 7, 1), {"is_major": True, "deaths": 1})
    table = _table(demo, catalog)
    assert (table.at["major_accidents", "value"], table.at["major_accidents", "status"]) == (1, "未达标")


def test_distinct_days_places_and_quarters(database: db.Database, catalog: Catalog) -> None:
    auth.create_first_admin(database, "admin", "correct-horse-42", "管理员", "青石镇", "township")
    _add(
        database,
        catalog,
        "青石镇",
        "market_day",
        date(2022, 6, 28),
        {"materials": 1},
        end=date(2022, 6, 29),
        place="市场",
    )
    _add(database, catalog, "青石镇", "village_publicity", date(2022, 6, 29), {"materials": 1}, place="市场")
    _add(database, catalog, "青石镇", "school_lesson", date(2022, 9, 1), {"lessons": 1}, place="学校")
    _add(database, catalog, "青石镇", "cadre_study", date(2022, 2, 1), {})
    _add(database, catalog, "青石镇", "cadre_study", date(2022, 3, 1), {})
    _add(database, catalog, "青石镇", "cadre_study", date(2022, 11, 1), {})
    table = _table(database, catalog, "青石镇", 2022, today=date(2023, 1, 5))
    assert table.at["publicity_days", "value"] == 3  # 6/28, 6/29 (twice), 9/1
    assert table.at["publicity_places", "value"] == 2  # 市场, 学校
    assert table.at["cadre_study_quarters", "value"] == 2  # Q1 and Q4
    assert table.at["cadre_study_sessions", "value"] == 3


def test_roll_up_over_the_hierarchy(demo: db.Database, catalog: Catalog) -> None:
    township, county, village = (_table(demo, catalog, name) for name in ("燕山乡", "万州区", "示例一村"))
    assert village.at["village_materials", "value"] == 520
    assert village.at["market_day_campaigns", "value"] == 0  # held by the township itself
    for code in ("village_materials", "market_day_materials", "households_visited", "mediation_cases"):
        assert county.at[code, "value"] == township.at[code, "value"]
    by_child = indicators.compute_values(demo, catalog, find_unit(demo, "燕山乡"), [2020], by_child=True)
    materials = by_child[by_child["code"] == "village_materials"].set_index("bucket")["value"]
    ids = {
        name: find_unit(demo, name).id for name in ("燕山乡", "示例一村", "示例二村", "示例三村", "示例社区")
    }
    assert {name: materials[i] for name, i in ids.items()} == {
        "燕山乡": 0,
        "示例一村": 520,
        "示例二村": 498,
        "示例三村": 515,
        "示例社区": 513,
    }
    assert materials.sum() == township.at["village_materials", "value"]


def test_deleted_records_do_not_count(demo: db.Database, catalog: Catalog) -> None:
    frame = ledger.list_records(
        demo, auth.system_user(), catalog, ledger.RecordFilter(year=2020, type_codes=["market_day"])
    )
    records.delete_record(demo, auth.system_user(), catalog, int(frame["id"].iloc[0]))
    table = _table(demo, catalog)
    assert table.at["market_day_campaigns", "value"] == 2
    assert table.at["market_day_materials", "value"] == 2536 - 860


def test_progress_within_the_year(demo: db.Database, catalog: Catalog) -> None:
    """Half-way through 2020 an indicator at 60% of its target is on track, one at 40% is behind."""
    _add(demo, catalog, "燕山乡", "gov_open", date(2020, 3, 1), {"open_items": 30})
    _add(demo, catalog, "燕山乡", "training", date(2020, 3, 1), {"trainees": 40})
    table = _table(demo, catalog, today=date(2020, 7, 1))
    assert indicators.year_share(2020, date(2020, 7, 1)) == pytest.approx(183 / 366)
    assert table.at["gov_open_items", "status"] == "进度正常"  # 30 of 50 = 60%
    assert table.at["trainees", "status"] == "落后"  # 40 of 100 = 40%
    assert table.at["pre_meeting_study", "status"] == "无记录"
    short = indicators.shortfalls(table.reset_index())
    assert {"trainees", "pre_meeting_study"} <= set(short["code"])
    assert "gov_open_items" not in set(short["code"])


def test_targets_defaults_overrides_and_audit(
    demo: db.Database, catalog: Catalog, users: dict[str, auth.User]
) -> None:
    township = find_unit(demo, "燕山乡")
    admin = users["admin"]
    assert targets.targets_for(demo, catalog, township, 2021)["market_day_materials"] == 2000
    assert (
        targets.set_targets(
            demo, admin, catalog, township, 2021, {"market_day_materials": 3000, "satisfaction": 92}
        )
        == 2
    )
    assert targets.targets_for(demo, catalog, township, 2021)["market_day_materials"] == 3000
    assert targets.set_targets(demo, admin, catalog, township, 2021, {"market_day_materials": None}) == 1
    assert targets.targets_for(demo, catalog, township, 2021)["market_day_materials"] == 2000
    entries = demo.rows("SELECT before_json, after_json FROM audit_log WHERE entity = 'target' ORDER BY id")
    assert [json.loads(a)["value"] for _, a in entries] == [3000, 92, None]
    assert targets.copy_previous_year(demo, admin, catalog, township, 2022) == 1
    assert targets.stored_targets(demo, township, 2022) == {"satisfaction": 92}


def test_target_rules(demo: db.Database, catalog: Catalog, users: dict[str, auth.User]) -> None:
    township = find_unit(demo, "燕山乡")
    with pytest.raises(PermissionDenied):
        targets.set_targets(demo, users["editor"], catalog, township, 2021, {"satisfaction": 95})
    with pytest.raises(InvalidInput) as caught:
        targets.set_targets(
            demo,
            users["admin"],
            catalog,
            township,
            2021,
            {"satisfaction": 120, "banners": -1, "nope": 1, "market_day_materials": 1e308},
        )
    assert [p.message for p in caught.value.problems] == [
        "“群众满意度”的目标不能超过100%。",
        "“悬挂横幅”的目标不能为负数或无穷大。",
        "没有编码为“nope”的指标。",
        "“集中宣传发放资料”的目标不能超过100,000,000（填入的是1e+308）。",
    ]
    locks.lock_year(demo, users["admin"], township, 2021)
    with pytest.raises(YearLocked):
        targets.set_targets(demo, users["admin"], catalog, township, 2021, {"satisfaction": 95})


def test_county_default_targets_scale_with_townships(demo: db.Database, catalog: Catalog) -> None:
    county = find_unit(demo, "万州区")
    with demo.transaction() as cur:
        insert_unit(cur, "青石镇", "township", county)
    county = find_unit(demo, "万州区")
    defaults = targets.targets_for(demo, catalog, county, 2021)
    assert defaults["market_day_campaigns"] == 6  # 3 per 乡镇 × 2
    assert defaults["satisfaction"] == 90  # a rate is not multiplied


def test_viewer_of_a_village_cannot_see_the_township(
    demo: db.Database, catalog: Catalog, users: dict[str, auth.User]
) -> None:
    with pytest.raises(PermissionDenied):
        indicators.indicator_table(demo, users["village_editor"], catalog, find_unit(demo, "燕山乡"), 2020)


def test_cli_json_equals_the_table(tmp_path, catalog: Catalog, capsys) -> None:
    path = tmp_path / "cli.duckdb"
    assert main(["demo", "--db", str(path)]) == 0
    capsys.readouterr()
    assert main(["indicators", "--db", str(path), "--unit", "燕山乡", "--year", "2020", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    values = {row["code"]: row["value"] for row in data["indicators"]}
    assert {code: values[code] for code in REFERENCE_2020} == REFERENCE_2020
    assert values["head_appearance_rate"] is None
    assert main(["indicators", "--db", str(path), "--unit", "燕山乡", "--year", "2020"]) == 0
    out = capsys.readouterr().out
    assert "集中宣传发放资料\t2536份\t2000份\t127%\t1800份\t+40.9%\t达标" in out


def test_a_sum_of_several_fields(database: db.Database, catalog: Catalog) -> None:
    """好差评: 合计 = 非常满意 + 满意 + 基本满意、不满意, 满意率 = (非常满意 + 满意) ÷ 合计 (fields = [...])."""
    with database.transaction() as cur:
        township = insert_unit(cur, "评价街道", "township", None)
    for very, fairly, other in ((73, 13, 0), (60, 20, 4)):
        item = RecordInput(
            "service_rating",
            township.id,
            "好差评汇总",
            date(2024, 3, 1),
            values={"very_satisfied": very, "fairly_satisfied": fairly, "other_ratings": other},
        )
        records.add_record(database, auth.system_user(), catalog, item)
    table = indicators.indicator_table(database, auth.system_user(), catalog, township, 2024).set_index(
        "code"
    )
    assert table.at["ratings_total", "value"] == 170
    assert table.loc["rating_satisfaction_rate", ["numerator", "denominator"]].tolist() == [166, 170]
    assert table.at["very_satisfied_ratings", "value"] == 133

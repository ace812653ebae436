"""fazhi.sample: the demo holds exactly the figures of the 2020 reference report (DOMAIN.md §3)."""

from __future__ import annotations

from datetime import date

import pytest

from fazhi import auth, db, ledger, records, sample
from fazhi.catalog import Catalog
from fazhi.errors import FazhiError
from fazhi.units import all_units, find_unit


def _sum(database: db.Database, year: int, type_code: str, field: str) -> int:
    row = database.one(
        "SELECT CAST(coalesce(sum(v.num_value), 0) AS BIGINT) FROM records r"
        " JOIN record_values v ON v.record_id = r.id JOIN units u ON u.id = r.unit_id"
        " WHERE r.type_code = ? AND v.field_code = ? AND year(r.start_on) = ? AND u.path LIKE ? AND NOT r.is_deleted",
        [type_code, field, year, find_unit(database, "燕山乡").path + "%"],
    )
    return int(row[0])


def _count(database: db.Database, year: int, type_code: str) -> int:
    row = database.one(
        "SELECT count(*) FROM records WHERE type_code = ? AND year(start_on) = ? AND NOT is_deleted",
        [type_code, year],
    )
    return int(row[0])


def test_demo_units(demo: db.Database) -> None:
    names = [(u.name, u.level) for u in all_units(demo)]
    assert names == [
        ("万州区", "county"),
        ("燕山乡", "township"),
        ("示例一村", "village"),
        ("示例二村", "village"),
        ("示例三村", "village"),
        ("示例社区", "village"),
    ]
    assert all(u.is_demo for u in all_units(demo))


@pytest.mark.parametrize(
    ("type_code", "field", "exact", "as_printed"),
    [
        ("online_exam", "expected", 53, "50余人"),
        ("online_exam", "attended", 53, "参学率100%"),
        ("online_exam", "passed", 53, "合格率100%"),
        ("market_day", "consultations", 218, "200余人次"),
        ("market_day", "materials", 2536, "2500余份"),
        ("market_day", "banners", 25, "25幅"),
        ("village_publicity", "materials", 2046, "2000余份"),
        ("village_publicity", "consultations", 117, "100余人次"),
        ("publicity_vehicle", "vehicles", 15, "15车次"),
        ("door_to_door", "households", 4638, "4600余户"),
        ("door_to_door", "residents", 10356, "1万余人"),
        ("school_lesson", "lessons", 4, "4课时"),
        ("case_explain", "audience", 156, "150人次以上"),
        ("civil_code", "village_sessions", 5, "5场次"),
        ("legal_aid", "aid_cases", 2, "2件"),
        ("dispute_screening", "resolved", 5, "5件"),
        ("mediation", "accepted", 9, "9件"),
        ("satisfaction", "rate", 95, "95%"),
    ],
)
def test_demo_2020_sums_match_the_reference(
    demo: db.Database, type_code: str, field: str, exact: int, as_printed: str
) -> None:
    assert _sum(demo, 2020, type_code, field) == exact, as_printed


@pytest.mark.parametrize(
    ("type_code", "count"),
    [
        ("study_group", 4),
        ("cadre_study", 4),
        ("market_day", 3),
        ("school_lesson", 2),
        ("civil_code", 3),
        ("safety_accident", 0),
        ("enforcement_issue", 0),
        ("market_case", 0),
    ],
)
def test_demo_2020_counts_match_the_reference(demo: db.Database, type_code: str, count: int) -> None:
    assert _count(demo, 2020, type_code) == count


def test_market_days_and_quarterly_study(demo: db.Database) -> None:
    days = demo.rows(
        "SELECT start_on, end_on FROM records WHERE type_code = 'market_day' AND year(start_on) = 2020 ORDER BY 1"
    )
    assert days == [
        (date(2020, 3, 15), date(2020, 3, 15)),
        (date(2020, 6, 28), date(2020, 6, 29)),  # one campaign over two days counts once
        (date(2020, 9, 28), date(2020, 9, 28)),
    ]
    quarters = demo.rows(
        "SELECT DISTINCT quarter(start_on) FROM records WHERE type_code = 'cadre_study' AND year(start_on) = 2020 ORDER BY 1"
    )
    assert quarters == [(1,), (2,), (3,), (4,)]


def test_2019_is_smaller_for_comparison(demo: db.Database) -> None:
    assert _sum(demo, 2019, "market_day", "materials") == 1800
    assert _count(demo, 2019, "market_day") == 2
    assert _sum(demo, 2019, "satisfaction", "rate") == 92


def test_demo_is_validated_and_audited(demo: db.Database, catalog: Catalog) -> None:
    frame = ledger.list_records(demo, auth.system_user(), catalog)
    assert len(frame) == len(sample.DEMO_2019) + len(sample.DEMO_2020) == 89
    assert demo.one("SELECT count(*), min(username) FROM audit_log WHERE entity = 'record'") == (
        89,
        "示例数据",
    )


def test_demo_only_into_an_empty_database(demo: db.Database, catalog: Catalog) -> None:
    with pytest.raises(FazhiError, match="只能在空数据库中加载示例数据"):
        sample.load_demo(demo, catalog)


def test_demo_goes_under_an_existing_county(database: db.Database, catalog: Catalog) -> None:
    auth.create_first_admin(database, "admin", "correct-horse-42", "管理员", "测试区", "county")
    result = sample.load_demo(database, catalog)
    assert result.township.name == "燕山乡"
    assert [u.name for u in all_units(database)][:2] == ["测试区", "燕山乡"]


def test_demo_uses_an_existing_township(database: db.Database, catalog: Catalog) -> None:
    auth.create_first_admin(database, "admin", "correct-horse-42", "管理员", "青石镇", "township")
    result = sample.load_demo(database, catalog)
    assert result.township.name == "青石镇"
    assert len(all_units(database)) == 5


def test_synthetic_records_are_deterministic_and_valid(database: db.Database, catalog: Catalog) -> None:
    units = sample.synthetic_units(database, townships=3)
    first = sample.synthetic_records(catalog, units, [2023, 2024], 300)
    again = sample.synthetic_records(catalog, units, [2023, 2024], 300)
    assert first == again
    ids = records.import_records(database, auth.system_user(), catalog, first)
    assert len(ids) == 300
    assert len(units) == 1 + 3 + 12

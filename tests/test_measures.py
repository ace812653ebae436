"""fazhi.measures: per unit-year parts add up to exactly what one query over the records gives, and a
write reads again only the parts of the units whose records it changed."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from fazhi import auth, db, measures, records, sample, targets
from fazhi.catalog import Catalog
from fazhi.units import Unit, find_unit
from fazhi.validation import RecordInput

pytestmark = pytest.mark.both_backends  # tests/backends.py: on DuckDB and on PostgreSQL

SYSTEM = auth.system_user("测试")


def _by_query(database: db.Database, catalog: Catalog, unit: Unit, years: list[int], by_child: bool) -> dict:
    found: dict = {}
    for year, bucket, key, value in measures.measure_rows(database, catalog, unit, years, by_child=by_child):
        found.setdefault((int(year), int(bucket)), {})[key] = None if value is None else float(value)
    return found


def _assert_same(
    database: db.Database, catalog: Catalog, unit: Unit, years: list[int], by_child: bool
) -> int:
    expected = _by_query(database, catalog, unit, years, by_child)
    got = measures.grouped(database, catalog, unit, years, by_child=by_child)
    assert set(got) == set(expected)
    for group, values in expected.items():
        assert got[group] == pytest.approx(values, rel=1e-12, nan_ok=True), group
    return sum(len(v) for v in expected.values())


@pytest.fixture
def county(database: db.Database, catalog: Catalog) -> list[Unit]:
    """A 区县 with 3 乡镇 of 2 村 each and 3,000 records of every type over 2019–2020, some on the
    乡镇 themselves."""
    made = sample.synthetic_units(database, townships=3, villages_per_township=2)
    items = sample.synthetic_records(catalog, made, [2019, 2020], 3000, seed=7)
    records.import_records(database, SYSTEM, catalog, items)
    return made


@pytest.mark.parametrize("by_child", [False, True])
def test_parts_add_up_to_the_query_for_every_unit(
    database: db.Database, catalog: Catalog, county: list[Unit], by_child: bool
) -> None:
    keys = 0
    for unit in county:
        keys += _assert_same(database, catalog, unit, [2019, 2020], by_child)
    assert keys > 3000  # counts, sums, latest values and distinct counts of many types were compared


def test_parts_add_up_on_the_demo(demo: db.Database, catalog: Catalog) -> None:
    for name in ("万州区", "燕山乡", "示例一村"):
        for by_child in (False, True):
            _assert_same(demo, catalog, find_unit(demo, name), [2019, 2020], by_child)


def test_latest_and_distinct_measures_combine_over_units(database: db.Database, catalog: Catalog) -> None:
    """满意度 (a rate) is the units' latest values averaged; the days and places of two units are counted
    once each when they coincide."""
    made = sample.synthetic_units(database, townships=1, villages_per_township=2)
    township, one, two = made[1], made[2], made[3]

    def add(
        unit: Unit, type_code: str, day: date, values: dict, place: str = "", end: date | None = None
    ) -> None:
        item = RecordInput(type_code, unit.id, f"测试{type_code}", day, end, place, "", values)
        records.add_record(database, SYSTEM, catalog, item)

    add(one, "satisfaction", date(2020, 3, 1), {"rate": 80})
    add(one, "satisfaction", date(2020, 9, 1), {"rate": 90})  # one's latest
    add(two, "satisfaction", date(2020, 5, 1), {"rate": 70})
    add(one, "market_day", date(2020, 4, 1), {}, place="老街", end=date(2020, 4, 3))
    add(two, "market_day", date(2020, 4, 2), {}, place=" 老街 ", end=date(2020, 4, 4))
    add(two, "market_day", date(2020, 11, 2), {}, place="")
    add(one, "cadre_study", date(2020, 2, 1), {})
    add(two, "cadre_study", date(2020, 3, 1), {})
    add(two, "cadre_study", date(2020, 8, 1), {})
    keys = measures.direct_keys(catalog)
    direct = {m.kind: key for m, key in keys.items() if "market_day" in m.types or "cadre_study" in m.types}
    rate = next(key for m, key in keys.items() if m.types == ("satisfaction",))
    got = measures.grouped(database, catalog, township, [2020])[(2020, township.id)]
    assert got[rate] == 80  # (90 + 70) / 2
    assert got[direct["distinct_days"]] == 5  # 4月1日–4日 and 11月2日
    assert got[direct["distinct_places"]] == 1
    assert got[direct["distinct_quarters"]] == 2  # 一季度 in both 村, 三季度
    _assert_same(database, catalog, township, [2020], True)


def _reads(monkeypatch: pytest.MonkeyPatch) -> list[list[int]]:
    read: list[list[int]] = []
    real = measures._read_parts

    def spy(database, catalog, unit_ids, years):  # type: ignore[no-untyped-def]
        read.append(sorted(unit_ids))
        return real(database, catalog, unit_ids, years)

    monkeypatch.setattr(measures, "_read_parts", spy)
    return read


def test_a_save_reads_again_only_the_unit_it_wrote_to(
    database: db.Database, catalog: Catalog, county: list[Unit], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(db, "VERSION_POLL", 0.0)  # PostgreSQL: read the counters every time
    top, village = county[0], county[2]  # 测试区, 测试01乡1村
    read = _reads(monkeypatch)
    before = measures.grouped(database, catalog, top, [2020])[(2020, top.id)]
    assert read == [[u.id for u in county]]
    measures.grouped(database, catalog, top, [2020])
    assert len(read) == 1  # nothing read again
    item = RecordInput(
        "market_day", village.id, "赶场日宣传", date(2020, 6, 1), None, "", "", {"materials": 7}
    )
    saved = records.add_record(database, SYSTEM, catalog, item)
    after = measures.grouped(database, catalog, top, [2020])[(2020, top.id)]
    assert read[1] == [village.id]  # the 村 alone: its 乡镇's and 区县's own records did not change
    assert after["n:market_day"] == before["n:market_day"] + 1
    assert after["s:market_day:materials"] == (before.get("s:market_day:materials") or 0) + 7
    # moved to the 乡镇 itself: the unit it was in and the unit it is in now
    township = county[1]
    moved = replace(item, unit_id=township.id)
    records.update_record(database, SYSTEM, catalog, saved.id, moved, saved.version)
    assert measures.grouped(database, catalog, top, [2020])[(2020, top.id)] == pytest.approx(after)
    assert read[2] == sorted([township.id, village.id])
    _assert_same(database, catalog, township, [2020], True)
    records.delete_record(database, SYSTEM, catalog, saved.id)
    assert measures.grouped(database, catalog, top, [2020])[(2020, top.id)] == pytest.approx(before)
    assert read[3] == [township.id]
    # a write not limited to units (a target) moves every scope: everything is read again
    targets.set_targets(database, SYSTEM, catalog, top, 2020, {catalog.indicators[0].code: 5})
    measures.grouped(database, catalog, top, [2020])
    assert read[-1] == [u.id for u in county]
    _assert_same(database, catalog, top, [2020], True)


def test_a_save_adds_up_again_only_the_totals_on_its_path(
    database: db.Database, catalog: Catalog, county: list[Unit], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(db, "VERSION_POLL", 0.0)
    top, township, village = county[0], county[1], county[2]
    kept = measures._kept_for(database)

    def totals() -> dict[int, object]:
        return {key[1]: held[1] for key, held in kept.parts.items() if key[0] == "tree" and key[2] == 2020}

    measures.grouped(database, catalog, top, [2020])
    before = totals()
    assert set(before) == {u.id for u in county}  # every subtree's total is kept
    item = RecordInput(
        "market_day", village.id, "赶场日宣传", date(2020, 6, 1), None, "", "", {"materials": 7}
    )
    records.add_record(database, SYSTEM, catalog, item)
    measures.grouped(database, catalog, top, [2020])
    after = totals()
    assert {unit_id for unit_id in after if after[unit_id] is not before[unit_id]} == {
        top.id,
        township.id,
        village.id,
    }
    _assert_same(database, catalog, top, [2020], True)
    _assert_same(database, catalog, township, [2020], False)


def test_a_save_reads_again_only_its_year(
    database: db.Database, catalog: Catalog, county: list[Unit], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(db, "VERSION_POLL", 0.0)
    top, village = county[0], county[2]
    read: list[tuple[list[int], list[int]]] = []
    real = measures._read_parts

    def spy(database, catalog, unit_ids, years):  # type: ignore[no-untyped-def]
        read.append((sorted(unit_ids), sorted(years)))
        return real(database, catalog, unit_ids, years)

    monkeypatch.setattr(measures, "_read_parts", spy)
    kept = measures._kept_for(database)
    measures.grouped(database, catalog, top, [2019, 2020])
    earlier = {key: held[1] for key, held in kept.parts.items() if key[0] == "tree" and key[2] == 2019}
    item = RecordInput(
        "market_day", village.id, "赶场日宣传", date(2020, 6, 1), None, "", "", {"materials": 7}
    )
    saved = records.add_record(database, SYSTEM, catalog, item)
    measures.grouped(database, catalog, top, [2019, 2020])
    assert read[1:] == [([village.id], [2020])]
    assert {
        key: held[1] for key, held in kept.parts.items() if key[0] == "tree" and key[2] == 2019
    } == earlier
    # moved to 2019: both years of that 村 change
    records.update_record(
        database, SYSTEM, catalog, saved.id, replace(item, start_on=date(2019, 6, 1)), saved.version
    )
    measures.grouped(database, catalog, top, [2019, 2020])
    assert read[2:] == [([village.id], [2019, 2020])]
    _assert_same(database, catalog, top, [2019, 2020], True)


def test_kept_parts_are_bounded(
    database: db.Database, catalog: Catalog, county: list[Unit], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(measures, "PARTS_KEPT", 4)
    read = _reads(monkeypatch)
    measures.grouped(database, catalog, county[0], [2019, 2020])
    assert len(measures._kept_for(database).parts) == 4
    measures.grouped(database, catalog, county[0], [2019, 2020])
    assert len(read) == 2  # the oldest were dropped, so they were read again
    _assert_same(database, catalog, county[0], [2019, 2020], False)

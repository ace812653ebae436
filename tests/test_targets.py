"""fazhi.targets helpers behind the 目标 page: the table, what an edit changes, restoring defaults."""

from __future__ import annotations

import json
import math

import pytest

from fazhi import auth, db, locks, targets
from fazhi.catalog import Catalog
from fazhi.errors import PermissionDenied, YearLocked
from fazhi.units import find_unit


def test_target_table(demo: db.Database, catalog: Catalog, users: dict[str, auth.User]) -> None:
    township = find_unit(demo, "燕山乡")
    targets.set_targets(demo, users["admin"], catalog, township, 2019, {"market_day_materials": 1500})
    frame = targets.target_table(demo, users["admin"], catalog, township, 2020)
    assert frame["code"].tolist() == [i.code for i in catalog.indicators]
    row = frame.set_index("code").loc["market_day_materials"]
    assert (row["area"], row["name"], row["unit"]) == ("法治宣传", "集中宣传发放资料", "份")
    assert (row["default"], row["target"], row["previous"], row["stored"]) == (2000, 2000, 1500, False)
    assert row["definition"] == catalog.indicator("market_day_materials").definition
    assert math.isnan(frame.set_index("code").at["penalties", "target"])  # 仅统计: no target
    county = targets.target_table(demo, users["county_admin"], catalog, find_unit(demo, "万州区"), 2020)
    assert county.set_index("code").at["market_day_campaigns", "default"] == 3  # 3 per 乡镇 × 1 乡镇
    with pytest.raises(PermissionDenied):
        targets.target_table(demo, users["village_editor"], catalog, township, 2020)


def test_changed_targets(demo: db.Database, catalog: Catalog, users: dict[str, auth.User]) -> None:
    township = find_unit(demo, "燕山乡")
    targets.set_targets(demo, users["admin"], catalog, township, 2020, {"banners": 30, "trainees": 150})
    before = targets.target_table(demo, users["admin"], catalog, township, 2020)
    after = before.copy()
    codes = after["code"].tolist()
    after.loc[codes.index("market_day_materials"), "target"] = 3000.0  # changed
    after.loc[codes.index("banners"), "target"] = float("nan")  # cleared: back to the default
    after.loc[codes.index("trainees"), "target"] = 100.0  # equal to the default: back to the default
    after.loc[codes.index("penalties"), "target"] = 5.0  # a target for an indicator without one
    assert targets.changed_targets(before, after) == {
        "market_day_materials": 3000.0,
        "banners": None,
        "trainees": None,
        "penalties": 5.0,
    }
    assert targets.changed_targets(before, before.copy()) == {}


def test_restore_defaults(demo: db.Database, catalog: Catalog, users: dict[str, auth.User]) -> None:
    township = find_unit(demo, "燕山乡")
    admin = users["admin"]
    targets.set_targets(demo, admin, catalog, township, 2020, {"banners": 30, "satisfaction": 95})
    with pytest.raises(PermissionDenied):
        targets.restore_defaults(demo, users["editor"], catalog, township, 2020)
    assert targets.restore_defaults(demo, admin, catalog, township, 2020) == 2
    assert targets.stored_targets(demo, township, 2020) == {}
    assert targets.restore_defaults(demo, admin, catalog, township, 2020) == 0
    logged = demo.rows("SELECT after_json FROM audit_log WHERE entity = 'target' ORDER BY id")
    assert [json.loads(a)["value"] for (a,) in logged] == [30, 95, None, None]
    targets.set_targets(demo, admin, catalog, township, 2020, {"banners": 30})
    locks.lock_year(demo, admin, township, 2020)
    with pytest.raises(YearLocked):
        targets.restore_defaults(demo, admin, catalog, township, 2020)
    assert targets.stored_targets(demo, township, 2020) == {"banners": 30}


def test_a_village_is_not_held_to_township_defaults(
    demo: db.Database, catalog: Catalog, users: dict[str, auth.User]
) -> None:
    from fazhi import indicators, scorecard

    village = find_unit(demo, "示例一村")
    township = find_unit(demo, "燕山乡")
    assert all(value is None for value in targets.targets_for(demo, catalog, village, 2020).values())
    assert targets.targets_for(demo, catalog, township, 2020)["market_day_materials"] == 2000
    table = indicators.indicator_table(demo, users["village_editor"], catalog, village, 2020)
    assert scorecard.shortfall_lines(table, 1.0) == []  # no 60 lines against a whole 乡镇's defaults
    # a target the village (or its 乡镇) sets for itself still counts
    targets.set_targets(demo, users["admin"], catalog, village, 2020, {"village_materials": 999999})
    table = indicators.indicator_table(demo, users["village_editor"], catalog, village, 2020)
    lines = scorecard.shortfall_lines(table, 1.0)
    assert len(lines) == 1 and "村（居）散发宣传资料" in lines[0]

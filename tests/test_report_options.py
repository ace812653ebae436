"""fazhi.report.options: per-unit report settings with defaults by level; administrators only; audited."""

from __future__ import annotations

import json

import pytest

from fazhi import auth, db
from fazhi.errors import InvalidInput, PermissionDenied
from fazhi.report import options
from fazhi.units import find_unit, insert_unit


@pytest.mark.parametrize(
    ("name", "recipient", "issuer", "self_name", "short"),
    [
        ("燕山乡", "区委、区政府：", "燕山乡人民政府", "我乡", "燕山"),
        ("万州区", "市委、市政府：", "万州区人民政府", "我区", "万州"),
        ("示例一村", "乡党委、乡政府：", "示例一村民委员会", "我村", "示例一"),
        ("示例社区", "乡党委、乡政府：", "示例社区居民委员会", "我社区", "示例"),
    ],
)
def test_defaults_by_level(
    demo: db.Database, name: str, recipient: str, issuer: str, self_name: str, short: str
) -> None:
    unit = find_unit(demo, name)
    defaults = options.default_options(demo, unit)
    assert (defaults.recipient, defaults.issuer, defaults.title_prefix, defaults.exact_numbers) == (
        recipient,
        issuer,
        name,
        False,
    )
    assert options.self_reference(unit) == self_name
    assert options.short_name(unit) == short


def test_a_street_and_a_county(database: db.Database) -> None:
    with database.transaction() as cur:
        county = insert_unit(cur, "綦江县", "county", None)
        street = insert_unit(cur, "古南街道", "township", county)
    assert options.default_options(database, street).recipient == "县委、县政府："
    assert options.default_options(database, street).issuer == "古南街道办事处"
    assert options.self_reference(street) == "我街道"


def test_admin_saves_resets_and_it_is_audited(demo: db.Database, users: dict[str, auth.User]) -> None:
    township = find_unit(demo, "燕山乡")
    saved = options.save_options(
        demo,
        users["admin"],
        township,
        recipient="区委、区政府、区委依法治区办：",
        exact_numbers=True,
        title_prefix="",
    )
    assert saved == options.ReportOptions("区委、区政府、区委依法治区办：", "燕山乡人民政府", "", True)
    assert options.load_options(demo, users["viewer"], township) == saved
    back = options.save_options(demo, users["admin"], township, recipient=None, exact_numbers=False)
    assert (back.recipient, back.exact_numbers, back.title_prefix) == ("区委、区政府：", False, "")
    entries = demo.rows("SELECT before_json, after_json FROM audit_log WHERE entity = 'setting' ORDER BY id")
    assert [json.loads(a) for _, a in entries] == [
        {"recipient": "区委、区政府、区委依法治区办：", "title_prefix": "", "exact_numbers": True},
        {"recipient": "区委、区政府：", "exact_numbers": False},
    ]


def test_rules(demo: db.Database, users: dict[str, auth.User]) -> None:
    township = find_unit(demo, "燕山乡")
    with pytest.raises(PermissionDenied):
        options.save_options(demo, users["editor"], township, recipient="x：")
    with pytest.raises(InvalidInput) as caught:
        options.save_options(demo, users["admin"], township, recipient="", issuer="甲\n乙", nope=1)
    assert [p.message for p in caught.value.problems] == ["没有“nope”这项设置。"]
    with pytest.raises(InvalidInput) as caught:
        options.save_options(demo, users["admin"], township, recipient="", issuer="甲\n乙")
    assert [p.message for p in caught.value.problems] == ["请填写“主送机关”。", "“落款单位”只能写一行。"]
    assert options.load_options(demo, users["admin"], township) == options.default_options(demo, township)

"""fazhi.units: administrators add, rename and reorder units below their own; every change is audited."""

from __future__ import annotations

import json

import pytest

from fazhi import auth, db, units
from fazhi.errors import InvalidInput, NotFound, PermissionDenied
from fazhi.units import find_unit


def _names(database: db.Database, parent: str) -> list[str]:
    return [u.name for u in units.children(database, find_unit(database, parent))]


def test_a_township_admin_adds_villages_at_the_end(demo: db.Database, users: dict[str, auth.User]) -> None:
    township = find_unit(demo, "燕山乡")
    village = units.create_child_unit(demo, users["admin"], township.id, "  新建村 ")
    assert (village.name, village.level, village.parent_id) == ("新建村", "village", township.id)
    assert village.path == f"{township.path}{village.id}/"
    assert _names(demo, "燕山乡") == ["示例一村", "示例二村", "示例三村", "示例社区", "新建村"]
    entry = demo.one("SELECT username, action, entity, unit_id FROM audit_log ORDER BY id DESC LIMIT 1")
    assert entry == (users["admin"].username, "create", "unit", village.id)


def test_a_county_admin_adds_townships(demo: db.Database, users: dict[str, auth.User]) -> None:
    county = find_unit(demo, "万州区")
    township = units.create_child_unit(demo, users["county_admin"], county.id, "青石镇")
    assert township.level == "township"
    assert [u.name for u in units.visible_units(demo, users["county_admin"])][-1] == "青石镇"


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("", "请填写单位名称。"),
        ("   ", "请填写单位名称。"),
        ("村" * 41, "单位名称不能超过40个字（现有41个）。"),
        ("一村\n二村", "单位名称中不能有换行或不可见的控制字符。"),
        ("示例二村", "已有同名单位“示例二村”。"),
    ],
)
def test_bad_unit_names_are_refused(
    demo: db.Database, users: dict[str, auth.User], name: str, message: str
) -> None:
    township = find_unit(demo, "燕山乡")
    before = len(units.all_units(demo))
    with pytest.raises(InvalidInput) as caught:
        units.create_child_unit(demo, users["admin"], township.id, name)
    assert str(caught.value) == message
    assert len(units.all_units(demo)) == before


def test_no_unit_below_a_village(demo: db.Database, users: dict[str, auth.User]) -> None:
    village = find_unit(demo, "示例一村")
    with pytest.raises(InvalidInput, match="“示例一村”是村/社区，其下不能再设单位。"):
        units.create_child_unit(demo, users["admin"], village.id, "一组")


def test_only_administrators_of_an_enclosing_unit_change_units(
    demo: db.Database, users: dict[str, auth.User]
) -> None:
    township, county = find_unit(demo, "燕山乡"), find_unit(demo, "万州区")
    for role in ("editor", "viewer", "village_editor"):
        with pytest.raises(PermissionDenied):
            units.create_child_unit(demo, users[role], township.id, "新村")
        with pytest.raises(PermissionDenied):
            units.rename_unit(demo, users[role], township.id, "新名")
    with pytest.raises(PermissionDenied):
        units.create_child_unit(demo, users["admin"], county.id, "另一乡")
    with pytest.raises(PermissionDenied):
        units.rename_unit(demo, users["admin"], county.id, "别的区")
    with pytest.raises(PermissionDenied, match="最上级单位只能在初始化时或用命令行建立"):
        units.create_unit(demo, users["county_admin"], "另一个区", "county", None)


def test_rename_keeps_the_tree_and_is_audited(demo: db.Database, users: dict[str, auth.User]) -> None:
    village = find_unit(demo, "示例一村")
    renamed = units.rename_unit(demo, users["admin"], village.id, "  红旗村 ")
    assert (renamed.id, renamed.name, renamed.path) == (village.id, "红旗村", village.path)
    assert find_unit(demo, "红旗村").id == village.id
    before, after = demo.one(
        "SELECT before_json, after_json FROM audit_log WHERE entity = 'unit' ORDER BY id DESC LIMIT 1"
    )
    assert (json.loads(before), json.loads(after)) == ({"name": "示例一村"}, {"name": "红旗村"})
    with pytest.raises(InvalidInput, match="已有同名单位“示例二村”。"):
        units.rename_unit(demo, users["admin"], village.id, "示例二村")
    count = demo.one("SELECT count(*) FROM audit_log")[0]
    units.rename_unit(demo, users["admin"], village.id, "红旗村")  # unchanged: nothing to log
    assert demo.one("SELECT count(*) FROM audit_log")[0] == count


def test_reorder_and_move(demo: db.Database, users: dict[str, auth.User]) -> None:
    township = find_unit(demo, "燕山乡")
    ids = {u.name: u.id for u in units.children(demo, township)}
    order = [ids[n] for n in ("示例社区", "示例三村", "示例二村", "示例一村")]
    assert [u.name for u in units.reorder_units(demo, users["admin"], township.id, order)] == [
        "示例社区",
        "示例三村",
        "示例二村",
        "示例一村",
    ]
    assert _names(demo, "燕山乡") == ["示例社区", "示例三村", "示例二村", "示例一村"]
    units.move_unit(demo, users["admin"], ids["示例一村"], -1)
    assert _names(demo, "燕山乡") == ["示例社区", "示例三村", "示例一村", "示例二村"]
    units.move_unit(demo, users["admin"], ids["示例社区"], -1)  # already first: stays
    assert _names(demo, "燕山乡") == ["示例社区", "示例三村", "示例一村", "示例二村"]
    units.move_unit(demo, users["admin"], ids["示例社区"], 1)
    assert _names(demo, "燕山乡") == ["示例三村", "示例社区", "示例一村", "示例二村"]
    with pytest.raises(InvalidInput, match="排序须包含“燕山乡”的全部下级单位"):
        units.reorder_units(demo, users["admin"], township.id, order[:3])
    with pytest.raises(PermissionDenied):
        units.move_unit(demo, users["editor"], ids["示例一村"], 1)
    with pytest.raises(PermissionDenied):  # the township's place among the county's townships is the county's
        units.move_unit(demo, users["admin"], township.id, 1)
    entries = demo.rows("SELECT after_json FROM audit_log WHERE entity = 'unit' AND action = 'update'")
    assert len(entries) == 3  # two no-op moves were not logged


def test_find_a_unit_by_its_parent_when_names_repeat(demo: db.Database, users: dict[str, auth.User]) -> None:
    other = units.create_child_unit(demo, users["county_admin"], find_unit(demo, "万州区").id, "青石镇")
    twin = units.create_child_unit(demo, users["county_admin"], other.id, "示例一村")
    with pytest.raises(
        NotFound, match="有多个名为“示例一村”的单位，请写成“上级单位/单位名”，如“燕山乡/示例一村”。"
    ):
        find_unit(demo, "示例一村")
    assert find_unit(demo, "青石镇/示例一村").id == twin.id
    assert find_unit(demo, " 万州区 / 燕山乡 / 示例一村 ").parent_id == find_unit(demo, "燕山乡").id
    assert find_unit(demo, "示例一村", users["admin"]).parent_id == find_unit(demo, "燕山乡").id
    with pytest.raises(NotFound, match="找不到名为“别的乡/示例一村”的单位。"):
        find_unit(demo, "别的乡/示例一村")

"""fazhi.catalog: the shipped catalog is complete; a broken one is named by file and key."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from fazhi.catalog import Catalog, load_catalog
from fazhi.errors import CatalogError
from fazhi.settings import DATA_DIR

# The work of the reference report and DOMAIN.md §5 the catalog must be able to record.
REQUIRED_TYPES = {
    "study_group",
    "cadre_study",
    "online_exam",
    "market_day",
    "village_publicity",
    "publicity_vehicle",
    "door_to_door",
    "school_lesson",
    "case_explain",
    "civil_code",
    "legal_aid",
    "dispute_screening",
    "mediation",
    "enforcement",
    "enforcement_issue",
    "reconsideration",
    "normative_doc",
    "major_decision",
    "contract_review",
    "legal_adviser",
    "rule_making",
    "leadership_meeting",
    "funding",
    "annual_checklist",
    "demo_creation",
    "satisfaction",
    "safety_inspection",
    "safety_accident",
    "market_case",
}


def test_outlines_cover_both_versions(catalog: Catalog) -> None:
    assert [o.code for o in catalog.outlines] == ["g2015", "g2021"]
    assert catalog.outline_for(2020).code == "g2015"
    assert catalog.outline_for(2021).code == "g2021"
    assert len(catalog.outline_for(2020).areas) == 9  # 7 纲要 areas + 组织保障 + 法治宣传
    assert catalog.outline_for(2022).areas[0].name == "深入学习贯彻习近平法治思想"


def test_every_required_type_is_there(catalog: Catalog) -> None:
    assert REQUIRED_TYPES <= set(catalog.record_types)


def test_every_type_maps_to_an_area_in_every_outline(catalog: Catalog) -> None:
    for code in catalog.record_types:
        assert catalog.area_of(code, 2020).outline == "g2015"
        assert catalog.area_of(code, 2023).outline == "g2021"


def test_online_exam_fields_and_checks(catalog: Catalog) -> None:
    exam = catalog.type("online_exam")
    assert [(f.code, f.unit, f.kind, f.required) for f in exam.fields] == [
        ("expected", "人", "integer", True),
        ("attended", "人", "integer", True),
        ("passed", "人", "integer", True),
    ]
    assert [(c.field, c.at_most) for c in exam.checks] == [("attended", "expected"), ("passed", "attended")]
    assert catalog.type("satisfaction").field("rate").max == 100
    assert catalog.type("market_day").field("materials").caption == "发放宣传资料（份）"


def test_types_carry_the_names_people_search_for(catalog: Catalog) -> None:
    assert "宪法宣传周" in catalog.type("publicity_event").synonyms
    assert "依法治镇委员会" in catalog.type("leadership_meeting").synonyms
    assert catalog.type("funding").synonyms == ()  # optional


def test_fields_shared_by_code_mean_the_same(catalog: Catalog) -> None:
    seen: dict[str, tuple[str, str]] = {}
    for record_type in catalog.record_types.values():
        for item in record_type.fields:
            assert seen.setdefault(item.code, (item.unit, item.kind)) == (item.unit, item.kind), item.code


def _copy(tmp_path: Path) -> Path:
    folder = tmp_path / "data"
    folder.mkdir()
    for name in ("areas.toml", "record_types.toml"):
        shutil.copy(DATA_DIR / name, folder / name)
    return folder


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            'code = "expected"\nlabel = "应参学人数"\nunit = "人"\nkind = "integer"',
            'code = "expected"\nlabel = "应参学人数"\nunit = "人"\nkind = "number"',
            "record_types.toml：类型 online_exam 的字段 expected 的 kind 应为",
        ),
        (
            'field = "attended"\nat_most = "expected"',
            'field = "attended"\nat_most = "nobody"',
            "record_types.toml：类型 online_exam 的 checks 的 nobody 不是该类型的字段",
        ),
        (
            'areas = { g2015 = "publicity", g2021 = "publicity" }\ndescription = "利用赶场日',
            'areas = { g2015 = "nowhere", g2021 = "publicity" }\ndescription = "利用赶场日',
            "类型 market_day 的 areas 中的 'nowhere' 不是纲要 g2015 的领域",
        ),
        ('name = "赶场日集中宣传"', 'name = ""', "类型 market_day 的 name 不能为空"),
        ('[[types]]\ncode = "funding"', '[[types]\ncode = "funding"', "record_types.toml 格式有误"),
    ],
)
def test_broken_catalog_names_file_and_key(tmp_path: Path, old: str, new: str, message: str) -> None:
    folder = _copy(tmp_path)
    path = folder / "record_types.toml"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(CatalogError, match=message.replace("(", r"\(").replace(")", r"\)")):
        load_catalog(folder)


def test_missing_file(tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    (folder / "areas.toml").unlink()
    with pytest.raises(CatalogError, match="找不到目录文件"):
        load_catalog(folder)


def test_a_sum_of_several_fields_is_checked(tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    shutil.copy(DATA_DIR / "indicators.toml", folder / "indicators.toml")
    path = folder / "indicators.toml"
    text = path.read_text(encoding="utf-8")
    old = 'fields = ["very_satisfied", "fairly_satisfied", "other_ratings"]'
    assert old in text
    path.write_text(text.replace(old, 'field = "very_satisfied"\n' + old, 1), encoding="utf-8")
    with pytest.raises(CatalogError, match="fields 只能用于 sum，且不能与 field 同时写"):
        load_catalog(folder)
    path.write_text(text.replace(old, 'fields = ["very_satisfied", "hotline"]', 1), encoding="utf-8")
    with pytest.raises(CatalogError, match="'hotline' 不是类型 service_rating 的字段"):
        load_catalog(folder)


def test_a_where_must_name_a_yes_no_field(tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    path = folder / "indicators.toml"
    text = (DATA_DIR / "indicators.toml").read_text(encoding="utf-8")
    assert text.count('where = "is_hearing"') == 1
    path.write_text(text.replace('where = "is_hearing"', 'where = "attendees"'), encoding="utf-8")
    with pytest.raises(CatalogError, match="'attendees' 不是类型 leadership_meeting 的“是/否”字段"):
        load_catalog(folder)

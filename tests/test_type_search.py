"""fazhi.type_search: a record type found by its name, group, area or the other names people use."""

from __future__ import annotations

import pytest

from fazhi.catalog import Catalog
from fazhi.type_search import search_types


@pytest.mark.parametrize(
    ("text", "first"),
    [
        ("赶场", "market_day"),
        ("宪法宣传周", "publicity_event"),
        ("宪法宣传周活动", "publicity_event"),  # the words hold a synonym
        ("4.15", "publicity_event"),  # 4·15 however the dot is typed
        ("４·１５", "publicity_event"),  # full-width digits
        ("6·26 禁毒", "publicity_event"),  # every word must match
        ("民法典", "civil_code"),  # its name before the types that list it as a synonym
        ("依法治镇委员会", "leadership_meeting"),
        ("12345", "hotline_request"),
        ("掌上基层", "platform_event"),
        ("执法资格考试", "certificate"),
        ("应知应会", "law_exam"),
        ("研讨交流", "seminar"),
        ("三书", "oversight_letter"),
        ("好差评", "service_rating"),
        ("法治理论考试", "law_exam"),
    ],
)
def test_people_find_the_type_by_what_they_call_the_work(catalog: Catalog, text: str, first: str) -> None:
    assert search_types(catalog, text)[0] == first


def test_a_name_ranks_above_a_synonym_and_both_above_a_group(catalog: Catalog) -> None:
    found = search_types(catalog, "民法典")
    assert found[0] == "civil_code" and "publicity_event" in found[1:]  # 民法典宣传月 is its synonym
    found = search_types(catalog, "普法宣传")  # a group: all its types
    assert {code for code, t in catalog.record_types.items() if t.group == "普法宣传"} <= set(found)
    assert search_types(catalog, "宣传车")[0] == "publicity_vehicle"  # a name part before a synonym


def test_an_area_of_either_outline_finds_its_types(catalog: Catalog) -> None:
    found = search_types(catalog, "行政执法")  # 健全行政执法工作体系 (2021) area
    assert {"enforcement", "certificate", "enforcement_issue"} <= set(found)
    assert found[0] == "enforcement"


def test_nothing_typed_lists_every_type_and_nonsense_lists_none(catalog: Catalog) -> None:
    assert search_types(catalog, "") == list(catalog.record_types)
    assert search_types(catalog, "   ") == list(catalog.record_types)
    assert search_types(catalog, "没有这种工作zzz") == []


def test_every_synonym_finds_its_type(catalog: Catalog) -> None:
    for code, record_type in catalog.record_types.items():
        for synonym in record_type.synonyms:
            assert code in search_types(catalog, synonym), (code, synonym)

"""fazhi.narratives: saved report text per year/unit/section — permissions, locks, conflicts, audit, verbatim text."""

from __future__ import annotations

import json

import pytest

from fazhi import auth, db, locks, narratives
from fazhi.errors import InvalidInput, NarrativeConflict, PermissionDenied, YearLocked
from fazhi.units import find_unit

HOSTILE = "A & B < C > D \" ' {{ year }} {% if x %} {#c#} {_{ 😀 \t制表\n第二行" + "长" * 3000


def test_save_read_update_reset_and_audit(demo: db.Database, users: dict[str, auth.User]) -> None:
    township = find_unit(demo, "燕山乡")
    editor = users["editor"]
    assert narratives.saved_texts(demo, editor, township, 2020) == {}
    first = narratives.save_text(demo, editor, township, 2020, "duty", "第一稿", expected=None).narrative
    assert (first.body, first.updated_by) == ("第一稿", editor.username)
    second = narratives.save_text(demo, editor, township, 2020, "duty", "第二稿", expected=first.updated_at)
    assert narratives.saved_texts(demo, users["viewer"], township, 2020)["duty"].body == "第二稿"
    same = narratives.save_text(
        demo, editor, township, 2020, "duty", "第二稿", expected=second.narrative.updated_at
    )
    assert same.narrative == second.narrative  # nothing changed, nothing written
    assert narratives.reset_text(demo, editor, township, 2020, "duty") is True
    assert narratives.reset_text(demo, editor, township, 2020, "duty") is False
    assert narratives.saved_texts(demo, editor, township, 2020) == {}
    log = demo.rows(
        "SELECT action, entity_id, before_json, after_json FROM audit_log WHERE entity = 'narrative' ORDER BY id"
    )
    assert [(a, e) for a, e, _, _ in log] == [
        ("create", f"{township.id}:2020:duty"),
        ("update", f"{township.id}:2020:duty"),
        ("delete", f"{township.id}:2020:duty"),
    ]
    assert json.loads(log[1][2]) == {"section": "duty", "body": "第一稿"}
    assert json.loads(log[1][3]) == {"section": "duty", "body": "第二稿"}
    assert log[2][3] is None


def test_a_second_editor_does_not_overwrite_silently(demo: db.Database, users: dict[str, auth.User]) -> None:
    township = find_unit(demo, "燕山乡")
    narratives.save_text(demo, users["editor"], township, 2020, "plan", "甲的文字", expected=None)
    with pytest.raises(NarrativeConflict) as caught:
        narratives.save_text(demo, users["admin"], township, 2020, "plan", "乙的文字", expected=None)
    assert caught.value.current.body == "甲的文字"
    assert caught.value.message.startswith("这一节已被他人修改（")
    assert narratives.saved_texts(demo, users["admin"], township, 2020)["plan"].body == "甲的文字"


def test_permissions(demo: db.Database, users: dict[str, auth.User]) -> None:
    township = find_unit(demo, "燕山乡")
    with pytest.raises(PermissionDenied, match="查看者"):
        narratives.save_text(demo, users["viewer"], township, 2020, "duty", "x", expected=None)
    with pytest.raises(PermissionDenied):
        narratives.save_text(demo, users["village_editor"], township, 2020, "duty", "x", expected=None)
    with pytest.raises(PermissionDenied):
        narratives.saved_texts(demo, users["village_editor"], township, 2020)
    village = find_unit(demo, "示例一村")
    narratives.save_text(demo, users["village_editor"], village, 2020, "duty", "村里的", expected=None)
    assert narratives.saved_texts(demo, users["admin"], village, 2020)["duty"].body == "村里的"


def test_locked_year_refuses_save_and_reset(demo: db.Database, users: dict[str, auth.User]) -> None:
    township = find_unit(demo, "燕山乡")
    saved = narratives.save_text(demo, users["admin"], township, 2020, "other", "其他", expected=None)
    locks.lock_year(demo, users["admin"], township, 2020)
    with pytest.raises(YearLocked):
        narratives.save_text(
            demo, users["admin"], township, 2020, "other", "改", expected=saved.narrative.updated_at
        )
    with pytest.raises(YearLocked):
        narratives.reset_text(demo, users["admin"], township, 2020, "other")
    assert narratives.saved_texts(demo, users["admin"], township, 2020)["other"].body == "其他"


def test_text_is_kept_verbatim_less_control_characters(
    demo: db.Database, users: dict[str, auth.User]
) -> None:
    township = find_unit(demo, "燕山乡")
    saved = narratives.save_text(
        demo, users["editor"], township, 2020, "other", HOSTILE + "\x00\x07", expected=None
    )
    assert saved.notices == ("文字中有2个不可见的控制字符，已删除。",)
    assert narratives.saved_texts(demo, users["editor"], township, 2020)["other"].body == HOSTILE


def test_bad_input(demo: db.Database, users: dict[str, auth.User]) -> None:
    township = find_unit(demo, "燕山乡")
    editor = users["editor"]
    with pytest.raises(InvalidInput, match="必备内容，不能为空"):
        narratives.save_text(demo, editor, township, 2020, "duty", " \n ", expected=None, required=True)
    with pytest.raises(InvalidInput, match="不能超过20000个字（现有20001个）"):
        narratives.save_text(demo, editor, township, 2020, "duty", "字" * 20001, expected=None)
    with pytest.raises(InvalidInput, match="没有“Bad Key”这一节"):
        narratives.save_text(demo, editor, township, 2020, "Bad Key", "x", expected=None)
    assert narratives.saved_texts(demo, editor, township, 2020) == {}

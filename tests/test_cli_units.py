"""python -m fazhi unit list|add|rename: the unit tree from the server's command line, audited."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from fazhi import db
from fazhi.__main__ import main
from fazhi.units import all_units


@pytest.fixture
def demo_file(tmp_path: Path, templates: dict[str, Path]) -> Path:
    """A database file holding the demo (a copy of the run's template, tests/conftest.py)."""
    path = tmp_path / "cli.duckdb"
    shutil.copy(templates["demo"], path)
    return path


def _unit(args: list[str], path: Path) -> int:
    return main(["unit", *args, "--db", str(path)])


def test_list(demo_file: Path, capsys) -> None:
    assert _unit(["list"], demo_file) == 0
    assert capsys.readouterr().out.splitlines() == [
        "万州区（区县）",
        "  燕山乡（乡镇/街道）",
        "    示例一村（村/社区）",
        "    示例二村（村/社区）",
        "    示例三村（村/社区）",
        "    示例社区（村/社区）",
    ]


def test_list_of_an_empty_installation(tmp_path: Path, capsys) -> None:
    path = tmp_path / "empty.duckdb"
    main(["init", "--db", str(path)])
    capsys.readouterr()
    assert _unit(["list"], path) == 0
    assert capsys.readouterr().out == (
        "还没有任何单位。请运行 python -m fazhi setup，或启动程序在浏览器的“初始化”页面建立本单位。\n"
    )


def test_add_is_audited_as_the_command_line(demo_file: Path, capsys) -> None:
    assert _unit(["add", "新华村", "--parent", "燕山乡"], demo_file) == 0
    assert capsys.readouterr().out == "已在“燕山乡”下新增村/社区“新华村”。\n"
    assert _unit(["add", "长滩镇", "--parent", "万州区", "--level", "township"], demo_file) == 0
    assert _unit(["add", "太龙村", "--parent", "长滩镇", "--level", "村"], demo_file) == 0
    assert capsys.readouterr().out.splitlines() == [
        "已在“万州区”下新增乡镇/街道“长滩镇”。",
        "已在“长滩镇”下新增村/社区“太龙村”。",
    ]
    with db.connect(demo_file) as database:
        names = [(u.name, u.level) for u in all_units(database)]
        audited = database.rows(
            "SELECT username, action, after_json->>'name' FROM audit_log WHERE entity = 'unit' AND username = '命令行'"
            " ORDER BY id"
        )
    assert ("新华村", "village") in names and ("太龙村", "village") in names
    assert audited == [
        ("命令行", "create", "新华村"),
        ("命令行", "create", "长滩镇"),
        ("命令行", "create", "太龙村"),
    ]


def test_rename_with_a_parent_when_names_repeat(demo_file: Path, capsys) -> None:
    _unit(["add", "长滩镇", "--parent", "万州区"], demo_file)
    _unit(["add", "示例一村", "--parent", "长滩镇"], demo_file)
    capsys.readouterr()
    assert _unit(["rename", "示例一村", "新华村"], demo_file) == 2
    assert capsys.readouterr().err == (
        "错误：有多个名为“示例一村”的单位，请写成“上级单位/单位名”，如“燕山乡/示例一村”。\n"
    )
    assert _unit(["rename", "长滩镇/示例一村", "新华村"], demo_file) == 0
    assert capsys.readouterr().out == "已把村/社区“示例一村”改名为“新华村”。\n"
    assert _unit(["rename", "新华村", "新华村"], demo_file) == 0
    assert capsys.readouterr().out == "“新华村”的名称没有变化。\n"
    with db.connect(demo_file) as database:
        entry = database.one(
            "SELECT username, before_json->>'name', after_json->>'name' FROM audit_log"
            " WHERE entity = 'unit' AND action = 'update'"
        )
    assert entry == ("命令行", "示例一村", "新华村")


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (["add", "新华村"], "请用 --parent 写出上级单位；最上级单位在 python -m fazhi setup 时建立。"),
        (["add", "--parent", "燕山乡"], "写法：python -m fazhi unit add 新华村 --parent 燕山乡"),
        (["rename", "示例一村"], "写法：python -m fazhi unit rename 旧名 新名"),
        (["list", "万州区"], "写法：python -m fazhi unit list"),
        (["add", "新华村", "--parent", "没有的乡"], "找不到名为“没有的乡”的单位。"),
        (["add", "新华村", "--parent", "燕山乡", "--level", "township"], "“燕山乡”的下级单位是村/社区，不是乡镇/街道。"),
        (["add", "新华村", "--parent", "燕山乡", "--level", "county"],
         "--level 应为 township（乡镇/街道）或 village（村/社区），而不是“county”。"),
        (["add", "一组", "--parent", "示例一村"], "“示例一村”是村/社区，其下不能再设单位。"),
        (["add", "示例二村", "--parent", "燕山乡"], "已有同名单位“示例二村”。"),
        (["rename", "示例一村", "示例二村"], "已有同名单位“示例二村”。"),
        (["rename", "示例一村", "x" * 41], "单位名称不能超过40个字（现有41个）。"),
    ],
)  # fmt: skip
def test_mistakes_are_explained_and_change_nothing(
    demo_file: Path, capsys, args: list[str], error: str
) -> None:
    with db.connect(demo_file) as database:
        before = all_units(database)
    assert _unit(args, demo_file) == 2
    assert capsys.readouterr().err == f"错误：{error}\n"
    with db.connect(demo_file) as database:
        assert all_units(database) == before

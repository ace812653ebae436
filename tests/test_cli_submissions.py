"""python -m fazhi submit / review / status / deadline / package / receive: the year walked from the
command line, each step seen in `status --json`, and the package carried to a second database."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from fazhi import db, submissions
from fazhi.__main__ import main
from fazhi.auth import system_user
from fazhi.settings import PROJECT_DIR
from fazhi.submission_package import package_content
from fazhi.units import find_unit


@pytest.fixture
def demo_file(tmp_path: Path, templates: dict[str, Path]) -> Path:
    """A database file holding the demo: a copy of the run's template (tests/conftest.py), the same file
    `python -m fazhi demo` makes (tests/test_cli.py runs that command)."""
    path = tmp_path / "demo.duckdb"
    shutil.copy(templates["demo"], path)
    return path


def status(path: Path, capsys, unit: str = "万州区") -> list[dict]:
    assert main(["status", "--unit", unit, "--year", "2020", "--json", "--db", str(path)]) == 0
    return json.loads(capsys.readouterr().out)


def test_each_step_shows_in_status(demo_file: Path, capsys) -> None:
    db_args = ["--db", str(demo_file)]
    assert [row["state"] for row in status(demo_file, capsys)] == ["未报送"]
    assert main(["deadline", "--unit", "万州区", "--year", "2020", "--date", "2031-01-31", *db_args]) == 2
    assert "2020年报告的截止日期应在2020年1月1日到2021年12月31日之间。" in capsys.readouterr().err
    assert main(["deadline", "--unit", "万州区", "--year", "2020", "--date", "2021-01-31", *db_args]) == 0
    assert capsys.readouterr().out == "万州区2020年报告的报送截止日期：2021-01-31。\n"

    assert main(["submit", "--unit", "燕山乡", "--year", "2020", "--no-charts", *db_args]) == 0
    out = capsys.readouterr().out
    assert out.startswith("已报送燕山乡2020年的年度报告（第1次）：55条记录，报告校验值 ")
    assert out.endswith("…。该年度已锁定，等待上级审核。\n")
    (row,) = status(demo_file, capsys)
    assert list(row) == [
        "unit", "state", "round", "submitted_at", "deadline", "days_left", "on_time", "comment", "records",
        "completion", "published_on", "published_url", "late", "publication",
    ]  # fmt: skip
    assert (row["unit"], row["state"], row["round"], row["deadline"], row["days_left"]) == (
        "燕山乡",
        "已报送",
        1,
        "2021-01-31",
        None,
    )
    assert row["on_time"] is False  # submitted today, long after 2021-01-31
    assert (row["records"], row["completion"], row["published_on"], row["late"]) == (55, 85.4, None, False)

    assert main(["submit", "--unit", "燕山乡", "--year", "2020", "--no-charts", *db_args]) == 2
    assert "正在等待上级审核，不能重复报送。" in capsys.readouterr().err

    assert main(["review", "--unit", "燕山乡", "--year", "2020", "--return", "请补充典型案例", *db_args]) == 0
    assert (
        capsys.readouterr().out
        == "已退回燕山乡2020年的年度报告（意见：请补充典型案例），该年度恢复可修改。\n"
    )
    (row,) = status(demo_file, capsys)
    assert (row["state"], row["comment"], row["round"]) == ("已退回", "请补充典型案例", 1)
    assert row["days_left"] < 0  # waiting for the township again, past the deadline

    assert main(["submit", "--unit", "燕山乡", "--year", "2020", "--no-charts", *db_args]) == 0
    capsys.readouterr()
    assert main(["review", "--unit", "燕山乡", "--year", "2020", "--approve", *db_args]) == 0
    assert capsys.readouterr().out == "已通过燕山乡2020年的年度报告，该年度已由上级封账。\n"
    (row,) = status(demo_file, capsys)
    assert (row["state"], row["round"], row["comment"]) == ("已通过", 2, "")
    assert status(demo_file, capsys, "燕山乡")[0]["state"] == "已通过"

    assert main(["review", "--unit", "燕山乡", "--year", "2020", "--return", "再改一处", *db_args]) == 0
    capsys.readouterr()
    assert status(demo_file, capsys)[0]["state"] == "已退回"

    assert main(["status", "--unit", "万州区", "--year", "2020", *db_args]) == 0
    text = capsys.readouterr().out.splitlines()
    assert (
        text[0]
        == "万州区 2020年报送情况：1个乡镇（街道），已报送0个（报送率0.0%），已通过0个，已退回1个，已公开0个（公开率0.0%）。"
    )
    assert text[1] == "乡镇（街道）\t状态\t报送时间\t截止日期\t剩余天数\t公开日期\t公开情况\t公开网址"
    assert text[2].startswith("燕山乡\t已退回\t")
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", text[2].split("\t")[2])  # a time, no ISO 'T'


def test_a_package_goes_to_a_second_freshly_initialised_database(
    demo_file: Path, tmp_path: Path, capsys
) -> None:
    package, second, again = (
        tmp_path / "燕山乡2020年报送包.zip",
        tmp_path / "county.duckdb",
        tmp_path / "again.zip",
    )
    assert (
        main(["package", "--unit", "燕山乡", "--year", "2020", "--out", str(package), "--db", str(demo_file)])
        == 2
    )
    assert "请先在“年度报告”中报送，再下载报送包。" in capsys.readouterr().err
    assert main(["submit", "--unit", "燕山乡", "--year", "2020", "--no-charts", "--db", str(demo_file)]) == 0
    assert (
        main(["package", "--unit", "燕山乡", "--year", "2020", "--out", str(package), "--db", str(demo_file)])
        == 0
    )
    assert f"已写出燕山乡2020年的报送包：{package}（55条记录，内容校验值 " in capsys.readouterr().out

    assert main(["init", "--db", str(second)]) == 0
    capsys.readouterr()
    assert main(["receive", str(package), "--db", str(second)]) == 2
    assert "确认无误后勾选“新建这些单位”（命令行加 --create-units）再接收。" in capsys.readouterr().err
    assert main(["receive", str(package), "--create-units", "--db", str(second)]) == 0
    assert capsys.readouterr().out == (
        "已接收燕山乡2020年的报送包（第1次报送）：55条记录，新建了6个单位。报送进度中显示为“已报送”。\n"
    )
    assert main(["receive", str(package), "--create-units", "--db", str(second)]) == 0
    assert (
        capsys.readouterr().out
        == "这个报送包已经接收过（燕山乡2020年第1次报送，已报送），本次没有任何改动。\n"
    )
    (row,) = status(second, capsys)
    assert (row["unit"], row["state"], row["records"]) == ("燕山乡", "已报送", 55)

    assert (
        main(["package", "--unit", "燕山乡", "--year", "2020", "--out", str(again), "--db", str(second)]) == 0
    )
    capsys.readouterr()
    assert package_content(again.read_bytes()) == package_content(package.read_bytes())
    with db.connect(second) as database:
        made = submissions.latest(database, system_user(), find_unit(database, "燕山乡"), 2020)
        assert made.source == "package"


def test_the_commands_speak_chinese_through_python_m_fazhi(demo_file: Path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "fazhi",
            "review",
            "--unit",
            "燕山乡",
            "--year",
            "2020",
            "--approve",
            "--db",
            str(demo_file),
        ],
        capture_output=True,
        text=True,
        cwd=PROJECT_DIR,
    )
    assert result.returncode == 2
    assert result.stderr == "错误：燕山乡2020年还没有报送年度报告，没有可审核的内容。\n"
    result = subprocess.run(
        [sys.executable, "-m", "fazhi", "receive", str(demo_file), "--db", str(demo_file)],
        capture_output=True,
        text=True,
        cwd=PROJECT_DIR,
    )
    assert result.returncode == 2
    assert result.stderr.startswith("错误：报送包不能接收：")
    assert "Traceback" not in result.stderr

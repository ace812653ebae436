"""python -m fazhi: init, demo, check, and the message when the app holds the database."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from fazhi import db
from fazhi.__main__ import main
from fazhi.settings import PROJECT_DIR


def test_init_then_demo(tmp_path: Path, capsys) -> None:
    path = tmp_path / "cli.duckdb"
    assert main(["init", "--db", str(path)]) == 0
    assert "已建立或升级：0001_initial" in capsys.readouterr().out
    assert main(["init", "--db", str(path)]) == 0
    assert "已是最新结构" in capsys.readouterr().out
    assert main(["demo", "--db", str(path)]) == 0
    assert "燕山乡（2019、2020年）共 89 条记录" in capsys.readouterr().out
    assert main(["demo", "--db", str(path)]) == 2
    assert (
        capsys.readouterr().err
        == "错误：数据库中已有记录，为避免与真实数据混在一起，只能在空数据库中加载示例数据。\n"
    )


def test_check(capsys) -> None:
    assert main(["check"]) == 0
    assert capsys.readouterr().out.startswith("目录检查通过：2 版纲要，")


def test_env_var_chooses_the_database(tmp_path: Path, monkeypatch, capsys) -> None:
    path = tmp_path / "from-env.duckdb"
    monkeypatch.setenv("FAZHI_DB", str(path))
    assert main(["init"]) == 0
    assert str(path) in capsys.readouterr().out


def test_cli_while_another_process_holds_the_file(tmp_path: Path) -> None:
    """The database is open in this process (as the app would hold it): the CLI explains, no traceback."""
    path = tmp_path / "held.duckdb"
    holder = db.connect(path)
    try:
        result = subprocess.run(
            [sys.executable, "-m", "fazhi", "demo", "--db", str(path)],
            capture_output=True,
            text=True,
            cwd=PROJECT_DIR,
            timeout=60,
        )
    finally:
        holder.close()
    assert result.returncode == 2
    assert "正被另一个程序打开" in result.stderr
    assert "Traceback" not in result.stderr


# Arguments that parse for each command that needs an existing database (the file itself is missing).
NEEDS_DATABASE = {
    "indicators": ["--unit", "燕山乡", "--year", "2020"],
    "report": ["--unit", "燕山乡", "--year", "2020"],
    "export": ["--out", "台账.xlsx"],
    "import": ["台账.xlsx"],
    "user": ["list"],
    "unit": ["list"],
    "backup": [],
    "submit": ["--unit", "燕山乡", "--year", "2020"],
    "review": ["--unit", "燕山乡", "--year", "2020", "--approve"],
    "status": ["--unit", "万州区", "--year", "2020"],
    "deadline": ["--unit", "万州区", "--year", "2020", "--date", "2021-01-31"],
    "package": ["--unit", "燕山乡", "--year", "2020", "--out", "报送包.zip"],
    "receive": ["报送包.zip"],
}


def test_every_command_says_whether_it_may_make_a_database() -> None:
    from fazhi.__main__ import COMMANDS, CREATES_DATABASE, NO_DATABASE

    assert set(COMMANDS) == CREATES_DATABASE | NO_DATABASE | set(NEEDS_DATABASE)
    assert CREATES_DATABASE == {"init", "setup", "demo", "restore"}


@pytest.mark.parametrize("command", sorted(NEEDS_DATABASE))
def test_a_mistyped_database_path_is_refused(command: str, tmp_path: Path, monkeypatch, capsys) -> None:
    """`import --db` with a typo used to create an empty database silently."""
    monkeypatch.chdir(tmp_path)
    missing = tmp_path / "fazhi.duckbd"
    assert main([command, *NEEDS_DATABASE[command], "--db", str(missing)]) == 2
    assert capsys.readouterr().err == (
        f"错误：找不到数据库文件 {missing}；新建请用 python -m fazhi init 或 setup。\n"
    )
    assert list(tmp_path.iterdir()) == []


def test_the_default_database_must_exist_too(tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("FAZHI_DB", str(tmp_path / "data" / "fazhi.duckdb"))
    assert main(["user", "list"]) == 2
    assert "找不到数据库文件" in capsys.readouterr().err
    assert not (tmp_path / "data").exists()


def test_template_rebuilds_the_default_template_from_the_layout(tmp_path: Path, monkeypatch, capsys) -> None:
    from fazhi.report import template

    target = tmp_path / "report_template.docx"
    monkeypatch.setattr(template, "DEFAULT_TEMPLATE", target)
    assert main(["template"]) == 0
    assert capsys.readouterr().out == f"已按 data/report_layout.toml 重新生成默认报告模板：{target}。\n"
    assert template.parts(target.read_bytes()) == template.parts(template.build_template())

"""python -m fazhi setup: a new installation prepared from a server's terminal, with no browser."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pytest

from fazhi import auth, db, sample
from fazhi.__main__ import main
from fazhi.catalog import Catalog
from fazhi.settings import PROJECT_DIR
from tests.conftest import PASSWORD

SETUP = ["setup", "--unit", "万州区", "--level", "county", "--admin", "admin", "--display-name", "王五"]


def _run(args: list[str], stdin: str, monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    return main(args)


def test_setup_makes_the_database_the_top_unit_and_the_administrator(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    path = tmp_path / "new" / "fazhi.duckdb"
    assert _run([*SETUP, "--db", str(path)], PASSWORD + "\n", monkeypatch) == 0
    assert capsys.readouterr().out == (
        f"已初始化数据库 {path}：最上级单位 万州区（区县），管理员 admin（王五）。"
        "现在可以启动程序（python3 run.py），用这个账号登录。\n"
    )
    with db.connect(path) as database:
        admin = auth.authenticate(database, "admin", PASSWORD)
        audited = database.rows("SELECT username, action, entity FROM audit_log ORDER BY id")
    assert (admin.role, admin.unit_name, admin.display_name) == ("admin", "万州区", "王五")
    assert audited[:2] == [("初始化", "create", "unit"), ("初始化", "create", "user")]


def test_setup_with_a_hidden_prompt(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    typed = iter([PASSWORD, PASSWORD + "x"])
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    monkeypatch.setattr(sys.stdin, "isatty", lambda: True)
    monkeypatch.setattr("getpass.getpass", lambda prompt: next(typed))
    path = tmp_path / "fazhi.duckdb"
    assert main([*SETUP, "--db", str(path)]) == 2
    assert capsys.readouterr().err == "错误：两次输入的密码不一致，未作任何修改。\n"
    typed = iter([PASSWORD, PASSWORD])
    assert main(["setup", "--unit", "燕山乡", "--level", "乡镇", "--admin", "zhang", "--db", str(path)]) == 0
    with db.connect(path) as database:
        assert auth.authenticate(database, "zhang", PASSWORD).unit_name == "燕山乡"


def test_setup_refuses_an_installation_that_has_users(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    path = tmp_path / "fazhi.duckdb"
    assert _run([*SETUP, "--db", str(path)], PASSWORD, monkeypatch) == 0
    capsys.readouterr()
    assert _run([*SETUP[:-3], "other", "--db", str(path)], PASSWORD, monkeypatch) == 2
    assert capsys.readouterr().err == (
        f"错误：数据库 {path} 已经初始化过（已有 1 个账号），无需再运行 setup。"
        "添加账号请用 python -m fazhi user add，管理员忘记密码请用 python -m fazhi user passwd。\n"
    )
    with db.connect(path) as database:
        assert auth.user_count(database) == 1


def test_setup_over_the_demo_keeps_its_top_unit(
    tmp_path: Path, catalog: Catalog, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    path = tmp_path / "demo.duckdb"
    with db.connect(path) as database:
        sample.load_demo(database, catalog)
    wrong = ["setup", "--unit", "燕山乡", "--level", "township", "--admin", "admin", "--db", str(path)]
    assert _run(wrong, PASSWORD, monkeypatch) == 2
    assert capsys.readouterr().err == (
        "错误：数据库中已有最上级单位“万州区”（区县），--unit 和 --level 应与它一致。\n"
    )
    assert _run(["setup", "--unit", "万州区", "--level", "区县", "--admin", "admin", "--db", str(path)],
                PASSWORD, monkeypatch) == 0  # fmt: skip
    with db.connect(path) as database:
        assert auth.authenticate(database, "admin", PASSWORD).unit_name == "万州区"


@pytest.mark.parametrize(
    ("args", "stdin", "error"),
    [
        (["--unit", "万州区", "--level", "province", "--admin", "admin"], PASSWORD,
         "--level 应为 county（区县）或 township（乡镇/街道），而不是“province”。"),
        (["--unit", "万州区", "--level", "county", "--admin", "a b"], "", "用户名只能由英文字母、数字、汉字和 . _ - @ 组成"),
        (["--unit", "万州区", "--level", "county", "--admin", "admin"], "short\n", "密码至少需要10个字符。"),
        (["--unit", "万州区", "--level", "county", "--admin", "admin"], "", "没有读到密码。"),
        (["--unit", "", "--level", "county", "--admin", "admin"], PASSWORD, "请填写单位名称。"),
    ],
)  # fmt: skip
def test_setup_mistakes_are_explained(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys, args: list[str], stdin: str, error: str
) -> None:
    path = tmp_path / "fazhi.duckdb"
    assert _run(["setup", *args, "--db", str(path)], stdin, monkeypatch) == 2
    assert capsys.readouterr().err.startswith("错误：" + error)
    if path.exists():
        with db.connect(path) as database:
            assert auth.user_count(database) == 0


def test_setup_piped_from_a_real_shell(tmp_path: Path) -> None:
    """The real process with a production password hash, then the installation's units from the CLI."""
    path = tmp_path / "fazhi.duckdb"
    result = subprocess.run(
        [sys.executable, "-m", "fazhi", *SETUP, "--db", str(path)],
        input=PASSWORD + "\n", capture_output=True, text=True, cwd=PROJECT_DIR, timeout=60,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    listed = subprocess.run(
        [sys.executable, "-m", "fazhi", "unit", "list", "--db", str(path)],
        capture_output=True, text=True, cwd=PROJECT_DIR, timeout=60,
    )  # fmt: skip
    assert listed.stdout == "万州区（区县）\n"
    with db.connect(path) as database:
        stored = database.one("SELECT password_hash FROM users WHERE username = 'admin'")[0]
    assert stored.startswith("$argon2id$") and PASSWORD not in stored

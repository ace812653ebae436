"""python -m fazhi user …: accounts from the server's command line, passwords never from argv."""

from __future__ import annotations

import io
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from fazhi import auth, db
from fazhi.__main__ import main
from fazhi.errors import AuthError
from fazhi.settings import PROJECT_DIR
from tests.conftest import PASSWORD

NEW_PASSWORD = "another-secret-77"


@pytest.fixture
def demo_file(tmp_path: Path, templates: dict[str, Path]) -> Path:
    """A database file holding the demo (a copy of the run's template, tests/conftest.py)."""
    path = tmp_path / "cli.duckdb"
    shutil.copy(templates["demo"], path)
    return path


def _run(args: list[str], stdin: str, monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    return main(args)


def _login(path: Path, username: str, password: str) -> auth.User:
    with db.connect(path) as database:
        return auth.authenticate(database, username, password)


def test_add_with_a_piped_password(demo_file: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    args = ["user", "add", "cunyuan", "--unit", "示例一村", "--role", "录入员", "--display-name", "李四"]
    assert _run([*args, "--db", str(demo_file)], PASSWORD + "\n", monkeypatch) == 0
    assert capsys.readouterr().out == "已添加用户 cunyuan（李四，录入员，示例一村）。\n"
    user = _login(demo_file, "cunyuan", PASSWORD)
    assert (user.role, user.unit_name) == ("editor", "示例一村")
    assert _run(["user", "add", "leader", "--unit", "燕山乡/示例二村", "--role", "viewer", "--db", str(demo_file)],
                PASSWORD, monkeypatch) == 0  # fmt: skip
    assert _login(demo_file, "leader", PASSWORD).unit_name == "示例二村"


def test_add_with_a_hidden_prompt(demo_file: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    typed = iter([PASSWORD, PASSWORD])
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    monkeypatch.setattr(sys.stdin, "isatty", lambda: True)
    monkeypatch.setattr("getpass.getpass", lambda prompt: next(typed))
    assert main(["user", "add", "zhang", "--unit", "燕山乡", "--role", "admin", "--db", str(demo_file)]) == 0
    assert _login(demo_file, "zhang", PASSWORD).is_admin
    typed = iter([PASSWORD, PASSWORD + "x"])
    assert main(["user", "passwd", "zhang", "--db", str(demo_file)]) == 2
    assert capsys.readouterr().err == "错误：两次输入的密码不一致，未作任何修改。\n"
    assert _login(demo_file, "zhang", PASSWORD).is_admin


@pytest.mark.parametrize(
    ("args", "stdin", "error"),
    [
        (
            ["add", "x1", "--unit", "示例一村", "--role", "boss"],
            PASSWORD,
            "添加用户需要 --unit 单位名称 和 --role",
        ),
        (["add", "x1", "--unit", "没有的村", "--role", "viewer"], PASSWORD, "找不到名为“没有的村”的单位。"),
        (["add", "x1", "--unit", "示例一村", "--role", "viewer"], "short\n", "密码至少需要10个字符。"),
        (["add", "x1", "--unit", "示例一村", "--role", "viewer"], "", "没有读到密码。"),
        (["passwd", "nobody"], PASSWORD, "找不到用户“nobody”。"),
        (["disable"], "", "请写出用户名，如：python -m fazhi user disable 张三"),
    ],
)
def test_mistakes_are_explained(
    demo_file: Path, monkeypatch: pytest.MonkeyPatch, capsys, args: list[str], stdin: str, error: str
) -> None:
    assert _run(["user", *args, "--db", str(demo_file)], stdin, monkeypatch) == 2
    assert capsys.readouterr().err.startswith("错误：" + error)
    with db.connect(demo_file) as database:
        assert auth.user_count(database) == 0


def test_a_locked_out_administrator_gets_back_in(
    demo_file: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    with db.connect(demo_file) as database:
        admin = auth.create_first_admin(database, "admin", PASSWORD, "王五", "万州区", "county")
        for _ in range(5):
            with pytest.raises(AuthError):
                auth.authenticate(database, "admin", "wrong-password")
        with pytest.raises(AuthError, match="已暂停登录"):
            auth.authenticate(database, "admin", PASSWORD)
    assert _run(["user", "passwd", "admin", "--db", str(demo_file)], NEW_PASSWORD + "\r\n", monkeypatch) == 0
    assert capsys.readouterr().out == "已重设用户 admin 的密码，并解除了登录暂停。\n"
    assert _login(demo_file, "admin", NEW_PASSWORD).id == admin.id
    with db.connect(demo_file) as database:
        entry = database.one(
            "SELECT username, after_json->>'password' FROM audit_log WHERE action = 'update' AND entity = 'user'"
        )
        stored = database.one("SELECT password_hash FROM users WHERE username = 'admin'")[0]
    assert entry == ("命令行", "（已重设）")
    assert NEW_PASSWORD not in stored


def test_disable_enable_and_list(demo_file: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    _run(["user", "add", "cunyuan", "--unit", "示例一村", "--role", "editor", "--db", str(demo_file)],
         PASSWORD, monkeypatch)  # fmt: skip
    capsys.readouterr()
    assert main(["user", "disable", "cunyuan", "--db", str(demo_file)]) == 0
    assert capsys.readouterr().out == "已停用用户 cunyuan。\n"
    with pytest.raises(AuthError, match="已停用"):
        _login(demo_file, "cunyuan", PASSWORD)
    assert main(["user", "list", "--db", str(demo_file)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines == [
        "用户名\t姓名\t角色\t单位\t状态\t最近登录",
        "cunyuan\tcunyuan\t录入员\t示例一村\t停用\t从未",
    ]
    assert main(["user", "enable", "cunyuan", "--db", str(demo_file)]) == 0
    assert _login(demo_file, "cunyuan", PASSWORD).username == "cunyuan"


def test_list_on_a_new_database(tmp_path: Path, capsys) -> None:
    assert main(["init", "--db", str(tmp_path / "new.duckdb")]) == 0
    capsys.readouterr()
    assert main(["user", "list", "--db", str(tmp_path / "new.duckdb")]) == 0
    assert capsys.readouterr().out == (
        "还没有任何账号。请运行 python -m fazhi setup，或启动程序在浏览器的“初始化”页面建立第一个管理员。\n"
    )


def test_password_is_never_an_argument() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "fazhi", "user", "add", "x", "--password", "secret123"],
        capture_output=True, text=True, cwd=PROJECT_DIR, timeout=60,
    )  # fmt: skip
    assert result.returncode == 2
    assert "unrecognized arguments: --password" in result.stderr


def test_piped_from_a_real_shell(demo_file: Path) -> None:
    """The real process: the password arrives on stdin, the account works, the hash is argon2id."""
    result = subprocess.run(
        [sys.executable, "-m", "fazhi", "user", "add", "pipe", "--unit", "燕山乡", "--role", "查看者",
         "--db", str(demo_file)],
        input=PASSWORD + "\n", capture_output=True, text=True, cwd=PROJECT_DIR, timeout=60,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout == "已添加用户 pipe（pipe，查看者，燕山乡）。\n"
    assert _login(demo_file, "pipe", PASSWORD).role == "viewer"

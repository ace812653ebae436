"""run.py, the standard-library bootstrap: its decisions, its Chinese messages, and real runs with
Debian's Python (a small environment from a local wheel; the app itself on the suite's own environment)."""

from __future__ import annotations

import ast
import importlib.util
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import urllib.request
import zipfile
from pathlib import Path

import pytest

from fazhi import settings
from fazhi.settings import PROJECT_DIR
from tests.e2e.conftest import _free_port, _wait_until_up

_spec = importlib.util.spec_from_file_location("fazhi_run", PROJECT_DIR / "run.py")
run = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(run)

SYSTEM_PYTHON = "/usr/bin/python3"  # Debian's, as on an office server; pytest may run on another one
UNREACHABLE_INDEX = "http://127.0.0.1:9/simple"  # nothing listens on port 9: any index access fails at once


def _venv(
    path: Path, location: Path | None = None, python: str = "3.11", installed: dict | None = None
) -> Path:
    """A stand-in environment: pyvenv.cfg, a python file and run.py's marker (no real interpreter)."""
    executable = run.venv_python(path)
    executable.parent.mkdir(parents=True)
    executable.write_text("")
    (path / "pyvenv.cfg").write_text("home = /usr/bin\n")
    marker = {"location": str(location or path), "python": python, "installed": installed or {}}
    (path / run.MARKER).write_text(json.dumps(marker), encoding="utf-8")
    return path


# ───────────── decisions ─────────────


def test_pip_installs_from_the_index_or_from_wheels_only(tmp_path: Path) -> None:
    python, requirements = tmp_path / "py", tmp_path / "requirements.txt"
    common = [str(python), "-m", "pip", "install", "--disable-pip-version-check", "--no-input"]
    assert run.pip_command(python, requirements, None) == [*common, "-r", str(requirements)]
    wheels = tmp_path / "wheels"
    assert run.pip_command(python, requirements, wheels) == [
        *common, "-r", str(requirements), "--no-index", "--find-links", str(wheels),
    ]  # fmt: skip
    assert run.wheels_dir(tmp_path) is None
    wheels.mkdir()
    assert run.wheels_dir(tmp_path) == wheels


def test_the_hash_follows_included_files(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text("streamlit>=1.67\n")
    dev = tmp_path / "requirements-dev.txt"
    dev.write_text("-r requirements.txt\npytest\n")
    assert run.included_files(dev) == [dev.resolve(), (tmp_path / "requirements.txt").resolve()]
    before = run.requirements_hash(dev)
    assert run.requirements_hash(dev) == before
    (tmp_path / "requirements.txt").write_text("streamlit>=1.68\n")
    assert run.requirements_hash(dev) != before  # runtime requirements changed: the test set changed too
    for spelling in ("-rrequirements.txt", "--requirement=requirements.txt", "-c requirements.txt"):
        dev.write_text(spelling + "\n")
        assert len(run.included_files(dev)) == 2, spelling


def test_the_real_requirements_are_hashed_together() -> None:
    files = run.included_files(PROJECT_DIR / "requirements-dev.txt")
    assert [path.name for path in files] == ["requirements-dev.txt", "requirements.txt"]


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """A program folder with requirements files (pip is never really called in these tests)."""
    (tmp_path / "requirements.txt").write_text("streamlit\n")
    (tmp_path / "requirements-dev.txt").write_text("-r requirements.txt\npytest\n")
    return tmp_path


@pytest.fixture
def pip_calls(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    calls: list[list[str]] = []
    monkeypatch.setattr(run, "run_pip", lambda command, log: calls.append(command) or (0, ""))
    return calls


def test_requirements_are_installed_only_when_they_changed(root: Path, pip_calls: list, capsys) -> None:
    venv = _venv(root / ".venv")
    assert run.install(root, venv, "requirements.txt") is True
    assert (
        capsys.readouterr().out.splitlines()[0] == "正在安装所需的软件包，需要联网，约需几分钟（只需一次）……"
    )
    assert pip_calls[-1][-2:] == ["-r", str(root / "requirements.txt")]
    assert run.install(root, venv, "requirements.txt") is False  # unchanged: no pip at all
    assert len(pip_calls) == 1 and capsys.readouterr().out == ""
    (root / "requirements.txt").write_text("streamlit\nduckdb\n")
    assert run.install(root, venv, "requirements.txt") is True
    assert capsys.readouterr().out.startswith(
        "requirements.txt 有变化（程序已升级），正在更新软件包，需要联网……\n"
    )
    assert len(pip_calls) == 2


def test_the_test_requirements_cover_the_app_requirements(root: Path, pip_calls: list, capsys) -> None:
    venv = _venv(root / ".venv")
    assert run.install(root, venv, "requirements-dev.txt") is True
    installed = run.read_marker(venv)["installed"]
    assert installed == {
        "requirements-dev.txt": run.requirements_hash(root / "requirements-dev.txt"),
        "requirements.txt": run.requirements_hash(root / "requirements.txt"),
    }
    assert run.install(root, venv, "requirements.txt") is False  # installed with the test set
    (root / "requirements.txt").write_text("streamlit\nduckdb\n")
    assert run.install(root, venv, "requirements.txt") is True
    assert run.install(root, venv, "requirements-dev.txt") is True  # it includes requirements.txt
    assert len(pip_calls) == 3


def test_a_failed_install_is_explained_and_tried_again(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    venv = _venv(root / ".venv")
    output = (
        "Collecting streamlit\n  WARNING: Retrying (Retry(total=0...)) after connection broken by "
        "'NewConnectionError(...: Failed to establish a new connection: [Errno 111] Connection refused')\n"
        "ERROR: Could not find a version that satisfies the requirement streamlit (from versions: none)\n"
        "ERROR: No matching distribution found for streamlit"
    )
    monkeypatch.setattr(run, "run_pip", lambda command, log: (1, output))
    with pytest.raises(run.Stop) as failure:
        run.install(root, venv, "requirements.txt")
    python = run._shown(run.venv_python(venv))
    assert failure.value.message == (
        "安装软件包失败。请检查网络连接后重新运行。\n"
        "单位网络访问国外网站较慢或打不开时，可以改用清华大学的镜像：先运行\n"
        f"    {python} -m pip config set global.index-url https://pypi.tuna.tsinghua.edu.cn/simple\n"
        "然后重新运行本命令。没有网络的电脑请用离线安装包（见 README“离线安装”）。\n"
        f"pip 的出错信息（完整记录见 {venv / run.PIP_LOG}）：\n"
        "    ERROR: Could not find a version that satisfies the requirement streamlit (from versions: none)\n"
        "    ERROR: No matching distribution found for streamlit"
    )
    assert run.read_marker(venv)["installed"] == {}  # nothing recorded: the next run installs again
    calls: list = []
    monkeypatch.setattr(run, "run_pip", lambda command, log: calls.append(command) or (0, ""))
    assert run.install(root, venv, "requirements.txt") is True and len(calls) == 1


def test_pip_failures_name_the_cause(tmp_path: Path) -> None:
    python, log = tmp_path / "python", tmp_path / "pip.log"
    denied = "ERROR: Could not install packages due to an OSError: [Errno 13] Permission denied: '/opt/x'"
    assert run.pip_failure(denied, python, False, log).startswith("安装软件包失败：没有写入权限。")
    missing = "ERROR: No matching distribution found for duckdb<3,>=2.0"
    assert run.pip_failure(missing, python, True, log).startswith(
        "从 wheels 文件夹安装软件包失败：离线安装包不完整，或不是为这台电脑制作的（Windows 或 Linux、Python 版本须一致）。"
    )
    assert "    ERROR: No matching distribution found for duckdb<3,>=2.0" in run.pip_failure(
        missing, python, True, log
    )


def test_a_wheels_folder_installs_without_any_index(root: Path, pip_calls: list, capsys) -> None:
    venv = _venv(root / ".venv")
    (root / "wheels").mkdir()
    run.install(root, venv, "requirements.txt")
    assert pip_calls[0][-3:] == ["--no-index", "--find-links", str(root / "wheels")]
    assert capsys.readouterr().out.startswith(
        "正在从 wheels 文件夹安装所需的软件包（不需要联网），约需一两分钟……\n"
    )


def test_a_bundle_for_another_computer_is_refused_before_pip(root: Path, pip_calls: list) -> None:
    (root / "wheels").mkdir()
    info = root / "wheels" / run.BUNDLE_INFO
    info.write_text(json.dumps({"platform": "win_amd64", "python": "3.11"}))
    assert run.bundle_problem(root / "wheels", (3, 11), "win32") is None
    assert run.bundle_problem(root / "wheels", (3, 11), "linux") == (
        "这个离线安装包是为 Windows 电脑制作的，不能用在这台电脑上。请制作适用于本机的离线安装包（见 README“离线安装”）。"
    )
    assert run.bundle_problem(root / "wheels", (3, 12), "win32") == (
        "这个离线安装包是为 Python 3.11 制作的，这台电脑运行的是 Python 3.12。\n"
        "请安装 Python 3.11（安装包可从 https://www.python.org/downloads/ 下载后拷过来），"
        "或在能上网的电脑上制作适用于 Python 3.12 的离线安装包（见 README“离线安装”）。"
    )
    info.write_text(json.dumps({"platform": "manylinux_2_28_x86_64", "python": "3.99"}))
    with pytest.raises(run.Stop, match="为 Python 3.99 制作的"):
        run.install(root, _venv(root / ".venv"), "requirements.txt")
    assert pip_calls == []


def test_why_an_environment_is_rebuilt(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(run, "probe_version", lambda python: "3.11")
    venv = tmp_path / ".venv"
    assert run.venv_problem(venv, (3, 11)) == "第一次运行：正在建立运行环境……"
    _venv(venv)
    assert run.venv_problem(venv, (3, 11)) is None
    assert (
        run.venv_problem(venv, (3, 12))
        == "运行环境是用 Python 3.11 建立的，现在是 Python 3.12，正在重新建立……"
    )
    monkeypatch.setattr(run, "probe_version", lambda python: "3.13")  # the system's python3 was upgraded
    assert (
        run.venv_problem(venv, (3, 13))
        == "运行环境是用 Python 3.11 建立的，现在是 Python 3.13，正在重新建立……"
    )
    monkeypatch.setattr(run, "probe_version", lambda python: None)
    assert (
        run.venv_problem(venv, (3, 11))
        == "运行环境已损坏（建立它的 Python 可能已卸载或升级），正在重新建立……"
    )
    moved = _venv(tmp_path / "moved" / ".venv", location=tmp_path / "old" / ".venv")
    assert run.venv_problem(moved, (3, 11)) == "程序文件夹已移动，正在重新建立运行环境……"
    (venv / run.MARKER).unlink()
    assert run.venv_problem(venv, (3, 11)) == "运行环境是旧版程序建立的（或上次没有建完），正在重新建立……"
    run.venv_python(venv).unlink()
    assert run.venv_problem(venv, (3, 11)) == "运行环境不完整，正在重新建立……"


def test_only_an_environment_is_ever_deleted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "home"
    folder.mkdir()
    (folder / "报告.docx").write_text("mine")
    with pytest.raises(run.Stop) as refused:
        run.remove_venv(folder)
    assert refused.value.message == (
        f"{folder} 不是运行环境，run.py 不会删除它。请把它移走，或用环境变量 FAZHI_VENV 指定另一个文件夹。"
    )
    assert (folder / "报告.docx").exists()
    venv = _venv(tmp_path / ".venv")
    run.remove_venv(venv)
    assert not venv.exists()
    monkeypatch.setenv("FAZHI_VENV", str(folder))
    assert run.venv_dir(tmp_path) == folder
    monkeypatch.setattr(run.sys, "prefix", str(_venv(tmp_path / "running")))
    with pytest.raises(run.Stop, match="正在用 .* 里的 Python 运行，不能重建它"):
        run.remove_venv(tmp_path / "running")


def test_no_write_permission_is_a_message(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(run.Path, "mkdir", refuse)
    with pytest.raises(run.Stop) as failure:
        run.create_venv(tmp_path / ".venv")
    assert failure.value.message.startswith(
        f"没有写入权限：无法在 {tmp_path / '.venv'} 建立或更新运行环境。\n"
    )
    assert "python3 run.py prepare" in failure.value.message and "FAZHI_VENV" in failure.value.message


def test_messages_for_an_old_python_and_a_missing_venv_module(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(run.sys, "platform", "linux")
    assert run.version_problem((3, 11, 2), "/usr/bin/python3") is None
    assert run.version_problem((3, 10, 12), "/usr/bin/python3") == (
        "本程序需要 Python 3.11 或更新版本，现在运行的是 Python 3.10.12（/usr/bin/python3）。\n"
        "请用系统的软件源安装 Python 3.11 或更新版本（例如 Ubuntu 22.04：sudo apt install python3.11 "
        "python3.11-venv），然后重新运行 python3 run.py（会自动改用新版本）。"
    )
    assert run.no_venv_message((3, 11)) == (
        "这台电脑的 Python 缺少建立运行环境的组件（venv）。\n"
        "请先运行 sudo apt install python3-venv（若仍出现本提示，再运行 sudo apt install python3.11-venv），"
        "然后重新运行。"
    )
    monkeypatch.setattr(run.sys, "platform", "win32")
    assert "https://www.python.org/downloads/" in run.version_problem((3, 9, 13), r"C:\Python39\python.exe")


def test_pip_output_becomes_short_progress_lines() -> None:
    assert (
        run.progress("Collecting streamlit<2,>=1.67 (from -r requirements.txt (line 2))") == "  · streamlit"
    )
    assert (
        run.progress("Processing ./wheels/duckdb-2.0.1-cp311-cp311-manylinux_2_28_x86_64.whl") == "  · duckdb"
    )
    assert run.progress("Installing collected packages: a, b, c") == "  正在安装 3 个软件包，请稍候……"
    assert run.progress("  Downloading pandas-3.1.1.whl (12.0 MB)") is None
    assert run.progress("Requirement already satisfied: pip in ./.venv") is None


def test_start_options(tmp_path: Path) -> None:
    assert run.parse_serve([], PROJECT_DIR) == {"address": "127.0.0.1", "port": 8501, "open": False}
    assert run.parse_serve(["--address", "0.0.0.0", "--port=9000", "--open"], PROJECT_DIR) == {
        "address": "0.0.0.0", "port": 9000, "open": True,
    }  # fmt: skip
    assert run.parse_serve([], tmp_path) == {"address": "127.0.0.1", "port": 8501, "open": False}  # no config
    for args, message in [
        (["--port", "http"], "端口应为 1 到 65535 之间的整数，而不是“http”。"),
        (["--port", "70000"], "端口应为 1 到 65535 之间的整数，而不是“70000”。"),
        (["--port"], "--port 后面要写端口。"),
        (["--server.port", "1"], "不认识的参数：--server.port"),
    ]:
        with pytest.raises(run.Stop) as mistake:
            run.parse_serve(args, PROJECT_DIR)
        assert mistake.value.code == 2 and mistake.value.message.startswith(message)
    with pytest.raises(run.Stop) as asked:
        run.parse_serve(["--help"], PROJECT_DIR)
    assert asked.value.code == 0 and asked.value.message == run.USAGE


def test_the_tests_run_in_parallel_unless_told_otherwise() -> None:
    assert run.parallel_processes([], 2) == 2
    assert run.parallel_processes(["-m", "not slow"], 8) == run.MAX_TEST_PROCESSES == 4
    assert run.parallel_processes(["tests/test_records.py", "-x"], 3) == 3
    assert run.parallel_processes([], 1) == 0  # one CPU: pytest alone
    for own in (
        ["-n", "0"], ["-n0"], ["-nauto"], ["--numprocesses=3"], ["--dist", "loadfile"],
        ["-p", "no:xdist"], ["-pno:xdist"], ["--pdb"], ["--trace"], ["-s"], ["--capture=no"], ["--capture", "no"],
    ):  # fmt: skip
        assert run.parallel_processes(["-q", *own], 2) == 0, own
    assert run.parallel_processes(["--capture", "sys"], 2) == 2
    assert run.parallel_processes([], 2, addopts="-p no:xdist") == 0  # $PYTEST_ADDOPTS counts too


def test_the_data_file_shown_is_the_apps(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("FAZHI_DB", raising=False)
    assert run.data_file(PROJECT_DIR) == settings.db_path()
    monkeypatch.setenv("FAZHI_DB", str(tmp_path / "x.duckdb"))
    assert run.data_file(PROJECT_DIR) == settings.db_path() == tmp_path / "x.duckdb"


def test_a_busy_port_is_found(tmp_path: Path) -> None:
    import socket

    port = _free_port()
    assert run.port_in_use("127.0.0.1", port) is False
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", port))
        listener.listen()
        assert run.port_in_use("127.0.0.1", port) is True


# ───────────── real runs ─────────────


def test_run_py_parses_on_old_pythons() -> None:
    """Syntax as old as Python 3.6, so an old python3 gets the Chinese message instead of a SyntaxError."""
    ast.parse((PROJECT_DIR / "run.py").read_text(encoding="utf-8"), feature_version=(3, 6))


def _old_pythons() -> list[str]:
    candidates = [shutil.which(f"python3.{minor}") for minor in range(6, 11)]
    candidates += [str(p) for p in Path.home().glob(".pyenv/versions/3.[6-9]*/bin/python3")]
    candidates += [str(p) for p in Path.home().glob(".pyenv/versions/3.10*/bin/python3")]
    return [c for c in candidates if c and subprocess.run([c, "-V"], capture_output=True).returncode == 0][:2]


def _clean_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """The environment of a new user's shell: no pip configuration of this machine, no venv, no pyenv."""
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "PYENV", "VIRTUAL_ENV", "FAZHI_"))
    }
    env.update(PATH="/usr/bin:/bin", HOME=str(tmp_path / "home"), PIP_CONFIG_FILE=os.devnull)
    env.update(PIP_DISABLE_PIP_VERSION_CHECK="1", FAZHI_AUTO_BACKUP="0", **extra)
    return env


@pytest.mark.parametrize(
    "old", _old_pythons() or [pytest.param(None, marks=pytest.mark.skip("没有旧版 Python"))]
)
def test_an_old_python_gets_the_message_or_a_newer_python(old: str, tmp_path: Path) -> None:
    shutil.copy(PROJECT_DIR / "run.py", tmp_path / "run.py")
    env = _clean_env(tmp_path, PATH=str(tmp_path / "bin"))  # no newer python3.N on PATH
    result = subprocess.run(
        [old, "run.py"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 1, result.stderr
    assert result.stderr.startswith("本程序需要 Python 3.11 或更新版本，现在运行的是 Python 3.")
    assert "Traceback" not in result.stderr and not (tmp_path / ".venv").exists()
    (tmp_path / "bin").mkdir()
    (tmp_path / "bin" / "python3.11").symlink_to("/usr/bin/python3.11")
    result = subprocess.run(
        [old, "run.py", "--help"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0].endswith(f"，改用 {tmp_path / 'bin' / 'python3.11'}。")
    assert result.stdout.splitlines()[1:] == run.USAGE.splitlines()


def test_no_venv_module_is_a_message_not_a_traceback(tmp_path: Path) -> None:
    """Debian without python3-venv: ensurepip is missing (here hidden from the real interpreter)."""
    shutil.copy(PROJECT_DIR / "run.py", tmp_path / "run.py")
    (tmp_path / "requirements.txt").write_text("")
    hide = "import sys, runpy; sys.modules['ensurepip'] = None; sys.argv = ['run.py', 'prepare']; "
    hide += "runpy.run_path('run.py', run_name='__main__')"
    result = subprocess.run(
        [SYSTEM_PYTHON, "-c", hide], cwd=tmp_path, env=_clean_env(tmp_path), capture_output=True, text=True
    )
    assert result.returncode == 1
    assert result.stdout == "第一次运行：正在建立运行环境……\n"
    assert result.stderr == run.no_venv_message(sys.version_info) + "\n"
    assert not (tmp_path / ".venv").exists()


def _tiny_wheel(folder: Path, version: str = "1.0") -> Path:
    """A pure-Python wheel pip can install with no index: fazhi_probe, whose module says its version."""
    folder.mkdir(exist_ok=True)
    path = folder / f"fazhi_probe-{version}-py3-none-any.whl"
    info = f"fazhi_probe-{version}.dist-info"
    files = {
        "fazhi_probe/__init__.py": f"VERSION = {version!r}\n",
        f"{info}/METADATA": f"Metadata-Version: 2.1\nName: fazhi-probe\nVersion: {version}\n",
        f"{info}/WHEEL": "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    with zipfile.ZipFile(path, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
        archive.writestr(f"{info}/RECORD", "".join(f"{name},,\n" for name in [*files, f"{info}/RECORD"]))
    return path


def _run_py(
    folder: Path, *args: str, env: dict[str, str], python: str = SYSTEM_PYTHON
) -> subprocess.CompletedProcess:
    return subprocess.run(
        [python, "run.py", *args], cwd=folder, env=env, capture_output=True, text=True, timeout=300
    )


@pytest.mark.slow
def test_a_real_environment_from_first_run_to_upgrade(tmp_path: Path) -> None:
    """Debian's python3 builds .venv, installs from wheels/ with no index, skips pip when nothing changed,
    reinstalls when requirements.txt changes, rebuilds a broken or moved environment, and explains an
    unreachable index."""
    folder = tmp_path / "程序"
    folder.mkdir()
    shutil.copy(PROJECT_DIR / "run.py", folder / "run.py")
    (folder / "requirements.txt").write_text("fazhi-probe\n")
    _tiny_wheel(folder / "wheels")
    env = _clean_env(tmp_path, PIP_INDEX_URL=UNREACHABLE_INDEX)
    venv = folder / ".venv"

    first = _run_py(folder, "prepare", env=env)
    assert first.returncode == 0, first.stdout + first.stderr
    lines = first.stdout.splitlines()
    assert lines[:3] == [
        "第一次运行：正在建立运行环境……",
        "正在从 wheels 文件夹安装所需的软件包（不需要联网），约需一两分钟……",
        "  · fazhi_probe",
    ]
    assert lines[-1] == f"运行环境已就绪：{venv}" and first.stderr == ""
    marker = run.read_marker(venv)
    assert marker["location"] == str(venv) and marker["python"] == "{}.{}".format(*sys.version_info[:2])
    assert marker["installed"] == {"requirements.txt": run.requirements_hash(folder / "requirements.txt")}
    probe = [str(run.venv_python(venv)), "-c", "import fazhi_probe; print(fazhi_probe.VERSION)"]
    assert subprocess.run(probe, capture_output=True, text=True).stdout == "1.0\n"

    again = _run_py(folder, "prepare", env=env)
    assert again.stdout == f"运行环境已就绪：{venv}\n"  # unchanged: no pip, nothing rebuilt

    _tiny_wheel(folder / "wheels", "2.0")
    (folder / "requirements.txt").write_text("fazhi-probe>=2\n")
    upgraded = _run_py(folder, "prepare", env=env)
    assert upgraded.stdout.startswith("正在从 wheels 文件夹安装所需的软件包（不需要联网）"), upgraded.stderr
    assert subprocess.run(probe, capture_output=True, text=True).stdout == "2.0\n"

    run.venv_python(venv).unlink()
    broken = _run_py(folder, "prepare", env=env)
    assert broken.stdout.splitlines()[:2] == [
        "运行环境不完整，正在重新建立……",
        "正在从 wheels 文件夹安装所需的软件包（不需要联网），约需一两分钟……",
    ]
    moved = tmp_path / "新位置"
    folder.rename(moved)
    result = _run_py(moved, "prepare", env=env)
    assert result.stdout.splitlines()[0] == "程序文件夹已移动，正在重新建立运行环境……", result.stderr
    assert run.read_marker(moved / ".venv")["location"] == str(moved / ".venv")

    shutil.rmtree(moved / "wheels")  # no bundle now: pip asks the index, which cannot be reached
    (moved / "requirements.txt").write_text("fazhi-probe>=3\n")
    failed = _run_py(moved, "prepare", env={**env, "PIP_RETRIES": "0", "PIP_TIMEOUT": "2"})
    assert failed.returncode == 1
    assert failed.stdout == "requirements.txt 有变化（程序已升级），正在更新软件包，需要联网……\n"
    assert failed.stderr.startswith("安装软件包失败。请检查网络连接后重新运行。\n")
    assert "pip config set global.index-url https://pypi.tuna.tsinghua.edu.cn/simple" in failed.stderr
    assert "Traceback" not in failed.stderr
    assert (moved / ".venv" / run.PIP_LOG).read_text(encoding="utf-8").count("fazhi-probe") >= 1


_OTHER_PYTHON = next(
    (p for p in (shutil.which(f"python3.{minor}") for minor in (13, 12)) if p and "pyenv" not in p), None
) or next((str(p) for p in sorted(Path.home().glob(".pyenv/versions/3.1[23]*/bin/python3"))), None)


@pytest.mark.slow
@pytest.mark.skipif(_OTHER_PYTHON is None, reason="没有 Python 3.12 或 3.13")
def test_an_environment_of_another_python_is_rebuilt(tmp_path: Path) -> None:
    shutil.copy(PROJECT_DIR / "run.py", tmp_path / "run.py")
    (tmp_path / "requirements.txt").write_text("")
    env = _clean_env(tmp_path)
    assert _run_py(tmp_path, "prepare", env=env, python=_OTHER_PYTHON).returncode == 0
    other = run.read_marker(tmp_path / ".venv")["python"]
    result = _run_py(tmp_path, "prepare", env=env)
    mine = "{}.{}".format(*sys.version_info[:2])
    assert (
        result.stdout.splitlines()[0]
        == f"运行环境是用 Python {other} 建立的，现在是 Python {mine}，正在重新建立……"
    )
    assert run.read_marker(tmp_path / ".venv")["python"] == mine


def _suite_environment() -> Path:
    """This test run's own environment when run.py manages it and would use it as it is (python3 run.py
    test made it); starting the app on it must never rebuild or reinstall it."""
    venv = Path(sys.prefix)
    marker = run.read_marker(venv)
    usable = run.venv_problem(venv) is None and marker.get("installed", {}).get(
        "requirements.txt"
    ) == run.requirements_hash(PROJECT_DIR / "requirements.txt")
    if not usable:
        if os.environ.get("CI") == "true":
            pytest.fail("CI runs the suite with python3 run.py test, so its environment is run.py's")
        pytest.skip("测试不是用 python3 run.py test 运行的（其运行环境不归 run.py 管理）")
    return venv


def test_run_py_starts_the_app_without_pip_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    venv = _suite_environment()
    port = _free_port()
    env = _clean_env(tmp_path, FAZHI_VENV=str(venv), FAZHI_DB=str(tmp_path / "fazhi.duckdb"))
    log = tmp_path / "run.log"
    process = subprocess.Popen(
        [SYSTEM_PYTHON, str(PROJECT_DIR / "run.py"), "--address", "127.0.0.1", "--port", str(port)],
        cwd=tmp_path, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        _wait_until_up(f"http://127.0.0.1:{port}", process, log)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=10) as response:
            assert response.read() == b"ok"
        busy = _run_py(PROJECT_DIR, "--port", str(port), env=env)
        assert busy.returncode == 1 and busy.stderr.startswith(
            f"端口 {port} 已被占用：法治工作台可能已经在运行"
        )
    finally:
        process.send_signal(signal.SIGINT)  # what Ctrl+C sends
        code = process.wait(timeout=30)
    assert code == 0
    text = log.read_text(encoding="utf-8")
    assert text.splitlines()[:8] == [
        "",
        "=" * 60,
        "  法治政府建设工作台",
        f"  数据文件：{tmp_path / 'fazhi.duckdb'}",
        "",
        f"本机浏览器打开：http://127.0.0.1:{port}",
        "现在只允许本机访问。要让同事访问，请把监听地址改为 0.0.0.0（见 README“局域网部署”）。",
        "",
    ]
    assert "正在" not in text and "Traceback" not in text  # nothing installed, nothing rebuilt
    assert "KeyboardInterrupt" not in text  # a clean stop (server.py: status 0, as the code above checked)


def test_run_py_runs_the_command_line_tools_in_the_environment(tmp_path: Path) -> None:
    env = _clean_env(tmp_path, FAZHI_VENV=str(_suite_environment()))
    result = _run_py(PROJECT_DIR, "check", env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("目录检查通过：2 版纲要，")
    result = _run_py(PROJECT_DIR, "address", "--address", "127.0.0.1", "--port", "9000", env=env)
    assert result.stdout.splitlines()[0] == "本机浏览器打开：http://127.0.0.1:9000"
    assert _run_py(PROJECT_DIR, "check", "extra", env=env).returncode == 2  # python -m fazhi's own answer
    assert _run_py(PROJECT_DIR, "prepare", "extra", env=env).returncode == 2


def test_python3_cmd_for_windows_cmd() -> None:
    """python3.cmd: what cmd runs for `python3 run.py`; checked statically (no Windows here)."""
    raw = (PROJECT_DIR / "python3.cmd").read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf") and b"\n" not in raw.replace(b"\r\n", b"")
    head, _, rest = raw.partition(b"\r\nchcp 65001 >nul\r\n")
    assert rest and head.isascii()  # read before the switch to UTF-8
    text = raw.decode("utf-8")
    assert text.index("py -3 -c") < text.index("python -c")  # the launcher first, then python on PATH
    assert "py -3 %*" in text and "python %*" in text
    commands = [line for line in text.splitlines() if not line.startswith(("rem ", "echo "))]
    assert not [line for line in commands if "python3" in line]  # it would find itself again
    labels = set(re.findall(r"^:(\w+)", text, flags=re.M))
    assert set(re.findall(r"goto :(\w+)", text)) <= labels
    assert not [line for line in text.splitlines() if line.rstrip().endswith("(")]
    assert "*.cmd -text" in (PROJECT_DIR / ".gitattributes").read_text().splitlines()

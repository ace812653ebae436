"""python -m fazhi bundle: targets, the completeness check with the target's markers and tags, the files
shipped, and real bundles: the Linux one installed with no network and serving the app, the Windows one
complete. The real ones download ~150 MB from PyPI the first time (cached in ~/.cache/fazhi-bundle-test)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import urllib.request
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from fazhi import bundle
from fazhi.__main__ import main
from fazhi.errors import BundleError
from fazhi.settings import PROJECT_DIR
from tests.e2e.conftest import _free_port, _wait_until_up
from tests.test_bootstrap import SYSTEM_PYTHON, _clean_env

CACHE = Path.home() / ".cache" / "fazhi-bundle-test"


def test_targets() -> None:
    windows = bundle.target("win_amd64", "3.11")
    assert (windows.pip_platforms, windows.python, windows.windows) == (("win_amd64",), (3, 11), True)
    assert windows.markers["sys_platform"] == "win32" and windows.markers["platform_system"] == "Windows"
    assert windows.label == "Windows（win_amd64）、Python 3.11"
    linux = bundle.target("linux", "312")
    assert linux.platform == "manylinux_2_28_x86_64" and linux.version == "3.12"
    assert linux.pip_platforms[:2] == ("manylinux_2_28_x86_64", "manylinux_2_27_x86_64")
    assert linux.pip_platforms[-4:] == (
        "manylinux_2_5_x86_64", "manylinux2014_x86_64", "manylinux2010_x86_64", "manylinux1_x86_64",
    )  # fmt: skip
    assert linux.label == "Linux（manylinux_2_28_x86_64，glibc 2.28 及以上）、Python 3.12"
    assert bundle.target("manylinux_2_17_x86_64", "3.11").pip_platforms[0] == "manylinux_2_17_x86_64"
    assert bundle.target("manylinux_2_31_aarch64", "3.11").markers["platform_machine"] == "aarch64"
    for platform, python, message in [
        ("macosx_11_0_arm64", "3.11", "不支持的平台“macosx_11_0_arm64”。可用：win_amd64（64 位 Windows）"),
        ("win_amd64", "3.10", "本程序需要 Python 3.11 或更新版本，不能为 Python 3.10 制作安装包。"),
        ("win_amd64", "three", "--python 应写成 3.11 这样的版本号，而不是“three”。"),
    ]:
        with pytest.raises(BundleError) as refused:
            bundle.target(platform, python)
        assert refused.value.message.startswith(message)


def _wheel(
    folder: Path,
    name: str,
    version: str,
    tag: str = "py3-none-any",
    requires: tuple[str, ...] = (),
    python: str = "",
) -> Path:
    """A wheel file with just enough metadata for the completeness check (and pip's dry run)."""
    folder.mkdir(exist_ok=True)
    path = folder / f"{name}-{version}-{tag}.whl"
    info = f"{name}-{version}.dist-info"
    metadata = f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
    metadata += f"Requires-Python: {python}\n" if python else ""
    metadata += "".join(f"Requires-Dist: {line}\n" for line in requires)
    files = {
        f"{name}/__init__.py": "",
        f"{info}/METADATA": metadata,
        f"{info}/WHEEL": f"Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: {tag}\n",
    }
    with zipfile.ZipFile(path, "w") as archive:
        for member, text in files.items():
            archive.writestr(member, text)
        archive.writestr(f"{info}/RECORD", "")
    return path


def test_the_check_uses_the_targets_markers_and_tags(tmp_path: Path) -> None:
    """pip on Linux would skip a Windows-only dependency; the check for a Windows bundle does not."""
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("# 运行所需\nalpha>=1  # the app\n")
    wheels = tmp_path / "wheels"
    _wheel(
        wheels,
        "alpha",
        "1.0",
        requires=("beta>=2", "colorama; sys_platform == 'win32'", "gamma; extra == 'x'"),
    )
    _wheel(wheels, "beta", "2.0", "cp311-cp311-win_amd64")
    _wheel(wheels, "beta", "1.0")  # too old for alpha: not chosen, not shipped
    windows, linux = bundle.target("win_amd64", "3.11"), bundle.target("linux", "3.11")
    problems, used = bundle.missing(windows, wheels, requirements)
    assert problems == ["colorama（alpha 1.0 需要）"]
    assert [path.name for path in used] == [
        "alpha-1.0-py3-none-any.whl",
        "beta-2.0-cp311-cp311-win_amd64.whl",
    ]
    assert bundle.missing(linux, wheels, requirements)[0] == ["beta>=2（alpha 1.0 需要）"]  # a Windows wheel
    _wheel(wheels, "colorama", "0.4.6")
    assert bundle.missing(windows, wheels, requirements)[0] == []
    assert bundle.missing(bundle.target("win_amd64", "3.12"), wheels, requirements)[0] == [
        "beta>=2（alpha 1.0 需要）"  # a cp311 wheel does not install on Python 3.12
    ]
    requirements.write_text("delta\n")
    assert bundle.missing(windows, wheels, requirements)[0] == ["delta（requirements.txt 需要）"]


def test_requires_python_is_checked_for_the_target_python(tmp_path: Path) -> None:
    """A bundle for Python 3.12 made with another Python: the wheels' Requires-Python is the target's concern
    (pip's own dry run would compare it with the Python running pip)."""
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("alpha\n")
    _wheel(tmp_path / "wheels", "alpha", "1.0", python=">=3.12")
    newer, older = bundle.target("linux", "3.12"), bundle.target("linux", "3.11")
    assert bundle.missing(newer, tmp_path / "wheels", requirements)[0] == []
    assert bundle.missing(older, tmp_path / "wheels", requirements)[0] == ["alpha（requirements.txt 需要）"]
    assert bundle.pip_check(newer, tmp_path / "wheels", requirements) == []


def _program(root: Path) -> Path:
    """A program folder with what a bundle needs (outside git, so every matching file is shipped)."""
    root.mkdir()
    for name in bundle.NEEDED:
        (root / name).write_text("x")
    (root / "requirements.txt").write_text("alpha\n")
    (root / "fazhi" / "__pycache__").mkdir(parents=True)
    (root / "fazhi" / "__init__.py").write_text("")
    (root / "fazhi" / "__pycache__" / "x.pyc").write_text("")
    (root / "tests").mkdir()
    (root / "tests" / "test_x.py").write_text("")
    return root


def test_nothing_is_written_when_a_dependency_is_missing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _program(tmp_path / "program")
    monkeypatch.setattr(
        bundle, "download", lambda t, r, dest, cache, say: _wheel(dest, "alpha", "1.0", requires=("beta",))
    )
    out = tmp_path / "out.zip"
    with pytest.raises(BundleError) as refused:
        bundle.build(out, "win_amd64", "3.11", root=root, say=lambda line: None)
    assert refused.value.message == (
        "离线安装包不完整，没有生成：下载到的软件包不能在 Windows（win_amd64）、Python 3.11 上安装这些依赖："
        "beta（alpha 1.0 需要）。"
    )
    assert list(tmp_path.glob("out.zip*")) == []


def test_a_bundle_has_one_folder_the_program_and_its_wheels(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _program(tmp_path / "program")
    monkeypatch.setattr(bundle, "download", lambda t, r, dest, cache, say: _wheel(dest, "alpha", "1.0"))
    made = bundle.build(tmp_path / "out.zip", "linux", "3.11", root=root, say=lambda line: None)
    with zipfile.ZipFile(made.path) as archive:
        names = sorted(archive.namelist())
        info = json.loads(archive.read("fazhi-gongzuotai/wheels/bundle.json"))
    assert names == sorted(
        [f"fazhi-gongzuotai/{name}" for name in [*bundle.NEEDED, "fazhi/__init__.py"]]
        + ["fazhi-gongzuotai/wheels/alpha-1.0-py3-none-any.whl", "fazhi-gongzuotai/wheels/bundle.json"]
    )
    assert (info["platform"], info["python"], info["wheels"]) == (
        "manylinux_2_28_x86_64", "3.11", ["alpha-1.0-py3-none-any.whl"],
    )  # fmt: skip
    assert (made.files, made.wheels) == (7, 1)


def test_a_cache_that_holds_everything_needs_no_network(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _program(tmp_path / "program")
    cache = tmp_path / "cache"
    _wheel(cache, "alpha", "1.0")
    _wheel(cache, "alpha", "0.9")  # an older one kept from before: not shipped
    monkeypatch.setattr(bundle, "download", lambda *args: pytest.fail("the cache had every wheel"))
    said: list[str] = []
    made = bundle.build(tmp_path / "out.zip", "linux", "3.11", root=root, cache=cache, say=said.append)
    assert said[1] == f"{cache} 中已有所需的全部软件包，不再联网下载。"
    with zipfile.ZipFile(made.path) as archive:
        assert [n for n in archive.namelist() if n.endswith(".whl")] == [
            "fazhi-gongzuotai/wheels/alpha-1.0-py3-none-any.whl"
        ]


def test_kept_versions_that_do_not_fit_together_are_downloaded_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each requirement finds a kept wheel, but pip cannot install gamma <2 and >=2 at once."""
    root = _program(tmp_path / "program")
    (root / "requirements.txt").write_text("alpha\nbeta\n")
    cache = tmp_path / "cache"
    _wheel(cache, "alpha", "1.0", requires=("gamma<2",))
    _wheel(cache, "beta", "1.0", requires=("gamma>=2",))
    _wheel(cache, "gamma", "1.0")
    _wheel(cache, "gamma", "2.0")
    downloads: list[Path] = []

    def download(target_, requirements, dest, cache_, say) -> None:  # what pip resolves today
        downloads.append(dest)
        for name, version, requires in [
            ("alpha", "1.0", ("gamma<2",)),
            ("beta", "1.1", ()),
            ("gamma", "1.0", ()),
        ]:
            _wheel(dest, name, version, requires=requires)

    monkeypatch.setattr(bundle, "download", download)
    said: list[str] = []
    made = bundle.build(tmp_path / "out.zip", "linux", "3.11", root=root, cache=cache, say=said.append)
    assert len(downloads) == 1 and "已有的软件包版本互不相容，正在重新下载……" in said
    with zipfile.ZipFile(made.path) as archive:
        wheels = sorted(n.rsplit("/", 1)[1] for n in archive.namelist() if n.endswith(".whl"))
    assert wheels == ["alpha-1.0-py3-none-any.whl", "beta-1.1-py3-none-any.whl", "gamma-1.0-py3-none-any.whl"]


def test_the_program_files_are_what_git_tracks_minus_development(monkeypatch: pytest.MonkeyPatch) -> None:
    tracked = bundle._tracked(PROJECT_DIR)
    if tracked is None:
        pytest.skip("不是 git 检出的程序文件夹")
    shipped = bundle.app_files()
    development = {".gitignore", ".gitattributes", "pyproject.toml", "requirements-dev.txt"}
    left_out = {name for name in tracked - set(shipped) if (PROJECT_DIR / name).exists()}
    assert {name for name in left_out if name.split("/")[0] not in ("tests", "docs", ".ci")} == development
    for name in ["app.py", "server.py", "run.py", "python3.cmd", "start.bat", "requirements.txt", "README.md",
                 "fazhi/bundle.py", "fazhi/migrations/0001_initial.sql", "pages/home.py", "data/areas.toml",
                 "data/report_template.docx", ".streamlit/config.toml", "deploy/fazhi.service"]:  # fmt: skip
        assert name in shipped, name
    monkeypatch.setattr(bundle, "_tracked", lambda root: None)  # a copy without git: the same files
    assert set(shipped) <= set(bundle.app_files())


def test_the_command_explains_mistakes(capsys) -> None:
    assert main(["bundle", "--platform", "macos"]) == 2
    assert capsys.readouterr().err.startswith("错误：不支持的平台“macos”。可用：win_amd64（64 位 Windows）")


# ───────────── real bundles (PyPI) ─────────────


@pytest.fixture(scope="module")
def pypi_only() -> Iterator[None]:
    """Download as a machine with nothing but PyPI would: no pip configuration of this one."""
    with pytest.MonkeyPatch.context() as patch:
        for name in [
            k for k in os.environ if k.startswith("PIP_") and k not in ("PIP_CERT", "PIP_DEFAULT_TIMEOUT")
        ]:
            patch.delenv(name)
        patch.setenv("PIP_CONFIG_FILE", os.devnull)
        yield


def _no_network(command: list[str]) -> list[str]:
    """The command in a network namespace of its own (no network at all) when this machine allows it."""
    unshare = shutil.which("unshare")
    if unshare and subprocess.run([unshare, "-n", "true"], capture_output=True).returncode == 0:
        return [unshare, "-n", *command]
    return command


@pytest.fixture(scope="module")
def linux_bundle(tmp_path_factory: pytest.TempPathFactory, pypi_only: None) -> bundle.Bundle:
    out = tmp_path_factory.mktemp("bundle") / "法治工作台-离线安装包.zip"
    return bundle.build(out, "linux", "3.11", cache=CACHE, say=lambda line: None)


@pytest.mark.slow
@pytest.mark.xdist_group("bundle-cache")  # one process at a time downloads into CACHE
def test_the_linux_bundle_installs_offline_and_serves_the_app(
    linux_bundle: bundle.Bundle, tmp_path: Path
) -> None:
    with zipfile.ZipFile(linux_bundle.path) as archive:
        names = archive.namelist()
        archive.extractall(tmp_path)
    assert {name.split("/")[0] for name in names} == {"fazhi-gongzuotai"} and all(n.isascii() for n in names)
    assert not [n for n in names if "/tests/" in n or "/.venv/" in n or n.endswith((".duckdb", ".pyc"))]
    folder = tmp_path / "fazhi-gongzuotai"
    env = _clean_env(tmp_path, PIP_NO_INDEX="1", FAZHI_DB=str(tmp_path / "data" / "fazhi.duckdb"))

    installed = subprocess.run(
        _no_network([SYSTEM_PYTHON, "run.py", "prepare"]), cwd=folder, env=env, capture_output=True, text=True,
        timeout=600,
    )  # fmt: skip
    assert installed.returncode == 0, installed.stdout + installed.stderr
    lines = installed.stdout.splitlines()
    assert lines[:2] == [
        "第一次运行：正在建立运行环境……",
        "正在从 wheels 文件夹安装所需的软件包（不需要联网），约需一两分钟……",
    ]
    assert lines[-1] == f"运行环境已就绪：{folder / '.venv'}"

    checked = subprocess.run(
        [SYSTEM_PYTHON, "run.py", "check"], cwd=folder, env=env, capture_output=True, text=True
    )
    assert checked.returncode == 0 and checked.stdout.startswith("目录检查通过："), checked.stderr

    port = _free_port()
    log = tmp_path / "app.log"
    process = subprocess.Popen(
        [SYSTEM_PYTHON, "run.py", "--address", "127.0.0.1", "--port", str(port)],
        cwd=folder, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        _wait_until_up(f"http://127.0.0.1:{port}", process, log, timeout=120)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=10) as response:
            assert response.read() == b"ok"
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10) as response:
            assert response.status == 200 and '<div id="root">' in response.read().decode("utf-8")
    finally:
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=30) == 0
    text = log.read_text(encoding="utf-8")
    assert f"本机浏览器打开：http://127.0.0.1:{port}" in text
    assert "正在" not in text and "Traceback" not in text  # prepared already: no pip


@pytest.mark.slow
@pytest.mark.xdist_group("bundle-cache")
def test_the_windows_bundle_is_complete(tmp_path: Path, pypi_only: None) -> None:
    made = bundle.build(tmp_path / "win.zip", "win_amd64", "3.11", cache=CACHE, say=lambda line: None)
    with zipfile.ZipFile(made.path) as archive:
        names = archive.namelist()
        info = json.loads(archive.read("fazhi-gongzuotai/wheels/bundle.json"))
        start = archive.read("fazhi-gongzuotai/start.bat")
        python3 = archive.read("fazhi-gongzuotai/python3.cmd")
    assert info["platform"] == "win_amd64" and info["python"] == "3.11"
    wheels = [name.rsplit("/", 1)[1] for name in names if name.endswith(".whl")]
    assert len(wheels) == made.wheels and wheels == sorted(info["wheels"])
    for package in ("duckdb", "numpy", "pandas", "pyarrow", "argon2_cffi_bindings"):
        assert [w for w in wheels if w.startswith(package + "-") and w.endswith("win_amd64.whl")], package
    assert b"\r\n" in start and b"\n" not in start.replace(b"\r\n", b"")  # CRLF survived
    assert b"\n" not in python3.replace(b"\r\n", b"")

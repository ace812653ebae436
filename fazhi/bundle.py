"""The offline installation bundle: the program's files and a wheel of every requirement for one platform
and Python, in one zip whose run.py installs from its wheels/ folder with no network at all.

Over 400 lines because the two completeness checks (`missing` over the wheels' own metadata, then pip's
dry run from the wheels alone) stay beside the download they check: a bundle that lacks one wheel fails
on an office PC with no network, so what is fetched and what is verified change together.
"""

from __future__ import annotations

import email.parser
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import SpecifierSet
from packaging.tags import Tag, compatible_tags, cpython_tags
from packaging.utils import InvalidWheelFilename, canonicalize_name, parse_wheel_filename
from packaging.version import Version

from fazhi.errors import BundleError
from fazhi.settings import PROJECT_DIR

TOP = "fazhi-gongzuotai"  # the zip's one folder; ASCII: Windows Explorer's unzip garbles other names
INFO = "bundle.json"  # inside wheels/: what the bundle was made for (run.py reads it before pip)
MIRROR = "https://pypi.tuna.tsinghua.edu.cn/simple"

# What the program needs at run time, as globs under the program folder; a git checkout contributes only
# the files git tracks (tests/test_bundle.py makes every tracked file either listed here or left out).
APP_FILES = (
    "app.py",
    "server.py",
    "run.py",
    "python3.cmd",
    "start.bat",
    "requirements.txt",
    "README.md",
    "fazhi/**/*",
    "pages/*.py",
    "data/*.toml",
    "data/report_template.docx",
    ".streamlit/config.toml",
    "deploy/*",
)
NEEDED = ("app.py", "server.py", "run.py", "python3.cmd", "start.bat", "requirements.txt")

# pip evaluates environment markers (`; sys_platform == "win32"`) for the computer it runs on, even with
# --platform (pypa/pip#11664): run it with the target's marker environment instead.
_PIP_FOR_TARGET = """\
import json, sys
target = json.loads(sys.argv.pop(1))
try:
    from pip._vendor.packaging import markers
    markers.default_environment = lambda: dict(target)
except Exception:  # a pip without this module: missing() below still checks with the target's markers
    pass
from pip._internal.cli.main import main
sys.exit(main(sys.argv[1:]))
"""


@dataclass(frozen=True)
class Target:
    """The computer a bundle is for: its wheel platform tags (best first), Python and marker environment."""

    platform: str
    python: tuple[int, int]
    pip_platforms: tuple[str, ...]
    markers: dict[str, str]

    @property
    def windows(self) -> bool:
        """True for a Windows bundle (start.bat), False for Linux (python3 run.py)."""
        return self.platform.startswith("win")

    @property
    def version(self) -> str:
        """'3.11'."""
        return f"{self.python[0]}.{self.python[1]}"

    @property
    def label(self) -> str:
        """How the bundle's target is named in messages: 'Windows（win_amd64）、Python 3.11'."""
        if self.windows:
            return f"Windows（{self.platform}）、Python {self.version}"
        glibc = re.match(r"manylinux_(\d+)_(\d+)_", self.platform)
        floor = f"，glibc {glibc[1]}.{glibc[2]} 及以上" if glibc else ""
        return f"Linux（{self.platform}{floor}）、Python {self.version}"

    def supported_tags(self) -> set[Tag]:
        """Every wheel tag a CPython of this version on this platform installs."""
        tags = set(cpython_tags(self.python, platforms=self.pip_platforms))
        return tags | set(
            compatible_tags(self.python, f"cp{self.python[0]}{self.python[1]}", self.pip_platforms)
        )


_MANYLINUX = re.compile(r"manylinux_2_(\d+)_(x86_64|aarch64)")
_LEGACY = {
    "x86_64": [("manylinux2014", 17), ("manylinux2010", 12), ("manylinux1", 5)],
    "aarch64": [("manylinux2014", 17)],
}
PLATFORM_HELP = (
    "可用：win_amd64（64 位 Windows）、linux（64 位 Linux，即 manylinux_2_28_x86_64：glibc 2.28 及以上，"
    "如 Debian 10、Ubuntu 20.04 及更新的系统），或 manylinux_2_NN_x86_64、manylinux_2_NN_aarch64"
)


def _markers(python: tuple[int, int], windows: bool, machine: str) -> dict[str, str]:
    full = f"{python[0]}.{python[1]}.0"
    return {
        "implementation_name": "cpython",
        "implementation_version": full,
        "os_name": "nt" if windows else "posix",
        "platform_machine": machine,
        "platform_python_implementation": "CPython",
        "platform_release": "",
        "platform_system": "Windows" if windows else "Linux",
        "platform_version": "",
        "python_full_version": full,
        "python_version": f"{python[0]}.{python[1]}",
        "sys_platform": "win32" if windows else "linux",
    }


def target(platform: str | None = None, python: str | None = None) -> Target:
    """The target named on the command line; this computer's platform and Python when left out."""
    if not python:
        version = sys.version_info[:2]
    else:
        match = re.fullmatch(r"\s*3\.?(\d+)\s*", python)
        if not match:
            raise BundleError(f"--python 应写成 3.11 这样的版本号，而不是“{python}”。")
        version = (3, int(match[1]))
    if version < (3, 11):
        raise BundleError(
            f"本程序需要 Python 3.11 或更新版本，不能为 Python {version[0]}.{version[1]} 制作安装包。"
        )
    name = (platform or ("win_amd64" if sys.platform == "win32" else "linux")).strip().lower()
    if name in ("win_amd64", "windows", "win"):
        return Target("win_amd64", version, ("win_amd64",), _markers(version, True, "AMD64"))
    if name == "linux":
        name = "manylinux_2_28_x86_64"
    match = _MANYLINUX.fullmatch(name)
    if not match:
        raise BundleError(f"不支持的平台“{platform}”。{PLATFORM_HELP}。")
    glibc, arch = int(match[1]), match[2]
    tags = [f"manylinux_2_{minor}_{arch}" for minor in range(glibc, 4, -1)]
    tags += [f"{alias}_{arch}" for alias, minor in _LEGACY[arch] if minor <= glibc]
    return Target(name, version, tuple(tags), _markers(version, False, arch))


# ───────────── the program's files ─────────────


def _tracked(root: Path) -> set[str] | None:
    """The files git tracks under `root` (posix paths), or None when it is no git checkout or git is missing."""
    try:
        top = subprocess.run(
            ["git", "rev-parse", "--show-toplevel"], cwd=root, capture_output=True, timeout=60, check=True
        )
        if Path(top.stdout.decode("utf-8").strip()).resolve() != root.resolve():
            return None  # an unzipped bundle inside someone's repository is no checkout of the program
        listed = subprocess.run(
            ["git", "ls-files", "-z"], cwd=root, capture_output=True, timeout=60, check=True
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return {name for name in listed.stdout.decode("utf-8").split("\0") if name}


def app_files(root: Path = PROJECT_DIR) -> list[str]:
    """The program's files to ship, as posix paths relative to `root`, sorted: APP_FILES that exist,
    without caches, and only what git tracks when `root` is a checkout."""
    found = set()
    for pattern in APP_FILES:
        for path in root.glob(pattern):
            relative = path.relative_to(root)
            if path.is_file() and "__pycache__" not in relative.parts and path.suffix != ".pyc":
                found.add(relative.as_posix())
    tracked = _tracked(root)
    return sorted(found if tracked is None else found & tracked)


# ───────────── the wheels ─────────────


def _pip(
    target_: Target, *args: str, isolated: bool = False, say: Callable[[str], None] | None = None
) -> tuple[int, str]:
    """Run pip with the target's marker environment; (exit code, whole output). Isolated: no pip
    configuration or PIP_ variables of this computer, so only the wheels count."""
    env = dict(os.environ, PYTHONIOENCODING="utf-8", PIP_PROGRESS_BAR="off")
    if isolated:
        env = {k: v for k, v in env.items() if not k.startswith("PIP_")}
        env["PIP_CONFIG_FILE"] = os.devnull
    command = [sys.executable, "-c", _PIP_FOR_TARGET, json.dumps(target_.markers), *args]
    command += ["--disable-pip-version-check", "--no-input", "--only-binary=:all:", "--implementation", "cp"]
    command += ["--python-version", target_.version]
    for platform in target_.pip_platforms:
        command += ["--platform", platform]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env)
    lines = []
    assert process.stdout is not None  # stdout=PIPE
    for raw in process.stdout:
        line = raw.decode("utf-8", "replace").rstrip()
        lines.append(line)
        if say is not None and line.startswith("Collecting "):
            say("  · " + re.split(r"[<>=!~;\[( ]", line.split(None, 1)[1], maxsplit=1)[0])
    return process.wait(), "\n".join(lines)


def _not_found(output: str) -> list[str]:
    return re.findall(r"No matching distribution found for (.+)", output)


def download(
    target_: Target,
    requirements: Path,
    dest: Path,
    cache: Path | None = None,
    say: Callable[[str], None] = print,
) -> None:
    """pip download every requirement of `requirements` for the target into `dest`; BundleError when pip
    fails, naming the requirements that have no wheel for the target.

    With `cache`, the wheels are downloaded into that folder and kept there (pip skips a file it finds
    already downloaded), and exactly the files pip chose this time are copied into `dest`."""
    store = dest if cache is None else cache
    try:
        store.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise BundleError(f"无法建立下载文件夹 {store}：{error.strerror or error}") from error
    code, output = _pip(target_, "download", "-r", str(requirements), "-d", str(store), say=say)
    if code == 0:
        chosen = re.findall(r"^\s*(?:Saved|File was already downloaded) (.+\.whl)\s*$", output, flags=re.M)
        if store != dest:
            for name in dict.fromkeys(Path(line).name for line in chosen):
                shutil.copy2(store / name, dest / name)
        return
    missing = _not_found(output)
    if missing:
        raise BundleError(
            f"没有找到适用于 {target_.label} 的软件包：{'、'.join(missing)}。"
            "这些软件包的这个版本没有为该平台或 Python 版本提供安装文件（wheel）；"
            "Linux 请试 --platform linux（glibc 2.28 及以上），或换一个 Python 版本。"
        )
    if any(
        sign in output for sign in ("NewConnectionError", "Max retries exceeded", "timed out", "SSLError")
    ):
        raise BundleError(
            "无法从软件包网站下载：请检查网络连接。访问国外网站较慢时，可先运行 "
            f"python -m pip config set global.index-url {MIRROR} 改用清华大学的镜像。"
        )
    errors = [line for line in output.splitlines() if line.startswith("ERROR")] or output.splitlines()[-5:]
    raise BundleError("下载软件包失败：" + "；".join(errors))


def _requirements(path: Path) -> Iterator[Requirement]:
    """The requirements a requirements file lists (following -r), options and comments left out."""
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = re.sub(r"(^|\s)#.*", "", raw).strip()
        if not line:
            continue
        include = re.match(r"^(?:-r|--requirement)(?:\s*=\s*|\s+)?(\S+)$", line)
        if include:
            yield from _requirements(path.parent / include[1])
        elif not line.startswith("-"):
            try:
                yield Requirement(line)
            except InvalidRequirement as error:
                raise BundleError(f"{path.name} 中有一行写法不对：“{line}”（{error}）。") from error


@dataclass(frozen=True)
class _Wheel:
    path: Path
    name: str
    version: Version
    requires: tuple[str, ...]
    requires_python: str


def _wheel(path: Path) -> _Wheel | None:
    try:
        name, version, _, _ = parse_wheel_filename(path.name)
        with zipfile.ZipFile(path) as archive:
            metadata = next(
                n for n in archive.namelist() if n.count("/") == 1 and n.endswith(".dist-info/METADATA")
            )
            headers = email.parser.HeaderParser().parsestr(archive.read(metadata).decode("utf-8", "replace"))
    except (InvalidWheelFilename, OSError, StopIteration, zipfile.BadZipFile):
        return None
    requires = tuple(headers.get_all("Requires-Dist") or ())
    return _Wheel(path, name, version, requires, headers.get("Requires-Python") or "")


def missing(target_: Target, wheels: Path, requirements: Path) -> tuple[list[str], list[Path]]:
    """Check that the wheels alone install every requirement, and theirs, on the target: evaluated with
    the target's markers and wheel tags. Returns (what is missing, in Chinese; the wheels needed)."""

    supported = target_.supported_tags()
    python = Version(target_.markers["python_full_version"])
    available: dict[str, list[_Wheel]] = {}
    for path in sorted(wheels.glob("*.whl")):
        wheel = _wheel(path)
        if wheel is None:
            continue
        _, _, _, tags = parse_wheel_filename(path.name)
        if tags & supported and (not wheel.requires_python or python in SpecifierSet(wheel.requires_python)):
            available.setdefault(wheel.name, []).append(wheel)
    problems: list[str] = []
    used: dict[Path, None] = {}
    visited: set[tuple[str, frozenset[str]]] = set()
    pending = [(requirement, requirements.name) for requirement in _requirements(requirements)]
    while pending:
        requirement, needed_by = pending.pop(0)
        extras = [""] + sorted(requirement.extras)
        if requirement.marker and not any(
            requirement.marker.evaluate({**target_.markers, "extra": extra}) for extra in extras
        ):
            continue
        name = canonicalize_name(requirement.name)
        fitting = [
            w for w in available.get(name, []) if requirement.specifier.contains(w.version, prereleases=True)
        ]
        if not fitting:
            problems.append(f"{requirement.name}{requirement.specifier}（{needed_by} 需要）")
            continue
        best = max(fitting, key=lambda w: w.version)
        used[best.path] = None
        key = (name, frozenset(requirement.extras))
        if key in visited:
            continue
        visited.add(key)
        for line in best.requires:
            dependency = Requirement(line)
            if dependency.marker is None or any(
                dependency.marker.evaluate({**target_.markers, "extra": extra}) for extra in extras
            ):
                dependency.marker = None
                pending.append((dependency, f"{best.name} {best.version}"))
    return list(dict.fromkeys(problems)), list(used)


def pip_check(target_: Target, wheels: Path, requirements: Path) -> list[str]:
    """pip's own dry run from the wheels alone (no index, no configuration of this computer): the
    requirements it cannot resolve, or [] when it would install everything."""
    with tempfile.TemporaryDirectory() as scratch:
        # pip install checks Requires-Python against the Python running it even with --python-version;
        # missing() checks it against the target's, so here only the resolution counts.
        code, output = _pip(
            target_, "install", "--dry-run", "--ignore-installed", "--ignore-requires-python", "--no-index",
            "--find-links", str(wheels), "--target", scratch, "-r", str(requirements), isolated=True,
        )  # fmt: skip
    if code == 0:
        return []
    return _not_found(output) or [line for line in output.splitlines() if line.startswith("ERROR")][-3:]


def _check(target_: Target, wheels: Path, requirements: Path) -> tuple[list[str], list[Path]]:
    """missing(), then pip's resolver as the target's pip will run it (conflicts between versions)."""
    problems, used = missing(target_, wheels, requirements)
    if not problems:
        problems = [f"{name}（pip 检查）" for name in pip_check(target_, wheels, requirements)]
    return problems, used


def _reuse(target_: Target, requirements: Path, cache: Path | None, wheels: Path) -> bool:
    """Copy into `wheels` a set of kept wheels from `cache` that installs everything on the target, when
    the cache holds one (no network then); False when something must be downloaded."""
    if cache is None or not cache.is_dir():
        return False
    problems, used = missing(target_, cache, requirements)
    if problems:
        return False
    for path in used:
        shutil.copy2(path, wheels / path.name)
    return True


# ───────────── the zip ─────────────


@dataclass(frozen=True)
class Bundle:
    """A written bundle: where, for what, and what it holds."""

    path: Path
    target: Target
    files: int
    wheels: int
    size: int
    seconds: float

    @property
    def size_mb(self) -> float:
        """The zip's size in MB."""
        return self.size / 1_000_000


def default_name(target_: Target) -> str:
    """法治工作台-离线安装包-win_amd64-py3.11.zip."""
    return f"法治工作台-离线安装包-{target_.platform}-py{target_.version}.zip"


def build(
    out: Path | None = None,
    platform: str | None = None,
    python: str | None = None,
    *,
    root: Path = PROJECT_DIR,
    cache: Path | None = None,
    say: Callable[[str], None] = print,
) -> Bundle:
    """Download, check and zip a bundle for the target; nothing is written unless every requirement is
    installable from the bundled wheels alone (BundleError naming what is missing)."""
    started = time.monotonic()
    target_ = target(platform, python)
    out = Path(out or default_name(target_))
    files = app_files(root)
    absent = [name for name in NEEDED if name not in files]
    if absent:
        raise BundleError(f"程序文件夹 {root} 不完整，缺少 {'、'.join(absent)}。")
    if not out.parent.is_dir():
        raise BundleError(f"找不到要存放安装包的文件夹 {out.parent}。")
    requirements = root / "requirements.txt"
    say(f"正在制作离线安装包：{target_.label}。")
    with tempfile.TemporaryDirectory() as scratch:
        wheels = Path(scratch) / "wheels"
        wheels.mkdir()
        reused = _reuse(target_, requirements, cache, wheels)
        if reused:
            say(f"{cache} 中已有所需的全部软件包，不再联网下载。")
        else:
            say("正在下载软件包（第一次约 110 MB，视网络情况需要几分钟）……")
            download(target_, requirements, wheels, cache, say)
        problems, used = _check(target_, wheels, requirements)
        if problems and reused:  # the kept versions do not fit together: take what pip chooses today
            for path in wheels.glob("*.whl"):
                path.unlink()
            say("已有的软件包版本互不相容，正在重新下载……")
            download(target_, requirements, wheels, cache, say)
            problems, used = _check(target_, wheels, requirements)
        if problems:
            raise BundleError(
                f"离线安装包不完整，没有生成：下载到的软件包不能在 {target_.label} 上安装这些依赖："
                f"{'；'.join(problems)}。"
            )
        say(f"完整性检查通过：{len(used)} 个软件包足以在 {target_.label} 上不联网安装全部依赖。")
        info = {
            "platform": target_.platform,
            "python": target_.version,
            "made_at": time.strftime("%Y-%m-%d %H:%M:%S"),
            "requirements_sha256": hashlib.sha256(requirements.read_bytes()).hexdigest(),
            "wheels": sorted(path.name for path in used),
        }
        part = out.with_name(out.name + ".part")
        try:
            with zipfile.ZipFile(part, "w", zipfile.ZIP_DEFLATED) as archive:
                for name in files:
                    archive.write(root / name, f"{TOP}/{name}")
                for path in sorted(used):  # wheels are zips already: stored, not compressed again
                    archive.write(path, f"{TOP}/wheels/{path.name}", compress_type=zipfile.ZIP_STORED)
                archive.writestr(f"{TOP}/wheels/{INFO}", json.dumps(info, ensure_ascii=False, indent=2))
            os.replace(part, out)
        except OSError as error:
            part.unlink(missing_ok=True)
            raise BundleError(f"无法写入 {out}：{error.strerror or error}") from error
    return Bundle(out, target_, len(files), len(used), out.stat().st_size, time.monotonic() - started)

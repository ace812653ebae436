#!/usr/bin/env python3
"""法治政府建设工作台的启动程序：`python3 run.py` 启动程序，`python3 run.py test` 运行测试。

Standard library only. It makes the virtual environment (.venv, or $FAZHI_VENV) when it is missing or
broken, installs requirements.txt (or requirements-dev.txt for `test`) only when that file changed since
the last successful install (a hash kept in .venv/fazhi-run.json), from the wheels/ folder without any
index when an offline bundle brought one, and then runs the app, the tests or a `python -m fazhi`
command (`python3 run.py check`, `python3 run.py user passwd admin`) with the environment's Python. Messages are for office staff, in Chinese; a known failure is a message
with what to do, never a traceback.

This file must parse on the old Pythons it refuses (3.6 and later), so: no walrus, no match, no
`from __future__ import annotations`, typing's Optional/List in annotations (see ruff's per-file ignores).
"""

import hashlib
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import List, Optional

ROOT = Path(__file__).resolve().parent
MIN_PYTHON = (3, 11)
MARKER = "fazhi-run.json"  # inside the environment: who made it, where, and which requirements are installed
PIP_LOG = "fazhi-pip.log"  # inside the environment: the last pip run's whole output
APP_REQUIREMENTS = "requirements.txt"
TEST_REQUIREMENTS = "requirements-dev.txt"
WHEELS = "wheels"  # an offline bundle's packages (python -m fazhi bundle)
BUNDLE_INFO = "bundle.json"  # inside wheels/: the platform and Python the bundle was made for
MIRROR = "https://pypi.tuna.tsinghua.edu.cn/simple"
DEFAULT_ADDRESS = "127.0.0.1"
DEFAULT_PORT = 8501
REEXEC = "FAZHI_RUN_REEXEC"  # set when run.py re-ran itself with a newer Python, so it does so only once

USAGE = """用法：
  python3 run.py [--address 地址] [--port 端口] [--open]   启动程序（第一次运行时先建立运行环境）
  python3 run.py test [pytest 的参数……]                    运行测试
  python3 run.py prepare                                   只建立或更新运行环境，不启动（用于服务器）
  python3 run.py 命令 [参数……]                             在运行环境中运行 python -m fazhi 命令，
                                                           如 check、user passwd admin、backup
  --address  监听地址，默认取 .streamlit/config.toml（127.0.0.1，只允许本机访问；0.0.0.0 让同事访问）
  --port     端口，默认取 .streamlit/config.toml（8501）
  --open     程序启动后用本机的浏览器打开"""


class Stop(Exception):
    """A failure the user can act on: `message` is printed as is (Chinese), then run.py exits with `code`."""

    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


def say(message: str = "") -> None:
    """Print a line for the user now (the console may be slow to show buffered output)."""
    print(message, flush=True)


# ───────────── which Python ─────────────


def version_problem(
    version: tuple = tuple(sys.version_info), executable: str = sys.executable
) -> Optional[str]:
    """What to do when this Python is older than 3.11, or None when it will do."""
    if tuple(version[:2]) >= MIN_PYTHON:
        return None
    have = ".".join(str(part) for part in version[:3])
    lines = [f"本程序需要 Python 3.11 或更新版本，现在运行的是 Python {have}（{executable}）。"]
    if sys.platform == "win32":
        lines.append(
            "请从 https://www.python.org/downloads/ 下载安装新版本，安装时勾选“Add python.exe to PATH”，"
            "然后重新运行。"
        )
    else:
        lines.append(
            "请用系统的软件源安装 Python 3.11 或更新版本（例如 Ubuntu 22.04：sudo apt install python3.11 "
            "python3.11-venv），然后重新运行 python3 run.py（会自动改用新版本）。"
        )
    return "\n".join(lines)


def newer_python() -> Optional[str]:
    """A python3.N (N ≥ 11) on PATH, newest first, for a system whose python3 is too old (POSIX only)."""
    if os.name == "nt" or os.environ.get(REEXEC):
        return None
    for minor in range(20, MIN_PYTHON[1] - 1, -1):
        found = shutil.which(f"python3.{minor}")
        if found and subprocess.call([found, "-c", "import venv"], stderr=subprocess.DEVNULL) == 0:
            return found
    return None


# ───────────── the environment ─────────────


def venv_dir(root: Path = ROOT) -> Path:
    """Where the environment lives: $FAZHI_VENV, else .venv beside run.py."""
    configured = os.environ.get("FAZHI_VENV", "").strip()
    return Path(os.path.abspath(os.path.expanduser(configured))) if configured else root / ".venv"


def venv_python(venv: Path) -> Path:
    """The environment's python executable."""
    return venv / "Scripts" / "python.exe" if os.name == "nt" else venv / "bin" / "python"


def read_marker(venv: Path) -> dict:
    """What run.py wrote when it made the environment (empty when absent or unreadable)."""
    try:
        data = json.loads((venv / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def write_marker(venv: Path, data: dict) -> None:
    """Save the marker atomically (an interrupted write never leaves half a file)."""
    target = venv / MARKER
    part = target.with_name(MARKER + ".part")
    part.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")
    os.replace(str(part), str(target))


def _same_path(a: str, b: str) -> bool:
    return os.path.normcase(os.path.abspath(a)) == os.path.normcase(os.path.abspath(b))


def probe_version(python: Path) -> Optional[str]:
    """The "3.11" of the environment's python, or None when it does not run (its base Python is gone)."""
    try:
        result = subprocess.run(
            [str(python), "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            timeout=60,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    text = result.stdout.decode("ascii", "replace").strip()
    return text if result.returncode == 0 and re.fullmatch(r"\d+\.\d+", text) else None


def venv_problem(venv: Path, version: tuple = tuple(sys.version_info)) -> Optional[str]:
    """Why the environment must be (re)built, as the message to show; None when it can be used."""
    if not venv.exists():
        return "第一次运行：正在建立运行环境……"
    python = venv_python(venv)
    marker = read_marker(venv)
    if not python.exists() or not (venv / "pyvenv.cfg").exists():
        return "运行环境不完整，正在重新建立……"
    if not marker:
        return "运行环境是旧版程序建立的（或上次没有建完），正在重新建立……"
    if not _same_path(str(marker.get("location", "")), str(venv)):
        return "程序文件夹已移动，正在重新建立运行环境……"
    found = probe_version(python)
    if found is None:
        return "运行环境已损坏（建立它的 Python 可能已卸载或升级），正在重新建立……"
    wanted = "{}.{}".format(*version[:2])
    made = str(marker.get("python", found))  # after a system upgrade bin/python may run a newer Python
    if wanted not in (found, made) or found != made:
        return f"运行环境是用 Python {made} 建立的，现在是 Python {wanted}，正在重新建立……"
    return None


def _permission_message(place: Path) -> str:
    return (
        f"没有写入权限：无法在 {place} 建立或更新运行环境。\n"
        "请把程序文件夹放到自己有权写入的位置（如 D:\\法治工作台 或自己的主目录）后重新运行；"
        "Linux 服务器上请以 root 身份运行一次 python3 run.py prepare，"
        "或设置环境变量 FAZHI_VENV 指向一个可以写入的文件夹。"
    )


def remove_venv(venv: Path) -> None:
    """Delete an old environment, but only something that is one (pyvenv.cfg inside) or an empty folder."""
    if _same_path(sys.prefix, str(venv)):
        raise Stop(
            f"run.py 正在用 {venv} 里的 Python 运行，不能重建它。请用系统的 Python 运行："
            "先 deactivate（或打开新的命令行窗口），再运行 python3 run.py。"
        )
    if not venv.is_dir() or not ((venv / "pyvenv.cfg").exists() or not any(venv.iterdir())):
        raise Stop(
            f"{venv} 不是运行环境，run.py 不会删除它。请把它移走，或用环境变量 FAZHI_VENV 指定另一个文件夹。"
        )

    def writable_then_retry(function, path, _info) -> None:  # Windows refuses to delete read-only files
        os.chmod(path, 0o700)
        function(path)

    handler = {"onexc" if sys.version_info >= (3, 12) else "onerror": writable_then_retry}
    try:
        shutil.rmtree(str(venv), **handler)
    except OSError:
        raise Stop(
            f"无法删除旧的运行环境 {venv}：文件正被使用，或没有权限。\n"
            "请先关闭正在运行的法治工作台（其他命令行窗口），然后重新运行。"
        ) from None


def _has_ensurepip() -> bool:
    import importlib.util

    try:
        return importlib.util.find_spec("ensurepip") is not None
    except (ImportError, ValueError):
        return False


def no_venv_message(version: tuple = tuple(sys.version_info)) -> str:
    """What to do when this Python cannot make virtual environments."""
    if sys.platform.startswith("linux"):
        return (
            "这台电脑的 Python 缺少建立运行环境的组件（venv）。\n"
            "请先运行 sudo apt install python3-venv（若仍出现本提示，再运行 sudo apt install "
            "python{}.{}-venv），然后重新运行。".format(*version[:2])
        )
    return (
        "这台电脑的 Python 缺少建立运行环境的组件（venv、ensurepip）。"
        "请重新安装 Python（从 https://www.python.org/downloads/ 下载，安装时保留 pip），然后重新运行。"
    )


def create_venv(venv: Path) -> None:
    """Make the environment with pip in it (ensurepip: no network needed), then write its marker."""
    if not _has_ensurepip():
        raise Stop(no_venv_message())
    try:
        venv.mkdir(parents=True, exist_ok=True)
        probe = venv / "fazhi-write-test"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError:
        raise Stop(_permission_message(venv)) from None
    result = subprocess.run(
        [sys.executable, "-m", "venv", str(venv)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    output = result.stdout.decode("utf-8", "replace")
    if result.returncode != 0 or probe_version(venv_python(venv)) is None:
        if "ensurepip" in output:
            raise Stop(no_venv_message())
        if _looks_like(output, PERMISSION_SIGNS):
            raise Stop(_permission_message(venv))
        raise Stop(
            "建立运行环境失败。Python 的输出：\n" + _tail(output) + "\n请确认 Python 安装完整后重新运行。"
        )
    write_marker(
        venv,
        {
            "location": str(venv),
            "python": "{}.{}".format(*sys.version_info[:2]),
            "created_with": sys.executable,
            "created_at": time.strftime("%Y-%m-%d %H:%M:%S"),
            "installed": {},
        },
    )


# ───────────── the requirements ─────────────


_INCLUDE = re.compile(r"^(?:-r|-c|--requirement|--constraint)(?:\s*=\s*|\s+|(?=\S))(\S+)")


def included_files(requirements: Path) -> List[Path]:
    """The file and every file it pulls in with -r/-c (recursively, each once), in reading order."""
    seen: List[Path] = []

    def visit(path: Path) -> None:
        if path in seen:
            return
        seen.append(path)
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except OSError:
            return
        for line in lines:
            match = _INCLUDE.match(line.strip())
            if match:
                visit((path.parent / match.group(1)).resolve())

    visit(requirements.resolve())
    return seen


def requirements_hash(requirements: Path) -> str:
    """sha256 over the file and what it includes (requirements-dev.txt changes when requirements.txt does)."""
    digest = hashlib.sha256()
    for path in included_files(requirements):
        digest.update(path.name.encode("utf-8") + b"\0")
        try:
            digest.update(path.read_bytes())
        except OSError:
            digest.update(b"(missing)")
        digest.update(b"\0")
    return digest.hexdigest()


def wheels_dir(root: Path = ROOT) -> Optional[Path]:
    """The offline bundle's wheels/ folder beside run.py, when there is one."""
    folder = root / WHEELS
    return folder if folder.is_dir() else None


def pip_command(python: Path, requirements: Path, wheels: Optional[Path]) -> List[str]:
    """The pip call that installs `requirements`; from `wheels` alone (no index at all) when given."""
    command = [
        str(python),
        "-m",
        "pip",
        "install",
        "--disable-pip-version-check",
        "--no-input",
        "-r",
        str(requirements),
    ]
    if wheels is not None:
        command += ["--no-index", "--find-links", str(wheels)]
    return command


def bundle_problem(
    wheels: Path, version: tuple = tuple(sys.version_info), platform: str = sys.platform
) -> Optional[str]:
    """Why the bundle's wheels cannot serve this computer (another Python or system), or None."""
    try:
        info = json.loads((wheels / BUNDLE_INFO).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None  # not made by python -m fazhi bundle: let pip decide
    made_for = str(info.get("python", ""))
    here = "{}.{}".format(*version[:2])
    windows_bundle = str(info.get("platform", "")).startswith("win")
    if windows_bundle != (platform == "win32"):
        system = "Windows" if windows_bundle else "Linux"
        return f"这个离线安装包是为 {system} 电脑制作的，不能用在这台电脑上。请制作适用于本机的离线安装包（见 README“离线安装”）。"
    if made_for and made_for != here:
        return (
            f"这个离线安装包是为 Python {made_for} 制作的，这台电脑运行的是 Python {here}。\n"
            f"请安装 Python {made_for}（安装包可从 https://www.python.org/downloads/ 下载后拷过来），"
            f"或在能上网的电脑上制作适用于 Python {here} 的离线安装包（见 README“离线安装”）。"
        )
    return None


PERMISSION_SIGNS = (
    "Permission denied",
    "Errno 13",
    "Access is denied",
    "拒绝访问",
    "WinError 5",
    "Read-only file system",
    "Errno 30",
)
NETWORK_SIGNS = (
    "NewConnectionError",
    "ConnectionError",
    "Connection refused",
    "Max retries exceeded",
    "timed out",
    "Temporary failure in name resolution",
    "Name or service not known",
    "getaddrinfo failed",
    "Network is unreachable",
    "SSLError",
    "ProxyError",
    "No matching distribution found",
    "Could not find a version that satisfies",
)


def _looks_like(output: str, signs: tuple) -> bool:
    return any(sign in output for sign in signs)


def _tail(output: str, lines: int = 8) -> str:
    kept = [line for line in output.splitlines() if line.strip()]
    errors = [line for line in kept if line.startswith("ERROR")]
    return "\n".join("    " + line for line in (errors or kept)[-lines:])


def _shown(path: Path) -> str:
    text = str(path)
    try:
        text = os.path.relpath(text)
    except ValueError:  # another drive on Windows
        pass
    return f'"{text}"' if " " in text else text


def pip_failure(output: str, python: Path, offline: bool, log: Path) -> str:
    """The Chinese explanation of a failed pip run, with what to do and pip's own last error lines."""
    if _looks_like(output, PERMISSION_SIGNS):
        advice = "安装软件包失败：没有写入权限。请关闭正在运行的法治工作台后重试；仍不行时，把程序文件夹放到自己有权写入的位置。"
    elif offline:
        advice = (
            "从 wheels 文件夹安装软件包失败：离线安装包不完整，或不是为这台电脑制作的"
            "（Windows 或 Linux、Python 版本须一致）。请在能上网的电脑上重新制作离线安装包（见 README“离线安装”）。"
        )
    else:
        advice = (
            "安装软件包失败。请检查网络连接后重新运行。\n"
            "单位网络访问国外网站较慢或打不开时，可以改用清华大学的镜像：先运行\n"
            f"    {_shown(python)} -m pip config set global.index-url {MIRROR}\n"
            "然后重新运行本命令。没有网络的电脑请用离线安装包（见 README“离线安装”）。"
        )
    return f"{advice}\npip 的出错信息（完整记录见 {log}）：\n{_tail(output)}"


def progress(line: str) -> Optional[str]:
    """pip's output line as a short Chinese progress line, or None to keep it in the log only."""
    line = line.strip()
    if line.startswith("Collecting ") or line.startswith("Processing "):
        name = re.split(r"[\s<>=!~;\[(]", line.split(None, 1)[1], maxsplit=1)[0]
        name = os.path.basename(name)
        return "  · {}".format(name.split("-")[0] if name.endswith(".whl") else name)
    if line.startswith("Installing collected packages:"):
        count = len(line.split(":", 1)[1].split(","))
        return f"  正在安装 {count} 个软件包，请稍候……"
    return None


def run_pip(command: List[str], log: Path) -> tuple:
    """Run pip, showing short progress lines and keeping the whole output in `log`: (exit code, output)."""
    env = dict(os.environ, PYTHONIOENCODING="utf-8", PIP_PROGRESS_BAR="off")
    lines: List[str] = []
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env)
    try:
        for raw in process.stdout:
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            lines.append(line)
            shown = progress(line)
            if shown:
                say(shown)
        code = process.wait()
    except KeyboardInterrupt:
        process.kill()
        process.wait()
        raise Stop("已中断：软件包没有装完，下次运行时会继续安装。", 130) from None
    output = "\n".join(lines)
    try:
        log.write_text(output + "\n", encoding="utf-8")
    except OSError:
        pass
    return code, output


def install(root: Path, venv: Path, requirements_name: str) -> bool:
    """Install the requirements file into the environment unless it is unchanged since the last success;
    True when pip ran."""
    requirements = root / requirements_name
    if not requirements.is_file():
        raise Stop(f"找不到 {requirements}：程序文件不完整，请重新复制程序文件夹。")
    marker = read_marker(venv)
    installed = marker.setdefault("installed", {})
    digest = requirements_hash(requirements)
    if installed.get(requirements_name) == digest:
        return False
    wheels = wheels_dir(root)
    before = installed.get(requirements_name)
    if wheels is not None:
        problem = bundle_problem(wheels)
        if problem:
            raise Stop(problem)
        say("正在从 wheels 文件夹安装所需的软件包（不需要联网），约需一两分钟……")
    elif before is not None:
        say(f"{requirements_name} 有变化（程序已升级），正在更新软件包，需要联网……")
    elif installed:
        say(f"正在安装 {requirements_name} 所列的软件包，需要联网……")
    else:
        say("正在安装所需的软件包，需要联网，约需几分钟（只需一次）……")
    python = venv_python(venv)
    log = venv / PIP_LOG
    started = time.monotonic()
    if not os.access(str(venv), os.W_OK):
        raise Stop(_permission_message(venv))
    code, output = run_pip(pip_command(python, requirements, wheels), log)
    if code != 0:
        raise Stop(pip_failure(output, python, wheels is not None, log))
    for path in included_files(requirements):  # requirements-dev.txt installs requirements.txt too
        if path.parent == root.resolve():
            installed[path.name] = requirements_hash(path)
    write_marker(venv, marker)
    say(f"软件包已装好（用时 {time.monotonic() - started:.0f} 秒）。")
    return True


def prepare(root: Path, requirements_name: str) -> Path:
    """The environment's python, after building the environment and installing what changed."""
    venv = venv_dir(root)
    problem = venv_problem(venv)
    if problem:
        say(problem)
        if venv.exists():
            remove_venv(venv)
        create_venv(venv)
    install(root, venv, requirements_name)
    return venv_python(venv)


# ───────────── running the app, the tests, the check ─────────────


def configured(name: str, default: object, root: Path = ROOT) -> object:
    """A [server] value of .streamlit/config.toml, or `default`."""
    import tomllib

    try:
        with (root / ".streamlit" / "config.toml").open("rb") as handle:
            return tomllib.load(handle).get("server", {}).get(name, default)
    except (OSError, tomllib.TOMLDecodeError):
        return default


def parse_serve(args: List[str], root: Path = ROOT) -> dict:
    """--address, --port and --open for starting the app; Stop(code 2) with the usage on a mistake."""
    options = {"address": None, "port": None, "open": False}
    position = 0
    while position < len(args):
        name, equals, value = args[position].partition("=")
        if name in ("-h", "--help"):
            raise Stop(USAGE, 0)
        if name == "--open" and not equals:
            options["open"] = True
        elif name in ("--address", "--port"):
            if not equals:
                position += 1
                if position == len(args):
                    raise Stop(
                        "{} 后面要写{}。\n{}".format(name, "地址" if name == "--address" else "端口", USAGE),
                        2,
                    )
                value = args[position]
            options[name[2:]] = value.strip()
        else:
            raise Stop(f"不认识的参数：{args[position]}\n{USAGE}", 2)
        position += 1
    options["address"] = options["address"] or str(configured("address", DEFAULT_ADDRESS, root))
    port = options["port"] or configured("port", DEFAULT_PORT, root)
    try:
        options["port"] = int(str(port))
        if not 0 < options["port"] < 65536:
            raise ValueError
    except ValueError:
        raise Stop(f"端口应为 1 到 65535 之间的整数，而不是“{port}”。", 2) from None
    return options


def port_in_use(address: str, port: int) -> bool:
    """True when something already listens there (another copy of the app, usually)."""
    with socket.socket(socket.AF_INET6 if ":" in address else socket.AF_INET) as probe:
        if os.name != "nt":  # as Streamlit does; on Windows this option would let two servers share a port
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((address, port))
        except OSError:
            return True
    return False


def data_file(root: Path = ROOT) -> Path:
    """The database the app will use: $FAZHI_DB, else data/fazhi.duckdb (as fazhi.settings.db_path)."""
    configured_path = os.environ.get("FAZHI_DB")
    return (
        Path(os.path.expanduser(configured_path)).resolve()
        if configured_path
        else root / "data" / "fazhi.duckdb"
    )


def call(command: List[str], root: Path) -> int:
    """Run a command in the program folder and return its exit code; Ctrl+C waits for it to stop."""
    process = subprocess.Popen(command, cwd=str(root))
    while True:
        try:
            return process.wait()
        except KeyboardInterrupt:  # the console sent Ctrl+C to the child too: let it finish cleanly
            try:
                return process.wait(timeout=30)
            except (KeyboardInterrupt, subprocess.TimeoutExpired):
                process.kill()
                return process.wait()


def serve(root: Path, args: List[str], replace: bool = os.name != "nt") -> int:
    """Start the app: the addresses to open, then `python -m streamlit run server.py` in the environment
    (server.py serves app.py with the app's own routes: the login cookie, downloads, /healthz).

    On Linux the streamlit process replaces this one (exec): systemd, Ctrl+C and `kill` talk to it directly.
    Windows has no exec, so there run.py waits for it."""
    options = parse_serve(args, root)
    if port_in_use(options["address"], options["port"]):
        raise Stop(
            "端口 {0} 已被占用：法治工作台可能已经在运行（请看其他窗口，或在浏览器打开 http://127.0.0.1:{0}）。\n"
            "要另外启动一个，请换一个端口，如 python3 run.py --port {1}。".format(
                options["port"], options["port"] + 1
            )
        )
    python = prepare(root, APP_REQUIREMENTS)
    address, port = options["address"], str(options["port"])
    say()
    say("=" * 60)
    say("  法治政府建设工作台")
    say(f"  数据文件：{data_file(root)}")
    say()
    subprocess.call(
        [str(python), "-m", "fazhi", "address", "--address", address, "--port", port], cwd=str(root)
    )
    say()
    say("  使用期间请不要关闭本窗口；关闭本窗口或按 Ctrl+C 即停止程序。")
    say("=" * 60)
    say()
    if options["open"]:
        subprocess.Popen([str(python), "-m", "fazhi", "address", "--open", "--port", port], cwd=str(root))
    command = [
        str(python),
        "-m",
        "streamlit",
        "run",
        str(root / "server.py"),
        "--server.address",
        address,
        "--server.port",
        port,
    ]
    if replace:
        os.chdir(str(root))  # Streamlit reads .streamlit/config.toml from the working folder
        sys.stdout.flush()
        os.execv(str(python), command)
    code = call(command, root)
    say("程序已停止。")
    return code


# More gain little: each process imports the app first, and the slowest tests set the floor.
MAX_TEST_PROCESSES = 4
# pytest options that choose the processes themselves, or that need the terminal of a single process.
_OWN_PROCESSES = ("-n", "--numprocesses", "--dist", "--pdb", "--trace", "-s")


def usable_cpus() -> int:
    """The CPUs this process may run on (its affinity, where the system has one)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def parallel_processes(args: List[str], cpus: int, addopts: str = "") -> int:
    """How many pytest-xdist processes `run.py test` asks for: the usable CPUs, at most MAX_TEST_PROCESSES;
    0 (pytest alone) on one CPU, or when the arguments or $PYTEST_ADDOPTS choose the processes themselves
    (-n, --dist, -p no:xdist) or need one process's terminal (--pdb, --trace, -s, --capture=no)."""
    words = args + addopts.split()
    for position, word in enumerate(words):
        following = words[position + 1] if position + 1 < len(words) else ""
        name = word.split("=", 1)[0]
        if name in _OWN_PROCESSES or (name.startswith("-n") and not name.startswith("--")):  # -n2, -nauto
            return 0
        if word in ("-pno:xdist", "--capture=no") or (word, following) in (
            ("-p", "no:xdist"),
            ("--capture", "no"),
        ):
            return 0
    return min(cpus, MAX_TEST_PROCESSES) if cpus > 1 else 0


def run_tests(root: Path, args: List[str]) -> int:
    """pytest in the environment with requirements-dev.txt installed, in parallel processes when the machine
    has several CPUs (`-n N --dist loadgroup`, see parallel_processes); pytest's exit code."""
    if not (root / "tests").is_dir():
        raise Stop("这个文件夹里没有测试（离线安装包不含测试）。测试请在程序的源代码文件夹中运行。")
    python = prepare(root, TEST_REQUIREMENTS)
    processes = parallel_processes(args, usable_cpus(), os.environ.get("PYTEST_ADDOPTS", ""))
    if processes:
        say(f"测试分 {processes} 个进程并行运行（加 -n 0 可改为单进程）。")
        args = ["-n", str(processes), "--dist", "loadgroup", *args]
    return call([str(python), "-m", "pytest", *args], root)


def main(argv: Optional[List[str]] = None) -> int:
    """Run one command of run.py; a Stop prints its message and exits with its code, never a traceback."""
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="replace")
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        problem = version_problem()
        if problem:
            better = newer_python()
            if better:
                say(f"这台电脑的 python3 是 {sys.version_info[0]}.{sys.version_info[1]}，改用 {better}。")
                os.environ[REEXEC] = "1"
                sys.stdout.flush()
                os.execv(better, [better, str(Path(__file__).resolve()), *args])
            raise Stop(problem)
        command = args[0] if args else ""
        if command == "test":
            return run_tests(ROOT, args[1:])
        if command == "prepare":
            if len(args) > 1:
                raise Stop(f"prepare 不需要其他参数。\n{USAGE}", 2)
            prepare(ROOT, APP_REQUIREMENTS)
            say(f"运行环境已就绪：{venv_dir(ROOT)}")
            return 0
        if command and not command.startswith("-"):  # check, user passwd admin, backup, setup …
            python = prepare(ROOT, APP_REQUIREMENTS)
            return call([str(python), "-m", "fazhi", *args], ROOT)
        return serve(ROOT, args)
    except Stop as stop:
        if stop.message:
            print(stop.message, file=sys.stderr if stop.code else sys.stdout, flush=True)
        return stop.code
    except KeyboardInterrupt:
        print("已中断。", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())

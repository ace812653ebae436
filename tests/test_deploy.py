"""LAN deployment: the Streamlit settings, start.bat, the systemd unit and `python -m fazhi address`."""

from __future__ import annotations

import configparser
import os
import re
import shlex
import shutil
import subprocess
import sys
import tomllib
import urllib.request
from pathlib import Path

import pytest

from fazhi import lan, settings
from fazhi.__main__ import main
from fazhi.settings import PROJECT_DIR
from tests.e2e.conftest import _free_port, _wait_until_up
from tests.test_bootstrap import _suite_environment

BAT = PROJECT_DIR / "start.bat"
SERVICE = PROJECT_DIR / "deploy" / "fazhi.service"


def test_streamlit_settings_are_ready_for_a_lan() -> None:
    config = tomllib.loads(settings.STREAMLIT_CONFIG.read_text(encoding="utf-8"))
    server = config["server"]
    assert server["address"] == "127.0.0.1"  # safe default; start.bat and the unit pass 0.0.0.0
    assert server["enableXsrfProtection"] is True
    assert server.get("enableCORS", True) is True  # XSRF protection needs CORS on
    assert (
        server["maxUploadSize"] == settings.max_upload_mb() == 10
    )  # the attachment limit reads the same value
    assert server["headless"] is True  # no e-mail prompt, no browser opened on a server
    assert config["browser"]["gatherUsageStats"] is False
    assert config["client"]["toolbarMode"] == "viewer"
    assert config["client"]["showErrorDetails"] == "none"
    assert lan.configured_port() == server["port"] == 8501
    # no full garbage collection after every script run: it was most of a cached page run's CPU
    assert config["runner"]["postScriptGC"] is False


def test_start_bat_is_a_windows_batch_file() -> None:
    raw = BAT.read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf")  # a BOM would break the first command
    lines = raw.split(b"\r\n")
    assert b"\n" not in raw.replace(b"\r\n", b"")  # CRLF only (see .gitattributes)
    text = raw.decode("utf-8")
    head = text.split("\r\n")[:3]
    assert head[0] == "@echo off" and head[2] == "chcp 65001 >nul"
    assert all(line.isascii() for line in head)  # read before the switch to UTF-8
    labels = set(re.findall(r"^:(\w+)", text, flags=re.M))
    assert set(re.findall(r"goto :(\w+)", text)) <= labels
    # the bootstrap does the work (the same as `python3 run.py` typed in cmd): found by python3.cmd, called
    # with `call` so that control comes back for the pause that keeps messages on screen
    assert (
        'call "%~dp0python3.cmd" "%~dp0run.py" --address %FAZHI_ADDRESS% --port %FAZHI_PORT% --open' in text
    )
    assert 'set "FAZHI_ADDRESS=0.0.0.0"' in text and 'set "FAZHI_PORT=8501"' in text
    assert "-m venv" not in text and "pip install" not in text  # no second copy of run.py's logic
    assert text.rstrip().splitlines()[-2:] == ["pause", "exit /b %FAZHI_EXIT%"]
    # no parenthesised blocks: an ASCII ")" in a Chinese message would end such a block early
    assert not [line for line in lines if line.rstrip().endswith(b"(")]
    assert (PROJECT_DIR / ".gitattributes").read_text().splitlines() == ["*.bat -text", "*.cmd -text"]


def _unit() -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    parser.optionxform = str  # keep systemd's CamelCase keys
    parser.read_string(SERVICE.read_text(encoding="utf-8"))
    return parser


def test_the_systemd_unit() -> None:
    unit = _unit()
    service = unit["Service"]
    assert service["WorkingDirectory"] == "/opt/fazhi"
    assert service["ExecStart"] == "/usr/bin/python3 /opt/fazhi/run.py --address 0.0.0.0 --port 8501"
    assert service["User"] == "fazhi" and service["ReadWritePaths"] == "/var/lib/fazhi"
    assert unit["Install"]["WantedBy"] == "multi-user.target"
    assert "Environment" in service


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze 不可用")
def test_systemd_accepts_the_unit(tmp_path: Path) -> None:
    text = SERVICE.read_text(encoding="utf-8")
    text = text.replace("/opt/fazhi", str(PROJECT_DIR))
    local = tmp_path / "fazhi.service"
    local.write_text(text, encoding="utf-8")
    result = subprocess.run(
        ["systemd-analyze", "verify", str(local)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr


def test_the_units_command_serves_the_app(tmp_path: Path) -> None:
    """Run the unit's ExecStart (run.py on this suite's prepared environment, a free port) with its
    environment: run.py finds nothing to install and the app answers."""
    service = _unit()["Service"]
    command = shlex.split(service["ExecStart"])
    assert command[:2] == ["/usr/bin/python3", "/opt/fazhi/run.py"]
    port = _free_port()
    command[1] = str(PROJECT_DIR / "run.py")
    command[command.index("--port") + 1] = str(port)
    command[command.index("--address") + 1] = "127.0.0.1"  # no need to expose the test
    env = {**os.environ, "FAZHI_DB": str(tmp_path / "fazhi.duckdb"), "HOME": str(tmp_path)}
    env.update(FAZHI_VENV=str(_suite_environment()), PYTHONDONTWRITEBYTECODE="1")
    log = tmp_path / "unit.log"
    process = subprocess.Popen(
        command, cwd=PROJECT_DIR, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT
    )
    try:
        _wait_until_up(f"http://127.0.0.1:{port}", process, log)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10) as response:
            assert response.status == 200
    finally:
        process.terminate()  # systemctl stop: SIGTERM, straight to Streamlit (run.py exec'd it)
        assert process.wait(timeout=30) == 0
    text = log.read_text(errors="replace")
    assert "Traceback" not in text and "正在安装" not in text
    assert f"本机浏览器打开：http://127.0.0.1:{port}" in text


def test_address_command(monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    monkeypatch.setattr(lan, "lan_addresses", lambda: ["192.168.1.23"])
    assert main(["address"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "本机浏览器打开：http://127.0.0.1:8501",
        "同事在浏览器中打开：http://192.168.1.23:8501",
        "（如同事打不开，请在本机防火墙中放行 TCP 端口 8501。）",
    ]
    assert main(["address", "--address", "127.0.0.1", "--port", "9000"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "本机浏览器打开：http://127.0.0.1:9000",
        "现在只允许本机访问。要让同事访问，请把监听地址改为 0.0.0.0（见 README“局域网部署”）。",
    ]


def test_lan_addresses_are_real_and_never_loopback() -> None:
    found = lan.lan_addresses()
    assert all(not a.startswith("127.") and a.count(".") == 3 for a in found)
    assert lan.urls(8501, "127.0.0.1") == ["http://127.0.0.1:8501"]
    assert lan.urls(8501, "10.0.0.5") == ["http://127.0.0.1:8501", "http://10.0.0.5:8501"]


def test_wait_and_open_opens_the_running_app(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    opened: list[str] = []
    monkeypatch.setattr(lan.webbrowser, "open", lambda url: opened.append(url) or True)
    port = _free_port()
    assert lan.wait_and_open(port, timeout=1) is False and opened == []
    server = subprocess.Popen(
        [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    (tmp_path / "_stcore").mkdir()
    (tmp_path / "_stcore" / "health").write_text("ok")
    try:
        assert lan.wait_and_open(port, timeout=30) is True
    finally:
        server.terminate()
        server.wait(timeout=10)
    assert opened == [f"http://127.0.0.1:{port}"]

"""Several app processes on one PostgreSQL database behind a reverse proxy (issue 16 §3): the proxy
configurations in deploy/ are accepted by Caddy and nginx, the systemd template unit by systemd, and two real
processes behind Caddy share logins and data."""

from __future__ import annotations

import configparser
import json
import os
import re
import shutil
import subprocess
import urllib.error
import urllib.request
from http.cookies import SimpleCookie
from pathlib import Path

import pytest

from fazhi import cluster, db, sample, sessions
from fazhi.catalog import Catalog
from fazhi.settings import PROJECT_DIR
from fazhi.units import find_unit
from fazhi.web import TICKET_HEADER
from tests.conftest import make_user

DEPLOY = PROJECT_DIR / "deploy"
IN_CI = os.environ.get("CI", "").lower() == "true"


def _tool(name: str) -> str:
    """The program's path; a skip without it (a failure in CI, whose .ci/run installs it)."""
    path = shutil.which(name) or (f"/usr/sbin/{name}" if Path(f"/usr/sbin/{name}").exists() else None)
    if path is None:
        if IN_CI:
            pytest.fail(f"CI installs {name} (.ci/run)")
        pytest.skip(f"{name} 未安装")
    return path


def _directives(text: str) -> dict[str, str]:
    return {
        m[1]: m[2].strip() for m in re.finditer(r"^\s*([a-z_]+)\s+([^{\n#]+?)\s*\{?$", text, re.MULTILINE)
    }


def test_the_caddyfile_pins_browsers_as_the_cluster_does() -> None:
    """deploy/Caddyfile and the load test's proxy make the same choices (cookie, health check, streaming)."""
    shipped = _directives((DEPLOY / "Caddyfile").read_text(encoding="utf-8"))
    generated = _directives(cluster.caddyfile(9000, ["127.0.0.1:1", "127.0.0.1:2"]))
    for name, value in cluster.PROXY_POLICY:
        assert shipped[name] == value == generated[name]
    assert shipped["reverse_proxy"] == "127.0.0.1:8501 127.0.0.1:8502"


@pytest.mark.parametrize("config", [DEPLOY / "Caddyfile", None], ids=["deploy/Caddyfile", "the load test's"])
def test_caddy_accepts_the_configuration(config: Path | None, tmp_path: Path) -> None:
    caddy = _tool("caddy")
    if config is None:
        config = tmp_path / "Caddyfile"
        config.write_text(cluster.caddyfile(9000, ["127.0.0.1:8501", "127.0.0.1:8502"]), encoding="utf-8")
    result = subprocess.run(
        [caddy, "validate", "--config", str(config), "--adapter", "caddyfile"],
        capture_output=True,
        text=True,
        timeout=60,
        env={"HOME": str(tmp_path), "PATH": os.environ.get("PATH", "")},
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_nginx_accepts_its_configuration(tmp_path: Path) -> None:
    nginx = _tool("nginx")
    temp = tmp_path / "temp"
    temp.mkdir()
    paths = " ".join(
        f"{kind}_temp_path {temp};" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    conf = (
        (DEPLOY / "nginx-fazhi.conf").read_text(encoding="utf-8").replace("listen 80;", "listen 127.0.0.1:9;")
    )
    (tmp_path / "fazhi.conf").write_text(conf, encoding="utf-8")
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid; error_log {tmp_path}/error.log; events {{}}\n"
        f"http {{ access_log off; {paths} include {tmp_path}/fazhi.conf; }}\n",
        encoding="utf-8",
    )
    result = subprocess.run(
        [nginx, "-t", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "ip_hash;" in conf and "proxy_set_header Upgrade $http_upgrade;" in conf


def _template_unit() -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # keep systemd's CamelCase keys
    parser.read_string((DEPLOY / "fazhi@.service").read_text(encoding="utf-8"))
    return parser


def test_the_template_unit_runs_one_process_per_port_on_loopback() -> None:
    service = _template_unit()["Service"]
    assert service["ExecStart"] == "/usr/bin/python3 /opt/fazhi/run.py --address 127.0.0.1 --port %i"
    assert service["EnvironmentFile"] == "/etc/fazhi/fazhi.env"
    settings = dict(
        line.split("=", 1)
        for line in (DEPLOY / "fazhi.env").read_text(encoding="utf-8").splitlines()
        if line and not line.startswith("#")
    )
    assert db.is_url(settings["FAZHI_DATABASE_URL"])
    caddy = (DEPLOY / "Caddyfile").read_text(encoding="utf-8")
    assert "127.0.0.1:8501 127.0.0.1:8502" in caddy  # the ports the unit's example enables


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze 不可用")
def test_systemd_accepts_the_template_unit(tmp_path: Path) -> None:
    analyze = "systemd-analyze"
    text = (DEPLOY / "fazhi@.service").read_text(encoding="utf-8").replace("/opt/fazhi", str(PROJECT_DIR))
    text = text.replace("EnvironmentFile=/etc/fazhi/fazhi.env", f"EnvironmentFile={DEPLOY / 'fazhi.env'}")
    (tmp_path / "fazhi@.service").write_text(text, encoding="utf-8")
    instance = tmp_path / "fazhi@8501.service"
    instance.symlink_to(tmp_path / "fazhi@.service")
    result = subprocess.run([analyze, "verify", str(instance)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr


def _request(url: str, *, cookie: str = "", headers: dict[str, str] | None = None, method: str = "GET"):
    request = urllib.request.Request(url, method=method, headers={**(headers or {})})
    if cookie:
        request.add_header("Cookie", cookie)
    try:
        return urllib.request.urlopen(request, timeout=30)
    except urllib.error.HTTPError as error:
        return error


@pytest.mark.slow
def test_two_processes_behind_caddy_share_logins_and_data(
    postgres_url: str, tmp_path: Path, catalog: Catalog
) -> None:
    """A login made through one process holds on the other; what one saves the other shows; the proxy
    answers /healthz and pins the browser with its cookie."""
    _tool("caddy")
    files = tmp_path / "data" / "fazhi.duckdb"
    database = db.connect(postgres_url, files=files)
    sample.load_demo(database, catalog)
    user = make_user(database, "燕山乡", "admin")
    _, ticket = sessions.start(database, user)
    with cluster.running_cluster(postgres_url, tmp_path / "cluster", 2, files=files) as running:
        first, second = (server.url for server in running.servers)
        health = _request(running.url + "/healthz")
        assert health.status == 200 and json.loads(health.read()) == {"status": "ok"}
        assert "fazhi_backend=" in (health.headers.get("Set-Cookie") or "")

        # the login page's script trades the ticket on the process it reached (here the first)
        taken = _request(
            first + "/auth/session",
            method="POST",
            headers={TICKET_HEADER: ticket, "Origin": first, "Sec-Fetch-Site": "same-origin"},
        )
        assert taken.status == 204
        cookie = f"{sessions.COOKIE}={SimpleCookie(taken.headers['Set-Cookie'])[sessions.COOKIE].value}"

        # the second process knows the session: the package of a year downloads there
        unit_id = find_unit(database, "燕山乡").id
        for base in (second, running.url):
            answer = _request(f"{base}/files/evidence?unit={unit_id}&year=2020", cookie=cookie)
            assert answer.status == 200, answer.read()[:300]
            assert answer.headers["Content-Type"].startswith("application/zip")
        assert _request(f"{second}/files/evidence?unit={unit_id}&year=2020").status == 401

        # logging out through the second process ends the session for the first
        out = _request(
            second + "/auth/logout",
            method="POST",
            cookie=cookie,
            headers={"Origin": second, "Sec-Fetch-Site": "same-origin", "X-Fazhi-Request": "1"},
        )
        assert out.status in (200, 204)
        assert _request(f"{first}/files/evidence?unit={unit_id}&year=2020", cookie=cookie).status == 401
    database.close()

"""Several app processes on one PostgreSQL database behind Caddy, started on loopback ports: what
`python -m fazhi loadtest --processes N` measures and what the deployment test drives.

It is the README's multi-process deployment in miniature: N `streamlit run server.py` processes with the
same `FAZHI_DATABASE_URL`, and Caddy in front with deploy/Caddyfile's policy (a cookie pins a browser to
the process it first reached; active health checks on /healthz). The proxy's configuration is generated
from the same settings as deploy/Caddyfile (`PROXY_POLICY`), and tests/test_deploy_cluster.py checks the two agree.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

from fazhi import loadtest
from fazhi.errors import FazhiError

CADDY = "caddy"
# The proxy's choices, in deploy/Caddyfile too: (directive, value) inside `reverse_proxy { … }`.
PROXY_POLICY = (
    ("lb_policy", "cookie fazhi_backend"),
    ("health_uri", "/healthz"),
    ("flush_interval", "-1"),
)


def caddyfile(port: int, backends: list[str]) -> str:
    """A Caddy configuration serving loopback `port` from `backends` ('127.0.0.1:8501', …): no admin
    endpoint, no automatic HTTPS (several test proxies may run at once)."""
    inner = "\n".join(f"\t\t{name} {value}" for name, value in PROXY_POLICY)
    return (
        "{\n\tadmin off\n\tauto_https off\n}\n"
        f"http://127.0.0.1:{port} {{\n\treverse_proxy {' '.join(backends)} {{\n"
        f"{inner}\n\t\thealth_interval 2s\n\t}}\n}}\n"
    )


@dataclass
class Cluster:
    """The proxy's address and the app processes behind it; CPU and memory are the processes' sums."""

    servers: list[loadtest.Server]
    proxy: subprocess.Popen[bytes]
    url: str
    log: Path

    def cpu_seconds(self) -> float:
        """User + system CPU seconds of every app process (the proxy's own work is not the app's)."""
        return sum(server.cpu_seconds() for server in self.servers)

    def rss_mb(self) -> float:
        """Resident memory of every app process together, in MB."""
        return sum(server.rss_mb() for server in self.servers)


@contextmanager
def running_cluster(
    database_url: str, folder: Path, processes: int, *, files: Path | None = None, timeout: float = 60
) -> Iterator[Cluster]:
    """`processes` app processes on `database_url` (their evidence files, backups and templates beside
    `files`, one folder for all, as on a server) and Caddy in front, until the block ends (then stopped)."""
    if shutil.which(CADDY) is None:
        raise FazhiError(
            "找不到 Caddy（反向代理），无法测试多个进程：请先安装（Debian：apt install caddy）。"
        )
    with ExitStack() as stack:
        files = files or folder / "fazhi.duckdb"
        servers = []
        for n in range(processes):
            place = folder / f"app{n + 1}"
            place.mkdir(parents=True, exist_ok=True)
            servers.append(stack.enter_context(loadtest.running_server(database_url, place, files=files)))
        port = loadtest._free_port()
        config = folder / "Caddyfile"
        config.write_text(caddyfile(port, [s.url.removeprefix("http://") for s in servers]), encoding="utf-8")
        log = folder / "caddy.log"
        with log.open("wb") as out:
            proxy = subprocess.Popen(
                [CADDY, "run", "--config", str(config), "--adapter", "caddyfile"],
                stdout=out,
                stderr=subprocess.STDOUT,
                env={"HOME": str(folder), "XDG_DATA_HOME": str(folder), "XDG_CONFIG_HOME": str(folder)},
            )
        stack.callback(loadtest.stop_process, proxy)
        url = f"http://127.0.0.1:{port}"
        try:
            loadtest.wait_until_answering(url + "/healthz", proxy, log, timeout, "caddy")
        except RuntimeError as error:
            raise FazhiError(f"Caddy 未能启动或经它访问程序超时：\n{str(error)[-2000:]}") from error
        yield Cluster(servers, proxy, url, log)

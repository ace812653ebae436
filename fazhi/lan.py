"""Serving colleagues on the office network: this computer's addresses and the web server's settings."""

from __future__ import annotations

import ipaddress
import socket
import time
import tomllib
import urllib.request
import webbrowser
from pathlib import Path

from fazhi.settings import STREAMLIT_CONFIG

DEFAULT_PORT = 8501


def server_setting(name: str, default: object, config: Path | None = None) -> object:
    """A [server] value of .streamlit/config.toml (address, port, …), or `default`."""
    try:
        with (config or STREAMLIT_CONFIG).open("rb") as handle:
            return tomllib.load(handle).get("server", {}).get(name, default)
    except (OSError, tomllib.TOMLDecodeError):
        return default


def configured_port() -> int:
    """The port the app listens on (server.port in .streamlit/config.toml, else 8501)."""
    try:
        return int(str(server_setting("port", DEFAULT_PORT)))
    except (TypeError, ValueError):
        return DEFAULT_PORT


def _usable(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    return ip.version == 4 and not (
        ip.is_loopback or ip.is_link_local or ip.is_unspecified or ip.is_multicast
    )


def lan_addresses() -> list[str]:
    """This computer's IPv4 addresses that colleagues on the network can reach (no loopback), best first."""
    found: list[str] = []
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("10.255.255.255", 1))  # picks the outgoing interface; sends nothing
            found.append(probe.getsockname()[0])
        except OSError:
            pass
    try:
        for *_, sockaddr in socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET):
            found.append(str(sockaddr[0]))
    except OSError:
        pass
    return [a for a in dict.fromkeys(found) if _usable(a)]


def urls(port: int, address: str = "0.0.0.0") -> list[str]:
    """The addresses to open in a browser: this computer's own, then the colleagues' (when listening on all)."""
    own = [f"http://127.0.0.1:{port}"]
    if address in ("0.0.0.0", "::", ""):
        return own + [f"http://{ip}:{port}" for ip in lan_addresses()]
    if address in ("127.0.0.1", "localhost"):
        return own
    return own + [f"http://{address}:{port}"]


def wait_and_open(port: int, timeout: float = 120) -> bool:
    """Wait until the app answers on this computer, then open it in the default browser; False on timeout."""
    deadline = time.monotonic() + timeout
    url = f"http://127.0.0.1:{port}"
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url + "/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return webbrowser.open(url)
        except OSError:
            time.sleep(0.5)
    return False

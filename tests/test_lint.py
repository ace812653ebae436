"""ruff runs with the tests: style, formatting, and the rule that only the Streamlit glue in fazhi/ imports
streamlit. Nothing here writes into the source tree."""

from __future__ import annotations

import subprocess
import sys

from fazhi.settings import PROJECT_DIR


def _ruff(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ruff", *args],
        capture_output=True,
        text=True,
        cwd=PROJECT_DIR,
        input=stdin,
    )


def test_ruff_check_passes() -> None:
    result = _ruff("check", ".")
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_format_check_passes() -> None:
    result = _ruff("format", "--check", ".")
    assert result.returncode == 0, result.stdout + result.stderr


def test_streamlit_is_banned_in_fazhi() -> None:
    """The banned-api rule really fires for a module of fazhi/ that imports streamlit (read from stdin, so
    no probe file is written into fazhi/)."""
    result = _ruff(
        "check", "--no-cache", "--stdin-filename", "fazhi/_lint_probe.py", "-", stdin="import streamlit\n"
    )
    assert result.returncode == 1
    assert "TID251" in result.stdout

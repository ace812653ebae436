"""ruff runs with the tests: style, and the rule that only fazhi/ui.py in fazhi/ imports streamlit."""

from __future__ import annotations

import subprocess
import sys

from fazhi.settings import PROJECT_DIR


def test_ruff_check_passes() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "."], capture_output=True, text=True, cwd=PROJECT_DIR
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_streamlit_is_banned_in_fazhi(tmp_path) -> None:
    """The banned-api rule really fires for a module of fazhi/ that imports streamlit."""
    probe = PROJECT_DIR / "fazhi" / "_lint_probe.py"
    probe.write_text("import streamlit\n", encoding="utf-8")
    try:
        result = subprocess.run(
            [sys.executable, "-m", "ruff", "check", "--no-cache", str(probe)],
            capture_output=True,
            text=True,
            cwd=PROJECT_DIR,
        )
    finally:
        probe.unlink()
    assert result.returncode == 1
    assert "TID251" in result.stdout

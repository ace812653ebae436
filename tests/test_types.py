"""mypy checks the type hints of fazhi/ with the tests (settings in pyproject.toml). Its cache lives in the
temp folder, so nothing is written into the source tree."""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from fazhi.settings import PROJECT_DIR


def test_mypy_passes_on_fazhi() -> None:
    cache = Path(tempfile.gettempdir()) / "fazhi-mypy-cache"
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--cache-dir", str(cache), "fazhi"],
        capture_output=True,
        text=True,
        cwd=PROJECT_DIR,
    )
    assert result.returncode == 0, result.stdout + result.stderr

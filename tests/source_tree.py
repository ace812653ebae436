"""No test writes into the source tree: what `git status` shows of the checkout before the run and after it.

tests/conftest.py takes the first picture when the session starts and compares at its end (in the main
process only, under pytest-xdist too); a path that appeared or changed fails the run, naming the path.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

# Written by the tools themselves, not by a test: Python's bytecode and the test tools' caches.
TOOL_CACHES = frozenset({"__pycache__", ".pytest_cache", ".ruff_cache", ".mypy_cache", ".hypothesis"})


def picture(root: Path) -> frozenset[str] | None:
    """`git status --porcelain --ignored` of the checkout at `root`, one entry per line ('?? new.txt',
    '!! data/fazhi.duckdb', ' M fazhi/db.py'), tool caches left out; None outside a git checkout."""
    try:
        result = subprocess.run(
            ["git", "status", "--porcelain", "--ignored"],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=60,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if result.returncode != 0:
        return None
    return frozenset(
        line
        for line in result.stdout.splitlines()
        if not TOOL_CACHES.intersection(line[3:].strip('"').rstrip("/").split("/"))
    )


def written(before: frozenset[str] | None, after: frozenset[str] | None) -> list[str]:
    """The entries of `after` that `before` did not have (nothing when either picture is missing)."""
    if before is None or after is None:
        return []
    return sorted(after - before)

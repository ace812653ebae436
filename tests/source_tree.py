"""No test writes into the source tree: the new files `git status` shows in the checkout before the run and
after it.

tests/conftest.py takes the first picture when the session starts and compares at its end (in the main
process only, under pytest-xdist too); a file that appeared, untracked or ignored (a probe module, a stray
data/fazhi.duckdb), fails the run, naming it. Changes to tracked files are not counted: a person editing
while the tests run is not a test writing into the tree.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

# Written by the tools themselves, not by a test: Python's bytecode and the test tools' caches.
TOOL_CACHES = frozenset({"__pycache__", ".pytest_cache", ".ruff_cache", ".mypy_cache", ".hypothesis"})


def picture(root: Path) -> frozenset[str] | None:
    """The untracked and ignored entries of `git status --porcelain --ignored` in the checkout at `root`
    ('?? new.txt', '!! data/fazhi.duckdb'), tool caches left out; None outside a git checkout."""
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
        if line[:2] in ("??", "!!")
        and not TOOL_CACHES.intersection(line[3:].strip('"').rstrip("/").split("/"))
    )


def written(before: frozenset[str] | None, after: frozenset[str] | None) -> list[str]:
    """The entries of `after` that `before` did not have (nothing when either picture is missing)."""
    if before is None or after is None:
        return []
    return sorted(after - before)

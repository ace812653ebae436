"""tests/source_tree.py: the files a test run left in a git checkout, tool caches aside."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests import source_tree


def test_new_and_ignored_files_are_seen_and_edits_and_tool_caches_are_not(tmp_path: Path) -> None:
    def git(*args: str) -> None:
        subprocess.run(["git", *args], cwd=tmp_path, check=True, capture_output=True)

    git("init", "-q")
    (tmp_path / ".gitignore").write_text("*.duckdb\n__pycache__/\n", encoding="utf-8")
    (tmp_path / "kept.py").write_text("x = 1\n", encoding="utf-8")
    git("add", ".")
    git("-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "-m", "start")
    before = source_tree.picture(tmp_path)
    assert before == frozenset()
    (tmp_path / "kept.py").write_text("x = 2\n", encoding="utf-8")
    (tmp_path / "fazhi.duckdb").write_bytes(b"")
    (tmp_path / "probe.txt").write_text("", encoding="utf-8")
    (tmp_path / "__pycache__").mkdir()
    (tmp_path / "__pycache__" / "kept.pyc").write_bytes(b"")
    (tmp_path / ".ruff_cache").mkdir()
    (tmp_path / ".ruff_cache" / "x").write_bytes(b"")
    after = source_tree.picture(tmp_path)
    assert source_tree.written(before, after) == ["!! fazhi.duckdb", "?? probe.txt"]


def test_outside_a_checkout_nothing_is_claimed(tmp_path: Path) -> None:
    assert source_tree.picture(tmp_path) is None
    assert source_tree.written(None, frozenset({"?? x"})) == []

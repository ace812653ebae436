"""The report's fixed words (data/report_text.toml): titles, headings, appendix names, how units are named,
and the messages of the report modules, so that fazhi/report/*.py holds code, not Chinese sentences.

`text("headings.plan", next_year=2021)` fills the named slots ({name}, or {name:spec} with a format spec
such as {seconds:g}); any other brace is kept as written, so a message may quote a template tag like
{{ 变量 }} or {% for %} as is. `table("names.superior")` gives a whole table. The file is read once per version (its modification time).
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

from fazhi.errors import CatalogError
from fazhi.settings import DATA_DIR

TEXT_FILE = DATA_DIR / "report_text.toml"
_SLOT = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)(?::([^{}]*))?\}")
_cache: dict[tuple[Path, float], dict[str, Any]] = {}


def _data() -> dict[str, Any]:
    path = TEXT_FILE
    try:
        key = (path, path.stat().st_mtime)
        if key not in _cache:
            with path.open("rb") as handle:
                _cache.clear()
                _cache[key] = tomllib.load(handle)
        return _cache[key]
    except (OSError, tomllib.TOMLDecodeError) as error:  # this message cannot come from the broken file
        raise CatalogError(f"报告文字文件 {path} 无法读取：{error}") from error


def table(key: str, /) -> Any:
    """A table or value of the file by its dotted key ('names.bodies', 'appendix.table_headers')."""
    found: Any = _data()
    for part in key.split("."):
        if not isinstance(found, dict) or part not in found:
            raise CatalogError(f"报告文字文件 {TEXT_FILE.name} 中没有 {key}。")
        found = found[part]
    return found


def text(key: str, /, **slots: Any) -> str:
    """One text of the file with its {slots} filled; a slot the caller did not give is an error of the file."""

    def fill(match: re.Match[str]) -> str:
        name, spec = match[1], match[2] or ""
        if name not in slots:
            raise CatalogError(f"报告文字文件 {TEXT_FILE.name} 的 {key} 中有未知的填空 {{{name}}}。")
        return format(slots[name], spec)

    return _SLOT.sub(fill, str(table(key)))

"""The shape of the report: the subsections of “一、主要举措和成效” per 纲要 (data/report.toml) and the way
text becomes the template's paragraphs.

Every area of a 纲要 sits in exactly one subsection; a topic of data/wording.toml lands in the subsection
holding the area of its first indicator in that year's 纲要.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from fazhi.catalog import Catalog
from fazhi.errors import CatalogError
from fazhi.settings import DATA_DIR

STRUCTURE_FILE = DATA_DIR / "report.toml"
_SUBHEADING = re.compile(r"^（[一二三四五六七八九十]+）")


@dataclass(frozen=True)
class Part:
    """One subsection of “一、主要举措和成效”: its heading and the areas of one 纲要 it covers."""

    outline: str
    code: str
    heading: str
    areas: tuple[str, ...]


def load_parts(catalog: Catalog, path: Path = STRUCTURE_FILE) -> tuple[Part, ...]:
    """The subsections for every 纲要, checked: each area of an outline is in exactly one subsection."""
    try:
        with path.open("rb") as handle:
            raw = tomllib.load(handle).get("sections")
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise CatalogError(f"报告结构文件 {path.name} 无法读取：{error}") from error
    if not isinstance(raw, list) or not raw:
        raise CatalogError(f"报告结构文件 {path.name}：缺少 [[sections]]。")
    parts = []
    for number, item in enumerate(raw, 1):
        where = f"报告结构文件 {path.name} 的第{number}个 [[sections]]"
        try:
            part = Part(
                outline=str(item["outline"]),
                code=str(item["code"]),
                heading=str(item["heading"]).strip(),
                areas=tuple(str(a) for a in item["areas"]),
            )
        except (KeyError, TypeError) as error:
            raise CatalogError(f"{where} 缺少 {error}。") from error
        if not re.match(r"^[a-z][a-z0-9_]*$", part.code) or not part.heading or not part.areas:
            raise CatalogError(f"{where} 的 code、heading 或 areas 有误。")
        parts.append(part)
    for outline in catalog.outlines:
        mine = [p for p in parts if p.outline == outline.code]
        placed = [a for p in mine for a in p.areas]
        known = {a.code for a in outline.areas}
        problems = sorted(set(placed) - known)
        if problems:
            raise CatalogError(
                f"报告结构文件 {path.name}：纲要 {outline.code} 没有领域 {'、'.join(problems)}。"
            )
        missing = [a.short for a in outline.areas if a.code not in placed]
        twice = sorted({a for a in placed if placed.count(a) > 1})
        if missing or twice:
            raise CatalogError(
                f"报告结构文件 {path.name}：纲要 {outline.code} 的领域"
                + (f" {'、'.join(missing)} 没有归入任何小节" if missing else "")
                + (f" {'、'.join(twice)} 归入了多个小节" if twice else "")
                + "。"
            )
        if len({p.code for p in mine}) != len(mine):
            raise CatalogError(f"报告结构文件 {path.name}：纲要 {outline.code} 的小节 code 重复。")
    return tuple(parts)


def parts_for(catalog: Catalog, year: int) -> tuple[Part, ...]:
    """The subsections of “一” for a report year, in order."""
    outline = catalog.outline_for(year).code
    return tuple(p for p in load_parts(catalog) if p.outline == outline)


def paragraphs(text: str) -> list[dict[str, object]]:
    """Text as the template's paragraphs: one per non-empty line; a short line starting '（一）' is a heading."""
    out = []
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        heading = bool(_SUBHEADING.match(line)) and len(line) <= 40 and "。" not in line.rstrip("。")
        out.append({"text": line, "heading": heading})
    return out

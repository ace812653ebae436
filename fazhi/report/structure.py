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
from fazhi.report import texts
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


def _join(items: list[str]) -> str:
    return "、".join(items)


def load_parts(catalog: Catalog, path: Path = STRUCTURE_FILE) -> tuple[Part, ...]:
    """The subsections for every 纲要, checked: each area of an outline is in exactly one subsection."""
    name = path.name
    try:
        with path.open("rb") as handle:
            raw = tomllib.load(handle).get("sections")
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise CatalogError(texts.text("messages.structure_unreadable", file=name, error=error)) from error
    if not isinstance(raw, list) or not raw:
        raise CatalogError(texts.text("messages.structure_no_sections", file=name))
    parts = []
    for number, item in enumerate(raw, 1):
        where = texts.text("messages.structure_entry", file=name, number=number)
        try:
            part = Part(
                outline=str(item["outline"]),
                code=str(item["code"]),
                heading=str(item["heading"]).strip(),
                areas=tuple(str(a) for a in item["areas"]),
            )
        except (KeyError, TypeError) as error:
            raise CatalogError(
                texts.text("messages.structure_missing_key", where=where, key=error)
            ) from error
        if not re.match(r"^[a-z][a-z0-9_]*$", part.code) or not part.heading or not part.areas:
            raise CatalogError(texts.text("messages.structure_bad_entry", where=where))
        parts.append(part)
    for outline in catalog.outlines:
        mine = [p for p in parts if p.outline == outline.code]
        placed = [a for p in mine for a in p.areas]
        known = {a.code for a in outline.areas}
        problems = sorted(set(placed) - known)
        if problems:
            raise CatalogError(
                texts.text(
                    "messages.structure_unknown_areas", file=name, outline=outline.code, areas=_join(problems)
                )
            )
        missing = [a.short for a in outline.areas if a.code not in placed]
        twice = sorted({a for a in placed if placed.count(a) > 1})
        if missing or twice:
            found = (
                texts.text("messages.structure_area_missing", areas=_join(missing)) if missing else ""
            ) + (texts.text("messages.structure_area_twice", areas=_join(twice)) if twice else "")
            raise CatalogError(
                texts.text(
                    "messages.structure_area_placement", file=name, outline=outline.code, problems=found
                )
            )
        if len({p.code for p in mine}) != len(mine):
            raise CatalogError(
                texts.text("messages.structure_duplicate_code", file=name, outline=outline.code)
            )
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

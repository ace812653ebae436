"""The default template's layout as data (data/report_layout.toml): the 公文 fonts and the paragraph
styles of GB/T 9704, each style by a stable key ('body', 'h1', 'table_header', …) with the name Word shows.

`load_layout()` reads and checks the file (a wrong key, font or alignment names the file and the entry);
template.py builds the .docx from it and pdf.py takes each font's preview look-alikes from it.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fazhi.errors import CatalogError
from fazhi.report import texts
from fazhi.settings import DATA_DIR

LAYOUT_FILE = DATA_DIR / "report_layout.toml"
ALIGNMENTS = ("left", "center", "right", "justify")
FAMILIES = ("roman", "modern", "swiss", "script", "decorative", "auto")
# The keys template.py writes paragraphs in: the file must define each of them.
REQUIRED_STYLES = (
    "title", "recipient", "body", "body_last", "h1", "h2", "attachment_note", "attachment_more", "issuer",
    "date", "attachment_mark", "attachment_title", "table_text", "table_header", "table_note", "figure",
    "caption", "page_number",
)  # fmt: skip


@dataclass(frozen=True)
class Font:
    key: str
    name: str  # as Windows names it, written into the document
    alternative: str  # what Word may substitute when `name` is missing
    family: str
    preview: tuple[str, ...]  # look-alikes for the PDF preview, most similar first


@dataclass(frozen=True)
class Style:
    key: str
    name: str  # the style's name in Word's styles pane
    font: Font
    size: float  # points
    align: str
    first_line: int  # characters
    right: int  # characters
    line: float | None  # an exact line spacing in points; None: the body grid's
    outline: int | None  # outline level: 0 for 一级标题, 1 for 二级标题


@dataclass(frozen=True)
class Layout:
    fonts: dict[str, Font]
    styles: dict[str, Style]

    def name(self, key: str) -> str:
        """The Word style name of the style `key`."""
        return self.styles[key].name


_cache: dict[tuple[Path, float], Layout] = {}


def load_layout(path: Path | None = None) -> Layout:
    """The layout in `path` (data/report_layout.toml, read at call time), checked; CatalogError names
    the entry that is wrong."""
    path = path or LAYOUT_FILE
    try:
        key = (path, path.stat().st_mtime)
        if key not in _cache:
            with path.open("rb") as handle:
                _cache[key] = _parse(tomllib.load(handle), path.name)
        return _cache[key]
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise CatalogError(texts.text("messages.layout_unreadable", file=path, error=error)) from error


def _parse(data: dict[str, Any], file: str) -> Layout:
    def wrong(where: str, what: str) -> CatalogError:
        return CatalogError(texts.text("messages.layout_wrong", file=file, where=where, what=what))

    fonts: dict[str, Font] = {}
    for key, raw in (data.get("fonts") or {}).items():
        if not isinstance(raw, dict) or not str(raw.get("name", "")).strip():
            raise wrong(f"[fonts] {key}", "name")
        if raw.get("family", "auto") not in FAMILIES:
            raise wrong(f"[fonts] {key}", "family")
        preview = raw.get("preview", [])
        if not isinstance(preview, list) or not all(isinstance(p, str) for p in preview):
            raise wrong(f"[fonts] {key}", "preview")
        fonts[key] = Font(
            key, raw["name"], str(raw.get("alternative", "")), raw.get("family", "auto"), tuple(preview)
        )
    styles: dict[str, Style] = {}
    for key, raw in (data.get("styles") or {}).items():
        where = f"[styles] {key}"
        if not isinstance(raw, dict) or not str(raw.get("name", "")).strip():
            raise wrong(where, "name")
        if raw.get("font") not in fonts:
            raise wrong(where, "font")
        if raw.get("align") not in ALIGNMENTS:
            raise wrong(where, "align")
        numbers = {f: raw.get(f) for f in ("size", "first_line", "right", "line", "outline")}
        if not isinstance(numbers["size"], int | float) or not 5 <= numbers["size"] <= 72:
            raise wrong(where, "size")
        for field in ("first_line", "right", "line", "outline"):
            value = numbers[field]
            if value is not None and (
                not isinstance(value, int | float) or isinstance(value, bool) or value < 0
            ):
                raise wrong(where, field)
        styles[key] = Style(
            key, raw["name"], fonts[raw["font"]], float(numbers["size"]), raw["align"],
            int(numbers["first_line"] or 0), int(numbers["right"] or 0),
            None if numbers["line"] is None else float(numbers["line"]),
            None if numbers["outline"] is None else int(numbers["outline"]),
        )  # fmt: skip
    missing = [k for k in REQUIRED_STYLES if k not in styles]
    if missing:
        raise wrong("[styles]", "、".join(missing))
    if len({s.name for s in styles.values()}) != len(styles):
        raise wrong("[styles]", "name")
    return Layout(fonts, styles)

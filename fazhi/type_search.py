"""Finding a record type by what people call the work: its name, its group, its area in either 纲要, or
a synonym from data/record_types.toml (宪法宣传周 → 主题宣传活动, 12345 → 热线诉求办理).

Pure functions over the catalog, for the 录入 page's type picker.
"""

from __future__ import annotations

import re
import unicodedata

from fazhi.catalog import Catalog, RecordType

# How well a type matches one search word, best first; a type's rank is its worst word's best match.
NAME_EXACT, NAME_START, NAME_PART, SYNONYM_EXACT, SYNONYM_PART, WORD_HOLDS, GROUP, AREA = range(8)
_DOTS = re.compile(r"[·•．.・]")
_NOISE = re.compile(r"[\s“”\"'‘’《》（）()、，,：:；;]+")


def _plain(text: str) -> str:
    """Text as compared: NFKC (full-width digits and letters), case-folded, one kind of middle dot
    (4·15, 4.15, 4．15 alike), without spaces, quotes, brackets and list punctuation."""
    text = unicodedata.normalize("NFKC", text).casefold()
    return _NOISE.sub("", _DOTS.sub("·", text))


def _rank(catalog: Catalog, record_type: RecordType, word: str) -> int | None:
    """The best way one search word matches this type, or None."""
    name = _plain(record_type.name)
    if word == name:
        return NAME_EXACT
    if name.startswith(word):
        return NAME_START
    if word in name:
        return NAME_PART
    synonyms = [_plain(s) for s in record_type.synonyms]
    if word in synonyms:
        return SYNONYM_EXACT
    if any(word in s for s in synonyms):
        return SYNONYM_PART
    # the word holds a name or synonym: '宪法宣传周活动' finds 主题宣传活动 by its synonym 宪法宣传周
    if any(len(s) >= 2 and s in word for s in [name, *synonyms]):
        return WORD_HOLDS
    if word in _plain(record_type.group):
        return GROUP
    areas = [o.area(record_type.areas[o.code]) for o in catalog.outlines]
    if any(word in _plain(a.name) or word in _plain(a.short) for a in areas):
        return AREA
    return None


def search_types(catalog: Catalog, text: str) -> list[str]:
    """Codes of the record types matching `text`, best first (catalog order among equals); every type,
    in catalog order, when `text` is empty. Several words separated by spaces must all match."""
    words = [w for w in (_plain(part) for part in str(text or "").split()) if w]
    order = list(catalog.record_types)
    if not words:
        return order
    ranked: list[tuple[int, int, str]] = []
    for position, code in enumerate(order):
        record_type = catalog.record_types[code]
        ranks = [_rank(catalog, record_type, word) for word in words]
        if all(r is not None for r in ranks):
            ranked.append((max(r for r in ranks if r is not None), position, code))
    return [code for _, _, code in sorted(ranked)]

"""data/wording.toml: every sentence the report drafts can write, loaded and checked.

The file holds topics (the points of “一”, each with clauses in a township's and a county's voice and the
conditions for saying them), the opening, the groups of “二”, the templates of “三” and “四”, the number
styles by unit and indicator, the phrases per area, and the indicators deliberately left untold. Python
keeps only the interpreter (fazhi/report/writer.py) and the slot formatters (fazhi/report/facts.py).

Loading checks everything a mistake could break at report time: every slot and condition parses and
names a known indicator, field or record type; every indicator is told by a topic or listed in [untold]
with a reason. Errors name the file and the entry, like the catalog's.

Over 400 lines on purpose, as fazhi/catalog.py: the model of the file and the loader that checks every
key of it; a key's meaning and its check change together.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fazhi.catalog import Catalog
from fazhi.errors import CatalogError
from fazhi.report import texts
from fazhi.report.numbers import STYLES
from fazhi.settings import DATA_DIR

WORDING_FILE = DATA_DIR / "wording.toml"

SLOT = re.compile(r"\{([^{}]+)\}")
# {code}, {code.change}, {own.code}, {dates?}, {word:field:文字}, {values.field}
_SLOT_NAME = re.compile(
    r"^(?:(?P<scope>own|sub|top)\.)?(?P<name>[a-z][a-z0-9_]*)(?:\.(?P<attr>change|num|den|target))?(?P<optional>\?)?$"
)
_WORD_SLOT = re.compile(r"^word:(?P<field>[a-z][a-z0-9_]*):(?P<text>[^{}:?]+)(?P<optional>\?)?$")
_VALUES_SLOT = re.compile(r"^values\.(?P<field>[a-z][a-z0-9_]*)(?P<optional>\?)?$")
RECORD_SLOTS = ("dates", "places", "titles", "laws", "summaries")
VOICE_SLOTS = (
    "self",
    "whole",
    "committee",
    "government",
    "superior",
    "short",
    "year",
    "next_year",
    "outline",
    "units",
    "level",
)
_CONDITION = re.compile(
    r"^(?P<negate>!)?(?:(?P<prefix>prev|own|sub|every|zero|filled|has):)?(?P<left>[a-z][a-z0-9_]*)"
    r"(?:(?P<op>>=|<=|!=|=|<|>)(?P<right>[a-z][a-z0-9_]*|-?\d+(?:\.\d+)?))?$"
)
KEYWORDS = ("county", "township")


@dataclass(frozen=True)
class Slot:
    """One placeholder of a text: what it names and whether it may come out empty."""

    raw: str
    kind: str  # "figure", "record", "voice", "word", "values"
    name: str = ""
    scope: str = ""  # own / sub / top (county figures), "" for the unit's whole figure
    attr: str = ""  # change / num / den / target
    field: str = ""
    text: str = ""
    optional: bool = False


@dataclass(frozen=True)
class Condition:
    """One condition of a clause: `left` (an indicator, a field or a record slot), an operator and `right`."""

    raw: str
    negate: bool = False
    prefix: str = ""
    left: str = ""
    op: str = ""
    right: str = ""
    keyword: str = ""  # county / township


@dataclass(frozen=True)
class Clause:
    """A clause in both voices with the conditions for each; `end` closes the sentence after it."""

    text: str
    county: str
    when: tuple[Condition, ...]
    county_when: tuple[Condition, ...]
    end: bool = False
    join: str = "，"  # how it joins the clause before it ("" glues it on, as for "（区级）")


@dataclass(frozen=True)
class Topic:
    """One point of “一” (“一是……”): what it tells and how."""

    code: str
    lead: str
    county_lead: str
    indicators: tuple[str, ...]
    types: tuple[str, ...]
    clauses: tuple[Clause, ...]
    when: tuple[Condition, ...] = ()
    summaries: int = 2


@dataclass(frozen=True)
class DutyGroup:
    """One numbered group of “二” with its heading and clauses."""

    heading: str
    clauses: tuple[Clause, ...]


@dataclass(frozen=True)
class Wording:
    """The whole of data/wording.toml, checked against the catalog."""

    topics: tuple[Topic, ...]
    duty: tuple[DutyGroup, ...]
    unit_styles: dict[str, str]
    indicator_styles: dict[str, str]
    part_units: dict[str, tuple[str, str]]
    untold: dict[str, str]
    sections: dict[str, dict[str, Any]] = field(default_factory=dict)  # opening, shortcomings, plan, …
    areas: dict[str, dict[str, str]] = field(default_factory=dict)
    appendix_omit: tuple[str, ...] = ()  # indicators left out of the appendix table

    def style_of(self, code: str, unit: str) -> str:
        """How an indicator's figure is written: its own style, else its unit's, else exact."""
        return self.indicator_styles.get(code) or self.unit_styles.get(unit, "exact")

    def topic(self, code: str) -> Topic:
        """The topic with this code."""
        for item in self.topics:
            if item.code == code:
                return item
        raise KeyError(code)


def slots(text: str) -> list[Slot]:
    """The placeholders of a text, parsed (ValueError naming the first that does not parse)."""
    return [parse_slot(raw) for raw in SLOT.findall(text)]


def parse_slot(raw: str) -> Slot:
    """One placeholder's inside (without braces) as a Slot."""
    word = _WORD_SLOT.match(raw)
    if word:
        return Slot(raw, "word", field=word["field"], text=word["text"], optional=bool(word["optional"]))
    values = _VALUES_SLOT.match(raw)
    if values:
        return Slot(raw, "values", field=values["field"], optional=bool(values["optional"]))
    match = _SLOT_NAME.match(raw)
    if not match:
        raise ValueError(raw)
    name, scope, attr = match["name"], match["scope"] or "", match["attr"] or ""
    optional = bool(match["optional"])
    if not scope and not attr and name in RECORD_SLOTS:
        return Slot(raw, "record", name=name, optional=optional)
    if not scope and not attr and name in VOICE_SLOTS:
        return Slot(raw, "voice", name=name, optional=optional)
    return Slot(raw, "figure", name=name, scope=scope, attr=attr, optional=optional)


def parse_condition(raw: str) -> Condition:
    """One condition string as a Condition (ValueError when it does not parse)."""
    text = raw.strip()
    if text in KEYWORDS:
        return Condition(text, keyword=text)
    match = _CONDITION.match(text)
    if not match:
        raise ValueError(raw)
    return Condition(
        text,
        negate=bool(match["negate"]),
        prefix=match["prefix"] or "",
        left=match["left"],
        op=match["op"] or "",
        right=match["right"] or "",
    )


def _said(key: str, /, **slots: Any) -> str:
    """A message of [wording_checks] in data/report_text.toml."""
    return texts.text(f"wording_checks.{key}", **slots)


class _Checker:
    """Checks references against the catalog, naming the entry on any mistake."""

    def __init__(self, path: Path, catalog: Catalog) -> None:
        self.path = path
        self.catalog = catalog
        self.indicators = {i.code for i in catalog.indicators}
        self.fields = {f.code for t in catalog.record_types.values() for f in t.fields}

    def fail(self, where: str, problem: str, /, **slots: Any) -> CatalogError:
        """The error for `where`: `problem` is a key of [wording_checks] (data/report_text.toml)."""
        said = _said(problem, **slots)
        return CatalogError(_said("message", file=self.path.name, where=where, problem=said))

    def text(self, where: str, text: str, types: tuple[str, ...], extra: tuple[str, ...] = ()) -> None:
        try:
            found = [parse_slot(raw) for raw in SLOT.findall(text) if raw not in extra]
        except ValueError as error:
            raise self.fail(where, "bad_slot", slot=error) from error
        for slot in found:
            if slot.kind == "figure" and slot.name not in self.indicators:
                raise self.fail(where, "slot_unknown_indicator", slot=slot.raw, name=repr(slot.name))
            if slot.kind in ("word", "values") and slot.field not in self.fields:
                raise self.fail(where, "slot_unknown_field", slot=slot.raw, name=repr(slot.field))
            if slot.kind in ("record", "word", "values") and not types:
                raise self.fail(where, "slot_needs_types", slot=slot.raw)

    def conditions(self, where: str, raw: Any, types: tuple[str, ...]) -> tuple[Condition, ...]:
        if not isinstance(raw, list) or not all(isinstance(c, str) for c in raw):
            raise self.fail(where, "when_not_list")
        parsed = []
        for text in raw:
            try:
                condition = parse_condition(text)
            except ValueError as error:
                raise self.fail(where, "bad_condition", condition=repr(text)) from error
            if not condition.keyword:
                if condition.prefix == "filled":
                    if condition.left not in self.fields:
                        raise self.fail(
                            where, "condition_unknown_field", condition=repr(text), name=repr(condition.left)
                        )
                elif condition.prefix == "has":
                    if condition.left not in RECORD_SLOTS:
                        raise self.fail(
                            where, "condition_has_only", condition=repr(text), slots="、".join(RECORD_SLOTS)
                        )
                    if not types:
                        raise self.fail(where, "condition_needs_types", condition=repr(text))
                elif condition.left not in self.indicators:
                    raise self.fail(
                        where, "condition_unknown_indicator", condition=repr(text), name=repr(condition.left)
                    )
                right = condition.right
                if (
                    right
                    and not re.match(r"^-?\d", right)
                    and right != "prev"
                    and right not in self.indicators
                ):
                    raise self.fail(
                        where, "condition_unknown_indicator", condition=repr(text), name=repr(right)
                    )
            parsed.append(condition)
        return tuple(parsed)

    def clause(self, where: str, raw: Any, types: tuple[str, ...]) -> Clause:
        if not isinstance(raw, dict):
            raise self.fail(where, "not_table")
        unknown = set(raw) - {"text", "county", "when", "county_when", "end", "join"}
        if unknown:
            raise self.fail(where, "unknown_keys", keys="、".join(sorted(unknown)))
        text = str(raw.get("text", ""))
        county = str(raw.get("county", ""))
        if not text and not county:
            raise self.fail(where, "empty_clause")
        self.text(where, text, types)
        self.text(where, county, types)
        when = self.conditions(where, raw.get("when", []), types)
        county_when = self.conditions(where, raw.get("county_when", raw.get("when", [])), types)
        return Clause(
            text, county, when, county_when, bool(raw.get("end", False)), str(raw.get("join", "，"))
        )


def _read(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError as error:
        raise CatalogError(_said("not_found", path=path)) from error
    except tomllib.TOMLDecodeError as error:
        raise CatalogError(_said("bad_format", file=path.name, error=error)) from error


_CACHE: dict[tuple[Path, float, int], Wording] = {}


def load_wording(catalog: Catalog, path: Path | None = None) -> Wording:
    """data/wording.toml (or `path`; the module's WORDING_FILE, read at call time) checked against the
    catalog, cached per file version and catalog."""
    path = path or WORDING_FILE
    stamp = path.stat().st_mtime if path.exists() else 0.0
    key = (path, stamp, id(catalog))
    if key not in _CACHE:
        if len(_CACHE) > 8:
            _CACHE.clear()
        _CACHE[key] = _load(path, catalog)
    return _CACHE[key]


def _load(path: Path, catalog: Catalog) -> Wording:
    data = _read(path)
    check = _Checker(path, catalog)
    topics: list[Topic] = []
    for number, raw in enumerate(data.get("topics", []), 1):
        code = str(raw.get("code", ""))
        where = _said("topic_where", number=number, code=code or _said("no_code"))
        unknown = set(raw) - {
            "code",
            "lead",
            "county_lead",
            "indicators",
            "types",
            "clauses",
            "when",
            "summaries",
        }
        if unknown:
            raise check.fail(where, "unknown_keys", keys="、".join(sorted(unknown)))
        if not re.match(r"^[a-z][a-z0-9_]*$", code):
            raise check.fail(where, "bad_code")
        if any(t.code == code for t in topics):
            raise check.fail(where, "duplicate_code")
        indicators = tuple(str(c) for c in raw.get("indicators", []))
        if not indicators:
            raise check.fail(where, "no_indicators")
        for item in indicators:
            if item not in check.indicators:
                raise check.fail(where, "unknown_indicator", name=repr(item))
        types = tuple(str(t) for t in raw.get("types", []))
        for item in types:
            if item not in catalog.record_types:
                raise check.fail(where, "unknown_type", name=repr(item))
        clauses = tuple(
            check.clause(_said("clause_where", where=where, number=n), c, types)
            for n, c in enumerate(raw.get("clauses", []), 1)
        )
        if not clauses:
            raise check.fail(where, "no_clauses")
        lead = str(raw.get("lead", "")).strip()
        if not lead:
            raise check.fail(where, "no_lead")
        topics.append(
            Topic(
                code=code,
                lead=lead,
                county_lead=str(raw.get("county_lead", lead)).strip(),
                indicators=indicators,
                types=types,
                clauses=clauses,
                when=check.conditions(where, raw.get("when", []), types),
                summaries=int(raw.get("summaries", 2)),
            )
        )
    duty = []
    for number, raw in enumerate(data.get("duty", []), 1):
        where = _said("duty_where", number=number)
        heading = str(raw.get("heading", "")).strip()
        if not heading:
            raise check.fail(where, "no_heading")
        if heading.startswith(("（", "(")):
            raise check.fail(where, "numbered_heading")
        duty.append(
            DutyGroup(
                heading,
                tuple(
                    check.clause(_said("clause_where", where=where, number=n), c, ())
                    for n, c in enumerate(raw.get("clauses", []), 1)
                ),
            )
        )
    styles = data.get("styles", {})
    unit_styles = {unit: "exact" for unit in styles.get("exact", [])}
    unit_styles.update({unit: "approx" for unit in styles.get("approx", [])})
    indicator_styles = {str(k): str(v) for k, v in styles.get("indicators", {}).items()}
    for code, style in indicator_styles.items():
        if code not in check.indicators or style not in STYLES:
            raise check.fail(_said("style_where", code=code), "bad_style", styles="/".join(STYLES))
    part_units = {}
    for code, pair in data.get("parts", {}).items():
        if code not in check.indicators or not isinstance(pair, list) or len(pair) != 2:
            raise check.fail(_said("parts_where", code=code), "bad_parts")
        part_units[str(code)] = (str(pair[0]), str(pair[1]))
    untold = {str(k): str(v) for k, v in data.get("untold", {}).items()}
    for code, reason in untold.items():
        if code not in check.indicators or not reason.strip():
            raise check.fail(_said("untold_where", code=code), "bad_untold")
    sections = {name: data.get(name, {}) for name in ("opening", "shortcomings", "plan", "cases", "warnings")}
    sections["duty_placeholder"] = data.get("duty_placeholder", {})
    extras = {
        "opening": (("text", "county", "placeholder"), ("guidance", "areas")),
        "shortcomings": (
            ("intro", "item", "item_absent", "reason", "placeholder"),
            ("lead", "name", "value", "target"),
        ),
        "plan": (("intro", "shortfall", "placeholder"), ("names", "fix")),
    }
    for name, (keys, names) in extras.items():
        for key in keys:
            if key not in sections[name]:
                raise check.fail(_said("section_where", name=name), "missing_key", key=key)
            check.text(_said("section_key_where", name=name, key=key), str(sections[name][key]), (), names)
    areas = {str(k): {str(a): str(b) for a, b in v.items()} for k, v in data.get("areas", {}).items()}
    known_areas = {a.code for o in catalog.outlines for a in o.areas}
    for code in known_areas - set(areas):
        raise check.fail("[areas]", "area_missing", code=code)
    omit = tuple(str(c) for c in data.get("appendix", {}).get("omit", []))
    for code in omit:
        if code not in check.indicators:
            raise check.fail(_said("omit_where"), "omit_unknown", name=repr(code))
    wording = Wording(
        appendix_omit=omit,
        topics=tuple(topics),
        duty=tuple(duty),
        unit_styles=unit_styles,
        indicator_styles=indicator_styles,
        part_units=part_units,
        untold=untold,
        sections=sections,
        areas=areas,
    )
    told = {code for t in wording.topics for code in t.indicators}
    missing = [i.code for i in catalog.indicators if i.code not in told and i.code not in untold]
    if missing:
        raise check.fail("", "untold_missing", codes="、".join(missing))
    return wording

"""data/wording.toml: every sentence the report drafts can write, loaded and checked.

The file holds topics (the points of “一”, each with clauses in a township's and a county's voice and the
conditions for saying them), the opening, the groups of “二”, the templates of “三” and “四”, the number
styles by unit and indicator, the phrases per area, and the indicators deliberately left untold. Python
keeps only the interpreter (fazhi/report/writer.py) and the slot formatters (fazhi/report/facts.py).

Loading checks everything a mistake could break at report time: every slot and condition parses and
names a known indicator, field or record type; every indicator is told by a topic or listed in [untold]
with a reason. Errors name the file and the entry, like the catalog's.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fazhi.catalog import Catalog
from fazhi.errors import CatalogError
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


class _Checker:
    """Checks references against the catalog, naming the entry on any mistake."""

    def __init__(self, path: Path, catalog: Catalog) -> None:
        self.path = path
        self.catalog = catalog
        self.indicators = {i.code for i in catalog.indicators}
        self.fields = {f.code for t in catalog.record_types.values() for f in t.fields}

    def fail(self, where: str, problem: str) -> CatalogError:
        return CatalogError(f"措辞文件 {self.path.name}：{where} {problem}")

    def text(self, where: str, text: str, types: tuple[str, ...], extra: tuple[str, ...] = ()) -> None:
        try:
            found = [parse_slot(raw) for raw in SLOT.findall(text) if raw not in extra]
        except ValueError as error:
            raise self.fail(where, f"的占位 {{{error}}} 写法不对。") from error
        for slot in found:
            if slot.kind == "figure" and slot.name not in self.indicators:
                raise self.fail(where, f"的占位 {{{slot.raw}}} 中的 {slot.name!r} 不是已定义的指标。")
            if slot.kind in ("word", "values") and slot.field not in self.fields:
                raise self.fail(where, f"的占位 {{{slot.raw}}} 中的 {slot.field!r} 不是已定义的字段。")
            if slot.kind in ("record", "word", "values") and not types:
                raise self.fail(where, f"用了读取记录的占位 {{{slot.raw}}}，但没有写 types。")

    def conditions(self, where: str, raw: Any, types: tuple[str, ...]) -> tuple[Condition, ...]:
        if not isinstance(raw, list) or not all(isinstance(c, str) for c in raw):
            raise self.fail(where, "的 when 应为文字列表。")
        parsed = []
        for text in raw:
            try:
                condition = parse_condition(text)
            except ValueError as error:
                raise self.fail(where, f"的条件 {text!r} 写法不对。") from error
            if not condition.keyword:
                if condition.prefix == "filled":
                    if condition.left not in self.fields:
                        raise self.fail(where, f"的条件 {text!r} 中的 {condition.left!r} 不是已定义的字段。")
                elif condition.prefix == "has":
                    if condition.left not in RECORD_SLOTS:
                        raise self.fail(where, f"的条件 {text!r} 只能用于 {'、'.join(RECORD_SLOTS)}。")
                    if not types:
                        raise self.fail(where, f"的条件 {text!r} 要读取记录，但没有写 types。")
                elif condition.left not in self.indicators:
                    raise self.fail(where, f"的条件 {text!r} 中的 {condition.left!r} 不是已定义的指标。")
                right = condition.right
                if (
                    right
                    and not re.match(r"^-?\d", right)
                    and right != "prev"
                    and right not in self.indicators
                ):
                    raise self.fail(where, f"的条件 {text!r} 中的 {right!r} 不是已定义的指标。")
            parsed.append(condition)
        return tuple(parsed)

    def clause(self, where: str, raw: Any, types: tuple[str, ...]) -> Clause:
        if not isinstance(raw, dict):
            raise self.fail(where, "应为表。")
        unknown = set(raw) - {"text", "county", "when", "county_when", "end", "join"}
        if unknown:
            raise self.fail(where, f"有不认识的键：{'、'.join(sorted(unknown))}。")
        text = str(raw.get("text", ""))
        county = str(raw.get("county", ""))
        if not text and not county:
            raise self.fail(where, "的 text 和 county 不能都为空。")
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
        raise CatalogError(f"找不到措辞文件 {path}。") from error
    except tomllib.TOMLDecodeError as error:
        raise CatalogError(f"措辞文件 {path.name} 格式有误：{error}") from error


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
        where = f"第{number}个 [[topics]]（{code or '没有 code'}）"
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
            raise check.fail(where, f"有不认识的键：{'、'.join(sorted(unknown))}。")
        if not re.match(r"^[a-z][a-z0-9_]*$", code):
            raise check.fail(where, "的 code 只能由小写英文字母、数字和下划线组成。")
        if any(t.code == code for t in topics):
            raise check.fail(where, "的 code 重复。")
        indicators = tuple(str(c) for c in raw.get("indicators", []))
        if not indicators:
            raise check.fail(where, "缺少 indicators（讲述哪些指标）。")
        for item in indicators:
            if item not in check.indicators:
                raise check.fail(where, f"的 indicators 中 {item!r} 不是已定义的指标。")
        types = tuple(str(t) for t in raw.get("types", []))
        for item in types:
            if item not in catalog.record_types:
                raise check.fail(where, f"的 types 中 {item!r} 不是已定义的记录类型。")
        clauses = tuple(
            check.clause(f"{where}的第{n}个分句", c, types) for n, c in enumerate(raw.get("clauses", []), 1)
        )
        if not clauses:
            raise check.fail(where, "没有分句（[[topics.clauses]]）。")
        lead = str(raw.get("lead", "")).strip()
        if not lead:
            raise check.fail(where, "缺少 lead。")
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
        where = f"第{number}个 [[duty]]"
        heading = str(raw.get("heading", "")).strip()
        if not heading:
            raise check.fail(where, "缺少 heading。")
        duty.append(
            DutyGroup(
                heading,
                tuple(
                    check.clause(f"{where}的第{n}个分句", c, ())
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
            raise check.fail(
                f"[styles.indicators] 的 {code}", f"应为已定义的指标，写法为 {'/'.join(STYLES)}。"
            )
    part_units = {}
    for code, pair in data.get("parts", {}).items():
        if code not in check.indicators or not isinstance(pair, list) or len(pair) != 2:
            raise check.fail(f"[parts] 的 {code}", "应为比率指标和 [分子单位, 分母单位]。")
        part_units[str(code)] = (str(pair[0]), str(pair[1]))
    untold = {str(k): str(v) for k, v in data.get("untold", {}).items()}
    for code, reason in untold.items():
        if code not in check.indicators or not reason.strip():
            raise check.fail(f"[untold] 的 {code}", "应为已定义的指标，并写明不讲的原因。")
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
                raise check.fail(f"[{name}]", f"缺少 {key}。")
            check.text(f"[{name}] 的 {key}", str(sections[name][key]), (), names)
    areas = {str(k): {str(a): str(b) for a, b in v.items()} for k, v in data.get("areas", {}).items()}
    known_areas = {a.code for o in catalog.outlines for a in o.areas}
    for code in known_areas - set(areas):
        raise check.fail("[areas]", f"缺少领域 {code} 的说法（shortfall、plan、fix）。")
    omit = tuple(str(c) for c in data.get("appendix", {}).get("omit", []))
    for code in omit:
        if code not in check.indicators:
            raise check.fail("[appendix] 的 omit", f"中的 {code!r} 不是已定义的指标。")
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
        raise check.fail(
            "", f"以下指标既没有要点讲述，也没有列入 [untold] 并说明原因：{'、'.join(missing)}。"
        )
    return wording

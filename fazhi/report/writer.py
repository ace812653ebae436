"""The interpreter of data/wording.toml: facts in, the paragraphs of every section out.

A clause is said when its conditions hold and every non-optional slot has something to say; a topic's
clauses join with '，' into sentences; a subsection with several topics numbers them '一是……二是……'.
Prose rules applied here (and checked by tests over every wording entry): '全年' once per subsection, no
clause twice in a paragraph, summaries without repeats, no '在…在…' stutter. Sections with nothing the
records support become a marked placeholder ('【请填写：……】') for staff, never a claim.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from fazhi.report import numbers
from fazhi.report.facts import Facts, one_line, title_text
from fazhi.report.wording import SLOT, Clause, Topic, parse_slot

PLACEHOLDER = re.compile(r"【请填写：[^】]*】")
_END = "。；;，,、.！!？? \t"
_WHOLE = "全年"


@dataclass
class Written:
    """What the writer made of one section: its paragraphs and the figures quoted in them, each as
    (indicator code, the words before it, the figure as printed: 'market_day_materials', '发放宣传资料',
    '2500余份') so saved text can be checked against the records later. A 同比, a ratio's part or an
    attribution is quoted as 'code.change' / 'code.num' / 'code.top' (and the county's count of 乡镇 as
    'units'): every number the draft prints comes from one of these."""

    paragraphs: list[str] = field(default_factory=list)
    figures: list[tuple[str, str, str]] = field(default_factory=list)
    topics: list[str] = field(default_factory=list)  # the topics told, for a subsection of “一”


class _Filler:
    """Fills the slots of texts for one topic (or section), remembering the figures it printed."""

    def __init__(
        self,
        facts: Facts,
        types: tuple[str, ...] = (),
        summaries: int = 2,
        extra: dict[str, str] | None = None,
    ):
        self.facts = facts
        self.types = types
        self.summaries = summaries
        self.extra = extra or {}
        self.figures: list[tuple[str, str, str]] = []

    def voice(self, name: str) -> str:
        v = self.facts.voice
        year = self.facts.year
        return {
            "self": v.self_name,
            "whole": v.whole,
            "committee": v.committee,
            "government": v.government,
            "superior": v.superior,
            "short": v.short,
            "year": str(year),
            "next_year": str(year + 1),
            "outline": v.outline,
            "units": f"{v.children}个{v.child_label}" if v.children >= 2 else "",
            "level": v.whole[1:] if v.whole.startswith("全") else v.whole,  # 镇, 乡, 街道, 县, 区
        }[name]

    def value(self, raw: str) -> tuple[str, bool]:
        """(text, may be empty) of one slot."""
        if raw in self.extra:
            return self.extra[raw], True
        slot = parse_slot(raw)
        if slot.kind == "voice":
            text = self.voice(slot.name)
        elif slot.kind == "record":  # a county quotes its own records, never a 乡镇's words as its own
            text = self.facts.record_text(slot.name, self.types, self.summaries, own=self.facts.voice.county)
        elif slot.kind == "word":
            text = slot.text if self.facts.all_yes(self.types, slot.field) else ""
        elif slot.kind == "values":
            text = numbers.listing(str(v) for v in self.facts.field_values(self.types, slot.field))
        else:
            text = self.facts.figure_text(slot)
        return text, slot.optional or slot.kind == "word"

    def fill(self, text: str) -> str | None:
        """The text with its slots filled, or None when a slot that may not be empty has nothing."""
        out: list[str] = []
        at = 0
        printed: list[tuple[str, str, int]] = []
        for match in SLOT.finditer(text):
            raw = match.group(1)
            value, may_be_empty = self.value(raw)
            if not value and not may_be_empty:
                return None
            out.append(text[at : match.start()])
            if raw not in self.extra and value:
                slot = parse_slot(raw)
                at_ = sum(len(p) for p in out)
                if slot.kind == "figure" and slot.scope != "top" and not slot.attr:
                    printed.append((slot.name, value, at_))
                elif slot.kind == "figure":
                    # 同比, a ratio's parts, an attribution: quoted as well, under a code stale checks skip
                    printed.append((f"{slot.name}.{slot.attr or slot.scope}", value, at_))
                elif slot.kind == "voice" and slot.name == "units":
                    printed.append(("units", value, at_))
            out.append(value)
            at = match.end()
        out.append(text[at:])
        filled = "".join(out)
        for code, value, position in printed:
            # the words before the figure, back to the last punctuation and without a leading date
            lead = re.sub(r"^[\d月日至年、]+", "", re.split(r"[，。；：（）]", filled[:position])[-1])[-12:]
            self.figures.append((code, lead, value))
        return filled


def _said(
    clause: Clause, facts: Facts, filler: _Filler, types: tuple[str, ...], summaries: int
) -> str | None:
    county = facts.voice.county
    text = clause.county if county else clause.text
    conditions = clause.county_when if county else clause.when
    if not text or not all(facts.holds(c, types, summaries) for c in conditions):
        return None
    filled = filler.fill(text)
    return one_line(filled) if filled else None


OVERLAP = 6  # characters two clauses may share before the later (or the staff summary) is left out
_SUMMARY = "{summaries}"


def _shared(a: str, b: str, size: int = OVERLAP) -> bool:
    """True when `a` and `b` share a run of `size` characters that is not only digits and units."""
    for start in range(len(a) - size + 1):
        piece = a[start : start + size]
        if piece in b and not re.fullmatch(r"[\d.%余以上，、]+", piece):
            return True
    return False


def sentences(parts: list[tuple[str, Clause]]) -> str:
    """Clauses joined into sentences: '，' between them (or the clause's own join), '。' where one ends.

    No phrase twice in a paragraph: a staff summary sharing a run of words with a clause of figures is left
    out (the figures stay), and a clause already said in full is not said again."""
    kept: list[tuple[str, Clause]] = []
    cleaned = [(text.strip().rstrip(_END), clause) for text, clause in parts]
    figures = [text for text, clause in cleaned if _SUMMARY not in (clause.county + clause.text)]
    for text, clause in cleaned:
        if not text:
            continue
        summary = _SUMMARY in clause.text or _SUMMARY in clause.county
        if summary and any(_shared(text, other) for other in figures if other != text):
            continue
        if any(text in earlier for earlier, _ in kept):
            continue
        kept.append((text, clause))
    out, current = [], ""
    for text, clause in kept:
        current = f"{current}{clause.join}{text}" if current else text
        if clause.end:
            out.append(current + "。")
            current = ""
    if current:
        out.append(current + "。")
    return "".join(out)


def clauses_text(
    clauses: tuple[Clause, ...],
    facts: Facts,
    filler: _Filler,
    types: tuple[str, ...] = (),
    summaries: int = 2,
) -> str:
    """The sentences the clauses make for these facts ('' when none is said)."""
    said = []
    for clause in clauses:
        text = _said(clause, facts, filler, types, summaries)
        if text:
            said.append((text, clause))
    return sentences(said)


def topic_body(topic: Topic, facts: Facts, filler: _Filler | None = None) -> str:
    """What a topic says for these facts ('' when its conditions or its records say nothing)."""
    filler = filler or _Filler(facts, topic.types, topic.summaries)
    if not all(facts.holds(c, topic.types, topic.summaries) for c in topic.when):
        return ""
    return clauses_text(topic.clauses, facts, filler, topic.types, topic.summaries)


def once_whole_year(paragraphs: list[str]) -> list[str]:
    """'全年' kept at its first use in a subsection and dropped after (it reads robotic repeated)."""
    seen = False
    out = []
    for text in paragraphs:
        pieces = text.split(_WHOLE)
        if len(pieces) == 1:
            out.append(text)
            continue
        rebuilt = pieces[0]
        for piece in pieces[1:]:
            rebuilt += piece if seen else _WHOLE + piece
            seen = True
        out.append(rebuilt)
    return out


def _no_stutter(text: str) -> str:
    """'在燕山场镇在场镇设立……' → '在燕山场镇设立……': a place then a summary both starting with 在."""
    return re.sub(r"在([^，。；在]{1,15})在[^，。；]{1,15}?(?=设|开展|举办|组织)", r"在\1", text)


def write_topics(facts: Facts, topics: list[Topic]) -> Written:
    """The paragraphs of a subsection from its topics: '一是{lead}。{body}' when there are several."""
    told: list[tuple[Topic, str]] = []
    figures: list[tuple[str, str, str]] = []
    for topic in topics:
        filler = _Filler(facts, topic.types, topic.summaries)
        body = topic_body(topic, facts, filler)
        if body:
            told.append((topic, _no_stutter(body)))
            figures += filler.figures
    if len(told) > 1:
        paragraphs = [
            f"{numbers.numeral(n)}是{topic.county_lead if facts.voice.county else topic.lead}。{body}"
            for n, (topic, body) in enumerate(told, 1)
        ]
    else:
        paragraphs = [body for _, body in told]
    return Written(once_whole_year(paragraphs), figures, [topic.code for topic, _ in told])


def _section_text(template: str, facts: Facts, extra: dict[str, str] | None = None) -> str:
    filler = _Filler(facts, (), 2, extra)
    return filler.fill(template) or ""


def opening(facts: Facts, areas_told: list[str]) -> Written:
    """The opening paragraph, naming the kinds of work the records show; a placeholder for a year without."""
    spec = facts.wording.sections["opening"]
    if not areas_told:
        return Written([str(spec["placeholder"])])
    guidance = ""
    for start, text in sorted((int(k), str(v)) for k, v in spec.get("guidance", {}).items()):
        if facts.year >= start:
            guidance = text
    listed = str(spec["areas"]).replace("{list}", numbers.listing(areas_told, limit=5))
    template = str(spec["county" if facts.voice.county else "text"])
    filler = _Filler(facts, (), 2, {"guidance": guidance, "areas": listed})
    text = filler.fill(template) or str(spec["placeholder"])
    return Written([text.replace("，，", "，")], filler.figures)


def duty(facts: Facts) -> Written:
    """“二”: each group with something the records support under its heading; a placeholder otherwise."""
    paragraphs: list[str] = []
    figures: list[tuple[str, str, str]] = []
    for group in facts.wording.duty:
        filler = _Filler(facts)
        body = clauses_text(group.clauses, facts, filler)
        if body:  # numbered among the groups said: （一）, （二）… with no gap where a group has nothing
            number = numbers.subheading_number(len(paragraphs) // 2 + 1)
            paragraphs += [number + group.heading, body]
            figures += filler.figures
    if not paragraphs:
        return Written([str(facts.wording.sections["duty_placeholder"]["text"])])
    return Written(paragraphs, figures)


@dataclass(frozen=True)
class Shortfall:
    """An indicator that missed a target the unit set itself."""

    code: str
    name: str
    area: str
    value: float | None
    target: float
    recorded: bool


def shortfalls(facts: Facts, limit: int = 3) -> list[Shortfall]:
    """Indicators below the targets the unit itself set for the year (never default targets), most missed
    first; must-stay-zero and 'more is worse' indicators above their targets count too."""
    found: list[tuple[float, Shortfall]] = []
    for code, target in facts.stored_targets.items():
        if not facts.known(code):
            continue
        row = facts.table.loc[code]
        if row["status"] not in ("未达标", "落后", "无记录"):
            continue
        figure = facts.figure(code)
        value = figure.value if figure else None
        gap = 1.0 - (value or 0) / target if target else 1.0
        area = str(row["area_code"])
        found.append(
            (-gap, Shortfall(code, str(row["name"]), area, value, target, bool(figure and figure.records)))
        )
    return [item for _, item in sorted(found, key=lambda pair: pair[0])][:limit]


def shortcomings(facts: Facts) -> Written:
    """“三”: the real shortfalls against the unit's own targets, each with a place for its 原因."""
    spec = facts.wording.sections["shortcomings"]
    missed = shortfalls(facts, int(spec.get("limit", 3)))
    if not missed:
        return Written([str(spec["placeholder"])])
    paragraphs = [_section_text(str(spec["intro"]), facts)]
    for number, item in enumerate(missed, 1):
        lead = facts.wording.areas.get(item.area, {}).get("shortfall", "")
        template = str(spec["item"] if item.recorded and item.value is not None else spec["item_absent"])
        extra = {
            "lead": lead,
            "name": item.name,
            "value": facts.format(item.code, item.value or 0),
            "target": facts.format(item.code, item.target),
        }
        text = _section_text(template, facts, extra)
        paragraphs.append(f"{numbers.numeral(number)}是{text}。{spec['reason']}。")
    return Written(paragraphs)


def plan(facts: Facts, areas_told: list[str]) -> Written:
    """“四”: continuing the kinds of work the year recorded, fixing the shortfalls, and a place for the
    year's own plans."""
    spec = facts.wording.sections["plan"]
    placeholder = _section_text(str(spec["placeholder"]), facts)
    items = [facts.wording.areas.get(code, {}).get("plan", "") for code in areas_told]
    items = [i for i in dict.fromkeys(items) if i][: int(spec.get("limit", 4))]
    missed = shortfalls(facts)
    if missed:
        names = numbers.listing(item.name for item in missed)
        fix = facts.wording.areas.get(missed[0].area, {}).get("fix", "")
        items.append(_section_text(str(spec["shortfall"]), facts, {"names": names, "fix": fix}))
    if not items:
        return Written([placeholder])
    intro = _section_text(str(spec["intro"]), facts)
    body = "；".join(f"{numbers.numeral(n)}是{item}" for n, item in enumerate(items, 1))
    return Written([f"{intro}{body}。", placeholder])


def typical_cases(facts: Facts, records: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """(record type, paragraph) for the records staff marked as typical cases, at most the configured few."""
    spec = facts.wording.sections["cases"]
    out = []
    for record in records[: int(spec.get("limit", 2))]:
        summary = one_line(record.get("summary", ""))
        if not summary:
            continue
        text = str(spec["text"]).replace("{title}", title_text(record["title"])).replace("{summary}", summary)
        out.append((str(record["type_code"]), text.rstrip(_END) + "。"))
    return out


def placeholders(paragraphs: list[str]) -> list[str]:
    """Every '【请填写：……】' left in these paragraphs, in order."""
    return [match for text in paragraphs for match in PLACEHOLDER.findall(text)]

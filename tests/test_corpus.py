"""The report corpus (tests/fixtures/reports): published 法治政府建设 reports with the records an office would
enter for them. Each report's records go into a fresh database and its report is generated; every published
figure must come out in the report's words (or an equivalent the fixture accepts), the 2021–2025 纲要's
structure is used, and no number in the body lacks a record behind it.

`pytest -s tests/test_corpus.py` prints the score of each report and of the corpus; the overall test also
puts the table into its assertion message.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from difflib import SequenceMatcher
from pathlib import Path
from typing import Any

import pytest

from fazhi import auth, cases, db, records
from fazhi.catalog import Catalog
from fazhi.records import RecordInput
from fazhi.report import context as ctx
from fazhi.report import options, structure
from fazhi.report.facts import one_line, title_text
from fazhi.report.wording import SLOT, load_wording
from fazhi.units import insert_unit

CORPUS = Path(__file__).parent / "fixtures" / "reports"
NAMES = sorted(p.stem for p in CORPUS.glob("*.toml") if p.stem != "proposals")
SYSTEM = auth.system_user("语料")
TARGET = 0.95  # share of published figures that must come out in the right words
FLOOR = 0.75  # no single report may fall below this
NUMBER = re.compile(r"\d+(?:\.\d+)?")
DATES = re.compile(
    r"(?:\d{4}年)?\d{1,2}月\d{1,2}日(?:至(?:\d{4}年)?(?:\d{1,2}月)?\d{1,2}日)?|\d{1,2}月\d{1,2}、\d{1,2}日|\d{4}年度?"
)
_LAW = re.compile(r"《[^《》]{1,40}》")


def fixture(name: str) -> dict[str, Any]:
    """One corpus file as data."""
    with (CORPUS / f"{name}.toml").open("rb") as handle:
        return tomllib.load(handle)


@dataclass
class Figure:
    """One published figure and how the generated report said it."""

    phrase: str
    words: list[str]
    matched: bool
    closest: str


@dataclass
class Outcome:
    """A corpus report regenerated from its records."""

    name: str
    unit: str
    year: int
    context: dict[str, Any]
    paragraphs: list[str]
    figures: list[Figure] = field(default_factory=list)
    unbacked: list[str] = field(default_factory=list)  # numbers of the body no figure slot printed

    @property
    def matched(self) -> int:
        return sum(f.matched for f in self.figures)

    def line(self) -> str:
        """'chongqing-longtan-2025  龙潭镇  18/18  100%' and, under it, each miss with the nearest sentence."""
        share = self.matched / len(self.figures) if self.figures else 1.0
        out = [f"{self.name}  {self.unit}  {self.matched}/{len(self.figures)}  {share:.0%}"]
        for figure in self.figures:
            if not figure.matched:
                out.append(f"    未写出：{figure.phrase}")
                out.append(f"      最接近：{figure.closest}")
        return "\n".join(out)


def body(context: dict[str, Any]) -> list[str]:
    """Every paragraph of the report body, in order (headings included)."""
    found = [p["text"] for p in context["opening"]]
    for part in context["measures"]:
        found += [part["heading"], *(p["text"] for p in part["paragraphs"])]
    for key in ("duty", "shortcomings", "plan", "other"):
        found += [p["text"] for p in context[key]]
    return found


def sentences(paragraphs: list[str]) -> list[str]:
    return [s for p in paragraphs for s in re.split(r"(?<=[。；])", p) if s.strip()]


def closest(phrase: str, paragraphs: list[str]) -> str:
    """The sentence sharing the longest run of characters with the phrase (ties: the most alike)."""

    def score(sentence: str) -> tuple[int, float]:
        matcher = SequenceMatcher(None, phrase, sentence, autojunk=False)
        return matcher.find_longest_match(0, len(phrase), 0, len(sentence)).size, matcher.ratio()

    found = sentences(paragraphs)
    return max(found, key=score) if found else ""


def staff_texts(data: dict[str, Any]) -> list[str]:
    """Everything the records' own words may put into the report: titles (as entered and as the report
    names them), summaries, places, laws and text fields. Numbers inside them are the staff's, not figures."""
    found: set[str] = set()
    for record in data["records"]:
        for raw in (record.get("title", ""), record.get("summary", ""), record.get("place", "")):
            text = one_line(raw)
            if text:
                found |= {text, title_text(text), *text.split("；"), *_LAW.findall(text)}
        found |= {str(v) for v in record.get("values", {}).values() if isinstance(v, str) and v}
    return sorted((t for t in found if t), key=len, reverse=True)


def wording_constants(catalog: Catalog) -> list[str]:
    """The fixed words of wording entries that hold digits ('每季度至少学法1次'): said only when their
    conditions hold, never a figure read from records."""
    wording = load_wording(catalog)
    clauses = [c for t in wording.topics for c in t.clauses] + [c for g in wording.duty for c in g.clauses]
    found = set()
    for clause in clauses:
        for text in (clause.text, clause.county):
            found |= {piece for piece in SLOT.split(text) if re.search(r"\d", piece)}
    return sorted(found, key=len, reverse=True)


def unbacked_numbers(outcome_context: dict[str, Any], data: dict[str, Any], catalog: Catalog) -> list[str]:
    """Numbers in the body that no figure slot printed (dates, years, the 纲要's title and the records' own
    words aside)."""
    text = "\n".join(body(outcome_context))
    for quoted in [outcome_context["outline_name"], *staff_texts(data), *wording_constants(catalog)]:
        text = text.replace(quoted, "　")
    text = DATES.sub("　", text)
    printed = {
        n for s in outcome_context["sections"] for _, _, value in s["figures"] for n in NUMBER.findall(value)
    }
    return [number for number in NUMBER.findall(text) if number not in printed]


def generate(name: str, folder: Path, catalog: Catalog) -> Outcome:
    """Import the report's records into a fresh database and write its report."""
    data = fixture(name)
    source = data["source"]
    database = db.connect(folder / "corpus.duckdb")
    try:
        made: dict[str, Any] = {}
        with database.transaction() as cur:
            # a 乡镇's own 区县, so the report names its superior (区委、区政府 or 县委、县政府)
            if source["level"] == "township" and source.get("parent"):
                made[source["parent"]] = insert_unit(cur, source["parent"], "county", None)
            for unit in data["units"]:
                parent = made.get(unit.get("parent") or source.get("parent", ""))
                made[unit["name"]] = insert_unit(cur, unit["name"], unit["level"], parent)
        top = made[source["unit"]]
        items = [
            RecordInput(
                type_code=r["type"],
                unit_id=made[r["unit"]].id,
                title=r["title"],
                start_on=date.fromisoformat(r["start_on"]),
                end_on=date.fromisoformat(r["end_on"]) if r.get("end_on") else None,
                place=r.get("place", ""),
                summary=r.get("summary", ""),
                values=dict(r.get("values", {})),
            )
            for r in data["records"]
        ]
        ids = records.import_records(database, SYSTEM, catalog, items)
        for record_id, record in zip(ids, data["records"], strict=True):
            if record.get("typical_case"):
                cases.mark(database, SYSTEM, catalog, record_id, True)
        for code, style in data.get("options", {}).get("styles", {}).items():
            options.save_style(database, SYSTEM, top, code, style)  # the unit's 数字写法 (报告设置)
        year = int(source["year"])
        context = ctx.build_context(database, SYSTEM, catalog, top, year, today=date(year + 1, 1, 20))
    finally:
        database.close()
    paragraphs = body(context)
    text = "\n".join(paragraphs)
    outcome = Outcome(name, source["unit"], year, context, paragraphs)
    for item in data["figures"]:
        words = [item["phrase"], *item.get("accept", [])]
        matched = any(w in text for w in words)
        outcome.figures.append(
            Figure(item["phrase"], words, matched, "" if matched else closest(item["phrase"], paragraphs))
        )
    outcome.unbacked = unbacked_numbers(context, data, catalog)
    return outcome


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory, catalog: Catalog) -> Callable[[str], Outcome]:
    """Each report regenerated once per test module."""
    made: dict[str, Outcome] = {}

    def get(name: str) -> Outcome:
        if name not in made:
            made[name] = generate(name, tmp_path_factory.mktemp(name), catalog)
        return made[name]

    return get


def test_the_corpus_is_large_enough() -> None:
    levels = [fixture(n)["source"]["level"] for n in NAMES]
    assert len(NAMES) >= 10 and levels.count("county") >= 2 and levels.count("township") >= 8


@pytest.mark.parametrize("name", NAMES)
def test_each_report_from_its_records(corpus: Callable[[str], Outcome], catalog: Catalog, name: str) -> None:
    outcome = corpus(name)
    print("\n" + outcome.line())
    context = outcome.context
    # the 2021–2025 纲要 from 2021: its name in the opening, its subsections in “一”
    outline = catalog.outline_for(outcome.year)
    assert outcome.year >= 2021 and outline.code == "g2021"
    assert context["outline_name"] == outline.name and f"《{outline.name}》" in context["opening"][0]["text"]
    headings = {p.heading for p in structure.parts_for(catalog, outcome.year)}
    assert [re.sub(r"^（[一二三四五六七八九十]+）", "", m["heading"]) for m in context["measures"]]
    assert all(
        re.sub(r"^（[一二三四五六七八九十]+）", "", m["heading"]) in headings for m in context["measures"]
    )
    # no sentence states a figure without a record behind it
    assert outcome.unbacked == [], f"{name}: numbers without a figure slot: {outcome.unbacked}\n" + "\n".join(
        outcome.paragraphs
    )
    assert outcome.matched >= FLOOR * len(outcome.figures), outcome.line()
    # the appendix prints no 0 or 0% that only means nobody filled the field (these records leave many blank)
    assert [r["name"] for r in context["indicator_rows"] if re.match(r"0(?![.\d])", r["value"])] == []
    # and a numbered heading of “二” for each group said, from （一）
    duty_headings = [p["text"] for p in context["duty"] if re.match(r"^（[一二三]）", p["text"])]
    assert duty_headings == [f"（{n}）" + h[3:] for n, h in zip("一二三", duty_headings, strict=False)]


def test_the_corpus_comes_out_in_the_reports_words(corpus: Callable[[str], Outcome]) -> None:
    outcomes = [corpus(name) for name in NAMES]
    matched = sum(o.matched for o in outcomes)
    total = sum(len(o.figures) for o in outcomes)
    table = "\n".join(o.line() for o in outcomes)
    summary = f"corpus  {len(outcomes)} reports  {matched}/{total}  {matched / total:.1%}"
    print("\n" + table + "\n" + summary)
    assert matched >= TARGET * total, table + "\n" + summary


@pytest.mark.parametrize("name", NAMES)
def test_accepted_wordings_keep_their_measure_words(name: str) -> None:
    """An accepted equivalent is never a bare number: it keeps words beyond the figure and its unit."""
    for item in fixture(name)["figures"]:
        for words in item.get("accept", []):
            rest = NUMBER.sub("", words).replace(item["unit"], "")
            assert len(re.findall(r"[\u4e00-\u9fff]", rest)) >= 2, (item["phrase"], words)
    for item in fixture(name).get("unbacked", []):
        assert item["phrase"] and item["why"].strip()


def test_a_number_without_a_record_is_caught(corpus: Callable[[str], Outcome], catalog: Catalog) -> None:
    """The check itself: a stray figure in the body is named, while dates, years, the 纲要's name and the
    records' own words are not."""
    outcome = corpus("chongqing-longtan-2025")
    context = {
        **outcome.context,
        "other": [{"text": "2025年12月24日另开展宣传活动37场次。", "heading": False}],
    }
    assert unbacked_numbers(context, fixture("chongqing-longtan-2025"), catalog) == ["37"]

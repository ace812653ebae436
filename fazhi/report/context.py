"""build_context: everything the report template needs, computed and formatted (pure data, no docx).

The figures come from `indicators.indicator_table`; the sentences from data/wording.toml through
`writer` (what records support, a marked placeholder where they say nothing); text saved by staff
(fazhi.narratives) replaces a section's draft, and a saved text quoting a figure that has changed since is
flagged (`stale`) so no report carries two values for one figure. `variables()` (fazhi/report/variables.py)
documents every top-level key.

Over 400 lines because the context is one contract with the template: every key is computed here, and
saving a section's text (`save_section`, `take_new_figures`) checks it against the same figures and
section list `build_context` uses, so a section added or a figure renamed is one change in one module.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import pandas as pd

from fazhi import cases, dashboard, narratives, worker
from fazhi.catalog import Catalog
from fazhi.db import Database
from fazhi.errors import ChartsUnavailable, InvalidInput, Problem
from fazhi.indicators import compute_values, indicator_table
from fazhi.ledger import RecordFilter, list_records
from fazhi.permissions import User, require_view
from fazhi.report import frozen, numbers, structure, texts, writer
from fazhi.report.facts import Facts, Figure, Voice
from fazhi.report.options import ReportOptions, load_options, self_reference, short_name, suffix, superior
from fazhi.report.wording import load_wording
from fazhi.targets import stored_targets
from fazhi.units import Unit, children

DATE_SECTION = "date"
_DATE = re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日$")
UNIT_COLUMNS = 4  # indicators in the county's table of its 乡镇
THIN = 10  # fewer records than this make a thin year: the page says what is missing


@dataclass(frozen=True)
class SectionSpec:
    """An editable section: its key in `narratives`, how the page names it, and whether it may be empty."""

    key: str
    title: str
    heading: str
    required: bool


def headings(year: int) -> dict[str, str]:
    """The five first-level headings (the statutory items, DOMAIN.md §2)."""
    names = ("measures", "duty", "shortcomings", "plan", "other")
    return {name: texts.text(f"headings.{name}", year=year, next_year=year + 1) for name in names}


def section_specs(catalog: Catalog, year: int) -> list[SectionSpec]:
    """Every section a user may edit for a year, in report order."""
    heads = headings(year)
    specs = [SectionSpec("opening", texts.text("sections.opening"), "", True)]
    for part in structure.parts_for(catalog, year):
        title = texts.text("sections.part", heading=part.heading)
        specs.append(SectionSpec(f"measures.{part.code}", title, part.heading, False))
    specs += [
        SectionSpec("duty", heads["duty"], heads["duty"], True),
        SectionSpec("shortcomings", heads["shortcomings"], heads["shortcomings"], True),
        SectionSpec("plan", heads["plan"], heads["plan"], True),
        SectionSpec("other", heads["other"], heads["other"], False),
        SectionSpec(DATE_SECTION, texts.text("sections.date"), "", True),
    ]
    return specs


def default_date(year: int, today: date | None = None) -> date:
    """成文日期 by default: the day the report is generated (staff set another on the page)."""
    return today or date.today()


def parse_date(text: str) -> date:
    """A 成文日期 typed as '2021年1月15日' (or 2021-01-15); InvalidInput otherwise."""
    text = text.strip()
    match = _DATE.match(text) or re.match(r"^(\d{4})-(\d{1,2})-(\d{1,2})$", text)
    try:
        if match:
            return date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        pass
    raise InvalidInput([Problem("date", texts.text("messages.date_format"))])


def _signing_date(text: str) -> date | None:
    try:
        return parse_date(text)
    except InvalidInput:
        return None


def title_lines(title: str, prefix: str) -> list[str]:
    """The title, broken before “关于” when it is too long for one line (about 19 characters at 22 pt)."""
    width = sum(0.5 if ch.isascii() else 1 for ch in title)
    if width <= 19 or not prefix or title.find(prefix) != 0 or len(title) == len(prefix):
        return [title]
    return [prefix, title[len(prefix) :]]


def _number(value: Any) -> float | None:
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else float(value)


# ───────────── the facts ─────────────


def voice(db: Database, unit: Unit, outline: str, parent_name: str | None = None) -> Voice:
    """How the report names its unit (我乡/我区, 全乡/全区, 乡党委/区委 …) and its superior."""
    ending = suffix(unit.name)
    bodies = texts.table("names.bodies")
    committee, government = bodies.get(ending, bodies["fallback"])
    county = unit.level == "county"
    below = [u for u in children(db, unit) if u.level == "township"] if county else []
    return Voice(
        self_name=self_reference(unit),
        whole=texts.text("names.whole", suffix=ending)
        if ending
        else self_reference(unit).replace("我", "全", 1),
        committee=committee,
        government=government,
        superior=superior(db, unit, parent_name).rstrip("："),
        short=short_name(unit),
        outline=outline,
        county=county,
        children=len(below),
    )


def _figures_by_bucket(
    db: Database, catalog: Catalog, unit: Unit, year: int, table: pd.DataFrame
) -> tuple[dict[str, Figure], dict[str, dict[str, Figure]]]:
    """A county's own figures and each 乡镇's, from one by-child query (this year and last)."""
    values = compute_values(db, catalog, unit, [year - 1, year], by_child=True)
    names = {u.id: u.name for u in children(db, unit)}
    kinds = dict(zip(table.index, table["kind"], strict=True))
    units = dict(zip(table.index, table["unit"], strict=True))
    found: dict[int, dict[str, Figure]] = {}
    last = {(int(r.bucket), r.code): r for r in values[values["year"] == year - 1].itertuples()}
    for row in values[values["year"] == year].itertuples():
        before = last.get((int(row.bucket), row.code))
        found.setdefault(int(row.bucket), {})[row.code] = Figure(
            code=row.code,
            unit=str(units.get(row.code, "")),
            kind=str(kinds.get(row.code, "")),
            value=_number(row.value),
            records=int(row.records),
            previous=_number(before.value) if before is not None else None,
            previous_records=int(before.records) if before is not None else 0,
            numerator=_number(row.numerator),
            denominator=_number(row.denominator),
        )
    own = found.pop(unit.id, {})
    return own, {names[b]: figures for b, figures in found.items() if b in names}


def report_facts(
    db: Database,
    user: User,
    catalog: Catalog,
    unit: Unit,
    year: int,
    *,
    options: ReportOptions,
    today: date | None = None,
    shown: Unit | None = None,
    parent_name: str | None = None,
) -> Facts:
    """Everything the writer needs for a unit-year (a county's own records and 乡镇 apart)."""
    shown = shown or unit
    table = indicator_table(db, user, catalog, unit, year, today=today).set_index("code", drop=False)
    frame = list_records(db, user, catalog, RecordFilter(year=year, unit_id=unit.id))
    outline = catalog.outline_for(year)
    speaking = voice(db, shown, outline.name, parent_name)
    own: dict[str, Figure] = {}
    by_child: dict[str, dict[str, Figure]] = {}
    own_frame = None
    if speaking.county:
        own, by_child = _figures_by_bucket(db, catalog, unit, year, table)
        own_frame = frame[frame["unit_id"] == unit.id]
    return Facts(
        catalog=catalog,
        wording=load_wording(catalog),
        year=year,
        table=table,
        frame=frame,
        voice=speaking,
        exact=options.exact_numbers,
        styles=dict(options.styles),
        stored_targets=stored_targets(db, unit, year),
        own=own,
        by_child=by_child,
        own_frame=own_frame,
    )


# ───────────── sections ─────────────


def indicator_rows(
    table: pd.DataFrame, stored: dict[str, float] | None = None, omit: tuple[str, ...] = ()
) -> list[dict[str, str]]:
    """The appendix table: indicators with a value recorded this year, and those with a target the unit set
    itself. A must-stay-zero indicator only when recorded; zeros nobody entered (and 0% of a rate meant to be
    high) are never printed as results;
    a ratio whose records give no value (调解成功 left blank) is left out; `omit` as data/wording.toml says."""
    stored = stored or {}
    rows = []
    recorded = (table["records"] > 0) & table["value"].notna()
    # a count or sum of 0 over records that never filled its field (研究解决问题, 发放读本) is no result, nor a
    # 0 or 0% of a figure meant to be high (宣传地点 when no record named a place, 合同合法性审查覆盖率 when
    # none ticked 经合法性审查); a 0% meant to be low or to stay 0 (纠错率, 败诉率) is a result
    zero = table["value"] == 0
    recorded &= ~(zero & table["kind"].isin(["count", "sum"]))
    recorded &= ~(zero & table["direction"].isin(["up", "neutral"]) & (table["kind"] != "yesno"))
    shown = table[
        (recorded | (table["code"].isin(list(stored)) & (table["direction"] != "zero")))
        & ~table["code"].isin(list(omit))
    ]
    for number, row in enumerate(shown.itertuples(), 1):
        completion = _number(row.completion)
        moved = numbers.change(_number(row.value), _number(row.previous), points=row.unit == "%")
        if row.records <= 0 or not (row.previous_records if hasattr(row, "previous_records") else 1):
            moved = ""
        rows.append(
            {
                "no": str(number),
                "name": row.name,
                "target": row.target_text if row.code in stored else "—",
                "value": row.value_text if row.records > 0 else "—",
                "completion": numbers.percent(completion)
                if completion is not None and row.code in stored
                else "—",
                "change": moved if moved and row.kind != "yesno" else "—",
            }
        )
    return rows


def _unit_table(facts: Facts) -> tuple[list[str], list[dict[str, str]]]:
    """A county's table of its 乡镇: the indicators most of them recorded (counts and sums), one row each."""
    if not facts.voice.county or not facts.by_child:
        return [], []
    counted = [
        i.code for i in facts.catalog.indicators if i.kind in ("count", "sum") and i.direction != "zero"
    ]
    spread = sorted(
        counted,
        key=lambda code: (
            -sum(1 for figures in facts.by_child.values() if code in figures and figures[code].recorded)
        ),
    )
    chosen = [c for c in spread if any(f.get(c) and f[c].recorded for f in facts.by_child.values())][
        :UNIT_COLUMNS
    ]
    if not chosen:
        return [], []
    names = {i.code: i.name for i in facts.catalog.indicators}
    header = [
        f"{names[c]}（{facts.table.at[c, 'unit']}）" if facts.table.at[c, "unit"] else names[c]
        for c in chosen
    ]
    rows = []
    for number, (name, figures) in enumerate(facts.by_child.items(), 1):
        cells = {}
        for position, code in enumerate(chosen, 1):
            figure = figures.get(code)
            cells[f"c{position}"] = (
                numbers.plain(figure.value) if figure and figure.recorded and figure.value else "—"
            )
        rows.append({"no": str(number), "name": name, **cells})
    header += [""] * (UNIT_COLUMNS - len(header))
    for row in rows:
        for position in range(len(chosen) + 1, UNIT_COLUMNS + 1):
            row[f"c{position}"] = ""
    return header, rows


def _stale(saved: narratives.Narrative | None, facts: Facts) -> list[dict[str, str]]:
    """Figures the saved text quoted from its draft that read differently now: [{code, old, new}]."""
    if saved is None or not saved.figures:
        return []
    changed = []
    for code, lead, printed in saved.figures:
        old = f"{lead}{printed}"
        if old not in saved.body or not facts.known(code):
            continue
        figure = facts.figure(code)
        if figure is None:
            continue
        now = facts.format(
            code, figure.value or 0, previous=figure.previous if figure.previous_records else None
        )
        if figure.records <= 0 or figure.value is None:
            now = facts.format(code, 0)
        if now != printed:
            changed.append({"code": code, "old": old, "new": f"{lead}{now}"})
    return changed


def _section(
    spec: SectionSpec, draft: writer.Written, saved: narratives.Narrative | None, facts: Facts
) -> dict[str, Any]:
    text = saved.body if saved is not None else "\n".join(draft.paragraphs)
    return {
        "key": spec.key,
        "title": spec.title,
        "heading": spec.heading,
        "draft": "\n".join(draft.paragraphs),
        "text": text,
        "saved": saved is not None,
        "saved_by": saved.updated_by if saved else "",
        "saved_at": saved.updated_at if saved else None,
        "required": spec.required,
        "figures": [list(f) for f in draft.figures],
        "stale": _stale(saved, facts),
        "placeholders": writer.placeholders(text.splitlines()),
    }


def _topics_by_part(facts: Facts, parts: tuple[structure.Part, ...]) -> dict[str, list]:
    placed: dict[str, list] = {part.code: [] for part in parts}
    area_to_part = {area: part.code for part in parts for area in part.areas}
    for topic in facts.wording.topics:
        indicator = facts.catalog.indicator(topic.indicators[0])
        area = facts.catalog.indicator_area(indicator, facts.year).code
        if area in area_to_part:
            placed[area_to_part[area]].append(topic)
    return placed


def _typical(db: Database, facts: Facts, parts: tuple[structure.Part, ...]) -> dict[str, list[str]]:
    """The marked typical cases' paragraphs, by the subsection holding their record type's area."""
    marked = cases.marked_ids(db, [int(i) for i in facts.frame["id"]]) if not facts.frame.empty else set()
    if not marked:
        return {}
    chosen = facts.frame[facts.frame["id"].isin(marked)].sort_values(["start_on", "id"])
    area_to_part = {area: part.code for part in parts for area in part.areas}
    out: dict[str, list[str]] = {}
    for type_code, text in writer.typical_cases(facts, chosen.to_dict("records")):
        area = facts.catalog.area_of(type_code, facts.year).code
        out.setdefault(area_to_part.get(area, parts[0].code), []).append(text)
    return out


def build_context(
    db: Database,
    user: User,
    catalog: Catalog,
    unit: Unit,
    year: int,
    *,
    today: date | None = None,
    options: ReportOptions | None = None,
    charts: bool = False,
) -> dict[str, Any]:
    """Everything the template shows for a unit (with the units below it) and year, as plain data.

    With `charts`, chart images are made too (PNG bytes under charts[i].png); when they cannot be
    made, `charts` is empty and `charts_problem` says why in Chinese.
    """
    require_view(user, unit)
    kept = frozen.for_year(db, unit, year)  # a locked year shows names and settings as they were then
    shown = kept.unit(unit) if kept else unit
    options = options or (kept.report_options(unit) if kept else None) or load_options(db, user, unit)
    above = kept.name(unit.parent_id, "") if kept and unit.parent_id is not None else None
    facts = report_facts(
        db, user, catalog, unit, year, options=options, today=today, shown=shown, parent_name=above
    )
    saved = narratives.saved_texts(db, user, unit, year)
    heads = headings(year)
    parts = structure.parts_for(catalog, year)
    by_part = _topics_by_part(facts, parts)
    typical = _typical(db, facts, parts)

    written: dict[str, writer.Written] = {}
    areas_told: list[str] = []
    shorts: list[str] = []
    outline = catalog.outline_for(year)
    for part in parts:
        made = writer.write_topics(facts, by_part[part.code])
        made.paragraphs += typical.get(part.code, [])
        written[f"measures.{part.code}"] = made
        if made.paragraphs:
            told_areas = {
                catalog.indicator_area(catalog.indicator(t.indicators[0]), year).code
                for t in by_part[part.code]
                if t.code in made.topics
            }
            for area in part.areas:
                if area in told_areas:
                    areas_told.append(area)
                    shorts.append(outline.area(area).short)
    written["opening"] = writer.opening(facts, shorts)
    written["duty"] = writer.duty(facts)
    written["shortcomings"] = writer.shortcomings(facts)
    written["plan"] = writer.plan(facts, areas_told)
    written["other"] = writer.Written()
    written[DATE_SECTION] = writer.Written([numbers.chinese_date(default_date(year, today))])
    sections = [
        _section(spec, written[spec.key], saved.get(spec.key), facts) for spec in section_specs(catalog, year)
    ]
    text = {s["key"]: structure.paragraphs(s["text"]) for s in sections}

    measures: list[dict[str, Any]] = []
    for part in parts:
        key = f"measures.{part.code}"
        if text[key]:
            number = numbers.subheading_number(len(measures) + 1)
            measures.append({"heading": f"{number}{part.heading}", "paragraphs": text[key]})
    if not measures:  # a year with nothing recorded: a marked place, never an empty heading
        measures.append(
            {
                "heading": numbers.subheading_number(1) + texts.text("report.measures_placeholder_heading"),
                "paragraphs": structure.paragraphs(texts.text("report.measures_placeholder")),
            }
        )

    title = texts.text("report.title", prefix=options.title_prefix, year=year)
    signed = saved.get(DATE_SECTION)
    signed_on = _signing_date(signed.body) if signed else default_date(year, today)
    rows = indicator_rows(
        facts.table.reset_index(drop=True), facts.stored_targets, facts.wording.appendix_omit
    )
    unit_header, unit_rows = _unit_table(facts)
    labels = _attachments(bool(rows), bool(unit_rows), False)
    body_paragraphs = [
        *(p["text"] for key in ("opening",) for p in text[key]),
        *(line for m in measures for line in (m["heading"], *(p["text"] for p in m["paragraphs"]))),
        *(p["text"] for key in ("duty", "shortcomings", "plan", "other") for p in text[key]),
    ]
    placeholders = list(dict.fromkeys(writer.placeholders(body_paragraphs)))
    context = {
        "unit_name": shown.name,
        "year": year,
        "next_year": year + 1,
        "outline_name": outline.name,
        "title": title,
        "title_lines": title_lines(title, options.title_prefix),
        "recipient": options.recipient,
        "headings": heads,
        "opening": text["opening"],
        "measures": measures,
        "duty": text["duty"],
        "shortcomings": text["shortcomings"],
        "plan": text["plan"],
        "other": text["other"],
        "issuer": options.issuer,
        "date": numbers.chinese_date(signed_on or default_date(year, today)),
        **labels,
        "table_note": texts.table("appendix")["table_note"],
        "indicator_rows": rows,
        "units_header": unit_header,
        "unit_rows": unit_rows,
        "units_note": texts.table("appendix")["units_note"],
        "charts": [],
        "charts_problem": "",
        "sections": sections,
        "placeholders": placeholders,
        "warnings": _warnings(facts, sections, placeholders),
        "stale": [dict(s, section=sec["title"]) for sec in sections for s in sec["stale"]],
    }
    if not charts:
        return context
    return with_charts(context, *chart_images(db, user, catalog, unit, year, kept))


def with_charts(context: dict[str, Any], images: list[dict[str, Any]], problem: str) -> dict[str, Any]:
    """A context built without charts, with these chart images (or the reason there are none) and the
    attachments renumbered: the report download reuses the page's cached context (a new dict)."""
    labels = _attachments(bool(context["indicator_rows"]), bool(context["unit_rows"]), bool(images))
    return {**context, **labels, "charts": images, "charts_problem": problem}


def _attachments(rows: bool, unit_rows: bool, images: bool) -> dict[str, Any]:
    """The appendix's list and the label over each of its parts (附件 alone, or 附件1, 附件2 … when several)."""
    appendix = texts.table("appendix")
    table_title, units_title, charts_title = (
        appendix[k] for k in ("table_title", "units_title", "charts_title")
    )
    attachments = [table_title] if rows else []
    if unit_rows:
        attachments.append(units_title)
    if images:
        attachments.append(charts_title)
    numbered = len(attachments) > 1
    plain_label = texts.text("report.attachment")
    label = {
        name: texts.text("report.attachment_numbered", number=n) if numbered else plain_label
        for n, name in enumerate(attachments, 1)
    }
    return {
        "attachments": [
            texts.text("report.numbered_item", number=n, name=name) for n, name in enumerate(attachments, 1)
        ]
        if numbered
        else attachments,
        "table_label": label.get(table_title, plain_label),
        "table_title": table_title,
        "units_label": label.get(units_title, ""),
        "units_title": units_title,
        "charts_label": label.get(charts_title, plain_label),
        "charts_title": charts_title,
    }


def _warnings(facts: Facts, sections: list[dict[str, Any]], placeholders: list[str]) -> list[str]:
    """What the page and the CLI tell before download: a thin or empty year, placeholders left."""
    spec = facts.wording.sections["warnings"]
    found = []
    empty = [s["title"] for s in sections if s["placeholders"] and not s["saved"]]
    if facts.record_count == 0:
        found.append(str(spec["empty"]))
    elif empty:
        template = str(spec["thin" if facts.record_count < THIN else "sections"])
        found.append(
            template.replace("{records}", str(facts.record_count))
            .replace("{count}", str(len(empty)))
            .replace("{sections}", "、".join(empty))
        )
    if placeholders:
        found.append(str(spec["placeholders"]).replace("{count}", str(len(placeholders))))
    return found


def chart_images(
    db: Database, user: User, catalog: Catalog, unit: Unit, year: int, kept: frozen.Frozen | None = None
) -> tuple[list[dict[str, Any]], str]:
    """Chart images for the appendix (units named as the locked year knew them, `kept` read when not
    given), or ([], why not). The figures are read here; the images are drawn in the worker process
    (fazhi/worker.py) when the server runs one."""
    kept = kept or frozen.for_year(db, unit, year)
    from fazhi.report import figures  # plotly and kaleido load only when a report has charts

    data = dashboard.dashboard_data(db, user, catalog, unit, year)
    try:
        made = worker.call(
            figures.chart_images, data, catalog, kept.names if kept else None, task="生成报告图表"
        )
    except ChartsUnavailable as error:
        return [], error.message
    return [
        {
            "png": png,
            "caption": texts.text("report.figure_caption", number=n, caption=caption),
            "width_mm": figures.WIDTH_MM,
        }
        for n, (caption, png) in enumerate(made, 1)
    ], ""


def preview_text(context: dict[str, Any]) -> str:
    """The whole report as plain text, in the order the template lays it out (for the page's preview)."""
    lines = [*context["title_lines"], "", context["recipient"]]
    indent = "\u3000\u3000"  # two full-width spaces: the first-line indent of the 公文 body

    def add(paragraphs: list[dict[str, Any]]) -> None:
        lines.extend(indent + str(p["text"]) for p in paragraphs)

    add(context["opening"])
    lines.append(indent + context["headings"]["measures"])
    for part in context["measures"]:
        lines.append(indent + part["heading"])
        add(part["paragraphs"])
    for key in ("duty", "shortcomings", "plan", "other"):
        if key == "other" and not context["other"]:
            continue
        lines.append(indent + context["headings"][key])
        add(context[key])
    if context["attachments"]:
        lead = texts.text("report.attachment_list")
        lines += ["", indent + lead + ("\n" + indent + "\u3000" * len(lead)).join(context["attachments"])]
    lines += ["", f"{context['issuer']:>30}", f"{context['date']:>30}"]
    if context["indicator_rows"]:
        lines += [
            "",
            context["table_label"],
            context["table_title"],
            "｜".join(texts.table("appendix.table_headers")),
        ]
        lines += [
            "｜".join(r[k] for k in ("no", "name", "target", "value", "completion", "change"))
            for r in context["indicator_rows"]
        ]
    if context["unit_rows"]:
        lines += ["", context["units_label"], context["units_title"]]
        lines.append(
            "｜".join([*texts.table("appendix.units_headers"), *[h for h in context["units_header"] if h]])
        )
        width = len([h for h in context["units_header"] if h])
        lines += [
            "｜".join([r["no"], r["name"], *[r[f"c{n}"] for n in range(1, width + 1)]])
            for r in context["unit_rows"]
        ]
    return "\n".join(lines)


def save_section(
    db: Database,
    user: User,
    catalog: Catalog,
    unit: Unit,
    year: int,
    key: str,
    text: str,
    *,
    expected: datetime | None,
    figures: list[list[str]] | None = None,
) -> narratives.SavedText:
    """Save the text of one section of the year's report (see narratives.save_text); the 成文日期 must be a
    date and is stored as '2021年1月15日'; sections the report must have may not be empty. `figures` are
    the draft's quoted figures ([code, lead, figure]) so later changes to them are noticed; computed from
    the current draft when not given."""
    specs = {spec.key: spec for spec in section_specs(catalog, year)}
    if key not in specs:
        raise InvalidInput([Problem("section", texts.text("messages.no_section", year=year, key=key))])
    if key == DATE_SECTION:
        text = numbers.chinese_date(parse_date(text))
        figures = []
    if figures is None:
        context = build_context(db, user, catalog, unit, year)
        figures = next(s["figures"] for s in context["sections"] if s["key"] == key)
    return narratives.save_text(
        db,
        user,
        unit,
        year,
        key,
        text,
        expected=expected,
        required=specs[key].required,
        figures=[(str(c), str(lead), str(value)) for c, lead, value in figures],
    )


def take_new_figures(
    db: Database, user: User, catalog: Catalog, unit: Unit, year: int, key: str
) -> narratives.SavedText | None:
    """Replace, in a section's saved text, every figure that has changed since it was saved with the figure
    as it reads now (the one click offered beside a stale section); None when nothing needed changing."""
    context = build_context(db, user, catalog, unit, year)
    section = next((s for s in context["sections"] if s["key"] == key), None)
    if section is None or not section["stale"]:
        return None
    text = section["text"]
    for change in section["stale"]:
        text = text.replace(change["old"], change["new"])
    return save_section(
        db, user, catalog, unit, year, key, text, expected=section["saved_at"], figures=section["figures"]
    )


def reset_section(db: Database, user: User, catalog: Catalog, unit: Unit, year: int, key: str) -> bool:
    """Drop the saved text of a section so the automatic draft is used again; False when none was saved."""
    if key not in {spec.key for spec in section_specs(catalog, year)}:
        raise InvalidInput([Problem("section", texts.text("messages.no_section", year=year, key=key))])
    return narratives.reset_text(db, user, unit, year, key)

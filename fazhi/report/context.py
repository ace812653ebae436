"""build_context: everything the report template needs, computed and formatted (pure data, no docx).

The figures come from `indicators.indicator_table`; drafts from `drafts`; text saved by staff
(fazhi.narratives) replaces a section's draft. `VARIABLES` documents every top-level key: the page's
variable reference for custom templates and the contract test both use it.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import pandas as pd

from fazhi import narratives
from fazhi.auth import User, require_view
from fazhi.catalog import Catalog
from fazhi.db import Database
from fazhi.errors import ChartsUnavailable, InvalidInput, Problem
from fazhi.indicators import indicator_table
from fazhi.records import RecordFilter, list_records
from fazhi.report import drafts, frozen, numbers
from fazhi.report.options import ReportOptions, load_options, self_reference, short_name, superior
from fazhi.units import Unit

DATE_SECTION = "date"
_DATE = re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日$")
TABLE_TITLE = "主要指标完成情况"
CHARTS_TITLE = "工作开展情况图表"
TABLE_NOTE = (
    "注：完成率为完成情况与年度目标之比；较上年一栏，比率类指标按百分点比较，其余按增减幅度比较；"
    "“—”表示未设目标、当年或上年没有可比数据。数据来源：本单位法治政府建设工作台账。"
)


@dataclass(frozen=True)
class SectionSpec:
    """An editable section: its key in `narratives`, how the page names it, and whether it may be empty."""

    key: str
    title: str
    heading: str
    required: bool


def headings(year: int) -> dict[str, str]:
    """The five first-level headings (the statutory items, DOMAIN.md §2)."""
    return {
        "measures": f"一、{year}年推进法治政府建设的主要举措和成效",
        "duty": "二、党政主要负责人履行推进法治建设第一责任人职责情况",
        "shortcomings": "三、存在的不足和原因",
        "plan": f"四、{year + 1}年工作安排",
        "other": "五、其他需要报告的情况",
    }


def section_specs(catalog: Catalog, year: int) -> list[SectionSpec]:
    """Every section a user may edit for a year, in report order."""
    heads = headings(year)
    specs = [SectionSpec("opening", "开头段", "", True)]
    for part in drafts.parts_for(catalog, year):
        specs.append(SectionSpec(f"measures.{part.code}", f"一 · {part.heading}", part.heading, False))
    specs += [
        SectionSpec("duty", heads["duty"], heads["duty"], True),
        SectionSpec("shortcomings", heads["shortcomings"], heads["shortcomings"], True),
        SectionSpec("plan", heads["plan"], heads["plan"], True),
        SectionSpec("other", heads["other"], heads["other"], False),
        SectionSpec(DATE_SECTION, "成文日期", "", True),
    ]
    return specs


def default_date(year: int, today: date | None = None) -> date:
    """成文日期 by default: today while the report is due (the year itself or the next), else 15 January."""
    today = today or date.today()
    return today if year <= today.year <= year + 1 else date(year + 1, 1, 15)


def parse_date(text: str) -> date:
    """A 成文日期 typed as '2021年1月15日' (or 2021-01-15); InvalidInput otherwise."""
    text = text.strip()
    match = _DATE.match(text) or re.match(r"^(\d{4})-(\d{1,2})-(\d{1,2})$", text)
    try:
        if match:
            return date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        pass
    raise InvalidInput([Problem("date", "成文日期请写成“2021年1月15日”的格式。")])


def _signing_date(text: str) -> date | None:
    try:
        return parse_date(text)
    except InvalidInput:
        return None


def title_lines(title: str, prefix: str) -> list[str]:
    """The title, broken before “关于” when it is too long for one line (about 19 characters at 22 pt)."""
    width = sum(0.5 if ch.isascii() else 1 for ch in title)
    if width <= 19 or not prefix or not title.startswith(prefix + "关于"):
        return [title]
    return [prefix, title[len(prefix) :]]


def _number(value: Any) -> float | None:
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else float(value)


def indicator_rows(table: pd.DataFrame, recorded: bool = True) -> list[dict[str, str]]:
    """The appendix table: indicators with records this year, and (once anything was `recorded` that
    year) every must-stay-zero indicator."""
    rows = []
    shown = table[(table["records"] > 0) | ((table["direction"] == "zero") & recorded)]
    for number, row in enumerate(shown.itertuples(), 1):
        completion = _number(row.completion)
        moved = numbers.change(_number(row.value), _number(row.previous), points=row.unit == "%")
        rows.append(
            {
                "no": str(number),
                "name": row.name,
                "target": row.target_text,
                "value": row.value_text,
                "completion": numbers.percent(completion, 1) if completion is not None else "—",
                "change": moved if moved and row.kind != "yesno" else "—",
            }
        )
    return rows


def _section(spec: SectionSpec, draft: list[str], saved: narratives.Narrative | None) -> dict[str, Any]:
    text = saved.body if saved is not None else "\n".join(draft)
    return {
        "key": spec.key,
        "title": spec.title,
        "heading": spec.heading,
        "draft": "\n".join(draft),
        "text": text,
        "saved": saved is not None,
        "saved_by": saved.updated_by if saved else "",
        "saved_at": saved.updated_at if saved else None,
        "required": spec.required,
    }


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
    table = indicator_table(db, user, catalog, unit, year, today=today)
    frame = list_records(db, user, catalog, RecordFilter(year=year, unit_id=unit.id))
    saved = narratives.saved_texts(db, user, unit, year)
    facts = drafts.Facts(catalog, year, table, frame, options.exact_numbers)
    outline = catalog.outline_for(year)
    above = kept.name(unit.parent_id, "") if kept and unit.parent_id is not None else None
    voice = drafts.Voice(
        self_reference(shown), superior(db, unit, above).rstrip("："), short_name(shown), outline.name
    )
    heads = headings(year)

    written: dict[str, list[str]] = {"opening": drafts.opening(facts, voice)}
    parts = {f"measures.{p.code}": p for p in drafts.parts_for(catalog, year)}
    for key, part in parts.items():
        written[key] = drafts.write_part(facts, part)
    written["duty"] = drafts.duty(facts, voice)
    written["shortcomings"] = drafts.shortcomings(facts, voice)
    written["plan"] = drafts.plan(facts, voice)
    written["other"] = []
    written[DATE_SECTION] = [numbers.chinese_date(default_date(year, today))]
    sections = [
        _section(spec, written[spec.key], saved.get(spec.key)) for spec in section_specs(catalog, year)
    ]
    text = {s["key"]: drafts.paragraphs(s["text"]) for s in sections}

    measures = []
    for key, part in parts.items():
        if text[key]:
            number = numbers.subheading_number(len(measures) + 1)
            measures.append({"heading": f"{number}{part.heading}", "paragraphs": text[key]})

    title = f"{options.title_prefix}关于{year}年法治政府建设情况的报告"
    signed = saved.get(DATE_SECTION)
    signed_on = _signing_date(signed.body) if signed else default_date(year, today)
    rows = indicator_rows(table, facts.has_records)
    images, problem = _charts(db, user, catalog, unit, year, kept) if charts else ([], "")
    attachments = [TABLE_TITLE] if rows else []
    if images:
        attachments.append(CHARTS_TITLE)
    numbered = len(attachments) > 1
    return {
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
        "attachments": [f"{n}．{name}" for n, name in enumerate(attachments, 1)] if numbered else attachments,
        "issuer": options.issuer,
        "date": numbers.chinese_date(signed_on or default_date(year, today)),
        "table_label": "附件1" if numbered else "附件",
        "table_title": TABLE_TITLE,
        "table_note": TABLE_NOTE,
        "indicator_rows": rows,
        "charts_label": "附件2",
        "charts_title": CHARTS_TITLE,
        "charts": images,
        "charts_problem": problem,
        "sections": sections,
    }


def _charts(
    db: Database, user: User, catalog: Catalog, unit: Unit, year: int, kept: frozen.Frozen | None = None
) -> tuple[list[dict[str, Any]], str]:
    """Chart images for the appendix (units named as the locked year knew them), or ([], why not)."""
    from fazhi.report import figures, images

    try:
        made = figures.report_figures(db, user, catalog, unit, year, names=kept.names if kept else None)
        pngs = images.to_png([figure for _, figure in made])
    except ChartsUnavailable as error:
        return [], error.message
    return [
        {"png": png, "caption": f"图{n}　{caption}", "width_mm": figures.WIDTH_MM}
        for n, ((caption, _), png) in enumerate(zip(made, pngs, strict=True), 1)
    ], ""


def preview_text(context: dict[str, Any]) -> str:
    """The whole report as plain text, in the order the template lays it out (for the page's preview)."""
    lines = [*context["title_lines"], "", context["recipient"]]

    def add(paragraphs: list[dict[str, Any]]) -> None:
        lines.extend(("" if p["heading"] else "　　") + str(p["text"]) for p in paragraphs)

    add(context["opening"])
    lines.append("　　" + context["headings"]["measures"])
    for part in context["measures"]:
        lines.append("　　" + part["heading"])
        add(part["paragraphs"])
    for key in ("duty", "shortcomings", "plan", "other"):
        if key == "other" and not context["other"]:
            continue
        lines.append("　　" + context["headings"][key])
        add(context[key])
    if context["attachments"]:
        lines += ["", "　　附件：" + "\n　　　　　".join(context["attachments"])]
    lines += ["", f"{context['issuer']:>30}", f"{context['date']:>30}"]
    if context["indicator_rows"]:
        lines += [
            "",
            context["table_label"],
            context["table_title"],
            "序号｜指标｜年度目标｜完成情况｜完成率｜较上年",
        ]
        lines += [
            "｜".join(r[k] for k in ("no", "name", "target", "value", "completion", "change"))
            for r in context["indicator_rows"]
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
) -> narratives.SavedText:
    """Save the text of one section of the year's report (see narratives.save_text); the 成文日期 must be a
    date and is stored as '2021年1月15日'; sections the report must have may not be empty."""
    specs = {spec.key: spec for spec in section_specs(catalog, year)}
    if key not in specs:
        raise InvalidInput([Problem("section", f"{year}年的报告中没有“{key}”这一节。")])
    if key == DATE_SECTION:
        text = numbers.chinese_date(parse_date(text))
    return narratives.save_text(
        db, user, unit, year, key, text, expected=expected, required=specs[key].required
    )


def reset_section(db: Database, user: User, catalog: Catalog, unit: Unit, year: int, key: str) -> bool:
    """Drop the saved text of a section so the automatic draft is used again; False when none was saved."""
    if key not in {spec.key for spec in section_specs(catalog, year)}:
        raise InvalidInput([Problem("section", f"{year}年的报告中没有“{key}”这一节。")])
    return narratives.reset_text(db, user, unit, year, key)

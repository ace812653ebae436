"""Per-unit report settings kept in unit_settings: 主送机关, 落款单位, the name before the title, and
whether numbers are written exactly instead of "2500余"; with sensible defaults by the unit's level.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, fields, replace
from typing import Any

from fazhi import audit
from fazhi.db import Database
from fazhi.errors import InvalidInput, Problem
from fazhi.permissions import User, require_admin, require_view
from fazhi.report import texts
from fazhi.report.numbers import STYLES
from fazhi.text import clean_text
from fazhi.units import Unit, get_unit

PREFIX = "report."
TEXT_MAX = 60
SETTINGS = ("recipient", "issuer", "title_prefix", "exact_numbers")  # their names: data/report_text.toml
STYLE_PREFIX = PREFIX + "style."  # report.style.<indicator>: exact / approx / at_least
DEFAULT_STYLE = ""  # the unit writes the indicator as data/wording.toml says


def label(setting: str) -> str:
    """The Chinese name of a setting (主送机关, 落款单位, …)."""
    return texts.text(f"options.{setting}")


def style_label(style: str) -> str:
    """写确数, 写“N余”, 写“N以上”, or 按默认 for DEFAULT_STYLE."""
    return texts.text(f"options.style_{style or 'default'}")


@dataclass(frozen=True)
class ReportOptions:
    """How a unit's report is addressed and signed, and how its numbers are written."""

    recipient: str
    issuer: str
    title_prefix: str
    exact_numbers: bool = False
    # Indicators whose figures this unit writes another way than data/wording.toml says: (code, style).
    styles: tuple[tuple[str, str], ...] = ()


def suffix(name: str) -> str:
    """The place-name ending of a unit's name ('乡', '街道', …), or ''."""
    for ending in texts.table("names.suffixes"):
        if name.endswith(ending) and len(name) > len(ending):
            return ending
    return ""


def self_reference(unit: Unit) -> str:
    """How the report refers to its own unit: 我乡, 我镇, 我街道, 我区 …"""
    ending = suffix(unit.name)
    return texts.text("names.self", suffix=ending) if ending else texts.text("names.self_fallback")


def short_name(unit: Unit) -> str:
    """The name without its ending, as in “法治燕山”: 燕山乡 → 燕山."""
    ending = suffix(unit.name)
    return unit.name[: -len(ending)] if ending else unit.name


def superior(db: Database, unit: Unit, parent_name: str | None = None) -> str:
    """The 党委 and 政府 one level up, e.g. 区委、区政府 for a 乡镇 of a 区 (`parent_name` overrides the
    parent's current name, as a locked year's report knew it)."""
    names = texts.table("names")
    if unit.parent_id is not None:
        name = parent_name or get_unit(db, unit.parent_id).name
        return names["superior"].get(suffix(name), names["superior_fallback"])
    return names.get(f"{unit.level}_superior", names["superior_fallback"])


def default_options(db: Database, unit: Unit) -> ReportOptions:
    """The settings a unit starts with: 主送 its superior, signed by its 人民政府 (办事处, 村民委员会)."""
    issuers = texts.table("names.issuer")
    issuer = issuers.get(suffix(unit.name), issuers["default"]).format(name=unit.name)
    recipient = texts.text("names.recipient", superior=superior(db, unit))
    return ReportOptions(recipient=recipient, issuer=issuer, title_prefix=unit.name)


_SQL = "SELECT key, value FROM unit_settings WHERE unit_id = ? AND starts_with(key, ?)"


def parse_options(stored: dict[str, str], defaults: ReportOptions) -> ReportOptions:
    """Settings as stored in unit_settings (report.* keys) over the defaults."""
    changes: dict[str, Any] = {}
    for item in fields(ReportOptions):
        raw = stored.get(PREFIX + item.name)
        if raw is not None and item.name != "styles":
            changes[item.name] = raw == "1" if item.name == "exact_numbers" else raw
    styles = tuple(
        sorted(
            (key.removeprefix(STYLE_PREFIX), value)
            for key, value in stored.items()
            if key.startswith(STYLE_PREFIX)
        )
    )
    return replace(defaults, **changes, styles=styles)


def load_options(db: Database, user: User, unit: Unit) -> ReportOptions:
    """The unit's report settings: what was saved, else the defaults."""
    require_view(user, unit)
    return parse_options(dict(db.rows(_SQL, [unit.id, PREFIX])), default_options(db, unit))


def _clean(name: str, value: Any) -> tuple[str, list[Problem]]:
    if name == "exact_numbers":
        return ("1" if value else "0"), []
    text, _ = clean_text(value)
    text = text.strip()
    problems = []
    if "\n" in text or "\t" in text:
        problems.append(Problem(name, texts.text("messages.option_one_line", label=label(name))))
    if len(text) > TEXT_MAX:
        message = texts.text("messages.option_too_long", label=label(name), limit=TEXT_MAX, length=len(text))
        problems.append(Problem(name, message))
    if not text and name != "title_prefix":
        problems.append(Problem(name, texts.text("messages.option_missing", label=label(name))))
    return text, problems


def save_options(db: Database, user: User, unit: Unit, **values: Any) -> ReportOptions:
    """Store some of the unit's report settings (administrators); audited; returns the new settings.
    A value of None goes back to the default."""
    require_admin(user, unit)
    unknown = [k for k in values if k not in SETTINGS]
    if unknown:
        raise InvalidInput([Problem(k, texts.text("messages.option_unknown", key=k)) for k in unknown])
    cleaned: dict[str, str | None] = {}
    problems: list[Problem] = []
    for name, value in values.items():
        if value is None:
            cleaned[name] = None
            continue
        text, found = _clean(name, value)
        cleaned[name] = text
        problems += found
    if problems:
        raise InvalidInput(problems)
    defaults = default_options(db, unit)
    before = asdict(load_options(db, user, unit))
    with db.transaction() as cur:
        for name, stored in cleaned.items():
            key = PREFIX + name
            if stored is None:
                cur.execute("DELETE FROM unit_settings WHERE unit_id = ? AND key = ?", [unit.id, key])
            else:
                cur.execute(
                    "INSERT INTO unit_settings VALUES (?, ?, ?) ON CONFLICT (unit_id, key) DO UPDATE SET value = excluded.value",
                    [unit.id, key, stored],
                )
        after = asdict(parse_options(dict(cur.execute(_SQL, [unit.id, PREFIX]).fetchall()), defaults))
        changed = {k: after[k] for k in after if after[k] != before[k]}
        if changed:
            audit.log(
                cur,
                user,
                "update",
                "setting",
                f"{unit.id}:report",
                unit.id,
                {k: before[k] for k in changed},
                changed,
            )
    return ReportOptions(**after)


def save_style(db: Database, user: User, unit: Unit, code: str, style: str | None) -> ReportOptions:
    """How this unit writes one indicator's figures in its report ('exact', 'approx', 'at_least'; None goes
    back to data/wording.toml's choice); administrators; audited."""
    require_admin(user, unit)
    if not re.fullmatch(r"[a-z][a-z0-9_]{0,60}", code or ""):
        raise InvalidInput([Problem("style", texts.text("messages.style_unknown_indicator", code=code))])
    if style is not None and style not in STYLES:
        raise InvalidInput([Problem("style", texts.text("messages.style_invalid"))])
    key = STYLE_PREFIX + code
    with db.transaction() as cur:
        row = cur.execute(
            "SELECT value FROM unit_settings WHERE unit_id = ? AND key = ?", [unit.id, key]
        ).fetchone()
        before = row[0] if row else None
        if before != style:
            if style is None:
                cur.execute("DELETE FROM unit_settings WHERE unit_id = ? AND key = ?", [unit.id, key])
            else:
                cur.execute(
                    "INSERT INTO unit_settings VALUES (?, ?, ?) ON CONFLICT (unit_id, key) DO UPDATE SET value = excluded.value",
                    [unit.id, key, style],
                )
            audit.log(
                cur,
                user,
                "update",
                "setting",
                f"{unit.id}:{key}",
                unit.id,
                {"style": before},
                {"style": style},
            )
    return load_options(db, user, unit)


STYLE_COLUMNS = ("name", "unit", "default", "chosen")  # their Chinese names: options.style_columns


def style_choices() -> list[str]:
    """The labels a unit picks from for one indicator: 按默认, then the styles."""
    return [style_label(DEFAULT_STYLE), *(style_label(style) for style in STYLES)]


def style_rows(catalog: Any, wording: Any, current: ReportOptions) -> list[dict[str, str]]:
    """Every indicator with how the report writes it, for the settings page's table: code, name, unit,
    default (the label of data/wording.toml's style), chosen (the unit's label, or 按默认)."""
    chosen = dict(current.styles)
    rows = []
    for indicator in catalog.indicators:
        if indicator.unit in ("%", "") or indicator.kind == "yesno":
            continue  # rates and yes/no have one way of being written
        rows.append(
            {
                "code": indicator.code,
                "name": indicator.name,
                "unit": indicator.unit,
                "default": style_label(wording.style_of(indicator.code, indicator.unit)),
                "chosen": style_label(chosen.get(indicator.code, DEFAULT_STYLE)),
            }
        )
    return rows


def save_styles(db: Database, user: User, unit: Unit, edited: list[dict[str, str]]) -> int:
    """Apply the settings page's table (rows of `style_rows` as edited); returns how many changed."""
    by_label = {style_label(style): style for style in STYLES}
    current = dict(load_options(db, user, unit).styles)
    changed = 0
    for row in edited:
        wanted = by_label.get(str(row.get("chosen", "")))
        if wanted != current.get(str(row["code"])):
            save_style(db, user, unit, str(row["code"]), wanted)
            changed += 1
    return changed

"""Per-unit report settings kept in unit_settings: 主送机关, 落款单位, the name before the title, and
whether numbers are written exactly instead of "2500余"; with sensible defaults by the unit's level.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, fields, replace
from typing import Any

from fazhi import audit
from fazhi.auth import User, require_admin, require_view
from fazhi.db import Database
from fazhi.errors import InvalidInput, Problem
from fazhi.records import clean_text
from fazhi.units import Unit, get_unit

PREFIX = "report."
TEXT_MAX = 60
# Place-name endings, longest first: 燕山乡 → 乡, 南山街道 → 街道.
SUFFIXES = ("街道", "社区", "乡", "镇", "区", "县", "市", "村")
_SUPERIOR = {
    "区": "区委、区政府",
    "县": "县委、县政府",
    "市": "市委、市政府",
    "乡": "乡党委、乡政府",
    "镇": "镇党委、镇政府",
    "街道": "街道党工委、办事处",
}
LABELS = {
    "recipient": "主送机关",
    "issuer": "落款单位",
    "title_prefix": "标题前的单位名称",
    "exact_numbers": "数字写确数（不写“余”“以上”）",
}
STYLE_PREFIX = PREFIX + "style."  # report.style.<indicator>: exact / approx / at_least


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
    for ending in SUFFIXES:
        if name.endswith(ending) and len(name) > len(ending):
            return ending
    return ""


def self_reference(unit: Unit) -> str:
    """How the report refers to its own unit: 我乡, 我镇, 我街道, 我区 …"""
    return f"我{suffix(unit.name) or '单位'}"


def short_name(unit: Unit) -> str:
    """The name without its ending, as in “法治燕山”: 燕山乡 → 燕山."""
    ending = suffix(unit.name)
    return unit.name[: -len(ending)] if ending else unit.name


def superior(db: Database, unit: Unit, parent_name: str | None = None) -> str:
    """The 党委 and 政府 one level up, e.g. 区委、区政府 for a 乡镇 of a 区 (`parent_name` overrides the
    parent's current name, as a locked year's report knew it)."""
    if unit.parent_id is not None:
        name = parent_name or get_unit(db, unit.parent_id).name
        return _SUPERIOR.get(suffix(name), "上级党委、政府")
    if unit.level == "county":
        return "市委、市政府"
    if unit.level == "township":
        return "区委、区政府"
    return "上级党委、政府"


def default_options(db: Database, unit: Unit) -> ReportOptions:
    """The settings a unit starts with: 主送 its superior, signed by its 人民政府 (办事处, 村民委员会)."""
    ending = suffix(unit.name)
    if ending == "街道":
        issuer = f"{unit.name}办事处"
    elif ending == "村":
        issuer = f"{unit.name}民委员会"
    elif ending == "社区":
        issuer = f"{unit.name}居民委员会"
    else:
        issuer = f"{unit.name}人民政府"
    return ReportOptions(recipient=f"{superior(db, unit)}：", issuer=issuer, title_prefix=unit.name)


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
        problems.append(Problem(name, f"“{LABELS[name]}”只能写一行。"))
    if len(text) > TEXT_MAX:
        problems.append(Problem(name, f"“{LABELS[name]}”不能超过{TEXT_MAX}个字（现有{len(text)}个）。"))
    if not text and name != "title_prefix":
        problems.append(Problem(name, f"请填写“{LABELS[name]}”。"))
    return text, problems


def save_options(db: Database, user: User, unit: Unit, **values: Any) -> ReportOptions:
    """Store some of the unit's report settings (administrators); audited; returns the new settings.
    A value of None goes back to the default."""
    require_admin(user, unit)
    unknown = [k for k in values if k not in LABELS]
    if unknown:
        raise InvalidInput([Problem(k, f"没有“{k}”这项设置。") for k in unknown])
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
        for name, text in cleaned.items():
            key = PREFIX + name
            if text is None:
                cur.execute("DELETE FROM unit_settings WHERE unit_id = ? AND key = ?", [unit.id, key])
            else:
                cur.execute("INSERT OR REPLACE INTO unit_settings VALUES (?, ?, ?)", [unit.id, key, text])
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


STYLE_LABELS = {"exact": "写确数", "approx": "写“N余”", "at_least": "写“N以上”"}


def save_style(db: Database, user: User, unit: Unit, code: str, style: str | None) -> ReportOptions:
    """How this unit writes one indicator's figures in its report ('exact', 'approx', 'at_least'; None goes
    back to data/wording.toml's choice); administrators; audited."""
    from fazhi.report.numbers import STYLES  # numbers is a leaf module; imported here to keep options light

    require_admin(user, unit)
    if not re.fullmatch(r"[a-z][a-z0-9_]{0,60}", code or ""):
        raise InvalidInput([Problem("style", f"没有编码为“{code}”的指标。")])
    if style is not None and style not in STYLES:
        raise InvalidInput([Problem("style", "写法应为写确数、写“N余”或写“N以上”。")])
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
                cur.execute("INSERT OR REPLACE INTO unit_settings VALUES (?, ?, ?)", [unit.id, key, style])
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


def style_rows(catalog: Any, wording: Any, current: ReportOptions) -> list[dict[str, str]]:
    """Every indicator with how the report writes it: 指标, 单位, 默认写法, 本单位写法 (labels of STYLE_LABELS,
    or '按默认'), for the settings page's table."""
    chosen = dict(current.styles)
    rows = []
    for indicator in catalog.indicators:
        if indicator.unit in ("%", "") or indicator.kind == "yesno":
            continue  # rates and yes/no have one way of being written
        default = wording.style_of(indicator.code, indicator.unit)
        rows.append(
            {
                "code": indicator.code,
                "指标": indicator.name,
                "单位": indicator.unit,
                "默认写法": STYLE_LABELS[default],
                "本单位写法": STYLE_LABELS.get(chosen.get(indicator.code, ""), DEFAULT_STYLE),
            }
        )
    return rows


DEFAULT_STYLE = "按默认"


def save_styles(db: Database, user: User, unit: Unit, edited: list[dict[str, str]]) -> int:
    """Apply the settings page's table (rows of `style_rows` as edited); returns how many changed."""
    by_label = {label: style for style, label in STYLE_LABELS.items()}
    current = dict(load_options(db, user, unit).styles)
    changed = 0
    for row in edited:
        wanted = by_label.get(str(row.get("本单位写法", "")))
        if wanted != current.get(str(row["code"])):
            save_style(db, user, unit, str(row["code"]), wanted)
            changed += 1
    return changed

"""Report text written by staff, per year, unit and section; a saved text replaces the automatic draft.

Editors of the unit and administrators may save and reset; every change is audited and refused in a
locked year. A save names the version it started from, so two people editing the same section never
overwrite each other silently (NarrativeConflict).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fazhi import audit
from fazhi.db import Cursor, Database
from fazhi.errors import InvalidInput, NarrativeConflict, Problem
from fazhi.locks import ensure_unlocked
from fazhi.permissions import User, require_edit, require_view
from fazhi.text import clean_text
from fazhi.units import Unit

BODY_MAX = 20_000
_SECTION = re.compile(r"^[a-z][a-z0-9_.]{0,60}$")


@dataclass(frozen=True)
class Narrative:
    """One saved section: its text, who saved it and when (the version a later save must name)."""

    section: str
    body: str
    updated_by: str
    updated_at: datetime
    # The figures the draft quoted when this text was saved: (indicator, lead words, figure as printed).
    figures: tuple[tuple[str, str, str], ...] = ()


@dataclass(frozen=True)
class SavedText:
    """What a save stored and any notices (e.g. removed control characters)."""

    narrative: Narrative
    notices: tuple[str, ...] = ()


def _check_section(section: str) -> None:
    if not _SECTION.match(section or ""):
        raise InvalidInput([Problem("section", f"报告中没有“{section}”这一节。")])


_COLUMNS = "section, body, updated_by, updated_at, figures"


def _narrative(row: tuple) -> Narrative:
    raw: Any = row[4]
    try:
        figures = json.loads(raw) if isinstance(raw, str) else (raw or [])
    except ValueError:
        figures = []
    kept = tuple(
        tuple(str(part) for part in item) for item in figures if isinstance(item, list) and len(item) == 3
    )
    return Narrative(row[0], row[1], row[2], row[3], kept)  # type: ignore[arg-type]


def _row(cur: Cursor, unit: Unit, year: int, section: str) -> Narrative | None:
    row = cur.execute(
        f"SELECT {_COLUMNS} FROM narratives WHERE year = ? AND unit_id = ? AND section = ?",
        [year, unit.id, section],
    ).fetchone()
    return _narrative(row) if row else None


def saved_texts(db: Database, user: User, unit: Unit, year: int) -> dict[str, Narrative]:
    """The sections saved for this unit and year, by section key."""
    require_view(user, unit)
    rows = db.rows(
        f"SELECT {_COLUMNS} FROM narratives WHERE year = ? AND unit_id = ? ORDER BY section", [year, unit.id]
    )
    return {row[0]: _narrative(row) for row in rows}


def save_text(
    db: Database,
    user: User,
    unit: Unit,
    year: int,
    section: str,
    body: str,
    *,
    expected: datetime | None,
    required: bool = False,
    figures: list[tuple[str, str, str]] | None = None,
) -> SavedText:
    """Save a section's text, started from the version saved at `expected` (None: from the draft).
    `figures` are the draft's quoted figures at that moment (see fazhi/report/context.py).

    Control characters are removed (tab and newline kept), otherwise the text is kept exactly as typed.
    Raises NarrativeConflict when someone saved the section since, YearLocked in a locked year.
    """
    require_edit(user, unit)
    _check_section(section)
    text, removed = clean_text(body)
    notices = (f"文字中有{removed}个不可见的控制字符，已删除。",) if removed else ()
    if required and not text.strip():
        raise InvalidInput(
            [Problem("body", "这一节是报告的必备内容，不能为空；如要改回自动草稿，请点“恢复为自动草稿”。")]
        )
    if len(text) > BODY_MAX:
        raise InvalidInput([Problem("body", f"这一节不能超过{BODY_MAX}个字（现有{len(text)}个）。")])
    with db.transaction() as cur:
        ensure_unlocked(cur, unit, year)
        current = _row(cur, unit, year, section)
        if (current.updated_at if current else None) != expected:
            raise NarrativeConflict(current)
        kept = tuple(tuple(str(part) for part in item) for item in (figures or ()))
        if current is not None and current.body == text and current.figures == kept:
            return SavedText(current, notices)
        now = datetime.now()
        cur.execute(
            "INSERT INTO narratives (year, unit_id, section, body, updated_by, updated_at, figures)"
            " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (year, unit_id, section) DO UPDATE SET body = excluded.body,"
            " updated_by = excluded.updated_by, updated_at = excluded.updated_at, figures = excluded.figures",
            [
                year,
                unit.id,
                section,
                text,
                user.username,
                now,
                json.dumps([list(f) for f in kept], ensure_ascii=False),
            ],
        )
        audit.log(
            cur,
            user,
            "update" if current else "create",
            "narrative",
            f"{unit.id}:{year}:{section}",
            unit.id,
            {"section": section, "body": current.body} if current else None,
            {"section": section, "body": text},
        )
    return SavedText(Narrative(section, text, user.username, now, kept), notices)  # type: ignore[arg-type]


def reset_text(db: Database, user: User, unit: Unit, year: int, section: str) -> bool:
    """Delete a saved section so the automatic draft is used again; False when nothing was saved."""
    require_edit(user, unit)
    _check_section(section)
    with db.transaction() as cur:
        ensure_unlocked(cur, unit, year)
        current = _row(cur, unit, year, section)
        if current is None:
            return False
        cur.execute(
            "DELETE FROM narratives WHERE year = ? AND unit_id = ? AND section = ?", [year, unit.id, section]
        )
        audit.log(
            cur,
            user,
            "delete",
            "narrative",
            f"{unit.id}:{year}:{section}",
            unit.id,
            {"section": section, "body": current.body},
            None,
        )
    return True

"""What a locked year's report keeps from outside the year: unit names, report settings and the template.

Records, report text and targets belong to a year and are refused once it is locked (fazhi/locks.py). Three
things a report shows live outside any year: the names of the units, the unit's report settings (主送机关,
落款, …) and its own template. Locking a year through `lock_year` here stores them in the lock (`frozen`),
and `Frozen` gives them back when that year's report is built, so renaming a unit, new settings or a new
template next year change only the years still open, and a locked report stays what it was.
"""

from __future__ import annotations

import hashlib
import shutil
from dataclasses import asdict, dataclass, replace
from typing import Any

from fazhi import locks
from fazhi.db import Database
from fazhi.permissions import User, require_admin
from fazhi.report import custom
from fazhi.report.options import ReportOptions, default_options, parse_options
from fazhi.settings import templates_dir
from fazhi.units import Unit, all_units


def frozen_template_path(db: Database, sha256: str):
    """Where a template a lock refers to is kept: templates/frozen/<sha256>.docx (content-addressed)."""
    return templates_dir(db.path) / "frozen" / f"{sha256}.docx"


def capture(db: Database, unit: Unit) -> dict[str, Any]:
    """The names of the unit, its ancestors and everything below it, and for each unit below it (itself
    included) its resolved report settings and the checksum of its own template (copied aside)."""
    everything = all_units(db)
    ancestors = {int(part) for part in unit.path.strip("/").split("/") if part}
    covered = [u for u in everything if u.path.startswith(unit.path)]
    settings: dict[int, dict[str, str]] = {}
    ids = [u.id for u in covered]
    for unit_id, key, value in db.rows(
        "SELECT unit_id, key, value FROM unit_settings WHERE list_contains(?, unit_id)", [ids]
    ):
        settings.setdefault(int(unit_id), {})[key] = value
    options: dict[str, Any] = {}
    templates: dict[str, str] = {}
    for item in covered:
        options[str(item.id)] = asdict(parse_options(settings.get(item.id, {}), default_options(db, item)))
        own = custom.stored_template(db, item)
        if own is not None:
            sha = hashlib.sha256(own).hexdigest()
            target = frozen_template_path(db, sha)
            if not target.exists():
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(custom.template_file(db, item), target)
            templates[str(item.id)] = sha
    return {
        "names": {str(u.id): u.name for u in everything if u.id in ancestors or u.path.startswith(unit.path)},
        "options": options,
        "templates": templates,
    }


def lock_year(db: Database, user: User, unit: Unit, year: int) -> None:
    """封账 with the year's report as it is now (what pages and the CLI call)."""
    require_admin(user, unit)
    locks.lock_year(db, user, unit, year, frozen=capture(db, unit))


@dataclass(frozen=True)
class Frozen:
    """A locked year's view of names, settings and templates (or of today's, for an open year)."""

    names: dict[str, str]
    options: dict[str, Any]
    templates: dict[str, str]

    def name(self, unit_id: int, current: str) -> str:
        """The unit's name as the locked report showed it (`current` when it was not recorded)."""
        return self.names.get(str(unit_id), current)

    def unit(self, unit: Unit) -> Unit:
        """The unit with its name as the locked report showed it."""
        return replace(unit, name=self.name(unit.id, unit.name))

    def report_options(self, unit: Unit) -> ReportOptions | None:
        """The settings the locked report used, or None when not recorded."""
        stored = self.options.get(str(unit.id))
        if not stored:
            return None
        styles = tuple((str(code), str(style)) for code, style in stored.get("styles", ()))
        return ReportOptions(**{**stored, "styles": styles})

    def template(self, db: Database, unit: Unit) -> bytes | None:
        """The unit's own template as it was when the year was locked, or None (the default template)."""
        sha = self.templates.get(str(unit.id))
        if not sha:
            return None
        path = frozen_template_path(db, sha)
        return path.read_bytes() if path.exists() else None


def for_year(db: Database, unit: Unit, year: int) -> Frozen | None:
    """What the lock covering this unit's `year` froze, or None for an open year (or a lock from before)."""
    data = locks.frozen(db, unit, year)
    if not data:
        return None
    return Frozen(data.get("names", {}), data.get("options", {}), data.get("templates", {}))

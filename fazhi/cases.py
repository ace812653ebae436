"""典型案例: records staff mark as typical cases, which the annual report tells in a short paragraph.

Reviewers of published reports criticise "运用事例少": one or two concrete cases (a dispute resolved, a
decision reviewed, a campaign) make a report credible. Marking is a flag on the record, kept in its own
table; it follows the record's permissions and year lock and is audited like any change.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from fazhi import audit
from fazhi.catalog import Catalog
from fazhi.db import Database
from fazhi.locks import ensure_unlocked
from fazhi.permissions import User, require_edit
from fazhi.records import get_record
from fazhi.units import get_unit


def marked_ids(db: Database, record_ids: Sequence[int]) -> set[int]:
    """Which of these records are marked as typical cases (no permission check: callers list them first)."""
    if not record_ids:
        return set()
    rows = db.rows(
        "SELECT record_id FROM typical_cases WHERE list_contains(?, record_id)",
        [[int(i) for i in record_ids]],
    )
    return {int(row[0]) for row in rows}


def is_marked(db: Database, record_id: int) -> bool:
    """True when the record is marked as a typical case."""
    return bool(marked_ids(db, [record_id]))


def mark(db: Database, user: User, catalog: Catalog, record_id: int, typical: bool) -> bool:
    """Mark (or unmark) a record as a typical case for the report; audited; refused in a locked year and for
    users who may not edit the record. Returns whether anything changed."""
    record = get_record(db, user, catalog, record_id)
    with db.transaction() as cur:
        unit = get_unit(cur, record.unit_id)
        require_edit(user, unit)
        ensure_unlocked(cur, unit, record.start_on.year)
        found = cur.execute("SELECT count(*) FROM typical_cases WHERE record_id = ?", [record_id]).fetchone()
        before = bool(found and found[0])
        if before == typical:
            return False
        if typical:
            cur.execute(
                "INSERT INTO typical_cases VALUES (?, ?, ?)", [record_id, user.username, datetime.now()]
            )
        else:
            cur.execute("DELETE FROM typical_cases WHERE record_id = ?", [record_id])
        audit.log(
            cur,
            user,
            "update",
            "record",
            record_id,
            unit.id,
            {"typical_case": before},
            {"typical_case": typical},
        )
    return True

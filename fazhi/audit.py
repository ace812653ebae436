"""The audit trail, written: who did what to which entity, with the values before and after, as JSON.

Every write appends its entries inside its own transaction. Reading them is `fazhi/audit_viewer.py`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

import pandas as pd

from fazhi.db import Cursor
from fazhi.permissions import User


def _json(value: Any) -> str | None:
    if value is None:
        return None

    def default(item: Any) -> Any:
        if isinstance(item, datetime | date):
            return item.isoformat()
        return str(item)

    return json.dumps(value, ensure_ascii=False, default=default, sort_keys=True)


def log(
    cur: Cursor,
    user: User,
    action: str,
    entity: str,
    entity_id: object,
    unit_id: int | None,
    before: Any,
    after: Any,
) -> None:
    """Append one audit entry inside the caller's transaction (so it commits or rolls back with the change)."""
    cur.execute(
        "INSERT INTO audit_log (logged_at, username, action, entity, entity_id, unit_id, before_json, after_json)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [
            datetime.now(),
            user.username,
            action,
            entity,
            None if entity_id is None else str(entity_id),
            unit_id,
            _json(before),
            _json(after),
        ],
    )


def log_many(
    cur: Cursor, user: User, action: str, entity: str, entries: Iterable[tuple[object, int | None, Any, Any]]
) -> int:
    """Append many entries (entity_id, unit_id, before, after) in one statement; returns how many."""
    now = datetime.now()
    frame = pd.DataFrame(
        [
            (now, user.username, action, entity, str(entity_id), unit_id, _json(before), _json(after))
            for entity_id, unit_id, before, after in entries
        ],
        columns=[
            "logged_at",
            "username",
            "action",
            "entity",
            "entity_id",
            "unit_id",
            "before_json",
            "after_json",
        ],
    )
    if frame.empty:
        return 0
    frame["unit_id"] = frame["unit_id"].astype("Int64")
    cur.register("audit_rows", frame)
    try:
        cur.execute(
            "INSERT INTO audit_log (logged_at, username, action, entity, entity_id, unit_id, before_json, after_json)"
            " SELECT logged_at, username, action, entity, entity_id, unit_id, CAST(before_json AS JSON),"
            " CAST(after_json AS JSON) FROM audit_rows"
        )
    finally:
        cur.unregister("audit_rows")
    return len(frame)

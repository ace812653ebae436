"""The audit viewer: the 审计日志 page's query, readable before/after, and xlsx/CSV export that never turns
text into formulas. Writing entries is `fazhi/audit.py`."""

from __future__ import annotations

import io
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import pandas as pd
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.utils import get_column_letter

from fazhi import chinese
from fazhi.db import Database
from fazhi.labels import ACTIONS, AUDIT_COLUMNS, AUDIT_FIELDS, ENTITIES, LEVELS, ROLES
from fazhi.permissions import User, require_admin
from fazhi.units import get_unit


@dataclass
class AuditFilter:
    """What the 审计日志 page shows; every field is optional. A unit includes the units below it."""

    usernames: Sequence[str] = ()
    actions: Sequence[str] = ()
    date_from: date | None = None
    date_to: date | None = None
    unit_id: int | None = None
    limit: int | None = None


_AUDIT_SQL = (
    "SELECT a.id, a.logged_at, a.username, a.action, a.entity, a.entity_id, a.unit_id,"
    " coalesce(u.name, '') AS unit_name, CAST(a.before_json AS VARCHAR) AS before_json,"
    " CAST(a.after_json AS VARCHAR) AS after_json, coalesce(nullif(p.display_name, ''), a.username) AS person"
    " FROM audit_log a LEFT JOIN units u ON u.id = a.unit_id LEFT JOIN users p ON p.username = a.username"
)


def _is_top(user: User) -> bool:
    return user.is_system or user.unit_path.count("/") == 2


def _where(db: Database, user: User, filters: AuditFilter) -> tuple[str, list[Any]]:
    require_admin(user)
    scope = "u.path LIKE ?"
    if _is_top(user) and filters.unit_id is None:
        scope = "(u.path LIKE ? OR a.unit_id IS NULL)"
    where: list[str] = [scope]
    params: list[Any] = [user.unit_path + "%"]
    if filters.unit_id is not None:
        unit = get_unit(db, filters.unit_id)
        require_admin(user, unit)
        where.append("u.path LIKE ?")
        params.append(unit.path + "%")
    if filters.usernames:
        where.append("list_contains(?, a.username)")
        params.append(list(filters.usernames))
    if filters.actions:
        where.append("list_contains(?, a.action)")
        params.append(list(filters.actions))
    if filters.date_from is not None:
        where.append("a.logged_at >= ?")
        params.append(datetime.combine(filters.date_from, datetime.min.time()))
    if filters.date_to is not None:
        where.append("a.logged_at < ?")
        params.append(datetime.combine(filters.date_to + timedelta(days=1), datetime.min.time()))
    return " WHERE " + " AND ".join(where), params


def query(db: Database, user: User, filters: AuditFilter | None = None) -> pd.DataFrame:
    """Audit entries the administrator may see (their units; installation-wide ones for a top unit), newest first.

    Columns: id, logged_at, username, action, entity, entity_id, unit_id, unit_name, before_json, after_json
    (these two as JSON text or None), person (the account's name, else the login name).
    """
    filters = filters or AuditFilter()
    where, params = _where(db, user, filters)
    sql = _AUDIT_SQL + where + " ORDER BY a.id DESC"
    if filters.limit is not None:
        sql += f" LIMIT {int(filters.limit)}"
    frame = db.frame(sql, params)
    frame["unit_id"] = frame["unit_id"].astype("Int64")
    return frame


def audit_count(db: Database, user: User, filters: AuditFilter | None = None) -> int:
    """How many entries match, whatever the limit (the page shows only the newest; the export has them all)."""
    where, params = _where(db, user, filters or AuditFilter())
    row = db.one("SELECT count(*) FROM audit_log a LEFT JOIN units u ON u.id = a.unit_id" + where, params)
    return int(row[0]) if row else 0


def usernames(db: Database, user: User) -> dict[str, str]:
    """Every username in the entries this administrator may see, for the filter, with the person's name."""
    where, params = _where(db, user, AuditFilter())
    rows = db.rows(
        "SELECT DISTINCT a.username, coalesce(nullif(p.display_name, ''), a.username)"
        " FROM audit_log a LEFT JOIN units u ON u.id = a.unit_id LEFT JOIN users p ON p.username = a.username"
        + where
        + " ORDER BY a.username",
        params,
    )
    return {username: name if name == username else f"{name}（{username}）" for username, name in rows}


def _cell_text(value: Any, key: str = "") -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float):
        return chinese.number(value)
    if isinstance(value, list):
        return "、".join(_cell_text(item) for item in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    if key == "role":
        return ROLES.get(str(value), str(value))
    if key == "level":
        return LEVELS.get(str(value), str(value))
    return str(value)


def _flatten(data: Any, captions: dict[str, str]) -> dict[str, str]:
    if data is None:
        return {}
    if not isinstance(data, dict):
        return {"值": _cell_text(data)}
    order = list(AUDIT_FIELDS)

    def position(key: str) -> float:
        if key == "values":  # a record's figures come right after its text
            return order.index("summary") + 0.5
        return order.index(key) if key in order else len(order)

    flat: dict[str, str] = {}
    for key, value in sorted(data.items(), key=lambda item: position(item[0])):
        if key == "values" and isinstance(value, dict):
            codes = list(captions)
            for code, item in sorted(
                value.items(), key=lambda i: codes.index(i[0]) if i[0] in codes else len(codes)
            ):
                flat[captions.get(str(code), str(code))] = _cell_text(item)
        else:
            flat[AUDIT_FIELDS.get(str(key), str(key))] = _cell_text(value, key)
    return flat


def _load(text: str | None) -> Any:
    if text is None or (isinstance(text, float) and pd.isna(text)):
        return None
    try:
        return json.loads(text)
    except (TypeError, ValueError):
        return text


def changes(before_json: str | None, after_json: str | None, captions: dict[str, str]) -> pd.DataFrame:
    """One row per item (项目, 修改前, 修改后), in Chinese; for an update only the items that changed."""
    before = _flatten(_load(before_json), captions)
    after = _flatten(_load(after_json), captions)
    keys = list(dict.fromkeys([*after, *before]))
    if before and after:
        keys = [k for k in keys if before.get(k, "") != after.get(k, "")]
    return pd.DataFrame(
        [(k, before.get(k, ""), after.get(k, "")) for k in keys], columns=["项目", "修改前", "修改后"]
    )


_NAMES = ("title", "name", "username", "file")


def summary(
    before_json: str | None, after_json: str | None, captions: dict[str, str], width: int = 120
) -> str:
    """A one-line description of an entry: what changed (old → new), or what was created or removed."""
    before, after = _load(before_json), _load(after_json)
    if isinstance(before, dict) and isinstance(after, dict):
        rows = changes(before_json, after_json, captions)
        text = "；".join(
            f"{k}：{b or '（空）'} → {a or '（空）'}" for k, b, a in rows.itertuples(index=False)
        )
    else:
        data = after if after is not None else before
        if isinstance(data, dict):
            named = [_cell_text(data[k]) for k in _NAMES if data.get(k)]
            text = named[0] if named else "；".join(f"{k}：{v}" for k, v in _flatten(data, captions).items())
            if "year" in data and "unit" in data:
                text = f"{data['unit']} {data['year']}年"
        else:
            text = _cell_text(data)
    return text if len(text) <= width else text[: width - 1] + "…"


def readable(frame: pd.DataFrame, captions: dict[str, str], *, raw: bool = False) -> pd.DataFrame:
    """A `query` frame for people: Chinese headers and labels, a summary column; with `raw`, the JSON too."""
    view = pd.DataFrame(
        {
            "id": frame["id"].astype("int64"),
            "logged_at": frame["logged_at"],
            "username": frame["person"],
            "action": frame["action"].map(lambda a: ACTIONS.get(a, a)),
            "entity": frame["entity"].map(lambda e: ENTITIES.get(e, e)),
            "entity_id": frame["entity_id"].fillna(""),
            "unit_name": frame["unit_name"],
            "summary": [
                summary(b, a, captions)
                for b, a in zip(frame["before_json"], frame["after_json"], strict=True)
            ],
        }
    )
    if raw:
        view["before_json"] = frame["before_json"]
        view["after_json"] = frame["after_json"]
    return view.rename(columns=AUDIT_COLUMNS)


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def to_csv(frame: pd.DataFrame) -> bytes:
    """The frame as CSV in UTF-8 with a BOM (so Excel shows the Chinese); text that Excel would run as a
    formula gets a leading apostrophe."""
    safe = frame.copy()
    for column in safe.columns:
        if safe[column].dtype == object or pd.api.types.is_string_dtype(safe[column]):
            safe[column] = safe[column].map(
                lambda v: "'" + v if isinstance(v, str) and v.startswith(_FORMULA_START) else v
            )
    return safe.to_csv(index=False).encode("utf-8-sig")


def to_xlsx(frame: pd.DataFrame, sheet: str = "审计日志") -> bytes:
    """The frame as an .xlsx workbook (streamed row by row); every text cell is text, never a formula."""
    book = Workbook(write_only=True)
    sheet_ = book.create_sheet(sheet)
    for number, column in enumerate(frame.columns, 1):
        sheet_.column_dimensions[get_column_letter(number)].width = 60 if column == "内容" else 20
    sheet_.freeze_panes = "A2"
    sheet_.append(list(frame.columns))
    for row in frame.itertuples(index=False):
        cells = []
        for value in row:
            cell = WriteOnlyCell(sheet_, value=_cell(value))
            if isinstance(cell.value, str):
                cell.data_type = "s"  # openpyxl would otherwise store "=…" as a formula
            elif isinstance(cell.value, datetime):
                cell.number_format = "yyyy-mm-dd hh:mm:ss"
            cells.append(cell)
        sheet_.append(cells)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _cell(value: Any) -> Any:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    return value

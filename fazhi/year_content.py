"""One unit-year as canonical JSON: the records of a township and its villages, its report text, its targets
and its evidence index, each in a form that depends only on content (names, not ids; sorted; one number
style), so two installations holding the same year produce the same bytes and the same checksums.

This is what a submission fingerprints (`records_sha256`), what a 报送包 carries, and what the round-trip
test compares: export → receive → export gives the same JSON.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime
from typing import Any

from fazhi.db import Cursor
from fazhi.units import Unit


def canonical(value: Any) -> bytes:
    """JSON with sorted keys, no spaces and Chinese as is: the same content always gives the same bytes."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


def sha256(data: bytes) -> str:
    """The SHA-256 of the bytes as 64 lowercase hex digits."""
    return hashlib.sha256(data).hexdigest()


def number(value: float | int) -> float | int:
    """A stored DOUBLE as JSON writes it the same everywhere: whole numbers as integers (2536, not 2536.0)."""
    value = float(value)
    return int(value) if value.is_integer() else value


def _names(cur: Cursor, township: Unit) -> dict[int, list[str]]:
    """The name path from the township down (['燕山乡', '示例一村']) of every unit in its subtree, by id."""
    rows = cur.execute("SELECT id, name, path FROM units WHERE path LIKE ?", [township.path + "%"]).fetchall()
    names = {int(i): name for i, name, _ in rows}
    depth = township.path.strip("/").count("/")
    return {
        int(i): [names[int(part)] for part in path.strip("/").split("/")[depth:] if int(part) in names]
        for i, _, path in rows
    }


def unit_tree(cur: Cursor, township: Unit) -> dict[str, Any]:
    """The township's name and its villages' names in their order (what a 报送包 needs to match units)."""
    rows = cur.execute(
        "SELECT name FROM units WHERE parent_id = ? ORDER BY sort_order, name, id", [township.id]
    ).fetchall()
    return {"township": township.name, "villages": [row[0] for row in rows]}


def records(cur: Cursor, township: Unit, year: int) -> tuple[list[dict[str, Any]], list[int]]:
    """The unit-year's live records (the township and every unit below it, started in `year`) as canonical
    dicts sorted by content, and their record ids in the same order."""
    names = _names(cur, township)
    where = "NOT r.is_deleted AND u.path LIKE ? AND r.start_on BETWEEN ? AND ?"
    params = [township.path + "%", date(year, 1, 1), date(year, 12, 31)]
    rows = cur.execute(
        "SELECT r.id, r.unit_id, r.type_code, r.title, r.start_on, r.end_on, r.place, r.summary"
        f" FROM records r JOIN units u ON u.id = r.unit_id WHERE {where}",
        params,
    ).fetchall()
    values: dict[int, dict[str, Any]] = {}
    for record_id, code, num, text in cur.execute(
        "SELECT v.record_id, v.field_code, v.num_value, v.text_value FROM record_values v"
        f" JOIN records r ON r.id = v.record_id JOIN units u ON u.id = r.unit_id WHERE {where}",
        params,
    ).fetchall():
        if text is not None:
            values.setdefault(int(record_id), {})[code] = text
        elif num is not None:
            values.setdefault(int(record_id), {})[code] = number(num)
    typical = {
        int(row[0])
        for row in cur.execute(
            "SELECT t.record_id FROM typical_cases t JOIN records r ON r.id = t.record_id"
            f" JOIN units u ON u.id = r.unit_id WHERE {where}",
            params,
        ).fetchall()
    }
    items = []
    for record_id, unit_id, type_code, title, start_on, end_on, place, summary in rows:
        item = {
            "unit": names[int(unit_id)],
            "type": type_code,
            "title": title,
            "start_on": start_on.isoformat(),
            "end_on": end_on.isoformat(),
            "place": place,
            "summary": summary,
            "values": values.get(int(record_id), {}),
            "typical": int(record_id) in typical,
        }
        items.append((canonical(item), item, int(record_id)))
    items.sort(key=lambda entry: entry[0])
    return [item for _, item, _ in items], [record_id for _, _, record_id in items]


def narratives(cur: Cursor, township: Unit, year: int) -> list[dict[str, Any]]:
    """The unit-year's saved report text (every unit of the subtree), sorted by unit and section."""
    names = _names(cur, township)
    rows = cur.execute(
        "SELECT n.unit_id, n.section, n.body, n.figures, n.updated_by, n.updated_at FROM narratives n"
        " JOIN units u ON u.id = n.unit_id WHERE n.year = ? AND u.path LIKE ?",
        [year, township.path + "%"],
    ).fetchall()
    items = []
    for unit_id, section, body, figures, updated_by, updated_at in rows:
        parsed = json.loads(figures) if isinstance(figures, str) else (figures or [])
        items.append(
            {
                "unit": names[int(unit_id)],
                "section": section,
                "body": body,
                "figures": parsed,
                "updated_by": updated_by,
                "updated_at": updated_at.isoformat(),
            }
        )
    return sorted(items, key=lambda item: (item["unit"], item["section"]))


def targets(cur: Cursor, township: Unit, year: int) -> list[dict[str, Any]]:
    """The unit-year's stored targets (every unit of the subtree), sorted by unit and indicator."""
    names = _names(cur, township)
    rows = cur.execute(
        "SELECT t.unit_id, t.indicator_code, t.value FROM targets t JOIN units u ON u.id = t.unit_id"
        " WHERE t.year = ? AND u.path LIKE ?",
        [year, township.path + "%"],
    ).fetchall()
    items = [
        {"unit": names[int(unit_id)], "indicator": code, "value": number(value)}
        for unit_id, code, value in rows
    ]
    return sorted(items, key=lambda item: (item["unit"], item["indicator"]))


def evidence(cur: Cursor, record_ids: list[int]) -> list[dict[str, Any]]:
    """The evidence index of records listed in canonical order: for each current file, the record's position
    in that list, the file name, its size in bytes and its SHA-256."""
    if not record_ids:
        return []
    position = {record_id: n for n, record_id in enumerate(record_ids)}
    rows = cur.execute(
        "SELECT ra.record_id, ra.filename, a.size, ra.sha256 FROM record_attachments ra"
        " JOIN attachments a ON a.sha256 = ra.sha256 WHERE NOT ra.is_deleted AND list_contains(?, ra.record_id)",
        [record_ids],
    ).fetchall()
    items = [
        {"record": position[int(record_id)], "name": name, "size": int(size), "sha256": sha}
        for record_id, name, size, sha in rows
    ]
    return sorted(items, key=lambda item: (item["record"], item["name"], item["sha256"]))


def fingerprint(cur: Cursor, township: Unit, year: int) -> str:
    """One checksum over everything of the unit-year a report is made from (records, text, targets): equal
    before and after a step means nothing changed in between."""
    listed, _ = records(cur, township, year)
    return sha256(
        canonical(
            {
                "records": listed,
                "narratives": narratives(cur, township, year),
                "targets": targets(cur, township, year),
            }
        )
    )


def timestamp(text: str) -> datetime:
    """An ISO timestamp written by this module, back as a datetime (ValueError when it is not one)."""
    return datetime.fromisoformat(text)

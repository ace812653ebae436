"""From a point selected on a dashboard chart to 台账: one drill-down function per chart (registered with
the chart in `fazhi.charts.CHARTS`), and the filter described in words for the 台账 page."""

from __future__ import annotations

import calendar
from datetime import date
from typing import Any

from fazhi import chinese
from fazhi.catalog import Catalog, Indicator
from fazhi.db import Database
from fazhi.units import Unit, get_unit

# Keys of `ledger.RecordFilter` that a chart selection may ask 台账 to apply (see ui.ledger_link).
LEDGER_FILTER_KEYS = ("year", "unit_id", "type_codes", "area", "date_from", "date_to", "keyword")


def indicator_types(indicator: Indicator) -> list[str]:
    """The record types an indicator draws on (numerator and denominator together), in catalog order."""
    return list(dict.fromkeys(t for m in indicator.measures() for t in m.types))


def _custom(point: dict[str, Any]) -> list[Any]:
    data = point.get("customdata")
    if data is None:
        return []
    return list(data) if isinstance(data, list | tuple) else [data]


Filter = dict[str, Any]


def _base(unit: Unit, year: int) -> Filter:
    return {"year": year, "unit_id": unit.id}


def monthly_activity(catalog: Catalog, point: dict[str, Any], unit: Unit, year: int) -> Filter | None:
    """A month's bar of one area: that area's records touching that month."""
    custom = _custom(point)
    if len(custom) < 2:
        return None
    area, month = str(custom[0]), int(custom[1])
    last = calendar.monthrange(year, month)[1]
    return {
        **_base(unit, year),
        "area": area,
        "date_from": date(year, month, 1),
        "date_to": date(year, month, last),
    }


def completion_by_area(catalog: Catalog, point: dict[str, Any], unit: Unit, year: int) -> Filter | None:
    """An area's bar: the area's records."""
    custom = _custom(point)
    return {**_base(unit, year), "area": str(custom[0])} if custom else None


def by_unit(catalog: Catalog, point: dict[str, Any], unit: Unit, year: int) -> Filter | None:
    """A child unit's bar: its records of the indicator's types."""
    custom = _custom(point)
    if len(custom) < 2:
        return None
    indicator = catalog.indicator(str(custom[1]))
    return {**_base(unit, year), "unit_id": int(custom[0]), "type_codes": indicator_types(indicator)}


def year_over_year(catalog: Catalog, point: dict[str, Any], unit: Unit, year: int) -> Filter | None:
    """An indicator's bar: the records of its types."""
    custom = _custom(point)
    if not custom:
        return None
    return {**_base(unit, year), "type_codes": indicator_types(catalog.indicator(str(custom[0])))}


def records_by_type(catalog: Catalog, point: dict[str, Any], unit: Unit, year: int) -> Filter | None:
    """A treemap node: a type's records, an area's records, or all of them from the root."""
    base = _base(unit, year)
    node = str(point.get("id") or "")
    if node.startswith("type:"):
        return {**base, "type_codes": [node.removeprefix("type:")]}
    if node.startswith("area:"):
        return {**base, "area": node.removeprefix("area:")}
    return base if node == "all" else None


def describe_filter(db: Database, catalog: Catalog, filters: dict[str, Any]) -> str:
    """A ledger filter in words: '示例一村 · 2020年 · 村（居）宣传'."""
    parts = []
    if filters.get("unit_id") is not None:
        parts.append(get_unit(db, int(filters["unit_id"])).name)
    year = filters.get("year")
    if year is not None:
        parts.append(f"{year}年")
    if filters.get("area"):
        outline = catalog.outline_for(int(year or date.today().year))
        names = {a.code: a.short for a in outline.areas}
        parts.append(f"领域：{names.get(filters['area'], filters['area'])}")
    if filters.get("type_codes"):
        type_names = [
            catalog.record_types[c].name if c in catalog.record_types else c for c in filters["type_codes"]
        ]
        parts.append("类型：" + "、".join(type_names))
    if filters.get("date_from") or filters.get("date_to"):
        start = chinese.day(filters["date_from"]) if filters.get("date_from") else "年初"
        end = chinese.day(filters["date_to"]) if filters.get("date_to") else "年末"
        parts.append(f"{start}至{end}")
    if filters.get("keyword"):
        parts.append(f"关键词：{filters['keyword']}")
    return " · ".join(parts)

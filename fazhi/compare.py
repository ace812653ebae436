"""乡镇比较: a county's townships side by side — completion per area (a 乡镇 × 领域 heatmap), the key
indicators ranked, and each township's overall completion.

Every figure comes from `indicators.indicator_table` for each township (its own targets, its villages
included) and the dashboard's completion-by-area rule, so a township's cell here is the bar its own 看板
shows. The frames feed the pure builders `charts.township_heatmap` and `charts.township_ranking`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import pandas as pd

from fazhi import dashboard, ledger
from fazhi.catalog import Catalog
from fazhi.db import Database
from fazhi.indicators import child_tables, indicator_table, year_share
from fazhi.permissions import User, require_view
from fazhi.units import Unit, children


@dataclass(frozen=True)
class Score:
    """One township's year: its indicator table, completion per area, overall completion, record counts."""

    unit: Unit
    table: pd.DataFrame
    areas: pd.DataFrame
    completion: float | None  # mean of the capped completion of every assessable targeted indicator (%)
    records: int
    by_area: dict[str, int]  # area code -> records


def townships(db: Database, county: Unit) -> list[Unit]:
    """The county's 乡镇/街道 in their order."""
    return [u for u in children(db, county) if u.level == "township"]


def overall_completion(table: pd.DataFrame) -> float | None:
    """The mean completion (each indicator capped at 100 %) of targeted indicators that can be assessed
    (a ratio without denominator cannot), as the areas are averaged on 看板; None when there is none."""
    targeted = table[table["target"].notna() & (table["direction"] != "neutral")]
    assessable = ~((targeted["kind"] == "ratio") & targeted["value"].isna())
    capped = targeted["completion"].astype("float64").clip(upper=100.0).fillna(0.0)[assessable]
    return None if capped.empty else round(float(capped.mean()), 1)


def score(
    db: Database,
    user: User,
    catalog: Catalog,
    township: Unit,
    year: int,
    *,
    today: date | None = None,
    table: pd.DataFrame | None = None,
) -> Score:
    """One township's comparison figures (`table`: its indicator table when already computed)."""
    table = table if table is not None else indicator_table(db, user, catalog, township, year, today=today)
    counts = ledger.count_by_area(db, user, catalog, township.id, year)
    codes = [area.code for area in catalog.outline_for(year).areas]
    by_area = {code: int(n) for code, n in zip(codes, counts["records"], strict=True)}
    areas = dashboard._completion_from(catalog, table, year, year_share(year, today))
    return Score(township, table, areas, overall_completion(table), sum(by_area.values()), by_area)


def scores(
    db: Database, user: User, catalog: Catalog, county: Unit, year: int, *, today: date | None = None
) -> list[Score]:
    """Every township of the county, in order."""
    require_view(user, county)
    tables = child_tables(db, user, catalog, county, year, today=today)  # one query for every township
    return [score(db, user, catalog, t, year, today=today, table=tables[t.id]) for t in townships(db, county)]


def heatmap_frame(catalog: Catalog, year: int, found: list[Score]) -> pd.DataFrame:
    """One row per township × area of the year's 纲要: unit_id, unit_name, unit_order, area_code, area,
    area_name, area_order, completion (% 0–100, None where the area has no targeted indicator), status,
    records (the township's records in the area), year."""
    rows = []
    outline = catalog.outline_for(year)
    for order, item in enumerate(found):
        per_area = item.areas.set_index("area_code") if not item.areas.empty else None
        for area in outline.areas:
            known = per_area is not None and area.code in per_area.index
            rows.append(
                {
                    "unit_id": item.unit.id,
                    "unit_name": item.unit.name,
                    "unit_order": order,
                    "area_code": area.code,
                    "area": area.short,
                    "area_name": area.name,
                    "area_order": area.order,
                    "completion": float(per_area.at[area.code, "completion"]) if known else None,  # type: ignore[union-attr]
                    "status": str(per_area.at[area.code, "status"]) if known else "",  # type: ignore[union-attr]
                    "records": item.by_area.get(area.code, 0),
                    "year": year,
                }
            )
    columns = [
        "unit_id", "unit_name", "unit_order", "area_code", "area", "area_name", "area_order",
        "completion", "status", "records", "year",
    ]  # fmt: skip
    return pd.DataFrame(rows, columns=columns)


def _rank(values: list[float | None], direction: str) -> list[int | None]:
    """Competition ranks (1, 2, 2, 4): larger first, smaller first for 'down'/'zero'; None without a value."""
    present = [v for v in values if v is not None]
    reverse = direction not in ("down", "zero")
    ordered = sorted(present, reverse=reverse)
    return [None if v is None else ordered.index(v) + 1 for v in values]


def ranking_frame(catalog: Catalog, found: list[Score], codes: tuple[str, ...] | None = None) -> pd.DataFrame:
    """One row per township, best overall completion first: unit_id, unit_name, completion, rank, records,
    and for each key indicator `<code>` (value), `<code>_text` and `<code>_rank`."""
    codes = catalog.key_indicators if codes is None else codes
    rows: list[dict[str, Any]] = []
    for item in found:
        row: dict[str, Any] = {
            "unit_id": item.unit.id,
            "unit_name": item.unit.name,
            "completion": item.completion,
            "records": item.records,
        }
        table = item.table.set_index("code")
        for code in codes:
            value = table.at[code, "value"]
            row[code] = None if value is None or pd.isna(value) else float(value)
            row[f"{code}_text"] = str(table.at[code, "value_text"])
        rows.append(row)
    frame = pd.DataFrame(rows, columns=["unit_id", "unit_name", "completion", "records"] + [
        column for code in codes for column in (code, f"{code}_text")
    ])  # fmt: skip
    frame["rank"] = _rank([None if pd.isna(v) else float(v) for v in frame["completion"]], "up")
    for code in codes:
        indicator = catalog.indicator(code)
        frame[f"{code}_rank"] = _rank(
            [None if pd.isna(v) else float(v) for v in frame[code]], indicator.direction
        )
    frame = frame.sort_values(["rank", "unit_name"], na_position="last", kind="stable").reset_index(drop=True)
    return frame


def ranking_display(
    catalog: Catalog, frame: pd.DataFrame, codes: tuple[str, ...] | None = None
) -> pd.DataFrame:
    """The ranking for people: 名次, 乡镇（街道）, 指标完成率, 记录数, then '2536份（第1）' per key indicator."""
    codes = catalog.key_indicators if codes is None else codes
    shown = pd.DataFrame(
        {
            "名次": [("—" if pd.isna(r) else str(int(r))) for r in frame["rank"]],
            "乡镇（街道）": frame["unit_name"],
            "指标完成率": ["—" if pd.isna(c) else f"{c:.1f}%" for c in frame["completion"]],
            "记录数": frame["records"].astype("int64"),
        }
    )
    for code in codes:
        name = catalog.indicator(code).name
        shown[name] = [
            text if pd.isna(rank) else f"{text}（第{int(rank)}）"
            for text, rank in zip(frame[f"{code}_text"], frame[f"{code}_rank"], strict=True)
        ]
    return shown


def cell_filter(point: dict[str, Any], year: int) -> dict[str, Any] | None:
    """The 台账 filter (keys of ledger.RecordFilter) for a heatmap cell chosen on the chart: that township's
    records of the year in that area; None when the point is not a cell."""
    data = point.get("customdata")
    if not isinstance(data, list | tuple) or len(data) < 2:
        return None
    return {"year": year, "unit_id": int(data[0]), "area": str(data[1])}

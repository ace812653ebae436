"""The data behind 看板 and 会议模式: the frame of every chart, in one `DashboardData` per screen.

Every figure comes from `indicators.indicator_table` / `indicators.compute_values` (the single source the
report and the CLI use too) plus one small query of records per month and type, so a whole screen costs a
handful of queries however many indicators there are. `dashboard_data` assembles everything one run of the
dashboard needs; the chart frames it holds are what `fazhi.charts.CHARTS` builders take. The judgements
in words (KPI cards, 短板) are `fazhi/scorecard.py`; the way from a chart to 台账 is `fazhi/drilldown.py`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd

from fazhi.catalog import Catalog
from fazhi.db import Database
from fazhi.indicators import compute_values, format_value, indicator_table, year_share
from fazhi.labels import LEVELS, Status
from fazhi.ledger import SCOPE, scope
from fazhi.permissions import User, require_view
from fazhi.units import Unit, children

# ───────────── records per month and type: one query for two charts ─────────────


def _type_counts(db: Database, unit: Unit, year: int) -> pd.DataFrame:
    """Records (not deleted) of the unit and everything below it per start month and type."""
    return db.frame(
        "SELECT CAST(month(r.start_on) AS INTEGER) AS month, r.type_code, CAST(count(*) AS INTEGER) AS records"
        f" FROM records r JOIN units u ON u.id = r.unit_id WHERE {SCOPE}"
        " GROUP BY 1, 2 ORDER BY month, type_code",
        scope(unit, year),
    )


def _monthly_from(catalog: Catalog, counts: pd.DataFrame, year: int) -> pd.DataFrame:
    outline = catalog.outline_for(year)
    per = {(m, a.code): 0 for a in outline.areas for m in range(1, 13)}
    for month, type_code, number in counts.itertuples(index=False):
        if type_code in catalog.record_types:
            per[(int(month), catalog.area_of(type_code, year).code)] += int(number)
    rows = [
        (m, a.code, a.short, a.name, a.order, a.color, per[(m, a.code)])
        for a in outline.areas
        for m in range(1, 13)
    ]
    frame = pd.DataFrame(
        rows, columns=["month", "area_code", "area", "area_name", "area_order", "area_color", "records"]
    )
    return frame.astype({"month": "int64", "area_order": "int64", "records": "int64"})


def monthly_activity(db: Database, user: User, catalog: Catalog, unit: Unit, year: int) -> pd.DataFrame:
    """Records per month (1–12, by start date) and area of that year's 纲要, every area × month present.

    Columns: month, area_code, area (short name), area_name, area_order, area_color, records (count).
    """
    require_view(user, unit)
    return _monthly_from(catalog, _type_counts(db, unit, year), year)


def _by_type_from(catalog: Catalog, counts: pd.DataFrame, year: int) -> pd.DataFrame:
    totals = counts.groupby("type_code")["records"].sum() if not counts.empty else pd.Series(dtype="int64")
    rows = []
    for code, record_type in catalog.record_types.items():
        number = int(totals.get(code, 0))
        if number:
            area = catalog.area_of(code, year)
            rows.append(
                (area.code, area.short, area.name, area.order, area.color, code, record_type.name, number)
            )
    columns = [
        "area_code",
        "area",
        "area_name",
        "area_order",
        "area_color",
        "type_code",
        "type_name",
        "records",
    ]
    frame = pd.DataFrame(rows, columns=columns)
    return frame.sort_values(["area_order", "records"], ascending=[True, False], kind="stable").reset_index(
        drop=True
    )


def records_by_type(db: Database, user: User, catalog: Catalog, unit: Unit, year: int) -> pd.DataFrame:
    """Records of the year per area and type (types without records left out), in 纲要 order.

    Columns: area_code, area, area_name, area_order, area_color, type_code, type_name, records (count).
    """
    require_view(user, unit)
    return _by_type_from(catalog, _type_counts(db, unit, year), year)


# ───────────── completion per area, this year against last year (from indicator_table) ─────────────


def _area_status(completion: float, share: float) -> Status:
    if completion >= 99.95:
        return Status.DONE
    if completion >= share * 100:
        return Status.ON_TRACK
    return Status.BEHIND if share < 1 else Status.MISSED


def _completion_from(catalog: Catalog, table: pd.DataFrame, year: int, share: float) -> pd.DataFrame:
    columns = [
        "area_code",
        "area",
        "area_name",
        "area_order",
        "indicators",
        "done",
        "on_track",
        "behind",
        "missed",
        "no_data",
        "completion",
        "status",
        "share",
    ]
    targeted = table[table["target"].notna() & (table["direction"] != "neutral")]
    # A ratio whose denominator is 0 cannot be assessed, so it does not pull its area down.
    assessable = ~((targeted["kind"] == "ratio") & targeted["value"].isna())
    capped = targeted["completion"].astype("float64").clip(upper=100.0).fillna(0.0).where(assessable)
    completion = capped.groupby(targeted["area_code"]).mean()
    counts = pd.crosstab(targeted["area_code"], targeted["status"])
    rows = []
    for area in catalog.outline_for(year).areas:
        average = completion.get(area.code)
        if average is None or pd.isna(average):
            continue
        count = counts.loc[area.code] if area.code in counts.index else pd.Series(dtype="int64")
        rows.append(
            (
                area.code,
                area.short,
                area.name,
                area.order,
                int(count.sum()),
                int(count.get(Status.DONE, 0)),
                int(count.get(Status.ON_TRACK, 0)),
                int(count.get(Status.BEHIND, 0)),
                int(count.get(Status.MISSED, 0)),
                int(count.get(Status.NO_DATA, 0)),
                round(float(average), 1),
                _area_status(float(average), share),
                round(share * 100, 1),
            )
        )
    return pd.DataFrame(rows, columns=columns)


def completion_by_area(
    db: Database, user: User, catalog: Catalog, unit: Unit, year: int, *, today: date | None = None
) -> pd.DataFrame:
    """Average completion against target per area (each indicator capped at 100 %), with status counts.

    Columns: area_code, area, area_name, area_order, indicators (with a target), done, on_track, behind,
    missed, no_data (counts by status), completion (% 0–100), status (of the area against the share of the
    year passed), share (% of the year passed on `today`). Areas without any targeted indicator are left out;
    a ratio without denominator is not counted in the average.
    """
    table = indicator_table(db, user, catalog, unit, year, today=today)
    return _completion_from(catalog, table, year, year_share(year, today))


def _verdict(direction: str, change: float) -> str:
    if change == 0:
        return "same"
    if direction == "up":
        return "better" if change > 0 else "worse"
    if direction in ("down", "zero"):
        return "better" if change < 0 else "worse"
    return "info"


def _year_over_year_from(table: pd.DataFrame, year: int) -> pd.DataFrame:
    comparable = table[
        table["change_pct"].notna()
        & table["direction"].isin(["up", "down", "zero"])
        & (table["kind"] != "yesno")
    ]
    frame = comparable[
        [
            "code",
            "name",
            "area",
            "unit",
            "direction",
            "value",
            "previous",
            "value_text",
            "previous_text",
            "change",
            "change_pct",
        ]
    ].copy()
    frame["change_pct"] = frame["change_pct"].astype("float64").round(1)
    frame["verdict"] = [_verdict(d, c) for d, c in zip(frame["direction"], frame["change"], strict=True)]
    frame["year"] = year
    frame["previous_year"] = year - 1
    return frame.sort_values("change_pct", ascending=False, kind="stable").reset_index(drop=True)


TOP_CHANGES = 12  # bars the 与上年比较 chart draws: readable on one screen; the rest go in a table


def largest_changes(comparison: pd.DataFrame, top: int = TOP_CHANGES) -> pd.DataFrame:
    """The `top` rows of a comparison frame with the largest change either way, still largest rise first."""
    if len(comparison) <= top:
        return comparison
    keep = comparison["change_pct"].abs().sort_values(ascending=False, kind="stable").index[:top]
    return comparison.loc[sorted(keep)].reset_index(drop=True)


def other_changes(comparison: pd.DataFrame, top: int = TOP_CHANGES) -> pd.DataFrame:
    """The rows of a comparison frame that `largest_changes` leaves out, in the same order."""
    shown = set(largest_changes(comparison, top)["code"])
    return comparison[~comparison["code"].isin(shown)].reset_index(drop=True)


def year_over_year(
    db: Database, user: User, catalog: Catalog, unit: Unit, year: int, *, today: date | None = None
) -> pd.DataFrame:
    """Indicators with a target direction whose change against last year can be expressed in %.

    Columns: code, name, area, unit, direction, value, previous, value_text, previous_text, change,
    change_pct (% of last year's value, 1 decimal), verdict (better/worse/same), year, previous_year;
    sorted by change_pct, largest rise first. Yes/no indicators and those without last year's value are left out.
    """
    return _year_over_year_from(indicator_table(db, user, catalog, unit, year, today=today), year)


# ───────────── breakdown by 村/社区 or 乡镇 ─────────────


def _children_from(
    catalog: Catalog, values: pd.DataFrame, unit: Unit, below: list[Unit], year: int
) -> pd.DataFrame:
    """Every indicator for the unit's own records and for each child unit (missing ones filled)."""
    buckets = pd.DataFrame(
        {
            "unit_id": [unit.id] + [child.id for child in below],
            "unit_name": [f"{unit.name}（本级）"] + [child.name for child in below],
            "own": [True] + [False] * len(below),
        }
    )
    listed = pd.DataFrame(
        {
            "code": [i.code for i in catalog.indicators],
            "order": range(len(catalog.indicators)),
            "countable": [i.kind not in ("ratio", "latest", "yesno") for i in catalog.indicators],
        }
    )
    present = values.loc[values["year"] == year, ["bucket", "code", "value", "records"]].rename(
        columns={"bucket": "unit_id"}
    )
    present = present.astype({"unit_id": "int64", "value": "float64", "records": "float64"})
    grid = buckets.merge(listed, how="cross").merge(present, on=["unit_id", "code"], how="left")
    missing = grid["records"].isna()
    grid.loc[missing & grid["countable"], "value"] = 0.0  # no record: a count or sum is 0, a ratio is None
    grid["records"] = grid["records"].fillna(0).astype("int64")
    value = grid["value"].astype("object").where(grid["value"].notna(), None)
    indicators = {i.code: i for i in catalog.indicators}
    grid["value"] = value
    grid["value_text"] = [format_value(indicators[c], v) for c, v in zip(grid["code"], value, strict=True)]
    return grid[["code", "order", "unit_id", "unit_name", "own", "value", "value_text", "records"]]


def _by_unit_from(catalog: Catalog, children_frame: pd.DataFrame, unit: Unit, code: str) -> pd.DataFrame:
    indicator = catalog.indicator(code)
    part = children_frame[children_frame["code"] == code]
    # The unit's own bucket is shown only when it holds records of this indicator.
    part = part[~part["own"] | (part["records"] > 0)].copy()
    level = LEVELS.get("village" if unit.level == "township" else "township", "下级单位")
    part["indicator_name"] = indicator.name
    part["indicator_unit"] = indicator.unit
    part["child_level"] = level if unit.level != "village" else "单位"
    return part.drop(columns=["order"]).reset_index(drop=True)


def by_unit(db: Database, user: User, catalog: Catalog, unit: Unit, year: int, code: str) -> pd.DataFrame:
    """One indicator per child unit (村/社区 of a 乡镇, 乡镇 of a 区县), plus the unit's own records when any.

    Columns: code, unit_id, unit_name ('燕山乡（本级）' for the unit's own records), own, value (None when it
    cannot be computed), value_text, records, indicator_name, indicator_unit, child_level (Chinese level name).
    """
    require_view(user, unit)
    values = compute_values(db, catalog, unit, [year], by_child=True)
    return _by_unit_from(catalog, _children_from(catalog, values, unit, children(db, unit), year), unit, code)


def default_breakdown(catalog: Catalog, children_frame: pd.DataFrame) -> str:
    """The indicator the breakdown chart opens on: the one with values in the most child units."""
    spread = (
        children_frame[~children_frame["own"] & (children_frame["value"].fillna(0) > 0)]
        .groupby("code")["unit_id"]
        .nunique()
    )
    if spread.empty:
        return catalog.indicators[0].code
    order = {i.code: n for n, i in enumerate(catalog.indicators)}
    return min(spread.index, key=lambda c: (-int(spread[c]), order[c]))


# ───────────── everything a dashboard run needs ─────────────


@dataclass(frozen=True)
class DashboardData:
    """All figures of one dashboard screen for a unit and year (see `dashboard_data`)."""

    unit: Unit
    year: int
    today: date
    share: float
    table: pd.DataFrame
    monthly: pd.DataFrame
    completion: pd.DataFrame
    by_type: pd.DataFrame
    comparison: pd.DataFrame
    children: pd.DataFrame
    child_units: int

    def breakdown(self, catalog: Catalog, code: str | None = None) -> pd.DataFrame:
        """The by-unit frame of one indicator (default: the one with values in the most child units)."""
        return _by_unit_from(
            catalog, self.children, self.unit, code or default_breakdown(catalog, self.children)
        )


def dashboard_data(
    db: Database, user: User, catalog: Catalog, unit: Unit, year: int, *, today: date | None = None
) -> DashboardData:
    """Everything one dashboard run shows, in five queries whatever the number of indicators."""
    require_view(user, unit)
    today = today or date.today()
    share = year_share(year, today)
    table = indicator_table(db, user, catalog, unit, year, today=today)
    counts = _type_counts(db, unit, year)
    below = children(db, unit)
    values = compute_values(db, catalog, unit, [year], by_child=True) if below else _empty_values()
    return DashboardData(
        unit=unit,
        year=year,
        today=today,
        share=share,
        table=table,
        monthly=_monthly_from(catalog, counts, year),
        completion=_completion_from(catalog, table, year, share),
        by_type=_by_type_from(catalog, counts, year),
        comparison=_year_over_year_from(table, year),
        children=_children_from(catalog, values, unit, below, year),
        child_units=len(below),
    )


def _empty_values() -> pd.DataFrame:
    return pd.DataFrame(columns=["year", "bucket", "code", "value", "numerator", "denominator", "records"])

"""The data behind 看板 and 会议模式: frames for the charts, KPI cards, 短板 lines and ledger filters.

Every figure comes from `indicators.indicator_table` / `indicators.compute_values` (the single source the
report and the CLI use too) plus one small query of records per month and type, so a whole screen costs a
handful of queries however many indicators there are. `dashboard_data` assembles everything one run of the
dashboard needs; the chart frames it holds are what `fazhi.charts.CHARTS` builders take.
"""

from __future__ import annotations

import calendar
import math
from dataclasses import dataclass
from datetime import date
from typing import Any

import pandas as pd

from fazhi.catalog import Catalog, Indicator
from fazhi.db import Database
from fazhi.indicators import (
    STATUS_BEHIND,
    STATUS_DONE,
    STATUS_MISSED,
    STATUS_NO_DATA,
    STATUS_ON_TRACK,
    compute_values,
    format_value,
    indicator_table,
    year_share,
)
from fazhi.labels import LEVELS
from fazhi.permissions import User, require_view
from fazhi.units import Unit, children, get_unit

# The KPI cards shown by default (a user may pick others on 看板; 会议模式 shows the same choice).
KEY_INDICATORS: tuple[str, ...] = (
    "study_group_sessions",
    "exam_pass_rate",
    "market_day_materials",
    "households_visited",
    "disputes_resolved",
    "legal_aid_cases",
    "satisfaction",
    "major_accidents",
)

# Keys of `records.RecordFilter` that a chart selection may ask 台账 to apply (see ui.open_ledger).
LEDGER_FILTER_KEYS = ("year", "unit_id", "type_codes", "area", "date_from", "date_to", "keyword")

_SEVERITY = {STATUS_MISSED: 0, STATUS_BEHIND: 1, STATUS_NO_DATA: 2}
_RATE_UNIT = "%"


# ───────────── records per month and type: one query for two charts ─────────────


def _type_counts(db: Database, unit: Unit, year: int) -> pd.DataFrame:
    """Records (not deleted) of the unit and everything below it per start month and type."""
    return db.frame(
        "SELECT CAST(month(r.start_on) AS INTEGER) AS month, r.type_code, CAST(count(*) AS INTEGER) AS records"
        " FROM records r JOIN units u ON u.id = r.unit_id"
        " WHERE NOT r.is_deleted AND u.path LIKE ? AND r.start_on BETWEEN ? AND ?"
        " GROUP BY ALL ORDER BY month, type_code",
        [unit.path + "%", date(year, 1, 1), date(year, 12, 31)],
    )


def _monthly_from(catalog: Catalog, counts: pd.DataFrame, year: int) -> pd.DataFrame:
    outline = catalog.outline_for(year)
    per = {(m, a.code): 0 for a in outline.areas for m in range(1, 13)}
    for month, type_code, number in counts.itertuples(index=False):
        if type_code in catalog.record_types:
            per[(int(month), catalog.area_of(type_code, year).code)] += int(number)
    rows = [
        (m, a.code, a.short, a.name, a.order, per[(m, a.code)]) for a in outline.areas for m in range(1, 13)
    ]
    frame = pd.DataFrame(rows, columns=["month", "area_code", "area", "area_name", "area_order", "records"])
    return frame.astype({"month": "int64", "area_order": "int64", "records": "int64"})


def monthly_activity(db: Database, user: User, catalog: Catalog, unit: Unit, year: int) -> pd.DataFrame:
    """Records per month (1–12, by start date) and area of that year's 纲要, every area × month present.

    Columns: month, area_code, area (short name), area_name, area_order, records (count).
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
            rows.append((area.code, area.short, area.name, area.order, code, record_type.name, number))
    frame = pd.DataFrame(
        rows, columns=["area_code", "area", "area_name", "area_order", "type_code", "type_name", "records"]
    )
    return frame.sort_values(["area_order", "records"], ascending=[True, False], kind="stable").reset_index(
        drop=True
    )


def records_by_type(db: Database, user: User, catalog: Catalog, unit: Unit, year: int) -> pd.DataFrame:
    """Records of the year per area and type (types without records left out), in 纲要 order.

    Columns: area_code, area, area_name, area_order, type_code, type_name, records (count).
    """
    require_view(user, unit)
    return _by_type_from(catalog, _type_counts(db, unit, year), year)


# ───────────── completion per area, this year against last year (from indicator_table) ─────────────


def _area_status(completion: float, share: float) -> str:
    if completion >= 99.95:
        return STATUS_DONE
    if completion >= share * 100:
        return STATUS_ON_TRACK
    return STATUS_BEHIND if share < 1 else STATUS_MISSED


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
                int(count.get(STATUS_DONE, 0)),
                int(count.get(STATUS_ON_TRACK, 0)),
                int(count.get(STATUS_BEHIND, 0)),
                int(count.get(STATUS_MISSED, 0)),
                int(count.get(STATUS_NO_DATA, 0)),
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

    def frame(self, kind: str, catalog: Catalog, code: str | None = None) -> pd.DataFrame:
        """The frame a chart kind of `fazhi.charts.CHARTS` draws (`code`: the indicator for by_unit)."""
        if kind == "monthly_activity":
            return self.monthly
        if kind == "completion_by_area":
            return self.completion
        if kind == "records_by_type":
            return self.by_type
        if kind == "year_over_year":
            return self.comparison
        if kind == "by_unit":
            return _by_unit_from(
                catalog, self.children, self.unit, code or default_breakdown(catalog, self.children)
            )
        raise KeyError(kind)


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


# ───────────── KPI cards, 短板, the indicator table ─────────────


@dataclass(frozen=True)
class Kpi:
    """One KPI card: what st.metric shows (delta = change against last year), plus a caption with last
    year's value, the target, completion and status."""

    code: str
    label: str
    value: str
    delta: str | None
    delta_color: str
    help: str
    previous: str
    target: str
    completion: str
    status: str


_DELTA_COLORS = {"up": "normal", "down": "inverse", "zero": "inverse", "yes": "off", "neutral": "off"}


def _number_text(number: float) -> str:
    return str(int(number)) if float(number).is_integer() else f"{number:.1f}".rstrip("0").rstrip(".")


def change_text(indicator: Indicator, change: float | None, change_pct: float | None) -> str | None:
    """'+736份（+40.9%）', '+3个百分点' for a rate, '持平'; None when there is nothing to compare."""
    if change is None or indicator.kind == "yesno":
        return None
    if change == 0:
        return "持平"
    sign = "+" if change > 0 else "-"
    if indicator.unit == _RATE_UNIT:
        return f"{sign}{_number_text(abs(change))}个百分点"
    text = f"{sign}{_number_text(abs(change))}{indicator.unit}"
    if change_pct is not None:
        text += f"（{change_pct:+.1f}%）"
    return text


def _plain(value: Any) -> float | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return float(value)


def kpi_cards(
    catalog: Catalog, table: pd.DataFrame, codes: tuple[str, ...] | list[str], year: int
) -> list[Kpi]:
    """KPI cards for the given indicator codes (unknown codes skipped), from an `indicator_table`."""
    rows = table.set_index("code")
    cards = []
    for code in codes:
        if code not in rows.index:
            continue
        row = rows.loc[code]
        indicator = catalog.indicator(code)
        delta = change_text(indicator, _plain(row["change"]), _plain(row["change_pct"]))
        completion = _plain(row["completion"])
        cards.append(
            Kpi(
                code=code,
                label=indicator.name,
                value=row["value_text"],
                delta=delta,
                delta_color=_DELTA_COLORS[indicator.direction] if delta != "持平" else "off",
                help=indicator.definition,
                previous=f"{year - 1}年 {row['previous_text']}",
                target=row["target_text"] if _plain(row["target"]) is not None else "未设目标",
                completion="—" if completion is None else f"{completion:.0f}%",
                status=row["status"],
            )
        )
    return cards


def shortfall_lines(table: pd.DataFrame, share: float) -> list[str]:
    """短板提示, one plain sentence per indicator with a target direction: missed first, then behind pace,
    then without records ('仅统计' indicators such as 行政处罚 are never a shortfall)."""
    rows = table[table["status"].isin(list(_SEVERITY)) & (table["direction"] != "neutral")].copy()
    rows["severity"] = rows["status"].map(_SEVERITY)
    lines = []
    for row in rows.sort_values("severity", kind="stable").itertuples():
        prefix = f"【{row.area}】{row.name}："
        if row.status == STATUS_NO_DATA:
            target = f"（目标{row.target_text}）" if row.target_text != "—" else ""
            lines.append(f"{prefix}尚无记录{target}")
        elif row.status == STATUS_BEHIND:
            lines.append(
                f"{prefix}{row.value_text}，目标{row.target_text}，完成{row.completion:.0f}%，"
                f"低于时间进度{share * 100:.0f}%"
            )
        elif row.direction == "zero":
            lines.append(f"{prefix}发生{row.value_text}，应为零")
        elif row.direction == "yes":
            lines.append(f"{prefix}为“否”，应为“是”")
        else:
            lines.append(f"{prefix}{row.value_text}，目标{row.target_text}，未达标")
    return lines


def indicator_display(table: pd.DataFrame) -> pd.DataFrame:
    """Every indicator for people: Chinese column names, completion as a number (%), 口径说明 last."""
    view = pd.DataFrame(
        {
            "领域": table["area"],
            "指标": table["name"],
            "数值": table["value_text"],
            "目标": table["target_text"],
            "完成率": table["completion"].astype("float64").round(1),
            "上年": table["previous_text"],
            "较上年": table["change_pct"].astype("float64").round(1),
            "状态": table["status"],
            "口径说明": table["definition"],
        }
    )
    return view


# ───────────── from a selected chart point to 台账 ─────────────


def indicator_types(indicator: Indicator) -> list[str]:
    """The record types an indicator draws on (numerator and denominator together), in catalog order."""
    return list(dict.fromkeys(t for m in indicator.measures() for t in m.types))


def _custom(point: dict[str, Any]) -> list[Any]:
    data = point.get("customdata")
    if data is None:
        return []
    return list(data) if isinstance(data, list | tuple) else [data]


def ledger_filter(
    catalog: Catalog, kind: str, point: dict[str, Any], unit: Unit, year: int
) -> dict[str, Any] | None:
    """The 台账 filter (keys of records.RecordFilter) for a point selected on a chart; None when it leads nowhere."""
    base: dict[str, Any] = {"year": year, "unit_id": unit.id}
    custom = _custom(point)
    if kind == "monthly_activity" and len(custom) >= 2:
        area, month = str(custom[0]), int(custom[1])
        last = calendar.monthrange(year, month)[1]
        return {**base, "area": area, "date_from": date(year, month, 1), "date_to": date(year, month, last)}
    if kind == "completion_by_area" and custom:
        return {**base, "area": str(custom[0])}
    if kind == "by_unit" and len(custom) >= 2:
        indicator = catalog.indicator(str(custom[1]))
        return {**base, "unit_id": int(custom[0]), "type_codes": indicator_types(indicator)}
    if kind == "year_over_year" and custom:
        return {**base, "type_codes": indicator_types(catalog.indicator(str(custom[0])))}
    if kind == "records_by_type":
        node = str(point.get("id") or "")
        if node.startswith("type:"):
            return {**base, "type_codes": [node.removeprefix("type:")]}
        if node.startswith("area:"):
            return {**base, "area": node.removeprefix("area:")}
        return base if node == "all" else None
    return None


def _day(value: Any) -> str:
    day = value if isinstance(value, date) else date.fromisoformat(str(value))
    return f"{day.year}年{day.month}月{day.day}日"


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
        names = [
            catalog.record_types[c].name if c in catalog.record_types else c for c in filters["type_codes"]
        ]
        parts.append("类型：" + "、".join(names))
    if filters.get("date_from") or filters.get("date_to"):
        start = _day(filters["date_from"]) if filters.get("date_from") else "年初"
        end = _day(filters["date_to"]) if filters.get("date_to") else "年末"
        parts.append(f"{start}至{end}")
    if filters.get("keyword"):
        parts.append(f"关键词：{filters['keyword']}")
    return " · ".join(parts)


def progress_text(data: DashboardData) -> str:
    """One sentence on where the year stands and what 较上年 compares with."""
    year, today = data.year, data.today
    if data.share >= 1:
        return f"{year}年已结束：数值为全年合计，“较上年”与{year - 1}年全年比较。"
    if data.share <= 0:
        return f"{year}年尚未开始。"
    return (
        f"截至{today.year}年{today.month}月{today.day}日，{year}年已过{data.share * 100:.0f}%（时间进度）；"
        f"累计类指标低于时间进度即提示落后，“较上年”与{year - 1}年全年比较。"
    )

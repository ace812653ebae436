"""The dashboard's judgements in words: KPI cards (value, change against last year, target, completion,
status), 短板 lines, the table of every indicator for people, and where the year stands."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

import pandas as pd

from fazhi import chinese
from fazhi.catalog import Catalog, Indicator
from fazhi.charts import VERDICT_LABELS
from fazhi.dashboard import DashboardData
from fazhi.labels import UNCHANGED, Status

_SEVERITY = {Status.MISSED: 0, Status.BEHIND: 1, Status.NO_DATA: 2}
_RATE_UNIT = "%"
DeltaColor = Literal["normal", "inverse", "off"]  # as st.metric takes it


def key_indicators(catalog: Catalog) -> tuple[str, ...]:
    """The KPI cards shown by default (data/kpi.toml; a user may pick others on 看板, 会议模式 follows)."""
    return catalog.key_indicators


@dataclass(frozen=True)
class Kpi:
    """One KPI card: what st.metric shows (delta = change against last year), plus a caption with last
    year's value, the target, completion and status."""

    code: str
    label: str
    value: str
    delta: str | None
    delta_color: DeltaColor
    help: str
    previous: str
    target: str
    completion: str
    status: Status
    arrow: bool = True  # False when there is no change to point at (no last year, or 持平)


_DELTA_COLORS: dict[str, DeltaColor] = {
    "up": "normal",
    "down": "inverse",
    "zero": "inverse",
    "yes": "off",
    "neutral": "off",
}


def change_text(indicator: Indicator, change: float | None, change_pct: float | None) -> str | None:
    """'+736份（+40.9%）', '+3个百分点' for a rate, '持平'; None when there is nothing to compare."""
    if change is None or indicator.kind == "yesno":
        return None
    if change == 0:
        return UNCHANGED
    sign = "+" if change > 0 else "-"
    if indicator.unit == _RATE_UNIT:
        return f"{sign}{chinese.number(abs(change), 1)}个百分点"
    text = f"{sign}{chinese.number(abs(change), 1)}{indicator.unit}"
    if change_pct is not None:
        text += f"（{change_pct:+.1f}%）"
    return text


def _number_or_none(value: Any) -> float | None:
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
        delta = change_text(indicator, _number_or_none(row["change"]), _number_or_none(row["change_pct"]))
        completion = _number_or_none(row["completion"])
        cards.append(
            Kpi(
                code=code,
                label=indicator.name,
                value=row["value_text"],
                delta=delta,
                delta_color=_DELTA_COLORS[indicator.direction] if delta != UNCHANGED else "off",
                arrow=delta is not None and delta != UNCHANGED,
                help=indicator.definition,
                previous=f"{year - 1}年 {row['previous_text']}",
                target=row["target_text"] if _number_or_none(row["target"]) is not None else "未设目标",
                completion="—" if completion is None else f"{completion:.0f}%",
                status=Status(row["status"]),
            )
        )
    return cards


def shortfall_lines(table: pd.DataFrame, share: float) -> list[str]:
    """短板提示, one plain sentence per indicator with a target direction: missed first, then behind pace,
    then without records ('仅统计' indicators such as 行政处罚 are never a shortfall, nor is having no records
    of work without a target, e.g. a 村 against the defaults written for a whole 乡镇)."""
    no_target = (table["status"] == Status.NO_DATA) & table["target"].isna()
    rows = table[
        table["status"].isin(list(_SEVERITY)) & (table["direction"] != "neutral") & ~no_target
    ].copy()
    rows["severity"] = rows["status"].map(_SEVERITY)
    lines = []
    for row in rows.sort_values("severity", kind="stable").itertuples():
        prefix = f"【{row.area}】{row.name}："
        if row.status == Status.NO_DATA:
            target = f"（目标{row.target_text}）" if row.target_text != "—" else ""
            lines.append(f"{prefix}尚无记录{target}")
        elif row.status == Status.BEHIND:
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


def change_display(comparison: pd.DataFrame) -> pd.DataFrame:
    """Rows of a 与上年比较 frame for people: 领域, 指标, 本年, 上年, 较上年 (%), 趋势."""
    return pd.DataFrame(
        {
            "领域": comparison["area"],
            "指标": comparison["name"],
            "本年": comparison["value_text"],
            "上年": comparison["previous_text"],
            "较上年": comparison["change_pct"].astype("float64"),
            "趋势": comparison["verdict"].map(VERDICT_LABELS),
        }
    )


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


def progress_text(data: DashboardData) -> str:
    """One sentence on where the year stands and what 较上年 compares with."""
    year, today = data.year, data.today
    if data.share >= 1:
        return f"{year}年已结束：数值为全年合计，“较上年”与{year - 1}年全年比较。"
    if data.share <= 0:
        return f"{year}年尚未开始。"
    return (
        f"截至{chinese.day(today)}，{year}年已过{data.share * 100:.0f}%（时间进度）；"
        f"累计类指标低于时间进度即提示落后，“较上年”与{year - 1}年全年比较。"
    )

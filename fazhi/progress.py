"""报送进度: where each of a county's townships stands for a year — state, dates, the county's deadline,
records by area, indicator completion, publication — its totals (报送率, 按时报送率, 公开率), the stable
JSON of `python -m fazhi status --json`, and the bundle of every submitted report with 报送情况汇总表.xlsx.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from fazhi import compare, deadlines, publication, submissions
from fazhi.catalog import Catalog
from fazhi.db import Database
from fazhi.evidence import folder_name
from fazhi.permissions import User, require_view
from fazhi.spreadsheet import Table, write_xlsx
from fazhi.units import Unit, get_unit

SUMMARY_NAME = "报送情况汇总表.xlsx"


def county_for(db: Database, user: User, unit: Unit) -> Unit | None:
    """The 区县 a page works on for the sidebar's unit: the unit itself when it is a county, else the county
    above it when the user may see that county; None for users of a township or below."""
    ids = [int(part) for part in unit.path.strip("/").split("/") if part]
    for unit_id in reversed(ids):
        candidate = get_unit(db, unit_id)
        if candidate.level == "county":
            return candidate if candidate.path.startswith(user.unit_path) else None
    return None


@dataclass(frozen=True)
class Row:
    """One township's year as the county follows it."""

    unit: Unit
    state: str  # none / submitted / returned / approved
    submission: submissions.Submission | None
    decision: submissions.Decision | None  # the newest decision on the newest submission
    deadline: date | None
    days_left: int | None  # while the county waits for the township (未报送, 已退回); negative when overdue
    on_time: bool | None  # submitted by the deadline (None: no deadline or nothing submitted yet)
    records: int
    by_area: dict[str, int]
    completion: float | None
    publication: publication.Publication | None
    publication_state: str  # on_time / late / missing / pending
    figures: dict[str, str]  # indicator code -> value as written ('2536份'), for the key indicators

    @property
    def state_label(self) -> str:
        """未报送, 已报送, 已退回 or 已通过."""
        return submissions.state_label(self.state)

    def as_json(self) -> dict[str, Any]:
        """The stable keys of `status --json` (dates as ISO text, the state in Chinese words)."""
        pub = self.publication
        return {
            "unit": self.unit.name,
            "state": self.state_label,
            "round": self.submission.round if self.submission else 0,
            "submitted_at": self.submission.submitted_at.isoformat(timespec="seconds")
            if self.submission
            else None,
            "deadline": self.deadline.isoformat() if self.deadline else None,
            "days_left": self.days_left,
            "on_time": self.on_time,
            "comment": self.decision.comment if self.decision else None,
            "records": self.records,
            "completion": self.completion,
            "published_on": pub.published_on.isoformat() if pub else None,
            "published_url": pub.url if pub else None,
            "late": pub is not None and publication.is_late(pub.published_on, pub.year),
            "publication": publication.STATES[self.publication_state],
        }


def row_for(
    db: Database,
    user: User,
    catalog: Catalog,
    township: Unit,
    year: int,
    deadline: date | None,
    item: compare.Score,
    today: date,
) -> Row:
    """One township's row from its newest submission, the deadline and its comparison figures."""
    current = submissions.latest(db, user, township, year)
    state = current.state if current else "none"
    waiting = state in ("none", "returned")
    first = _first_submitted(db, township, year)
    on_time = None if deadline is None or first is None else first.date() <= deadline
    pub = publication.publication_of(db, township, year)
    return Row(
        unit=township,
        state=state,
        submission=current,
        decision=submissions.last_decision(db, current),
        deadline=deadline,
        days_left=deadlines.days_left(deadline, today) if waiting else None,
        on_time=on_time,
        records=item.records,
        by_area=item.by_area,
        completion=item.completion,
        publication=pub,
        publication_state=publication.state(pub, year, today),
        figures={
            code: text
            for code, text in zip(item.table["code"], item.table["value_text"], strict=True)
            if code in catalog.key_indicators
        },
    )


def _first_submitted(db: Database, township: Unit, year: int) -> datetime | None:
    """When the township first submitted the year (what 按时报送 is judged by)."""
    row = db.one(
        "SELECT min(submitted_at) FROM submissions WHERE unit_id = ? AND year = ?", [township.id, year]
    )
    return row[0] if row else None


def progress(
    db: Database,
    user: User,
    catalog: Catalog,
    county: Unit,
    year: int,
    *,
    today: date | None = None,
    scores: list[compare.Score] | None = None,
) -> list[Row]:
    """Every township of the county for the year, in the county's order (any role that may see the county);
    `scores` are the townships' `compare.scores` when already computed."""
    require_view(user, county)
    today = today or date.today()
    due = deadlines.deadline_for(db, county, year)
    found = scores if scores is not None else compare.scores(db, user, catalog, county, year, today=today)
    return [row_for(db, user, catalog, item.unit, year, due, item, today) for item in found]


@dataclass(frozen=True)
class Summary:
    """The county's totals for the year."""

    townships: int
    submitted: int  # 已报送 or 已通过 (a returned report is not counted until it comes back)
    approved: int
    returned: int
    on_time: int  # submitted for the first time by the deadline
    published: int
    published_late: int

    @staticmethod
    def _rate(part: int, whole: int) -> str:
        return f"{part / whole * 100:.1f}%" if whole else "—"

    @property
    def submission_rate(self) -> str:
        """报送率: '50.0%'."""
        return self._rate(self.submitted, self.townships)

    @property
    def on_time_rate(self) -> str:
        """按时报送率."""
        return self._rate(self.on_time, self.townships)

    @property
    def publication_rate(self) -> str:
        """公开率."""
        return self._rate(self.published, self.townships)


def summary(rows: list[Row]) -> Summary:
    """Totals over the rows."""
    return Summary(
        townships=len(rows),
        submitted=sum(r.state in ("submitted", "approved") for r in rows),
        approved=sum(r.state == "approved" for r in rows),
        returned=sum(r.state == "returned" for r in rows),
        on_time=sum(bool(r.on_time) for r in rows),
        published=sum(r.publication is not None for r in rows),
        published_late=sum(r.publication_state == "late" for r in rows),
    )


def display(catalog: Catalog, rows: list[Row], year: int) -> list[dict[str, Any]]:
    """The 报送进度 table for people: one dict per township with Chinese headers."""
    areas = catalog.outline_for(year).areas
    shown = []
    for row in rows:
        submitted = row.submission.submitted_at if row.submission and row.state != "returned" else None
        waiting = deadlines.describe(row.days_left)
        item: dict[str, Any] = {
            "乡镇（街道）": row.unit.name,
            "状态": row.state_label
            + (f"（第{row.submission.round}次）" if row.submission and row.submission.round > 1 else ""),
            "报送时间": f"{submitted:%Y-%m-%d %H:%M}" if submitted else "",
            "截止日期": row.deadline.isoformat() if row.deadline else "未设置",
            "剩余天数": waiting
            or ("按时报送" if row.on_time else "逾期报送" if row.on_time is False else ""),
            "记录数": row.records,
        }
        for area in areas:
            item[area.short] = row.by_area.get(area.code, 0)
        item["指标完成率"] = "—" if row.completion is None else f"{row.completion:.1f}%"
        item["公开日期"] = row.publication.published_on.isoformat() if row.publication else ""
        item["公开情况"] = publication.STATES[row.publication_state]
        item["公开网址"] = row.publication.url if row.publication else ""
        shown.append(item)
    return shown


# ───────────── 报送情况汇总表 and the bundle of reports ─────────────


def summary_table(catalog: Catalog, rows: list[Row], year: int) -> Table:
    """报送情况汇总表: state, dates, publication and key figures per township (xlsx, formulas neutralised)."""
    codes = catalog.key_indicators
    names = [catalog.indicator(code).name for code in codes]
    header = [
        "序号", "乡镇（街道）", "状态", "报送次数", "报送时间", "截止日期", "按时报送", "审核意见", "记录数",
        "指标完成率", "公开日期", "公开情况", "公开网址", *names,
    ]  # fmt: skip
    body = []
    for number, row in enumerate(rows, 1):
        figures = [row.figures.get(code, "") for code in codes]
        body.append(
            (
                number + 1,
                [
                    number,
                    row.unit.name,
                    row.state_label,
                    row.submission.round if row.submission else 0,
                    row.submission.submitted_at if row.submission else None,
                    row.deadline,
                    "" if row.on_time is None else ("是" if row.on_time else "否"),
                    row.decision.comment if row.decision else "",
                    row.records,
                    "" if row.completion is None else f"{row.completion:.1f}%",
                    row.publication.published_on if row.publication else None,
                    publication.STATES[row.publication_state],
                    row.publication.url if row.publication else "",
                    *figures,
                ],
            )
        )
    return Table(f"{year}年报送情况", header, body)


def bundle(
    db: Database, user: User, catalog: Catalog, county: Unit, year: int, *, today: date | None = None
) -> tuple[str, bytes, int]:
    """(file name, zip bytes, number of reports): the newest submitted (已报送 or 已通过) report of every
    township as frozen, and 报送情况汇总表.xlsx covering every township."""
    rows = progress(db, user, catalog, county, year, today=today)
    out = io.BytesIO()
    reports = 0
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(SUMMARY_NAME, write_xlsx([summary_table(catalog, rows, year)]))
        for number, row in enumerate(rows, 1):
            if row.submission is None or row.state not in ("submitted", "approved"):
                continue
            submission, data = submissions.frozen_docx(db, user, row.submission.id)
            name = folder_name(
                f"{number:02d} {submission.unit_name}{year}年法治政府建设情况报告（{row.state_label}）"
            )
            archive.writestr(f"{name}.docx", data)
            reports += 1
    return folder_name(f"{county.name}{year}年乡镇（街道）年度报告") + ".zip", out.getvalue(), reports

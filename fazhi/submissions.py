"""报送 and 审核: a township submits its year to the county, the county approves it or returns it.

The states of a unit-year (labels.SUBMISSION_STATES) and the steps between them::

    未报送 ──submit──▶ 已报送 ──approve──▶ 已通过
                        │  ▲                  │
                 return │  │ submit           │ return (reopen, with a comment)
                        ▼  │                  │
                       已退回 ◀────────────────┘

Every submission is a row of its own (round 1, 2, … after each return) holding what was frozen at that
moment: the generated .docx, the indicator table as JSON text, the evidence index, the record count and the
checksums (sha256 of the docx, of the indicator JSON and of the canonical records, fazhi/year_content.py).
Nothing of it is ever rewritten; only `state` changes, by a conditional UPDATE inside the transaction
(`… WHERE id = ? AND state = ?`), so of two reviewers acting at once one wins and the other is told who
decided first. Each decision is a row of its own too (`submission_decisions`), with its comment.

The year becomes read-only through the existing lock (fazhi/locks.py), so every write path refuses it
already: submitting sets (or takes over) the township's own lock with `workflow = 'submitted'`; returning
lifts it; approving turns it into a lock set by the reviewing level (`workflow = 'approved'`), which the
township can no longer lift. 解除封账 never lifts a workflow lock.

Who may act: only an administrator of the township itself submits (or the command line); only an
administrator of a unit above it reviews. An installation whose top unit is the township (a 乡镇 running
its own copy) has nobody above: there its own administrator records the county's decision, made on the
county's installation, so the year can be opened again after a return.

Over 400 lines because the state machine, its permissions, the frozen snapshot and what each office is
shown of it (status, notes, decisions) are one contract; split apart, a rule would live far from its check.
"""

from __future__ import annotations

import io
import json
import math
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from fazhi import archives, audit, locks
from fazhi.catalog import Catalog
from fazhi.db import Cursor, Database, single
from fazhi.errors import InvalidInput, NotFound, PermissionDenied, Problem, ReviewConflict, SubmissionError
from fazhi.indicators import indicator_table
from fazhi.labels import SUBMISSION_STATES
from fazhi.permissions import User, require_view
from fazhi.report import frozen
from fazhi.report.generate import generate
from fazhi.text import clean_text
from fazhi.units import Unit, children, get_unit
from fazhi.year_content import canonical, evidence, fingerprint, number, records, sha256

COMMENT_MAX = 2000
ACTIONS = {"approve": "通过", "return": "退回"}
# What a reviewer may act on, and the state a decision leads to.
_FROM = {"approve": ("submitted",), "return": ("submitted", "approved")}
_TO = {"approve": "approved", "return": "returned"}
# The columns of the indicator table a submission freezes.
INDICATOR_COLUMNS = (
    "code",
    "name",
    "unit",
    "area",
    "value",
    "value_text",
    "target",
    "target_text",
    "completion",
    "status",
    "previous_text",
    "records",
)


def state_label(state: str) -> str:
    """未报送, 已报送, 已退回 or 已通过."""
    return SUBMISSION_STATES[state]


@dataclass(frozen=True)
class Submission:
    """One submission of a unit-year as frozen at that moment, and its current state."""

    id: int
    unit_id: int
    unit_name: str
    year: int
    round: int
    state: str
    submitted_by: str
    submitted_at: datetime
    record_count: int
    records_sha256: str
    docx_sha256: str
    indicators_sha256: str
    source: str
    package_sha256: str | None

    @property
    def state_label(self) -> str:
        """已报送, 已退回 or 已通过."""
        return state_label(self.state)

    @property
    def filename(self) -> str:
        """'燕山乡2020年法治政府建设情况报告（第1次报送）.docx'."""
        return f"{self.unit_name}{self.year}年法治政府建设情况报告（第{self.round}次报送）.docx"


@dataclass(frozen=True)
class Decision:
    """One review decision: 通过 or 退回, the comment, who (and from which unit) and when."""

    id: int
    submission_id: int
    action: str
    comment: str
    decided_by: str
    decided_unit: str
    decided_at: datetime

    @property
    def action_label(self) -> str:
        """通过 or 退回."""
        return ACTIONS[self.action]

    def sentence(self) -> str:
        """'万州区（admin）于2021年1月20日退回：意见' — for pages and the sidebar."""
        who = f"{self.decided_unit}（{self.decided_by}）" if self.decided_unit else self.decided_by
        said = f"：{self.comment}" if self.comment else ""
        return f"{who}于{self.decided_at:%Y年%m月%d日 %H:%M}{self.action_label}{said}"


_COLUMNS = (
    "s.id, s.unit_id, u.name, s.year, s.round, s.state, s.submitted_by, s.submitted_at, s.record_count,"
    " s.records_sha256, s.docx_sha256, s.indicators_sha256, s.source, s.package_sha256"
)
_FROM_SQL = f"SELECT {_COLUMNS} FROM submissions s JOIN units u ON u.id = s.unit_id"
_DECISION_SQL = (
    "SELECT d.id, d.submission_id, d.action, d.comment, d.decided_by, coalesce(u.name, ''), d.decided_at"
    " FROM submission_decisions d LEFT JOIN units u ON u.id = d.decided_unit_id"
)


def _submission(row: tuple) -> Submission:
    return Submission(*row)


def latest_row(cur: Cursor, unit_id: int, year: int) -> Submission | None:
    """The newest submission of a unit-year, read through the caller's cursor (no permission check)."""
    row = cur.execute(
        f"{_FROM_SQL} WHERE s.unit_id = ? AND s.year = ? ORDER BY s.round DESC LIMIT 1", [unit_id, year]
    ).fetchone()
    return _submission(row) if row else None


def latest(db: Database, user: User, unit: Unit, year: int) -> Submission | None:
    """The newest submission of the unit-year, if the user may see the unit; None before the first."""
    require_view(user, unit)
    with db.cursor() as cur:
        return latest_row(cur, unit.id, year)


def state_of(db: Database, user: User, unit: Unit, year: int) -> str:
    """'none', 'submitted', 'returned' or 'approved'."""
    current = latest(db, user, unit, year)
    return current.state if current else "none"


def decisions(db: Database, submission_ids: list[int]) -> dict[int, list[Decision]]:
    """The decisions on each of these submissions, oldest first (no permission check: callers list them)."""
    if not submission_ids:
        return {}
    found: dict[int, list[Decision]] = {}
    for row in db.rows(
        f"{_DECISION_SQL} WHERE list_contains(?, d.submission_id) ORDER BY d.id", [list(submission_ids)]
    ):
        found.setdefault(int(row[1]), []).append(Decision(*row))
    return found


def last_decision(db: Database, submission: Submission | None) -> Decision | None:
    """The newest decision on this submission, or None."""
    if submission is None:
        return None
    made = decisions(db, [submission.id]).get(submission.id, [])
    return made[-1] if made else None


def history(db: Database, user: User, unit: Unit, year: int) -> list[tuple[Submission, list[Decision]]]:
    """Every submission of the unit-year, newest first, each with its decisions."""
    require_view(user, unit)
    rows = [
        _submission(row)
        for row in db.rows(
            f"{_FROM_SQL} WHERE s.unit_id = ? AND s.year = ? ORDER BY s.round DESC", [unit.id, year]
        )
    ]
    made = decisions(db, [s.id for s in rows])
    return [(s, made.get(s.id, [])) for s in rows]


def get_submission(db: Database, user: User, submission_id: int) -> Submission:
    """One submission, if the user may see its unit; NotFound otherwise."""
    row = db.one(f"{_FROM_SQL} WHERE s.id = ?", [submission_id])
    if row is None:
        raise NotFound(f"找不到编号为 {submission_id} 的报送记录。")
    submission = _submission(row)
    require_view(user, get_unit(db, submission.unit_id))
    return submission


# ───────────── who may act ─────────────


def may_submit(user: User, unit: Unit) -> bool:
    """True for an administrator of this very township (and the command line)."""
    return unit.level == "township" and user.is_admin and (user.is_system or user.unit_id == unit.id)


def may_review(user: User, unit: Unit) -> bool:
    """True for an administrator of a unit above this township (and the command line); on an installation
    whose top unit is the township, for its own administrator (who records the county's decision)."""
    if unit.level != "township" or not user.is_admin or not unit.path.startswith(user.unit_path):
        return False
    return user.is_system or user.unit_path != unit.path or unit.parent_id is None


def _require_submit(user: User, unit: Unit) -> None:
    if unit.level != "township":
        raise SubmissionError(f"只有乡镇（街道）向上级报送年度报告，“{unit.name}”不是乡镇（街道）。")
    if not may_submit(user, unit):
        raise PermissionDenied(f"只有{unit.name}的管理员可以报送{unit.name}的年度报告。")


def _require_review(user: User, unit: Unit) -> None:
    if unit.level != "township":
        raise SubmissionError(f"“{unit.name}”不是乡镇（街道），没有要审核的报告。")
    if not may_review(user, unit):
        raise PermissionDenied(f"只有{unit.name}的上级单位的管理员可以审核{unit.name}的年度报告。")


def _check_year(year: int) -> None:
    if not locks.FIRST_YEAR <= year <= locks.LAST_YEAR:
        raise InvalidInput([Problem("year", f"年度应在{locks.FIRST_YEAR}到{locks.LAST_YEAR}年之间。")])


# ───────────── 报送 ─────────────


@dataclass(frozen=True)
class Snapshot:
    """What a submission freezes: the report, the indicator table (JSON text), the evidence index (JSON
    text), the record count, the checksum of the canonical records and of everything a report is made of."""

    docx: bytes
    indicators: str
    evidence: str
    record_count: int
    records_sha256: str
    fingerprint: str


def _json_value(value: Any) -> Any:
    if hasattr(value, "item"):  # numpy scalars
        value = value.item()
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, float | int):
        return None if math.isnan(float(value)) else number(value)
    return str(value)


def indicator_json(table: Any) -> str:
    """The indicator table (an `indicators.indicator_table` frame) as canonical JSON text."""
    rows = [
        {column: _json_value(row[column]) for column in INDICATOR_COLUMNS} for row in table.to_dict("records")
    ]
    return canonical(rows).decode("utf-8")


def take_snapshot(
    db: Database,
    user: User,
    catalog: Catalog,
    unit: Unit,
    year: int,
    *,
    charts: bool = True,
    today: date | None = None,
) -> Snapshot:
    """Generate the year's report and freeze it with the indicator table, the evidence index and checksums
    (StaleFigures from the report engine when saved text quotes figures that have changed)."""
    with db.cursor() as cur:
        before = fingerprint(cur, unit, year)
    report = generate(db, user, catalog, unit, year, charts=charts, today=today)
    table = indicator_table(db, user, catalog, unit, year, today=today)
    with db.cursor() as cur:
        listed, ids = records(cur, unit, year)
        index = evidence(cur, ids)
        after = fingerprint(cur, unit, year)
    if before != after:
        raise SubmissionError("生成报告期间台账或报告文字有改动，未报送。请再点一次“报送”。")
    return Snapshot(
        docx=report.docx,
        indicators=indicator_json(table),
        evidence=canonical(index).decode("utf-8"),
        record_count=len(listed),
        records_sha256=sha256(canonical(listed)),
        fingerprint=after,
    )


def insert_submission(
    cur: Cursor,
    unit: Unit,
    year: int,
    *,
    submitted_by: str,
    submitted_at: datetime,
    docx: bytes,
    indicators: str,
    evidence_index: str,
    record_count: int,
    records_sha256: str,
    source: str = "online",
    package_sha256: str | None = None,
) -> Submission:
    """Store a new round of the unit-year in state 已报送 inside the caller's transaction (callers check)."""
    previous = latest_row(cur, unit.id, year)
    number = (previous.round if previous else 0) + 1
    cur.execute(
        "INSERT INTO submissions (unit_id, year, round, state, submitted_by, submitted_at, record_count,"
        " records_sha256, docx, docx_sha256, indicators, indicators_sha256, evidence, source, package_sha256)"
        " VALUES (?, ?, ?, 'submitted', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            unit.id,
            year,
            number,
            submitted_by,
            submitted_at,
            record_count,
            records_sha256,
            docx,
            sha256(docx),
            indicators,
            sha256(indicators.encode("utf-8")),
            evidence_index,
            source,
            package_sha256,
        ],
    )
    made = latest_row(cur, unit.id, year)
    assert made is not None and made.round == number
    return made


def refuse_unless_open(cur: Cursor, unit: Unit, year: int, current: Submission | None) -> None:
    """SubmissionError unless the unit-year may be submitted now: nothing pending or approved, and no lock
    set from above (an ordinary 封账 of the unit's own is taken over by the submission)."""
    if current is not None and current.state == "submitted":
        raise SubmissionError(
            f"{unit.name}{year}年的年度报告已于{current.submitted_at:%Y年%m月%d日 %H:%M}报送（第{current.round}次），"
            "正在等待上级审核，不能重复报送。"
        )
    if current is not None and current.state == "approved":
        raise SubmissionError(
            f"{unit.name}{year}年的年度报告已通过审核，不能再报送；如需修改，请联系上级单位退回。"
        )
    above = locks.lock_holding(cur, unit, year, above_only=True)
    if above:
        raise SubmissionError(f"{above[0]}{year}年已封账，{unit.name}不能再报送该年度的报告。")
    own = cur.execute(
        "SELECT l.set_by_unit_id FROM year_locks l WHERE l.unit_id = ? AND l.year = ?", [unit.id, year]
    ).fetchone()
    if own is not None and own[0] not in (None, unit.id):
        setter = get_unit(cur, int(own[0]))
        raise SubmissionError(
            f"{unit.name}{year}年已由“{setter.name}”封账，不能再报送；如需报送，请联系“{setter.name}”解除封账。"
        )


def submit(
    db: Database,
    user: User,
    catalog: Catalog,
    unit: Unit,
    year: int,
    *,
    charts: bool = True,
    today: date | None = None,
) -> Submission:
    """Submit the township's year: freeze the report, the indicator table and the record count with their
    checksums, and make the year read-only until it is returned. Audited."""
    _require_submit(user, unit)
    _check_year(year)
    with db.cursor() as cur:
        refuse_unless_open(cur, unit, year, latest_row(cur, unit.id, year))
    captured = frozen.capture(db, unit)
    snap = take_snapshot(db, user, catalog, unit, year, charts=charts, today=today)
    with db.transaction() as cur:
        refuse_unless_open(cur, unit, year, latest_row(cur, unit.id, year))
        if fingerprint(cur, unit, year) != snap.fingerprint:
            raise SubmissionError("生成报告期间台账或报告文字有改动，未报送。请再点一次“报送”。")
        made = insert_submission(
            cur,
            unit,
            year,
            submitted_by=user.username,
            submitted_at=datetime.now(),
            docx=snap.docx,
            indicators=snap.indicators,
            evidence_index=snap.evidence,
            record_count=snap.record_count,
            records_sha256=snap.records_sha256,
        )
        locks.hold(
            cur,
            unit,
            year,
            workflow="submitted",
            locked_by=user.username,
            set_by_unit_id=unit.id,
            frozen=captured,
        )
        audit.log(cur, user, "submit", "submission", made.id, unit.id, None, _audit_view(made))
    return made


def _audit_view(submission: Submission, comment: str | None = None) -> dict[str, Any]:
    view: dict[str, Any] = {
        "unit": submission.unit_name,
        "year": submission.year,
        "round": submission.round,
        "state": submission.state_label,
        "record_count": submission.record_count,
        "docx_sha256": submission.docx_sha256,
        "indicators_sha256": submission.indicators_sha256,
    }
    if comment is not None:
        view["comment"] = comment
    return view


# ───────────── 审核 ─────────────


def review(
    db: Database,
    user: User,
    unit: Unit,
    year: int,
    action: str,
    comment: str = "",
    *,
    submission_id: int | None = None,
    expected_state: str | None = None,
) -> Decision:
    """通过 ('approve') or 退回 ('return', with a comment) the unit-year's newest submission; audited.

    `submission_id` and `expected_state` are what the reviewer saw (default: the newest submission, 已报送;
    pass 'approved' to return an approved report); when someone else decided first, ReviewConflict names who and what, and
    nothing changes. Approving locks the year at the reviewer's level; returning opens it for the township.
    """
    if action not in ACTIONS:
        raise InvalidInput([Problem("action", "审核只能“通过”或“退回”。")])
    _require_review(user, unit)
    text, _ = clean_text(comment)
    text = text.strip()
    if action == "return" and not text:
        raise InvalidInput([Problem("comment", "退回时请写明意见，乡镇会在报告页面看到它。")])
    if len(text) > COMMENT_MAX:
        raise InvalidInput([Problem("comment", f"意见不能超过{COMMENT_MAX}个字（现有{len(text)}个）。")])
    with db.transaction() as cur:
        current = latest_row(cur, unit.id, year)
        if current is None:
            raise SubmissionError(f"{unit.name}{year}年还没有报送年度报告，没有可审核的内容。")
        wanted = expected_state or "submitted"
        if wanted not in _FROM[action]:
            raise SubmissionError(f"{unit.name}{year}年的报告{state_label(wanted)}，不能{ACTIONS[action]}。")
        target = submission_id if submission_id is not None else current.id
        if action == "return" and locks.lock_holding(cur, unit, year, above_only=True):
            above = locks.lock_holding(cur, unit, year, above_only=True)
            raise SubmissionError(
                f"{above[0]}{year}年已封账，退回后{unit.name}也无法修改；请先解除{above[0]}{year}年的封账。"  # type: ignore[index]
            )
        changed = cur.execute(
            "UPDATE submissions SET state = ? WHERE id = ? AND unit_id = ? AND year = ? AND state = ? RETURNING id",
            [_TO[action], target, unit.id, year, wanted],
        ).fetchall()
        if not changed:
            raise ReviewConflict(_conflict_message(cur, unit, year, current))
        now = datetime.now()
        decided_unit = user.unit_id if not user.is_system else None
        decision_id = single(
            cur,
            "INSERT INTO submission_decisions (submission_id, action, comment, decided_by, decided_unit_id,"
            " decided_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
            [target, action, text, user.username, decided_unit, now],
        )[0]
        if action == "approve":
            level = user.unit_id if not user.is_system else (unit.parent_id or unit.id)
            locks.hold(cur, unit, year, workflow="approved", locked_by=user.username, set_by_unit_id=level)
        else:
            locks.release(cur, unit, year)
        audit.log(
            cur,
            user,
            action,
            "submission",
            target,
            unit.id,
            {"unit": unit.name, "year": year, "state": state_label(wanted)},
            {"unit": unit.name, "year": year, "state": state_label(_TO[action]), "comment": text},
        )
    unit_name = get_unit(db, decided_unit).name if decided_unit is not None else ""
    return Decision(int(decision_id), int(target), action, text, user.username, unit_name, now)


def _conflict_message(cur: Cursor, unit: Unit, year: int, current: Submission) -> str:
    """Who got there first, in words."""
    row = cur.execute(
        f"{_DECISION_SQL} WHERE d.submission_id = ? ORDER BY d.id DESC LIMIT 1", [current.id]
    ).fetchone()
    if current.state == "submitted" or row is None:
        return (
            f"{unit.name}{year}年的报告已于{current.submitted_at:%Y年%m月%d日 %H:%M}重新报送（第{current.round}次），"
            "您的操作未执行。请查看新报送的报告后再审核。"
        )
    return f"{unit.name}{year}年的报告已由{Decision(*row).sentence()}，您的操作未执行。"


# ───────────── the frozen report ─────────────


def frozen_docx(db: Database, user: User, submission_id: int) -> tuple[Submission, bytes]:
    """The submission's .docx as frozen, checked against its checksum (SubmissionError if it differs)."""
    submission = get_submission(db, user, submission_id)
    row = db.one("SELECT docx FROM submissions WHERE id = ?", [submission_id])
    data = bytes(row[0]) if row else b""
    if sha256(data) != submission.docx_sha256:
        raise SubmissionError(
            f"第{submission.round}次报送的报告与报送时的校验值不一致（可能已损坏），请从备份恢复。"
        )
    return submission, data


def frozen_indicators(db: Database, user: User, submission_id: int) -> list[dict[str, Any]]:
    """The indicator table as frozen at submission, checked against its checksum."""
    submission = get_submission(db, user, submission_id)
    row = db.one("SELECT indicators FROM submissions WHERE id = ?", [submission_id])
    text = row[0] if row else ""
    if sha256(text.encode("utf-8")) != submission.indicators_sha256:
        raise SubmissionError(f"第{submission.round}次报送的指标表与报送时的校验值不一致（可能已损坏）。")
    return json.loads(text)


def frozen_evidence(db: Database, user: User, submission_id: int) -> list[dict[str, Any]]:
    """The evidence index frozen at submission: record position, file name, size, sha256."""
    get_submission(db, user, submission_id)
    row = db.one("SELECT evidence FROM submissions WHERE id = ?", [submission_id])
    return json.loads(row[0]) if row else []


def preview_text(docx: bytes) -> str:
    """The report's paragraphs as plain text (the .docx is checked as an Office archive before reading)."""
    from docx import Document  # python-docx loads only when a reviewer previews a frozen report

    archive = archives.opened(docx, archives.OFFICE, "报送的报告", lambda message: SubmissionError(message))
    archive.close()
    document = Document(io.BytesIO(docx))
    return "\n".join(paragraph.text for paragraph in document.paragraphs)


# ───────────── what a township sees ─────────────


def notes_for(db: Database, user: User, units: list[Unit]) -> list[tuple[str, str]]:
    """(kind, sentence) for the sidebar: 'returned' for each of these townships' years returned and not yet
    resubmitted, with the comment; 'pending' for a reviewer's years waiting for review."""
    townships = [u for u in units if u.level == "township"]
    if not townships:
        return []
    rows = db.rows(
        f"{_FROM_SQL} WHERE list_contains(?, s.unit_id) AND s.round = (SELECT max(t.round) FROM submissions t"
        " WHERE t.unit_id = s.unit_id AND t.year = s.year) ORDER BY s.year DESC, u.path",
        [[u.id for u in townships]],
    )
    current = [_submission(row) for row in rows]
    made = decisions(db, [s.id for s in current if s.state == "returned"])
    by_id = {u.id: u for u in townships}
    notes = []
    for item in current:
        unit = by_id[item.unit_id]
        if item.state == "returned" and made.get(item.id):
            notes.append(
                (
                    "returned",
                    f"{item.unit_name}{item.year}年的年度报告已被退回：{made[item.id][-1].sentence()}",
                )
            )
        elif item.state == "submitted" and may_review(user, unit) and user.unit_id != unit.id:
            notes.append(("pending", f"{item.unit_name}{item.year}年的年度报告已报送，等待审核。"))
    return notes[:8]


@dataclass(frozen=True)
class TownshipStatus:
    """What 年度报告 shows a township about its year: the state in words, the last decision, what the user
    may do now (submit, download the 报送包, record the publication), and hints."""

    state: str
    headline: str
    decision: Decision | None
    current: Submission | None
    can_submit: bool
    can_package: bool
    needs_county_name: bool
    can_publish: bool
    hints: tuple[str, ...]


def township_status(db: Database, user: User, unit: Unit, year: int) -> TownshipStatus | None:
    """The submission panel's content for a township-year; None for other units."""
    if unit.level != "township":
        return None
    current = latest(db, user, unit, year)
    state = current.state if current else "none"
    decision = last_decision(db, current)
    headline = state_label(state) + (f"（第{current.round}次报送）" if current else "")
    hints = []
    if state in ("none", "returned") and may_submit(user, unit):
        hints.append(
            "报送后，程序保存此刻的报告（Word）、指标表和记录数，该年度的记录、佐证材料、报告文字和目标值"
            "都不能再修改，直到上级退回。"
        )
    elif state in ("none", "returned") and not user.is_admin:
        hints.append(f"报送由{unit.name}的管理员进行。")
    if unit.parent_id is None and may_review(user, unit):
        hints.append(
            "本机没有上级单位：区县在其系统中审核后，请在“报送审核”页记下区县的决定（通过或退回及意见）。"
        )
    return TownshipStatus(
        state=state,
        headline=headline,
        decision=decision,
        current=current,
        can_submit=state in ("none", "returned") and may_submit(user, unit),
        can_package=state in ("submitted", "approved") and user.is_admin,
        needs_county_name=unit.parent_id is None,
        can_publish=state in ("submitted", "approved") and user.is_admin,
        hints=tuple(hints),
    )


def reviewable(db: Database, user: User, unit: Unit) -> list[Unit]:
    """The townships 报送审核 lists for the sidebar's unit: a county's townships (the county above a chosen
    township, when the user may see it), else the township itself."""
    ids = [int(part) for part in unit.path.strip("/").split("/") if part]
    for unit_id in reversed(ids):
        candidate = get_unit(db, unit_id)
        if candidate.level == "county" and candidate.path.startswith(user.unit_path):
            return [u for u in children(db, candidate) if u.level == "township"]
    return [unit] if unit.level == "township" else []

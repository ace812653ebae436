"""fazhi.submissions: 报送 → 审核 (通过 / 退回) as a state machine over the existing year locks."""

from __future__ import annotations

import io
import json
import threading
from datetime import date

import pytest
from docx import Document

from fazhi import auth, db, locks, narratives, records, submissions, units
from fazhi.catalog import Catalog
from fazhi.errors import (
    InvalidInput,
    PermissionDenied,
    ReviewConflict,
    SubmissionError,
    YearLocked,
)
from fazhi.report import options
from fazhi.report.context import build_context
from fazhi.units import find_unit
from fazhi.year_content import canonical, sha256
from fazhi.year_content import records as year_records
from tests.conftest import PASSWORD
from tests.test_locks import WRITES, _item


def _submit(
    database: db.Database, catalog: Catalog, user: auth.User, year: int = 2020
) -> submissions.Submission:
    return submissions.submit(database, user, catalog, find_unit(database, "燕山乡"), year, charts=False)


def test_submitting_freezes_the_report_the_indicators_and_the_count(
    demo: db.Database, catalog: Catalog, users: dict[str, auth.User]
) -> None:
    township = find_unit(demo, "燕山乡")
    made = _submit(demo, catalog, users["admin"])
    assert (made.unit_name, made.year, made.round, made.state, made.state_label) == (
        "燕山乡",
        2020,
        1,
        "submitted",
        "已报送",
    )
    assert (made.submitted_by, made.record_count, made.source) == (users["admin"].username, 55, "online")
    frozen, docx = submissions.frozen_docx(demo, users["county_admin"], made.id)
    assert sha256(docx) == made.docx_sha256 == frozen.docx_sha256
    paragraphs = [p.text for p in Document(io.BytesIO(docx)).paragraphs]
    assert paragraphs[0] == "燕山乡关于2020年法治政府建设情况的报告"
    table = submissions.frozen_indicators(demo, users["viewer"], made.id)
    assert len(table) == len(catalog.indicators)
    materials = next(row for row in table if row["code"] == "market_day_materials")
    assert (materials["value"], materials["value_text"], materials["status"]) == (2536, "2536份", "达标")
    stored = demo.one("SELECT indicators, records_sha256 FROM submissions WHERE id = ?", [made.id])
    assert sha256(stored[0].encode("utf-8")) == made.indicators_sha256
    with demo.cursor() as cur:
        listed, _ = year_records(cur, township, 2020)
    assert stored[1] == sha256(canonical(listed)) and len(listed) == 55
    assert made.filename == "燕山乡2020年法治政府建设情况报告（第1次报送）.docx"
    audit = demo.rows(
        "SELECT action, entity, entity_id, unit_id, after_json->>'state' FROM audit_log WHERE entity = 'submission'"
    )
    assert audit == [("submit", "submission", str(made.id), township.id, "已报送")]


def test_the_year_is_read_only_while_submitted(
    demo: db.Database, catalog: Catalog, users: dict[str, auth.User]
) -> None:
    township = find_unit(demo, "燕山乡")
    _submit(demo, catalog, users["admin"])
    today = date.today()
    assert locks.lock_state(demo, township, 2020) == (
        f"燕山乡2020年的年度报告已报送（{users['admin'].username}于{today:%Y年%m月%d日}），"
        "等待上级审核，该年度数据只能查看。"
    )
    with pytest.raises(YearLocked) as caught:
        records.add_record(demo, users["editor"], catalog, _item(township.id))
    assert str(caught.value) == (
        f"燕山乡2020年的年度报告已报送（{users['admin'].username}于{today:%Y年%m月%d日}），等待上级审核，"
        "不能再新增、修改或删除该年度的数据。如需修改，请联系上级单位退回报告。"
    )
    # the villages are covered, other years are not
    with pytest.raises(YearLocked):
        records.add_record(demo, users["village_editor"], catalog, _item(find_unit(demo, "示例一村").id))
    records.add_record(demo, users["editor"], catalog, _item(township.id, date(2021, 3, 1)))
    # 解除封账 cannot lift a submission's lock, neither for the township nor for the county
    assert not locks.may_unlock(demo, users["admin"], township, 2020)
    assert not locks.may_unlock(demo, users["county_admin"], township, 2020)
    for actor in (users["admin"], users["county_admin"]):
        with pytest.raises(PermissionDenied, match="这一封账由报送审核管理，不能在这里解除"):
            locks.unlock_year(demo, actor, township, 2020)
    assert locks.workflow_of(demo, township, 2020) == "submitted"


def test_submit_return_resubmit_approve(
    demo: db.Database, catalog: Catalog, users: dict[str, auth.User]
) -> None:
    township, county = find_unit(demo, "燕山乡"), find_unit(demo, "万州区")
    first = _submit(demo, catalog, users["admin"])
    with pytest.raises(SubmissionError, match="正在等待上级审核，不能重复报送。"):
        _submit(demo, catalog, users["admin"])
    returned = submissions.review(
        demo, users["county_admin"], township, 2020, "return", "  请补充典型案例。 "
    )
    assert (returned.action, returned.comment, returned.decided_unit) == (
        "return",
        "请补充典型案例。",
        "万州区",
    )
    assert returned.sentence().startswith(f"万州区（{users['county_admin'].username}）于")
    assert returned.sentence().endswith("退回：请补充典型案例。")
    assert submissions.state_of(demo, users["viewer"], township, 2020) == "returned"
    assert locks.lock_state(demo, township, 2020) is None
    status = submissions.township_status(demo, users["admin"], township, 2020)
    assert (status.state, status.headline, status.can_submit, status.decision) == (
        "returned",
        "已退回（第1次报送）",
        True,
        returned,
    )
    assert submissions.notes_for(demo, users["editor"], [township]) == [
        ("returned", f"燕山乡2020年的年度报告已被退回：{returned.sentence()}")
    ]
    # the township edits, then submits again: a new round; the first is kept as it was
    records.add_record(demo, users["editor"], catalog, _item(township.id))
    second = _submit(demo, catalog, users["admin"])
    assert (second.round, second.record_count, second.state) == (2, 56, "submitted")
    assert submissions.get_submission(demo, users["viewer"], first.id).state == "returned"
    assert (
        submissions.frozen_docx(demo, users["viewer"], first.id)[1]
        != submissions.frozen_docx(demo, users["viewer"], second.id)[1]
    )
    assert submissions.notes_for(
        demo, users["county_admin"], units.visible_units(demo, users["county_admin"])
    ) == [("pending", "燕山乡2020年的年度报告已报送，等待审核。")]
    approved = submissions.review(demo, users["county_admin"], township, 2020, "approve")
    assert (approved.action, approved.comment) == ("approve", "")
    assert submissions.state_of(demo, users["admin"], township, 2020) == "approved"
    # 通过 is 封账 by the county level: the township can no longer lift it
    assert locks.setter(demo, township, 2020) == ("万州区", county.path)
    assert locks.lock_state(demo, township, 2020).startswith("燕山乡2020年的年度报告已通过审核（")
    with pytest.raises(YearLocked, match="已通过审核"):
        records.add_record(demo, users["editor"], catalog, _item(township.id))
    with pytest.raises(SubmissionError, match="已通过审核，不能再报送"):
        _submit(demo, catalog, users["admin"])
    history = submissions.history(demo, users["viewer"], township, 2020)
    assert [(s.round, s.state, [d.action for d in ds]) for s, ds in history] == [
        (2, "approved", ["approve"]),
        (1, "returned", ["return"]),
    ]
    actions = demo.rows(
        "SELECT action, after_json->>'state' FROM audit_log WHERE entity = 'submission' ORDER BY id"
    )
    assert actions == [
        ("submit", "已报送"),
        ("return", "已退回"),
        ("submit", "已报送"),
        ("approve", "已通过"),
    ]


def test_an_approved_report_can_be_returned_with_a_comment(
    demo: db.Database, catalog: Catalog, users: dict[str, auth.User]
) -> None:
    township = find_unit(demo, "燕山乡")
    _submit(demo, catalog, users["admin"])
    submissions.review(demo, users["county_admin"], township, 2020, "approve")
    with pytest.raises(ReviewConflict, match="已由万州区（.*）于.*通过，您的操作未执行。"):
        submissions.review(demo, users["county_admin"], township, 2020, "return", "再改一处")  # saw 已报送
    submissions.review(
        demo, users["county_admin"], township, 2020, "return", "再改一处", expected_state="approved"
    )
    assert locks.lock_state(demo, township, 2020) is None
    records.add_record(demo, users["editor"], catalog, _item(township.id))


def test_a_return_needs_a_comment_and_a_pending_report(
    demo: db.Database, catalog: Catalog, users: dict[str, auth.User]
) -> None:
    township = find_unit(demo, "燕山乡")
    with pytest.raises(SubmissionError, match="燕山乡2020年还没有报送年度报告，没有可审核的内容。"):
        submissions.review(demo, users["county_admin"], township, 2020, "approve")
    _submit(demo, catalog, users["admin"])
    with pytest.raises(InvalidInput, match="退回时请写明意见，乡镇会在报告页面看到它。"):
        submissions.review(demo, users["county_admin"], township, 2020, "return", " \n ")
    with pytest.raises(InvalidInput, match="意见不能超过2000个字"):
        submissions.review(demo, users["county_admin"], township, 2020, "return", "改" * 2001)
    with pytest.raises(InvalidInput, match="审核只能“通过”或“退回”。"):
        submissions.review(demo, users["county_admin"], township, 2020, "delete")
    assert submissions.state_of(demo, users["viewer"], township, 2020) == "submitted"


def test_two_reviewers_at_once_one_wins_the_other_is_told(
    demo: db.Database, catalog: Catalog, users: dict[str, auth.User]
) -> None:
    township, county = find_unit(demo, "燕山乡"), find_unit(demo, "万州区")
    made = _submit(demo, catalog, users["admin"])
    second = auth.create_user(demo, auth.system_user(), "wz_second", PASSWORD, "admin", county.id, "李四")
    barrier, outcome = threading.Barrier(2), {}

    def act(name: str, reviewer: auth.User, action: str) -> None:
        barrier.wait()
        try:
            submissions.review(
                demo,
                reviewer,
                township,
                2020,
                action,
                "请修改",
                submission_id=made.id,
                expected_state="submitted",
            )
            outcome[name] = "won"
        except ReviewConflict as error:
            outcome[name] = str(error)

    threads = [
        threading.Thread(target=act, args=("甲", users["county_admin"], "approve")),
        threading.Thread(target=act, args=("乙", second, "return")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcome.values()).count("won") == 1
    winner = next(name for name, value in outcome.items() if value == "won")
    loser_message = outcome["乙" if winner == "甲" else "甲"]
    winner_user = users["county_admin"] if winner == "甲" else second
    word = "通过" if winner == "甲" else "退回：请修改"
    assert loser_message.startswith(f"燕山乡2020年的报告已由万州区（{winner_user.username}）于")
    assert loser_message.endswith(f"{word}，您的操作未执行。")
    assert demo.one("SELECT count(*) FROM submission_decisions") == (1,)
    assert demo.one("SELECT count(*) FROM audit_log WHERE entity = 'submission' AND action <> 'submit'") == (
        1,
    )


def test_every_write_path_is_refused_while_submitted_and_approved_and_allowed_after_a_return(
    demo: db.Database, catalog: Catalog, users: dict[str, auth.User]
) -> None:
    """tests/test_locks.py's write paths, each tried while 已报送, while 已通过, and after 退回."""
    from fazhi import attachments
    from tests import evidence_files

    township, village = find_unit(demo, "燕山乡"), find_unit(demo, "示例一村")
    admin = users["admin"]
    ids = {"village": village.id, "township": township.id}

    def prepare() -> None:
        ids["live"] = records.add_record(demo, admin, catalog, _item(village.id)).id
        ids["gone"] = records.add_record(demo, admin, catalog, _item(village.id)).id
        records.delete_record(demo, admin, catalog, ids["gone"])
        ids["spare"] = records.add_record(demo, admin, catalog, _item(village.id, date(2021, 5, 1))).id
        added = attachments.add_files(
            demo, admin, catalog, ids["live"], [("签到表.pdf", evidence_files.pdf())]
        )
        ids["file"] = added.added[0].id
        narratives.reset_text(demo, admin, township, 2020, "opening")
        narratives.save_text(demo, admin, township, 2020, "opening", "开头", expected=None)

    prepare()
    for state, phrase in (("submitted", "已报送"), ("approved", "已通过审核")):
        if state == "submitted":
            _submit(demo, catalog, admin)
        else:
            submissions.review(demo, users["county_admin"], township, 2020, "approve")
        for write in WRITES.values():
            for actor in (admin, users["county_admin"], auth.system_user()):
                with pytest.raises(YearLocked, match=f"燕山乡2020年的年度报告{phrase}"):
                    write(demo, catalog, actor, ids)
    submissions.review(
        demo, users["county_admin"], township, 2020, "return", "请修改", expected_state="approved"
    )
    for write in WRITES.values():
        write(demo, catalog, admin, ids)  # each is allowed again (on fresh records: some paths use them up)
        prepare()


def test_a_submitted_years_report_keeps_its_settings(
    demo: db.Database, catalog: Catalog, users: dict[str, auth.User]
) -> None:
    """Report settings are not per year: the submission's lock freezes them like 封账 does."""
    township = find_unit(demo, "燕山乡")
    options.save_options(demo, users["admin"], township, recipient="区委、区政府：")
    _submit(demo, catalog, users["admin"])
    options.save_options(demo, users["admin"], township, recipient="区委办公室：")
    assert build_context(demo, users["admin"], catalog, township, 2020)["recipient"] == "区委、区政府："
    assert build_context(demo, users["admin"], catalog, township, 2021)["recipient"] == "区委办公室："


def test_a_change_while_the_report_is_generated_stops_the_submission(
    demo: db.Database, catalog: Catalog, users: dict[str, auth.User], monkeypatch: pytest.MonkeyPatch
) -> None:
    township = find_unit(demo, "燕山乡")
    original = submissions.generate

    def slow_generate(*args, **kwargs):
        records.add_record(demo, users["editor"], catalog, _item(township.id))  # someone saves meanwhile
        return original(*args, **kwargs)

    monkeypatch.setattr(submissions, "generate", slow_generate)
    with pytest.raises(SubmissionError, match="生成报告期间台账或报告文字有改动，未报送。请再点一次“报送”。"):
        _submit(demo, catalog, users["admin"])
    assert demo.one("SELECT count(*) FROM submissions") == (0,)
    assert locks.lock_state(demo, township, 2020) is None


def test_locks_set_above_or_by_the_county_stop_a_submission(
    demo: db.Database, catalog: Catalog, users: dict[str, auth.User]
) -> None:
    township, county = find_unit(demo, "燕山乡"), find_unit(demo, "万州区")
    locks.lock_year(demo, users["county_admin"], county, 2020)
    with pytest.raises(SubmissionError, match="万州区2020年已封账，燕山乡不能再报送该年度的报告。"):
        _submit(demo, catalog, users["admin"])
    locks.unlock_year(demo, users["county_admin"], county, 2020)
    locks.lock_year(demo, users["county_admin"], township, 2020)
    with pytest.raises(SubmissionError, match="燕山乡2020年已由“万州区”封账，不能再报送"):
        _submit(demo, catalog, users["admin"])
    locks.unlock_year(demo, users["county_admin"], township, 2020)
    # the township's own 封账 is taken over by the submission (and lifted by a return)
    locks.lock_year(demo, users["admin"], township, 2020)
    _submit(demo, catalog, users["admin"])
    assert locks.workflow_of(demo, township, 2020) == "submitted"
    assert demo.one("SELECT count(*) FROM year_locks WHERE year = 2020") == (1,)
    # with the county's whole year locked, a return would open nothing: refused
    locks.lock_year(demo, users["county_admin"], county, 2020)
    with pytest.raises(SubmissionError, match="请先解除万州区2020年的封账"):
        submissions.review(demo, users["county_admin"], township, 2020, "return", "改")


def test_a_damaged_frozen_report_is_noticed(
    demo: db.Database, catalog: Catalog, users: dict[str, auth.User]
) -> None:
    made = _submit(demo, catalog, users["admin"])
    with demo.transaction() as cur:
        cur.execute("UPDATE submissions SET docx = ? WHERE id = ?", [b"PK broken", made.id])
        cur.execute("UPDATE submissions SET indicators = '[]' WHERE id = ?", [made.id])
    with pytest.raises(SubmissionError, match="第1次报送的报告与报送时的校验值不一致"):
        submissions.frozen_docx(demo, users["county_admin"], made.id)
    with pytest.raises(SubmissionError, match="第1次报送的指标表与报送时的校验值不一致"):
        submissions.frozen_indicators(demo, users["county_admin"], made.id)


def test_an_installation_of_the_township_alone_records_the_countys_decision(
    tmp_path, catalog: Catalog
) -> None:
    """A 乡镇 running its own copy has nobody above: its administrator notes the county's 通过 or 退回."""
    from fazhi import sample

    database = db.connect(tmp_path / "township.duckdb")
    try:
        admin = auth.create_first_admin(database, "ys_admin", PASSWORD, "王五", "燕山乡", "township")
        sample.load_demo(database, catalog)
        township = find_unit(database, "燕山乡")
        editor = auth.create_user(database, admin, "ys_editor", PASSWORD, "editor", township.id)
        assert submissions.may_submit(admin, township) and submissions.may_review(admin, township)
        assert not submissions.may_review(editor, township)
        _submit(database, catalog, admin)
        status = submissions.township_status(database, admin, township, 2020)
        assert status.hints[-1].startswith("本机没有上级单位：区县在其系统中审核后")
        assert status.needs_county_name
        submissions.review(database, admin, township, 2020, "return", "区县电话通知：请补充典型案例")
        records.add_record(database, editor, catalog, _item(township.id))
        _submit(database, catalog, admin)
        submissions.review(database, admin, township, 2020, "approve")
        assert locks.setter(database, township, 2020)[0] == "燕山乡"
        with pytest.raises(YearLocked):
            records.add_record(database, editor, catalog, _item(township.id))
    finally:
        database.close()


def test_the_report_preview_reads_the_frozen_docx_after_checking_it(
    demo: db.Database, catalog: Catalog, users: dict[str, auth.User]
) -> None:
    made = _submit(demo, catalog, users["admin"])
    _, docx = submissions.frozen_docx(demo, users["viewer"], made.id)
    text = submissions.preview_text(docx)
    assert text.splitlines()[0] == "燕山乡关于2020年法治政府建设情况的报告"
    assert "发放宣传资料2500余份" in text
    with pytest.raises(SubmissionError, match="不是完整的压缩格式文件"):
        submissions.preview_text(b"not a docx")
    assert json.loads(demo.one("SELECT evidence FROM submissions")[0]) == []


def test_an_empty_year_can_be_submitted_too(
    demo: db.Database, catalog: Catalog, users: dict[str, auth.User]
) -> None:
    made = _submit(demo, catalog, users["admin"], year=2023)
    assert (made.record_count, made.round) == (0, 1)
    with pytest.raises(InvalidInput, match="年度应在2000到2100年之间。"):
        _submit(demo, catalog, users["admin"], year=1999)


def test_only_townships_submit(demo: db.Database, catalog: Catalog, users: dict[str, auth.User]) -> None:
    for name in ("万州区", "示例一村"):
        with pytest.raises(
            SubmissionError, match=f"只有乡镇（街道）向上级报送年度报告，“{name}”不是乡镇（街道）。"
        ):
            submissions.submit(demo, auth.system_user(), catalog, find_unit(demo, name), 2020, charts=False)


def test_a_backup_carries_the_frozen_versions(
    demo: db.Database, catalog: Catalog, users: dict[str, auth.User], tmp_path
) -> None:
    from fazhi import backup

    made = _submit(demo, catalog, users["admin"])
    submissions.review(demo, users["county_admin"], find_unit(demo, "燕山乡"), 2020, "return", "请修改")
    _, docx = submissions.frozen_docx(demo, users["viewer"], made.id)
    backup.create_backup(demo, auth.system_user(), tmp_path / "backup.zip")
    backup.restore_file(tmp_path / "backup.zip", tmp_path / "restored.duckdb")
    restored = db.connect(tmp_path / "restored.duckdb")
    try:
        township = find_unit(restored, "燕山乡")
        assert submissions.frozen_docx(restored, auth.system_user(), made.id)[1] == docx
        assert [
            (s.state, [d.comment for d in ds])
            for s, ds in submissions.history(restored, auth.system_user(), township, 2020)
        ] == [("returned", ["请修改"])]
    finally:
        restored.close()


def test_two_submits_at_once_make_one_submission(
    demo: db.Database, catalog: Catalog, users: dict[str, auth.User]
) -> None:
    """Two clicks of 报送 at the same moment (two tabs): one submission, the other is told why not."""
    township = find_unit(demo, "燕山乡")
    barrier, outcome = threading.Barrier(2), {}

    def act(name: str) -> None:
        barrier.wait()
        try:
            outcome[name] = _submit(demo, catalog, users["admin"]).round
        except SubmissionError as error:
            outcome[name] = str(error)

    threads = [threading.Thread(target=act, args=(name,)) for name in ("甲", "乙")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcome.values(), key=str)[0] == 1
    (refusal,) = [value for value in outcome.values() if value != 1]
    assert refusal.startswith("燕山乡2020年的年度报告已于") and refusal.endswith(
        "报送（第1次），正在等待上级审核，不能重复报送。"
    )
    assert demo.one("SELECT count(*) FROM submissions") == (1,)
    assert demo.one("SELECT count(*) FROM year_locks WHERE workflow = 'submitted'") == (1,)
    assert demo.one("SELECT count(*) FROM audit_log WHERE entity = 'submission'") == (1,)
    assert submissions.state_of(demo, users["viewer"], township, 2020) == "submitted"


def test_returning_twice_is_told_and_changes_nothing(
    demo: db.Database, catalog: Catalog, users: dict[str, auth.User]
) -> None:
    township = find_unit(demo, "燕山乡")
    made = _submit(demo, catalog, users["admin"])
    first = submissions.review(demo, users["county_admin"], township, 2020, "return", "请补充典型案例。")
    with pytest.raises(ReviewConflict) as refused:
        submissions.review(
            demo,
            users["county_admin"],
            township,
            2020,
            "return",
            "再退一次",
            submission_id=made.id,
            expected_state="submitted",
        )
    assert str(refused.value) == f"燕山乡2020年的报告已由{first.sentence()}，您的操作未执行。"
    with pytest.raises(ReviewConflict):  # the default (the newest, as 已报送) is refused the same way
        submissions.review(demo, users["county_admin"], township, 2020, "approve")
    assert demo.one("SELECT count(*) FROM submission_decisions") == (1,)
    assert submissions.state_of(demo, users["viewer"], township, 2020) == "returned"
    assert locks.lock_state(demo, township, 2020) is None


HOSTILE = "& < > {{ title }} {% if x %} **粗体** <script>alert(1)</script>"


def test_a_hostile_comment_is_kept_exactly_as_written(
    demo: db.Database, catalog: Catalog, users: dict[str, auth.User]
) -> None:
    township = find_unit(demo, "燕山乡")
    _submit(demo, catalog, users["admin"])
    made = submissions.review(demo, users["county_admin"], township, 2020, "return", HOSTILE)
    assert made.comment == HOSTILE
    status = submissions.township_status(demo, users["admin"], township, 2020)
    assert status.decision is not None and status.decision.sentence().endswith(f"退回：{HOSTILE}")
    assert submissions.notes_for(demo, users["editor"], [township])[0][1].endswith(HOSTILE)
    assert demo.one("SELECT after_json->>'comment' FROM audit_log WHERE action = 'return'") == (HOSTILE,)

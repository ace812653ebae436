"""报送进度: deadlines, publication, each township's row, the county's totals, status JSON and the bundle."""

from __future__ import annotations

import io
import zipfile
from datetime import date, datetime

import pytest
from openpyxl import load_workbook

from fazhi import auth, db, deadlines, progress, publication, records, submissions, units
from fazhi.catalog import Catalog
from fazhi.errors import InvalidInput, PermissionDenied
from fazhi.units import find_unit
from fazhi.validation import RecordInput
from tests.conftest import make_user

TODAY = date(2021, 1, 20)


@pytest.fixture
def county(demo: db.Database, catalog: Catalog, users: dict[str, auth.User]) -> dict[str, units.Unit]:
    """万州区 with 燕山乡 (the demo, submitted on 2021-01-15) and 青石镇 (one record, nothing submitted)."""
    system = auth.system_user("测试")
    wanzhou = find_unit(demo, "万州区")
    other = units.create_child_unit(demo, system, wanzhou.id, "青石镇")
    item = RecordInput("market_day", other.id, "赶场日宣传", date(2020, 3, 1), values={"materials": 100})
    records.add_record(demo, system, catalog, item)
    made = submissions.submit(demo, users["admin"], catalog, find_unit(demo, "燕山乡"), 2020, charts=False)
    with demo.transaction() as cur:
        cur.execute(
            "UPDATE submissions SET submitted_at = ? WHERE id = ?", [datetime(2021, 1, 15, 9, 30), made.id]
        )
    return {"county": wanzhou, "yanshan": find_unit(demo, "燕山乡"), "qingshi": other}


def test_the_county_sets_a_deadline(demo: db.Database, users: dict[str, auth.User], county) -> None:
    wanzhou = county["county"]
    assert deadlines.deadline_for(demo, wanzhou, 2020) is None
    assert deadlines.set_deadline(demo, users["county_admin"], wanzhou, 2020, date(2021, 1, 31))
    assert not deadlines.set_deadline(demo, users["county_admin"], wanzhou, 2020, date(2021, 1, 31))
    assert deadlines.deadline_for(demo, wanzhou, 2020) == date(2021, 1, 31)
    assert deadlines.deadline_for(demo, wanzhou, 2021) is None
    with pytest.raises(PermissionDenied):
        deadlines.set_deadline(demo, users["admin"], wanzhou, 2020, date(2021, 2, 1))
    with pytest.raises(InvalidInput, match="报送截止日期由区县设置，“燕山乡”不是区县。"):
        deadlines.set_deadline(demo, auth.system_user(), county["yanshan"], 2020, date(2021, 2, 1))
    with pytest.raises(InvalidInput, match="2020年报告的截止日期应在2020年1月1日到2021年12月31日之间。"):
        deadlines.set_deadline(demo, users["county_admin"], wanzhou, 2020, date(2022, 1, 1))
    assert deadlines.set_deadline(demo, users["county_admin"], wanzhou, 2020, None)
    assert deadlines.deadline_for(demo, wanzhou, 2020) is None
    logged = demo.rows(
        "SELECT action, entity, before_json->>'due_on', after_json->>'due_on' FROM audit_log WHERE entity = 'deadline' ORDER BY id"
    )
    assert logged == [("update", "deadline", None, "2021-01-31"), ("update", "deadline", "2021-01-31", None)]


@pytest.mark.parametrize(
    ("days", "text"), [(None, ""), (11, "还剩11天"), (1, "还剩1天"), (0, "今天截止"), (-2, "已逾期2天")]
)
def test_days_left_in_words(days: int | None, text: str) -> None:
    assert deadlines.describe(days) == text


def test_days_left_count_from_today() -> None:
    assert deadlines.days_left(date(2021, 1, 31), TODAY) == 11
    assert deadlines.days_left(date(2021, 1, 18), TODAY) == -2
    assert deadlines.days_left(None, TODAY) is None


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("", "请填写公开报告的网址。"),
        ("javascript:alert(1)", "网址应以 http:// 或 https:// 开头"),
        ("ftp://www.wz.gov.cn/a", "网址应以 http:// 或 https:// 开头"),
        ("https://", "网址应以 http:// 或 https:// 开头"),
        ("https://www.wz.gov.cn/a b", "网址中不能有空格或看不见的字符。"),
        ("https://www.wz.gov.cn/\u200ba", "网址中不能有空格或看不见的字符。"),
        ("https://www.wz.gov.cn/" + "a" * 480, "网址不能超过500个字符（现有502个）。"),
    ],
)
def test_publication_addresses_are_checked(url: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=message.replace("(", r"\(").replace(")", r"\)")):
        publication.check_url(url)


def test_good_addresses_are_kept() -> None:
    assert (
        publication.check_url("  https://www.wz.gov.cn/zwgk/2021/0115.html ")
        == "https://www.wz.gov.cn/zwgk/2021/0115.html"
    )
    assert publication.check_url("HTTP://www.wz.gov.cn/a?b=1#c") == "HTTP://www.wz.gov.cn/a?b=1#c"
    assert publication.check_url("https://" + "a" * 470 + ".cn/" + "b" * 18).startswith("https://")


def test_publication_dates_and_lateness(demo: db.Database, users: dict[str, auth.User], county) -> None:
    yanshan = county["yanshan"]
    url = "https://www.wz.gov.cn/zwgk/yanshan-2020.html"
    with pytest.raises(InvalidInput, match="2020年的报告不能早于2020年12月31日公开。"):
        publication.record_publication(
            demo, users["admin"], yanshan, 2020, date(2020, 12, 30), url, today=TODAY
        )
    with pytest.raises(InvalidInput, match="公开日期不能晚于今天。"):
        publication.record_publication(
            demo, users["admin"], yanshan, 2020, date(2021, 1, 21), url, today=TODAY
        )
    with pytest.raises(InvalidInput, match="请选择公开日期。"):
        publication.record_publication(demo, users["admin"], yanshan, 2020, None, url, today=TODAY)
    with pytest.raises(PermissionDenied):
        publication.record_publication(
            demo, users["editor"], yanshan, 2020, date(2021, 1, 18), url, today=TODAY
        )
    made = publication.record_publication(
        demo, users["admin"], yanshan, 2020, date(2021, 1, 18), url, today=TODAY
    )
    assert publication.publication_of(demo, yanshan, 2020) == made
    assert publication.state(made, 2020, TODAY) == "on_time"
    assert publication.is_late(date(2021, 4, 1), 2020) is False
    assert publication.is_late(date(2021, 4, 2), 2020) is True
    assert publication.state(None, 2020, date(2021, 4, 1)) == "pending"
    assert publication.state(None, 2020, date(2021, 4, 2)) == "missing"
    # recorded while the year is locked by the submission: publishing comes after approval
    assert submissions.state_of(demo, users["admin"], yanshan, 2020) == "submitted"
    logged = demo.rows("SELECT username, after_json->>'url' FROM audit_log WHERE entity = 'publication'")
    assert logged == [(users["admin"].username, url)]


def test_each_townships_row(demo: db.Database, catalog: Catalog, users: dict[str, auth.User], county) -> None:
    deadlines.set_deadline(demo, users["county_admin"], county["county"], 2020, date(2021, 1, 31))
    rows = progress.progress(
        demo, make_user(demo, "万州区", "viewer"), catalog, county["county"], 2020, today=TODAY
    )
    yanshan, qingshi = rows
    assert (yanshan.unit.name, yanshan.state_label, yanshan.days_left, yanshan.on_time) == (
        "燕山乡",
        "已报送",
        None,
        True,
    )
    assert (yanshan.records, yanshan.completion, yanshan.by_area["publicity"]) == (55, 85.4, 26)
    assert yanshan.figures["market_day_materials"] == "2536份"
    assert (qingshi.unit.name, qingshi.state_label, qingshi.days_left, qingshi.on_time) == (
        "青石镇",
        "未报送",
        11,
        None,
    )
    assert (qingshi.records, qingshi.completion, qingshi.publication_state) == (1, 10.3, "pending")
    assert yanshan.as_json() == {
        "unit": "燕山乡",
        "state": "已报送",
        "round": 1,
        "submitted_at": "2021-01-15T09:30:00",
        "deadline": "2021-01-31",
        "days_left": None,
        "on_time": True,
        "comment": None,
        "records": 55,
        "completion": 85.4,
        "published_on": None,
        "published_url": None,
        "late": False,
        "publication": "尚未公开",
    }
    assert qingshi.as_json()["days_left"] == 11 and qingshi.as_json()["state"] == "未报送"


def test_the_countys_totals_and_table(
    demo: db.Database, catalog: Catalog, users: dict[str, auth.User], county
) -> None:
    wanzhou = county["county"]
    deadlines.set_deadline(demo, users["county_admin"], wanzhou, 2020, date(2021, 1, 10))  # 燕山乡 was late
    publication.record_publication(
        demo,
        users["county_admin"],
        county["yanshan"],
        2020,
        date(2021, 4, 6),
        "https://www.wz.gov.cn/a",
        today=date(2021, 4, 6),
    )
    rows = progress.progress(demo, users["county_admin"], catalog, wanzhou, 2020, today=date(2021, 4, 6))
    totals = progress.summary(rows)
    assert (totals.townships, totals.submitted, totals.approved, totals.returned) == (2, 1, 0, 0)
    assert (totals.submission_rate, totals.on_time_rate, totals.publication_rate) == (
        "50.0%",
        "0.0%",
        "50.0%",
    )
    assert totals.published_late == 1
    shown = progress.display(catalog, rows, 2020)
    assert (
        shown[0]["状态"] == "已报送"
        and shown[0]["剩余天数"] == "逾期报送"
        and shown[0]["公开情况"] == "逾期公开"
    )
    assert shown[1]["剩余天数"] == "已逾期86天" and shown[1]["公开情况"] == "逾期未公开"
    assert list(shown[0])[:6] == ["乡镇（街道）", "状态", "报送时间", "截止日期", "剩余天数", "记录数"]
    assert shown[0]["法治宣传"] == 26
    assert rows[0].as_json()["late"] is True


def test_a_returned_report_shows_its_comment_and_round(
    demo: db.Database, catalog: Catalog, users: dict[str, auth.User], county
) -> None:
    yanshan = county["yanshan"]
    submissions.review(demo, users["county_admin"], yanshan, 2020, "return", "请补充典型案例")
    submissions.submit(demo, users["admin"], catalog, yanshan, 2020, charts=False)
    submissions.review(demo, users["county_admin"], yanshan, 2020, "return", '=HYPERLINK("http://x")')
    rows = progress.progress(demo, users["county_admin"], catalog, county["county"], 2020, today=TODAY)
    assert (rows[0].state_label, rows[0].submission.round, rows[0].decision.comment) == (
        "已退回",
        2,
        '=HYPERLINK("http://x")',
    )
    assert progress.display(catalog, rows, 2020)[0]["状态"] == "已退回（第2次）"
    assert progress.summary(rows).returned == 1


def test_the_bundle_holds_every_submitted_report_and_the_summary(
    demo: db.Database, catalog: Catalog, users: dict[str, auth.User], county
) -> None:
    yanshan = county["yanshan"]
    submissions.review(demo, users["county_admin"], yanshan, 2020, "approve", '=cmd|"/c calc"!A1')
    name, data, reports = progress.bundle(
        demo, make_user(demo, "万州区", "viewer"), catalog, county["county"], 2020, today=TODAY
    )
    assert (name, reports) == ("万州区2020年乡镇（街道）年度报告.zip", 1)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = archive.namelist()
        assert names == ["报送情况汇总表.xlsx", "01 燕山乡2020年法治政府建设情况报告（已通过）.docx"]
        _, frozen = submissions.frozen_docx(
            demo, users["county_admin"], submissions.latest(demo, users["admin"], yanshan, 2020).id
        )
        assert archive.read(names[1]) == frozen
        sheet = load_workbook(io.BytesIO(archive.read(names[0]))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:13] == (
        "序号",
        "乡镇（街道）",
        "状态",
        "报送次数",
        "报送时间",
        "截止日期",
        "按时报送",
        "审核意见",
        "记录数",
        "指标完成率",
        "公开日期",
        "公开情况",
        "公开网址",
    )
    assert rows[0][13] == "中心组集体学法"
    assert rows[1][:4] == (1, "燕山乡", "已通过", 1)
    assert rows[1][7] == '\'=cmd|"/c calc"!A1'  # a comment that looks like a formula stays text
    assert rows[1][8:10] == (55, "85.4%")
    assert rows[1][15] == "2536份"
    assert rows[2][:4] == (2, "青石镇", "未报送", 0)
    assert sheet.title == "2020年报送情况"


def test_a_township_user_has_no_county_to_follow(
    demo: db.Database, users: dict[str, auth.User], county
) -> None:
    assert progress.county_for(demo, users["admin"], county["yanshan"]) is None
    assert progress.county_for(demo, users["county_admin"], county["yanshan"]) == county["county"]
    assert progress.county_for(demo, users["county_admin"], find_unit(demo, "示例一村")) == county["county"]
    assert progress.county_for(demo, users["county_admin"], county["county"]) == county["county"]

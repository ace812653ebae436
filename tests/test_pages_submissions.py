"""AppTest of the county's year: 年度报告's 报送与公开, 报送进度, 报送审核, 乡镇比较, 接收报送包, the sidebar's
note of a returned report, and two reviewers clicking at once."""

from __future__ import annotations

from datetime import date

import pytest
from streamlit.testing.v1 import AppTest

from fazhi import auth, db, locks, navigation, publication, submissions
from fazhi.catalog import Catalog
from fazhi.text import markdown_literal
from fazhi.ui import sidebar
from fazhi.units import find_unit
from tests import test_pages
from tests.conftest import make_user
from tests.test_dashboard_pages import app_database, select_point
from tests.test_pages import run_app, texts

app_db = test_pages.app_db
app_demo = test_pages.app_demo
navigation_v2 = test_pages.navigation_v2
COUNTY_PAGES = [spec for spec in navigation.PAGES if spec.section == "区县"]


@pytest.fixture(autouse=True)
def no_chart_images(monkeypatch: pytest.MonkeyPatch) -> None:
    """Reports made here go without chart images: faster, and no images are left in the process's cache for
    tests that count on a missing browser (tests/test_report_charts.py); the browser test draws them."""
    from fazhi.report import images

    monkeypatch.setattr(images, "browser_path", lambda: None)


@pytest.fixture
def people(app_demo: db.Database) -> dict[str, auth.User]:
    """The demo with the administrator, editor and viewer of 燕山乡 and of 万州区."""
    app_db = app_demo
    found = {f"township_{r}": make_user(app_db, "燕山乡", r) for r in ("admin", "editor", "viewer")}
    found |= {f"county_{r}": make_user(app_db, "万州区", r) for r in ("admin", "editor", "viewer")}
    return found


def open_page(user: auth.User, path: str) -> AppTest:
    at = run_app(user)
    at.sidebar.selectbox(key=sidebar.YEAR_WIDGET).select(2020).run()
    at.switch_page(path).run()
    assert not at.exception, at.exception
    return at


def _submitted(app_db: db.Database, catalog: Catalog, people) -> submissions.Submission:
    database = app_database(app_db)
    return submissions.submit(
        database, people["township_admin"], catalog, find_unit(database, "燕山乡"), 2020, charts=False
    )


def test_the_county_pages_are_listed_in_their_own_section() -> None:
    assert [(s.url_path, s.title) for s in COUNTY_PAGES] == [
        ("submissions", "报送进度"),
        ("review", "报送审核"),
        ("compare", "乡镇比较"),
        ("receive", "接收报送包"),
    ]
    assert [s.roles for s in COUNTY_PAGES[:3]] == [navigation.EVERYONE] * 3
    assert COUNTY_PAGES[3].roles == navigation.ADMINS
    # a township's people see 报送审核 (their own rounds), not the county's overview pages
    township = [s.url_path for s in navigation.pages_for("admin", "township") if s.section == "区县"]
    assert township == ["review"]
    assert [s for s in navigation.pages_for("viewer", "village") if s.section == "区县"] == []
    assert [s.url_path for s in navigation.pages_for("viewer", "county") if s.section == "区县"] == [
        "submissions",
        "review",
        "compare",
    ]


@pytest.mark.parametrize("spec", COUNTY_PAGES, ids=lambda s: s.url_path)
@pytest.mark.parametrize("role", ["admin", "editor", "viewer"])
def test_every_county_page_runs_for_county_users(
    app_db: db.Database, catalog: Catalog, people, spec: navigation.PageSpec, role: str
) -> None:
    _submitted(app_db, catalog, people)
    at = run_app(people[f"county_{role}"])
    if role not in spec.roles:
        with pytest.raises(ValueError):
            at.switch_page(spec.path)
        return
    at.sidebar.selectbox(key=sidebar.YEAR_WIDGET).select(2020).run()
    at.switch_page(spec.path).run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    assert at.title
    if spec.url_path == "review":
        # only an administrator acts; editors and viewers read
        acts = {b.key for b in at.button} & {"review_approve", "review_return"}
        assert acts == ({"review_approve", "review_return"} if role == "admin" else set())


def test_the_township_submits_from_its_report_page(app_db: db.Database, people) -> None:
    at = open_page(people["township_admin"], "pages/report.py")
    (panel,) = [e for e in at.expander if e.label.startswith("报送与公开")]
    assert panel.label == "报送与公开：未报送"
    assert "报送后，程序保存此刻的报告（Word）、指标表和记录数" in texts(at)
    at.button(key="report_submit").click().run()
    assert not at.exception, at.exception
    assert "已报送燕山乡2020年的年度报告（第1次），该年度已锁定。" in texts(at)
    assert [e.label for e in at.expander if e.label.startswith("报送与公开")] == [
        "报送与公开：已报送（第1次报送）"
    ]
    assert any(i.value.startswith("燕山乡2020年的年度报告已报送（") for i in at.info)
    assert not [b for b in at.button if b.key and b.key.startswith("report_save")]  # read-only now
    labels = {e.proto.label for e in at.get("download_button")}
    assert "下载报送包（交给区县的安装导入）" in labels
    made = submissions.latest(app_db, auth.system_user(), find_unit(app_db, "燕山乡"), 2020)
    assert (made.state, made.submitted_by) == ("submitted", people["township_admin"].username)


def test_editors_and_viewers_of_the_township_do_not_submit(app_db: db.Database, people) -> None:
    for role in ("editor", "viewer"):
        at = open_page(people[f"township_{role}"], "pages/report.py")
        assert "report_submit" not in {b.key for b in at.button}
    assert "报送由燕山乡的管理员进行。" in texts(open_page(people["township_editor"], "pages/report.py"))


def test_the_county_returns_and_the_township_sees_the_comment(
    app_db: db.Database, catalog: Catalog, people
) -> None:
    _submitted(app_db, catalog, people)
    at = open_page(people["county_admin"], "pages/submissions.py")
    assert at.title[0].value == "报送进度 · 万州区 · 2020年"
    metrics = {m.label: m.value for m in at.metric}
    assert (metrics["报送率"], metrics["已通过"], metrics["公开率"]) == ("100.0%", "0 / 1", "0.0%")
    (table,) = [d.value for d in at.dataframe if "状态" in d.value.columns]
    assert table[["乡镇（街道）", "状态", "记录数", "指标完成率"]].values.tolist() == [
        ["燕山乡", "已报送", 55, "85.4%"]
    ]
    assert "燕山乡2020年的年度报告已报送，等待审核。" in [i.value for i in at.sidebar.info]
    at.date_input(key="deadline_date").set_value(date(2021, 1, 31))
    at.button(key="deadline_save").click().run()
    assert "2020年报告的报送截止日期：2021-01-31。" in texts(at)
    at.button(key="progress_open").click().run()
    assert at.title[0].value == "报送审核 · 2020年"
    at.switch_page("pages/review.py").run()  # AppTest's next runs stay on the page it was told to run
    assert at.subheader[0].value == "燕山乡：已报送（第1次报送）"
    assert at.text[0].value.startswith("燕山乡关于2020年法治政府建设情况的报告")
    at.text_area(key="review_comment").input("请补充典型案例。").run()
    at.button(key="review_return").click().run()
    assert not at.exception, at.exception
    assert "已退回，该年度恢复可修改：燕山乡2020年的年度报告。" in texts(at)
    assert at.subheader[0].value == "燕山乡：已退回（第1次报送）"

    township = open_page(people["township_editor"], "pages/report.py")
    county_admin = people["county_admin"].username
    (note,) = [w.value for w in township.sidebar.warning]
    assert note.startswith(f"燕山乡2020年的年度报告已被退回：万州区（{county_admin}）于")
    assert note.endswith("退回：请补充典型案例。")
    assert any(
        w.value.startswith("审核意见：万州区（") and "请补充典型案例" in w.value for w in township.warning
    )
    assert [b for b in township.button if b.key and b.key.startswith("report_save")]  # editable again


def test_resubmit_and_approve_lock_the_year(app_db: db.Database, catalog: Catalog, people) -> None:
    database = app_database(app_db)
    township = find_unit(database, "燕山乡")
    _submitted(app_db, catalog, people)
    submissions.review(database, people["county_admin"], township, 2020, "return", "请修改")
    at = open_page(people["township_admin"], "pages/report.py")
    at.button(key="report_submit").click().run()
    assert "已报送燕山乡2020年的年度报告（第2次），该年度已锁定。" in texts(at)
    county = open_page(people["county_admin"], "pages/review.py")
    assert county.subheader[0].value == "燕山乡：已报送（第2次报送）"
    assert [o[:4] for o in county.selectbox(key="review_round").options] == ["第2次（", "第1次（"]
    county.button(key="review_approve").click().run()
    assert "已通过，该年度已由上级封账：燕山乡2020年的年度报告。" in texts(county)
    assert locks.setter(database, township, 2020)[0] == "万州区"
    again = open_page(people["township_admin"], "pages/report.py")
    assert any(i.value.startswith("燕山乡2020年的年度报告已通过审核（") for i in again.info)
    assert "report_submit" not in {b.key for b in again.button}
    # the township records where it published the report
    again.date_input(key="report_published_on").set_value(date(2021, 1, 18))
    again.text_input(key="report_published_url").input("https://www.wz.gov.cn/ys2020")
    again.button(key="report_publish").click().run()
    assert "已记录2020年报告的公开情况。" in texts(again)
    assert publication.publication_of(database, township, 2020).url == "https://www.wz.gov.cn/ys2020"
    locks_page = open_page(people["township_admin"], "pages/locks.py")
    assert "由报送审核锁定；需要修改时请上级单位退回。" in texts(locks_page)
    assert "unlock" not in {b.key for b in locks_page.button}


def test_two_reviewers_in_two_browsers(app_db: db.Database, catalog: Catalog, people) -> None:
    _submitted(app_db, catalog, people)
    second = make_user(app_db, "万州区", "admin")
    first_tab = open_page(people["county_admin"], "pages/review.py")
    second_tab = open_page(second, "pages/review.py")
    first_tab.button(key="review_approve").click().run()
    second_tab.text_area(key="review_comment").input("请修改")
    second_tab.button(key="review_return").click().run()
    assert not second_tab.exception
    (error,) = [e.value for e in second_tab.error]
    assert error.startswith(f"燕山乡2020年的报告已由万州区（{people['county_admin'].username}）于")
    assert error.endswith("通过，您的操作未执行。")
    assert submissions.state_of(app_db, auth.system_user(), find_unit(app_db, "燕山乡"), 2020) == "approved"


def test_township_users_are_not_offered_the_countys_pages(app_db: db.Database, people) -> None:
    at = run_app(people["township_admin"])
    assert not at.exception, at.exception
    for path in ("pages/submissions.py", "pages/compare.py", "pages/receive.py"):
        with pytest.raises(ValueError):
            at.switch_page(path)
    at.switch_page("pages/review.py").run()
    assert at.title[0].value == "报送审核 · " + str(at.session_state[sidebar.YEAR_WIDGET]) + "年"


def test_the_comparison_opens_a_townships_ledger(app_db: db.Database, catalog: Catalog, people) -> None:
    at = open_page(people["county_viewer"], "pages/compare.py")
    assert at.title[0].value == "乡镇比较 · 万州区 · 2020年"
    assert [c.key for c in at.get("plotly_chart")] == ["compare_heatmap", "compare_ranking"]
    (ranking,) = [d.value for d in at.dataframe if "名次" in d.value.columns]
    assert ranking.iloc[0][["名次", "乡镇（街道）", "指标完成率"]].tolist() == ["1", "燕山乡", "85.4%"]
    township = find_unit(app_db, "燕山乡")
    select_point(
        at, "compare_heatmap", {"customdata": [township.id, "publicity"], "x": "法治宣传", "y": "燕山乡"}
    )
    assert at.title[0].value == "台账 · 万州区 · 2020年"
    assert "只显示：燕山乡 · 2020年 · 领域：法治宣传。修改上方的筛选条件即可查看其他记录。" in texts(at)
    assert "共 26 条记录" in texts(at)


def test_the_meeting_view_can_show_the_comparison(app_db: db.Database, people) -> None:
    at = run_app(people["county_viewer"])
    at.sidebar.selectbox(key=sidebar.YEAR_WIDGET).select(2020).run()
    at.sidebar.selectbox(key=sidebar.UNIT_WIDGET).select(find_unit(app_db, "万州区").id).run()
    at.switch_page("pages/meeting.py").run()
    screens = at.get("button_group")[0]
    assert screens.options == [
        "关键指标",
        "完成情况与短板",
        "各月工作",
        "乡镇比较",
    ]  # a county's fourth screen
    screens.set_value("乡镇比较").run()
    assert not at.exception, at.exception
    assert [c.key for c in at.get("plotly_chart")] == ["meeting_heatmap"]


def test_the_receive_page_asks_before_creating_units(app_db: db.Database, people) -> None:
    at = open_page(people["county_admin"], "pages/receive.py")
    assert at.title[0].value == "接收报送包"
    assert at.button(key="receive_run").disabled  # nothing uploaded yet
    assert "receive_create" not in {c.key for c in at.checkbox}


def test_a_hostile_comment_reaches_the_township_as_plain_text(
    app_db: db.Database, catalog: Catalog, people
) -> None:
    """A comment with Markdown, HTML and template tags is shown literally in the sidebar and on 年度报告."""
    hostile = "& < > {{ title }} **粗体** <b>x</b>"
    _submitted(app_db, catalog, people)
    database = app_database(app_db)
    submissions.review(
        database, people["county_admin"], find_unit(database, "燕山乡"), 2020, "return", hostile
    )
    township = open_page(people["township_admin"], "pages/report.py")
    assert not township.exception, township.exception
    (note,) = [w.value for w in township.sidebar.warning]
    assert note.endswith("退回：" + markdown_literal(hostile))
    decision = submissions.township_status(
        database, people["township_admin"], find_unit(database, "燕山乡"), 2020
    ).decision
    assert [w.value for w in township.main.warning if w.value.startswith("审核意见：")] == [
        markdown_literal(f"审核意见：{decision.sentence()}")
    ]

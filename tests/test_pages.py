"""AppTest for every page in fazhi/navigation.py, the login gate, first-run setup and the demo button."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from streamlit.runtime.pages_manager import PagesManager
from streamlit.testing.v1 import AppTest

from fazhi import auth, db, navigation, sessions
from fazhi.settings import PROJECT_DIR
from fazhi.ui import session, sidebar
from tests.conftest import PASSWORD, log_in_app, make_user

APP = str(PROJECT_DIR / "app.py")


@pytest.fixture(autouse=True)
def navigation_v2(monkeypatch: pytest.MonkeyPatch) -> None:
    """Run every AppTest run the way a server runs after its first request.

    Because the project has a pages/ folder, Streamlit treats the first run of a process as an old-style
    (v1) multipage app until app.py calls st.navigation; AppTest resets that flag before every run, so
    every run would go the v1 way and widgets in app.py would lose their clicks. A browser only meets that
    on the very first request to a fresh server, which every page survives (see test_pages_alone_*).
    """
    original = PagesManager.__init__

    def init(self, *args, **kwargs) -> None:
        original(self, *args, **kwargs)
        PagesManager.uses_pages_directory = False

    monkeypatch.setattr(PagesManager, "__init__", init)


@pytest.fixture
def app_db(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    templates: dict[str, Path],
) -> Iterator[db.Database]:
    """The database the app under test will open (via $FAZHI_DB): empty, or holding the demo when the test
    asks for `app_demo` or `demo_app` (a copy of the run's template, see tests/conftest.py)."""
    path = tmp_path / "app.duckdb"
    monkeypatch.setenv("FAZHI_DB", str(path))
    with_demo = {"app_demo", "demo_app"} & set(request.fixturenames)
    shutil.copy(templates["demo" if with_demo else "empty"], path)
    database = db.connect(path)
    yield database
    database.close()


@pytest.fixture
def app_demo(app_db: db.Database) -> db.Database:
    """The app's database holding the demo, without accounts."""
    return app_db


@pytest.fixture
def demo_app(app_db: db.Database) -> dict[str, auth.User]:
    """The demo in the app's database, with an administrator, an editor and a viewer of 燕山乡."""
    return {role: make_user(app_db, "燕山乡", role) for role in ("admin", "editor", "viewer")}


def run_app(user: auth.User | None = None, page: str | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    if user is not None:
        log_in_app(at, user)
    at.run()
    if page is not None:
        at.switch_page(page).run()
    return at


def texts(at: AppTest) -> str:
    parts = [
        e.value for e in (*at.title, *at.markdown, *at.info, *at.warning, *at.error, *at.success, *at.caption)
    ]
    return "\n".join(str(p) for p in parts)


def test_a_new_installation_asks_for_an_administrator_first(app_db: db.Database) -> None:
    at = run_app()
    assert not at.exception
    assert at.title[0].value == "初始化法治政府建设工作台"
    at.text_input(key="setup_unit").input("青石镇")
    at.text_input(key="setup_username").input("admin")
    at.text_input(key="setup_display_name").input("王五")
    at.text_input(key="setup_password").input(PASSWORD)
    at.text_input(key="setup_confirm").input(PASSWORD)
    at.button(key="setup_submit").click().run()
    assert not at.exception
    assert at.session_state[session.USER_KEY] == 1  # logged in as the new administrator
    assert at.title[0].value.startswith("青石镇 · ")
    assert "初始化完成，欢迎您，王五。" in texts(at)
    assert at.button(key="load_demo")  # the demo is offered only now
    assert auth.user_count(app_db) == 1


def test_setup_rejects_mismatched_passwords(app_db: db.Database) -> None:
    at = run_app()
    at.text_input(key="setup_unit").input("青石镇")
    at.text_input(key="setup_username").input("admin")
    at.text_input(key="setup_password").input(PASSWORD)
    at.text_input(key="setup_confirm").input(PASSWORD + "x")
    at.button(key="setup_submit").click().run()
    assert at.error[0].value == "两次输入的密码不一致。"
    assert at.text_input(key="setup_unit").value == "青石镇"  # nothing typed is lost
    assert auth.user_count(app_db) == 0


def test_admin_loads_the_demo_from_the_first_page(app_db: db.Database) -> None:
    admin = auth.create_first_admin(app_db, "admin", PASSWORD, "王五", "万州区", "county")
    at = run_app(admin)
    at.button(key="load_demo").click().run()
    assert not at.exception
    assert "已加载示例数据：燕山乡 89 条记录。" in texts(at)
    assert at.title[0].value == "燕山乡 · 2020年法治政府建设"
    assert at.metric[0].value == "55 条"


def test_viewers_are_not_offered_the_demo(app_db: db.Database) -> None:
    admin = auth.create_first_admin(app_db, "admin", PASSWORD, "王五", "燕山乡", "township")
    viewer = auth.create_user(app_db, admin, "leader", PASSWORD, "viewer", admin.unit_id)
    at = run_app(viewer)
    assert not at.button(key="load_demo") if "load_demo" in [b.key for b in at.button] else True
    assert "只有管理员可以加载示例数据。" in texts(at)


def test_anonymous_visitors_see_only_the_login(demo_app: dict[str, auth.User]) -> None:
    at = run_app()
    assert not at.exception
    assert at.title[0].value == "法治政府建设工作台"
    assert at.subheader[0].value == "登录"
    assert not at.dataframe
    for spec in navigation.PAGES:
        with pytest.raises(ValueError):  # not registered for an anonymous session: no URL reaches it
            at.switch_page(spec.path)


def test_login_with_wrong_then_right_password(demo_app: dict[str, auth.User]) -> None:
    editor = demo_app["editor"]
    at = run_app()
    at.text_input(key="login_username").input(editor.username)
    at.text_input(key="login_password").input("wrong-password")
    at.button(key="login_submit").click().run()
    assert at.error[0].value == "用户名或密码错误（或账号已停用）。再错4次将暂停登录。"
    at.text_input(key="login_password").input(PASSWORD)
    at.button(key="login_submit").click().run()
    assert not at.exception
    assert at.session_state[session.USER_KEY] == editor.id
    assert at.title[0].value.startswith("燕山乡 · ")


def test_idle_session_is_logged_out(demo_app: dict[str, auth.User], monkeypatch: pytest.MonkeyPatch) -> None:
    at = log_in_app(AppTest.from_file(APP, default_timeout=60), demo_app["admin"], idle_minutes=9 * 60)
    at.run()
    assert session.USER_KEY not in at.session_state
    assert "长时间未操作，已自动退出，请重新登录。" in texts(at)
    assert at.subheader[0].value == "登录"


def test_logout(demo_app: dict[str, auth.User]) -> None:
    at = run_app(demo_app["viewer"])
    at.sidebar.button(key="logout").click().run()
    assert session.USER_KEY not in at.session_state
    assert at.subheader[0].value == "登录"


def test_each_run_checks_the_session_once_and_an_ended_one_at_the_next_click(
    demo_app: dict[str, auth.User], app_db: db.Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The router checks the session; the page's guard takes that answer instead of asking again."""
    calls: list[int] = []
    real = sessions.check_id
    monkeypatch.setattr(sessions, "check_id", lambda d, i, now=None: calls.append(i) or real(d, i, now))
    at = run_app(demo_app["editor"], "pages/dashboard.py")
    before = len(calls)
    at.run()
    assert len(calls) == before + 1
    assert at.title[0].value.startswith("看板")
    sessions.end(app_db, at.session_state[session.SESSION_KEY], "admin")
    at.run()
    assert session.USER_KEY not in at.session_state
    assert "管理员结束了这次登录，请重新登录。" in texts(at)
    assert at.subheader[0].value == "登录"


@pytest.mark.parametrize("spec", navigation.PAGES, ids=lambda s: s.url_path)
@pytest.mark.parametrize("role", ["admin", "editor", "viewer"])
def test_every_page_runs_for_every_role_allowed(
    demo_app: dict[str, auth.User], spec: navigation.PageSpec, role: str
) -> None:
    at = run_app(demo_app[role])
    if spec not in navigation.pages_for(role, "township"):  # demo_app's people work at 燕山乡
        with pytest.raises(ValueError):
            at.switch_page(spec.path)
        return
    at.switch_page(spec.path).run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    assert at.title, "every page has a title"


def test_ledger_shows_the_years_records_and_totals(demo_app: dict[str, auth.User]) -> None:
    at = run_app(demo_app["viewer"])
    at.sidebar.selectbox(key=sidebar.YEAR_WIDGET).select(2020).run()
    assert at.title[0].value == "燕山乡 · 2020年法治政府建设"
    at.switch_page("pages/ledger.py").run()  # the choice of year survives a page switch
    assert at.title[0].value == "台账 · 燕山乡 · 2020年"
    assert "共 55 条记录" in texts(at)
    at.multiselect(key="ledger_types").select("market_day").run()
    assert "共 3 条记录" in texts(at)
    (totals,) = [d.value for d in at.dataframe if "合计" in d.value.columns]
    assert dict(zip(totals["项目"], totals["合计"], strict=True)) == {
        "解答法律咨询（人次）": 218,
        "发放宣传资料（份）": 2536,
        "悬挂横幅（幅）": 25,
    }


@pytest.mark.parametrize(
    "path", [spec.path for spec in navigation.PAGES] + [navigation.SETUP.path, navigation.LOGIN.path]
)
def test_pages_alone_show_no_data_to_anonymous_visitors(demo_app: dict[str, auth.User], path: str) -> None:
    """A page script run on its own (as a fresh server's first request may) still shows nothing without login."""
    at = AppTest.from_file(str(PROJECT_DIR / path), default_timeout=60).run()
    assert not at.exception
    assert not at.dataframe and not at.metric and not at.table
    assert "燕山乡" not in texts(at)


HOSTILE_NAME = "燕山乡![t](http://e.invalid/t.png)**粗**"


def _rendered_markdown(at: AppTest) -> list[str]:
    """Every text on the page that Streamlit renders as Markdown: elements and widget labels."""
    found = [
        str(e.value) for group in (at.title, at.header, at.subheader, at.markdown, at.caption) for e in group
    ]
    found += [str(e.value) for group in (at.info, at.warning, at.error, at.success) for e in group]
    for group in (
        at.button, at.checkbox, at.text_input, at.selectbox, at.radio, at.multiselect, at.toggle,
        at.number_input, at.date_input, at.text_area, at.metric,
    ):  # fmt: skip
        found += [str(getattr(e, "label", "")) for e in group]
    return found


@pytest.mark.parametrize("spec", navigation.PAGES, ids=[p.url_path for p in navigation.PAGES])
def test_names_with_markdown_are_shown_as_plain_text_on_every_page(
    app_demo: db.Database, spec: navigation.PageSpec
) -> None:
    """A unit or person named with Markdown (a remote image, bold) is shown as typed: no viewer's browser
    fetches the image (issue 10)."""
    from fazhi import units

    app_db = app_demo
    township = units.find_unit(app_db, "燕山乡")
    units.rename_unit(app_db, auth.system_user(), township.id, HOSTILE_NAME)
    admin = auth.create_user(
        app_db,
        auth.system_user(),
        "hostile",
        PASSWORD,
        "admin",
        township.id,
        "张![x](http://example.invalid/x)",
    )
    if spec.levels is not None and "township" not in spec.levels:  # a county page: its administrator
        admin = auth.create_user(
            app_db, auth.system_user(), "hostile_county", PASSWORD, "admin", township.parent_id, "李![x](http://e.invalid/x)"
        )  # fmt: skip
    at = run_app(admin)
    at.switch_page(spec.path).run()
    assert not at.exception, at.exception
    rendered = _rendered_markdown(at) + [str(e.value) for e in at.sidebar.caption]
    leaks = [text for text in rendered if re.search(r"(?<!\\)\]\(|(?<!\\)\*(?<!\\)\*粗", text)]
    assert leaks == [], leaks

"""AppTest of the 管理 pages: 用户管理, 单位管理, 封账, 审计日志 (and that nobody else can run them)."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from fazhi import auth, db, locks, navigation, units
from fazhi.settings import PROJECT_DIR
from fazhi.ui import session, sidebar
from fazhi.units import find_unit
from tests.conftest import PASSWORD, log_in_app, make_user
from tests.test_pages import APP, app_db, demo_app, navigation_v2, run_app, texts  # noqa: F401  (fixtures)

ADMIN_PAGES = [spec for spec in navigation.PAGES if spec.section == "管理"]


def table(at: AppTest, column: str):
    """The one table on the page with this column header (st.dataframe without selection has no key)."""
    (found,) = [d.value for d in at.dataframe if column in d.value.columns]
    return found


def test_admin_pages_are_listed_for_administrators_only() -> None:
    assert [spec.url_path for spec in ADMIN_PAGES][:4] == ["users", "units", "locks", "audit"]
    assert all(spec.roles == navigation.ADMINS for spec in ADMIN_PAGES)
    assert not any(spec in navigation.pages_for("editor") for spec in ADMIN_PAGES)
    assert not any(spec in navigation.pages_for("viewer") for spec in ADMIN_PAGES)


@pytest.mark.parametrize("spec", ADMIN_PAGES, ids=lambda s: s.url_path)
@pytest.mark.parametrize("role", ["editor", "viewer"])
def test_a_page_run_directly_refuses_non_administrators(
    demo_app: dict[str, auth.User], spec: navigation.PageSpec, role: str
) -> None:
    """Even a page script run on its own (no navigation) shows nothing to an editor or viewer."""
    at = AppTest.from_file(str(PROJECT_DIR / spec.path), default_timeout=60)
    log_in_app(at, demo_app[role])
    at.run()
    assert not at.exception
    assert [e.value for e in at.error] == ["此页面只有管理员可以使用。"]
    assert not at.dataframe and not at.button and not at.text_input


def test_users_page_adds_resets_and_disables(app_db: db.Database, demo_app: dict[str, auth.User]) -> None:
    admin = demo_app["admin"]
    at = run_app(admin, "pages/users.py")
    assert at.title[0].value == "用户管理"
    listed = table(at, "username")
    assert set(listed["username"]) == {u.username for u in demo_app.values()}

    village = find_unit(app_db, "示例一村")
    at.text_input(key="new_username").input("cunyuan")
    at.text_input(key="new_display_name").input("李四")
    at.selectbox(key="new_unit").select(village.id)
    at.text_input(key="new_password").input(PASSWORD)
    at.text_input(key="new_confirm").input(PASSWORD + "x")
    at.button(key="FormSubmitter:add_user-添加用户").click().run()
    assert [e.value for e in at.error] == ["两次输入的密码不一致。"]
    at.text_input(key="new_confirm").input(PASSWORD)
    at.button(key="FormSubmitter:add_user-添加用户").click().run()
    assert not at.exception and not at.error
    assert "已添加用户 cunyuan（录入员，示例一村）。" in texts(at)
    assert auth.authenticate(app_db, "cunyuan", PASSWORD).unit_name == "示例一村"
    # an empty form for the next account: no password is left behind in it
    for key in ("new_username", "new_display_name", "new_password", "new_confirm"):
        assert at.text_input(key=key).value == "", key
    assert at.selectbox(key="new_unit").value == village.id  # the unit and role stay for the next one

    at.selectbox(key="manage_user").select("cunyuan").run()
    at.text_input(key="reset_password_1").input("new-password-9")
    at.text_input(key="reset_password_2").input("new-password-9")
    at.button(key="FormSubmitter:reset_password-重设密码").click().run()
    assert (
        "已重设 cunyuan 的密码，并解除了登录暂停；他在各电脑上的登录已结束。请把新密码当面告诉本人。"
        in texts(at)
    )
    assert auth.authenticate(app_db, "cunyuan", "new-password-9").username == "cunyuan"

    at.selectbox(key="manage_user").select("cunyuan").run()
    at.button(key="toggle_active").click().run()
    assert "已停用用户 cunyuan；他在各电脑上的登录已结束。" in texts(at)
    listed = table(at, "username").set_index("username")
    assert not listed.loc["cunyuan", "is_active"]
    at.selectbox(key="manage_user").select(admin.username).run()
    at.button(key="toggle_active").click().run()
    assert [e.value for e in at.error] == ["不能停用自己的账号。"]


def test_users_page_reports_weak_passwords(app_db: db.Database, demo_app: dict[str, auth.User]) -> None:
    at = run_app(demo_app["admin"], "pages/users.py")
    at.text_input(key="new_username").input("weak")
    at.text_input(key="new_password").input("1234567")
    at.text_input(key="new_confirm").input("1234567")
    at.button(key="FormSubmitter:add_user-添加用户").click().run()
    assert [e.value for e in at.error] == ["密码至少需要10个字符。"]
    assert auth.user_count(app_db) == 3


def test_units_page_adds_renames_and_moves(app_db: db.Database, demo_app: dict[str, auth.User]) -> None:
    at = run_app(demo_app["admin"], "pages/units.py")
    assert at.title[0].value == "单位管理"
    assert list(table(at, "级别")["单位"]) == [
        "燕山乡",
        "　示例一村",
        "　示例二村",
        "　示例三村",
        "　示例社区",
    ]
    at.text_input(key="unit_new_name").input("红旗村")
    at.button(key="FormSubmitter:add_unit-新增").click().run()
    assert "已在“燕山乡”下新增村/社区“红旗村”。" in texts(at)
    red = find_unit(app_db, "红旗村")
    at.selectbox(key="rename_target").select(red.id)
    at.text_input(key="rename_name").input("红旗社区")
    at.button(key="FormSubmitter:rename_unit-改名").click().run()
    assert "已将“红旗村”改名为“红旗社区”。" in texts(at)
    at.selectbox(key="move_target").select(red.id).run()
    at.button(key="move_up").click().run()
    assert not at.exception and not at.error
    township = find_unit(app_db, "燕山乡")
    assert [u.name for u in units.children(app_db, township)] == [
        "示例一村",
        "示例二村",
        "示例三村",
        "红旗社区",
        "示例社区",
    ]
    at.text_input(key="unit_new_name").input("示例二村")
    at.button(key="FormSubmitter:add_unit-新增").click().run()
    assert [e.value for e in at.error] == ["已有同名单位“示例二村”。"]


def test_locks_page_locks_and_unlocks(app_db: db.Database, demo_app: dict[str, auth.User]) -> None:
    at = run_app(demo_app["admin"])
    at.sidebar.selectbox(key=sidebar.YEAR_WIDGET).select(2020).run()
    at.switch_page("pages/locks.py").run()
    assert at.title[0].value == "封账 · 燕山乡 · 2020年"
    assert at.button(key="lock").disabled
    at.checkbox(key="lock_confirm").check().run()
    at.button(key="lock").click().run()
    assert not at.exception
    assert "已将燕山乡2020年封账。" in texts(at)
    assert any(i.value.startswith("燕山乡2020年已封账（") for i in at.info)  # the banner on every page
    assert list(table(at, "封账人")["年度"]) == ["2020年"]
    at.switch_page("pages/ledger.py").run()
    assert any(i.value.startswith("燕山乡2020年已封账（") for i in at.info)
    at.switch_page("pages/locks.py").run()
    at.checkbox(key="unlock_confirm").check().run()
    at.button(key="unlock").click().run()
    assert "已解除燕山乡2020年的封账。" in texts(at)
    assert locks.lock_state(app_db, find_unit(app_db, "燕山乡"), 2020) is None


def test_locks_page_points_to_the_unit_above(app_db: db.Database, demo_app: dict[str, auth.User]) -> None:
    county_admin = auth.create_user(
        app_db, auth.system_user(), "county", PASSWORD, "admin", find_unit(app_db, "万州区").id
    )
    locks.lock_year(app_db, county_admin, find_unit(app_db, "万州区"), 2020)
    at = run_app(demo_app["admin"])
    at.sidebar.selectbox(key=sidebar.YEAR_WIDGET).select(2020).run()
    at.switch_page("pages/locks.py").run()
    assert "2020年已由上级单位“万州区”封账，需由“万州区”的管理员解除。" in texts(at)
    assert "unlock" not in [b.key for b in at.button]


def test_audit_page_filters_and_shows_before_and_after(
    app_db: db.Database, demo_app: dict[str, auth.User]
) -> None:
    admin = demo_app["admin"]
    village = find_unit(app_db, "示例一村")
    units.rename_unit(app_db, admin, village.id, "红旗村")
    at = run_app(admin, "pages/audit.py")
    assert at.title[0].value == "审计日志"
    entries = table(at, "内容")
    assert list(entries.columns) == ["序号", "时间", "用户", "操作", "对象", "对象编号", "单位", "内容"]
    assert entries.iloc[0]["内容"] == "名称：示例一村 → 红旗村"
    at.multiselect(key="audit_actions").select("lock").run()
    assert "没有符合条件的日志。" in texts(at)
    at.multiselect(key="audit_actions").unselect("lock").select("update").run()
    entries = table(at, "内容")
    assert list(entries["操作"]) == ["修改"]
    at.selectbox(key="audit_entry").select(int(entries.iloc[0]["序号"])).run()
    detail = table(at, "修改前")
    assert detail.values.tolist() == [["名称", "示例一村", "红旗村"]]
    assert {b.key for b in at.get("download_button")} == {"audit_xlsx", "audit_csv"}


@pytest.mark.parametrize("spec", navigation.PAGES, ids=lambda s: s.url_path)
def test_the_lock_shows_on_every_page_of_that_year(
    app_db: db.Database, demo_app: dict[str, auth.User], spec: navigation.PageSpec
) -> None:
    locks.lock_year(app_db, demo_app["admin"], find_unit(app_db, "燕山乡"), 2020)
    # a county page is for a county's administrator (whose sidebar opens on its one township, 燕山乡)
    county_only = spec.levels is not None and "township" not in spec.levels
    at = run_app(make_user(app_db, "万州区", "admin") if county_only else demo_app["admin"])
    at.sidebar.selectbox(key=sidebar.YEAR_WIDGET).select(2020).run()
    at.switch_page(spec.path).run()
    assert not at.exception
    assert [i.value for i in at.info if "已封账" in i.value][0].startswith("燕山乡2020年已封账（")
    at.sidebar.selectbox(key=sidebar.YEAR_WIDGET).select(2019).run()
    assert not [i.value for i in at.info if "已封账" in i.value]


def test_five_wrong_passwords_lock_the_login_for_fifteen_minutes(
    app_db: db.Database, demo_app: dict[str, auth.User]
) -> None:
    editor = demo_app["editor"]
    at = run_app()
    for left in (4, 3, 2, 1):
        at.text_input(key="login_username").input(editor.username)
        at.text_input(key="login_password").input("wrong-password")
        at.button(key="login_submit").click().run()
        assert [e.value for e in at.error] == [f"用户名或密码错误（或账号已停用）。再错{left}次将暂停登录。"]
    at.text_input(key="login_password").input("wrong-password")
    at.button(key="login_submit").click().run()
    assert [e.value for e in at.error] == [
        "用户名或密码错误（或账号已停用）。已连续输错5次，暂停登录15分钟。"
    ]
    at.text_input(key="login_password").input(PASSWORD)
    at.button(key="login_submit").click().run()
    assert at.error[0].value.startswith("密码连续输错5次，已暂停登录，请于 ")
    assert session.USER_KEY not in at.session_state


def test_an_administrator_sees_and_ends_logins_of_their_units(
    app_db: db.Database, demo_app: dict[str, auth.User]
) -> None:
    admin, viewer = demo_app["admin"], demo_app["viewer"]
    other = log_in_app(AppTest.from_file(APP, default_timeout=60), viewer).run()  # the viewer, elsewhere
    at = run_app(admin, "pages/users.py")
    shown = table(at, "用户名")
    assert list(shown["用户名"]) == [admin.username, viewer.username]  # latest activity first
    assert list(shown["本窗口"]) == ["是", ""]
    assert list(shown["浏览器"]) == ["未知", "未知"]  # AppTest sends no User-Agent
    viewer_session = other.session_state[session.SESSION_KEY]
    at.selectbox(key="end_session_choice").select(viewer_session).run()
    at.button(key="end_session").click().run()
    assert not at.exception
    assert f"已结束 {viewer.username} 在 未知地址 的登录。" in texts(at)
    assert list(table(at, "用户名")["用户名"]) == [admin.username]
    other.run()  # the viewer's next click
    assert session.USER_KEY not in other.session_state
    assert "管理员结束了这次登录，请重新登录。" in texts(other)
    assert other.subheader[0].value == "登录"
    assert app_db.one("SELECT action FROM audit_log ORDER BY id DESC LIMIT 1") == ("end_session",)


@pytest.mark.parametrize(("idle_minutes", "logged_out"), [(2, True), (0.5, False)])
def test_the_idle_timeout_is_configurable(
    demo_app: dict[str, auth.User], monkeypatch: pytest.MonkeyPatch, idle_minutes: float, logged_out: bool
) -> None:
    monkeypatch.setenv("FAZHI_IDLE_MINUTES", "1")
    at = AppTest.from_file(str(PROJECT_DIR / "app.py"), default_timeout=60)
    log_in_app(at, demo_app["viewer"], idle_minutes=idle_minutes)
    at.run()
    assert (session.USER_KEY not in at.session_state) is logged_out
    assert ("长时间未操作，已自动退出，请重新登录。" in texts(at)) is logged_out


def test_users_page_changes_a_role_and_unit(app_db: db.Database, demo_app: dict[str, auth.User]) -> None:
    admin, editor = demo_app["admin"], demo_app["editor"]
    village = find_unit(app_db, "示例二村")
    at = run_app(admin, "pages/users.py")
    at.selectbox(key="manage_user").select(editor.username).run()
    assert (
        at.selectbox(key="manage_user").format_func(editor.username) == f"燕山乡editor（{editor.username}）"
    )
    assert at.radio(key="change_role_role").value == "editor"
    at.radio(key="change_role_role").set_value("viewer")
    at.selectbox(key="change_role_unit").select(village.id)
    at.button(key="FormSubmitter:change_role-保存角色和单位").click().run()
    assert not at.exception and not at.error
    assert f"燕山乡editor（{editor.username}） 现在是示例二村的查看者。" in texts(at)
    changed = auth.load_user(app_db, editor.id)
    assert (changed.role, changed.unit_name) == ("viewer", "示例二村")
    listed = table(at, "username").set_index("username")
    assert (listed.loc[editor.username, "role"], listed.loc[editor.username, "unit"]) == (
        "查看者",
        "示例二村",
    )

    at.selectbox(key="manage_user").select(admin.username).run()
    at.radio(key="change_role_role").set_value("viewer")
    at.button(key="FormSubmitter:change_role-保存角色和单位").click().run()
    assert [e.value for e in at.error] == ["不能更改自己的角色或单位，请由另一位管理员操作。"]
    assert auth.load_user(app_db, admin.id).role == "admin"


def test_the_audit_page_names_people(app_db: db.Database, demo_app: dict[str, auth.User]) -> None:
    admin = demo_app["admin"]
    units.rename_unit(app_db, admin, find_unit(app_db, "示例一村").id, "红旗村")
    at = run_app(admin, "pages/audit.py")
    entries = table(at, "内容")
    assert entries.iloc[0]["用户"] == "燕山乡admin"  # the person's name, not the login name
    names = at.multiselect(key="audit_users")
    assert names.format_func(admin.username) == f"燕山乡admin（{admin.username}）"
    assert names.format_func("示例数据") == "示例数据"

"""AppTest of 备份与恢复 and the daily backup the app starts; a restore logs every session out."""

from __future__ import annotations

import shutil
import zipfile
from datetime import date, datetime, timedelta

import pytest
from streamlit.testing.v1 import AppTest

from fazhi import auth, backup, db, records
from fazhi.settings import backups_dir
from fazhi.ui import resources, session
from fazhi.units import find_unit
from fazhi.validation import RecordInput
from tests.conftest import PASSWORD, log_in_app
from tests.test_pages import APP, app_db, demo_app, navigation_v2, run_app, texts  # noqa: F401  (fixtures)


@pytest.fixture
def top_admin(app_db: db.Database, demo_app: dict[str, auth.User]) -> auth.User:
    return auth.create_user(
        app_db, auth.system_user(), "top", PASSWORD, "admin", find_unit(app_db, "万州区").id
    )


def logged_in(user: auth.User, generation: int = 0) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    return log_in_app(at, user, generation=generation).run()


def test_a_township_administrator_is_told_who_may_back_up(demo_app: dict[str, auth.User]) -> None:
    at = run_app(demo_app["admin"], "pages/backup.py")
    assert not at.exception
    assert "备份和恢复包含全部单位的数据，只有最上级单位的管理员可以进行。" in texts(at)
    assert [b.key for b in at.button] == ["logout"] and not at.radio


def test_back_up_then_restore_from_the_list(app_db: db.Database, top_admin: auth.User, catalog) -> None:
    at = logged_in(top_admin)  # logged in as log_in() does it, with the database's generation
    at.switch_page("pages/backup.py").run()
    assert at.title[0].value == "备份与恢复"
    at.button(key="make_backup").click().run()
    assert not at.exception
    assert "已备份：89 条记录，0 个佐证材料文件。下方已选好这份备份，点“下载”即可。" in texts(at)
    made = backup.list_backups(app_db.path)
    assert [b.kind for b in made] == ["backup"]
    link = at.get("link_button")[0]  # served by fazhi/web.py to a logged-in top administrator only
    assert (link.key, link.proto.url) == ("download_backup", f"/files/backup/{made[0].path.name}")

    records.add_record(
        app_db,
        top_admin,
        catalog,
        RecordInput("market_day", find_unit(app_db, "燕山乡").id, "备份后", date(2021, 1, 4)),
    )
    assert records.record_count(app_db) == 90
    app_db.close()  # the test's own connection would keep the old file open beside the app's
    viewer = logged_in(auth.load_user(resources.connection(str(app_db.path)), _viewer_id(app_db)))

    at.selectbox(key="restore_choice").select(made[0].path.name).run()
    assert at.button(key="restore").disabled
    at.checkbox(key="restore_confirm").check().run()
    at.button(key="restore").click().run()
    assert not at.exception, at.exception
    assert "数据已从备份恢复，请重新登录。" in texts(at)  # the one restoring logs in again too
    assert at.subheader[0].value == "登录"
    live = resources.connection(str(app_db.path))
    assert records.record_count(live) == 89
    assert [b.kind for b in backup.list_backups(live.path)] == ["before-restore", "backup"]

    viewer.run()  # another browser, logged in before the restore
    assert session.USER_KEY not in viewer.session_state
    assert "数据已从备份恢复，请重新登录。" in texts(viewer)


def _viewer_id(closed: db.Database) -> int:
    row = resources.connection(str(closed.path)).one("SELECT id FROM users WHERE role = 'viewer'")
    return int(row[0])


def test_a_broken_file_in_the_folder_is_refused(app_db: db.Database, top_admin: auth.User) -> None:
    folder = backups_dir(app_db.path)
    folder.mkdir(parents=True)
    (folder / "fazhi-upload-20260102-030405.zip").write_bytes(b"PK\x03\x04 not a real zip")
    at = run_app(top_admin, "pages/backup.py")
    at.selectbox(key="restore_choice").select("fazhi-upload-20260102-030405.zip").run()
    at.checkbox(key="restore_confirm").check().run()
    at.button(key="restore").click().run()
    assert not at.exception
    assert [e.value for e in at.error][0].startswith("这不是完整的备份文件")
    assert records.record_count(app_db) == 89
    assert session.USER_KEY in at.session_state  # still logged in: nothing happened


def test_an_upload_goes_through_the_streaming_route_then_the_list(
    app_db: db.Database, top_admin: auth.User, tmp_path
) -> None:
    """The 上传 choice shows the app's own upload control (POST /files/backups, any size; tests/test_web.py),
    not Streamlit's 10 MB uploader; what it stored is restored from the list like any backup."""
    out = tmp_path / "upload.zip"
    backup.create_backup(app_db, top_admin, out)
    with app_db.transaction() as cur:
        cur.execute("UPDATE records SET title = '改过' WHERE id = 1")
    app_db.close()
    at = run_app(top_admin, "pages/backup.py")
    at.radio(key="restore_source").set_value("upload").run()
    assert not at.get("file_uploader")
    assert "/files/backups" in at.get("html")[-1].proto.body
    backups_dir(app_db.path).mkdir(exist_ok=True)
    shutil.copy(out, backups_dir(app_db.path) / "fazhi-upload-20260102-030405.zip")  # as the route names it
    at.radio(key="restore_source").set_value("folder").run()
    assert at.selectbox(key="restore_choice").value == "fazhi-upload-20260102-030405.zip"  # the newest
    at.checkbox(key="restore_confirm").check().run()
    at.button(key="restore").click().run()
    assert not at.exception
    live = resources.connection(str(app_db.path))
    assert live.one("SELECT title FROM records WHERE id = 1") != ("改过",)
    assert live.one("SELECT after_json->>'file' FROM audit_log ORDER BY id DESC LIMIT 1") == (
        "fazhi-upload-20260102-030405.zip",
    )


def test_the_app_makes_the_daily_backup_in_the_background(
    app_db: db.Database, demo_app: dict[str, auth.User], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAZHI_AUTO_BACKUP", "1")
    at = run_app()  # even the login page of the day's first visitor starts it
    assert not at.exception
    started = resources.daily_backup(resources.connection(str(app_db.path)))
    assert started is not None
    started.join(timeout=60)
    (made,) = backup.list_backups(app_db.path)
    assert made.kind == "auto" and made.created_at.date() == date.today()
    with zipfile.ZipFile(made.path) as archive:
        assert "manifest.json" in archive.namelist()
    run_app()  # the same day again: no second backup
    assert len(list(backups_dir(app_db.path).glob("*.zip"))) == 1


def test_no_daily_backup_when_switched_off(app_db: db.Database, demo_app: dict[str, auth.User]) -> None:
    run_app()
    assert resources.daily_backup(app_db) is None
    assert not backups_dir(app_db.path).exists()


def test_the_new_backup_is_the_one_offered_for_download(app_db: db.Database, top_admin: auth.User) -> None:
    older = backup.daily_backup(app_db, datetime.now() - timedelta(hours=2))
    at = logged_in(top_admin)
    at.switch_page("pages/backup.py").run()
    assert at.selectbox(key="backup_choice").value == older.name
    at.button(key="make_backup").click().run()
    assert not at.exception
    (made,) = [b for b in backup.list_backups(app_db.path) if b.kind == "backup"]
    assert at.selectbox(key="backup_choice").value == made.path.name


def test_a_new_installation_is_backed_up_on_its_first_day(
    app_db: db.Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAZHI_AUTO_BACKUP", "1")
    at = run_app()  # the 初始化 page of an empty database: nothing to back up yet
    assert at.title[0].value == "初始化法治政府建设工作台"
    live = resources.connection(str(app_db.path))
    assert resources.daily_backup(live) is None
    assert not backups_dir(app_db.path).exists()
    auth.create_first_admin(live, "admin", PASSWORD, "王五", "青石镇", "township")
    run_app()  # the next page after 初始化, the same day
    started = resources.daily_backup(live)
    assert started is not None
    started.join(timeout=60)
    (made,) = backup.list_backups(app_db.path)
    assert made.kind == "auto" and made.created_at.date() == date.today()

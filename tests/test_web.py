"""fazhi/web.py, called as ASGI like uvicorn calls it: the login cookie and its cross-site guard, downloads
checked like the pages (forged cookies, other units, path traversal), the streaming backup upload (oversized,
not a zip) and /healthz."""

from __future__ import annotations

import asyncio
import io
import json
import stat
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from PIL import Image
from starlette.applications import Starlette

from fazhi import attachments, auth, backup, db, sessions, web
from fazhi.catalog import Catalog
from fazhi.settings import backups_dir
from fazhi.units import find_unit
from tests.conftest import PASSWORD

HOST = "127.0.0.1:8501"
ORIGIN = f"http://{HOST}"
APP = Starlette(routes=web.routes())


@pytest.fixture(autouse=True)
def served(database: db.Database, monkeypatch: pytest.MonkeyPatch) -> db.Database:
    """The routes serve this test's database ($FAZHI_DB)."""
    monkeypatch.setenv("FAZHI_DB", str(database.path))
    return database


def call(
    method: str,
    target: str,
    *,
    cookie: str = "",
    headers: dict[str, str] | None = None,
    body: bytes = b"",
    chunk: int = 0,
) -> tuple[int, list[tuple[str, str]], bytes]:
    """(status, headers, body) of one request to the routes; `chunk` splits the body as a browser streams it."""
    url = urlsplit(target)
    sent_headers = {"host": HOST, **{k.lower(): v for k, v in (headers or {}).items()}}
    if cookie:
        sent_headers["cookie"] = f"{sessions.COOKIE}={cookie}"
    if body and "content-length" not in sent_headers:
        sent_headers["content-length"] = str(len(body))
    parts = [body[i : i + chunk] for i in range(0, len(body), chunk)] if chunk and body else [body]
    messages = [
        {"type": "http.request", "body": p, "more_body": i < len(parts) - 1} for i, p in enumerate(parts)
    ]
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": url.path,
        "raw_path": url.path.encode(),
        "query_string": url.query.encode(),
        "headers": [(k.encode(), v.encode()) for k, v in sent_headers.items()],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8501),
        "root_path": "",
    }
    out: list[dict] = []

    async def receive() -> dict:
        if messages:
            return messages.pop(0)
        await asyncio.sleep(3600)  # the browser stays until the answer is sent (the wait is cancelled then)
        return {"type": "http.disconnect"}

    async def send(message: dict) -> None:
        out.append(message)

    # a thread of its own: the browser tests' Playwright may hold an event loop in this one
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, APP(scope, receive, send)).result()
    start = next(m for m in out if m["type"] == "http.response.start")
    answer = b"".join(m.get("body", b"") for m in out if m["type"] == "http.response.body")
    return start["status"], [(k.decode(), v.decode()) for k, v in start["headers"]], answer


def header(headers: list[tuple[str, str]], name: str) -> str:
    return next((v for k, v in headers if k == name), "")


def logged_in(database: db.Database, user: auth.User) -> str:
    """A cookie token for the user, as the browser gets it."""
    _, ticket = sessions.start(database, user)
    status, headers, _ = call("POST", "/auth/session", headers={"Origin": ORIGIN, web.TICKET_HEADER: ticket})
    assert status == 204
    return header(headers, "set-cookie").split(";")[0].split("=", 1)[1]


def test_the_ticket_buys_an_httponly_strict_cookie(served: db.Database, users: dict[str, auth.User]) -> None:
    session_id, ticket = sessions.start(served, users["viewer"])
    status, headers, _ = call(
        "POST",
        "/auth/session",
        headers={"Origin": ORIGIN, "Sec-Fetch-Site": "same-origin", web.TICKET_HEADER: ticket},
    )
    assert status == 204
    cookie = header(headers, "set-cookie")
    name_value, *attributes = [part.strip() for part in cookie.split(";")]
    name, token = name_value.split("=", 1)
    assert name == "fazhi_session" and len(token) == 43
    assert sorted(a.lower() for a in attributes if not a.lower().startswith("max-age")) == [
        "httponly",
        "path=/",
        "samesite=strict",
    ]
    max_age = int(next(a for a in attributes if a.lower().startswith("max-age")).split("=")[1])
    assert 7 * 86400 - 5 <= max_age <= 7 * 86400
    assert sessions.check_token(served, token) == sessions.Verdict(session_id, users["viewer"].id)
    again = call("POST", "/auth/session", headers={"Origin": ORIGIN, web.TICKET_HEADER: ticket})
    assert (again[0], json.loads(again[2])) == (403, {"message": "登录凭据无效或已过期，请重新登录。"})


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "http://evil.example"},
        {"Origin": "http://127.0.0.1:8502"},
        {"Origin": "null"},
        {},  # no Origin at all
        {"Origin": ORIGIN, "Sec-Fetch-Site": "cross-site"},
        {"Origin": ORIGIN, "Sec-Fetch-Site": "same-site"},
    ],
)
def test_another_site_cannot_post_a_login(
    served: db.Database, users: dict[str, auth.User], headers: dict[str, str]
) -> None:
    _, ticket = sessions.start(served, users["viewer"])
    status, answer_headers, body = call(
        "POST", "/auth/session", headers={**headers, web.TICKET_HEADER: ticket}
    )
    assert (status, json.loads(body)) == (403, {"message": "请求不是来自本程序的页面，已拒绝。"})
    assert not header(answer_headers, "set-cookie")
    assert sessions.redeem(served, ticket) is not None  # the refused request did not use the ticket up


def test_logout_ends_the_session_and_deletes_the_cookie(
    served: db.Database, users: dict[str, auth.User]
) -> None:
    token = logged_in(served, users["editor"])
    refused = call(
        "POST",
        "/auth/logout",
        cookie=token,
        headers={"Origin": "http://evil.example", web.REQUEST_HEADER: "1"},
    )
    assert refused[0] == 403 and sessions.check_token(served, token).valid
    assert call("POST", "/auth/logout", cookie=token, headers={"Origin": ORIGIN})[0] == 403  # no app header
    status, headers, _ = call(
        "POST", "/auth/logout", cookie=token, headers={"Origin": ORIGIN, web.REQUEST_HEADER: "1"}
    )
    assert status == 204
    assert header(headers, "set-cookie").startswith('fazhi_session=""; expires=')
    assert sessions.check_token(served, token).reason == "logout"


def _photo_of(database: db.Database, catalog: Catalog, unit: str) -> attachments.Attachment:
    record_id = database.one(
        "SELECT min(r.id) FROM records r JOIN units u ON u.id = r.unit_id WHERE u.name = ? AND year(r.start_on) = 2020",
        [unit],
    )[0]
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(buffer, "PNG")
    added = attachments.add_files(
        database, auth.system_user(), catalog, record_id, [("现场 照片.png", buffer.getvalue())]
    )
    return added.added[0]


def test_an_evidence_file_needs_a_login_that_may_see_its_record(
    served: db.Database, users: dict[str, auth.User], catalog: Catalog
) -> None:
    photo = _photo_of(served, catalog, "示例一村")
    url = web.attachment_url(photo.id)
    assert url == f"/files/attachment/{photo.id}"
    status, headers, body = call("GET", url)
    assert status == 401 and "请先登录法治政府建设工作台" in body.decode()
    assert call("GET", url, cookie="forged-cookie-" + "x" * 30)[0] == 401
    status, headers, body = call("GET", url, cookie=logged_in(served, users["viewer"]))
    assert status == 200
    assert body == attachments.stored_path(served, photo.sha256).read_bytes()
    assert header(headers, "content-type") == "image/png"
    assert (
        header(headers, "content-disposition")
        == "attachment; filename*=utf-8''%E7%8E%B0%E5%9C%BA%20%E7%85%A7%E7%89%87.png"
    )
    assert header(headers, "x-content-type-options") == "nosniff"
    status, _, body = call("GET", url, cookie=logged_in(served, users["other_village_editor"]))
    assert status == 403 and "您没有查看“示例一村”数据的权限" in body.decode()
    status, _, body = call("GET", "/files/attachment/999999", cookie=logged_in(served, users["viewer"]))
    assert status == 404 and "找不到编号为 999999 的佐证材料" in body.decode()
    assert (
        call("GET", url, cookie=logged_in(served, users["viewer"]), headers={"Sec-Fetch-Site": "cross-site"})[
            0
        ]
        == 403
    )


def test_a_photo_thumbnail_is_checked_like_the_file(
    served: db.Database, users: dict[str, auth.User], catalog: Catalog
) -> None:
    photo = _photo_of(served, catalog, "示例一村")
    url = web.thumbnail_url(photo.id)
    assert url == f"/files/attachment/{photo.id}?size=thumb"
    assert call("GET", url)[0] == 401
    status, _, body = call("GET", url, cookie=logged_in(served, users["other_village_editor"]))
    assert status == 403 and "您没有查看“示例一村”数据的权限" in body.decode()
    status, headers, body = call("GET", url, cookie=logged_in(served, users["viewer"]))
    assert (status, header(headers, "content-type")) == (200, "image/jpeg")
    assert body == attachments.thumbnail(attachments.stored_path(served, photo.sha256).read_bytes())
    with Image.open(io.BytesIO(body)) as picture:
        assert (picture.format, picture.size) == ("JPEG", (40, 30))


def test_a_forged_attachment_row_cannot_name_another_file(
    served: db.Database, users: dict[str, auth.User], catalog: Catalog
) -> None:
    photo = _photo_of(served, catalog, "燕山乡")
    with served.transaction() as cur:
        cur.execute("UPDATE record_attachments SET sha256 = '../../fazhi.duckdb' WHERE id = ?", [photo.id])
    status, _, body = call("GET", web.attachment_url(photo.id), cookie=logged_in(served, users["admin"]))
    assert status == 404 and "找不到" in body.decode()  # never the database file
    for path in [
        "/files/attachment/..%2F..%2Ffazhi.duckdb",
        "/files/attachment/-1",
        "/files/attachment/1%00",
    ]:
        assert call("GET", path, cookie=logged_in(served, users["admin"]))[0] == 404


def test_the_evidence_package_is_streamed_from_a_temporary_file(
    served: db.Database,
    users: dict[str, auth.User],
    catalog: Catalog,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _photo_of(served, catalog, "示例一村")
    monkeypatch.setattr(web.tempfile, "tempdir", str(tmp_path))
    town = find_unit(served, "燕山乡")
    status, headers, body = call(
        "GET", web.evidence_url(town.id, 2020), cookie=logged_in(served, users["viewer"])
    )
    assert status == 200 and header(headers, "content-type") == "application/zip"
    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        names = archive.namelist()
    assert names[-1] == "燕山乡2020年佐证材料/索引.xlsx" and len(names) == 2
    assert not list(tmp_path.glob("fazhi-evidence-*"))  # deleted once sent
    status, _, body = call(
        "GET", web.evidence_url(town.id, 2020), cookie=logged_in(served, users["village_editor"])
    )
    assert status == 403 and "燕山乡" in body.decode()
    assert not list(tmp_path.glob("fazhi-evidence-*"))
    assert (
        call("GET", "/files/evidence?unit=abc&year=2020", cookie=logged_in(served, users["viewer"]))[0] == 400
    )
    assert call("GET", web.evidence_url(town.id, 2020))[0] == 401


@pytest.fixture
def top(served: db.Database, users: dict[str, auth.User]) -> auth.User:
    return auth.create_user(
        served, auth.system_user(), "top", PASSWORD, "admin", find_unit(served, "万州区").id
    )


def test_backups_are_served_by_exact_name_to_the_top_administrator(
    served: db.Database, users: dict[str, auth.User], top: auth.User
) -> None:
    made = backup.new_backup_path(served.path)
    backup.create_backup(served, top, made)
    url = web.backup_url(made.name)
    status, _, body = call("GET", url, cookie=logged_in(served, top))
    assert status == 200 and body == made.read_bytes()
    status, _, body = call("GET", url, cookie=logged_in(served, users["admin"]))
    assert status == 403 and "只有最上级单位的管理员" in body.decode()
    for name in ["..%2F" + served.path.name, served.path.name, "nothere.zip", "..%2F..%2Fetc%2Fpasswd"]:
        assert call("GET", f"/files/backup/{name}", cookie=logged_in(served, top))[0] == 404, name


def _zip_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("manifest.json", "{}")
    return buffer.getvalue()


def upload(served: db.Database, user: auth.User, body: bytes, **extra: str) -> tuple[int, dict]:
    headers = {"Origin": ORIGIN, web.REQUEST_HEADER: "1", "Content-Type": "application/zip", **extra}
    status, _, answer = call(
        "POST", "/files/backups", cookie=logged_in(served, user), headers=headers, body=body, chunk=1000
    )
    return status, json.loads(answer)


def test_a_large_backup_is_streamed_into_the_backups_folder(served: db.Database, top: auth.User) -> None:
    body = _zip_bytes() + b"\0" * 0  # a zip of a few hundred bytes, sent in chunks of 1000
    status, answer = upload(served, top, body)
    assert status == 200
    (stored,) = backups_dir(served.path).glob("fazhi-upload-*.zip")
    assert answer == {
        "name": stored.name,
        "message": f"已上传（1 MB），保存为 {stored.name}。请在“备份文件夹中的文件”中选择它，勾选确认后点“恢复”。",
    }
    assert stored.read_bytes() == body
    assert stat.S_IMODE(stored.stat().st_mode) == 0o600
    assert [b.kind for b in backup.list_backups(served.path)] == ["upload"]
    status, again = upload(served, top, body)  # a second one within the same second gets its own name
    assert status == 200 and again["name"] != stored.name


def test_uploads_that_are_not_backups_or_too_large_are_refused_in_chinese(
    served: db.Database, users: dict[str, auth.User], top: auth.User, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = backups_dir(served.path)
    assert upload(served, top, b"not a zip at all") == (
        400,
        {"message": "上传的文件不是 zip 格式的备份文件，未保存。"},
    )
    monkeypatch.setattr(web, "MAX_BACKUP_UPLOAD", 3000)
    big = _zip_bytes() + b"x" * 5000
    assert upload(served, top, big) == (413, {"message": "文件太大（1 MB），上传的备份不能超过 1 MB。"})
    # a browser that lies about the length is cut off while streaming
    assert upload(served, top, big, **{"Content-Length": "100"}) == (
        413,
        {"message": "文件太大，上传的备份不能超过 1 MB。"},
    )
    assert upload(served, top, b"") == (400, {"message": "没有收到文件内容，请重新选择文件后上传。"})
    assert upload(served, users["admin"], _zip_bytes())[0] == 403
    status, _, body = call(
        "POST", "/files/backups", headers={"Origin": ORIGIN, web.REQUEST_HEADER: "1"}, body=_zip_bytes()
    )
    assert (status, json.loads(body)) == (401, {"message": "登录已失效，请重新登录后再上传。"})
    status, _, _ = call(
        "POST",
        "/files/backups",
        cookie=logged_in(served, top),
        headers={"Origin": "http://evil.example", web.REQUEST_HEADER: "1"},
        body=_zip_bytes(),
    )
    assert status == 403
    assert sorted(p.name for p in folder.iterdir()) == []  # nothing left behind, not even a .part


def test_health(served: db.Database) -> None:
    status, headers, body = call("GET", "/healthz")
    assert (status, json.loads(body)) == (200, {"status": "ok"})

"""The app's own HTTP routes, served beside Streamlit's by st.App (server.py): the login cookie, downloads
streamed from disk, the upload of a large backup, and /healthz.

| route                              | what it does                                                          |
|------------------------------------|-----------------------------------------------------------------------|
| POST /auth/session                 | trades a login's one-time ticket (header X-Fazhi-Ticket) for the cookie |
| POST /auth/logout                  | ends the cookie's session and deletes the cookie                      |
| GET  /files/attachment/{id}        | one evidence file, if the user may see its record (?size=thumb: photo) |
| GET  /files/evidence?unit=&year=   | the year's 佐证材料包, written to a temporary file and streamed         |
| GET  /files/backup/{name}          | a zip of the backups folder (最上级单位的管理员)                        |
| POST /files/backups                | a backup zip of any size streamed into the backups folder             |
| GET  /healthz                      | 200 {"status": "ok"} when the database answers, else 503              |

Every route but /healthz needs a valid session cookie (HttpOnly, SameSite=Strict). The POST routes also
need a same-origin request: an Origin header naming this server (and Sec-Fetch-Site, where sent, equal to
same-origin) plus a header a cross-site form cannot send, so another web page cannot post to them.
Handlers that touch the database are plain functions, which Starlette runs in its thread pool, so the event
loop that carries every page's websocket never waits for DuckDB or a zip.
"""

from __future__ import annotations

import html
import os
import re
import shutil
import tempfile
import uuid
import zipfile
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import quote

from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, Response
from starlette.routing import BaseRoute, Route

from fazhi import attachments, auth, backup, evidence, sessions, worker
from fazhi.catalog import load_catalog
from fazhi.db import Database, shared
from fazhi.errors import FazhiError, NotFound, PermissionDenied
from fazhi.permissions import User
from fazhi.settings import backups_dir, database_url

TICKET_HEADER = "X-Fazhi-Ticket"
REQUEST_HEADER = "X-Fazhi-Request"  # sent by the app's own scripts; a cross-site form cannot set headers
MAX_BACKUP_UPLOAD = 64 * 1024**3  # bytes; the free disk space is checked as well
DISK_MARGIN = 512 * 1024**2  # what an upload leaves free on the disk at least
_NAME = re.compile(r"^[A-Za-z0-9._-]{1,120}\.zip$")
_SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "private, no-store",
    # a downloaded HTML or SVG file must never run as a page of this site
    "Content-Security-Policy": "sandbox; default-src 'none'",
}


def attachment_url(attachment_id: int) -> str:
    """Where the page links one evidence file."""
    return f"/files/attachment/{int(attachment_id)}"


def thumbnail_url(attachment_id: int) -> str:
    """Where the page shows a photo's thumbnail (the same permission check as the file)."""
    return f"{attachment_url(attachment_id)}?size=thumb"


def evidence_url(unit_id: int, year: int) -> str:
    """Where the page links the year's 佐证材料包 of a unit."""
    return f"/files/evidence?unit={int(unit_id)}&year={int(year)}"


def backup_url(name: str) -> str:
    """Where the page links a zip of the backups folder."""
    return f"/files/backup/{quote(name)}"


def database() -> Database:
    """The server's shared connection (the one the pages use)."""
    return shared(database_url())


def _is_https(request: Request) -> bool:
    return request.url.scheme == "https" or request.headers.get("x-forwarded-proto", "") == "https"


def same_origin(request: Request) -> bool:
    """True when the browser says the request comes from a page of this server (Origin, Sec-Fetch-Site)."""
    site = request.headers.get("sec-fetch-site")
    if site is not None and site != "same-origin":
        return False
    origin = request.headers.get("origin", "")
    hosts = {request.headers.get("host", ""), request.headers.get("x-forwarded-host", "")} - {""}
    return bool(origin) and any(origin in (f"http://{host}", f"https://{host}") for host in hosts)


def request_user(db: Database, request: Request) -> User | None:
    """The user whose live session the request's cookie names, or None (no, forged or ended cookie)."""
    verdict = sessions.check_token(db, request.cookies.get(sessions.COOKIE, ""))
    if not verdict.valid or verdict.user_id is None:
        return None
    return auth.load_user(db, verdict.user_id)


def message_page(status: int, title: str, text: str) -> HTMLResponse:
    """A small Chinese page for a download that cannot be served, with the way back."""
    body = (
        '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)} · 法治政府建设工作台</title>"
        "<style>body{font-family:'Microsoft YaHei','Noto Sans CJK SC',sans-serif;margin:3em auto;"
        "max-width:40em;color:#31333f;line-height:1.7}a{color:#0068c9}</style></head><body>"
        f"<h2>{html.escape(title)}</h2><p>{html.escape(text)}</p>"
        '<p><a href="/">返回法治政府建设工作台</a></p></body></html>'
    )
    return HTMLResponse(body, status_code=status, headers={"Cache-Control": "no-store"})


def _refused(error: FazhiError) -> HTMLResponse:
    if isinstance(error, PermissionDenied):
        return message_page(403, "没有权限", error.message)
    if isinstance(error, NotFound):
        return message_page(404, "找不到文件", error.message)
    return message_page(400, "无法下载", error.message)


NOT_LOGGED_IN = "请先登录法治政府建设工作台，再从页面上的“下载”按钮下载。登录超过有效期或已退出时也会这样。"


def _download(request: Request) -> tuple[Database, User] | HTMLResponse:
    """The database and the user for a download, or the page that says why not."""
    if request.headers.get("sec-fetch-site") == "cross-site":
        return message_page(403, "无法下载", "请从法治政府建设工作台的页面上下载。")
    db = database()
    user = request_user(db, request)
    if user is None:
        return message_page(401, "请先登录", NOT_LOGGED_IN)
    return db, user


# ───────────── the login cookie ─────────────


def take_session(request: Request) -> Response:
    """POST /auth/session: the login page's script trades its one-time ticket for the session cookie."""
    if not same_origin(request):
        return JSONResponse({"message": "请求不是来自本程序的页面，已拒绝。"}, status_code=403)
    taken = sessions.redeem(database(), request.headers.get(TICKET_HEADER, ""))
    if taken is None:
        return JSONResponse({"message": "登录凭据无效或已过期，请重新登录。"}, status_code=403)
    token, expires_at = taken
    response = Response(status_code=204, headers={"Cache-Control": "no-store"})
    response.set_cookie(
        sessions.COOKIE,
        token,
        max_age=max(0, int((expires_at - datetime.now()).total_seconds())),
        path="/",
        httponly=True,
        samesite="strict",
        secure=_is_https(request),
    )
    return response


def log_out(request: Request) -> Response:
    """POST /auth/logout: end the cookie's session (every tab of the browser) and delete the cookie."""
    if not same_origin(request) or request.headers.get(REQUEST_HEADER) != "1":
        return JSONResponse({"message": "请求不是来自本程序的页面，已拒绝。"}, status_code=403)
    sessions.end_token(database(), request.cookies.get(sessions.COOKIE, ""), "logout")
    response = Response(status_code=204, headers={"Cache-Control": "no-store"})
    response.delete_cookie(
        sessions.COOKIE, path="/", httponly=True, samesite="strict", secure=_is_https(request)
    )
    return response


# ───────────── downloads ─────────────


def attachment_file(request: Request) -> Response:
    """GET /files/attachment/{id}: one evidence file, streamed from the attachments folder."""
    found = _download(request)
    if isinstance(found, Response):
        return found
    db, user = found
    try:
        item, path = attachments.open_file(
            db, user, load_catalog(), int(request.path_params["attachment_id"])
        )
    except FazhiError as error:
        return _refused(error)
    if request.query_params.get("size") == "thumb":  # 记录详情's <img>: a small JPEG of a photo
        picture = attachments.thumbnail(Path(path).read_bytes()) if item.is_image else None
        if picture is None:
            return _refused(NotFound("这个文件没有缩略图。"))
        return Response(
            picture,
            media_type="image/jpeg",
            headers={**_SECURITY_HEADERS, "Cache-Control": "private, max-age=3600"},
        )
    return FileResponse(path, media_type=item.mime, filename=item.filename, headers=_SECURITY_HEADERS)


def evidence_package(request: Request) -> Response:
    """GET /files/evidence?unit=ID&year=YYYY: the year's 佐证材料包, written to a temporary file, then streamed
    and deleted."""
    found = _download(request)
    if isinstance(found, Response):
        return found
    db, user = found
    try:
        unit_id, year = int(request.query_params.get("unit", "")), int(request.query_params.get("year", ""))
    except ValueError:
        return message_page(400, "无法下载", "下载地址不完整（缺少单位或年度），请从“导入导出”页面重新下载。")
    descriptor, name = tempfile.mkstemp(prefix="fazhi-evidence-", suffix=".zip")
    os.close(descriptor)
    try:  # the database read here, the zip written by the worker process when the server runs one
        contents = evidence.contents(db, user, load_catalog(), unit_id, year)
        package = worker.call(evidence.write_file, contents, name, task="打包佐证材料")
    except FazhiError as error:
        os.unlink(name)
        return _refused(error)
    except BaseException:
        os.unlink(name)
        raise
    return FileResponse(
        name,
        media_type="application/zip",
        filename=package.filename,
        headers=_SECURITY_HEADERS,
        background=BackgroundTask(os.unlink, name),
    )


def backup_file(request: Request) -> Response:
    """GET /files/backup/{name}: a zip of the backups folder, by its exact name (no other path)."""
    found = _download(request)
    if isinstance(found, Response):
        return found
    db, user = found
    name = str(request.path_params["name"])
    try:
        backup.require_backup_admin(user)
        if not _NAME.match(name):
            raise NotFound("备份文件名不合规。")
        item = backup.find_backup(db.path, name)
    except FazhiError as error:
        return _refused(error)
    return FileResponse(item.path, media_type="application/zip", filename=name, headers=_SECURITY_HEADERS)


# ───────────── a large backup, uploaded ─────────────


def _upload_refused(status: int, message: str) -> JSONResponse:
    return JSONResponse({"message": message}, status_code=status)


def _size_text(size: int) -> str:
    return f"{size / 1024**3:.1f} GB" if size >= 1024**3 else f"{max(1, size // 1024**2)} MB"


async def upload_backup(request: Request) -> Response:
    """POST /files/backups: a backup zip of any size (the raw request body), streamed into the backups
    folder as fazhi-upload-<time>.zip, to be chosen and restored on the page (which checks everything)."""
    if not same_origin(request) or request.headers.get(REQUEST_HEADER) != "1":
        return _upload_refused(403, "请求不是来自本程序的页面，已拒绝。")
    db = database()
    user = await run_in_threadpool(request_user, db, request)
    if user is None:
        return _upload_refused(401, "登录已失效，请重新登录后再上传。")
    try:
        backup.require_backup_admin(user)
    except PermissionDenied as error:
        return _upload_refused(403, error.message)
    folder = backups_dir(db.path)
    folder.mkdir(parents=True, exist_ok=True)
    try:
        declared = int(request.headers.get("content-length", ""))
    except ValueError:
        declared = -1
    if declared > MAX_BACKUP_UPLOAD:
        return _upload_refused(
            413, f"文件太大（{_size_text(declared)}），上传的备份不能超过 {_size_text(MAX_BACKUP_UPLOAD)}。"
        )
    free = shutil.disk_usage(folder).free
    if declared > 0 and declared + DISK_MARGIN > free:
        return _upload_refused(
            507,
            f"服务器磁盘空间不足（剩余 {_size_text(free)}），无法保存这个 {_size_text(declared)} 的文件。",
        )
    part = folder / f".upload-{uuid.uuid4().hex}.part"
    written = 0
    try:
        with part.open("wb") as handle:
            async for chunk in request.stream():
                written += len(chunk)
                if written > MAX_BACKUP_UPLOAD or (declared >= 0 and written > declared):
                    raise _TooLarge
                await run_in_threadpool(handle.write, chunk)
        if written == 0:
            raise _Empty
        if not await run_in_threadpool(zipfile.is_zipfile, part):
            part.unlink(missing_ok=True)
            return _upload_refused(400, "上传的文件不是 zip 格式的备份文件，未保存。")
        target = await run_in_threadpool(_place_upload, part, db.path)
    except _TooLarge:
        part.unlink(missing_ok=True)
        return _upload_refused(413, f"文件太大，上传的备份不能超过 {_size_text(MAX_BACKUP_UPLOAD)}。")
    except _Empty:
        part.unlink(missing_ok=True)
        return _upload_refused(400, "没有收到文件内容，请重新选择文件后上传。")
    except OSError as error:
        part.unlink(missing_ok=True)
        return _upload_refused(507, f"无法保存上传的文件：{error.strerror or error}。")
    except BaseException:  # the browser went away mid-upload: leave nothing behind
        part.unlink(missing_ok=True)
        raise
    return JSONResponse(
        {
            "name": target.name,
            "message": f"已上传（{_size_text(written)}），保存为 {target.name}。"
            "请在“备份文件夹中的文件”中选择它，勾选确认后点“恢复”。",
        }
    )


class _TooLarge(Exception):
    pass


class _Empty(Exception):
    pass


def _place_upload(part: Path, db_file: Path) -> Path:
    """Move a finished upload to a name of its own in the backups folder (readable by the program only)."""
    now = datetime.now()
    target = backup.new_backup_path(db_file, "upload", now)
    while target.exists():  # two uploads within a second
        now += timedelta(seconds=1)
        target = backup.new_backup_path(db_file, "upload", now)
    os.replace(part, target)
    try:
        os.chmod(target, 0o600)
    except OSError:
        pass
    return target


# ───────────── health ─────────────


def health(request: Request) -> Response:
    """GET /healthz: {"status": "ok"} when the database answers (for systemd and monitoring)."""
    try:
        database().one("SELECT 1")
    except FazhiError as error:
        return JSONResponse({"status": "error", "message": error.message}, status_code=503)
    except Exception as error:  # any failure is "not healthy", said in the body
        return JSONResponse({"status": "error", "message": str(error)}, status_code=503)
    return JSONResponse({"status": "ok"}, headers={"Cache-Control": "no-store"})


def routes() -> list[BaseRoute]:
    """The routes st.App serves before Streamlit's own."""
    return [
        Route("/auth/session", take_session, methods=["POST"]),
        Route("/auth/logout", log_out, methods=["POST"]),
        Route("/files/attachment/{attachment_id:int}", attachment_file, methods=["GET"]),
        Route("/files/evidence", evidence_package, methods=["GET"]),
        Route("/files/backup/{name}", backup_file, methods=["GET"]),
        Route("/files/backups", upload_backup, methods=["POST"]),
        Route("/healthz", health, methods=["GET"]),
    ]

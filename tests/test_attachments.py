"""fazhi.attachments: type by content, stored once by hash, linked with permissions, locks and audit."""

from __future__ import annotations

import hashlib
import json
from datetime import date

import pytest

from fazhi import attachments, auth, db, locks, records
from fazhi.catalog import Catalog
from fazhi.errors import InvalidFile, NotFound, PermissionDenied, YearLocked
from fazhi.settings import attachments_dir
from fazhi.units import find_unit
from tests import evidence_files as files


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (files.image("JPEG"), "jpeg"),
        (files.image("PNG"), "png"),
        (files.image("GIF"), "gif"),
        (files.image("WEBP"), "webp"),
        (files.pdf(), "pdf"),
        (files.docx(), "docx"),
        (files.xlsx(), "xlsx"),
        (files.ole("WordDocument"), "doc"),
        (files.ole("Workbook"), "xls"),
        (files.macro_docx(), "macro"),
        (files.plain_zip(), None),
        (b"MZ\x90\x00 this is a program", None),
        (b"just some text", None),
        (b"", None),
    ],
)
def test_sniff_by_content(data: bytes, kind: str | None) -> None:
    assert attachments.sniff(data) == kind


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        (
            "照片.jpg",
            b"MZ\x90\x00 program",
            "“照片.jpg”的内容不是可接受的文件类型，未上传。只接受" + attachments.ACCEPTED + "。",
        ),
        ("空.pdf", b"", "“空.pdf”是空文件，未上传。"),
        (
            "签到表.docx",
            files.pdf(),
            "“签到表.docx”扩展名是 .docx，但内容是PDF 文件，未上传。请改正扩展名（.pdf）后再上传。",
        ),
        (
            "签到表",
            files.pdf(),
            "“签到表”没有扩展名，但内容是PDF 文件，未上传。请改正扩展名（.pdf）后再上传。",
        ),
        (
            "宏.docx",
            files.macro_docx(),
            "“宏.docx”是含宏的 Office 文件，为安全起见不接受。请另存为 DOCX 或 XLSX 后再上传。",
        ),
        (
            "打包.xlsx",
            files.plain_zip(),
            "“打包.xlsx”的内容不是可接受的文件类型，未上传。只接受" + attachments.ACCEPTED + "。",
        ),
    ],
)
def test_refused_files_are_named_with_the_reason(name: str, data: bytes, message: str) -> None:
    with pytest.raises(InvalidFile) as caught:
        attachments.check(name, data)
    assert [(p.field, p.message) for p in caught.value.problems] == [(name, message)]


def test_size_limit_and_image_extensions() -> None:
    big = files.image("PNG", (1200, 1200)) + b"\x00" * (1024 * 1024)
    with pytest.raises(InvalidFile, match=r"“大.png”有1\.0 MB，超过每个文件0\.5 MB的上限，未上传。"):
        attachments.check("大.png", big, limit_mb=0.5)
    assert attachments.check("大.png", big, limit_mb=10) == "png"
    assert (
        attachments.check("微信图片.png", files.image("JPEG")) == "jpeg"
    )  # a photo named as another photo type
    assert attachments.check("C:\\Users\\x\\Desktop\\现场.JPG", files.image("JPEG")) == "jpeg"


def test_the_default_limit_is_streamlits_max_upload_size() -> None:
    assert attachments.max_upload_mb() == 10
    with pytest.raises(InvalidFile, match="超过每个文件10 MB的上限"):
        attachments.check("大.pdf", files.pdf() + b"\x00" * (10 * 1024 * 1024))


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("../../etc/passwd.jpg", "passwd.jpg"),
        ("C:\\照片\\现场 1.jpg", "现场 1.jpg"),
        ("a<b>:c\x00.pdf", "a_b__c_.pdf"),
        ("", "未命名文件"),
        ("长" * 200 + ".jpeg", "长" * 115 + ".jpeg"),
    ],
)
def test_clean_filename(raw: str, clean: str) -> None:
    assert attachments.clean_filename(raw) == clean


def _record(database: db.Database, user: auth.User, catalog: Catalog, title: str = "赶场日宣传") -> int:
    item = records.RecordInput(
        "market_day", find_unit(database, "燕山乡").id, title, date(2020, 3, 15), values={"materials": 10}
    )
    return records.add_record(database, user, catalog, item).id


def test_files_are_stored_once_by_hash_and_linked(
    demo: db.Database, catalog: Catalog, users: dict[str, auth.User]
) -> None:
    editor = users["editor"]
    first, second = _record(demo, editor, catalog, "一"), _record(demo, editor, catalog, "二")
    photo, sheet = files.image("JPEG"), files.docx()
    result = attachments.add_files(
        demo, editor, catalog, first, [("现场.jpg", photo), ("签到表.docx", sheet)]
    )
    assert [(a.filename, a.mime, a.size) for a in result.added] == [
        ("现场.jpg", "image/jpeg", len(photo)),
        ("签到表.docx", attachments.KINDS["docx"].mime, len(sheet)),
    ]
    again = attachments.add_files(demo, editor, catalog, first, [("现场(1).jpg", photo)])
    assert (again.added, again.already) == ((), ("现场(1).jpg",))
    attachments.add_files(demo, editor, catalog, second, [("同一张.jpg", photo)])

    sha = hashlib.sha256(photo).hexdigest()
    path = attachments_dir(demo.path) / sha[:2] / sha
    assert path.read_bytes() == photo
    stored = sorted(p.name for p in attachments_dir(demo.path).rglob("*") if p.is_file())
    assert stored == sorted([sha, hashlib.sha256(sheet).hexdigest()])
    assert demo.one("SELECT count(*) FROM attachments") == (2,)
    assert [a.filename for a in attachments.list_files(demo, editor, catalog, first)] == [
        "现场.jpg",
        "签到表.docx",
    ]
    assert [a.filename for a in attachments.list_files(demo, editor, catalog, second)] == ["同一张.jpg"]
    assert attachments.count_files(demo, [first, second, 999]) == {first: 2, second: 1}

    attachment, data = attachments.read_file(demo, users["viewer"], catalog, result.added[1].id)
    assert (attachment.filename, data) == ("签到表.docx", sheet)

    attachments.remove_file(demo, editor, catalog, result.added[0].id)
    assert [a.filename for a in attachments.list_files(demo, editor, catalog, first)] == ["签到表.docx"]
    assert path.exists()  # still linked to the second record, and kept for backups anyway
    logged = demo.rows(
        "SELECT action, username, before_json, after_json FROM audit_log WHERE entity = 'attachment' ORDER BY id"
    )
    assert [(a, u) for a, u, _, _ in logged] == [
        ("create", editor.username),
        ("create", editor.username),
        ("create", editor.username),
        ("delete", editor.username),
    ]
    assert json.loads(logged[0][3]) == {
        "filename": "现场.jpg",
        "mime": "image/jpeg",
        "record_id": first,
        "sha256": sha,
        "size": len(photo),
    }
    assert json.loads(logged[3][2])["filename"] == "现场.jpg" and logged[3][3] is None


def test_one_bad_file_refuses_the_whole_upload(
    demo: db.Database, catalog: Catalog, users: dict[str, auth.User]
) -> None:
    record_id = _record(demo, users["editor"], catalog)
    with pytest.raises(InvalidFile) as caught:
        attachments.add_files(
            demo,
            users["editor"],
            catalog,
            record_id,
            [("好.jpg", files.image("JPEG")), ("坏.pdf", b"not a pdf"), ("也坏.png", b"")],
        )
    assert [p.field for p in caught.value.problems] == ["坏.pdf", "也坏.png"]
    assert demo.one("SELECT count(*) FROM record_attachments") == (0,)
    assert not attachments_dir(demo.path).exists()


def test_permissions_and_year_lock(demo: db.Database, catalog: Catalog, users: dict[str, auth.User]) -> None:
    record_id = _record(demo, users["editor"], catalog)
    photo = [("现场.jpg", files.image("JPEG"))]
    with pytest.raises(PermissionDenied, match="查看者"):
        attachments.add_files(demo, users["viewer"], catalog, record_id, photo)
    with pytest.raises(PermissionDenied):
        attachments.list_files(demo, users["village_editor"], catalog, record_id)
    added = attachments.add_files(demo, users["editor"], catalog, record_id, photo).added[0]
    locks.lock_year(demo, users["admin"], find_unit(demo, "燕山乡"), 2020)
    with pytest.raises(YearLocked):
        attachments.add_files(demo, users["editor"], catalog, record_id, [("另一张.png", files.image("PNG"))])
    with pytest.raises(YearLocked):
        attachments.remove_file(demo, users["editor"], catalog, added.id)
    assert len(attachments.list_files(demo, users["viewer"], catalog, record_id)) == 1


def test_a_missing_stored_file_is_explained(
    demo: db.Database, catalog: Catalog, users: dict[str, auth.User]
) -> None:
    record_id = _record(demo, users["editor"], catalog)
    added = attachments.add_files(
        demo, users["editor"], catalog, record_id, [("现场.jpg", files.image())]
    ).added[0]
    attachments.stored_path(demo, added.sha256).unlink()
    with pytest.raises(
        NotFound, match="佐证材料“现场.jpg”的文件不在 .* 中，可能被移动或删除。请从备份恢复。"
    ):
        attachments.read_file(demo, users["editor"], catalog, added.id)


def test_thumbnail() -> None:
    from io import BytesIO

    from PIL import Image

    thumb = attachments.thumbnail(files.image("PNG", (1600, 900)), size=320)
    assert thumb is not None
    with Image.open(BytesIO(thumb)) as image:
        assert (image.format, image.size) == ("JPEG", (320, 180))
    assert attachments.thumbnail(b"not an image") is None

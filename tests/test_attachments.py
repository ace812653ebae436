"""fazhi.attachments: type by content, stored once by hash, linked with permissions, locks and audit."""

from __future__ import annotations

import hashlib
import json
from datetime import date

import pytest

from fazhi import attachments, auth, db, file_checks, locks, records, validation
from fazhi.catalog import Catalog
from fazhi.errors import InvalidFile, NotFound, PermissionDenied, YearLocked
from fazhi.settings import attachments_dir, max_upload_mb
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
        (files.ole("WordDocument", "Macros/"), "macro"),  # a .doc with a VBA storage
        (files.ole("Workbook", "_VBA_PROJECT_CUR/"), "macro"),  # an .xls with a VBA project
        (files.plain_zip(), None),
        (b"MZ\x90\x00 this is a program", None),
        (b"just some text", None),
        (b"", None),
    ],
)
def test_sniff_by_content(data: bytes, kind: str | None) -> None:
    assert file_checks.sniff(data) == kind


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        (
            "照片.jpg",
            b"MZ\x90\x00 program",
            "“照片.jpg”的内容不是可接受的文件类型，未上传。只接受" + file_checks.ACCEPTED + "。",
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
            "“打包.xlsx”的内容不是可接受的文件类型，未上传。只接受" + file_checks.ACCEPTED + "。",
        ),
    ],
)
def test_refused_files_are_named_with_the_reason(name: str, data: bytes, message: str) -> None:
    with pytest.raises(InvalidFile) as caught:
        file_checks.check(name, data)
    assert [(p.field, p.message) for p in caught.value.problems] == [(name, message)]


def test_size_limit_and_image_extensions() -> None:
    big = files.png_with_chunk(1024 * 1024)
    with pytest.raises(InvalidFile, match=r"“大.png”有1\.0 MB，超过每个文件0\.5 MB的上限，未上传。"):
        file_checks.check("大.png", big, limit_mb=0.5)
    assert file_checks.check("大.png", big, limit_mb=10) == "png"
    assert (
        file_checks.check("微信图片.png", files.image("JPEG")) == "jpeg"
    )  # a photo named as another photo type
    assert file_checks.check("C:\\Users\\x\\Desktop\\现场.JPG", files.image("JPEG")) == "jpeg"


def test_the_default_limit_is_streamlits_max_upload_size() -> None:
    assert max_upload_mb() == 10
    with pytest.raises(InvalidFile, match="超过每个文件10 MB的上限"):
        file_checks.check("大.pdf", files.pdf() + b"\x00" * (10 * 1024 * 1024))


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
    assert file_checks.clean_filename(raw) == clean


def _record(database: db.Database, user: auth.User, catalog: Catalog, title: str = "赶场日宣传") -> int:
    item = validation.RecordInput(
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
        ("签到表.docx", file_checks.KINDS["docx"].mime, len(sheet)),
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
    assert not attachments.stored_path(demo, hashlib.sha256(photo[0][1]).hexdigest()).exists()
    with pytest.raises(PermissionDenied):
        attachments.list_files(demo, users["village_editor"], catalog, record_id)
    added = attachments.add_files(demo, users["editor"], catalog, record_id, photo).added[0]
    locks.lock_year(demo, users["admin"], find_unit(demo, "燕山乡"), 2020)
    other = files.image("PNG", color="blue")
    with pytest.raises(YearLocked):
        attachments.add_files(demo, users["editor"], catalog, record_id, [("另一张.png", other)])
    # refused before a byte went to disk (issue 10: files were written, then refused)
    assert not attachments.stored_path(demo, hashlib.sha256(other).hexdigest()).exists()
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


EXTERNAL_TEMPLATE = (
    b'<Relationship Id="rIdX" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
    b'attachedTemplate" Target="http://example.invalid/t.dotm" TargetMode="External"/>'
)
MHTML_OBJECT = (
    b'<Relationship Id="rIdY" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
    b'oleObject" Target="mhtml:http://example.invalid/x!x.html" TargetMode="External"/>'
)
ALT_CHUNK = (
    b'<Relationship Id="rIdZ" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
    b'aFChunk" Target="chunk.mht"/>'
)
REMOTE_PICTURE = (
    b'<Relationship Id="rIdP" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
    b'image" Target="http://example.invalid/track.png" TargetMode="External"/>'
)
A_LINK = (
    b'<Relationship Id="rIdL" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
    b'hyperlink" Target="http://www.gov.cn/" TargetMode="External"/>'
)

HOSTILE_EVIDENCE = [
    ("宏.doc", lambda: files.ole("WordDocument", "Macros/"), "含宏"),
    ("宏.xls", lambda: files.ole("Workbook", "_VBA_PROJECT_CUR/"), "含宏"),
    (
        "外部模板.docx",
        lambda: files.office_with_rels(files.docx(), "word/_rels/document.xml.rels", EXTERNAL_TEMPLATE),
        "外部内容",
    ),
    (
        "mhtml.docx",
        lambda: files.office_with_rels(files.docx(), "word/_rels/document.xml.rels", MHTML_OBJECT),
        "外部内容",
    ),
    (
        "altchunk.docx",
        lambda: files.office_with_rels(files.docx(), "word/_rels/document.xml.rels", ALT_CHUNK),
        "外部内容",
    ),
    (
        "远程图片.xlsx",
        lambda: files.office_with_rels(files.xlsx(), "xl/_rels/workbook.xml.rels", REMOTE_PICTURE),
        "外部内容",
    ),
    ("脚本.pdf", lambda: files.pdf_with(b"/OpenAction << /S /JavaScript /JS (app.alert(1)) >>"), "脚本"),
    ("启动.pdf", lambda: files.pdf_with(b"/OpenAction << /S /Launch /F (cmd.exe) >>"), "脚本"),
    ("转义.pdf", lambda: files.pdf_with(b"/OpenAction << /S /J#61vaScript /JS (x) >>"), "脚本"),
    ("藏在流里.pdf", lambda: files.pdf_with(b"/S /JavaScript /JS (x)", compressed=True), "脚本"),
    ("网页.png", lambda: files.image("PNG") + b"<html><script>alert(1)</script></html>", "附带了其他内容"),
    ("尾巴.jpg", lambda: files.image("JPEG") + b"PK\x03\x04zip", "附带了其他内容"),
    ("尾巴.gif", lambda: files.image("GIF") + b"MZ", "附带了其他内容"),
    ("尾巴.webp", lambda: files.image("WEBP") + b"<?php ?>", "附带了其他内容"),
]


@pytest.mark.parametrize(("name", "make", "said"), HOSTILE_EVIDENCE, ids=[h[0] for h in HOSTILE_EVIDENCE])
def test_hostile_evidence_is_refused_before_anything_is_stored(
    demo: db.Database, catalog: Catalog, users: dict[str, auth.User], name: str, make, said: str
) -> None:
    record_id = _record(demo, users["editor"], catalog)
    data = make()
    with pytest.raises(InvalidFile, match=said):
        attachments.add_files(demo, users["editor"], catalog, record_id, [(name, data)])
    assert not attachments.stored_path(demo, hashlib.sha256(data).hexdigest()).exists()
    assert attachments.list_files(demo, users["editor"], catalog, record_id) == []


def test_ordinary_office_files_with_links_and_plain_pdfs_are_accepted() -> None:
    linked = files.office_with_rels(files.docx(), "word/_rels/document.xml.rels", A_LINK)
    assert file_checks.check("带链接.docx", linked) == "docx"
    assert file_checks.check("普通.pdf", files.pdf_with(b"/PageMode /UseOutlines", compressed=True)) == "pdf"
    assert file_checks.check("大图.png", files.png_with_chunk(2048)) == "png"


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("现场\u202egpj.exe", "现场gpj.exe"),  # an RTL override would show it as 现场exe.jpg
        ("CON.png", "_CON.png"),
        ("nul", "_nul"),
        ("LPT1.pdf", "_LPT1.pdf"),
        ("签到\u200b表.pdf", "签到表.pdf"),
        ("console.png", "console.png"),
    ],
)
def test_file_names_lose_invisible_characters_and_device_names(typed: str, stored: str) -> None:
    assert file_checks.clean_filename(typed) == stored

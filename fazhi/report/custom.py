"""A unit's own report template: upload (checked first), use, reset to the default, and the reference of
every variable a template may use with an example value from the current data.

Templates live beside the database in templates/unit-<id>.docx (settings.templates_dir); the upload
is recorded in unit_settings and the audit log. A template is refused, with the problem named, when it
is not a .docx, when a Jinja tag is broken (the tag's paragraph quoted), when it uses variables the
report does not provide (listed), or when a trial render with the current data fails.
"""

from __future__ import annotations

import hashlib
import io
import re
import zipfile
from datetime import datetime
from pathlib import Path
from typing import Any

import jinja2
from docxtpl import DocxTemplate
from jinja2 import meta

from fazhi import audit
from fazhi.db import Database
from fazhi.errors import ReportTemplateError
from fazhi.permissions import User, require_admin, require_view
from fazhi.report.render import describe, jinja_env, open_template, paragraph_lines, render
from fazhi.report.variables import VARIABLES
from fazhi.settings import max_upload_mb, templates_dir
from fazhi.units import Unit

SETTING = "report.template"
_TAGS = re.compile(r"<[^>]+>")


def template_file(db: Database, unit: Unit) -> Path:
    """Where the unit's own template is kept: <database folder>/templates/unit-<id>.docx."""
    return templates_dir(db.path) / f"unit-{unit.id}.docx"


def stored_template(db: Database, unit: Unit) -> bytes | None:
    """The unit's own template, or None when it uses the default."""
    path = template_file(db, unit)
    return path.read_bytes() if path.exists() else None


def template_info(db: Database, user: User, unit: Unit) -> str:
    """'文件名（上传人，时间）' of the unit's own template, or '' when it uses the default."""
    require_view(user, unit)
    if not template_file(db, unit).exists():
        return ""
    row = db.one("SELECT value FROM unit_settings WHERE unit_id = ? AND key = ?", [unit.id, SETTING])
    return row[0] if row else template_file(db, unit).name


# The document properties docxtpl renders as templates too (DocxTemplate.render_properties).
_PROPERTIES = ("author", "comments", "identifier", "language", "subject", "title")
_FOOTNOTES = "application/vnd.openxmlformats-officedocument.wordprocessingml.footnotes+xml"


def _parts(source: bytes | DocxTemplate) -> list[tuple[str, str]]:
    """(part name, text as docxtpl hands it to Jinja) for everything docxtpl renders: body, headers,
    footers, footnotes and the document properties."""
    template = open_template(source) if isinstance(source, bytes) else source
    found = [("正文", template.patch_xml(template.get_xml()))]
    for uri, label in ((template.HEADER_URI, "页眉"), (template.FOOTER_URI, "页脚")):
        for _, part in template.get_headers_footers(uri):
            found.append((label, template.patch_xml(template.get_part_xml(part))))
    for part in template.docx.part.package.parts:
        if part.content_type == _FOOTNOTES:
            blob = part.blob.decode("utf-8", "replace") if isinstance(part.blob, bytes) else part.blob
            found.append(("脚注", template.patch_xml(blob)))
    properties = template.docx.core_properties
    for name in _PROPERTIES:
        found.append(("文档属性", str(getattr(properties, name) or "")))
    return found


def check_template(data: bytes, context: dict[str, Any] | None = None) -> None:
    """Raise ReportTemplateError naming the problem unless `data` is a usable report template: a .docx
    within the size limits, tags only of the kinds report templates may use (sandbox.audit_tree), variables
    the report provides, and (given a context) a trial render in the sandboxed child process."""
    limit = max_upload_mb()
    if len(data) > limit * 1024 * 1024:
        raise ReportTemplateError(f"模板文件超过{limit} MB，请压缩图片后再上传。")
    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise ReportTemplateError(
            "这不是 Word（.docx）文件。请在 Word 中“另存为” .docx 格式后再使用（.doc、.wps 文件不能直接使用）。"
        )
    document = open_template(data)
    try:
        parts = _parts(document)
    except Exception as error:  # python-docx and lxml raise several kinds for a damaged part
        raise ReportTemplateError(f"模板文件无法打开，可能已损坏或不是 Word（.docx）文件：{error}") from error
    env = jinja_env()
    unknown: set[str] = set()
    for label, xml in parts:
        lines = paragraph_lines(xml)
        try:
            tree = env.parse("\n".join(lines))
        except jinja2.TemplateSyntaxError as error:
            raise ReportTemplateError(f"{label}：{describe(error, lines)}") from error
        unknown |= meta.find_undeclared_variables(tree) - set(VARIABLES)
    if unknown:
        names = "、".join(sorted(unknown))
        raise ReportTemplateError(f"模板中使用了报告没有提供的变量：{names}。可用的变量见“模板变量说明”。")
    if context is not None:
        render(context, data)  # a trial run in the child: wrong attributes and loops over non-lists show up


def save_template(
    db: Database, user: User, unit: Unit, data: bytes, filename: str, context: dict[str, Any] | None = None
) -> str:
    """Check and store a unit's own template (administrators); audited. Returns its description."""
    require_admin(user, unit)
    check_template(data, context)
    path = template_file(db, unit)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".uploading")
    partial.write_bytes(data)
    name = (
        re.split(r"[\\/]", filename or "")[-1].strip()[:80] or "模板.docx"
    )  # browsers may send C:\fakepath\…
    info = f"{name}（{user.display_name}，{datetime.now():%Y-%m-%d %H:%M}上传）"
    try:
        with db.transaction() as cur:
            before = cur.execute(
                "SELECT value FROM unit_settings WHERE unit_id = ? AND key = ?", [unit.id, SETTING]
            ).fetchone()
            cur.execute("INSERT OR REPLACE INTO unit_settings VALUES (?, ?, ?)", [unit.id, SETTING, info])
            audit.log(
                cur,
                user,
                "update",
                "setting",
                f"{unit.id}:{SETTING}",
                unit.id,
                {"template": before[0]} if before else None,
                {"template": info, "sha256": hashlib.sha256(data).hexdigest()},
            )
            partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)
    return info


def reset_template(db: Database, user: User, unit: Unit) -> bool:
    """Go back to the default template (administrators); audited; False when none was uploaded."""
    require_admin(user, unit)
    path = template_file(db, unit)
    with db.transaction() as cur:
        before = cur.execute(
            "SELECT value FROM unit_settings WHERE unit_id = ? AND key = ?", [unit.id, SETTING]
        ).fetchone()
        if before is None and not path.exists():
            return False
        cur.execute("DELETE FROM unit_settings WHERE unit_id = ? AND key = ?", [unit.id, SETTING])
        audit.log(
            cur,
            user,
            "delete",
            "setting",
            f"{unit.id}:{SETTING}",
            unit.id,
            {"template": before[0] if before else path.name},
            None,
        )
        path.unlink(missing_ok=True)
    return True


def _example(value: Any) -> str:
    if isinstance(value, bytes):
        return f"（PNG 图片，{len(value) // 1024} KB）"
    if isinstance(value, dict):
        return "{" + "，".join(f"{k}: {_example(v)}" for k, v in list(value.items())[:6]) + "}"
    if isinstance(value, list):
        if not value:
            return "（空）"
        return f"共{len(value)}项，第1项：{_example(value[0])}"
    if isinstance(value, datetime):
        return f"{value:%Y-%m-%d %H:%M}"
    text = str(value)
    return text if len(text) <= 60 else text[:60] + "……"


def variable_reference(context: dict[str, Any]) -> list[dict[str, str]]:
    """Every variable a template may use: 变量, 写法, 说明, 类型 and an example from the current data."""
    return [
        {
            "变量": name,
            "写法": f"{{{{ {name} }}}}" if kind in ("文字", "数字") else f"{{%p for x in {name} %}}",
            "说明": label,
            "类型": kind,
            "示例（当前数据）": _example(context.get(name, "")),
        }
        for name, (label, kind) in VARIABLES.items()
    ]

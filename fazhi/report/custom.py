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
from fazhi.report import texts
from fazhi.report.render import describe, jinja_env, open_template, paragraph_lines, render
from fazhi.report.variables import variables
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
    names = texts.table("variables")
    found = [(names["part_body"], template.patch_xml(template.get_xml()))]
    for uri, label in (
        (template.HEADER_URI, names["part_header"]),
        (template.FOOTER_URI, names["part_footer"]),
    ):
        for _, part in template.get_headers_footers(uri):
            found.append((label, template.patch_xml(template.get_part_xml(part))))
    for part in template.docx.part.package.parts:
        if part.content_type == _FOOTNOTES:
            blob = part.blob.decode("utf-8", "replace") if isinstance(part.blob, bytes) else part.blob
            found.append((names["part_footnote"], template.patch_xml(blob)))
    properties = template.docx.core_properties
    for name in _PROPERTIES:
        found.append((names["part_properties"], str(getattr(properties, name) or "")))
    return found


def check_template(data: bytes, context: dict[str, Any] | None = None) -> None:
    """Raise ReportTemplateError naming the problem unless `data` is a usable report template: a .docx
    within the size limits, tags only of the kinds report templates may use (sandbox.audit_tree), variables
    the report provides, and (given a context) a trial render in the sandboxed child process."""
    limit = max_upload_mb()
    if len(data) > limit * 1024 * 1024:
        raise ReportTemplateError(texts.text("messages.template_too_big", limit=limit))
    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise ReportTemplateError(texts.text("messages.template_not_docx"))
    document = open_template(data)
    try:
        parts = _parts(document)
    except Exception as error:  # python-docx and lxml raise several kinds for a damaged part
        raise ReportTemplateError(texts.text("messages.template_damaged", error=error)) from error
    env = jinja_env()
    unknown: set[str] = set()
    for label, xml in parts:
        lines = paragraph_lines(xml)
        try:
            tree = env.parse("\n".join(lines))
        except jinja2.TemplateSyntaxError as error:
            raise ReportTemplateError(
                texts.text("messages.template_in_part", part=label, message=describe(error, lines))
            ) from error
        unknown |= meta.find_undeclared_variables(tree) - set(variables())
    if unknown:
        raise ReportTemplateError(
            texts.text("messages.template_unknown_variables", names="、".join(sorted(unknown)))
        )
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
    default_name = texts.text("variables.upload_default_name")
    name = (
        re.split(r"[\\/]", filename or "")[-1].strip()[:80] or default_name
    )  # browsers may send C:\fakepath\…
    info = texts.text(
        "variables.upload_info", name=name, who=user.display_name, when=f"{datetime.now():%Y-%m-%d %H:%M}"
    )
    try:
        with db.transaction() as cur:
            before = cur.execute(
                "SELECT value FROM unit_settings WHERE unit_id = ? AND key = ?", [unit.id, SETTING]
            ).fetchone()
            cur.execute(
                "INSERT INTO unit_settings VALUES (?, ?, ?) ON CONFLICT (unit_id, key) DO UPDATE SET value = excluded.value",
                [unit.id, SETTING, info],
            )
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
        return texts.text("variables.example_image", kb=len(value) // 1024)
    if isinstance(value, dict):
        return "{" + "，".join(f"{k}: {_example(v)}" for k, v in list(value.items())[:6]) + "}"
    if isinstance(value, list):
        if not value:
            return texts.text("variables.example_empty")
        return texts.text("variables.example_list", count=len(value), first=_example(value[0]))
    if isinstance(value, datetime):
        return f"{value:%Y-%m-%d %H:%M}"
    text = str(value)
    return text if len(text) <= 60 else text[:60] + "……"


def variable_reference(context: dict[str, Any]) -> list[dict[str, str]]:
    """Every variable a template may use, with its reference columns (变量, 写法, 说明, 类型, and an example
    from the current data; the column names from data/report_text.toml)."""
    names = texts.table("variables")
    columns = names["columns"]
    scalar = (names["kind_text"], names["kind_number"])
    return [
        dict(
            zip(
                columns,
                (
                    name,
                    f"{{{{ {name} }}}}" if kind in scalar else f"{{%p for x in {name} %}}",
                    label,
                    kind,
                    _example(context.get(name, "")),
                ),
                strict=True,
            )
        )
        for name, (label, kind) in variables().items()
    ]

"""Fill a report template with a context: docxtpl with autoescape and a strict undefined.

Every text of the context goes in verbatim: `& < > " '` are escaped by Jinja, braces are written as
character references so docxtpl's own `{_{`/`}_}` clean-up can never touch typed text, and the
characters XML forbids (control characters, lone surrogates) are dropped before they reach the file.
"""

from __future__ import annotations

import copy
import io
import re
from datetime import datetime
from typing import Any

import jinja2
from docx.enum.text import WD_COLOR_INDEX
from docx.shared import Mm
from docxtpl import DocxTemplate, InlineImage
from markupsafe import Markup, escape

from fazhi import archives
from fazhi.errors import FazhiError, ReportTemplateError
from fazhi.report import sandbox, texts
from fazhi.report.template import default_template_bytes

# XML 1.0 forbids C0 controls except tab/newline, lone surrogates and U+FFFE/U+FFFF; C1 controls and
# carriage returns are dropped too: the same class the records layer removes from typed text.
from fazhi.text import CONTROL

_TAGS = re.compile(r"<[^>]+>")


def jinja_env() -> jinja2.Environment:
    """The Jinja environment every report render uses: the sandbox of fazhi.report.sandbox (no globals,
    listed filters, audited templates), autoescape on, unknown variables are errors."""
    return sandbox.environment()


def xml_text(value: str) -> Markup:
    """Text made safe for the document XML, shown exactly as typed (less the characters XML forbids)."""
    text = CONTROL.sub("", value)
    return Markup(str(escape(text)).replace("{", "&#123;").replace("}", "&#125;"))


def safe_context(value: Any) -> Any:
    """The context with every string made XML-safe (dicts and lists walked; other values as they are)."""
    if isinstance(value, Markup):
        return value
    if isinstance(value, str):
        return xml_text(value)
    if isinstance(value, dict):
        return {key: safe_context(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [safe_context(item) for item in value]
    return value


def _with_images(template: DocxTemplate, context: dict[str, Any]) -> dict[str, Any]:
    """Charts come as PNG bytes in the context; docxtpl needs InlineImage objects tied to the template."""
    charts = []
    for chart in context.get("charts", []):
        image = InlineImage(template, io.BytesIO(chart["png"]), width=Mm(chart.get("width_mm", 150)))
        charts.append({**chart, "image": image})
    return {**context, "charts": charts}


def paragraph_lines(xml: str) -> list[str]:
    """The template XML split the way docxtpl splits it before Jinja sees it (one paragraph a line)."""
    return re.sub(r"<w:p([ >])", r"\n<w:p\1", xml).splitlines()


def describe(error: jinja2.TemplateError, lines: list[str] | None = None) -> str:
    """A Chinese message naming what is wrong in a template and, when known, the paragraph holding it."""
    if isinstance(error, sandbox.ForbiddenConstruct):
        return f"{error.message}{_where(error, lines)}"
    if isinstance(error, jinja2.UndefinedError):
        message = str(error.message or error)
        name = re.search(r"'([^']+)' is undefined", message)
        attribute = re.search(r"has no attribute '([^']+)'", message)
        if name:
            return texts.text("messages.undefined_variable", name=name[1])
        if attribute:
            return texts.text("messages.undefined_attribute", name=attribute[1])
        return texts.text("messages.undefined_other", detail=message)
    detail = (getattr(error, "message", None) or str(error)).strip().rstrip(".")
    return texts.text(
        "messages.syntax_error", what=_in_chinese(detail), detail=detail, where=_where(error, lines)
    )


def _where(error: jinja2.TemplateError, lines: list[str] | None) -> str:
    """'问题在这一段：“…”。' for the paragraph of the error's line, or ''."""
    lineno = getattr(error, "lineno", None)
    if lines and lineno:
        text = _TAGS.sub("", lines[lineno - 1] if lineno <= len(lines) else "").strip()
        if text:
            return texts.text("messages.syntax_where", text=text[:80])
    return ""


def _in_chinese(detail: str) -> str:
    """The usual Jinja syntax errors said in Chinese."""
    block = re.search(r"innermost block that needs to be closed is '(\w+)'", detail)
    if block:
        return texts.text("messages.syntax_unclosed_block", tag=block[1])
    tag = re.search(r"[Ee]ncountered unknown tag '(\w+)'", detail)
    if tag:
        return texts.text("messages.syntax_unknown_tag", tag=tag[1])
    if "end of print statement" in detail or re.search(r"unexpected '[/<]'", detail):
        return texts.text("messages.syntax_unclosed_print")
    if "unexpected" in detail.lower():
        return texts.text("messages.syntax_unexpected")
    return texts.text("messages.syntax_other")


_PLACEHOLDER = re.compile(r"【请填写：[^】]*】")


def highlight_placeholders(document: Any) -> int:
    """Mark every '【请填写：……】' left in the document in yellow (the run is split around it); returns how
    many were marked, so staff see at a glance what is still to write."""

    marked = 0
    paragraphs = list(document.paragraphs)
    for table in document.tables:
        for row in table.rows:
            for cell in row.cells:
                paragraphs += cell.paragraphs
    for paragraph in paragraphs:
        for run in list(paragraph.runs):
            text = run.text
            if "【请填写：" not in text:
                continue
            pieces = [piece for piece in re.split(f"({_PLACEHOLDER.pattern})", text) if piece]
            anchor = run._r
            for piece in pieces:
                element = copy.deepcopy(run._r)
                anchor.addnext(element)
                anchor = element
                new = type(run)(element, paragraph)
                new.text = piece
                if _PLACEHOLDER.fullmatch(piece):
                    new.font.highlight_color = WD_COLOR_INDEX.YELLOW
                    marked += 1
            run._r.getparent().remove(run._r)
    return marked


def render(context: dict[str, Any], template: bytes | None = None) -> bytes:
    """The filled .docx as bytes; `template` defaults to data/report_template.docx (rendered here). Any
    other template (a unit's own, one given on the command line) is rendered in a child process with time
    and memory limits (`sandbox.render_isolated`). ReportTemplateError names the problem when the template
    does not fit the context or breaks a rule."""
    if template is None:
        return render_in_process(context, None)
    return sandbox.render_isolated(context, template)


def open_template(source: bytes) -> DocxTemplate:
    """A docxtpl template over checked bytes (size, parts, no DTD); ReportTemplateError when unusable."""
    archive = archives.opened(
        source, archives.TEMPLATE, texts.text("messages.template_label"), ReportTemplateError
    )
    archive.close()
    try:
        document = DocxTemplate(io.BytesIO(source))
        document.init_docx()
    except Exception as error:  # python-docx and lxml raise several kinds for a file that is not a .docx
        raise ReportTemplateError(texts.text("messages.template_unopenable", error=error)) from error
    return document


def render_in_process(context: dict[str, Any], template: bytes | None) -> bytes:
    """`render` without the child process: for the default template, and inside the child itself."""
    source = template if template is not None else default_template_bytes()
    document = open_template(source)
    data = _with_images(document, safe_context(context))
    try:
        document.render(data, jinja_env=jinja_env(), autoescape=True)
    except jinja2.TemplateError as error:
        raise ReportTemplateError(describe(error)) from error
    except FazhiError:
        raise
    except MemoryError as error:
        raise ReportTemplateError(texts.text("messages.render_output_memory")) from error
    except Exception as error:  # docxtpl and lxml on XML a template's tags broke (e.g. a tag across a table)
        raise ReportTemplateError(
            texts.text("messages.render_broken_structure", error=type(error).__name__)
        ) from error
    highlight_placeholders(document.docx)
    properties = document.docx.core_properties
    properties.title = CONTROL.sub("", str(context.get("title", "")))[:250]
    properties.author = CONTROL.sub("", str(context.get("issuer", "")))[:250]
    now = datetime.now()
    properties.created = properties.modified = now  # when this report was generated
    properties.last_modified_by = properties.author
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()

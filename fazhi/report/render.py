"""Fill a report template with a context: docxtpl with autoescape and a strict undefined.

Every text of the context goes in verbatim: `& < > " '` are escaped by Jinja, braces are written as
character references so docxtpl's own `{_{`/`}_}` clean-up can never touch typed text, and the
characters XML forbids (control characters, lone surrogates) are dropped before they reach the file.
"""

from __future__ import annotations

import io
import re
from typing import Any

import jinja2
from docx.shared import Mm
from docxtpl import DocxTemplate, InlineImage
from markupsafe import Markup, escape

from fazhi import archives
from fazhi.errors import FazhiError, ReportTemplateError
from fazhi.report import sandbox
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
            return f"模板中使用了不存在的变量“{name[1]}”。请对照“模板变量说明”修改模板。"
        if attribute:
            return f"模板中使用了不存在的变量属性“{attribute[1]}”。请对照“模板变量说明”修改模板。"
        return f"模板中使用了不存在的变量（{message}）。"
    detail = (getattr(error, "message", None) or str(error)).strip().rstrip(".")
    return (
        f"模板中的标记有语法错误：{_in_chinese(detail)}（{detail}）。{_where(error, lines)}"
        "请检查 {{ }} 和 {% %} 标记是否成对、拼写是否正确。"
    )


def _where(error: jinja2.TemplateError, lines: list[str] | None) -> str:
    """'问题在这一段：“…”。' for the paragraph of the error's line, or ''."""
    lineno = getattr(error, "lineno", None)
    if lines and lineno:
        text = _TAGS.sub("", lines[lineno - 1] if lineno <= len(lines) else "").strip()
        if text:
            return f"问题在这一段：“{text[:80]}”。"
    return ""


def _in_chinese(detail: str) -> str:
    """The usual Jinja syntax errors said in Chinese."""
    block = re.search(r"innermost block that needs to be closed is '(\w+)'", detail)
    if block:
        return f"{{% {block[1]} %}} 标记缺少对应的 {{% end{block[1]} %}}"
    tag = re.search(r"[Ee]ncountered unknown tag '(\w+)'", detail)
    if tag:
        return f"不认识或多余的标记 {{% {tag[1]} %}}"
    if "end of print statement" in detail or re.search(r"unexpected '[/<]'", detail):
        return "{{ }} 标记没有正确闭合"
    if "unexpected" in detail.lower():
        return "标记中有多余或不成对的符号"
    return "标记写法有误"


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
    archive = archives.opened(source, archives.TEMPLATE, "模板文件", ReportTemplateError)
    archive.close()
    try:
        document = DocxTemplate(io.BytesIO(source))
        document.init_docx()
    except Exception as error:  # python-docx and lxml raise several kinds for a file that is not a .docx
        raise ReportTemplateError(f"模板文件无法打开，可能不是 Word（.docx）文件：{error}") from error
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
        raise ReportTemplateError(
            "模板生成的内容超过了内存上限，已停止（模板中可能有多层嵌套的循环）。请检查模板中的 for 标记。"
        ) from error
    except Exception as error:  # docxtpl and lxml on XML a template's tags broke (e.g. a tag across a table)
        raise ReportTemplateError(
            f"模板中的标记打乱了文档结构，无法生成报告（{type(error).__name__}）。请检查表格和段落中的 {{% %}} 标记。"
        ) from error
    properties = document.docx.core_properties
    properties.title = CONTROL.sub("", str(context.get("title", "")))[:250]
    properties.author = CONTROL.sub("", str(context.get("issuer", "")))[:250]
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()

"""Report templates run in a sandbox: no globals, audited trees, and a child process with limits for a
unit's own template (fazhi/report/sandbox.py)."""

from __future__ import annotations

import io
import time

import jinja2
import pytest
from docx import Document

from fazhi import auth, db
from fazhi.catalog import Catalog
from fazhi.errors import ReportTemplateError
from fazhi.report import render as render_module
from fazhi.report import sandbox
from fazhi.report.context import build_context
from fazhi.report.template import default_template_bytes
from fazhi.units import find_unit

SYSTEM = auth.system_user("测试")


def with_paragraph(text: str) -> bytes:
    document = Document(io.BytesIO(default_template_bytes()))
    document.add_paragraph(text)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


@pytest.fixture
def context(demo: db.Database, catalog: Catalog) -> dict:
    return build_context(demo, SYSTEM, catalog, find_unit(demo, "燕山乡"), 2020)


def test_the_environment_has_no_globals_and_only_listed_filters() -> None:
    env = sandbox.environment()
    assert isinstance(env, jinja2.sandbox.ImmutableSandboxedEnvironment)
    assert env.globals == {}
    assert sorted(env.filters) == sorted(sandbox.FILTERS)
    assert "attr" not in env.filters and "format" not in env.filters
    assert env.autoescape is True and env.undefined is jinja2.StrictUndefined


def test_every_compiled_template_is_audited_not_only_checked_ones() -> None:
    # docxtpl compiles body, headers, footers, footnotes and properties with the environment it is given:
    # the audit sits in the environment's parser, so a part a check forgot is still refused.
    env = sandbox.environment()
    with pytest.raises(sandbox.ForbiddenConstruct, match="函数或方法调用"):
        env.from_string("{{ cycler.__init__.__globals__.os.popen('id').read() }}")
    assert (
        env.from_string("{% for p in xs %}{{ p.text|default('') }}{% endfor %}").render(xs=[{"text": "一"}])
        == "一"
    )


def test_the_documented_command_execution_renders_nothing_of_the_shell(context: dict) -> None:
    # Even rendered directly (without the upload check), the template is refused, and `id` never runs.
    with pytest.raises(ReportTemplateError, match="函数或方法调用") as caught:
        render_module.render(
            context, with_paragraph("{{ cycler.__init__.__globals__.os.popen('id').read() }}")
        )
    assert "uid=" not in caught.value.message


def test_a_units_own_template_renders_in_a_child_process(
    context: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = []
    real = sandbox.render_isolated
    monkeypatch.setattr(sandbox, "render_isolated", lambda *a, **k: calls.append(1) or real(*a, **k))
    docx = render_module.render(context, with_paragraph("本单位：{{ unit_name }}"))
    assert calls == [1]
    text = "\n".join(p.text for p in Document(io.BytesIO(docx)).paragraphs)
    assert "本单位：燕山乡" in text and context["title"] in text


def test_the_default_template_renders_in_process(context: dict, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sandbox, "render_isolated", lambda *a, **k: pytest.fail("default went to a child"))
    assert render_module.render(context).startswith(b"PK")


def test_a_template_looping_without_end_is_stopped_by_the_timeout(context: dict) -> None:
    loops = "".join(f"{{% for v{n} in sections %}}" for n in range(9)) + "x" + "{% endfor %}" * 9
    started = time.monotonic()
    with pytest.raises(ReportTemplateError, match="超过2秒仍未完成"):
        sandbox.render_isolated(context, with_paragraph(loops), timeout=2)
    assert time.monotonic() - started < 10


@pytest.mark.skipif(not hasattr(__import__("os"), "fork"), reason="resource limits exist on POSIX only")
def test_a_template_filling_memory_is_stopped_by_the_address_space_limit(
    context: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sandbox, "CHILD_MEMORY", 600 * 1024 * 1024)
    loops = (
        "".join(f"{{% for v{n} in sections %}}" for n in range(6)) + "{{ title }}" * 50 + "{% endfor %}" * 6
    )
    with pytest.raises(ReportTemplateError, match="内存"):
        sandbox.render_isolated(context, with_paragraph(loops), timeout=25)


def test_a_template_error_in_the_child_comes_back_in_chinese(context: dict) -> None:
    with pytest.raises(ReportTemplateError, match="不存在的变量属性“nope”"):
        render_module.render(context, with_paragraph("{{ headings.nope }}"))

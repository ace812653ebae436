"""Report templates are data, never code: the Jinja environment every template is compiled in, the rules
a template must follow, and a child process that renders a unit's own template within time and memory.

Three fences, each enough against the known attacks on its own:
1. `ReportEnvironment` is Jinja's ImmutableSandboxedEnvironment with no globals (no `range`, `cycler`,
   `lipsum`, `namespace`, …) and a short list of filters.
2. Every template it compiles (body, headers, footers, footnotes, document properties: docxtpl compiles
   each with this environment) is checked node by node: placeholders, attribute and item access, `for`,
   `if`, comparisons and the listed filters only. `include`/`extends`/`import`, `set`, macros, calls,
   arithmetic, string building and private attributes are refused with the tag named, before any of it runs.
3. A template a unit uploaded is rendered in a child process (`render_isolated`) with a wall-clock
   timeout and, where the OS offers it (Linux, macOS), limits on CPU seconds and address space, so even a
   template that loops over its lists a million times costs seconds, not the server.
"""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
from typing import Any

import jinja2
from jinja2 import nodes
from jinja2.sandbox import ImmutableSandboxedEnvironment

from fazhi.errors import FazhiError, ReportTemplateError
from fazhi.report import texts

# Filters a report template may use; none can make output much larger than its input.
FILTERS = (
    "default", "d", "length", "count", "first", "last", "join", "trim", "upper", "lower",
    "string", "e", "escape", "replace", "int", "float", "round", "abs", "list", "sort",
    "reverse", "unique", "min", "max", "sum", "capitalize", "title",
)  # fmt: skip
_ALLOWED = (
    nodes.Template, nodes.Output, nodes.TemplateData, nodes.Name, nodes.Const, nodes.Getattr,
    nodes.Getitem, nodes.Slice, nodes.For, nodes.If, nodes.CondExpr, nodes.Compare, nodes.Operand,
    nodes.And, nodes.Or, nodes.Not, nodes.Test, nodes.Filter, nodes.Tuple, nodes.List, nodes.Dict,
    nodes.Pair, nodes.Keyword,
)  # fmt: skip
CHILD_TIMEOUT = 30  # seconds of wall clock for one render of a unit's own template
CHILD_CPU = 20  # seconds of CPU (Linux, macOS)
CHILD_MEMORY = 1024 * 1024 * 1024  # bytes of address space (Linux, macOS)


class ForbiddenConstruct(jinja2.TemplateSyntaxError):
    """A template uses something report templates may not: the message names it in Chinese."""


def _refuse(what: str, node: nodes.Node) -> ForbiddenConstruct:
    return ForbiddenConstruct(texts.text("messages.forbidden", what=what), getattr(node, "lineno", None) or 1)


def audit_tree(tree: nodes.Template) -> None:
    """Raise ForbiddenConstruct at the first node a report template may not hold."""
    stack: list[nodes.Node] = [tree]
    while stack:
        node = stack.pop()
        if not isinstance(node, _ALLOWED):
            what = texts.table("constructs").get(type(node).__name__)  # the tag as a user writes it
            if what is None and isinstance(node, nodes.BinExpr | nodes.UnaryExpr):
                what = texts.text("messages.forbidden_operator", operator=getattr(node, "operator", ""))
            raise _refuse(what or texts.text("messages.forbidden_other", name=type(node).__name__), node)
        if isinstance(node, nodes.Filter) and node.name not in FILTERS:
            if node.name == "attr":
                raise _refuse(texts.text("messages.forbidden_attr_filter"), node)
            raise _refuse(texts.text("messages.forbidden_filter", name=node.name), node)
        if isinstance(node, nodes.Getattr) and node.attr.startswith("_"):
            raise _refuse(texts.text("messages.forbidden_private", name=node.attr), node)
        if isinstance(node, nodes.Const) and isinstance(node.value, str) and len(node.value) > 10_000:
            raise _refuse(texts.text("messages.forbidden_long_text"), node)
        stack.extend(node.iter_child_nodes())


class ReportEnvironment(ImmutableSandboxedEnvironment):
    """The sandbox every report template is compiled in: no globals, listed filters, audited trees."""

    def __init__(self) -> None:
        super().__init__(undefined=jinja2.StrictUndefined, autoescape=True)
        self.globals.clear()
        self.filters = {name: self.filters[name] for name in FILTERS}

    def _parse(self, source: str, name: str | None, filename: str | None) -> nodes.Template:
        tree = super()._parse(source, name, filename)
        audit_tree(tree)
        return tree


def environment() -> ReportEnvironment:
    """A fresh sandboxed environment (docxtpl sets autoescape on the one it is given)."""
    return ReportEnvironment()


def _limit_child() -> None:  # pragma: no cover - runs in the child before exec
    import resource  # POSIX only: this module is imported on Windows too

    resource.setrlimit(resource.RLIMIT_CPU, (CHILD_CPU, CHILD_CPU + 5))
    resource.setrlimit(resource.RLIMIT_AS, (CHILD_MEMORY, CHILD_MEMORY))


def render_isolated(context: dict[str, Any], template: bytes, *, timeout: float = CHILD_TIMEOUT) -> bytes:
    """`render.render(context, template)` in a child process with time and memory limits; the .docx bytes,
    or ReportTemplateError naming the problem (the template's own error, or the limit it hit)."""
    payload = pickle.dumps((context, template), protocol=pickle.HIGHEST_PROTOCOL)
    options: dict[str, Any] = {}
    if os.name == "posix":
        options["preexec_fn"] = _limit_child
    else:  # Windows: no resource limits in the standard library; the timeout still holds
        options["creationflags"] = getattr(subprocess, "CREATE_NO_WINDOW", 0)
    try:
        done = subprocess.run(
            [sys.executable, "-m", "fazhi.report.sandbox"],
            input=payload,
            capture_output=True,
            timeout=timeout,
            env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
            check=False,
            **options,
        )
    except subprocess.TimeoutExpired as error:
        raise ReportTemplateError(texts.text("messages.render_timeout", seconds=timeout)) from error
    except OSError as error:
        raise ReportTemplateError(texts.text("messages.render_cannot_start", error=error)) from error
    out = done.stdout
    if done.returncode == 0 and out[:1] == b"O":
        return out[1:]
    if out[:1] == b"E":
        raise ReportTemplateError(out[1:].decode("utf-8", "replace"))
    raise ReportTemplateError(texts.text("messages.render_exhausted"))


def _child() -> int:  # pragma: no cover - exercised through render_isolated in a real child process
    """Read (context, template) from stdin, write b'O' + .docx or b'E' + a Chinese message to stdout."""
    # the child imports the renderer, which imports this module: at module level that would be a cycle
    from fazhi.report.render import render_in_process

    out = sys.stdout.buffer
    try:
        context, template = pickle.loads(sys.stdin.buffer.read())
        data = render_in_process(context, template)
    except FazhiError as error:
        out.write(b"E" + error.message.encode("utf-8"))
        return 1
    except MemoryError:
        out.write(b"E" + texts.text("messages.render_memory").encode())
        return 1
    out.write(b"O" + data)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(_child())

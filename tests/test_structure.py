"""The shape of fazhi/ (issue 13): a module over 400 lines says why in its docstring, and what depends on a
field's kind lives in its registry entry (fazhi/fields.py), never in a switch elsewhere."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from fazhi.catalog import INDICATOR_KINDS
from fazhi.fields import KINDS
from fazhi.settings import PROJECT_DIR

PACKAGE = PROJECT_DIR / "fazhi"
MAX_LINES = 400
REASON = re.compile(r"Over 400 lines (because|on purpose)")
# Field kinds no indicator kind shares: compared with anything's `.kind`, they can only be a field's.
FIELD_ONLY_KINDS = set(KINDS) - set(INDICATOR_KINDS)


def _modules(root: Path = PACKAGE) -> list[Path]:
    return sorted(root.rglob("*.py"))


def long_modules_without_a_reason(paths: list[Path], root: Path = PROJECT_DIR) -> list[str]:
    """The modules over MAX_LINES lines whose docstring does not say "Over 400 lines because …" (or "on
    purpose"), as 'path (N lines)'."""
    found = []
    for path in paths:
        text = path.read_text(encoding="utf-8")
        lines = len(text.splitlines())
        if lines > MAX_LINES and not REASON.search(ast.get_docstring(ast.parse(text)) or ""):
            found.append(f"{path.relative_to(root)} ({lines} lines)")
    return found


def test_every_long_module_says_why() -> None:
    assert long_modules_without_a_reason(_modules()) == []


def test_a_long_module_without_a_reason_is_named(tmp_path: Path) -> None:
    body = "x = 1\n" * MAX_LINES
    (tmp_path / "short.py").write_text('"""Short."""\n' + "x = 1\n" * (MAX_LINES - 1), encoding="utf-8")
    (tmp_path / "silent.py").write_text('"""Does things."""\n' + body, encoding="utf-8")
    (tmp_path / "said.py").write_text('"""Things.\n\nOver 400 lines because …"""\n' + body, encoding="utf-8")
    assert long_modules_without_a_reason(_modules(tmp_path), tmp_path) == ["silent.py (401 lines)"]


def _constants(node: ast.expr) -> set[str]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return {node.value}
    if isinstance(node, ast.Tuple | ast.List | ast.Set):
        return {c for element in node.elts for c in _constants(element)}
    return set()


def _names(node: ast.expr) -> str:
    """The identifiers of an expression like `record_type.field(code)` or `codes[c]`, lower case."""
    return " ".join(
        part.id if isinstance(part, ast.Name) else part.attr
        for part in ast.walk(node)
        if isinstance(part, ast.Name | ast.Attribute)
    ).lower()


def kind_switches(path: Path, root: Path = PROJECT_DIR) -> list[str]:
    """Comparisons of a field's `.kind` in a module, as 'path:line': `x.kind` compared with a field-only kind
    name, or the `.kind` of anything named like a field (`field`, `item`) compared with anything."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.Compare):
            continue
        sides = [node.left, *node.comparators]
        kinds = [side for side in sides if isinstance(side, ast.Attribute) and side.attr == "kind"]
        if not kinds:
            continue
        named = any(word in _names(side.value) for side in kinds for word in ("field", "item"))
        if named or any(_constants(side) & FIELD_ONLY_KINDS for side in sides):
            found.append(f"{path.relative_to(root)}:{node.lineno}")
    return found


def test_no_module_switches_on_a_fields_kind() -> None:
    """`grep` finds the kind names only in the registry and the catalog: everything else asks `field.spec`."""
    registry = PACKAGE / "fields.py"
    assert [hit for path in _modules() if path != registry for hit in kind_switches(path)] == []


def test_a_kind_switch_is_found(tmp_path: Path) -> None:
    probe = tmp_path / "probe.py"
    probe.write_text(
        "def f(field, x, indicator, codes, c):\n"
        '    a = field.kind == "yesno"\n'  # a field by its name
        '    b = x.kind in ("percent", "count")\n'  # a kind only fields have
        '    c = codes[c].kind != "integer"\n'
        '    d = indicator.kind == "yesno"\n'  # an indicator's kind: not a field's switch
        "    return field.spec.summed\n",
        encoding="utf-8",
    )
    assert kind_switches(probe, tmp_path) == ["probe.py:2", "probe.py:3", "probe.py:4"]

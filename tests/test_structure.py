"""The shape of the code (issue 13): a module of fazhi/ over 400 lines says why in its docstring, what
depends on a field's kind lives in its registry entry (fazhi/fields.py), never in a switch elsewhere, and
tests find widgets by key, never by position or through AppTest's private attributes."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from streamlit.testing.v1 import AppTest

from fazhi.catalog import INDICATOR_KINDS
from fazhi.fields import KINDS
from fazhi.settings import PROJECT_DIR

PACKAGE = PROJECT_DIR / "fazhi"
TESTS = PROJECT_DIR / "tests"
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


# AppTest's lists of interactive widgets: a test takes one by its key (`at.button(key="save")`).
WIDGETS = {
    "button", "checkbox", "color_picker", "date_input", "multiselect", "number_input", "radio",
    "select_slider", "selectbox", "slider", "text_area", "text_input", "time_input", "toggle", "chat_input",
}  # fmt: skip


def _private_names() -> set[str]:
    """AppTest's own private attributes (`_tree`, `_run`, …), and those of the tree it keeps."""
    at = AppTest.from_string("")
    return {
        name
        for name in {*vars(at), *dir(AppTest), "_runner", "_block_id", "_widget_state"}
        if name.startswith("_") and not name.startswith("__")
    }


def private_lookups(path: Path, private: set[str], root: Path = PROJECT_DIR) -> list[str]:
    """Widgets taken by position (`at.button[0]`) and AppTest's private attributes used, as 'path:line'."""
    found: list[int] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        by_position = (
            isinstance(node, ast.Subscript)
            and isinstance(node.value, ast.Attribute)
            and node.value.attr in WIDGETS
            and isinstance(node.slice, ast.Constant | ast.UnaryOp)
        )
        if by_position or (isinstance(node, ast.Attribute) and node.attr in private):
            found.append(node.lineno)
    return [f"{path.relative_to(root)}:{line}" for line in sorted(found)]


def test_tests_find_widgets_by_key() -> None:
    private = _private_names()
    assert [hit for path in _modules(TESTS) for hit in private_lookups(path, private)] == []


def test_a_widget_by_position_or_a_private_attribute_is_found(tmp_path: Path) -> None:
    probe = tmp_path / "probe.py"
    probe.write_text(
        "def f(at):\n"
        "    at.button[0].click()\n"
        '    at.text_input(key="title").set_value("x")\n'
        "    at.selectbox[-1].select(2)\n"
        '    assert at.title[0].value == "看板"\n'  # an output element has no key: its position is fine
        "    at._tree.children\n",
        encoding="utf-8",
    )
    assert private_lookups(probe, _private_names(), tmp_path) == ["probe.py:2", "probe.py:4", "probe.py:6"]

"""The import graph of fazhi/: no cycles among module-level imports, and no import inside a function unless
a comment says why (on the line, or the line above)."""

from __future__ import annotations

import ast
from pathlib import Path

from fazhi.settings import PROJECT_DIR

PACKAGE = PROJECT_DIR / "fazhi"
# Modules whose function-level imports are explained once for the whole module. Another engineer owns
# __main__.py (issue 13 keeps edits there minimal), so its reason lives here instead of on each line.
EXPLAINED = {
    "fazhi.__main__": "each subcommand imports what it uses, so `address` or `check` starts without pandas",
    "fazhi.bench": "the benchmark times cold imports and loads streamlit's AppTest only for its page run",
}


def _name(path: Path) -> str:
    parts = list(path.relative_to(PROJECT_DIR).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def _targets(node: ast.Import | ast.ImportFrom, module: str, known: set[str]) -> set[str]:
    """The fazhi modules an import statement runs (a package's __init__ included)."""
    names: list[str] = []
    if isinstance(node, ast.Import):
        names = [alias.name for alias in node.names]
    else:
        base = node.module or ""
        if node.level:
            package = (
                module.split(".")[: -node.level] if not module.endswith("__init__") else module.split(".")
            )
            base = ".".join([*package, base] if base else package)
        names = [base] + [f"{base}.{alias.name}" for alias in node.names]
    found = set()
    for name in names:
        parts = name.split(".")
        for end in range(1, len(parts) + 1):
            candidate = ".".join(parts[:end])
            if candidate in known and candidate != module:
                found.add(candidate)
    return found


def _module_level_imports(tree: ast.Module) -> list[ast.Import | ast.ImportFrom]:
    """Imports that run when the module is imported: top level, and inside top-level if/try blocks."""
    found: list[ast.Import | ast.ImportFrom] = []
    pending: list[ast.stmt] = list(tree.body)
    while pending:
        node = pending.pop()
        if isinstance(node, ast.Import | ast.ImportFrom):
            found.append(node)
        elif isinstance(node, ast.If | ast.Try):
            pending += node.body + node.orelse + getattr(node, "finalbody", [])
            pending += [stmt for handler in getattr(node, "handlers", []) for stmt in handler.body]
    return found


def import_graph() -> dict[str, set[str]]:
    """Module → the fazhi modules its module-level imports load (TYPE_CHECKING blocks included)."""
    modules = _modules()
    known = set(modules)
    graph: dict[str, set[str]] = {}
    for module, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        edges: set[str] = set()
        for node in _module_level_imports(tree):
            edges |= _targets(node, module, known)
        graph[module] = edges
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every cycle found by a depth-first walk, each as the list of modules around it."""
    found: list[list[str]] = []
    state: dict[str, int] = {}  # 1 on the current path, 2 done
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for target in sorted(graph.get(node, ())):
            if state.get(target) == 1:
                found.append(stack[stack.index(target) :] + [target])
            elif target not in state:
                visit(target)
        stack.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node)
    return found


def test_graph_sees_the_package() -> None:
    graph = import_graph()
    assert "fazhi.records" in graph["fazhi.attachments"]
    assert "fazhi.db" in graph["fazhi.records"]


def test_cycle_finder_finds_a_cycle() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c", "a"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycles_in_fazhi() -> None:
    assert cycles(import_graph()) == []


def _function_imports(tree: ast.Module) -> list[ast.Import | ast.ImportFrom]:
    found: list[ast.Import | ast.ImportFrom] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            found += [n for n in ast.walk(node) if isinstance(n, ast.Import | ast.ImportFrom)]
    return found


def test_imports_inside_functions_say_why() -> None:
    unexplained = []
    for module, path in _modules().items():
        if module in EXPLAINED:
            continue
        lines = path.read_text(encoding="utf-8").splitlines()
        for node in _function_imports(ast.parse("\n".join(lines))):
            here, above = lines[node.lineno - 1], lines[node.lineno - 2] if node.lineno > 1 else ""
            if "#" not in here and not above.strip().startswith("#"):
                unexplained.append(f"{path.relative_to(PROJECT_DIR)}:{node.lineno}: {here.strip()}")
    assert unexplained == []

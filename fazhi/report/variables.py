"""Every top-level variable a report template may use, with its Chinese description and kind: the
contract between build_context (which provides exactly these keys), custom templates (checked against
them) and the page's variable reference. The list is data: [variables.described] of
data/report_text.toml, in the order the page shows it."""

from __future__ import annotations

from fazhi.report import texts


def variables() -> dict[str, tuple[str, str]]:
    """Each variable's name → (说明, 类型), in the file's order."""
    return {
        name: (str(label), str(kind)) for name, (label, kind) in texts.table("variables.described").items()
    }

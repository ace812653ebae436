"""The report's fixed words are data (data/report_text.toml, data/report_layout.toml), not Python: the
report modules hold almost no Chinese outside docstrings, every key the code names exists, and slots are
filled or refused."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from fazhi.errors import CatalogError
from fazhi.report import texts
from fazhi.settings import PROJECT_DIR

REPORT = PROJECT_DIR / "fazhi" / "report"
CJK = re.compile(r"[\u3400-\u9fff]")
LIMIT = 400  # CJK characters in string constants outside docstrings, all report modules together


def _chinese_in_constants(path: Path) -> int:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                docstrings.add(id(first.value))
    return sum(
        len(CJK.findall(node.value))
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings
    )


def test_the_report_modules_hold_almost_no_chinese_sentences() -> None:
    counts = {path.name: _chinese_in_constants(path) for path in sorted(REPORT.glob("*.py"))}
    assert sum(counts.values()) < LIMIT, counts
    assert _chinese_in_constants(Path(__file__)) > 0  # the count sees Chinese where there is some


_NAMED = re.compile(r"""texts\.(?:text|table)\(\s*"([a-z_]+(?:\.[a-z_]+)+)\"""")


def test_every_key_the_code_names_is_in_the_file() -> None:
    named = {
        key
        for path in [*REPORT.glob("*.py"), *(PROJECT_DIR / "pages").glob("*.py")]
        for key in _NAMED.findall(path.read_text(encoding="utf-8"))
    }
    assert len(named) > 80
    missing = []
    for key in sorted(named):
        try:
            texts.table(key)
        except CatalogError:
            missing.append(key)
    assert missing == []


def test_slots_are_filled_and_other_braces_kept() -> None:
    assert texts.text("headings.plan", next_year=2021) == "四、2021年工作安排"
    assert texts.text("messages.render_timeout", seconds=30.0).startswith("模板生成报告超过30秒仍未完成")
    assert texts.text("messages.syntax_unclosed_block", tag="for") == "{% for %} 标记缺少对应的 {% endfor %}"
    assert texts.text("messages.forbidden", what="X").endswith(
        "报告模板只能使用 {{ 变量 }}、{% for %}、{% if %} 和“模板变量说明”中的变量。"
    )
    assert texts.text("wording_checks.bad_slot", slot="x|y") == "的占位 {x|y} 写法不对。"
    assert (
        texts.text("messages.syntax_where", text="{year}") == "问题在这一段：“{year}”。"
    )  # values stay as given


def test_a_missing_slot_or_key_names_the_entry() -> None:
    with pytest.raises(CatalogError, match=r"report_text.toml 的 headings.plan 中有未知的填空 \{next_year\}"):
        texts.text("headings.plan")
    with pytest.raises(CatalogError, match="report_text.toml 中没有 headings.nothing"):
        texts.text("headings.nothing")


def test_an_unreadable_file_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    broken = tmp_path / "report_text.toml"
    broken.write_text("[report\n", encoding="utf-8")
    monkeypatch.setattr(texts, "TEXT_FILE", broken)
    with pytest.raises(CatalogError, match=r"^报告文字文件 .*report_text.toml 无法读取"):
        texts.text("headings.plan", next_year=2021)

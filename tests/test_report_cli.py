"""python -m fazhi report and the report part of python -m fazhi check."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest
from docx import Document

from fazhi.__main__ import main
from fazhi.report import pdf


@pytest.fixture
def demo_file(tmp_path: Path, templates: dict[str, Path]) -> Path:
    """A database file holding the demo: a copy of the run's template (tests/conftest.py), the same file
    `python -m fazhi demo` makes (tests/test_cli.py runs that command)."""
    path = tmp_path / "cli.duckdb"
    shutil.copy(templates["demo"], path)
    return path


def test_report_to_word(demo_file: Path, tmp_path: Path, capsys) -> None:
    out = tmp_path / "报告.docx"
    args = [
        "report",
        "--db",
        str(demo_file),
        "--unit",
        "燕山乡",
        "--year",
        "2020",
        "--out",
        str(out),
        "--no-charts",
    ]
    assert main(args) == 0
    printed = capsys.readouterr().out.splitlines()
    assert printed[0] == f"已生成燕山乡2020年法治政府建设情况报告：{out}（7 个小节，45 项指标，0 张图表）。"
    assert printed[1].startswith(
        "提示：以下2节没有数据，需要手工填写：三、存在的不足和原因、四、2021年工作安排"
    )
    assert printed[2] == "提示：报告中还有2处“【请填写：……】”没有填写（在 Word 文件中以黄色标出）。"
    assert printed[3].startswith("待填写：【请填写：本年度法治政府建设存在的不足和原因")
    paragraphs = [p.text for p in Document(io.BytesIO(out.read_bytes())).paragraphs]
    assert paragraphs[0] == "燕山乡关于2020年法治政府建设情况的报告"
    assert any("发放宣传资料2500余份" in p for p in paragraphs)


def test_default_file_name_and_pdf(
    demo_file: Path, tmp_path: Path, capsys, monkeypatch: pytest.MonkeyPatch
) -> None:
    if pdf.soffice_path() is None:
        pytest.skip("没有安装 LibreOffice")
    monkeypatch.chdir(tmp_path)
    args = ["report", "--db", str(demo_file), "--unit", "燕山乡", "--year", "2020", "--pdf", "--no-charts"]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "已生成 PDF：燕山乡2020年法治政府建设情况报告.pdf" in out
    assert (tmp_path / "燕山乡2020年法治政府建设情况报告.pdf").read_bytes().startswith(b"%PDF")


def test_a_bad_template_or_unit_exits_with_the_reason(demo_file: Path, tmp_path: Path, capsys) -> None:
    broken = tmp_path / "坏模板.docx"
    document = Document()
    document.add_paragraph("{% for p in duty %}")
    document.save(broken)
    base = ["report", "--db", str(demo_file), "--year", "2020", "--no-charts"]
    assert main([*base, "--unit", "燕山乡", "--template", str(broken)]) == 2
    assert "{% for %} 标记缺少对应的 {% endfor %}" in capsys.readouterr().err
    assert main([*base, "--unit", "燕山乡", "--template", str(tmp_path / "无.docx")]) == 2
    assert capsys.readouterr().err.startswith("错误：无法读取模板文件")
    assert main([*base, "--unit", "无此乡"]) == 2
    assert capsys.readouterr().err == "错误：找不到名为“无此乡”的单位。\n"


def test_check_validates_the_report_template(capsys) -> None:
    assert main(["check"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "目录检查通过：2 版纲要，55 种记录类型，166 个字段，153 项指标。"
    assert lines[1:] == [
        "报告结构检查通过：2 版纲要共 17 个小节（data/report.toml）。",
        "报告措辞检查通过：52 个要点、239 个分句，153 项指标中148 项由正文讲述、5 项说明了不讲的原因（data/wording.toml）。",
        "默认报告模板检查通过：report_template.docx（GB/T 9704 版式，标记和变量均正确）。",
    ]

"""The report through LibreOffice: a PDF with text on more than one page, page 1 as PNG (pdftoppm);
clear reasons when LibreOffice is missing or hangs. Skipped without soffice, except in CI."""

from __future__ import annotations

import os
import shutil
import subprocess
from datetime import date
from pathlib import Path

import pytest

from fazhi import auth, db
from fazhi.catalog import Catalog
from fazhi.errors import PdfUnavailable
from fazhi.report import pdf
from fazhi.report.generate import generate, generate_pdf
from fazhi.units import find_unit
from tests.artifacts import SCREENSHOTS

needs_soffice = pytest.mark.skipif(
    pdf.soffice_path() is None and os.environ.get("CI") != "true",
    reason="没有安装 LibreOffice（soffice），跳过 PDF 测试；安装：apt-get install libreoffice-writer-nogui poppler-utils",
)


def _pages(path: Path) -> int:
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    return int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))


def _page_text(path: Path, page: int) -> str:
    return subprocess.run(
        ["pdftotext", "-f", str(page), "-l", str(page), "-layout", str(path), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout


@needs_soffice
def test_demo_report_as_pdf(demo: db.Database, catalog: Catalog, tmp_path: Path) -> None:
    report = generate(
        demo,
        auth.system_user(),
        catalog,
        find_unit(demo, "燕山乡"),
        2020,
        charts=False,
        today=date(2021, 1, 15),
    )
    target = tmp_path / "report.pdf"
    target.write_bytes(generate_pdf(report))
    assert target.read_bytes().startswith(b"%PDF")
    pages = _pages(target)
    assert pages > 1
    texts = [_page_text(target, n) for n in range(1, pages + 1)]
    assert sum(1 for t in texts if len(t.strip()) > 100) > 1  # text on more than one page
    first = texts[0].replace(" ", "")
    assert "燕山乡关于2020年法治政府建设情况的报告" in first and "区委、区政府：" in first
    assert "—1—" in first  # the PAGE field, evaluated
    assert "发放宣传资料2500余份" in "".join(texts).replace(" ", "").replace("\n", "")
    subprocess.run(
        ["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", str(target), str(tmp_path / "page")],
        check=True,
    )
    (png,) = tmp_path.glob("page*.png")
    assert png.read_bytes().startswith(b"\x89PNG") and png.stat().st_size > 10_000
    keep = SCREENSHOTS  # for people to look at, with the browser tests' screenshots (not in the tree)
    keep.mkdir(parents=True, exist_ok=True)
    shutil.copy(png, keep / "report-page-1.png")


def test_without_libreoffice_the_reason_is_given(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAZHI_SOFFICE", "/nonexistent/soffice")
    assert pdf.soffice_path() is None
    assert pdf.problem().startswith("本机没有安装 LibreOffice（soffice），无法生成 PDF")
    with pytest.raises(PdfUnavailable, match="没有安装 LibreOffice"):
        pdf.to_pdf(b"not used")


def test_a_hanging_conversion_is_stopped(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    slow = tmp_path / "soffice"
    slow.write_text("#!/bin/sh\nsleep 10\n")
    slow.chmod(0o755)
    monkeypatch.setenv("FAZHI_SOFFICE", str(slow))
    with pytest.raises(PdfUnavailable, match="超过0.5秒仍未完成"):
        pdf.to_pdf(b"docx", timeout=0.5)


def test_a_failed_conversion_is_reported(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    failing = tmp_path / "soffice"
    failing.write_text("#!/bin/sh\necho 'Error: source file could not be loaded' >&2\nexit 1\n")
    failing.chmod(0o755)
    monkeypatch.setenv("FAZHI_SOFFICE", str(failing))
    with pytest.raises(PdfUnavailable, match="没能把报告转换为 PDF。Error: source file could not be loaded"):
        pdf.to_pdf(b"docx")

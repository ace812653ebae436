"""The report through LibreOffice: a PDF with text on more than one page, page 1 as PNG (pdftoppm);
clear reasons when LibreOffice is missing or hangs. Skipped without soffice, except in CI."""

from __future__ import annotations

import os
import shutil
import subprocess
from datetime import date
from pathlib import Path

import pytest
from PIL import Image

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


NOTO_SERIF = Path("/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc")


def _normal(image: Image.Image) -> Image.Image:
    """The ink of a glyph, cropped and scaled to 64 × 64 black and white."""
    from PIL import ImageOps

    box = ImageOps.invert(image.convert("L")).getbbox()
    return image.convert("L").crop(box).resize((64, 64)).point(lambda v: 0 if v < 128 else 255)


def _reference(char: str, face: int) -> Image.Image:
    """`char` drawn by one face of the Noto Serif CJK collection (0 = JP, 2 = SC)."""
    from PIL import ImageDraw, ImageFont

    image = Image.new("L", (320, 320), 255)
    ImageDraw.Draw(image).text(
        (20, 20), char, font=ImageFont.truetype(str(NOTO_SERIF), 240, index=face), fill=0
    )
    return _normal(image)


def looks_simplified(glyph: Image.Image, char: str = "令") -> bool:
    """True when a drawn 令 is nearer the Simplified Chinese form (丶 and マ below) than the Japanese one."""
    from PIL import ImageChops, ImageStat

    shape = _normal(glyph)
    distance = {
        face: ImageStat.Stat(ImageChops.difference(shape, _reference(char, face))).mean[0] for face in (0, 2)
    }
    return distance[2] < distance[0]


@needs_soffice
@pytest.mark.skipif(not NOTO_SERIF.exists(), reason="需要 fonts-noto-cjk 才能比较字形")
def test_the_pdf_draws_simplified_chinese_glyph_forms(tmp_path: Path) -> None:
    """令 differs between the Japanese and the Simplified Chinese forms of Noto CJK: the PDF must draw the SC
    one (python-docx's template declares ja-JP, and a PDF embedding the JP face drew Japanese forms)."""
    import io

    from docx import Document
    from docx.oxml.ns import qn
    from docx.shared import Pt

    from fazhi.report.template import default_template_bytes

    # the check can tell the two apart: the JP face's own 令 is not taken for the SC form
    assert looks_simplified(_reference("令", 2)) and not looks_simplified(_reference("令", 0))
    document = Document(io.BytesIO(default_template_bytes()))  # our template: its language, fonts, grid
    body = document.element.body
    for element in list(body)[:-1]:
        body.remove(element)
    run = document.add_paragraph(style="公文正文").add_run("令")
    run.font.size = Pt(72)
    fonts = run._r.get_or_add_rPr().get_or_add_rFonts()
    for attribute in ("w:ascii", "w:hAnsi", "w:eastAsia"):
        fonts.set(qn(attribute), "仿宋_GB2312")
    out = io.BytesIO()
    document.save(out)
    (tmp_path / "glyph.pdf").write_bytes(pdf.to_pdf(out.getvalue()))
    subprocess.run(
        ["pdftoppm", "-r", "150", "-png", "-f", "1", "-l", "1", "glyph.pdf", "g"], cwd=tmp_path, check=True
    )
    page = Image.open(next(tmp_path.glob("g*.png")))
    top = page.crop((0, 0, page.width, page.height // 3))  # the glyph, not the page number
    assert looks_simplified(top)

"""The default report template: the committed file is what the code builds, and the GB/T 9704 layout
(page, margins, fonts including eastAsia, sizes, indents, line spacing, page numbers) reads back from a
rendered report."""

from __future__ import annotations

import io
from datetime import date

import pytest
from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml.ns import qn

from fazhi import auth, db
from fazhi.catalog import Catalog
from fazhi.errors import CatalogError
from fazhi.report import template, texts
from fazhi.report.context import build_context
from fazhi.report.layout import LAYOUT_FILE, REQUIRED_STYLES, load_layout
from fazhi.report.render import render
from fazhi.units import find_unit

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def test_committed_template_is_what_the_code_builds() -> None:
    built, committed = (
        template.parts(template.build_template()),
        template.parts(template.default_template_bytes()),
    )
    assert sorted(built) == sorted(committed)
    assert [name for name in built if built[name] != committed[name]] == []
    assert "docProps/thumbnail.jpeg" not in committed


@pytest.fixture(scope="module")
def report(report_bytes: bytes) -> Document:
    """The demo's 2020 report as users download it, opened."""
    return Document(io.BytesIO(report_bytes))


@pytest.fixture(scope="module")
def report_bytes() -> bytes:
    """The demo's 2020 report as users download it (built once for the module)."""
    import tempfile
    from pathlib import Path

    from fazhi import sample
    from fazhi.catalog import load_catalog

    with tempfile.TemporaryDirectory() as folder:
        database = db.connect(Path(folder) / "layout.duckdb")
        catalog: Catalog = load_catalog()
        sample.load_demo(database, catalog)
        context = build_context(
            database,
            auth.system_user(),
            catalog,
            find_unit(database, "燕山乡"),
            2020,
            today=date(2021, 1, 15),
        )
        database.close()
    return render(context)


def fonts(style) -> dict[str, str]:
    element = style.element.rPr.find(qn("w:rFonts"))
    return {name: element.get(qn(f"w:{name}")) for name in ("ascii", "hAnsi", "eastAsia", "cs")}


def test_page_and_margins(report: Document) -> None:
    section = report.sections[0]
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)
    assert [
        round(m.mm)
        for m in (section.top_margin, section.bottom_margin, section.left_margin, section.right_margin)
    ] == [
        37,
        35,
        28,
        26,
    ]
    body_height = section.page_height.mm - section.top_margin.mm - section.bottom_margin.mm
    assert body_height == pytest.approx(225, abs=0.2)
    assert int(body_height / 25.4 * 72 // template.LINE_PT) == 22  # 22 lines a page
    grid = section._sectPr.find(qn("w:docGrid"))
    assert (grid.get(qn("w:type")), grid.get(qn("w:linePitch"))) == ("linesAndChars", "579")
    # 28 characters a line: the character pitch is 16 pt plus charSpace/4096 pt, 28 of them fill the 版心
    pitch = 16 + int(grid.get(qn("w:charSpace"))) / 4096
    assert int(156 / 25.4 * 72 // pitch) == 28 and grid.get(qn("w:charSpace")) == "-848"


def test_the_page_number_sits_seven_millimetres_below_the_text_block(report: Document) -> None:
    section = report.sections[0]
    number = report.styles["页码"].paragraph_format
    assert number.line_spacing_rule == WD_LINE_SPACING.EXACTLY and number.line_spacing.pt == 14
    line_mm = 14 / 72 * 25.4
    top_of_number = section.footer_distance.mm + line_mm  # from the bottom edge of the page
    assert section.bottom_margin.mm - top_of_number == pytest.approx(7, abs=0.1)


def test_language_fonts_and_table_layout(report_bytes: bytes) -> None:
    import zipfile

    with zipfile.ZipFile(io.BytesIO(report_bytes)) as archive:
        settings = archive.read("word/settings.xml").decode()
        document = archive.read("word/document.xml").decode()
        font_table = archive.read("word/fontTable.xml").decode()
        styles = archive.read("word/styles.xml").decode()
    assert "ja-JP" not in settings + styles and 'w:eastAsia="zh-CN"' in settings
    for font in ("方正小标宋简体", "仿宋_GB2312", "黑体", "楷体_GB2312", "宋体"):
        assert f'w:name="{font}"' in font_table
    for table in document.split("<w:tbl>")[1:]:
        assert table.split("</w:tblPr>")[0].count("<w:tblLayout") == 1  # one fixed layout per table
    assert "<w:noWrap/>" in document  # "105.6%" stays on one line


@pytest.mark.parametrize(
    ("style", "font", "size", "align", "first_line_chars"),
    [
        ("公文标题", "方正小标宋简体", 22, WD_ALIGN_PARAGRAPH.CENTER, None),
        ("主送机关", "仿宋_GB2312", 16, WD_ALIGN_PARAGRAPH.JUSTIFY, None),
        ("公文正文", "仿宋_GB2312", 16, WD_ALIGN_PARAGRAPH.JUSTIFY, "200"),
        ("一级标题", "黑体", 16, WD_ALIGN_PARAGRAPH.JUSTIFY, "200"),
        ("二级标题", "楷体_GB2312", 16, WD_ALIGN_PARAGRAPH.JUSTIFY, "200"),
        ("落款", "仿宋_GB2312", 16, WD_ALIGN_PARAGRAPH.RIGHT, None),
        ("成文日期", "仿宋_GB2312", 16, WD_ALIGN_PARAGRAPH.RIGHT, None),
        ("页码", "宋体", 14, WD_ALIGN_PARAGRAPH.RIGHT, None),
    ],
)
def test_styles(
    report: Document, style: str, font: str, size: int, align, first_line_chars: str | None
) -> None:
    found = report.styles[style]
    assert fonts(found) == {"ascii": font, "hAnsi": font, "eastAsia": font, "cs": font}
    assert found.font.size.pt == size
    fmt = found.paragraph_format
    assert fmt.alignment == align
    assert fmt.line_spacing_rule == WD_LINE_SPACING.EXACTLY
    assert fmt.line_spacing.pt == pytest.approx(14 if style == "页码" else 28.9, abs=0.05)
    indent = found.element.pPr.find(qn("w:ind"))
    assert (indent.get(qn("w:firstLineChars")) if indent is not None else None) == first_line_chars
    if first_line_chars:
        assert fmt.first_line_indent.pt == 2 * size  # two characters
    if style in ("落款", "成文日期"):
        assert indent.get(qn("w:rightChars")) == "400" and fmt.right_indent.pt == 64  # four characters in


def test_document_defaults_use_chinese_fonts(report: Document) -> None:
    defaults = report.styles.element.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr"))
    rfonts = defaults.find(qn("w:rFonts"))
    assert rfonts.get(qn("w:eastAsia")) == "仿宋_GB2312" and rfonts.get(qn("w:asciiTheme")) is None
    assert defaults.find(qn("w:lang")).get(qn("w:eastAsia")) == "zh-CN"


def test_paragraphs_use_the_layout_styles(report: Document) -> None:
    paragraphs = [p for p in report.paragraphs if p.text.strip()]
    assert (paragraphs[0].text, paragraphs[0].style.name) == (
        "燕山乡关于2020年法治政府建设情况的报告",
        "公文标题",
    )
    assert (paragraphs[1].text, paragraphs[1].style.name) == ("区委、区政府：", "主送机关")
    styles = {p.text: p.style.name for p in paragraphs}
    assert styles["一、2020年推进法治政府建设的主要举措和成效"] == "一级标题"
    assert styles["（一）加强组织领导，强化法治建设保障"] == "二级标题"
    assert styles["燕山乡人民政府"] == "落款" and styles["2021年1月15日"] == "成文日期"
    body = [p for p in paragraphs if p.text.startswith("一是强化组织领导")]
    assert body and body[0].style.name == "公文正文"


def test_page_numbers_odd_right_even_left(report: Document) -> None:
    assert report.settings.odd_and_even_pages_header_footer is True
    assert report.element.find(qn("w:body")) is not None
    section = report.sections[0]
    for footer, align, indent in (
        (section.footer, WD_ALIGN_PARAGRAPH.RIGHT, "w:right"),
        (section.even_page_footer, WD_ALIGN_PARAGRAPH.LEFT, "w:left"),
    ):
        (paragraph,) = footer.paragraphs
        assert paragraph.text == "— 1 —"
        assert paragraph.style.name == "页码" and paragraph.alignment == align
        assert paragraph._p.pPr.find(qn("w:ind")).get(qn(indent)) == "280"  # one 14 pt character in
        xml = paragraph._p.xml
        assert xml.count('w:fldCharType="begin"') == 1 and " PAGE " in xml and 'w:fldCharType="end"' in xml


def test_indicator_table_is_full_width(report: Document) -> None:
    (table,) = report.tables
    assert [c.text for c in table.rows[0].cells] == list(texts.table("appendix.table_headers"))
    grid = [int(col.get(qn("w:w"))) for col in table._tbl.tblGrid.findall(qn("w:gridCol"))]
    assert round(sum(grid) / 1440 * 25.4) == 156
    assert table.rows[1].cells[1].text == "专题研究法治建设会议"


def test_every_style_of_the_layout_file_reads_back_from_the_report(report: Document) -> None:
    layout = load_layout()
    assert set(layout.styles) == set(REQUIRED_STYLES)
    for style in layout.styles.values():
        found = report.styles[style.name]
        assert fonts(found)["eastAsia"] == style.font.name, style.key
        assert found.font.size.pt == style.size, style.key
        spacing = found.paragraph_format
        if style.key == "figure":  # an exact spacing would crop the picture
            assert spacing.line_spacing_rule == WD_LINE_SPACING.SINGLE
        else:
            assert spacing.line_spacing.pt == pytest.approx(style.line or template.LINE_PT, abs=0.05), (
                style.key
            )


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (('font = "h1"', 'font = "bold"'), "[styles] h1 有误：font。"),
        (('align = "left" }', 'align = "top" }'), "[styles] attachment_mark 有误：align。"),
        (
            ('size = 22, align = "center" }                 #', 'size = 0, align = "center" }  #'),
            "[styles] title 有误：size。",
        ),
        (("first_line = 2, outline = 0", "first_line = -2, outline = 0"), "[styles] h1 有误：first_line。"),
        (('family = "roman"', 'family = "serif"'), "[fonts] title 有误：family。"),
        (("\ncaption = {", "\n# caption = {"), "[styles] 有误：caption。"),
        (('name = "图题"', 'name = "图"'), "[styles] 有误：name。"),
    ],
)
def test_a_wrong_layout_file_is_named_with_its_entry(tmp_path, change: tuple[str, str], message: str) -> None:
    text = LAYOUT_FILE.read_text(encoding="utf-8")
    assert change[0] in text
    broken = tmp_path / "report_layout.toml"
    broken.write_text(text.replace(change[0], change[1], 1), encoding="utf-8")
    with pytest.raises(CatalogError) as caught:
        load_layout(broken)
    assert caught.value.message == f"报告版式文件 report_layout.toml 的 {message}"


def test_an_unreadable_layout_file_is_named(tmp_path) -> None:
    broken = tmp_path / "report_layout.toml"
    broken.write_text("[fonts\n", encoding="utf-8")
    with pytest.raises(CatalogError, match=r"^报告版式文件 .*report_layout.toml 无法读取"):
        load_layout(broken)


def test_the_pdf_preview_maps_every_layout_font(tmp_path) -> None:
    from fazhi.report import pdf

    conf = pdf._fonts_conf(tmp_path)
    if conf is None:
        pytest.skip("no /etc/fonts/fonts.conf here")
    text = conf.read_text(encoding="utf-8")
    for font in load_layout().fonts.values():
        assert (
            f"<family>{font.name}</family><prefer>" + "".join(f"<family>{f}</family>" for f in font.preview)
            in text
        )

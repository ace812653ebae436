"""The default report template, built with python-docx in the GB/T 9704-2012 公文 layout.

The template holds only placeholders and simple loops for docxtpl (no arithmetic); every number and
sentence comes from `context.build_context`. `python -m fazhi report-template` is not needed: the
built file is committed as data/report_template.docx and a test checks it equals what this code builds.

Layout (DOMAIN.md §6): A4; margins top 37 mm, bottom 35, left 28, right 26 (版心 156 × 225 mm); title
22 pt 方正小标宋简体 centred; body 16 pt 仿宋_GB2312, first line indented two characters, exact line
spacing 28.9 pt (22 lines a page); "一、" headings 黑体, "（一）" headings 楷体_GB2312; page numbers
"— 1 —" in 14 pt 宋体 as a PAGE field, odd pages right and even pages left, one character in. Fonts are
set on w:eastAsia as well as w:ascii/w:hAnsi/w:cs, or Word shows Chinese in the wrong face.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any

from docx import Document
from docx.document import Document as DocumentObject
from docx.enum.section import WD_SECTION
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import qn
from docx.oxml.xmlchemy import BaseOxmlElement
from docx.shared import Mm, Pt
from lxml import etree

from fazhi.report import texts
from fazhi.report.layout import Layout, load_layout
from fazhi.settings import DATA_DIR

DEFAULT_TEMPLATE = DATA_DIR / "report_template.docx"

PAGE_MM = (210, 297)
MARGINS_MM = {"top": 37, "bottom": 35, "left": 28, "right": 26}
HEADER_MM = 15
# The page number sits 7 mm below the 版心: its 14 pt line (≈5 mm) ends 35 − 7 − 5 = 23 mm above the edge.
FOOTER_MM = 23
LINE_PT = 28.9  # 225 mm ÷ 22 lines
LINE_PITCH = 579  # the document grid's line pitch in twips (28.95 pt: 22 lines in the 225 mm 版心)
# The grid's character pitch: 28 characters of 16 pt in the 156 mm 版心 are 15.79 pt each, written as
# the offset from 16 pt in 1/4096 pt (Word's w:charSpace).
CHARS_PER_LINE = 28
CHAR_SPACE = round((156 / 25.4 * 72 / CHARS_PER_LINE - 16) * 4096)
# Table columns (mm, 156 in all) and the row fields they show; headers and styles are data.
TABLE_COLUMNS_MM = (14, 43, 22, 27, 20, 30)  # 序号, 指标, 年度目标, 完成情况, 完成率, 较上年
TABLE_FIELDS = ("no", "name", "target", "value", "completion", "change")
NO_WRAP = ("target", "value", "completion")  # "105.6%" and "2536份" never break inside a cell
UNITS_COLUMNS_MM = (13, 35, 27, 27, 27, 27)  # 序号, 乡镇（街道）, four indicators
UNITS_FIELDS = ("no", "name", "c1", "c2", "c3", "c4")
_ALIGN = {
    "left": WD_ALIGN_PARAGRAPH.LEFT,
    "center": WD_ALIGN_PARAGRAPH.CENTER,
    "right": WD_ALIGN_PARAGRAPH.RIGHT,
    "justify": WD_ALIGN_PARAGRAPH.JUSTIFY,
}


def set_fonts(rpr: BaseOxmlElement, name: str) -> None:
    """Name the font for Latin, East Asian and complex scripts alike, dropping theme fonts that would win."""
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    for theme in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        fonts.attrib.pop(qn(theme), None)
    for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(attr), name)


def _indent_chars(ppr: BaseOxmlElement, first_line: int, right: int) -> None:
    """Indents in characters (w:firstLineChars/w:rightChars, which Word follows) beside their twips."""
    ind = ppr.find(qn("w:ind"))
    if ind is None:
        ind = OxmlElement("w:ind")
        ppr.append(ind)
    if first_line:
        ind.set(qn("w:firstLineChars"), str(first_line * 100))
    if right:
        ind.set(qn("w:rightChars"), str(right * 100))


def _defaults(document: DocumentObject, layout: Layout) -> None:
    """Document defaults: the body font everywhere, Chinese language for line breaking."""
    body = layout.styles["body"]
    rpr = document.styles.element.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr"))
    set_fonts(rpr, body.font.name)
    lang = rpr.find(qn("w:lang"))
    if lang is None:
        lang = OxmlElement("w:lang")
        rpr.append(lang)
    lang.set(qn("w:val"), "en-US")
    lang.set(qn("w:eastAsia"), "zh-CN")
    theme_lang = document.settings.element.find(qn("w:themeFontLang"))
    if (
        theme_lang is not None
    ):  # python-docx's template says ja-JP: Chinese text would be laid out as Japanese
        theme_lang.set(qn("w:eastAsia"), "zh-CN")
    normal = document.styles["Normal"]
    normal.font.size = Pt(body.size)
    set_fonts(normal.element.get_or_add_rPr(), body.font.name)
    fmt = normal.paragraph_format
    fmt.space_before = fmt.space_after = Pt(0)
    fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    fmt.line_spacing = Pt(LINE_PT)


def _styles(document: DocumentObject, layout: Layout) -> None:
    for style_ in layout.styles.values():
        style = document.styles.add_style(style_.name, WD_STYLE_TYPE.PARAGRAPH)
        style.base_style = document.styles["Normal"]
        style.quick_style = True
        style.font.size = Pt(style_.size)
        set_fonts(style.element.get_or_add_rPr(), style_.font.name)
        fmt = style.paragraph_format
        fmt.alignment = _ALIGN[style_.align]
        fmt.space_before = fmt.space_after = Pt(0)
        fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
        fmt.line_spacing = Pt(style_.line or LINE_PT)
        fmt.first_line_indent = Pt(style_.first_line * style_.size) if style_.first_line else Pt(0)
        fmt.right_indent = Pt(style_.right * style_.size) if style_.right else None
        _indent_chars(style.element.get_or_add_pPr(), style_.first_line, style_.right)
        if style_.outline is not None:  # so Word's navigation pane lists the headings
            fmt.keep_with_next = True
            level = OxmlElement("w:outlineLvl")
            level.set(qn("w:val"), str(style_.outline))
            style.element.get_or_add_pPr().append(level)

    def fmt_of(key: str) -> Any:
        return document.styles[layout.name(key)].paragraph_format

    fmt_of("attachment_more").left_indent = Pt(
        5 * layout.styles["body"].size
    )  # under the name after "附件："
    fmt_of("attachment_mark").page_break_before = True
    # No page may hold the signature alone: the last paragraph of the body, the 附件说明 and the blank line
    # travel with 署名, and 署名 with 成文日期.
    for key in ("body_last", "attachment_note", "attachment_more", "issuer"):
        fmt_of(key).keep_with_next = True
    fmt_of("figure").keep_with_next = True
    fmt_of("caption").keep_with_next = False
    image = fmt_of("figure")
    image.line_spacing_rule = WD_LINE_SPACING.SINGLE  # an exact spacing would crop the picture
    image.space_before = Pt(12)


def _page(document: DocumentObject, layout: Layout) -> None:
    section = document.sections[0]
    section.start_type = WD_SECTION.NEW_PAGE
    section.page_width, section.page_height = Mm(PAGE_MM[0]), Mm(PAGE_MM[1])
    section.top_margin, section.bottom_margin = Mm(MARGINS_MM["top"]), Mm(MARGINS_MM["bottom"])
    section.left_margin, section.right_margin = Mm(MARGINS_MM["left"]), Mm(MARGINS_MM["right"])
    section.header_distance, section.footer_distance = Mm(HEADER_MM), Mm(FOOTER_MM)
    section.gutter = Mm(0)
    grid = section._sectPr.find(qn("w:docGrid"))
    if grid is None:
        grid = OxmlElement("w:docGrid")
        section._sectPr.append(grid)
    grid.attrib.clear()
    grid.set(qn("w:type"), "linesAndChars")  # 22 lines of 28 characters, as GB/T 9704 sets the 版心
    grid.set(qn("w:linePitch"), str(LINE_PITCH))
    grid.set(qn("w:charSpace"), str(CHAR_SPACE))
    document.settings.odd_and_even_pages_header_footer = True
    _page_number(document, layout, section.footer.paragraphs[0], WD_ALIGN_PARAGRAPH.RIGHT)
    _page_number(document, layout, section.even_page_footer.paragraphs[0], WD_ALIGN_PARAGRAPH.LEFT)


def _field_char(kind: str) -> BaseOxmlElement:
    char = OxmlElement("w:fldChar")
    char.set(qn("w:fldCharType"), kind)
    return char


def _page_number(document: DocumentObject, layout: Layout, paragraph: Any, align: WD_ALIGN_PARAGRAPH) -> None:
    """'— N —' with N a PAGE field; odd pages right and even pages left, one character in."""
    style = layout.styles["page_number"]
    paragraph.style = document.styles[style.name]
    paragraph.alignment = align
    fmt = paragraph.paragraph_format
    if align == WD_ALIGN_PARAGRAPH.RIGHT:
        fmt.right_indent = Pt(style.size)
    else:
        fmt.left_indent = Pt(style.size)
    paragraph.add_run("— ")
    begin = paragraph.add_run()
    begin._r.append(_field_char("begin"))
    instruction = paragraph.add_run()
    text = OxmlElement("w:instrText")
    text.set(qn("xml:space"), "preserve")
    text.text = " PAGE "
    instruction._r.append(text)
    separate = paragraph.add_run()
    separate._r.append(_field_char("separate"))
    paragraph.add_run("1")
    end = paragraph.add_run()
    end._r.append(_field_char("end"))
    paragraph.add_run(" —")


class _Writer:
    """Appends template paragraphs in a style; `{%p … %}` control lines go in paragraphs of their own."""

    def __init__(self, document: DocumentObject, layout: Layout) -> None:
        self.document = document
        self.layout = layout

    def line(self, text: str, style: str = "body") -> None:
        """A paragraph of `text` in the layout's style `style` (a key such as 'h1')."""
        self.document.add_paragraph(text, style=self.layout.name(style))

    def control(self, tag: str) -> None:
        self.document.add_paragraph(f"{{%p {tag} %}}", style=self.layout.name("body"))

    def paragraphs(self, source: str, last: str = "") -> None:
        """A loop over {text, heading} paragraphs: headings such as '（一）…' in 楷体, the rest as body text;
        when `last` holds, the final paragraph keeps with the signature that follows."""
        self.control(f"for para in {source}")
        self.control("if para.heading")
        self.line("{{ para.text }}", "h2")
        if last:
            self.control(f"elif loop.last and {last}")
            self.line("{{ para.text }}", "body_last")
        self.control("else")
        self.line("{{ para.text }}")
        self.control("endif")
        self.control("endfor")


def _table(
    document: DocumentObject,
    layout: Layout,
    columns_mm: tuple[int, ...],
    headers: tuple[str, ...],
    fields: tuple[str, ...],
    rows: str,
    no_wrap: tuple[str, ...] = (),
) -> None:
    """A fixed-width table: a header row repeated on every page and one row per item of `rows`."""
    table = document.add_table(rows=4, cols=len(headers))
    table.style = document.styles["Table Grid"]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False  # a fixed layout (one w:tblLayout): the widths below hold in Word and LibreOffice
    properties = table._tbl.tblPr
    width = properties.find(qn("w:tblW"))
    width.set(qn("w:type"), "dxa")
    width.set(qn("w:w"), str(round(sum(columns_mm) / 25.4 * 1440)))
    for column, mm in zip(table.columns, columns_mm, strict=True):
        column.width = Mm(mm)
    for row in table.rows:
        for width, cell in zip(columns_mm, row.cells, strict=True):
            cell.width = Mm(width)
            cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
    header = table.rows[0]
    header_pr = header._tr.get_or_add_trPr()
    repeat = OxmlElement("w:tblHeader")
    header_pr.append(repeat)  # the header row repeats on every page of the table
    for cell, title in zip(header.cells, headers, strict=True):
        cell.paragraphs[0].text = title
        cell.paragraphs[0].style = document.styles[layout.name("table_header")]
    table.rows[1].cells[0].paragraphs[0].text = f"{{%tr for row in {rows} %}}"
    for cell, field in zip(table.rows[2].cells, fields, strict=True):
        cell.paragraphs[0].text = f"{{{{ row.{field} }}}}"
        cell.paragraphs[0].style = document.styles[layout.name("table_text")]
        if field in no_wrap:
            cell._tc.get_or_add_tcPr().append(OxmlElement("w:noWrap"))
    table.rows[2].cells[1].paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.LEFT
    table.rows[3].cells[0].paragraphs[0].text = "{%tr endfor %}"


def _font_table(document: DocumentObject, layout: Layout) -> None:
    """Name the 公文 fonts in word/fontTable.xml with their GB2312 charset and family (Word shows them in
    its font list and substitutes the closest installed face by charset and family when one is missing)."""
    part = next(p for p in document.part.package.parts if p.partname.endswith("fontTable.xml"))
    root = parse_xml(part.blob)
    for entry in layout.fonts.values():
        font = OxmlElement("w:font")
        font.set(qn("w:name"), entry.name)
        for tag, value in (
            ("w:altName", entry.alternative),
            ("w:charset", "86"),
            ("w:family", entry.family),
            ("w:pitch", "variable"),
        ):
            child = OxmlElement(tag)
            child.set(qn("w:val"), value)
            font.append(child)
        root.append(font)
    part._blob = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def build_template(layout: Layout | None = None) -> bytes:
    """The default report template as .docx bytes, in `layout` (data/report_layout.toml)."""
    layout = layout or load_layout()
    document = Document()
    package = document.part.package
    for key, rel in list(package.rels.items()):
        if rel.reltype.endswith("/thumbnail"):  # python-docx's sample thumbnail would show in Explorer
            package.rels.pop(key)
    document.core_properties.author = texts.text("report.generator")
    document.core_properties.title = ""
    document.core_properties.comments = ""
    _defaults(document, layout)
    _styles(document, layout)
    _page(document, layout)
    _font_table(document, layout)
    body = document.element.body
    for paragraph in list(document.paragraphs):
        body.remove(paragraph._p)
    w = _Writer(document, layout)
    w.control("for line in title_lines")
    w.line("{{ line }}", "title")
    w.control("endfor")
    w.line("", "recipient")
    w.line("{{ recipient }}", "recipient")
    w.paragraphs("opening")
    w.line("{{ headings.measures }}", "h1")
    w.control("for part in measures")
    w.line("{{ part.heading }}", "h2")
    w.paragraphs("part.paragraphs")
    w.control("endfor")
    for name in ("duty", "shortcomings"):
        w.line(f"{{{{ headings.{name} }}}}", "h1")
        w.paragraphs(name)
    w.line("{{ headings.plan }}", "h1")
    w.paragraphs("plan", last="not other")
    w.control("if other")
    w.line("{{ headings.other }}", "h1")
    w.paragraphs("other", last="true")
    w.control("endif")
    w.control("if attachments")
    w.line("", "issuer")
    w.control("for name in attachments")
    w.control("if loop.first")
    w.line(texts.text("report.attachment_list") + "{{ name }}", "attachment_note")
    w.control("else")
    w.line("{{ name }}", "attachment_more")
    w.control("endif")
    w.control("endfor")
    w.control("endif")
    w.line("", "issuer")
    w.line("{{ issuer }}", "issuer")
    w.line("{{ date }}", "date")
    w.control("if indicator_rows")
    w.line("{{ table_label }}", "attachment_mark")
    w.line("", "attachment_title")
    w.line("{{ table_title }}", "attachment_title")
    w.line("", "attachment_title")
    headers = tuple(texts.table("appendix.table_headers"))
    _table(document, layout, TABLE_COLUMNS_MM, headers, TABLE_FIELDS, "indicator_rows", NO_WRAP)
    w.line("{{ table_note }}", "table_note")
    w.control("endif")
    w.control("if unit_rows")
    w.line("{{ units_label }}", "attachment_mark")
    w.line("", "attachment_title")
    w.line("{{ units_title }}", "attachment_title")
    w.line("", "attachment_title")
    headers = (*texts.table("appendix.units_headers"), *(f"{{{{ units_header[{n}] }}}}" for n in range(4)))
    _table(document, layout, UNITS_COLUMNS_MM, headers, UNITS_FIELDS, "unit_rows", UNITS_FIELDS[2:])
    w.line("{{ units_note }}", "table_note")
    w.control("endif")
    w.control("if charts")
    w.line("{{ charts_label }}", "attachment_mark")
    w.line("", "attachment_title")
    w.line("{{ charts_title }}", "attachment_title")
    w.control("for chart in charts")
    w.line("{{ chart.image }}", "figure")
    w.line("{{ chart.caption }}", "caption")
    w.control("endfor")
    w.control("endif")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def write_default(path: Path | None = None) -> Path:
    """Build the default template and write it to `path` (default: data/report_template.docx)."""
    path = path or DEFAULT_TEMPLATE
    path.write_bytes(build_template())
    return path


def parts(docx: bytes) -> dict[str, bytes]:
    """The parts of a .docx by name: two templates are the same when their parts are."""
    with zipfile.ZipFile(io.BytesIO(docx)) as archive:
        return {name: archive.read(name) for name in sorted(archive.namelist())}


def default_template_bytes() -> bytes:
    """The committed default template (data/report_template.docx)."""
    return DEFAULT_TEMPLATE.read_bytes()

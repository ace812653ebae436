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

from docx import Document
from docx.document import Document as DocumentObject
from docx.enum.section import WD_SECTION
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.oxml.xmlchemy import BaseOxmlElement
from docx.shared import Mm, Pt

from fazhi.settings import DATA_DIR

DEFAULT_TEMPLATE = DATA_DIR / "report_template.docx"

PAGE_MM = (210, 297)
MARGINS_MM = {"top": 37, "bottom": 35, "left": 28, "right": 26}
HEADER_MM = 15
# The page number sits 7 mm below the 版心: its 14 pt line (≈5 mm) ends 35 − 7 − 5 = 23 mm above the edge.
FOOTER_MM = 23
LINE_PT = 28.9  # 225 mm ÷ 22 lines
BODY_PT = 16  # 三号
TITLE_PT = 22  # 二号
PAGE_NUMBER_PT = 14  # 四号
TABLE_PT = 12  # 小四
CAPTION_PT = 14

TITLE_FONT = "方正小标宋简体"
BODY_FONT = "仿宋_GB2312"
H1_FONT = "黑体"
H2_FONT = "楷体_GB2312"
PAGE_NUMBER_FONT = "宋体"

# style name → (font, size pt, alignment, first-line indent in characters, right indent in characters)
STYLES: dict[str, tuple[str, float, WD_ALIGN_PARAGRAPH, int, int]] = {
    "公文标题": (TITLE_FONT, TITLE_PT, WD_ALIGN_PARAGRAPH.CENTER, 0, 0),
    "主送机关": (BODY_FONT, BODY_PT, WD_ALIGN_PARAGRAPH.JUSTIFY, 0, 0),
    "公文正文": (BODY_FONT, BODY_PT, WD_ALIGN_PARAGRAPH.JUSTIFY, 2, 0),
    "正文末段": (BODY_FONT, BODY_PT, WD_ALIGN_PARAGRAPH.JUSTIFY, 2, 0),
    "一级标题": (H1_FONT, BODY_PT, WD_ALIGN_PARAGRAPH.JUSTIFY, 2, 0),
    "二级标题": (H2_FONT, BODY_PT, WD_ALIGN_PARAGRAPH.JUSTIFY, 2, 0),
    "附件说明": (BODY_FONT, BODY_PT, WD_ALIGN_PARAGRAPH.JUSTIFY, 2, 0),
    "附件说明续行": (BODY_FONT, BODY_PT, WD_ALIGN_PARAGRAPH.JUSTIFY, 0, 0),
    "落款": (BODY_FONT, BODY_PT, WD_ALIGN_PARAGRAPH.RIGHT, 0, 4),
    "成文日期": (BODY_FONT, BODY_PT, WD_ALIGN_PARAGRAPH.RIGHT, 0, 4),
    "附件标识": (H1_FONT, BODY_PT, WD_ALIGN_PARAGRAPH.LEFT, 0, 0),
    "附件标题": (TITLE_FONT, TITLE_PT, WD_ALIGN_PARAGRAPH.CENTER, 0, 0),
    "表格文字": (BODY_FONT, TABLE_PT, WD_ALIGN_PARAGRAPH.CENTER, 0, 0),
    "表头": (H1_FONT, TABLE_PT, WD_ALIGN_PARAGRAPH.CENTER, 0, 0),
    "表注": (BODY_FONT, TABLE_PT, WD_ALIGN_PARAGRAPH.LEFT, 0, 0),
    "图": (BODY_FONT, BODY_PT, WD_ALIGN_PARAGRAPH.CENTER, 0, 0),
    "图题": (BODY_FONT, CAPTION_PT, WD_ALIGN_PARAGRAPH.CENTER, 0, 0),
    "页码": (PAGE_NUMBER_FONT, PAGE_NUMBER_PT, WD_ALIGN_PARAGRAPH.RIGHT, 0, 0),
}
OUTLINE_LEVELS = {"一级标题": 0, "二级标题": 1}  # so Word's navigation pane lists the headings
TABLE_COLUMNS_MM = (14, 50, 22, 22, 18, 30)  # 序号, 指标, 年度目标, 完成情况, 完成率, 较上年 = 156 mm
TABLE_HEADERS = ("序号", "指标", "年度目标", "完成情况", "完成率", "较上年")
TABLE_FIELDS = ("no", "name", "target", "value", "completion", "change")


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


def _defaults(document: DocumentObject) -> None:
    """Document defaults: the body font everywhere, Chinese language for line breaking."""
    rpr = document.styles.element.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr"))
    set_fonts(rpr, BODY_FONT)
    lang = rpr.find(qn("w:lang"))
    if lang is None:
        lang = OxmlElement("w:lang")
        rpr.append(lang)
    lang.set(qn("w:val"), "en-US")
    lang.set(qn("w:eastAsia"), "zh-CN")
    normal = document.styles["Normal"]
    normal.font.size = Pt(BODY_PT)
    set_fonts(normal.element.get_or_add_rPr(), BODY_FONT)
    fmt = normal.paragraph_format
    fmt.space_before = fmt.space_after = Pt(0)
    fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    fmt.line_spacing = Pt(LINE_PT)


def _styles(document: DocumentObject) -> None:
    for name, (font, size, align, first_line, right) in STYLES.items():
        style = document.styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
        style.base_style = document.styles["Normal"]
        style.quick_style = True
        style.font.size = Pt(size)
        set_fonts(style.element.get_or_add_rPr(), font)
        fmt = style.paragraph_format
        fmt.alignment = align
        fmt.space_before = fmt.space_after = Pt(0)
        fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
        fmt.line_spacing = Pt(LINE_PT)
        fmt.first_line_indent = Pt(first_line * size) if first_line else Pt(0)
        fmt.right_indent = Pt(right * size) if right else None
        _indent_chars(style.element.get_or_add_pPr(), first_line, right)
        if name in OUTLINE_LEVELS:
            fmt.keep_with_next = True
            level = OxmlElement("w:outlineLvl")
            level.set(qn("w:val"), str(OUTLINE_LEVELS[name]))
            style.element.get_or_add_pPr().append(level)
    continued = document.styles["附件说明续行"].paragraph_format
    continued.left_indent = Pt(5 * BODY_PT)  # under the name after "附件："
    for name in ("表格文字", "表头", "表注"):
        fmt = document.styles[name].paragraph_format
        fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
        fmt.line_spacing = Pt(20)
    document.styles["附件标识"].paragraph_format.page_break_before = True
    # No page may hold the signature alone: the last paragraph of the body, the 附件说明 and the blank line
    # travel with 署名, and 署名 with 成文日期.
    for name in ("正文末段", "附件说明", "附件说明续行", "落款"):
        document.styles[name].paragraph_format.keep_with_next = True
    for name in ("图", "图题"):
        document.styles[name].paragraph_format.keep_with_next = name == "图"
    image = document.styles["图"].paragraph_format
    image.line_spacing_rule = WD_LINE_SPACING.SINGLE  # an exact spacing would crop the picture
    image.space_before = Pt(12)


def _page(document: DocumentObject) -> None:
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
    grid.set(qn("w:type"), "lines")
    grid.set(qn("w:linePitch"), str(round(LINE_PT * 20)))
    document.settings.odd_and_even_pages_header_footer = True
    _page_number(document, section.footer.paragraphs[0], WD_ALIGN_PARAGRAPH.RIGHT)
    _page_number(document, section.even_page_footer.paragraphs[0], WD_ALIGN_PARAGRAPH.LEFT)


def _field_char(kind: str) -> BaseOxmlElement:
    char = OxmlElement("w:fldChar")
    char.set(qn("w:fldCharType"), kind)
    return char


def _page_number(document: DocumentObject, paragraph, align: WD_ALIGN_PARAGRAPH) -> None:
    """'— N —' with N a PAGE field; odd pages right and even pages left, one character in."""
    paragraph.style = document.styles["页码"]
    paragraph.alignment = align
    fmt = paragraph.paragraph_format
    if align == WD_ALIGN_PARAGRAPH.RIGHT:
        fmt.right_indent = Pt(PAGE_NUMBER_PT)
    else:
        fmt.left_indent = Pt(PAGE_NUMBER_PT)
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

    def __init__(self, document: DocumentObject) -> None:
        self.document = document

    def line(self, text: str, style: str = "公文正文") -> None:
        self.document.add_paragraph(text, style=style)

    def control(self, tag: str) -> None:
        self.document.add_paragraph(f"{{%p {tag} %}}", style="公文正文")

    def paragraphs(self, source: str, last: str = "") -> None:
        """A loop over {text, heading} paragraphs: headings such as '（一）…' in 楷体, the rest as body text;
        when `last` holds, the final paragraph keeps with the signature that follows."""
        self.control(f"for para in {source}")
        self.control("if para.heading")
        self.line("{{ para.text }}", "二级标题")
        if last:
            self.control(f"elif loop.last and {last}")
            self.line("{{ para.text }}", "正文末段")
        self.control("else")
        self.line("{{ para.text }}")
        self.control("endif")
        self.control("endfor")


def _table(document: DocumentObject) -> None:
    table = document.add_table(rows=4, cols=len(TABLE_HEADERS))
    table.style = document.styles["Table Grid"]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    properties = table._tbl.tblPr
    layout = OxmlElement("w:tblLayout")
    layout.set(qn("w:type"), "fixed")  # keep the column widths below, in Word and LibreOffice alike
    properties.append(layout)
    width = properties.find(qn("w:tblW"))
    width.set(qn("w:type"), "dxa")
    width.set(qn("w:w"), str(round(sum(TABLE_COLUMNS_MM) / 25.4 * 1440)))
    for column, mm in zip(table.columns, TABLE_COLUMNS_MM, strict=True):
        column.width = Mm(mm)
    for row in table.rows:
        for width, cell in zip(TABLE_COLUMNS_MM, row.cells, strict=True):
            cell.width = Mm(width)
            cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
    header = table.rows[0]
    header_pr = header._tr.get_or_add_trPr()
    repeat = OxmlElement("w:tblHeader")
    header_pr.append(repeat)  # the header row repeats on every page of the table
    for cell, title in zip(header.cells, TABLE_HEADERS, strict=True):
        cell.paragraphs[0].text = title
        cell.paragraphs[0].style = document.styles["表头"]
    table.rows[1].cells[0].paragraphs[0].text = "{%tr for row in indicator_rows %}"
    for cell, field in zip(table.rows[2].cells, TABLE_FIELDS, strict=True):
        cell.paragraphs[0].text = f"{{{{ row.{field} }}}}"
        cell.paragraphs[0].style = document.styles["表格文字"]
    table.rows[2].cells[1].paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.LEFT
    table.rows[3].cells[0].paragraphs[0].text = "{%tr endfor %}"


def build_template() -> bytes:
    """The default report template as .docx bytes."""
    document = Document()
    package = document.part.package
    for key, rel in list(package.rels.items()):
        if rel.reltype.endswith("/thumbnail"):  # python-docx's sample thumbnail would show in Explorer
            package.rels.pop(key)
    document.core_properties.author = "法治政府建设工作台"
    document.core_properties.title = ""
    document.core_properties.comments = ""
    _defaults(document)
    _styles(document)
    _page(document)
    body = document.element.body
    for paragraph in list(document.paragraphs):
        body.remove(paragraph._p)
    w = _Writer(document)
    w.control("for line in title_lines")
    w.line("{{ line }}", "公文标题")
    w.control("endfor")
    w.line("", "主送机关")
    w.line("{{ recipient }}", "主送机关")
    w.paragraphs("opening")
    w.line("{{ headings.measures }}", "一级标题")
    w.control("for part in measures")
    w.line("{{ part.heading }}", "二级标题")
    w.paragraphs("part.paragraphs")
    w.control("endfor")
    for name in ("duty", "shortcomings"):
        w.line(f"{{{{ headings.{name} }}}}", "一级标题")
        w.paragraphs(name)
    w.line("{{ headings.plan }}", "一级标题")
    w.paragraphs("plan", last="not other")
    w.control("if other")
    w.line("{{ headings.other }}", "一级标题")
    w.paragraphs("other", last="true")
    w.control("endif")
    w.control("if attachments")
    w.line("", "落款")
    w.control("for name in attachments")
    w.control("if loop.first")
    w.line("附件：{{ name }}", "附件说明")
    w.control("else")
    w.line("{{ name }}", "附件说明续行")
    w.control("endif")
    w.control("endfor")
    w.control("endif")
    w.line("", "落款")
    w.line("{{ issuer }}", "落款")
    w.line("{{ date }}", "成文日期")
    w.control("if indicator_rows")
    w.line("{{ table_label }}", "附件标识")
    w.line("", "附件标题")
    w.line("{{ table_title }}", "附件标题")
    w.line("", "附件标题")
    _table(document)
    w.line("{{ table_note }}", "表注")
    w.control("endif")
    w.control("if charts")
    w.line("{{ charts_label }}", "附件标识")
    w.line("", "附件标题")
    w.line("{{ charts_title }}", "附件标题")
    w.control("for chart in charts")
    w.line("{{ chart.image }}", "图")
    w.line("{{ chart.caption }}", "图题")
    w.control("endfor")
    w.control("endif")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def write_default(path: Path = DEFAULT_TEMPLATE) -> Path:
    """Build the default template and write it to `path` (data/report_template.docx)."""
    path.write_bytes(build_template())
    return path


def parts(docx: bytes) -> dict[str, bytes]:
    """The parts of a .docx by name: two templates are the same when their parts are."""
    with zipfile.ZipFile(io.BytesIO(docx)) as archive:
        return {name: archive.read(name) for name in sorted(archive.namelist())}


def default_template_bytes() -> bytes:
    """The committed default template (data/report_template.docx)."""
    return DEFAULT_TEMPLATE.read_bytes()

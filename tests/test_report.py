"""The annual report from recorded data: every figure of the reference report, the structure, drafts
that say nothing without data, saved text, hostile text verbatim, custom templates, the variable contract."""

from __future__ import annotations

import io
import re
from datetime import date

import pytest
from docx import Document
from jinja2 import meta

from fazhi import auth, db, narratives, records
from fazhi.catalog import Catalog
from fazhi.errors import InvalidInput, PermissionDenied, ReportTemplateError
from fazhi.report import context as ctx
from fazhi.report import custom, options, structure
from fazhi.report.generate import generate
from fazhi.report.render import jinja_env, paragraph_lines, render
from fazhi.report.template import default_template_bytes
from fazhi.report.variables import variables
from fazhi.units import find_unit
from fazhi.validation import RecordInput
from tests.test_indicators import REFERENCE_2020

TODAY = date(2021, 1, 15)

# How each figure of the reference report (DOMAIN.md §3, by the indicator behind it) reads in the draft.
FIGURES = {
    "cadre_study_quarters": "每季度组织全体机关干部学法1次",
    "cadre_study_sessions": "每季度组织全体机关干部学法1次",
    "exam_expected": "组织机关、事业单位干部50余人参加网上学法考试",
    "exam_attendance_rate": "参学率和合格率均达100%",
    "exam_pass_rate": "参学率和合格率均达100%",
    "study_group_sessions": "中心组集体学法4次",
    "market_day_campaigns": "3月15日、6月28日至29日、9月28日利用赶场日开展集中宣传3次",
    "market_day_consultations": "现场解答法律咨询200余人次",
    "market_day_materials": "发放宣传资料2500余份",
    "banners": "悬挂横幅25幅",
    "village_materials": "到组到户散发宣传资料2000余份",
    "village_consultations": "解答群众咨询100余人次",
    "publicity_vehicles": "出动宣传车15车次",
    "households_visited": "进村入户4600余户",
    "residents_reached": "向群众1万余人宣传法律知识",
    "school_sessions": "在燕山学校开展法治宣传2次",
    "school_lessons": "授法治课4课时",
    "case_explain_audience": "累计宣传150人次以上",
    "civil_code_campaigns": "开展《民法典》集中宣传3次",
    "civil_code_village_sessions": "进村集中宣传5场次",
    "satisfaction": "满意度达95%",
    "enforcement_issues": "全年未发生一起执法不公正、不规范和不作为、不文明的情况",
    "legal_aid_cases": "申请法律援助案件2件",
    "disputes_resolved": "自排化解较大矛盾纠纷5件",
    "mediation_cases": "人民调解较大案件9件",
    "major_accidents": "全年未发生重大安全事故",
    "market_cases": "未发生侵犯知识产权和销售伪劣商品案件",
}
HEADINGS = [
    "一、2020年推进法治政府建设的主要举措和成效",
    "二、党政主要负责人履行推进法治建设第一责任人职责情况",
    "三、存在的不足和原因",
    "四、2021年工作安排",
]
HOSTILE_LINE = "A&B <b>粗</b> \"引\" '单' {{ year }} {% if x %}{% endif %} {#注#} {_{ }_} 😀🇨🇳 \t末"


def text_of(docx: bytes) -> list[str]:
    """Every paragraph's text, body then table cells (the file must open)."""
    document = Document(io.BytesIO(docx))
    cells = [c.text for t in document.tables for r in t.rows for c in r.cells]
    return [p.text for p in document.paragraphs] + cells


def township_report(
    database: db.Database, catalog: Catalog, user: auth.User | None = None, **kw
) -> list[str]:
    unit = find_unit(database, kw.pop("unit", "燕山乡"))
    context = ctx.build_context(database, user or auth.system_user(), catalog, unit, 2020, today=TODAY, **kw)
    return text_of(render(context))


def test_every_reference_figure_is_in_the_2020_report(demo: db.Database, catalog: Catalog) -> None:
    assert set(FIGURES) == set(REFERENCE_2020)
    full = "\n".join(township_report(demo, catalog))
    missing = {code: phrase for code, phrase in FIGURES.items() if phrase not in full}
    assert missing == {}


def test_the_three_wording_shifts_of_the_reference_are_fixed(demo: db.Database, catalog: Catalog) -> None:
    paragraphs = township_report(demo, catalog)
    market = next(p for p in paragraphs if "利用赶场日" in p)
    assert "悬挂横幅25幅" in market and "全年共悬挂" not in market  # told as part of the campaigns
    full = "\n".join(paragraphs)
    assert "自排化解较大矛盾纠纷5件" in full
    mediation = next(p for p in paragraphs if "人民调解较大案件9件" in p)
    assert "成功率" not in mediation  # the 2020 records say nothing of success: no rate is invented


def test_structure_of_the_2020_report(demo: db.Database, catalog: Catalog) -> None:
    paragraphs = township_report(demo, catalog)
    assert paragraphs[0] == "燕山乡关于2020年法治政府建设情况的报告"
    assert paragraphs[2] == "区委、区政府："
    assert [p for p in paragraphs if p in HEADINGS] == HEADINGS
    assert "五、其他需要报告的情况" not in paragraphs  # only when filled
    subheadings = [p for p in paragraphs if re.match(r"^（[一二三四五六七八九十]+）", p) and len(p) < 30]
    assert subheadings[:7] == [
        "（一）加强组织领导，强化法治建设保障",
        "（二）抓好学法用法，提升依法行政能力",
        "（三）创新宣传形式，营造浓厚法治氛围",
        "（四）完善制度体系，推进依法科学民主决策",
        "（五）坚持严格规范公正文明执法",
        "（六）加强法律服务，依法化解矛盾纠纷",
        "（七）依法全面履行职能，提高依法管理水平",
    ]  # 权力监督 has no record in 2020, so it is left out and the numbers close up
    assert "附件：主要指标完成情况" in paragraphs
    signature = paragraphs.index("燕山乡人民政府")
    assert paragraphs[signature + 1] == "2021年1月15日"
    assert "较上年提高3个百分点" in "".join(paragraphs)  # satisfaction 92% → 95%


def test_figures_follow_the_records(demo: db.Database, catalog: Catalog) -> None:
    item = RecordInput(
        "market_day",
        find_unit(demo, "燕山乡").id,
        "年末集中宣传",
        date(2020, 12, 20),
        None,
        "燕山场镇",
        "",
        {"materials": 100},
    )
    records.add_record(demo, auth.system_user(), catalog, item)
    full = "\n".join(township_report(demo, catalog))
    assert "9月28日、12月20日利用赶场日开展集中宣传4次" in full
    assert "发放宣传资料2600余份" in full  # 2536 + 100


def test_exact_numbers_setting(demo: db.Database, catalog: Catalog, users: dict[str, auth.User]) -> None:
    options.save_options(demo, users["admin"], find_unit(demo, "燕山乡"), exact_numbers=True)
    full = "\n".join(township_report(demo, catalog, users["viewer"]))
    assert "发放宣传资料2536份" in full and "向群众10356人宣传" in full and "累计宣传156人次" in full
    assert "2500余份" not in full


def test_a_year_without_records_claims_nothing_and_asks_for_text(demo: db.Database, catalog: Catalog) -> None:
    unit = find_unit(demo, "燕山乡")
    context = ctx.build_context(demo, auth.system_user(), catalog, unit, 2023, today=date(2024, 1, 10))
    assert context["indicator_rows"] == [] and context["attachments"] == []
    drafted = "\n".join(s["draft"] for s in context["sections"] if s["key"] != ctx.DATE_SECTION)
    assert "未发生" not in drafted and "取得了一定成效" not in drafted and "没有记录" not in drafted
    assert not re.search(r"(?<![\d.])0(次|件|份|人次|户|人|车次|幅)", drafted)
    # every section is a marked placeholder for staff, never an empty heading
    assert [m["heading"] for m in context["measures"]] == ["（一）【请填写：小节标题】"]
    for key in ("opening", "duty", "shortcomings", "plan"):
        assert context[key] and all(p["text"].startswith("【请填写：") for p in context[key]), key
    assert context["warnings"][0].startswith("本年度还没有任何记录")
    assert len(context["placeholders"]) == 6
    assert context["headings"]["measures"] == "一、2023年推进法治政府建设的主要举措和成效"
    assert "2024年" in context["headings"]["plan"]
    paragraphs = text_of(render(context))
    assert [p for p in paragraphs if p.startswith(("一、", "二、", "三、", "四、"))] == [
        "一、2023年推进法治政府建设的主要举措和成效",
        "二、党政主要负责人履行推进法治建设第一责任人职责情况",
        "三、存在的不足和原因",
        "四、2024年工作安排",
    ]


def test_placeholders_left_are_highlighted_in_the_word_file(demo: db.Database, catalog: Catalog) -> None:
    from docx.enum.text import WD_COLOR_INDEX

    context = ctx.build_context(
        demo, auth.system_user(), catalog, find_unit(demo, "燕山乡"), 2020, today=TODAY
    )
    document = Document(io.BytesIO(render(context)))
    marked = [
        r.text for p in document.paragraphs for r in p.runs if r.font.highlight_color == WD_COLOR_INDEX.YELLOW
    ]
    assert marked == context["placeholders"] and all(m.startswith("【请填写：") for m in marked)
    assert len(marked) == 2  # 三 (no target of the unit's own was missed) and the plans of 四


def test_2021_follows_the_new_outline(demo: db.Database, catalog: Catalog) -> None:
    item = RecordInput("study_group", find_unit(demo, "燕山乡").id, "中心组学法", date(2021, 3, 1), values={})
    records.add_record(demo, auth.system_user(), catalog, item)
    context = ctx.build_context(
        demo, auth.system_user(), catalog, find_unit(demo, "燕山乡"), 2021, today=date(2022, 1, 5)
    )
    assert [m["heading"] for m in context["measures"]] == [
        "（一）深入学习贯彻习近平法治思想，提升依法行政能力"
    ]
    assert context["measures"][0]["paragraphs"] == [
        {"text": "乡党委理论学习中心组集体学法1次。", "heading": False}
    ]
    assert "《法治政府建设实施纲要（2021—2025年）》" in context["opening"][0]["text"]


def test_every_area_is_in_one_subsection(catalog: Catalog) -> None:
    parts = structure.load_parts(catalog)
    for year in (2020, 2023):
        areas = [a for p in structure.parts_for(catalog, year) for a in p.areas]
        assert sorted(areas) == sorted(a.code for a in catalog.outline_for(year).areas)
    assert len(parts) == 17


def test_county_report_sums_its_townships(demo: db.Database, catalog: Catalog) -> None:
    county = find_unit(demo, "万州区")
    context = ctx.build_context(demo, auth.system_user(), catalog, county, 2020, today=TODAY)
    full = "\n".join(text_of(render(context)))
    assert context["title"] == "万州区关于2020年法治政府建设情况的报告"
    assert context["recipient"] == "市委、市政府：" and context["issuer"] == "万州区人民政府"
    assert "2020年，我区在市委、市政府的领导下" in full
    assert "发放宣传资料2500余份" in full and "向群众1万余人宣传法律知识" in full
    # the township's own meetings and study are told as its townships' work, not the district's
    assert "各乡镇（街道）党（工）委理论学习中心组集体学法4次" in full
    assert "党委理论学习中心组集体学法4次" not in full.replace("党（工）委理论学习中心组集体学法4次", "")
    assert "全区共利用赶场日开展集中宣传3次" in full
    # the district has no own records: 二 is for staff to write
    assert context["duty"][0]["text"].startswith("【请填写：")
    assert (
        context["units_header"][0] == "专题研究法治建设会议（次）"
        and context["unit_rows"][0]["name"] == "燕山乡"
    )


def test_saved_text_replaces_the_draft_and_reset_restores_it(
    demo: db.Database, catalog: Catalog, users: dict[str, auth.User]
) -> None:
    unit = find_unit(demo, "燕山乡")
    editor = users["editor"]
    narratives.save_text(
        demo, editor, unit, 2020, "duty", "（一）带头学法\n主要负责人带头学法。", expected=None
    )
    narratives.save_text(demo, editor, unit, 2020, "other", "无其他需要报告的情况。", expected=None)
    narratives.save_text(
        demo, editor, unit, 2020, "measures.oversight", "全年无行政复议案件。", expected=None
    )
    narratives.save_text(demo, editor, unit, 2020, "measures.functions", "", expected=None)  # leave it out
    context = ctx.build_context(demo, editor, catalog, unit, 2020, today=TODAY)
    assert context["duty"] == [
        {"text": "（一）带头学法", "heading": True},
        {"text": "主要负责人带头学法。", "heading": False},
    ]
    headings = [m["heading"] for m in context["measures"]]
    assert headings[-2:] == ["（六）强化权力制约监督，推进政务公开", "（七）加强法律服务，依法化解矛盾纠纷"]
    duty = next(s for s in context["sections"] if s["key"] == "duty")
    assert (
        duty["saved"]
        and duty["saved_by"] == editor.username
        and duty["draft"].startswith("（一）带头尊法学法守法用法")
    )
    paragraphs = text_of(render(context))
    assert paragraphs[paragraphs.index("五、其他需要报告的情况") + 1] == "无其他需要报告的情况。"
    narratives.reset_text(demo, editor, unit, 2020, "duty")
    again = ctx.build_context(demo, editor, catalog, unit, 2020, today=TODAY)
    assert again["duty"][0]["text"].startswith("（一）带头尊法学法守法用法")


def test_signing_date(demo: db.Database, catalog: Catalog, users: dict[str, auth.User]) -> None:
    unit = find_unit(demo, "燕山乡")
    assert ctx.default_date(2020, date(2026, 3, 1)) == date(2026, 3, 1)  # the day it is generated
    assert ctx.default_date(2020, date(2021, 2, 3)) == date(2021, 2, 3)
    narratives.save_text(demo, users["editor"], unit, 2020, ctx.DATE_SECTION, "2021年2月8日", expected=None)
    assert (
        ctx.build_context(demo, users["editor"], catalog, unit, 2020, today=TODAY)["date"] == "2021年2月8日"
    )
    assert ctx.parse_date("2021-02-08") == date(2021, 2, 8)
    with pytest.raises(InvalidInput, match="2021年1月15日"):
        ctx.parse_date("2021年2月30日")


def test_hostile_text_survives_verbatim(
    demo: db.Database, catalog: Catalog, users: dict[str, auth.User]
) -> None:
    unit = find_unit(demo, "燕山乡")
    item = RecordInput(
        "rule_making",
        unit.id,
        HOSTILE_LINE[:100],
        date(2020, 5, 5),
        None,
        "<地点>&",
        HOSTILE_LINE,
        {"documents": 1},
    )
    records.add_record(demo, auth.system_user(), catalog, item)
    long_line = "很长的一行" * 800
    narratives.save_text(
        demo,
        users["editor"],
        unit,
        2020,
        "other",
        f"{HOSTILE_LINE}\n\n{long_line}\n控制\x01\x0b字符",
        expected=None,
    )
    paragraphs = text_of(render(ctx.build_context(demo, users["editor"], catalog, unit, 2020, today=TODAY)))
    full = "\n".join(paragraphs)
    assert HOSTILE_LINE in paragraphs  # the saved narrative, one paragraph, exactly
    assert long_line in paragraphs and "控制字符" in paragraphs
    assert HOSTILE_LINE[:100].strip() in full  # the record's title in the 制度建设 draft
    assert HOSTILE_LINE.rstrip() + "" in full  # and its summary


def test_render_drops_what_xml_forbids(demo: db.Database, catalog: Catalog) -> None:
    context = ctx.build_context(
        demo, auth.system_user(), catalog, find_unit(demo, "燕山乡"), 2020, today=TODAY
    )
    context["recipient"] = "区委\x01、区政府\x0c：\ud800\ufffe"
    context["other"] = [{"text": "甲\x07乙", "heading": False}]
    paragraphs = text_of(render(context))
    assert "区委、区政府：" in paragraphs and "甲乙" in paragraphs


def test_every_template_variable_is_provided(demo: db.Database, catalog: Catalog) -> None:
    """The contract: the default template uses only documented variables, and the context provides all of them."""
    used: set[str] = set()
    for _, xml in custom._parts(default_template_bytes()):
        used |= meta.find_undeclared_variables(jinja_env().parse("\n".join(paragraph_lines(xml))))
    context = ctx.build_context(
        demo, auth.system_user(), catalog, find_unit(demo, "燕山乡"), 2020, today=TODAY
    )
    assert used <= set(variables())
    assert set(context) == set(variables())
    reference = custom.variable_reference(context)
    assert [r["变量"] for r in reference] == list(variables())
    by_name = {r["变量"]: r for r in reference}
    assert by_name["title"]["示例（当前数据）"] == "燕山乡关于2020年法治政府建设情况的报告"
    assert by_name["indicator_rows"]["示例（当前数据）"].startswith(
        "共45项，第1项：{no: 1，name: 专题研究法治建设会议"
    )


def _docx(*lines: str) -> bytes:
    document = Document()
    for line in lines:
        document.add_paragraph(line)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        (("{{ title ",), "{{ }} 标记没有正确闭合"),
        (("{% for p in duty %}", "{{ p.text }}"), "{% for %} 标记缺少对应的 {% endfor %}"),
        (("{% endif %}",), "不认识或多余的标记 {% endif %}"),
        (("{{ title }}", "{{ 单位 }}{{ nonsense }}"), "模板中使用了报告没有提供的变量：nonsense、单位。"),
        (("{{ title.nope.deeper }}",), "模板中使用了不存在的变量属性"),
    ],
)
def test_a_broken_template_is_refused_with_the_problem_named(
    demo: db.Database, catalog: Catalog, lines: tuple[str, ...], message: str
) -> None:
    context = ctx.build_context(
        demo, auth.system_user(), catalog, find_unit(demo, "燕山乡"), 2020, today=TODAY
    )
    with pytest.raises(ReportTemplateError) as caught:
        custom.check_template(_docx("说明文字", *lines), context)
    assert message in caught.value.message
    if "语法" in caught.value.message:
        assert "问题在这一段" in caught.value.message


def test_not_a_docx_is_refused() -> None:
    with pytest.raises(ReportTemplateError, match="这不是 Word（.docx）文件"):
        custom.check_template(b"PK not really a zip")


def test_custom_template_upload_use_and_reset(
    demo: db.Database, catalog: Catalog, users: dict[str, auth.User]
) -> None:
    unit = find_unit(demo, "燕山乡")
    own = _docx(
        "{{ title }}",
        "{%p for para in duty %}",
        "{{ para.text }}",
        "{%p endfor %}",
        "{{ issuer }}　{{ date }}",
    )
    with pytest.raises(PermissionDenied):
        custom.save_template(demo, users["editor"], unit, own, "我们的模板.docx")
    with pytest.raises(ReportTemplateError):
        custom.save_template(demo, users["admin"], unit, _docx("{{ oops"), "坏.docx")
    assert custom.stored_template(demo, unit) is None
    info = custom.save_template(demo, users["admin"], unit, own, "C:\\fakepath\\我们的模板.docx")
    assert info.startswith("我们的模板.docx（燕山乡admin，")
    assert custom.template_file(demo, unit).parent == demo.path.parent / "templates"
    assert custom.template_info(demo, users["viewer"], unit) == info
    made = generate(demo, users["viewer"], catalog, unit, 2020, charts=False, today=TODAY)
    paragraphs = text_of(made.docx)
    assert paragraphs[0] == "燕山乡关于2020年法治政府建设情况的报告"
    assert (
        paragraphs[1].startswith("（一）带头尊法学法守法用法")
        and paragraphs[-1] == "燕山乡人民政府　2021年1月15日"
    )
    assert made.filename == "燕山乡2020年法治政府建设情况报告.docx" and made.notes == []
    assert custom.reset_template(demo, users["admin"], unit) is True
    assert custom.reset_template(demo, users["admin"], unit) is False
    assert (
        text_of(generate(demo, users["viewer"], catalog, unit, 2020, charts=False, today=TODAY).docx)[2]
        == "区委、区政府："
    )
    actions = demo.rows("SELECT action FROM audit_log WHERE entity = 'setting' ORDER BY id")
    assert actions == [("update",), ("delete",)]


def test_a_stored_template_that_no_longer_fits_falls_back_to_the_default(
    demo: db.Database, catalog: Catalog, users: dict[str, auth.User]
) -> None:
    unit = find_unit(demo, "燕山乡")
    path = custom.template_file(demo, unit)
    path.parent.mkdir(parents=True)
    path.write_bytes(_docx("{{ retired_variable }}"))
    made = generate(demo, users["viewer"], catalog, unit, 2020, charts=False, today=TODAY)
    assert text_of(made.docx)[0] == "燕山乡关于2020年法治政府建设情况的报告"
    assert made.notes == [
        "本单位上传的模板无法使用（模板中使用了不存在的变量“retired_variable”。请对照“模板变量说明”修改模板。），已改用默认模板。"
    ]


def test_preview_text_is_the_whole_report(demo: db.Database, catalog: Catalog) -> None:
    context = ctx.build_context(
        demo, auth.system_user(), catalog, find_unit(demo, "燕山乡"), 2020, today=TODAY
    )
    preview = ctx.preview_text(context)
    assert preview.startswith("燕山乡关于2020年法治政府建设情况的报告\n\n区委、区政府：\n")
    assert all(heading in preview for heading in HEADINGS)
    assert "发放宣传资料2500余份" in preview and "25｜集中宣传发放资料｜—｜2536份｜—｜增长40.9%" in preview


def test_viewers_of_a_village_cannot_build_the_township_report(
    demo: db.Database, catalog: Catalog, users: dict[str, auth.User]
) -> None:
    with pytest.raises(PermissionDenied):
        ctx.build_context(demo, users["village_editor"], catalog, find_unit(demo, "燕山乡"), 2020)

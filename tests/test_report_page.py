"""AppTest for 年度报告 and 报告设置: edit, save and reset a section, conflicts, the download buttons, settings."""

from __future__ import annotations

import pytest

from fazhi import auth, db, narratives
from fazhi.report import custom, options
from fazhi.ui import sidebar
from fazhi.units import find_unit
from tests import test_pages
from tests.test_pages import run_app, texts

# the page fixtures (navigation_v2 is autouse) come from test_pages
app_db, demo_app, navigation_v2 = test_pages.app_db, test_pages.demo_app, test_pages.navigation_v2


def open_report(user: auth.User, page: str = "pages/report.py"):
    at = run_app(user)
    at.sidebar.selectbox(key=sidebar.YEAR_WIDGET).select(2020).run()
    at.switch_page(page).run()
    assert not at.exception, at.exception
    return at


def key(database: db.Database, section: str) -> str:
    return f"{find_unit(database, '燕山乡').id}_2020_{section}"


def test_editor_edits_saves_and_resets_a_section(app_db: db.Database, demo_app: dict[str, auth.User]) -> None:
    at = open_report(demo_app["editor"])
    assert at.title[0].value == "年度报告 · 燕山乡 · 2020年"
    duty = key(app_db, "duty")
    box = at.text_area(key=f"report_text_{duty}")
    assert box.value.startswith(
        "（一）带头尊法学法守法用法\n党政主要负责人带头参加乡党委理论学习中心组学习4次。"
    )
    box.input("（一）带头学法\n主要负责人带头学法 & <守法> {{ year }}。").run()
    at.button(key=f"report_save_{duty}").click().run()
    assert not at.exception and not at.error
    assert "已保存“二、党政主要负责人履行推进法治建设第一责任人职责情况”。" in texts(at)
    unit = find_unit(app_db, "燕山乡")
    stored = narratives.saved_texts(app_db, demo_app["editor"], unit, 2020)["duty"]
    assert stored.body == "（一）带头学法\n主要负责人带头学法 & <守法> {{ year }}。"
    assert at.text_area(key=f"report_text_{duty}").value == stored.body
    preview = "\n".join(t.value for t in at.text)
    assert "主要负责人带头学法 & <守法> {{ year }}。" in preview  # shown as plain text
    at.button(key=f"report_reset_{duty}").click().run()
    assert "“二、党政主要负责人履行推进法治建设第一责任人职责情况”已恢复为自动草稿。" in texts(at)
    assert narratives.saved_texts(app_db, demo_app["editor"], unit, 2020) == {}
    assert at.text_area(key=f"report_text_{duty}").value.startswith("（一）带头尊法学法守法用法\n")


def test_a_required_section_cannot_be_emptied(app_db: db.Database, demo_app: dict[str, auth.User]) -> None:
    at = open_report(demo_app["editor"])
    plan = key(app_db, "plan")
    at.text_area(key=f"report_text_{plan}").input("  ").run()
    at.button(key=f"report_save_{plan}").click().run()
    assert [e.value for e in at.error] == [
        "这一节是报告的必备内容，不能为空；如要改回自动草稿，请点“恢复为自动草稿”。"
    ]


def test_a_second_editor_is_told_instead_of_overwriting(
    app_db: db.Database, demo_app: dict[str, auth.User]
) -> None:
    at = open_report(demo_app["editor"])
    other = key(app_db, "other")
    at.text_area(key=f"report_text_{other}").input("我的文字").run()
    unit = find_unit(app_db, "燕山乡")
    narratives.save_text(app_db, demo_app["admin"], unit, 2020, "other", "管理员先保存的文字", expected=None)
    at.button(key=f"report_save_{other}").click().run()
    assert at.error[0].value.startswith("这一节已被他人修改（")
    assert "对方保存的文字：\n管理员先保存的文字" in [t.value for t in at.text]
    assert narratives.saved_texts(app_db, demo_app["admin"], unit, 2020)["other"].body == "管理员先保存的文字"
    at.button(key=f"report_save_{other}").click().run()  # having seen it, saving again is deliberate
    assert narratives.saved_texts(app_db, demo_app["admin"], unit, 2020)["other"].body == "我的文字"


def test_signing_date_is_checked(app_db: db.Database, demo_app: dict[str, auth.User]) -> None:
    at = open_report(demo_app["editor"])
    date_key = key(app_db, "date")
    at.text_area(key=f"report_text_{date_key}").input("2021年2月30日").run()
    at.button(key=f"report_save_{date_key}").click().run()
    assert at.error[0].value == "成文日期请写成“2021年1月15日”的格式。"
    at.text_area(key=f"report_text_{date_key}").input("2021-2-8").run()
    at.button(key=f"report_save_{date_key}").click().run()
    unit = find_unit(app_db, "燕山乡")
    assert narratives.saved_texts(app_db, demo_app["editor"], unit, 2020)["date"].body == "2021年2月8日"


def test_viewer_reads_and_downloads_but_cannot_edit(
    app_db: db.Database, demo_app: dict[str, auth.User]
) -> None:
    at = open_report(demo_app["viewer"])
    assert not at.text_area and not [b for b in at.button if b.key and b.key.startswith("report_save")]
    assert "只能查看：查看者账号或已封账的年度不能修改报告文字。" in texts(at)
    preview = at.text[-1].value
    assert preview.startswith("燕山乡关于2020年法治政府建设情况的报告\n\n区委、区政府：")
    buttons = {e.proto.label: e.proto for e in at.get("download_button")}
    assert set(buttons) == {"下载 Word", "下载 PDF"}


@pytest.mark.parametrize("installed", [True, False])
def test_pdf_button_state(
    app_db: db.Database,
    demo_app: dict[str, auth.User],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path,
    installed: bool,
) -> None:
    soffice = tmp_path / "soffice"
    soffice.write_text("#!/bin/sh\n")
    monkeypatch.setenv("FAZHI_SOFFICE", str(soffice) if installed else "/nonexistent/soffice")
    at = open_report(demo_app["viewer"])
    button = {e.proto.label: e.proto for e in at.get("download_button")}["下载 PDF"]
    assert button.disabled is not installed
    if not installed:
        assert "本机没有安装 LibreOffice（soffice），无法生成 PDF" in button.help
        assert "本机没有安装 LibreOffice（soffice）" in texts(at)


def test_admin_changes_report_settings(app_db: db.Database, demo_app: dict[str, auth.User]) -> None:
    at = open_report(demo_app["admin"], "pages/report_settings.py")
    assert at.title[0].value == "报告设置 · 燕山乡"
    assert at.text_input(key="report_recipient").value == "区委、区政府："
    at.text_input(key="report_recipient").input("区委、区政府，区委依法治区办：")
    at.checkbox(key="report_exact").check()
    at.button(key="report_options_save").click().run()
    assert "报告设置已保存。" in texts(at)
    unit = find_unit(app_db, "燕山乡")
    saved = options.load_options(app_db, demo_app["admin"], unit)
    assert (saved.recipient, saved.exact_numbers) == ("区委、区政府，区委依法治区办：", True)
    (reference,) = [d.value for d in at.dataframe if "变量" in d.value.columns]
    assert list(reference["变量"])[:3] == ["unit_name", "year", "next_year"]
    assert (
        reference.set_index("变量").at["title", "示例（当前数据）"]
        == "燕山乡关于2020年法治政府建设情况的报告"
    )
    at.switch_page("pages/report.py").run()
    assert "发放宣传资料2536份" in at.text[-1].value  # the setting reaches the report
    at.switch_page("pages/report_settings.py").run()
    at.button(key="report_options_reset").click().run()
    assert options.load_options(app_db, demo_app["admin"], unit) == options.default_options(app_db, unit)


def _template(*lines: str) -> bytes:
    import io

    from docx import Document

    document = Document()
    for line in lines:
        document.add_paragraph(line)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def test_admin_uploads_checks_and_resets_a_template(
    app_db: db.Database, demo_app: dict[str, auth.User]
) -> None:
    docx = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    at = open_report(demo_app["admin"], "pages/report_settings.py")
    assert "正在使用默认模板（GB/T 9704 公文格式）。" in texts(at)
    at.file_uploader(key="report_template_upload").upload(
        "**坏**模板.docx", _template("{% for p in duty %}"), docx
    ).run()
    at.button(key="report_template_use").click().run()
    assert [e.value for e in at.error] == ["模板没有通过检查，未启用："]
    assert any("{% for %} 标记缺少对应的 {% endfor %}" in t.value for t in at.text)
    unit = find_unit(app_db, "燕山乡")
    assert custom.stored_template(app_db, unit) is None
    good = _template("{{ title }}", "{{ issuer }}")
    at.file_uploader(key="report_template_upload").upload("**我们的**模板.docx", good, docx).run()
    at.button(key="report_template_use").click().run()
    assert "模板检查通过，已启用。" in texts(at)
    assert custom.stored_template(app_db, unit) == good
    assert any(t.value.startswith("**我们的**模板.docx（") for t in at.text)  # the name as typed, plain text
    at.button(key="report_template_reset").click().run()
    assert "已恢复为默认模板。" in texts(at) and custom.stored_template(app_db, unit) is None

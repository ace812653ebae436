"""年度报告: drafts from the year's records beside editable text, what is still to fill, the preview, Word/PDF."""

from datetime import date

import streamlit as st

from fazhi import locks, publication, submission_package, submissions, ui
from fazhi.errors import NarrativeConflict
from fazhi.report import context as report
from fazhi.report import images, pdf
from fazhi.report.generate import generate, generate_pdf

db = ui.database()
catalog = ui.catalog()
user = ui.require_user()
unit = ui.selected_unit(db, user)
year = ui.selected_year()

st.title(ui.plain(f"年度报告 · {unit.name} · {year}年"))
ui.show_flash()
status = submissions.township_status(db, user, unit, year)
if status is not None:  # 报送与公开: the township's side of issue 15
    with st.expander(f"报送与公开：{status.headline}", expanded=status.state in ("none", "returned")):
        if status.decision is not None:
            shown = st.warning if status.state == "returned" else st.info
            shown(ui.plain(f"审核意见：{status.decision.sentence()}"), icon=":material/rate_review:")
        for hint in status.hints:
            st.caption(ui.plain(hint))
        if status.can_submit and st.button(f"报送{year}年报告", key="report_submit", type="primary"):
            with ui.guard(), st.spinner("正在生成并冻结报告……"):
                made = submissions.submit(db, user, catalog, unit, year)
                ui.flash(ui.plain(f"已报送{unit.name}{year}年的年度报告（第{made.round}次），该年度已锁定。"))
                st.rerun()
        if status.can_package:
            county = st.text_input("接收的区县", key="package_county") if status.needs_county_name else None
            st.download_button(
                "下载报送包（交给区县的安装导入）",
                data=lambda: submission_package.build(db, user, catalog, unit, year, county_name=county).data,
                file_name=f"{unit.name}{year}年报送包.zip",
                mime="application/zip",
                key="report_package",
                disabled=status.needs_county_name and not county,
                on_click="ignore",
            )
        if status.can_publish:
            kept = publication.publication_of(db, unit, year)
            with st.form("report_publication", border=False):
                day, address = st.columns([1, 3])
                on = day.date_input(
                    "公开日期", value=kept.published_on if kept else None, key="report_published_on",
                    min_value=date(year, 12, 31), max_value=max(date.today(), date(year, 12, 31)),
                )  # fmt: skip
                url = address.text_input(
                    "公开网址", value=kept.url if kept else "", key="report_published_url"
                )
                if st.form_submit_button("记录公开情况", key="report_publish"):
                    with ui.guard():
                        publication.record_publication(db, user, unit, year, on, url)
                        ui.flash(f"已记录{year}年报告的公开情况。")
                        st.rerun()
context = None
with ui.guard():
    context = ui.report_context(db, user, catalog, unit, year)
if context is None:
    st.stop()
editable = user.can_edit and locks.lock_state(db, unit, year) is None

for warning in context["warnings"]:
    st.warning(ui.plain(warning), icon=":material/edit_note:")
if context["placeholders"]:
    with st.expander(f"待填写的地方（{len(context['placeholders'])}处）", expanded=False):
        ui.plain_list(context["placeholders"])
if context["stale"]:
    st.error(
        "已保存的文字中有数字与台账不一致，请先处理下面标红的节，才能下载报告（一份报告中不能有两个不同的数字）。",
        icon=":material/sync_problem:",
    )


def make():
    """The report, made when a download button is clicked (Streamlit runs this on a thread of its own)."""
    return generate(db, user, catalog, unit, year)


word, portable, note = st.columns([1, 1, 3], vertical_alignment="center")
word.download_button(
    "下载 Word",
    data=lambda: make().docx,
    file_name=f"{unit.name}{year}年法治政府建设情况报告.docx",
    mime="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    key="report_download_docx",
    type="primary",
    icon=":material/download:",
    disabled=bool(context["stale"]),
)
portable.download_button(
    "下载 PDF",
    data=lambda: generate_pdf(make()),
    file_name=f"{unit.name}{year}年法治政府建设情况报告.pdf",
    mime="application/pdf",
    key="report_download_pdf",
    icon=":material/picture_as_pdf:",
    disabled=bool(pdf.problem()) or bool(context["stale"]),
    help=pdf.problem() or "用 LibreOffice 转换，需要几秒钟。",
)
problems = [p for p in (images.problem(), pdf.problem()) if p]
note.caption("；".join(problems) if problems else "Word 文件按 GB/T 9704 公文格式排版，含主要指标表和图表。")

edit, preview = st.tabs(["逐节修改", "全文预览"])
with edit:
    if not editable:
        st.caption("只能查看：查看者账号或已封账的年度不能修改报告文字。")
    for section in context["sections"]:
        key = f"{unit.id}_{year}_{section['key']}"
        state = "（已修改）" if section["saved"] else "（待填写）" if section["placeholders"] else ""
        with st.expander(
            ui.plain(section["title"] + state + ("（数字已变化）" if section["stale"] else "")),
            expanded=section["key"] == "opening" or bool(section["stale"]),
        ):
            for change in section["stale"]:
                st.error(
                    ui.plain(f"“{change['old']}”现在是“{change['new']}”"), icon=":material/sync_problem:"
                )
            if (
                section["stale"]
                and editable
                and st.button("采用新数字", key=f"report_refresh_{key}", type="primary")
            ):
                with ui.guard():
                    report.take_new_figures(db, user, catalog, unit, year, section["key"])
                    st.session_state.pop(f"report_text_{key}", None)
                    ui.flash(ui.plain(f"“{section['title']}”中的数字已更新为台账中的数字。"))
                    st.rerun()
            left, right = st.columns(2)
            left.caption("自动草稿（由台账生成；“【请填写：……】”处需要手工填写）")
            left.text(section["draft"] or "（本节暂无内容，报告中不出现；如需写入，请在右侧填写。）")
            if not editable:
                right.text(section["text"])
                continue
            if f"report_text_{key}" not in st.session_state:
                st.session_state[f"report_base_{key}"] = section["saved_at"]
            with right:
                text = st.text_area(
                    "报告中的文字", value=section["text"], key=f"report_text_{key}", height=260
                )
                save, reset = st.columns(2)
                if save.button("保存", key=f"report_save_{key}", type="primary"):
                    with ui.guard():
                        try:
                            saved = report.save_section(
                                db, user, catalog, unit, year, section["key"], text,
                                expected=st.session_state[f"report_base_{key}"], figures=section["figures"],
                            )  # fmt: skip
                        except NarrativeConflict as conflict:
                            st.session_state[f"report_base_{key}"] = getattr(
                                conflict.current, "updated_at", None
                            )
                            st.text(
                                f"对方保存的文字：\n{getattr(conflict.current, 'body', '（已恢复为自动草稿）')}"
                            )
                            raise
                        for name in (f"report_text_{key}", f"report_base_{key}"):
                            st.session_state.pop(name, None)
                        ui.flash(ui.plain("；".join((f"已保存“{section['title']}”。", *saved.notices))))
                        st.rerun()
                if reset.button("恢复为自动草稿", key=f"report_reset_{key}", disabled=not section["saved"]):
                    with ui.guard():
                        report.reset_section(db, user, catalog, unit, year, section["key"])
                        for name in (f"report_text_{key}", f"report_base_{key}"):
                            st.session_state.pop(name, None)
                        ui.flash(ui.plain(f"“{section['title']}”已恢复为自动草稿。"))
                        st.rerun()
with preview:
    st.text(report.preview_text(context))

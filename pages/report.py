"""年度报告: drafts from the year's records beside editable text, what is still to fill, the preview, Word/PDF."""

import streamlit as st

from fazhi import locks
from fazhi.errors import NarrativeConflict
from fazhi.report import context as report
from fazhi.report import images, pdf
from fazhi.report.generate import generate, generate_pdf
from fazhi.text import markdown_literal
from fazhi.ui import cache, feedback, resources, session, sidebar, submission_panel

db = resources.database()
catalog = resources.catalog()
user = session.require_user()
unit = sidebar.selected_unit(db, user)
year = sidebar.selected_year()

st.title(markdown_literal(f"年度报告 · {unit.name} · {year}年"))
feedback.show_flash()
submission_panel.submission_panel(db, user, catalog, unit, year)
context = None
with feedback.guard():
    context = cache.report_context(db, user, catalog, unit, year)
if context is None:
    st.stop()
editable = user.can_edit and locks.lock_state(db, unit, year) is None

for warning in context["warnings"]:
    st.warning(markdown_literal(warning), icon=":material/edit_note:")
if context["placeholders"]:
    with st.expander(f"待填写的地方（{len(context['placeholders'])}处）", expanded=False):
        feedback.plain_list(context["placeholders"])
if context["stale"]:
    st.error(
        "已保存的文字中有数字与台账不一致，请先处理下面标红的节，才能下载报告（一份报告中不能有两个不同的数字）。",
        icon=":material/sync_problem:",
    )


def make():
    """The report, made when a download button is clicked (Streamlit runs this on a thread of its own),
    from the context this page shows (cached), with the charts drawn in the report worker."""
    return generate(db, user, catalog, unit, year, context=context)


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
            markdown_literal(section["title"] + state + ("（数字已变化）" if section["stale"] else "")),
            expanded=section["key"] == "opening" or bool(section["stale"]),
        ):
            for change in section["stale"]:
                st.error(
                    markdown_literal(f"“{change['old']}”现在是“{change['new']}”"),
                    icon=":material/sync_problem:",
                )
            if (
                section["stale"]
                and editable
                and st.button("采用新数字", key=f"report_refresh_{key}", type="primary")
            ):
                with feedback.guard():
                    report.take_new_figures(db, user, catalog, unit, year, section["key"])
                    st.session_state.pop(f"report_text_{key}", None)
                    feedback.flash(markdown_literal(f"“{section['title']}”中的数字已更新为台账中的数字。"))
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
                    with feedback.guard():
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
                        feedback.flash(
                            markdown_literal("；".join((f"已保存“{section['title']}”。", *saved.notices)))
                        )
                        st.rerun()
                if reset.button("恢复为自动草稿", key=f"report_reset_{key}", disabled=not section["saved"]):
                    with feedback.guard():
                        report.reset_section(db, user, catalog, unit, year, section["key"])
                        for name in (f"report_text_{key}", f"report_base_{key}"):
                            st.session_state.pop(name, None)
                        feedback.flash(markdown_literal(f"“{section['title']}”已恢复为自动草稿。"))
                        st.rerun()
with preview:
    st.text(report.preview_text(context))

"""年度报告: drafts from the year's records beside editable text, the whole report as a preview, Word/PDF."""

import streamlit as st

from fazhi import locks
from fazhi.errors import NarrativeConflict
from fazhi.report import context as report
from fazhi.report import images, pdf
from fazhi.report.generate import generate, generate_pdf
from fazhi.text import markdown_literal
from fazhi.ui import cache, feedback, resources, session, sidebar

db = resources.database()
catalog = resources.catalog()
user = session.require_user()
unit = sidebar.selected_unit(db, user)
year = sidebar.selected_year()

st.title(markdown_literal(f"年度报告 · {unit.name} · {year}年"))
feedback.show_flash()
context = None
with feedback.guard():
    context = cache.report_context(db, user, catalog, unit, year)
if context is None:
    st.stop()


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
)
portable.download_button(
    "下载 PDF",
    data=lambda: generate_pdf(make()),
    file_name=f"{unit.name}{year}年法治政府建设情况报告.pdf",
    mime="application/pdf",
    key="report_download_pdf",
    icon=":material/picture_as_pdf:",
    disabled=bool(pdf.problem()),
    help=pdf.problem() or "用 LibreOffice 转换，需要几秒钟。",
)
problems = [p for p in (images.problem(), pdf.problem()) if p]
note.caption("；".join(problems) if problems else "Word 文件按 GB/T 9704 公文格式排版，含主要指标表和图表。")

editable = user.can_edit and locks.lock_state(db, unit, year) is None
edit, preview = st.tabs(["逐节修改", "全文预览"])
with edit:
    if not editable:
        st.caption("只能查看：查看者账号或已封账的年度不能修改报告文字。")
    for section in context["sections"]:
        key = f"{unit.id}_{year}_{section['key']}"
        state = "（已修改）" if section["saved"] else "" if section["draft"] else "（本年无数据）"
        label = section["title"] + state
        with st.expander(label, expanded=section["key"] == "opening"):
            left, right = st.columns(2)
            left.caption("自动草稿（由台账数据生成）")
            left.text(section["draft"] or "（本节暂无数据，报告中不出现；如需写入，请在右侧填写。）")
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
                                db,
                                user,
                                catalog,
                                unit,
                                year,
                                section["key"],
                                text,
                                expected=st.session_state[f"report_base_{key}"],
                            )
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
                        feedback.flash("；".join((f"已保存“{section['title']}”。", *saved.notices)))
                        st.rerun()
                if reset.button("恢复为自动草稿", key=f"report_reset_{key}", disabled=not section["saved"]):
                    with feedback.guard():
                        report.reset_section(db, user, catalog, unit, year, section["key"])
                        for name in (f"report_text_{key}", f"report_base_{key}"):
                            st.session_state.pop(name, None)
                        feedback.flash(f"“{section['title']}”已恢复为自动草稿。")
                        st.rerun()
with preview:
    st.text(report.preview_text(context))

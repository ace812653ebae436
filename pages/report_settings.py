"""报告设置 (administrators): 主送机关, 落款单位, exact numbers, the unit's own Word template and its variables."""

import streamlit as st

from fazhi import locks
from fazhi.errors import ReportTemplateError
from fazhi.report import context as report
from fazhi.report import custom, options, texts
from fazhi.report.template import default_template_bytes
from fazhi.report.wording import load_wording
from fazhi.text import markdown_literal
from fazhi.ui import feedback, resources, session, sidebar

db = resources.database()
catalog = resources.catalog()
user = session.require_user()
session.require_admin(user)
unit = sidebar.selected_unit(db, user)
year = sidebar.selected_year()

st.title(markdown_literal(f"报告设置 · {unit.name}"))
feedback.show_flash()
if locks.lock_state(db, unit, year):
    st.info(
        markdown_literal(
            f"{year}年已封账：这里的设置和模板只用于还没有封账的年度；{year}年的报告保持封账时的"
            "单位名称、设置和模板，不会改变。"
        ),
        icon=":material/lock:",
    )
current = options.load_options(db, user, unit)
with st.form("report_options"):
    recipient = st.text_input(
        "主送机关", value=current.recipient, key="report_recipient", help="如：区委、区政府："
    )
    issuer = st.text_input("落款单位", value=current.issuer, key="report_issuer")
    prefix = st.text_input(
        "标题前的单位名称",
        value=current.title_prefix,
        key="report_title_prefix",
        help="标题为“（此处）关于2020年法治政府建设情况的报告”；留空则标题不带单位名称。",
    )
    exact = st.checkbox(
        "数字写确数（如“2536份”，不写“2500余份”“150人次以上”）",
        value=current.exact_numbers,
        key="report_exact",
    )
    if st.form_submit_button("保存设置", type="primary", key="report_options_save"):
        with feedback.guard():
            options.save_options(
                db, user, unit, recipient=recipient, issuer=issuer, title_prefix=prefix, exact_numbers=exact
            )
            feedback.flash("报告设置已保存。")
            st.rerun()
if st.button("恢复默认设置", key="report_options_reset"):
    with feedback.guard():
        options.save_options(
            db, user, unit, recipient=None, issuer=None, title_prefix=None, exact_numbers=None
        )
        feedback.flash("报告设置已恢复为默认。")
        st.rerun()

st.subheader("数字写法")
st.caption(
    "人数、件数、次数等一般写确数（“128件次”“108人”），宣传资料、受众等估计的数写“N余”（“3800余份”）。"
    "需要时可改写某一项；“数字写确数”勾选时全部写确数。"
)
rows = options.style_rows(catalog, load_wording(catalog), current)
names = dict(zip(options.STYLE_COLUMNS, texts.table("options.style_columns"), strict=True))
edited = st.data_editor(
    rows,
    hide_index=True,
    key="report_styles",
    disabled=["code", "name", "unit", "default"],
    column_order=list(options.STYLE_COLUMNS),
    column_config={
        **{column: names[column] for column in ("name", "unit", "default")},
        "chosen": st.column_config.SelectboxColumn(
            names["chosen"], options=options.style_choices(), required=True
        ),
    },
)
if st.button("保存数字写法", key="report_styles_save"):
    with feedback.guard():
        changed = options.save_styles(db, user, unit, edited)
        feedback.flash(f"已修改{changed}项指标的写法。" if changed else "写法没有变化。")
        st.rerun()

st.subheader("报告模板")
info = custom.template_info(db, user, unit)
st.caption("正在使用本单位上传的模板：" if info else "正在使用默认模板（GB/T 9704 公文格式）。")
if info:
    st.text(info)  # the file name as uploaded: plain text
st.download_button(
    "下载默认模板（可在 Word 中修改后上传）",
    data=default_template_bytes(),
    file_name="法治政府建设情况报告模板.docx",
    key="report_template_default",
    icon=":material/download:",
)
context = None
with feedback.guard():
    context = report.build_context(db, user, catalog, unit, year)
upload = st.file_uploader("上传本单位的模板（.docx）", type=["docx"], key="report_template_upload")
if (
    upload is not None
    and context is not None
    and st.button("检查并使用此模板", key="report_template_use", type="primary")
):
    with feedback.guard():
        try:
            custom.save_template(db, user, unit, upload.getvalue(), upload.name, context)
        except ReportTemplateError as error:  # the message quotes the template's own text: plain text
            st.error("模板没有通过检查，未启用：", icon=":material/error:")
            st.text(error.message)
        else:
            feedback.flash("模板检查通过，已启用。")
            st.rerun()
if info and st.button("恢复默认模板", key="report_template_reset"):
    with feedback.guard():
        custom.reset_template(db, user, unit)
        feedback.flash("已恢复为默认模板。")
        st.rerun()
if context is not None:
    with st.expander("模板变量说明（示例为当前单位和年度的数据）"):
        st.dataframe(custom.variable_reference(context), hide_index=True, key="report_variables")

"""导入导出: Excel templates, importing records from Excel/CSV with a full preview, and the evidence package."""

import streamlit as st

from fazhi import spreadsheet, transfer, web
from fazhi.text import markdown_literal
from fazhi.ui import feedback, record_form, resources, session, sidebar

db = resources.database()
catalog = resources.catalog()
user = session.require_user()
unit = sidebar.selected_unit(db, user)
year = sidebar.selected_year()

st.title(markdown_literal(f"导入导出 · {unit.name} · {year}年"))
feedback.show_flash()
names = (["导入"] if user.can_edit else []) + ["下载模板", "佐证材料包"]
tabs = dict(zip(names, st.tabs(names, key="transfer_tabs"), strict=True))

with tabs["下载模板"]:
    st.write(
        "模板中每种记录类型一个工作表：第一行是表头，第二行是填写说明（导入时跳过），从第三行起每行一条记录。"
        "台账页的“导出 Excel”也是同样的格式，可以修改后再导入。"
    )
    chosen = st.multiselect(
        "只要这些记录类型（不选则包含全部）",
        list(catalog.record_types),
        format_func=lambda code: catalog.type(code).name,
        key="template_types",
    )
    st.download_button(
        "下载 Excel 模板",
        data=lambda: transfer.template(catalog, chosen),
        file_name="台账导入模板.xlsx",
        mime=spreadsheet.XLSX_MIME,
        key="template_download",
        icon=":material/download:",
        on_click="ignore",
    )

with tabs["佐证材料包"]:
    st.write(
        markdown_literal(
            f"把{unit.name}（含下属单位）{year}年全部记录的佐证材料打包下载：按领域和记录分文件夹，"
            "附“索引.xlsx”列出每条记录及其材料（没有材料的记录也列出）。"
        )
    )
    st.link_button(
        "下载佐证材料包",
        web.evidence_url(unit.id, year),
        key="evidence_package",
        icon=":material/folder_zip:",
        help="材料多时打包需要一些时间，浏览器会在打包完成后开始下载。",
    )

if "导入" not in tabs:
    st.stop()
with tabs["导入"]:
    st.write(f"上传填好的 Excel（.xlsx）或 CSV 文件。日期须在{year}年内（可在左侧更换年度）；单位写名称。")
    round_ = st.session_state.setdefault(
        "transfer_round", 0
    )  # a new number clears the uploader after an import
    upload = st.file_uploader(
        "选择文件", key=f"transfer_file_{round_}", help="CSV 可以是 UTF-8、GBK 或 UTF-16 编码。"
    )
    type_code = record_form.record_type_picker(
        catalog,
        "transfer_type",
        "CSV 或工作表的记录类型（文件中没有“记录类型”列、工作表也不是以类型命名时选择）",
    )
    if upload is None:
        st.stop()
    hidden = bool(st.session_state.get("transfer_hidden"))
    cache_key = (upload.file_id, year, type_code, db.version, hidden)
    cached = st.session_state.get("transfer_plan")
    if cached is None or cached[0] != cache_key:
        bar = st.progress(0.0, text="正在读取文件……")
        with feedback.guard():
            plan = transfer.preview(
                db,
                user,
                catalog,
                upload.name,
                upload.getvalue(),
                year=year,
                type_code=type_code,
                progress=lambda fraction, text: bar.progress(fraction, text=text),
                include_hidden=hidden,
            )
            st.session_state["transfer_plan"] = (cache_key, plan)
        bar.empty()
        if st.session_state.get("transfer_plan", (None,))[0] != cache_key:
            st.stop()
    plan = st.session_state["transfer_plan"][1]
    if plan.hidden_sheets:
        st.checkbox(
            markdown_literal("同时导入隐藏的工作表：" + "、".join(plan.hidden_sheets)),
            key="transfer_hidden",
            help="这些工作表在 Excel 中被隐藏了，通常是不需要导入的草稿或旧数据。",
        )
    (st.success if plan.ok else st.error)(markdown_literal(f"{upload.name}：{transfer.summary(plan)}"))
    if plan.problems:
        st.subheader("需要改正的问题")
        st.dataframe(transfer.problems_frame(plan), hide_index=True, key="transfer_problems")
    st.subheader("逐行预览")
    st.dataframe(transfer.plan_frame(plan), hide_index=True, key="transfer_preview")
    for notice in plan.notices[:20]:
        st.caption(markdown_literal(notice))
    if plan.ok:
        duplicates = len(plan.duplicates)
        include = duplicates > 0 and st.checkbox(
            f"仍然导入这{duplicates}行疑似重复的行",
            key="transfer_duplicates",
            help="不勾选时跳过这些行，只导入其余的行。",
        )
        if st.button("导入", type="primary", key="transfer_run", icon=":material/upload:"):
            with feedback.guard():
                result = transfer.run(db, user, catalog, plan, include_duplicates=include)
                skipped = f"，跳过{result.skipped}行疑似重复" if result.skipped else ""
                st.session_state["transfer_round"] = round_ + 1
                st.session_state.pop("transfer_plan", None)
                feedback.flash(
                    markdown_literal(
                        f"已从“{upload.name}”导入{len(result.ids)}条记录{skipped}。可在“台账”中查看。"
                    )
                )
                st.rerun()

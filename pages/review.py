"""报送审核: one township's submissions of the year — the frozen report (preview, download), its indicator
table and evidence index, the history of decisions — and, for a reviewer, 通过 or 退回 with a comment."""

import streamlit as st

from fazhi import submissions
from fazhi.errors import ReviewConflict
from fazhi.text import markdown_literal
from fazhi.ui import feedback, resources, session, sidebar

db = resources.database()
user = session.require_user()
year = sidebar.selected_year()
choices = {u.id: u for u in submissions.reviewable(db, user, sidebar.selected_unit(db, user))}

st.title(f"报送审核 · {year}年")
feedback.show_flash()
if not choices:
    st.info("请在左侧选择一个区县或乡镇（街道）。", icon=":material/info:")
    st.stop()
if st.session_state.get("review_unit") not in choices:
    st.session_state["review_unit"] = next(iter(choices))
unit = choices[
    st.selectbox("乡镇（街道）", list(choices), format_func=lambda i: choices[i].name, key="review_unit")
]
past = submissions.history(db, user, unit, year)
if not past:
    st.info(markdown_literal(f"{unit.name}{year}年还没有报送年度报告。"), icon=":material/hourglass_empty:")
    st.stop()

current, made = past[0]
# What this reviewer saw before clicking: a decision applies to it, or is refused when someone else acted.
seen_key = f"review_seen_{unit.id}_{year}"
if not (st.session_state.get("review_approve") or st.session_state.get("review_return")):
    st.session_state[seen_key] = (current.id, current.state)
seen = st.session_state.setdefault(seen_key, (current.id, current.state))
if st.session_state.pop("review_clear", False):
    st.session_state["review_comment"] = ""
st.subheader(markdown_literal(f"{unit.name}：{current.state_label}（第{current.round}次报送）"))
if made:
    st.caption(markdown_literal("最近的审核：" + made[-1].sentence()))

if submissions.may_review(user, unit) and current.state in ("submitted", "approved"):
    if unit.parent_id is None:
        st.caption("本机没有上级单位：请照区县在其系统中的审核结果记下决定和意见。")
    comment = st.text_area("审核意见（退回时必填，乡镇会在报告页面看到）", key="review_comment", height=100)
    approve, back = st.columns(2)
    action = None
    if current.state == "submitted" and approve.button("通过", key="review_approve", type="primary"):
        action = "approve"
    if back.button("退回" if current.state == "submitted" else "撤销通过并退回", key="review_return"):
        action = "return"
    if action:
        with feedback.guard():
            try:
                submissions.review(
                    db, user, unit, year, action, comment, submission_id=seen[0], expected_state=seen[1]
                )
            except ReviewConflict:
                st.session_state.pop(seen_key, None)  # the next run shows what the other reviewer did
                raise
            st.session_state["review_clear"] = True
            done = "通过，该年度已由上级封账" if action == "approve" else "退回，该年度恢复可修改"
            feedback.flash(markdown_literal(f"已{done}：{unit.name}{year}年的年度报告。"))
            st.rerun()

chosen = current
if len(past) > 1:
    rounds = {s.id: s for s, _ in past}
    picked = st.selectbox(
        "查看哪一次报送", list(rounds), format_func=lambda i: f"第{rounds[i].round}次（{rounds[i].submitted_at:%Y-%m-%d %H:%M}）",
        key="review_round",
    )  # fmt: skip
    chosen = rounds[picked]
with feedback.guard():
    frozen, docx = submissions.frozen_docx(db, user, chosen.id)
    st.download_button(
        "下载报送的报告（Word）", data=docx, file_name=frozen.filename, key="review_download",
        mime="application/vnd.openxmlformats-officedocument.wordprocessingml.document", icon=":material/download:",
    )  # fmt: skip
    st.caption(
        markdown_literal(
            f"{frozen.submitted_by}于{frozen.submitted_at:%Y年%m月%d日 %H:%M}报送（{'报送包导入' if frozen.source == 'package' else '在线报送'}），"
            f"{frozen.record_count}条记录，佐证材料{len(submissions.frozen_evidence(db, user, chosen.id))}个；"
            f"报告校验值 {frozen.docx_sha256[:16]}…"
        )
    )
    report, table, trail = st.tabs(["报告全文", "指标表（报送时）", "审核记录"])
    report.text(submissions.preview_text(docx))
    table.dataframe(
        submissions.frozen_indicators(db, user, chosen.id), hide_index=True, key="review_indicators"
    )
    trail.dataframe(
        [
            {"报送": f"第{s.round}次", "报送时间": s.submitted_at, "报送人": s.submitted_by, "审核": d.action_label,
             "审核人": d.decided_by, "审核时间": d.decided_at, "意见": d.comment}
            for s, ds in past for d in ds
        ] or [{"报送": "—", "意见": "还没有审核记录"}],
        hide_index=True, key="review_history",
    )  # fmt: skip

"""报送进度: every township of the county for the year — state, dates, deadline, records by area, completion,
publication — the county's totals, its deadline, and one download of every submitted report."""

from datetime import date

import streamlit as st

from fazhi import deadlines, progress
from fazhi.text import markdown_literal
from fazhi.ui import cache, feedback, resources, session, sidebar

db = resources.database()
catalog = resources.catalog()
user = session.require_user()
year = sidebar.selected_year()
county = progress.county_for(db, user, sidebar.selected_unit(db, user))

st.title(
    markdown_literal(
        f"报送进度 · {county.name if county else sidebar.selected_unit(db, user).name} · {year}年"
    )
)
feedback.show_flash()
if county is None:
    st.info(
        "本页供区县查看所辖乡镇（街道）的报送、审核和公开情况。本单位的报送请在“年度报告”页进行。",
        icon=":material/info:",
    )
    st.stop()

rows = progress.progress(
    db, user, catalog, county, year, scores=cache.township_scores(db, user, catalog, county, year)
)
totals = progress.summary(rows)
cells = st.columns(4)
cells[0].metric(
    "报送率", totals.submission_rate, help="已报送或已通过的乡镇（街道）占全部的比例；退回的不计。"
)
cells[1].metric("已通过", f"{totals.approved} / {totals.townships}")
cells[2].metric("按时报送率", totals.on_time_rate, help="第一次报送在截止日期之前（含当天）的比例。")
cells[3].metric(
    "公开率",
    totals.publication_rate,
    help=f"已记录公开情况的比例；其中逾期（4月1日以后）公开{totals.published_late}个。",
)

due = deadlines.deadline_for(db, county, year)
if user.is_admin:
    with st.form("deadline_form", border=False):
        left, right = st.columns([2, 1], vertical_alignment="bottom")
        chosen = left.date_input(
            f"{year}年报告的报送截止日期", value=due, key="deadline_date", format="YYYY-MM-DD",
            min_value=date(year, 1, 1), max_value=date(year + 1, 12, 31),
        )  # fmt: skip
        if right.form_submit_button("保存截止日期", key="deadline_save"):
            with feedback.guard():
                deadlines.set_deadline(db, user, county, year, chosen)
                feedback.flash(f"{year}年报告的报送截止日期：{chosen.isoformat() if chosen else '已取消'}。")
                st.rerun()
else:
    st.caption(f"报送截止日期：{due.isoformat() if due else '未设置'}")

if not rows:
    st.info(markdown_literal(f"{county.name}下还没有乡镇（街道）。"), icon=":material/info:")
    st.stop()
st.dataframe(
    progress.display(catalog, rows, year),
    hide_index=True,
    key="submissions_table",
    column_config={"公开网址": st.column_config.TextColumn(width="medium")},
)

names = {row.unit.id: f"{row.unit.name}（{row.state_label}）" for row in rows}
pick, go, bundle = st.columns([2, 1, 2], vertical_alignment="bottom")
chosen_unit = pick.selectbox("查看或审核", list(names), format_func=names.get, key="progress_unit")
if go.button("打开报送审核", key="progress_open", icon=":material/rate_review:"):
    st.session_state["review_unit"] = chosen_unit
    st.switch_page("pages/review.py")


def zipped() -> bytes:
    """Every submitted report and the 汇总表, made when the button is clicked."""
    return progress.bundle(db, user, catalog, county, year)[1]


bundle.download_button(
    "下载全部报告和汇总表（zip）",
    data=zipped,
    file_name=f"{county.name}{year}年乡镇（街道）年度报告.zip",
    mime="application/zip",
    key="bundle_download",
    icon=":material/download:",
    on_click="ignore",
)

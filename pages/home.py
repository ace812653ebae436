"""首页: the year at a glance for the chosen unit; on an empty database, the way to begin."""

import streamlit as st

from fazhi import ledger, records, sample
from fazhi.text import markdown_literal
from fazhi.ui import feedback, resources, session, sidebar

db = resources.database()
catalog = resources.catalog()
user = session.require_user()
unit = sidebar.selected_unit(db, user)
year = sidebar.selected_year()

st.title(markdown_literal(f"{unit.name} · {year}年法治政府建设"))
feedback.show_flash()

if records.record_count(db) == 0:
    st.info("数据库中还没有任何工作记录。", icon=":material/info:")
    left, right = st.columns(2, border=True)
    with left:
        st.subheader("加载示例数据")
        st.write(
            "加载万州区燕山乡2019—2020年的示例记录（村名为示例），可立即查看台账、指标和报告的样子。"
            "示例数据只能加载到空数据库中。"
        )
        if user.is_admin:
            if st.button("加载示例数据", key="load_demo", type="primary", icon=":material/dataset:"):
                with feedback.guard():
                    result = sample.load_demo(db, catalog)
                    sidebar.choose(result.township.id, 2020)
                    feedback.flash(f"已加载示例数据：{result.township.name} {result.records} 条记录。")
                    st.rerun()
        else:
            st.caption("只有管理员可以加载示例数据。")
    with right:
        st.subheader("从零开始")
        st.write("直接记录本单位的工作：每开展一次学法、宣传、调解等工作，就记一条，附上照片和签到表。")
    st.stop()

frame = ledger.count_by_area(db, user, catalog, unit.id, year)
total = int(frame["records"].sum())
outline = catalog.outline_for(year)
covered = int((frame["records"] > 0).sum())
cols = st.columns(3)
cols[0].metric("本年度工作记录", f"{total} 条")
cols[1].metric("已有记录的领域", f"{covered} / {len(frame)}")
cols[2].metric("适用纲要", outline.name.removeprefix("法治政府建设实施纲要").strip("（）") + "纲要")

st.subheader("各领域记录数")
st.dataframe(
    frame[["area", "records"]],
    hide_index=True,
    column_config={
        "area": st.column_config.TextColumn("领域", width="large"),
        "records": st.column_config.ProgressColumn(
            "记录数", format="%d 条", min_value=0, max_value=max(1, int(frame["records"].max()))
        ),
    },
    key="home_areas",
)
empty = frame.loc[frame["records"] == 0, "short"].tolist()
if empty:
    st.caption("尚无记录的领域：" + "、".join(empty))

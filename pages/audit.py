"""审计日志: who changed what and when, filtered by user, date, action and unit; before and after; export."""

from datetime import date

import streamlit as st

from fazhi import audit_viewer, units
from fazhi.labels import ACTIONS
from fazhi.ui import resources, session, sidebar

SHOWN = 500

db = resources.database()
catalog = resources.catalog()
user = session.require_user()
session.require_admin(user)
unit = sidebar.selected_unit(db, user)
year = sidebar.selected_year()

st.title("审计日志")
visible = units.visible_units(db, user)
by_id = {u.id: u for u in visible}
first, second, third, fourth = st.columns(4)
names = audit_viewer.usernames(db, user)
people = first.multiselect(
    "用户", list(names), format_func=names.get, key="audit_users", placeholder="全部用户"
)
actions = second.multiselect(
    "操作", list(ACTIONS), format_func=ACTIONS.get, key="audit_actions", placeholder="全部操作"
)
period = third.date_input("日期", value=(), max_value=date.today(), key="audit_dates", format="YYYY-MM-DD")
unit_id = fourth.selectbox(
    "单位（含下级）",
    list(by_id),
    index=None,
    format_func=lambda i: sidebar.unit_label(by_id[i], visible[0]),
    key="audit_unit",
    placeholder="全部单位",
)
start, end = (tuple(period) + (None, None))[:2]
filters = audit_viewer.AuditFilter(people, actions, start, end or start, unit_id)

total = audit_viewer.audit_count(db, user, filters)
if total == 0:
    st.info("没有符合条件的日志。")
    st.stop()
captions = catalog.field_captions()
frame = audit_viewer.query(
    db, user, audit_viewer.AuditFilter(people, actions, start, end or start, unit_id, limit=SHOWN)
)
st.caption(f"共 {total} 条" + (f"，下表显示最近 {SHOWN} 条，导出文件包含全部" if total > SHOWN else ""))
st.dataframe(
    audit_viewer.readable(frame, captions),
    hide_index=True,
    key="audit_table",
    column_config={"时间": st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm:ss")},
)

entries = dict(zip(frame["id"].astype(int), frame.itertuples(index=False), strict=True))
chosen = st.selectbox(
    "查看某一条的修改前后",
    list(entries),
    index=None,
    format_func=lambda i: (
        f"第{i}号 · {entries[i].logged_at:%Y-%m-%d %H:%M} · {entries[i].person} · "
        f"{ACTIONS.get(entries[i].action, entries[i].action)}"
    ),
    key="audit_entry",
    placeholder="选择序号",
)
if chosen is not None:
    detail = audit_viewer.changes(entries[chosen].before_json, entries[chosen].after_json, captions)
    if detail.empty:
        st.caption("这一条没有记录修改内容。")
    else:
        st.dataframe(detail, hide_index=True, key="audit_detail")


def export() -> object:
    return audit_viewer.readable(audit_viewer.query(db, user, filters), captions, raw=True)


stamp = date.today().strftime("%Y%m%d")
left, right = st.columns(2)
left.download_button(
    "导出 Excel",
    lambda: audit_viewer.to_xlsx(export()),
    file_name=f"审计日志-{stamp}.xlsx",
    mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    key="audit_xlsx",
    icon=":material/download:",
    on_click="ignore",
)
right.download_button(
    "导出 CSV",
    lambda: audit_viewer.to_csv(export()),
    file_name=f"审计日志-{stamp}.csv",
    mime="text/csv",
    key="audit_csv",
    icon=":material/download:",
    on_click="ignore",
)

"""法治政府建设工作台: the router. Login gate, sidebar, and st.navigation over pages/ (see fazhi/navigation.py)."""

import streamlit as st

from fazhi.ui import chinese, resources, session, sidebar

st.set_page_config(page_title="法治政府建设工作台", page_icon="⚖️", layout="wide")
chinese.inject()  # Streamlit's own English in Chinese, before anything else is drawn

db = resources.database()
resources.daily_backup(db)  # the first run of a day starts it in the background
resources.catalog()  # a broken catalog stops here with the file and key named
user = session.checked_user(db)
page = st.navigation(
    sidebar.navigation_pages(db, user), expanded=True
)  # every page in sight, never "View more"
session.sync_cookie()  # a new login's cookie, or an ended one deleted
if user is not None:
    sidebar.sidebar(db, user)
    sidebar.lock_banner(db, sidebar.selected_unit(db, user), sidebar.selected_year())
page.run()

"""法治政府建设工作台: the router. Login gate, sidebar, and st.navigation over pages/ (see fazhi/navigation.py)."""

import streamlit as st

from fazhi import ui

st.set_page_config(page_title="法治政府建设工作台", page_icon="⚖️", layout="wide")

db = ui.database()
ui.daily_backup(db)  # the first run of a day starts it in the background
ui.catalog()  # a broken catalog stops here with the file and key named
user = ui.current_user(db)
page = st.navigation(ui.navigation_pages(db, user), expanded=True)  # every page in sight, never "View more"
if user is not None:
    ui.sidebar(db, user)
    ui.lock_banner(db, ui.selected_unit(db, user), ui.selected_year())
page.run()

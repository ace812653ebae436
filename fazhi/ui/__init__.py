"""Streamlit glue, the one part of fazhi/ that imports streamlit, one module per job:

- `chinese`: Streamlit's own English on screen in Chinese (a small script with data/ui_text.toml)
- `resources`: the cached database connection (keyed by path), the catalog, the daily backup
- `session`: login state in the browser session, idle timeout, the current user
- `feedback`: errors as Chinese boxes, `guard`, one-shot success messages, plain lists
- `sidebar`: the pages a user may open, the shared unit and year, submission notes, the 封账 banner
- `ledger_link`: how another page asks 台账 to show some records, and the link to one record
- `cache`: dashboard data, report context and township scores cached by data version (never stale)
- `dashboard_widgets`: registered charts with drill-down, KPI cards and their picker, 会议模式 styling
- `record_form`: the record form shared by 录入 and 记录详情, its problems under each widget, detail tables
- `evidence_panel`: a record's evidence files with thumbnails, upload and remove
- `submission_panel`: 报送与公开 on 年度报告 (submit, the county's comment, 报送包, publication)

Pages import the modules they use (`from fazhi.ui import feedback, session, sidebar`).
"""

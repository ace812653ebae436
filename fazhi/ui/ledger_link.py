"""Links into 台账 and to one record.

Contract with 台账 (`open_ledger` → pages/ledger.py): a page that wants to show "the records behind this
figure" calls `open_ledger(year=2020, unit_id=5, type_codes=[...], area="publicity", date_from=date(...),
date_to=date(...), keyword="...")` with any of the keys of `ledger.RecordFilter` (no others). It stores
them as a plain dict in `st.session_state["fazhi_ledger_request"]` (LEDGER_REQUEST) and switches to
pages/ledger.py. The 台账 page takes the request exactly once with `apply_ledger_request` (which removes
it), applies it to its own filter widgets, says in words what is shown (`drilldown.describe_filter`) and
offers a way back to the full list.
"""

from __future__ import annotations

import re
from typing import Any, NoReturn

import streamlit as st

from fazhi import auth, drilldown, records
from fazhi.catalog import Catalog
from fazhi.db import Database
from fazhi.errors import FazhiError
from fazhi.text import markdown_literal
from fazhi.ui.feedback import flash, show_error
from fazhi.ui.sidebar import choose

LEDGER_PAGE = "pages/ledger.py"
RECORD_PAGE = "pages/record.py"
LEDGER_REQUEST = "fazhi_ledger_request"
# The 台账 page's own filter widgets, which a request fills in so the user sees (and can change) them.
LEDGER_WIDGETS = {
    "unit_id": "ledger_unit",
    "area": "ledger_area",
    "type_codes": "ledger_types",
    "keyword": "ledger_keyword",
    "date_from": "ledger_from",
    "date_to": "ledger_to",
}


def open_ledger(**filters: Any) -> NoReturn:
    """Switch to 台账 showing the records that match `filters` (keys of ledger.RecordFilter; see the module
    docstring for the contract)."""
    unknown = set(filters) - set(drilldown.LEDGER_FILTER_KEYS)
    if unknown:
        raise TypeError(f"open_ledger: unknown filter keys {sorted(unknown)}")
    st.session_state[LEDGER_REQUEST] = dict(filters)
    st.switch_page(LEDGER_PAGE)
    raise AssertionError("unreachable: st.switch_page raises")


def take_ledger_request() -> dict[str, Any] | None:
    """The filters another page asked 台账 to show, once (removed as it is read); None when there is none."""
    return st.session_state.pop(LEDGER_REQUEST, None)


def _ledger_default(key: str) -> Any:
    return [] if key == "type_codes" else "" if key == "keyword" else None


def clear_ledger_filters() -> None:
    """Button callback: every 台账 filter back to "all"."""
    for key, widget in LEDGER_WIDGETS.items():
        st.session_state[widget] = _ledger_default(key)


def apply_ledger_request(db: Database, catalog: Catalog) -> bool:
    """Turn a pending `open_ledger` request into 台账's filters: the sidebar moves to its year, the page's
    filter widgets (including 下属单位) take its values, others are cleared. True when the page must rerun."""
    request = take_ledger_request()
    if request is None:
        return False
    for key, widget in LEDGER_WIDGETS.items():
        st.session_state[widget] = request.get(key, _ledger_default(key))
    st.session_state["ledger_deleted"] = False
    choose(None, request.get("year"))  # the sidebar keeps its unit; a unit below it is 台账's own filter
    flash(
        markdown_literal(
            "只显示："
            + drilldown.describe_filter(db, catalog, request)
            + "。修改上方的筛选条件即可查看其他记录。"
        )
    )
    return True


def open_record(record_id: int) -> None:
    """Go to 记录详情 for this record (its id travels in the address: …/record?id=12)."""
    st.switch_page(RECORD_PAGE, query_params={"id": str(int(record_id))})


def record_or_stop(db: Database, user: auth.User, catalog: Catalog) -> records.Record:
    """The record named by ?id= in the address, if the user may see it; else a Chinese message and a stop."""
    raw = st.query_params.get("id", "")
    if not re.fullmatch(r"[0-9]{1,18}", raw):  # str.isdigit() also takes '²' and '٣', which int() refuses
        st.title("记录详情")
        st.info("请在“台账”中点选一条记录。", icon=":material/info:")
        st.stop()
    try:
        return records.get_record(db, user, catalog, int(raw), include_deleted=user.is_admin)
    except FazhiError as error:
        st.title("记录详情")
        show_error(error)
        st.stop()
        raise

"""报送与公开 on 年度报告: the township's side of the county's review — its state and the county's comment,
the 报送 button, the 报送包 download for a separate county installation, and where the report was published."""

from __future__ import annotations

from datetime import date

import streamlit as st

from fazhi import auth, publication, submission_package, submissions, units
from fazhi.catalog import Catalog
from fazhi.db import Database
from fazhi.text import markdown_literal
from fazhi.ui import feedback


def submission_panel(db: Database, user: auth.User, catalog: Catalog, unit: units.Unit, year: int) -> None:
    """The expander 报送与公开 for a township (nothing for a unit that reports to no one)."""
    status = submissions.township_status(db, user, unit, year)
    if status is None:
        return
    with st.expander(
        markdown_literal(f"报送与公开：{status.headline}"), expanded=status.state in ("none", "returned")
    ):
        if status.decision is not None:
            shown = st.warning if status.state == "returned" else st.info
            shown(markdown_literal(f"审核意见：{status.decision.sentence()}"), icon=":material/rate_review:")
        for hint in status.hints:
            st.caption(markdown_literal(hint))
        if status.can_submit and st.button(f"报送{year}年报告", key="report_submit", type="primary"):
            with feedback.guard(), st.spinner("正在生成并冻结报告……"):
                made = submissions.submit(db, user, catalog, unit, year)
                feedback.flash(
                    markdown_literal(
                        f"已报送{unit.name}{year}年的年度报告（第{made.round}次），该年度已锁定。"
                    )
                )
                st.rerun()
        if status.can_package:
            county = st.text_input("接收的区县", key="package_county") if status.needs_county_name else None
            st.download_button(
                "下载报送包（交给区县的安装导入）",
                data=lambda: submission_package.build(db, user, catalog, unit, year, county_name=county).data,
                file_name=f"{unit.name}{year}年报送包.zip",
                mime="application/zip",
                key="report_package",
                disabled=status.needs_county_name and not county,
                on_click="ignore",
            )
        if status.can_publish:
            _publication_form(db, user, unit, year)


def _publication_form(db: Database, user: auth.User, unit: units.Unit, year: int) -> None:
    """The date and address where the year's report was published."""
    kept = publication.publication_of(db, unit, year)
    with st.form("report_publication", border=False):
        day, address = st.columns([1, 3])
        on = day.date_input(
            "公开日期", value=kept.published_on if kept else None, key="report_published_on",
            min_value=date(year, 12, 31), max_value=max(date.today(), date(year, 12, 31)),
        )  # fmt: skip
        url = address.text_input("公开网址", value=kept.url if kept else "", key="report_published_url")
        if st.form_submit_button("记录公开情况", key="report_publish"):
            with feedback.guard():
                publication.record_publication(db, user, unit, year, on, url)
                feedback.flash(f"已记录{year}年报告的公开情况。")
                st.rerun()

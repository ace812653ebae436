"""fazhi.audit_viewer: the viewer's query (filters, scope by unit), readable before/after, export to xlsx and CSV."""

from __future__ import annotations

import io
from datetime import date, datetime

import openpyxl
import pandas as pd
import pytest

from fazhi import audit_viewer, auth, db, locks, records, units
from fazhi.audit_viewer import AuditFilter
from fazhi.catalog import Catalog
from fazhi.errors import PermissionDenied
from fazhi.units import find_unit
from fazhi.validation import RecordInput


@pytest.fixture
def history(demo: db.Database, catalog: Catalog, users: dict[str, auth.User]) -> dict[str, int]:
    """A few audited changes in 示例一村, 燕山乡 and a second township 青石镇."""
    village, township = find_unit(demo, "示例一村"), find_unit(demo, "燕山乡")
    other = units.create_child_unit(demo, users["county_admin"], find_unit(demo, "万州区").id, "青石镇")
    item = RecordInput(
        "market_day", village.id, '=HYPERLINK("x")', date(2021, 3, 15), values={"materials": 100}
    )
    saved = records.add_record(demo, users["village_editor"], catalog, item)
    item.values = {"materials": 150, "banners": 2}
    item.title = "赶场日宣传"
    records.update_record(demo, users["village_editor"], catalog, saved.id, item, expected_version=1)
    locks.lock_year(demo, users["admin"], township, 2020)
    units.rename_unit(demo, users["county_admin"], other.id, "青石镇人民政府")
    demo.checkpoint()
    return {"record": saved.id, "village": village.id, "township": township.id, "other": other.id}


def test_scope_follows_the_administrators_unit(
    demo: db.Database, users: dict[str, auth.User], history: dict[str, int]
) -> None:
    township_view = audit_viewer.query(demo, users["admin"])
    county_view = audit_viewer.query(demo, users["county_admin"])
    assert "青石镇人民政府" not in set(township_view["unit_name"])
    assert "青石镇人民政府" in set(county_view["unit_name"])
    assert set(township_view["unit_name"]) <= {"燕山乡", "示例一村", "示例二村", "示例三村", "示例社区"}
    assert list(county_view["id"]) == sorted(county_view["id"], reverse=True)  # newest first
    for role in ("editor", "viewer", "village_editor"):
        with pytest.raises(PermissionDenied):
            audit_viewer.query(demo, users[role])
    with pytest.raises(PermissionDenied):
        audit_viewer.query(demo, users["admin"], AuditFilter(unit_id=history["other"]))


def test_filters(demo: db.Database, users: dict[str, auth.User], history: dict[str, int]) -> None:
    admin, editor = users["county_admin"], users["village_editor"]
    mine = audit_viewer.query(demo, admin, AuditFilter(usernames=[editor.username]))
    assert list(mine["action"]) == ["update", "create"]
    assert list(audit_viewer.query(demo, admin, AuditFilter(actions=["lock"]))["entity_id"]) == [
        f"{history['township']}:2020"
    ]
    village = audit_viewer.query(demo, admin, AuditFilter(unit_id=history["village"]))
    assert set(village["unit_name"]) == {"示例一村"}
    today = date.today()
    assert audit_viewer.audit_count(
        demo, admin, AuditFilter(date_from=today, date_to=today)
    ) == audit_viewer.audit_count(demo, admin)
    assert audit_viewer.audit_count(demo, admin, AuditFilter(date_to=date(2000, 1, 1))) == 0
    assert (
        audit_viewer.audit_count(demo, admin, AuditFilter(limit=2)) > 2
    )  # the count ignores the display limit
    assert len(audit_viewer.query(demo, admin, AuditFilter(limit=2))) == 2
    assert editor.username in audit_viewer.usernames(demo, admin)
    assert users["county_admin"].username not in audit_viewer.usernames(demo, users["admin"])


def test_changes_are_readable(
    demo: db.Database, catalog: Catalog, users: dict[str, auth.User], history: dict[str, int]
) -> None:
    captions = catalog.field_captions()
    frame = audit_viewer.query(demo, users["admin"], AuditFilter(actions=["update"]))
    update = frame.iloc[0]
    assert audit_viewer.changes(update["before_json"], update["after_json"], captions).values.tolist() == [
        ["标题", '=HYPERLINK("x")', "赶场日宣传"],
        ["发放宣传资料（份）", "100", "150"],
        ["悬挂横幅（幅）", "", "2"],
        ["版本", "1", "2"],
    ]
    assert audit_viewer.summary(update["before_json"], update["after_json"], captions) == (
        '标题：=HYPERLINK("x") → 赶场日宣传；发放宣传资料（份）：100 → 150；悬挂横幅（幅）：（空） → 2；版本：1 → 2'
    )
    view = audit_viewer.readable(audit_viewer.query(demo, users["county_admin"]), captions)
    rows: dict[tuple[str, str], str] = {}
    for _, row in view.iterrows():
        rows.setdefault((row["操作"], row["对象"]), row["内容"])  # the newest of each kind
    assert rows[("封账", "封账")] == "燕山乡 2020年"
    assert rows[("新增", "记录")] == '=HYPERLINK("x")'
    assert rows[("修改", "单位")] == "名称：青石镇 → 青石镇人民政府"
    assert list(view.columns) == ["序号", "时间", "用户", "操作", "对象", "对象编号", "单位", "内容"]


def test_exports_keep_text_as_text(
    demo: db.Database, catalog: Catalog, users: dict[str, auth.User], history: dict[str, int]
) -> None:
    frame = audit_viewer.readable(
        audit_viewer.query(demo, users["admin"]), catalog.field_captions(), raw=True
    )
    book = openpyxl.load_workbook(io.BytesIO(audit_viewer.to_xlsx(frame)))
    sheet = book["审计日志"]
    header = [c.value for c in sheet[1]]
    assert header == [*frame.columns]
    column = header.index("内容") + 1
    cells = [sheet.cell(row, column) for row in range(2, sheet.max_row + 1)]
    formula_like = [c for c in cells if str(c.value).startswith("=")]
    assert formula_like and all(c.data_type == "s" for c in formula_like)  # never a live formula
    assert sheet.max_row == len(frame) + 1
    assert isinstance(sheet.cell(2, header.index("时间") + 1).value, datetime)

    text = audit_viewer.to_csv(frame)
    assert text.startswith("\ufeff".encode())
    back = pd.read_csv(io.BytesIO(text), encoding="utf-8-sig", dtype=str, keep_default_na=False)
    assert list(back.columns) == list(frame.columns)
    assert len(back) == len(frame)
    assert '\'=HYPERLINK("x")' in set(back["内容"])  # defused for Excel with a leading apostrophe

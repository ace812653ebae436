"""fazhi.locks: 封账 refuses every write path of the year, for the unit and the units below it."""

from __future__ import annotations

from datetime import date

import pytest

from fazhi import attachments, auth, db, ledger, locks, narratives, records, targets, units
from fazhi.catalog import Catalog
from fazhi.errors import InvalidInput, PermissionDenied, YearLocked
from fazhi.ledger import RecordFilter
from fazhi.units import find_unit
from fazhi.validation import RecordInput
from tests import evidence_files

pytestmark = pytest.mark.both_backends  # tests/backends.py: on DuckDB and on PostgreSQL


def _item(unit_id: int, day: date = date(2020, 5, 1)) -> RecordInput:
    return RecordInput(
        "market_day", unit_id, "赶场日宣传", day, values={"consultations": 1, "materials": 2, "banners": 1}
    )


def _snapshot(database: db.Database) -> list[list[tuple]]:
    return [
        database.rows(
            "SELECT r.*, v.field_code, v.num_value, v.text_value FROM records r"
            " LEFT JOIN record_values v ON v.record_id = r.id ORDER BY r.id, v.field_code"
        ),
        database.rows("SELECT * FROM record_attachments ORDER BY id"),
        database.rows("SELECT * FROM narratives ORDER BY 1, 2, 3"),
        database.rows("SELECT * FROM targets ORDER BY 1, 2, 3"),
    ]


@pytest.fixture
def locked(demo: db.Database, catalog: Catalog, users: dict[str, auth.User]) -> dict[str, int]:
    """燕山乡 2020 locked after one 2020 record of 示例一村 was deleted; ids of records to try."""
    village = find_unit(demo, "示例一村")
    live = records.add_record(demo, users["admin"], catalog, _item(village.id)).id
    gone = records.add_record(demo, users["admin"], catalog, _item(village.id)).id
    records.delete_record(demo, users["admin"], catalog, gone)
    spare = records.add_record(demo, users["admin"], catalog, _item(village.id, date(2021, 5, 1))).id
    township = find_unit(demo, "燕山乡")
    added = attachments.add_files(demo, users["admin"], catalog, live, [("签到表.pdf", evidence_files.pdf())])
    narratives.save_text(demo, users["admin"], township, 2020, "opening", "开头", expected=None)
    locks.lock_year(demo, users["admin"], township, 2020)
    return {
        "live": live,
        "gone": gone,
        "spare": spare,
        "village": village.id,
        "township": township.id,
        "file": added.added[0].id,
    }


WRITES = {
    "add": lambda d, c, u, ids: records.add_record(d, u, c, _item(ids["village"])),
    "update": lambda d, c, u, ids: records.update_record(
        d, u, c, ids["live"], _item(ids["village"], date(2020, 6, 1)), expected_version=1
    ),
    "move_out_of_the_year": lambda d, c, u, ids: records.update_record(
        d, u, c, ids["live"], _item(ids["village"], date(2021, 6, 1)), expected_version=1
    ),
    "move_into_the_year": lambda d, c, u, ids: records.update_record(
        d, u, c, ids["spare"], _item(ids["village"], date(2020, 6, 1)), expected_version=1
    ),
    "delete": lambda d, c, u, ids: records.delete_record(d, u, c, ids["live"]),
    "restore": lambda d, c, u, ids: records.restore_record(d, u, c, ids["gone"]),
    "import": lambda d, c, u, ids: records.import_records(
        d, u, c, [_item(ids["village"], date(2021, 1, 5)), _item(ids["village"], date(2020, 1, 5))]
    ),
    "attach_a_file": lambda d, c, u, ids: attachments.add_files(
        d, u, c, ids["live"], [("照片.png", evidence_files.image("PNG"))]
    ),
    "remove_a_file": lambda d, c, u, ids: attachments.remove_file(d, u, c, ids["file"]),
    "save_report_text": lambda d, c, u, ids: narratives.save_text(
        d, u, units.get_unit(d, ids["village"]), 2020, "closing", "文字", expected=None
    ),
    "reset_report_text": lambda d, c, u, ids: narratives.reset_text(
        d, u, units.get_unit(d, ids["township"]), 2020, "opening"
    ),
    "set_targets": lambda d, c, u, ids: targets.set_targets(
        d, u, c, units.get_unit(d, ids["township"]), 2020, {"satisfaction": 99}
    ),
}


@pytest.mark.parametrize("write", WRITES, ids=str)
def test_every_write_path_is_refused_in_a_locked_year(
    demo: db.Database, catalog: Catalog, users: dict[str, auth.User], locked: dict[str, int], write: str
) -> None:
    before, audit_rows = _snapshot(demo), demo.one("SELECT count(*) FROM audit_log")
    for actor in (users["admin"], users["county_admin"], auth.system_user()):
        with pytest.raises(YearLocked) as caught:
            WRITES[write](demo, catalog, actor, locked)
        assert "燕山乡2020年已封账" in str(caught.value)
        assert "如确需修改，请联系管理员解除封账。" in str(caught.value)
    assert _snapshot(demo) == before
    assert demo.one("SELECT count(*) FROM audit_log") == audit_rows


def test_unlocking_allows_writes_again_and_is_audited(
    demo: db.Database, catalog: Catalog, users: dict[str, auth.User], locked: dict[str, int]
) -> None:
    township = find_unit(demo, "燕山乡")
    with pytest.raises(PermissionDenied):
        locks.unlock_year(demo, users["editor"], township, 2020)
    locks.unlock_year(demo, users["admin"], township, 2020)
    records.delete_record(demo, users["editor"], catalog, locked["live"])
    actions = demo.rows(
        "SELECT action, username, before_json->>'locked_by' FROM audit_log WHERE entity = 'year_lock' ORDER BY id"
    )
    name = users["admin"].username
    assert actions == [("lock", name, None), ("unlock", name, name)]


def test_the_lock_is_visible_and_listed(demo: db.Database, users: dict[str, auth.User]) -> None:
    township, village, county = (find_unit(demo, n) for n in ("燕山乡", "示例一村", "万州区"))
    assert locks.lock_state(demo, village, 2020) is None
    locks.lock_year(demo, users["admin"], village, 2020)
    locks.lock_year(demo, users["admin"], village, 2020)  # twice: still one lock
    assert locks.lock_state(demo, village, 2020).startswith("示例一村2020年已封账（")
    assert locks.lock_state(demo, township, 2020) is None  # the village's lock does not cover the township
    assert locks.is_locked_here(demo, village, 2020)
    assert locks.locked_by_ancestor(demo, village, 2020) is None
    locks.lock_year(demo, users["county_admin"], county, 2020)
    assert locks.locked_by_ancestor(demo, village, 2020) == "万州区"
    assert locks.locked_by_ancestor(demo, county, 2020) is None
    assert locks.lock_state(demo, township, 2020).startswith("万州区2020年已封账（")
    listed = [(lock.unit_name, lock.year) for lock in locks.list_locks(demo, users["county_admin"])]
    assert listed == [("万州区", 2020), ("示例一村", 2020)]
    assert [lock.unit_name for lock in locks.list_locks(demo, users["admin"])] == ["示例一村"]
    with pytest.raises(PermissionDenied):
        locks.list_locks(demo, users["editor"])
    with pytest.raises(PermissionDenied):
        locks.list_locks(demo, users["admin"], county)


@pytest.mark.parametrize("year", [1999, 2101])
def test_lock_year_range(demo: db.Database, users: dict[str, auth.User], year: int) -> None:
    with pytest.raises(InvalidInput, match="年度应在2000到2100年之间。"):
        locks.lock_year(demo, users["admin"], find_unit(demo, "燕山乡"), year)


def test_a_locked_year_still_reads(
    demo: db.Database, catalog: Catalog, users: dict[str, auth.User], locked: dict[str, int]
) -> None:
    frame = ledger.list_records(demo, users["village_editor"], catalog, RecordFilter(year=2020))
    assert len(frame) == 3  # the demo's two 示例一村 records and the live one


def test_a_lock_set_above_is_lifted_only_from_above(demo: db.Database, users: dict[str, auth.User]) -> None:
    township = find_unit(demo, "燕山乡")
    locks.lock_year(demo, users["county_admin"], township, 2020)  # the county locks the township's year
    assert [lock.set_by_unit for lock in locks.list_locks(demo, users["county_admin"])] == ["万州区"]
    assert not locks.may_unlock(demo, users["admin"], township, 2020)
    with pytest.raises(PermissionDenied, match="是“万州区”设置的，只能由“万州区”或更上级单位的管理员解除"):
        locks.unlock_year(demo, users["admin"], township, 2020)
    assert locks.lock_state(demo, township, 2020) is not None
    assert locks.may_unlock(demo, users["county_admin"], township, 2020)
    locks.unlock_year(demo, users["county_admin"], township, 2020)
    assert locks.lock_state(demo, township, 2020) is None
    # a lock the township set itself, it lifts itself
    locks.lock_year(demo, users["admin"], township, 2020)
    assert locks.may_unlock(demo, users["admin"], township, 2020)
    locks.unlock_year(demo, users["admin"], township, 2020)


def test_a_locked_years_report_keeps_names_settings_and_template(
    demo: db.Database, catalog: Catalog, users: dict[str, auth.User]
) -> None:
    """Renaming the unit, new report settings or a new template after 封账 change only the open years."""
    import io

    from docx import Document

    from fazhi.report import custom, frozen, options
    from fazhi.report.context import build_context
    from fazhi.report.generate import generate
    from fazhi.report.template import default_template_bytes

    admin, township = users["admin"], find_unit(demo, "燕山乡")
    options.save_options(demo, admin, township, recipient="区委、区政府：")

    def own_template(words: str) -> bytes:
        document = Document(io.BytesIO(default_template_bytes()))
        document.add_paragraph(words)
        out = io.BytesIO()
        document.save(out)
        return out.getvalue()

    custom.save_template(demo, admin, township, own_template("第一版模板"), "一.docx")
    before = build_context(demo, admin, catalog, township, 2020)
    frozen.lock_year(demo, admin, township, 2020)
    units.rename_unit(demo, users["county_admin"], township.id, "燕山镇")
    units.rename_unit(demo, users["county_admin"], find_unit(demo, "万州区").id, "万州县")
    options.save_options(demo, admin, units.get_unit(demo, township.id), recipient="县委、县政府：")
    custom.save_template(demo, admin, township, own_template("第二版模板"), "二.docx")
    renamed = units.get_unit(demo, township.id)

    locked = build_context(demo, admin, catalog, renamed, 2020)
    assert (locked["unit_name"], locked["title"], locked["recipient"], locked["issuer"]) == (
        "燕山乡",
        "燕山乡关于2020年法治政府建设情况的报告",
        "区委、区政府：",
        "燕山乡人民政府",
    )
    assert locked["opening"] == before["opening"] and locked["duty"] == before["duty"]
    text = "\n".join(
        p.text
        for p in Document(
            io.BytesIO(generate(demo, admin, catalog, renamed, 2020, charts=False).docx)
        ).paragraphs
    )
    assert "第一版模板" in text and "第二版模板" not in text

    open_year = build_context(demo, admin, catalog, renamed, 2021)
    assert (open_year["unit_name"], open_year["recipient"], open_year["issuer"]) == (
        "燕山镇",
        "县委、县政府：",
        "燕山镇人民政府",
    )
    text = "\n".join(
        p.text
        for p in Document(
            io.BytesIO(generate(demo, admin, catalog, renamed, 2021, charts=False).docx)
        ).paragraphs
    )
    assert "第二版模板" in text

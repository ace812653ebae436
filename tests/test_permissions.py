"""The permission matrix at the fazhi/ level: role × unit relation × action.

Actors are the 管理员, 录入员 and 查看者 of 燕山乡. Targets are their own unit (燕山乡), a child (示例一村),
the parent (万州区) and another township (青石镇). Every allowed pair must work (and have its effect);
every forbidden pair must raise PermissionDenied and leave no trace in the data or the audit log.
To cover a new write path, add one entry to ACTIONS.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest

from fazhi import (
    attachments,
    audit_viewer,
    auth,
    backup,
    dashboard,
    db,
    evidence,
    indicators,
    ledger,
    locks,
    narratives,
    records,
    sample,
    targets,
    transfer,
    units,
)
from fazhi.catalog import Catalog
from fazhi.errors import InvalidInput, PermissionDenied
from fazhi.ledger import RecordFilter
from fazhi.report import context as report
from fazhi.report import options
from fazhi.units import Unit, find_unit
from fazhi.validation import RecordInput
from tests import evidence_files
from tests.conftest import PASSWORD

pytestmark = pytest.mark.both_backends  # tests/backends.py: on DuckDB and on PostgreSQL

SYSTEM = auth.system_user("测试")
ROLES = ("admin", "editor", "viewer")
RELATIONS = {"own": "燕山乡", "child": "示例一村", "parent": "万州区", "other": "青石镇"}
_serial = itertools.count(1)


@dataclass
class World:
    db: db.Database
    catalog: Catalog
    actors: dict[str, auth.User]
    tmp: Path

    def record(self, unit: Unit, deleted: bool = False) -> int:
        """A fresh 2021 record of `unit`, made by the system (deleted when asked)."""
        item = RecordInput(
            "market_day", unit.id, f"记录{next(_serial)}", date(2021, 4, 1), values={"materials": 5}
        )
        saved = records.add_record(self.db, SYSTEM, self.catalog, item)
        if deleted:
            records.delete_record(self.db, SYSTEM, self.catalog, saved.id)
        return saved.id

    def account(self, unit: Unit) -> str:
        """A fresh viewer account in `unit`, made by the system."""
        name = f"acct{next(_serial)}"
        auth.create_user(self.db, SYSTEM, name, PASSWORD, "viewer", unit.id)
        return name


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, catalog: Catalog) -> Iterator[World]:
    tmp = tmp_path_factory.mktemp("matrix")
    database = db.connect(tmp / "matrix.duckdb")
    sample.load_demo(database, catalog)
    other = units.create_child_unit(database, SYSTEM, find_unit(database, "万州区").id, "青石镇")
    units.create_child_unit(database, SYSTEM, other.id, "青石一村")
    township = find_unit(database, "燕山乡")
    actors = {
        role: auth.create_user(database, SYSTEM, f"yanshan_{role}", PASSWORD, role, township.id)
        for role in ROLES
    }
    yield World(database, catalog, actors, tmp)
    database.close()


# ───────────── the actions: each sets up with the system account, acts as `user`, checks the effect ─────────────


def list_records(w: World, user: auth.User, target: Unit) -> None:
    w.record(target)
    frame = ledger.list_records(w.db, user, w.catalog, RecordFilter(unit_id=target.id))
    allowed = {u.name for u in units.subtree(w.db, target)}
    assert len(frame) > 0 and set(frame["unit_name"]) <= allowed


def get_record(w: World, user: auth.User, target: Unit) -> None:
    record_id = w.record(target)
    assert records.get_record(w.db, user, w.catalog, record_id).unit_id == target.id


def count_by_area(w: World, user: auth.User, target: Unit) -> None:
    w.record(target)
    assert int(ledger.count_by_area(w.db, user, w.catalog, target.id, 2021)["records"].sum()) > 0


def see_unit(w: World, user: auth.User, target: Unit) -> None:
    assert units.require_visible(w.db, user, target.id).id == target.id


def add_record(w: World, user: auth.User, target: Unit) -> None:
    item = RecordInput("market_day", target.id, "新增", date(2021, 5, 1), values={"materials": 1})
    saved = records.add_record(w.db, user, w.catalog, item)
    assert records.get_record(w.db, SYSTEM, w.catalog, saved.id).created_by == user.username


def update_record(w: World, user: auth.User, target: Unit) -> None:
    record_id = w.record(target)
    item = records.get_record(w.db, SYSTEM, w.catalog, record_id).as_input()
    item.title = "改过的标题"
    records.update_record(w.db, user, w.catalog, record_id, item, expected_version=1)
    assert records.get_record(w.db, SYSTEM, w.catalog, record_id).title == "改过的标题"


def delete_record(w: World, user: auth.User, target: Unit) -> None:
    record_id = w.record(target)
    records.delete_record(w.db, user, w.catalog, record_id)
    assert records.get_record(w.db, SYSTEM, w.catalog, record_id, include_deleted=True).is_deleted


def restore_record(w: World, user: auth.User, target: Unit) -> None:
    record_id = w.record(target, deleted=True)
    records.restore_record(w.db, user, w.catalog, record_id)
    assert not records.get_record(w.db, SYSTEM, w.catalog, record_id).is_deleted


def import_records(w: World, user: auth.User, target: Unit) -> None:
    items = [
        RecordInput("market_day", target.id, f"导入{n}", date(2021, 6, n), values={"materials": n})
        for n in (1, 2)
    ]
    ids = records.import_records(w.db, user, w.catalog, items)
    assert len(ids) == 2


def create_user(w: World, user: auth.User, target: Unit) -> None:
    name = f"new{next(_serial)}"
    assert auth.create_user(w.db, user, name, PASSWORD, "viewer", target.id).unit_id == target.id


def reset_password(w: World, user: auth.User, target: Unit) -> None:
    name = w.account(target)
    auth.set_password(w.db, user, name, "a-new-password-1")
    assert auth.authenticate(w.db, name, "a-new-password-1").username == name


def disable_user(w: World, user: auth.User, target: Unit) -> None:
    name = w.account(target)
    auth.set_active(w.db, user, name, False)
    assert all(u["username"] != name or not u["is_active"] for u in auth.list_users(w.db, SYSTEM))


def create_unit(w: World, user: auth.User, target: Unit) -> None:
    name = f"新单位{next(_serial)}"
    if (
        target.level == "village"
    ):  # nothing can sit below a village: the level rule answers, after the permission
        with pytest.raises(InvalidInput, match="其下不能再设单位"):
            units.create_child_unit(w.db, user, target.id, name)
        return
    assert units.create_child_unit(w.db, user, target.id, name).parent_id == target.id


def rename_unit(w: World, user: auth.User, target: Unit) -> None:
    units.rename_unit(w.db, user, target.id, target.name + "（改）")
    assert units.get_unit(w.db, target.id).name == target.name + "（改）"
    units.rename_unit(w.db, SYSTEM, target.id, target.name)


def reorder_units(w: World, user: auth.User, target: Unit) -> None:
    order = [u.id for u in units.children(w.db, target)][::-1]
    units.reorder_units(w.db, user, target.id, order)
    assert [u.id for u in units.children(w.db, target)] == order


def lock_and_unlock(w: World, user: auth.User, target: Unit) -> None:
    try:
        locks.lock_year(w.db, user, target, 2030)
        assert locks.is_locked_here(w.db, target, 2030)
        locks.unlock_year(w.db, user, target, 2030)
        assert not locks.is_locked_here(w.db, target, 2030)
    finally:
        locks.unlock_year(w.db, SYSTEM, target, 2030)


def list_locks(w: World, user: auth.User, target: Unit) -> None:
    assert isinstance(locks.list_locks(w.db, user, target), list)


def audit_query(w: World, user: auth.User, target: Unit) -> None:
    w.record(target)
    frame = audit_viewer.query(w.db, user, audit_viewer.AuditFilter(unit_id=target.id))
    assert len(frame) > 0 and set(frame["unit_name"]) <= {u.name for u in units.subtree(w.db, target)}


def back_up(w: World, user: auth.User, target: Unit) -> None:
    out = w.tmp / f"matrix-{next(_serial)}.zip"
    try:
        backup.create_backup(w.db, user, out)
    finally:
        assert not out.exists() or user.is_system


def save_narrative(w: World, user: auth.User, target: Unit) -> None:
    section = f"part{next(_serial)}"
    narratives.save_text(w.db, user, target, 2021, section, "本节文字", expected=None)
    assert narratives.saved_texts(w.db, SYSTEM, target, 2021)[section].body == "本节文字"


def reset_narrative(w: World, user: auth.User, target: Unit) -> None:
    section = f"part{next(_serial)}"
    narratives.save_text(w.db, SYSTEM, target, 2021, section, "旧文字", expected=None)
    assert narratives.reset_text(w.db, user, target, 2021, section)
    assert section not in narratives.saved_texts(w.db, SYSTEM, target, 2021)


def add_attachment(w: World, user: auth.User, target: Unit) -> None:
    record_id = w.record(target)
    added = attachments.add_files(
        w.db, user, w.catalog, record_id, [("照片.png", evidence_files.image("PNG"))]
    )
    assert len(added.added) == 1


def remove_attachment(w: World, user: auth.User, target: Unit) -> None:
    record_id = w.record(target)
    added = attachments.add_files(w.db, SYSTEM, w.catalog, record_id, [("签到表.pdf", evidence_files.pdf())])
    attachments.remove_file(w.db, user, w.catalog, added.added[0].id)
    assert attachments.list_files(w.db, SYSTEM, w.catalog, record_id) == []


def read_attachment(w: World, user: auth.User, target: Unit) -> None:
    record_id = w.record(target)
    data = evidence_files.image("JPEG", color=f"#{next(_serial) % 255:02x}0000")
    added = attachments.add_files(w.db, SYSTEM, w.catalog, record_id, [("现场.jpg", data)])
    assert attachments.read_file(w.db, user, w.catalog, added.added[0].id)[1] == data


def set_target(w: World, user: auth.User, target: Unit) -> None:
    targets.set_targets(w.db, user, w.catalog, target, 2021, {"satisfaction": 80 + next(_serial) % 20})
    assert targets.stored_targets(w.db, target, 2021)["satisfaction"] >= 80


def save_report_options(w: World, user: auth.User, target: Unit) -> None:
    options.save_options(w.db, user, target, recipient=f"区委、区政府{next(_serial)}：")
    assert options.load_options(w.db, SYSTEM, target).recipient.startswith("区委、区政府")


def indicator_figures(w: World, user: auth.User, target: Unit) -> None:
    assert len(indicators.indicator_table(w.db, user, w.catalog, target, 2020)) == len(w.catalog.indicators)


def dashboard_figures(w: World, user: auth.User, target: Unit) -> None:
    assert dashboard.dashboard_data(w.db, user, w.catalog, target, 2020).unit.id == target.id


def report_context(w: World, user: auth.User, target: Unit) -> None:
    assert report.build_context(w.db, user, w.catalog, target, 2020)["year"] == 2020


def export_records(w: World, user: auth.User, target: Unit) -> None:
    w.record(target)
    assert transfer.export_xlsx(w.db, user, w.catalog, RecordFilter(unit_id=target.id)).startswith(b"PK")


def evidence_package(w: World, user: auth.User, target: Unit) -> None:
    assert evidence.package_bytes(w.db, user, w.catalog, target.id, 2021)[1].startswith(b"PK")


# (function, what it needs): view = any role; edit = 管理员 or 录入员; admin = 管理员; each only for the
# user's own unit and the units below it. top = an administrator of the top unit (backups hold every unit).
ACTIONS: dict[str, tuple[Callable[[World, auth.User, Unit], None], str]] = {
    "list_records": (list_records, "view"),
    "get_record": (get_record, "view"),
    "count_by_area": (count_by_area, "view"),
    "see_unit": (see_unit, "view"),
    "add_record": (add_record, "edit"),
    "update_record": (update_record, "edit"),
    "delete_record": (delete_record, "edit"),
    "import_records": (import_records, "edit"),
    "restore_record": (restore_record, "admin"),
    "create_user": (create_user, "admin"),
    "reset_password": (reset_password, "admin"),
    "disable_user": (disable_user, "admin"),
    "create_unit": (create_unit, "admin"),
    "rename_unit": (rename_unit, "admin"),
    "reorder_units": (reorder_units, "admin"),
    "lock_and_unlock": (lock_and_unlock, "admin"),
    "list_locks": (list_locks, "admin"),
    "audit_query": (audit_query, "admin"),
    "backup": (back_up, "top"),
    "save_narrative": (save_narrative, "edit"),
    "reset_narrative": (reset_narrative, "edit"),
    "add_attachment": (add_attachment, "edit"),
    "remove_attachment": (remove_attachment, "edit"),
    "read_attachment": (read_attachment, "view"),
    "set_target": (set_target, "admin"),
    "save_report_options": (save_report_options, "admin"),
    "indicator_figures": (indicator_figures, "view"),
    "dashboard_figures": (dashboard_figures, "view"),
    "report_context": (report_context, "view"),
    "export_records": (export_records, "view"),
    "evidence_package": (evidence_package, "view"),
}

ALLOWED_ROLES = {"view": set(ROLES), "edit": {"admin", "editor"}, "admin": {"admin"}, "top": set()}


def allowed(role: str, relation: str, need: str) -> bool:
    """The rule under test, written once."""
    return relation in ("own", "child") and role in ALLOWED_ROLES[need]


@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize("relation", RELATIONS)
@pytest.mark.parametrize("role", ROLES)
def test_matrix(world: World, role: str, relation: str, action: str) -> None:
    function, need = ACTIONS[action]
    user, target = world.actors[role], find_unit(world.db, RELATIONS[relation])
    if allowed(role, relation, need):
        function(world, user, target)
        return
    last = world.db.one("SELECT coalesce(max(id), 0) FROM audit_log")[0]
    with pytest.raises(PermissionDenied):
        function(world, user, target)
    # every write is audited in its own transaction, so a refused one leaves no entry under the actor's name
    left = world.db.one("SELECT count(*) FROM audit_log WHERE username = ? AND id > ?", [user.username, last])
    assert left == (0,)


def test_the_matrix_covers_every_pair() -> None:
    cases = list(itertools.product(ROLES, RELATIONS, ACTIONS))
    permitted = [c for c in cases if allowed(c[0], c[1], ACTIONS[c[2]][1])]
    assert len(cases) == 3 * 4 * len(ACTIONS) == 3 * 4 * 31
    # what a township's 录入员 may do: see and edit own unit and child, nothing administrative
    assert sorted({a for r, rel, a in permitted if r == "editor"}) == sorted(
        a for a, (_, need) in ACTIONS.items() if need in ("view", "edit")
    )
    assert not [c for c in permitted if c[1] in ("parent", "other")]


def test_a_top_administrator_may_back_up(world: World) -> None:
    top = auth.create_user(
        world.db, SYSTEM, "wanzhou_admin", PASSWORD, "admin", find_unit(world.db, "万州区").id
    )
    manifest = backup.create_backup(world.db, top, world.tmp / "top.zip")
    assert manifest.tables["users"] >= 4


def test_a_village_editor_sees_only_the_village(world: World) -> None:
    village = find_unit(world.db, "示例一村")
    editor = auth.create_user(world.db, SYSTEM, "cun_editor", PASSWORD, "editor", village.id)
    world.record(village)
    assert [u.name for u in units.visible_units(world.db, editor)] == ["示例一村"]
    frame = ledger.list_records(world.db, editor, world.catalog, RecordFilter(year=2020))
    assert set(frame["unit_name"]) == {"示例一村"}
    for name in ("示例二村", "燕山乡", "青石镇"):
        other_id = world.record(find_unit(world.db, name))
        with pytest.raises(PermissionDenied):
            records.get_record(world.db, editor, world.catalog, other_id)
    assert ledger.years_with_records(world.db, editor) == [2021, 2020, 2019]

"""Who may do what in the county's year: actor × action over 燕山乡 (a township of 万州区).

Only the township's administrator submits; only an administrator of a unit above reviews and sets the
deadline; a 查看者 sees states and reports, nothing more; another township and a village see nothing of
燕山乡. Every refused pair raises PermissionDenied and leaves nothing in the audit log.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest

from fazhi import (
    auth,
    compare,
    db,
    deadlines,
    progress,
    publication,
    sample,
    submission_package,
    submissions,
    units,
)
from fazhi.catalog import Catalog
from fazhi.errors import PermissionDenied
from fazhi.units import Unit, find_unit
from tests.conftest import PASSWORD

SYSTEM = auth.system_user("测试")
ACTORS = {
    "county_admin": ("万州区", "admin"),
    "county_editor": ("万州区", "editor"),
    "county_viewer": ("万州区", "viewer"),
    "township_admin": ("燕山乡", "admin"),
    "township_editor": ("燕山乡", "editor"),
    "township_viewer": ("燕山乡", "viewer"),
    "other_admin": ("青石镇", "admin"),
    "village_admin": ("示例一村", "admin"),
}
_years = itertools.count(2030)


@dataclass
class World:
    db: db.Database
    catalog: Catalog
    actors: dict[str, auth.User]
    package: bytes

    def township(self) -> Unit:
        return find_unit(self.db, "燕山乡")

    def submitted(self) -> int:
        """A fresh (empty) year of 燕山乡, submitted by the system."""
        year = next(_years)
        submissions.submit(self.db, SYSTEM, self.catalog, self.township(), year, charts=False)
        return year


def _package(tmp: Path, catalog: Catalog) -> bytes:
    """A 报送包 of 燕山乡 2099 (an empty year) from an installation of its own."""
    source = db.connect(tmp / "source.duckdb")
    try:
        county = units.create_unit(source, SYSTEM, "万州区", "county", None)
        township = units.create_child_unit(source, SYSTEM, county.id, "燕山乡")
        submissions.submit(source, SYSTEM, catalog, township, 2099, charts=False)
        return submission_package.build(source, SYSTEM, catalog, township, 2099).data
    finally:
        source.close()


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, catalog: Catalog) -> Iterator[World]:
    tmp = tmp_path_factory.mktemp("county-matrix")
    database = db.connect(tmp / "matrix.duckdb")
    sample.load_demo(database, catalog)
    units.create_child_unit(database, SYSTEM, find_unit(database, "万州区").id, "青石镇")
    actors = {
        name: auth.create_user(database, SYSTEM, f"m_{name}", PASSWORD, role, find_unit(database, unit).id)
        for name, (unit, role) in ACTORS.items()
    }
    yield World(database, catalog, actors, _package(tmp, catalog))
    database.close()


def submit(w: World, user: auth.User) -> None:
    made = submissions.submit(w.db, user, w.catalog, w.township(), next(_years), charts=False)
    assert made.state == "submitted"


def approve(w: World, user: auth.User) -> None:
    year = w.submitted()
    submissions.review(w.db, user, w.township(), year, "approve")
    assert submissions.state_of(w.db, SYSTEM, w.township(), year) == "approved"


def return_(w: World, user: auth.User) -> None:
    year = w.submitted()
    submissions.review(w.db, user, w.township(), year, "return", "请修改")
    assert submissions.state_of(w.db, SYSTEM, w.township(), year) == "returned"


def see_state(w: World, user: auth.User) -> None:
    year = w.submitted()
    assert submissions.latest(w.db, user, w.township(), year).state_label == "已报送"
    assert len(submissions.history(w.db, user, w.township(), year)) == 1


def read_report(w: World, user: auth.User) -> None:
    year = w.submitted()
    made = submissions.latest(w.db, SYSTEM, w.township(), year)
    assert submissions.frozen_docx(w.db, user, made.id)[1].startswith(b"PK")
    assert submissions.frozen_indicators(w.db, user, made.id)


def set_deadline(w: World, user: auth.User) -> None:
    year = next(_years)
    assert deadlines.set_deadline(w.db, user, find_unit(w.db, "万州区"), year, date(year + 1, 1, 31))


def record_publication(w: World, user: auth.User) -> None:
    year = 2020 - next(_years) % 20  # a past year, so that its end is before today
    made = publication.record_publication(
        w.db, user, w.township(), year, date(year + 1, 1, 20), "https://www.wz.gov.cn/a"
    )
    assert made.recorded_by == user.username


def build_package(w: World, user: auth.User) -> None:
    year = w.submitted()
    assert submission_package.build(w.db, user, w.catalog, w.township(), year).data.startswith(b"PK")


def receive_package(w: World, user: auth.User) -> None:
    received = submission_package.receive(w.db, user, w.catalog, w.package)
    assert received.township.name == "燕山乡"


def county_progress(w: World, user: auth.User) -> None:
    rows = progress.progress(w.db, user, w.catalog, find_unit(w.db, "万州区"), 2020)
    assert [row.unit.name for row in rows] == ["燕山乡", "青石镇"]


def county_comparison(w: World, user: auth.User) -> None:
    found = compare.scores(w.db, user, w.catalog, find_unit(w.db, "万州区"), 2020)
    assert [item.unit.name for item in found] == ["燕山乡", "青石镇"]


COUNTY_ROLES = {"county_admin", "county_editor", "county_viewer"}
TOWNSHIP_ROLES = {"township_admin", "township_editor", "township_viewer"}
# (action, the actors allowed): everything else must be PermissionDenied.
ACTIONS: dict[str, tuple[Callable[[World, auth.User], None], set[str]]] = {
    "submit": (submit, {"township_admin"}),
    "approve": (approve, {"county_admin"}),
    "return": (return_, {"county_admin"}),
    "see_state": (see_state, COUNTY_ROLES | TOWNSHIP_ROLES),
    "read_report": (read_report, COUNTY_ROLES | TOWNSHIP_ROLES),
    "set_deadline": (set_deadline, {"county_admin"}),
    "record_publication": (record_publication, {"county_admin", "township_admin"}),
    "build_package": (build_package, {"county_admin", "township_admin"}),
    "receive_package": (receive_package, {"county_admin"}),
    "county_progress": (county_progress, COUNTY_ROLES),
    "county_comparison": (county_comparison, COUNTY_ROLES),
}


@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize("actor", ACTORS)
def test_matrix(world: World, actor: str, action: str) -> None:
    function, allowed = ACTIONS[action]
    user = world.actors[actor]
    if actor in allowed:
        function(world, user)
        return
    last = world.db.one("SELECT coalesce(max(id), 0) FROM audit_log")[0]
    with pytest.raises(PermissionDenied):
        function(world, user)
    left = world.db.one("SELECT count(*) FROM audit_log WHERE username = ? AND id > ?", [user.username, last])
    assert left == (0,)


def test_the_command_line_may_do_everything(world: World) -> None:
    township = world.township()
    year = next(_years)
    submissions.submit(world.db, SYSTEM, world.catalog, township, year, charts=False)
    assert submissions.may_submit(SYSTEM, township) and submissions.may_review(SYSTEM, township)
    submissions.review(world.db, SYSTEM, township, year, "approve")
    assert submissions.latest(world.db, SYSTEM, township, year).state == "approved"


def test_who_may_review_in_words(world: World) -> None:
    township = world.township()
    allowed = {name for name, user in world.actors.items() if submissions.may_review(user, township)}
    assert allowed == {"county_admin"}
    assert {name for name, user in world.actors.items() if submissions.may_submit(user, township)} == {
        "township_admin"
    }

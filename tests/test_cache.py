"""fazhi.db's figures version and fazhi/ui/cache.py: what moves the shared caches and what does not."""

from __future__ import annotations

import threading
import time
from datetime import date

import pytest

from fazhi import attachments, auth, db, ledger, records, units
from fazhi.catalog import Catalog
from fazhi.ui import cache
from fazhi.units import find_unit
from fazhi.validation import RecordInput
from tests import evidence_files
from tests.conftest import PASSWORD, make_user


def _save(database: db.Database, user: auth.User, catalog: Catalog, day: date) -> int:
    township = find_unit(database, "燕山乡")
    item = RecordInput("market_day", township.id, "赶场日宣传", day, values={"materials": 100})
    return records.add_record(database, user, catalog, item).id


def test_a_login_moves_the_data_version_but_not_the_figures_version(demo: db.Database) -> None:
    user = make_user(demo, "燕山乡", "editor")
    version, figures = demo.version, demo.figures_version
    auth.authenticate(demo, user.username, PASSWORD, address="10.0.0.8")
    # two transactions: the attempt counted before the password check, then the login recorded
    assert (demo.version, demo.figures_version) == (version + 2, figures)
    with pytest.raises(auth.AuthError):
        auth.authenticate(demo, user.username, "wrong-password-1", address="10.0.0.8")
    assert demo.figures_version == figures  # a failed attempt (counted, audited) changes no figure either
    assert demo.version == version + 4


def test_a_record_save_moves_both_versions(demo: db.Database, catalog: Catalog) -> None:
    user = make_user(demo, "燕山乡", "editor")
    version, figures = demo.version, demo.figures_version
    _save(demo, user, catalog, date(2020, 5, 1))
    assert (demo.version, demo.figures_version) == (version + 1, figures + 1)


def test_accounts_and_evidence_keep_the_figures_version(demo: db.Database, catalog: Catalog) -> None:
    admin = make_user(demo, "万州区", "admin")
    record_id = _save(demo, admin, catalog, date(2020, 5, 1))
    figures = demo.figures_version
    auth.create_user(demo, admin, "ys_viewer2", PASSWORD, "viewer", find_unit(demo, "燕山乡").id)
    auth.set_active(demo, admin, "ys_viewer2", False)
    attachments.add_files(demo, admin, catalog, record_id, [("签到表.pdf", evidence_files.pdf())])
    assert demo.figures_version == figures


def test_a_failed_write_moves_no_version(demo: db.Database) -> None:
    version, figures = demo.version, demo.figures_version
    with pytest.raises(RuntimeError), demo.transaction() as cur:
        cur.execute("DELETE FROM targets")
        raise RuntimeError("rolled back")
    assert (demo.version, demo.figures_version) == (version, figures)


def test_the_year_list_is_cached_until_a_save_in_a_new_year(
    demo: db.Database, catalog: Catalog, monkeypatch: pytest.MonkeyPatch
) -> None:
    user = make_user(demo, "燕山乡", "editor")
    calls = []
    real = ledger.years_with_records
    monkeypatch.setattr(ledger, "years_with_records", lambda d, u: calls.append(1) or real(d, u))
    assert cache.years_with_records(demo, user) == [2020, 2019]
    assert cache.years_with_records(demo, user) == [2020, 2019]
    auth.authenticate(demo, user.username, PASSWORD)  # a colleague's login: still cached
    assert cache.years_with_records(demo, user) == [2020, 2019]
    assert len(calls) == 1
    _save(demo, user, catalog, date(2023, 4, 2))
    assert cache.years_with_records(demo, user) == [2023, 2020, 2019]
    assert len(calls) == 2


def test_units_and_the_lock_banner_follow_the_figures_version(demo: db.Database, system: auth.User) -> None:
    user = make_user(demo, "燕山乡", "admin")
    township = find_unit(demo, "燕山乡")
    assert [u.name for u in cache.visible_units(demo, user)] == [
        "燕山乡",
        "示例一村",
        "示例二村",
        "示例三村",
        "示例社区",
    ]
    units.create_child_unit(demo, user, township.id, "示例四村")
    assert [u.name for u in cache.visible_units(demo, user)][-1] == "示例四村"
    assert cache.lock_state(demo, township, 2020) is None


def test_the_ledger_listing_is_shared_and_refreshed_by_a_save(demo: db.Database, catalog: Catalog) -> None:
    user = make_user(demo, "燕山乡", "editor")
    filters = ledger.RecordFilter(year=2020, unit_id=find_unit(demo, "燕山乡").id, type_codes=["market_day"])
    first = cache.list_records(demo, user, catalog, filters)
    assert cache.list_records(demo, user, catalog, filters) is first  # one object for every session
    assert len(first) == 3
    _save(demo, user, catalog, date(2020, 6, 1))
    assert len(cache.list_records(demo, user, catalog, filters)) == 4
    view = cache.ledger_view(demo, catalog, cache.list_records(demo, user, catalog, filters))
    assert view["佐证材料"].tolist() == [0, 0, 0, 0]
    assert cache.ledger_view(demo, catalog, cache.list_records(demo, user, catalog, filters)) is view
    other = ledger.RecordFilter(year=2020, unit_id=filters.unit_id, type_codes=["market_day"], keyword="禁毒")
    assert len(cache.list_records(demo, user, catalog, other)) == 1


def test_dashboard_figures_are_built_once_per_figures_version(demo: db.Database, catalog: Catalog) -> None:
    user = make_user(demo, "燕山乡", "viewer")
    township = find_unit(demo, "燕山乡")
    data = cache.dashboard_data(demo, user, catalog, township, 2020, today=date(2021, 3, 1))
    assert cache.dashboard_data(demo, user, catalog, township, 2020, today=date(2021, 3, 1)) is data
    figure = cache.figure("monthly_activity", data, catalog)
    assert cache.figure("monthly_activity", data, catalog) is figure
    assert cache.figure("monthly_activity", data, catalog, font_size=22) is not figure
    assert cache.shortfall_lines(data) == cache.shortfall_lines(data)
    editor = make_user(demo, "燕山乡", "editor")
    auth.authenticate(demo, editor.username, PASSWORD)
    assert cache.dashboard_data(demo, user, catalog, township, 2020, today=date(2021, 3, 1)) is data
    _save(demo, editor, catalog, date(2020, 6, 1))
    fresh = cache.dashboard_data(demo, user, catalog, township, 2020, today=date(2021, 3, 1))
    assert fresh is not data
    assert cache.figure("monthly_activity", fresh, catalog) is not figure


def test_password_checks_run_at_most_two_at_a_time(
    demo: db.Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    user = make_user(demo, "燕山乡", "editor")
    running, most = 0, 0
    lock = threading.Lock()
    real = auth._verify

    def slow_verify(password_hash: str, password: str) -> bool:
        nonlocal running, most
        with lock:
            running += 1
            most = max(most, running)
        time.sleep(0.05)
        with lock:
            running -= 1
        return real(password_hash, password)

    monkeypatch.setattr(auth, "_verify", slow_verify)
    threads = [
        threading.Thread(
            target=auth.authenticate, args=(demo, user.username, PASSWORD), kwargs={"address": f"10.0.0.{n}"}
        )
        for n in range(10)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert most == 2


def test_a_save_moves_its_own_scopes_only(demo: db.Database, catalog: Catalog, system: auth.User) -> None:
    county = find_unit(demo, "万州区")
    with demo.transaction() as cur:
        other = units.insert_unit(cur, "另一乡", "township", county)
    township, village = find_unit(demo, "燕山乡"), find_unit(demo, "示例一村")
    before = {u.name: demo.scope_version(u.path) for u in (county, township, village, other)}
    own = {u.name: demo.year_version(u.path, 2020, own=True) for u in (county, township, village, other)}
    user = make_user(demo, "燕山乡", "editor")
    item = RecordInput("market_day", village.id, "村宣传", date(2020, 5, 1), values={"materials": 100})
    saved = records.add_record(demo, user, catalog, item)
    after = {u.name: demo.scope_version(u.path) for u in (county, township, village, other)}
    assert after["另一乡"] == before["另一乡"]  # another 乡镇 keeps its cached figures
    for name in ("万州区", "燕山乡", "示例一村"):
        assert after[name] == (before[name][0], before[name][1] + 1)
    # the unit's own records of that year: only the 村's moved (its 乡镇's and 区县's own measures stay,
    # fazhi/measures.py), and no other year's
    assert {
        u.name: demo.year_version(u.path, 2020, own=True) for u in (county, township, village, other)
    } == {
        **own,
        "示例一村": (*own["示例一村"][:2], own["示例一村"][2] + 1),
    }
    assert demo.year_version(village.path, 2021, own=True) == demo.year_version(village.path, 2019, own=True)
    assert demo.year_version(township.path, 2020)[2] == demo.year_version(township.path, 2021)[2] + 1
    records.delete_record(demo, user, catalog, saved.id)
    assert demo.scope_version(township.path)[1] == before["燕山乡"][1] + 2
    assert demo.scope_version(other.path) == before["另一乡"]
    with demo.transaction() as cur:  # a write that names no unit (targets, settings …) moves every scope
        cur.execute("DELETE FROM targets")
    assert demo.scope_version(other.path) == (before["另一乡"][0] + 1, before["另一乡"][1])
    assert demo.year_version(township.path, 2020, own=True) == (own["燕山乡"][0] + 1, *own["燕山乡"][1:])

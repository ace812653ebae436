"""Shared fixtures: a fresh database, the demo database, and users of each role."""

from __future__ import annotations

import functools
import itertools
import shutil
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from streamlit.components.v2 import manifest_scanner

from fazhi import auth, db, sample, sessions
from fazhi.catalog import Catalog, load_catalog
from fazhi.settings import PROJECT_DIR
from fazhi.units import find_unit
from tests import source_tree

_TREE_BEFORE = pytest.StashKey[frozenset[str] | None]()


def pytest_sessionstart(session: pytest.Session) -> None:
    """The checkout as git sees it before any test runs (in the main process, not in an xdist worker)."""
    if not hasattr(session.config, "workerinput"):
        session.config.stash[_TREE_BEFORE] = source_tree.picture(PROJECT_DIR)


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Fail the run when a test wrote into the source tree (tests/source_tree.py), naming what it wrote."""
    if hasattr(session.config, "workerinput") or _TREE_BEFORE not in session.config.stash:
        return
    found = source_tree.written(session.config.stash[_TREE_BEFORE], source_tree.picture(PROJECT_DIR))
    if found:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        message = "Files appeared in the source tree during the tests (git status): " + ", ".join(found)
        if reporter is not None:
            reporter.write_line(message, red=True, bold=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Browser tests are `slow` too: `-m "not slow"` is the quick local run (under 3 minutes), CI runs all."""
    for item in items:
        if item.get_closest_marker("browser") is not None:
            item.add_marker(pytest.mark.slow)


PASSWORD = "correct-horse-42"
_names = itertools.count(1)


PRODUCTION_HASHER = auth._hasher
PRODUCTION_DUMMY_HASH = auth._DUMMY_HASH


@pytest.fixture(autouse=True, scope="session")
def quick_password_hashes() -> Iterator[None]:
    """Cheaper argon2id parameters inside the test process (the app and the CLI subprocesses use the real ones;
    tests/test_auth.py checks those): hashing dominated the suite's time. The hash an unknown username is
    checked against gets the same cheap parameters (with the real ones each such login cost 0.15 s)."""
    auth._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    auth._DUMMY_HASH = auth._hasher.hash("not-a-real-password")
    yield
    auth._hasher = PRODUCTION_HASHER
    auth._DUMMY_HASH = PRODUCTION_DUMMY_HASH


@pytest.fixture(autouse=True, scope="session")
def components_scanned_once() -> Iterator[None]:
    """Each new AppTest scans the metadata of every installed distribution for Streamlit components
    (0.1 s of CPU, several hundred times a run: a third of the AppTest tests' time). The installed packages
    do not change during a run, so the first scan's answer is kept (a running app scans once at start)."""
    scan = manifest_scanner.scan_component_manifests
    manifest_scanner.scan_component_manifests = functools.cache(scan)
    yield
    manifest_scanner.scan_component_manifests = scan


@pytest.fixture(autouse=True)
def no_automatic_backup(monkeypatch: pytest.MonkeyPatch) -> None:
    """The app's daily background backup would only race the tests; tests/test_pages_backup.py turns it on."""
    monkeypatch.setenv("FAZHI_AUTO_BACKUP", "0")


@pytest.fixture(scope="session")
def catalog() -> Catalog:
    return load_catalog()


@pytest.fixture
def db_file(tmp_path: Path) -> Path:
    return tmp_path / "fazhi.duckdb"


@pytest.fixture(scope="session")
def templates(tmp_path_factory: pytest.TempPathFactory, catalog: Catalog) -> dict[str, Path]:
    """Two database files made once per run: just migrated, and with the demo loaded. A test's database
    starts as a copy (40 ms) instead of migrating and loading the demo again (260 ms, ~1000 times)."""
    folder = tmp_path_factory.mktemp("templates")
    empty = db.connect(folder / "empty.duckdb")
    empty.close()
    shutil.copy(folder / "empty.duckdb", folder / "demo.duckdb")
    demo = db.connect(folder / "demo.duckdb")
    sample.load_demo(demo, catalog)
    demo.close()
    return {"empty": folder / "empty.duckdb", "demo": folder / "demo.duckdb"}


# ───── Both backends (issue 16): `backend` is "duckdb" unless a both_backends module's test runs on
# PostgreSQL too; the PostgreSQL fixtures and the parametrizing hook live in tests/backends.py. ─────
pytest_plugins = ["tests.backends"]


@pytest.fixture(scope="session")
def user_template(
    tmp_path_factory: pytest.TempPathFactory, templates: dict[str, Path]
) -> tuple[Path, dict[str, auth.User]]:
    """The demo with the accounts of `users`, made once per run (creating six accounts per test cost
    60 ms, ~300 times), and those accounts."""
    path = tmp_path_factory.mktemp("template-users") / "users.duckdb"
    shutil.copy(templates["demo"], path)
    database = db.connect(path)
    made = make_users(database)
    database.close()
    return path, made


_COPIED_USERS = pytest.StashKey[dict[str, auth.User]]()


@pytest.fixture
def database(
    request: pytest.FixtureRequest, db_file: Path, templates: dict[str, Path], backend: str
) -> Iterator[db.Database]:
    """A migrated database in this test's folder; already holding the demo when the test also asks for
    `demo` (the same object then), and the accounts of `users` when it asks for those. On PostgreSQL
    (`backend`), a database of its own, dropped afterwards (`users` then makes its accounts there)."""
    if backend == "postgres":
        yield request.getfixturevalue("postgres_database")
        return
    source = templates["demo" if "demo" in request.fixturenames else "empty"]
    if "users" in request.fixturenames:
        source, made = request.getfixturevalue("user_template")
        request.node.stash[_COPIED_USERS] = made
    shutil.copy(source, db_file)
    database = db.connect(db_file)
    yield database
    database.close()


@pytest.fixture
def demo(database: db.Database) -> db.Database:
    """A database holding the 燕山乡 demo (万州区 → 燕山乡 → 4 村/社区, 2019 and 2020)."""
    return database


@pytest.fixture
def system() -> auth.User:
    return auth.system_user("测试")


def make_user(database: db.Database, unit_name: str, role: str) -> auth.User:
    """An account of `role` for the named unit, with the shared test password."""
    unit = find_unit(database, unit_name)
    return auth.create_user(
        database,
        auth.system_user("测试"),
        f"user{next(_names)}",
        PASSWORD,
        role,
        unit.id,
        f"{unit_name}{role}",
    )


USERS = {
    "county_admin": ("万州区", "admin"),
    "admin": ("燕山乡", "admin"),
    "editor": ("燕山乡", "editor"),
    "viewer": ("燕山乡", "viewer"),
    "village_editor": ("示例一村", "editor"),
    "other_village_editor": ("示例二村", "editor"),
}


def make_users(database: db.Database) -> dict[str, auth.User]:
    """The accounts of USERS in a database holding the demo."""
    return {key: make_user(database, unit, role) for key, (unit, role) in USERS.items()}


@pytest.fixture
def users(request: pytest.FixtureRequest, demo: db.Database) -> dict[str, auth.User]:
    """Users of the demo: county admin, township admin/editor/viewer, village editor (already in the
    database when it was copied from `user_template`, else created now)."""
    copied = request.node.stash.get(_COPIED_USERS, None)
    return dict(copied) if copied is not None else make_users(demo)


def log_in_app(at, user: auth.User, *, idle_minutes: float = 0, generation: int | None = None):
    """Put `user` in an AppTest's session state as a login does: a server-side session (last active
    `idle_minutes` ago) remembered by the tab, in the database the app opens ($FAZHI_DB)."""
    from fazhi.settings import db_path
    from fazhi.ui import session

    database = db.shared(db_path())
    started = datetime.now() - timedelta(minutes=idle_minutes)
    session_id, _ = sessions.start(database, user, now=started)
    at.session_state[session.USER_KEY] = user.id
    at.session_state[session.SESSION_KEY] = session_id
    if generation is not None:
        at.session_state[session.GENERATION_KEY] = generation
    return at

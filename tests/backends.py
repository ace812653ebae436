"""Both database backends (issue 16): a test module marked `both_backends` runs each test that takes the
`database` fixture (or `demo`, `users`) once on the DuckDB file and once on PostgreSQL.

PostgreSQL comes from $FAZHI_TEST_POSTGRES (a URL to any database of a server where this account may
create databases, e.g. postgresql:///postgres?host=/var/run/postgresql, as .ci/run sets it). Without it
the PostgreSQL variants skip, with the reason; with CI=true they fail instead. Each test gets a database of
its own, named uniquely (parallel workers never meet), copied from a migrated or a demo-loaded template made
once per session (CREATE DATABASE … TEMPLATE), and dropped afterwards.

Loaded by tests/conftest.py as a plugin (pytest_plugins), so its fixtures and hooks apply everywhere.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from fazhi import db, sample
from fazhi.catalog import Catalog
from fazhi.postgres import database_name, with_database

BACKENDS = ["duckdb", "postgres"]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "both_backends: tests taking the `database` fixture run on DuckDB and on PostgreSQL"
    )
    config.addinivalue_line("markers", "duckdb_only: a test of a both_backends module that is about the file")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Parametrize `backend` for the tests of `both_backends` modules that use a database."""
    if "backend" not in metafunc.fixturenames or "database" not in metafunc.fixturenames:
        return
    if metafunc.definition.get_closest_marker("both_backends") is None:
        return
    if metafunc.definition.get_closest_marker("duckdb_only") is not None:
        return
    if any("backend" in str(m.args[0]) for m in metafunc.definition.iter_markers("parametrize")):
        return  # the test names its backend itself
    metafunc.parametrize("backend", BACKENDS, indirect=True)


@pytest.fixture
def backend(request: pytest.FixtureRequest) -> str:
    """The backend this test's `database` lives on: duckdb unless the test is parametrized over both."""
    return getattr(request, "param", "duckdb")


def server_url() -> str:
    """$FAZHI_TEST_POSTGRES, or a skip (a failure under CI=true) saying why there is no PostgreSQL."""
    url = os.environ.get("FAZHI_TEST_POSTGRES", "").strip()
    if url:
        return url
    reason = "PostgreSQL variant: set FAZHI_TEST_POSTGRES=postgresql:///postgres?host=/var/run/postgresql"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"CI must run the PostgreSQL tests: {reason}")
    pytest.skip(reason)


class Server:
    """The test PostgreSQL server: makes and drops uniquely named databases."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.prefix = f"fazhi_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
        self._count = 0
        self._admin = psycopg.connect(url, autocommit=True)

    def name(self) -> str:
        self._count += 1
        return f"{self.prefix}_{self._count}"

    def create(self, template: str | None = None) -> str:
        """A new database (a copy of `template` if given); its URL."""
        name = self.name()
        like = f" TEMPLATE {template}" if template else ""
        self._admin.execute(f"CREATE DATABASE {name}{like}".encode())
        return with_database(self.url, name)

    def drop(self, url: str) -> None:
        name = database_name(url)
        self._admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)".encode())

    def close(self) -> None:
        self._admin.close()


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[Server]:
    server = Server(server_url())
    yield server
    server.close()


@pytest.fixture(scope="session")
def postgres_templates(
    postgres_server: Server, catalog: Catalog, tmp_path_factory
) -> Iterator[dict[str, str]]:
    """Two databases made once per session, as tests/conftest.py's `templates`: migrated, and with the demo."""
    files = tmp_path_factory.mktemp("postgres-templates") / "fazhi.duckdb"
    empty = postgres_server.create()
    db.connect(empty, files=files).close()
    demo = postgres_server.create(template=database_name(empty))
    database = db.connect(demo, files=files)
    sample.load_demo(database, catalog)
    database.close()
    yield {"empty": database_name(empty), "demo": database_name(demo)}
    postgres_server.drop(empty)
    postgres_server.drop(demo)


@pytest.fixture
def postgres_database(request: pytest.FixtureRequest, db_file: Path) -> Iterator[db.Database]:
    """A fresh PostgreSQL database copied from a template (the demo one when the test asks for `demo`),
    keeping its files beside `db_file`; dropped afterwards. tests/conftest.py's `database` hands it out."""
    server: Server = request.getfixturevalue("postgres_server")
    templates: dict[str, str] = request.getfixturevalue("postgres_templates")
    url = server.create(template=templates["demo" if "demo" in request.fixturenames else "empty"])
    database = db.connect(url, files=db_file)
    try:
        yield database
    finally:
        database.close()
        server.drop(url)


@pytest.fixture
def postgres_url(postgres_server: Server) -> Iterator[str]:
    """The URL of a new, empty PostgreSQL database (not migrated), dropped afterwards."""
    url = postgres_server.create()
    yield url
    postgres_server.drop(url)

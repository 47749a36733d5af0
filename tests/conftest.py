"""The test database (SQLite or PostgreSQL, by BINATIONAL_TEST_DATABASE) and the cast of docs/testing.md.

A template database is migrated and seeded once per session; every test gets a fresh copy.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from binational import clitools
from binational.access import service as access
from binational.app import create_app
from binational.audit import log
from binational.config import Settings, get_settings
from binational.db import Database, act_as_system
from binational.schema import upgrade

BACKEND = os.environ.get("BINATIONAL_TEST_DATABASE", "sqlite")
#: The fault suite runs for many minutes: only `make faults` (BINATIONAL_FAULTS=1) collects it.
collect_ignore = [] if os.environ.get("BINATIONAL_FAULTS") else ["faults"]
PG_ADMIN_URL = os.environ.get("BINATIONAL_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")

AGENCIES = [
    ("US-CBP", "US", "U.S. Customs and Border Protection"),
    ("US-ATF", "US", "Bureau of Alcohol, Tobacco, Firearms and Explosives"),
    ("US-ICE", "US", "U.S. Immigration and Customs Enforcement"),
    ("MX-FGR", "MX", "Fiscalía General de la República"),
    ("MX-INM", "MX", "Instituto Nacional de Migración"),
    ("GT-PNC", "GT", "Policía Nacional Civil de Guatemala"),
]


@dataclass(frozen=True)
class Member:
    """One of the cast: username, agency, roles, clearance and an API token."""

    username: str
    agency: str
    roles: tuple[str, ...]
    clearance: str
    token: str = ""

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


CAST = [
    Member("us_analyst", "US-CBP", ("analyst",), "TLP:AMBER"),
    Member("us_supervisor", "US-CBP", ("supervisor",), "TLP:RED"),
    Member("us_atf", "US-ATF", ("analyst",), "TLP:AMBER"),
    Member("mx_analyst", "MX-FGR", ("analyst",), "TLP:AMBER"),
    Member("mx_inm", "MX-INM", ("analyst",), "TLP:AMBER"),
    Member("outsider", "GT-PNC", ("analyst",), "TLP:RED"),
    Member("us_auditor", "US-CBP", ("auditor",), "TLP:AMBER"),
    Member("mx_auditor", "MX-FGR", ("auditor",), "TLP:AMBER"),
    Member("admin", "US-CBP", ("admin",), "TLP:AMBER"),
]
PASSWORD = "correct horse battery"


def _pg_url(name: str) -> str:
    return PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"


def _pg_admin(sql: str) -> None:
    engine = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(sql))
    engine.dispose()


#: each test's PostgreSQL copy of the template is made one test ahead, and dropped once the test is done,
#: on threads of their own: the tests do not wait for the server's copying and removing (drops at once
#: share the checkpoint the server may take for each)
_maker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="test-database-copies")
_dropper = ThreadPoolExecutor(max_workers=3, thread_name_prefix="test-database-drops")
_drops: list[Future[None]] = []
_ahead: Future[str] | None = None


def _make_copy(template: str) -> str:
    copy = f"binational_t_{uuid.uuid4().hex[:12]}"
    _pg_admin(f'CREATE DATABASE "{copy}" TEMPLATE "{template}" STRATEGY WAL_LOG')
    return copy


def fresh_copy(template: str) -> str:
    """A new PostgreSQL copy of `template` (made while the previous test ran); the next is begun."""
    global _ahead
    ready = _ahead or _maker.submit(_make_copy, template)
    _ahead = _maker.submit(_make_copy, template)
    return ready.result()


def drop_later(name: str) -> None:
    """Drop a test's PostgreSQL database in the background (the next test need not wait for it)."""
    _drops.append(_dropper.submit(_pg_admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def _drop_the_copies() -> None:
    if _ahead is not None:
        drop_later(_ahead.result())
    _maker.shutdown(wait=True)
    _dropper.shutdown(wait=True)
    for drop in _drops:
        drop.result()  # a copy left behind fails the run


def _settings(url: str, key: Path) -> Settings:
    # The suite shares a busy machine: its requests get room (tests/attacks/test_load.py tests the bounds).
    return Settings(database_url=url, audit_key_path=key, environment="test", secret_key="test-secret-of-the-suite",
                    checkpoint_every=50, request_budget_ms=60_000, statement_timeout_ms=60_000,
                    user_requests_per_minute=100_000)


def _env(monkeypatch: pytest.MonkeyPatch, settings: Settings) -> None:
    monkeypatch.setenv("BINATIONAL_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("BINATIONAL_AUDIT_KEY_PATH", str(settings.audit_key_path))
    monkeypatch.setenv("BINATIONAL_ENVIRONMENT", "test")
    monkeypatch.setenv("BINATIONAL_SECRET_KEY", settings.secret_key)
    monkeypatch.setenv("BINATIONAL_CHECKPOINT_EVERY", str(settings.checkpoint_every))
    get_settings.cache_clear()
    clitools.reset_database()


def _seed(db: Database) -> dict[str, Member]:
    cast = {}
    with db.unit_of_work() as s:
        act_as_system(s)  # as the node operator's commands do
        for code, country, name in AGENCIES:
            access.add_agency(session=s, code=code, country=country, name=name)
        for m in CAST:
            password = PASSWORD if m.username in ("us_analyst", "mx_analyst") else None
            user = access.add_user(session=s, username=m.username, agency=m.agency, roles=list(m.roles),
                                   clearance=m.clearance, password=password)
            _row, secret = access.create_token(session=s, user=user, days=30)
            cast[m.username] = Member(m.username, m.agency, m.roles, m.clearance, secret)
    return cast


@contextmanager
def _one_migration_at_a_time() -> Iterator[None]:
    """Hold the machine-wide lock of PostgreSQL migrations: the application role they create and alter
    is the server's, shared by every database on it, and two migrations altering it at once (the
    workers of `pytest -n 2`, or two suites) fail with "tuple concurrently updated"."""
    with (Path(tempfile.gettempdir()) / "binational-test-pg-migrations.lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


@pytest.fixture(scope="session")
def template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path, dict[str, Member]]]:
    """A migrated, seeded database to copy from, and the cast's tokens."""
    folder = tmp_path_factory.mktemp("template")
    key = folder / "audit.key"
    if BACKEND == "postgresql":
        name = f"binational_tpl_{uuid.uuid4().hex[:10]}"
        _pg_admin(f'CREATE DATABASE "{name}"')
        url = _pg_url(name)
    else:
        name = str(folder / "template.db")
        url = f"sqlite:///{name}"
    settings = _settings(url, key)
    db = Database(settings)
    if BACKEND == "postgresql":
        with _one_migration_at_a_time():
            upgrade(db.engine, settings)
    else:
        upgrade(db.engine, settings)
    cast = _seed(db)
    db.dispose()
    yield name, key, cast
    if BACKEND == "postgresql":
        _drop_the_copies()
        _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def settings(template: tuple[str, Path, dict[str, Member]], tmp_path: Path,
             monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    """Settings of a fresh copy of the template database, also exported to the environment."""
    name, key, _cast = template
    if BACKEND == "postgresql":
        copy = fresh_copy(name)
        url = _pg_url(copy)
    else:
        path = tmp_path / "test.db"
        shutil.copy(name, path)
        url = f"sqlite:///{path}"
    settings = _settings(url, key)
    _env(monkeypatch, settings)
    yield settings
    clitools.reset_database()
    if BACKEND == "postgresql":
        drop_later(copy)


@pytest.fixture
def db(settings: Settings) -> Iterator[Database]:
    """The test's database."""
    database = Database(settings)
    yield database
    database.dispose()


@pytest.fixture
def cast(template: tuple[str, Path, dict[str, Member]]) -> dict[str, Member]:
    """The cast by username, with their tokens."""
    return template[2]


def sequence_audit(db: Database) -> None:
    """Move the entries a serving node queued into the audit log, as its sequencer would (PostgreSQL)."""
    with db.unit_of_work() as s:
        log.drain(s)


@pytest.fixture
def client(settings: Settings, db: Database) -> Iterator[TestClient]:
    """An HTTP client of the app on the test database."""
    with TestClient(create_app(settings, db)) as c:
        yield c


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "postgresql: the test reaches PostgreSQL without the template fixture")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """On the PostgreSQL run, keep only the tests that reach a database (through `template`, or marked
    `postgresql`) and drive no browser: the others do not depend on the suite's database and already
    ran on the SQLite run. A browser test's requests are the pages' own, which each module's page tests
    send on both databases; what the browser adds (scripts, layout, axe-core) is the same on either."""
    if BACKEND != "postgresql":
        return
    kept, left = [], []
    for item in items:
        names = getattr(item, "fixturenames", ())
        reaches = "template" in names or item.get_closest_marker("postgresql")
        (kept if reaches and "browser" not in names else left).append(item)
    if left:
        config.hook.pytest_deselected(items=left)
        items[:] = kept


def pytest_report_header() -> str:
    return f"binational test database: {BACKEND}"

"""Every migration undoes what it does: from the latest schema down to an empty database and up again,
on the suite's database (SQLite or PostgreSQL), leaves the same tables, columns and indexes."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, inspect

from binational.schema import MIGRATIONS, upgrade
from tests.conftest import BACKEND, _one_migration_at_a_time, _pg_admin, _pg_url, _settings


def _shape(engine: Engine) -> dict[str, tuple[list[str], list[str]]]:
    """Each table's columns and index names."""
    found = inspect(engine)
    return {table: (sorted(c["name"] for c in found.get_columns(table)),
                    sorted(str(i["name"]) for i in found.get_indexes(table)))
            for table in found.get_table_names() if table != "alembic_version"}


def _downgrade_to_base(engine: Engine, app_role: str) -> None:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["app_role"] = app_role
    with engine.begin() as connection:
        cfg.attributes["connection"] = connection
        command.downgrade(cfg, "base")


#: its own empty database on the suite's server, not a copy of the template
pytestmark = pytest.mark.postgresql


@pytest.fixture
def empty_database(tmp_path: Path):
    if BACKEND == "postgresql":
        name = f"binational_mig_{uuid.uuid4().hex[:10]}"
        _pg_admin(f'CREATE DATABASE "{name}"')
        yield _pg_url(name)
        _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    else:
        yield f"sqlite:///{tmp_path / 'migrations.db'}"


def test_every_migration_goes_down_and_up_again(empty_database: str, tmp_path: Path) -> None:
    settings = _settings(empty_database, tmp_path / "audit.key")
    engine = create_engine(empty_database)
    with _one_migration_at_a_time():
        upgrade(engine, settings)
        latest = _shape(engine)
        _downgrade_to_base(engine, settings.db_app_role)
        assert _shape(engine) == {}
        upgrade(engine, settings)
    assert _shape(engine) == latest
    assert "audit_entries" in latest
    engine.dispose()

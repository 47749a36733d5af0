"""Creating and upgrading the database: Alembic migrations, then the audit signing key."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine

from binational.audit.signing import create_key
from binational.config import Settings

MIGRATIONS = Path(__file__).parent / "migrations"


def upgrade(engine: Engine, settings: Settings, revision: str = "heads") -> None:
    """Apply migrations (every module's head) and make sure the audit signing key exists.

    Each module's migrations branch from the core revision 0002, so modules never conflict.
    """
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["app_role"] = settings.db_app_role
    with engine.begin() as connection:
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, revision)
    create_key(settings.audit_key_path)


def revision(engine: Engine, message: str) -> None:
    """Autogenerate a migration from the models (for developers)."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        cfg.attributes["connection"] = connection
        command.revision(cfg, message=message, autogenerate=True)

"""Creating and upgrading the database: Alembic migrations, then the audit signing key."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine

from binational.audit.signing import create_key
from binational.config import Settings

MIGRATIONS = Path(__file__).parent / "migrations"


def upgrade(engine: Engine, settings: Settings, revision: str = "head") -> None:
    """Apply migrations and make sure the node's audit signing key and secret exist."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["app_role"] = settings.db_app_role
    with engine.begin() as connection:
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, revision)
    create_key(settings.audit_key_path)
    if not settings.secret_key:
        create_secret(settings.secret_key_path)
        settings.secret_key = settings.secret_key_path.read_text(encoding="ascii").strip()


def create_secret(path: Path) -> None:
    """Write a new random node secret to `path` (mode 0600) unless the file exists."""
    if path.exists():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as out:
        out.write(secrets.token_urlsafe(48) + "\n")


def revision(engine: Engine, message: str) -> None:
    """Autogenerate a migration from the models (for developers)."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        cfg.attributes["connection"] = connection
        command.revision(cfg, message=message, autogenerate=True)

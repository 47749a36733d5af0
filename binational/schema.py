"""Creating and upgrading the database: Alembic migrations, then the audit signing key."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from sqlalchemy import Connection, Engine, inspect, text

from binational.audit.signing import check, create_key, load_key, seal
from binational.config import Settings
from binational.db import SYSTEM_KEY, system_proof

MIGRATIONS = Path(__file__).parent / "migrations"


def upgrade(engine: Engine, settings: Settings, revision: str = "head") -> None:
    """Apply migrations and make sure the node's audit signing key, federation keys and secret exist; on PostgreSQL,
    give the database the key of the system context (derived from the node's secret, readable by
    the database owner only: see `db.system_proof`)."""
    from alembic import command
    from alembic.config import Config

    if not settings.secret_key:
        create_secret(settings.secret_key_path)
        settings.secret_key = settings.secret_key_path.read_text(encoding="ascii").strip()
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["app_role"] = settings.db_app_role
    with engine.begin() as connection:
        # Only a head signed before heads had seals is sealed here, once, by the upgrade that adds the
        # column: a seal emptied later is `audit verify`'s to report, never re-made by a routine init.
        columns = {c["name"] for c in inspect(connection).get_columns("audit_head")} \
            if inspect(connection).has_table("audit_head") else {"seal"}
        unsealed = "seal" not in columns
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, revision)
        if connection.dialect.name == "postgresql" and _has_key_table(connection):
            connection.execute(text("INSERT INTO binational_system_key (id, key) VALUES (1, :key) "
                                    "ON CONFLICT (id) DO UPDATE SET key = EXCLUDED.key"),
                               {"key": settings.subkey(SYSTEM_KEY)})
    create_key(settings.audit_key_path)
    # the federation's keys, apart from the audit key: the node key signs anchors and bundles, the
    # witness key cosigns partners' checkpoints (binational/federation/keys.py)
    create_key(settings.node_key_path)
    create_key(settings.witness_key_path)
    if unsealed:
        with engine.begin() as connection:
            _seal_head(connection, settings)


def not_ready(engine: Engine) -> str | None:
    """Why the node's commands cannot use this database yet (it does not exist, or is not at the latest
    migration), in one sentence naming the remedy; None when it is ready. Never creates a SQLite file."""
    url = engine.url
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:") \
            and not Path(url.database).is_file():
        return (f"no database at {url.database}: run `binational init` to create it, or set BINATIONAL_DATABASE_URL "
                "(after `make demo`, commands run from the repository root use demo/binational.db)")
    # imported here, as in `upgrade`: Alembic costs every command a tenth of a second otherwise
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    where = url.render_as_string(hide_password=True)
    with engine.connect() as connection:
        current = set(MigrationContext.configure(connection).get_current_heads())
    if not current:
        return f"the database {where} is not initialised: run `binational init`"
    latest = set(ScriptDirectory(str(MIGRATIONS)).get_heads())
    if current != latest:
        return (f"the database {where} is at migration {', '.join(sorted(current))}, this binational needs "
                f"{', '.join(sorted(latest))}: run `binational init` to upgrade it")
    return None


def _seal_head(connection: Connection, settings: Settings) -> None:
    """Seal a head signed before heads were sealed (the operator holds the key), if its signature holds."""
    postgres = connection.dialect.name == "postgresql"
    if postgres and _has_key_table(connection):  # the owner is subject to row-level security too
        nonce = connection.execute(text("SELECT binational_system_nonce()")).scalar_one()
        connection.execute(text("SELECT set_config('binational.system', :proof, true)"),
                           {"proof": system_proof(settings.subkey(SYSTEM_KEY), nonce)})
    head = connection.execute(text("SELECT size, root, signature FROM audit_head WHERE id = 1 AND seal IS NULL")
                              ).first()
    if head is None:
        return
    public_key = load_key(settings.audit_key_path).public_key()
    if not check(public_key, settings.node_name, head.size, bytes(head.root), bytes(head.signature)):
        return  # left for `audit verify` to report
    count = connection.execute(text("SELECT count(*) FROM audit_checkpoints")).scalar_one()
    connection.execute(text("UPDATE audit_head SET seal = :seal WHERE id = 1"),
                       {"seal": seal(settings.audit_key_path, settings.node_name, head.size, bytes(head.root), count)})


def _has_key_table(connection: Connection) -> bool:
    return bool(connection.execute(text("SELECT to_regclass('binational_system_key') IS NOT NULL")).scalar())


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
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        cfg.attributes["connection"] = connection
        command.revision(cfg, message=message, autogenerate=True)

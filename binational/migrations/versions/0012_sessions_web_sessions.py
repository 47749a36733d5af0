"""Web sessions are rows on the server, and failed sign-ins are counted for the login throttle

The session cookie used to carry the user's id, signed: nothing on the server could end it before
it expired. It now carries a random secret whose SHA-256 names a `web_sessions` row, which logout,
an administrator, a password change or a deactivation ends. `login_failures` holds the failed
sign-ins of the throttle's window, so that every worker counts the same failures.

Revision ID: sessions_web_sessions
Revises: backstop_system_role
"""

import sqlalchemy as sa
from alembic import context, op

import binational.db

revision = "sessions_web_sessions"
down_revision = "backstop_system_role"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "web_sessions",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("secret_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", binational.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", binational.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", binational.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ended_at", binational.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("ended_by", sa.Integer(), nullable=True),
        sa.Column("end_reason", sa.String(length=32), nullable=True),
        sa.Column("address", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_web_sessions_user_id_users")),
        sa.ForeignKeyConstraint(["ended_by"], ["users.id"], name=op.f("fk_web_sessions_ended_by_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_web_sessions")),
        sa.UniqueConstraint("secret_hash", name=op.f("uq_web_sessions_secret_hash")),
    )
    with op.batch_alter_table("web_sessions") as batch:
        batch.create_index(batch.f("ix_web_sessions_user_id"), ["user_id"], unique=False)
    op.create_table(
        "login_failures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account", sa.String(length=64), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.Column("at", binational.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_failures")),
    )
    with op.batch_alter_table("login_failures") as batch:
        batch.create_index(batch.f("ix_login_failures_account"), ["account"], unique=False)
        batch.create_index(batch.f("ix_login_failures_address"), ["address"], unique=False)
        batch.create_index(batch.f("ix_login_failures_at"), ["at"], unique=False)
    if op.get_bind().dialect.name != "postgresql":
        return
    role = context.config.attributes.get("app_role", "binational_app")
    for table in ("web_sessions", "login_failures"):
        op.execute(f'GRANT SELECT, INSERT, UPDATE, DELETE ON {table} TO "{role}"')
        # The node's own bookkeeping, read before any viewer is known: the system only.
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
        op.execute(f"CREATE POLICY {table}_system ON {table} USING ((SELECT binational_system_on())) "
                   "WITH CHECK ((SELECT binational_system_on()))")
    op.execute(f'GRANT USAGE, SELECT ON SEQUENCE login_failures_id_seq TO "{role}"')


def downgrade() -> None:
    op.drop_table("login_failures")
    op.drop_table("web_sessions")

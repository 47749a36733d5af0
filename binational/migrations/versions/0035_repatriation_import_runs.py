"""Repatriation: imports of official series worked in the background

`repatriation_import_runs` holds each import from the API or the page too large for one request: its
user and agency, the kind and file name, the uploaded bytes until the worker has read them, its
status (one running per user: a partial unique index), the worker's progress and heartbeat, and what
it imported or the line and field it refused. Row-level security: the agency's own rows (the policy
keeps each to its user); the worker writes as the system.

Revision ID: repatriation_import_runs
Revises: resolution_sole_address
"""

import sqlalchemy as sa
from alembic import context, op

import binational.db

revision = "repatriation_import_runs"
down_revision = "resolution_sole_address"
branch_labels = None
depends_on = None

SYSTEM = "(SELECT binational_system_on())"
AGENCY = "(SELECT current_setting('binational.agency', true))"
OWN = f"agency = {AGENCY}"


def upgrade() -> None:
    op.create_table(
        "repatriation_import_runs",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=False, index=True),
        sa.Column("agency", sa.String(32), sa.ForeignKey("agencies.code"), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("source", sa.String(100), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("progress_done", sa.Integer(), nullable=False),
        sa.Column("progress_total", sa.Integer(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=True),
        sa.Column("started_at", binational.db.UTCDateTime(), nullable=False),
        sa.Column("heartbeat_at", binational.db.UTCDateTime(), nullable=True),
        sa.Column("finished_at", binational.db.UTCDateTime(), nullable=True),
    )
    op.create_index("ux_repatriation_import_runs_running", "repatriation_import_runs", ["user_id"], unique=True,
                    sqlite_where=sa.text("status = 'running'"), postgresql_where=sa.text("status = 'running'"))
    if op.get_bind().dialect.name != "postgresql":
        return
    role = context.config.attributes.get("app_role", "binational_app")
    table = "repatriation_import_runs"
    op.execute(f'GRANT SELECT, INSERT, UPDATE ON {table} TO "{role}"')
    op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
    op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
    op.execute(f"CREATE POLICY {table}_read ON {table} FOR SELECT USING ({SYSTEM} OR {OWN})")
    op.execute(f"CREATE POLICY {table}_insert ON {table} FOR INSERT WITH CHECK ({SYSTEM} OR {OWN})")
    op.execute(f"CREATE POLICY {table}_update ON {table} FOR UPDATE USING ({SYSTEM}) WITH CHECK ({SYSTEM})")


def downgrade() -> None:
    op.drop_table("repatriation_import_runs")

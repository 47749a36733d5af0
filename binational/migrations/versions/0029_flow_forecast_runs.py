"""Flows: forecast requests worked in the background

`flow_forecast_runs` holds each forecast request of the API and pages: its user and agency, the series
filters and horizon, its status (one running per user: a partial unique index), its worker's progress
and heartbeat, and the summary of what it stored. Row-level security: the agency's own rows (the
policy keeps each to its user); the worker writes as the system.

Revision ID: flow_forecast_runs
Revises: flow_series_by_marking
"""

import sqlalchemy as sa
from alembic import context, op

import binational.db

revision = "flow_forecast_runs"
down_revision = "flow_series_by_marking"
branch_labels = None
depends_on = None

SYSTEM = "(SELECT binational_system_on())"
AGENCY = "(SELECT current_setting('binational.agency', true))"
OWN = f"agency = {AGENCY}"


def upgrade() -> None:
    op.create_table(
        "flow_forecast_runs",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=False, index=True),
        sa.Column("agency", sa.String(32), sa.ForeignKey("agencies.code"), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("horizon", sa.Integer(), nullable=False),
        sa.Column("indicator", sa.String(120), nullable=True),
        sa.Column("dimension", sa.String(40), nullable=True),
        sa.Column("progress_done", sa.Integer(), nullable=False),
        sa.Column("progress_total", sa.Integer(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("started_at", binational.db.UTCDateTime(), nullable=False),
        sa.Column("heartbeat_at", binational.db.UTCDateTime(), nullable=True),
        sa.Column("finished_at", binational.db.UTCDateTime(), nullable=True),
    )
    op.create_index("ux_flow_forecast_runs_running", "flow_forecast_runs", ["user_id"], unique=True,
                    sqlite_where=sa.text("status = 'running'"), postgresql_where=sa.text("status = 'running'"))
    if op.get_bind().dialect.name != "postgresql":
        return
    role = context.config.attributes.get("app_role", "binational_app")
    table = "flow_forecast_runs"
    op.execute(f'GRANT SELECT, INSERT, UPDATE ON {table} TO "{role}"')
    op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
    op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
    op.execute(f"CREATE POLICY {table}_read ON {table} FOR SELECT USING ({SYSTEM} OR {OWN})")
    op.execute(f"CREATE POLICY {table}_insert ON {table} FOR INSERT WITH CHECK ({SYSTEM} OR {OWN})")
    op.execute(f"CREATE POLICY {table}_update ON {table} FOR UPDATE USING ({SYSTEM}) WITH CHECK ({SYSTEM})")


def downgrade() -> None:
    op.drop_table("flow_forecast_runs")

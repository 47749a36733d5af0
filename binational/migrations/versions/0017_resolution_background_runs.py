"""Resolution runs in the background: their progress, a heartbeat, and one running run at a time

A run is started by a request and worked by a thread of the serving process (or by the command
that started it). The run's row carries what it works on (`kinds`), how far it got (`progress_step`,
`progress_done`, `progress_total`) and when its worker last said it was alive (`heartbeat_at`): a
run whose worker died with its process is found by its silent heartbeat and marked failed. A partial
unique index lets at most one run be `running` on the node, whichever process tries to start one.

Revision ID: resolution_background_runs
Revises: requests_followable
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy import text

import binational.db

revision = "resolution_background_runs"
down_revision = "requests_followable"
branch_labels = None
depends_on = None

RUNNING = "status = 'running'"


def upgrade() -> None:
    """Add the progress columns and the one-running-run index."""
    with op.batch_alter_table("resolution_runs") as batch:
        batch.add_column(sa.Column("kinds", sa.Text(), nullable=False, server_default="[]"))
        batch.add_column(sa.Column("progress_step", sa.String(64), nullable=False, server_default=""))
        batch.add_column(sa.Column("progress_done", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("progress_total", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("heartbeat_at", binational.db.UTCDateTime(timezone=True), nullable=True))
    op.execute(text("UPDATE resolution_runs SET status = 'failed', message = 'interrupted' WHERE status = 'running'"))
    op.create_index("ux_resolution_runs_running", "resolution_runs", ["status"], unique=True,
                    postgresql_where=text(RUNNING), sqlite_where=text(RUNNING))


def downgrade() -> None:
    """Drop them."""
    op.drop_index("ux_resolution_runs_running", table_name="resolution_runs")
    with op.batch_alter_table("resolution_runs") as batch:
        for column in ("heartbeat_at", "progress_total", "progress_done", "progress_step", "kinds"):
            batch.drop_column(column)

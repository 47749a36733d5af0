"""Flows: a forecast run's progress polls are audited once per run

`flow_forecast_runs.progress_read` says whether the run's starter has read its progress while it ran:
the first such read is audited (`flows.forecast.progress`), the page's polls after it are not, since
they show the same run's counts and nothing of any record.

Revision ID: flow_run_progress_read
Revises: federation_sync
"""

import sqlalchemy as sa
from alembic import op

revision = "flow_run_progress_read"
down_revision = "federation_sync"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # a plain ADD COLUMN (no table rebuild on SQLite, which would lose the partial unique index's WHERE)
    op.add_column("flow_forecast_runs",
                  sa.Column("progress_read", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    op.drop_column("flow_forecast_runs", "progress_read")

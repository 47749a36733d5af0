"""Which address of a person alone gives a key of the person's comparison row

`resolution_record_addresses.sole` is true where the record is a person and the key its comparison
row lists for the address comes from that address alone (no other address the record names could
give it on any part of its values). A viewer who does not see such an address has another row for
the person, so the pair's evidence does not stand for it: the review queue decides that in SQL
(`evidence.fallen_records`) instead of comparing the pair in Python. Rows of runs summed up before
this migration are false: their pairs are compared, as before.

Row-level security: the table's policies (migration resolution_record_values) are unchanged.

Revision ID: resolution_sole_address
Revises: flow_run_progress_read
"""

import sqlalchemy as sa
from alembic import op

revision = "resolution_sole_address"
down_revision = "flow_run_progress_read"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add the column (false for rows already written)."""
    with op.batch_alter_table("resolution_record_addresses") as batch:
        batch.add_column(sa.Column("sole", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    """Drop the column."""
    with op.batch_alter_table("resolution_record_addresses") as batch:
        batch.drop_column("sole")

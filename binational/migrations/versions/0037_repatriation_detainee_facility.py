"""Repatriation: the detention facility each detained person waits in, for land convoys

`repatriation_detainees.facility` names a facility of the sending agency's land network; the table's
row-level security already keeps the row to its agency.

Revision ID: repatriation_detainee_facility
Revises: federation_witnessing
"""

import sqlalchemy as sa
from alembic import op

revision = "repatriation_detainee_facility"
down_revision = "federation_witnessing"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add the column."""
    op.add_column("repatriation_detainees", sa.Column("facility", sa.String(length=64), nullable=True))


def downgrade() -> None:
    """Drop the column."""
    with op.batch_alter_table("repatriation_detainees") as batch:
        batch.drop_column("facility")

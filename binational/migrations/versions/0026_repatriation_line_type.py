"""Repatriation: the repatriation type of each manifest line

`repatriation_manifest_lines.repatriation_type` holds the kind of order the person is returned under
(`expedited_removal`, `reinstatement`, `final_removal`, `voluntary_return`, `voluntary_departure`,
`withdrawal`, or `other`), copied from the sender's case file when the person is listed, so both
countries' statistics cut by type from the same lines. The row-level security of the table is
unchanged (the movement's parties).

Revision ID: repatriation_line_type
Revises: federation_partners
"""

import sqlalchemy as sa
from alembic import op

revision = "repatriation_line_type"
down_revision = "federation_partners"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add the column; lines listed before it count as `other`."""
    op.add_column("repatriation_manifest_lines",
                  sa.Column("repatriation_type", sa.String(length=24), nullable=False, server_default="other"))


def downgrade() -> None:
    """Drop the column."""
    op.drop_column("repatriation_manifest_lines", "repatriation_type")

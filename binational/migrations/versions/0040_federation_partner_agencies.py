"""Federation: the agencies partner nodes host, registered here when their anchor is trusted

`agencies.node` names the partner node that hosts an agency (NULL: this node), so that the release
forms offer it and a release to it travels; `agencies.node_ended_at` is when this node stopped
trusting that node (`federation untrust`): nothing more is released to it. Written as the system by
`federation trust` and `untrust`; row-level security is unchanged.

Revision ID: federation_partner_agencies
Revises: trade_draws
"""

import sqlalchemy as sa
from alembic import op

import binational.db

revision = "federation_partner_agencies"
down_revision = "trade_draws"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add the two columns."""
    op.add_column("agencies", sa.Column("node", sa.String(255), nullable=True))
    op.add_column("agencies", sa.Column("node_ended_at", binational.db.UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    """Drop them."""
    with op.batch_alter_table("agencies") as batch:
        batch.drop_column("node_ended_at")
        batch.drop_column("node")

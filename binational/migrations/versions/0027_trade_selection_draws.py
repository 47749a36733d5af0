"""trade: a declaration's reference is unique per agency and marking (a row hidden above an importer's
clearance never collides with what it imports); the draw that scored a declaration

Revision ID: trade_selection_draws
Revises: repatriation_line_type
"""

import sqlalchemy as sa
from alembic import op

revision = "trade_selection_draws"
down_revision = "repatriation_line_type"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("trade_declarations", schema=None) as batch_op:
        batch_op.drop_constraint("uq_trade_declarations_owner_reference", type_="unique")
        batch_op.create_unique_constraint("uq_trade_declarations_owner_marking_reference",
                                          ["owner_agency", "marking_rank", "reference"])
        batch_op.add_column(sa.Column("draw", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("trade_declarations", schema=None) as batch_op:
        batch_op.drop_column("draw")
        batch_op.drop_constraint("uq_trade_declarations_owner_marking_reference", type_="unique")
        batch_op.create_unique_constraint("uq_trade_declarations_owner_reference", ["owner_agency", "reference"])

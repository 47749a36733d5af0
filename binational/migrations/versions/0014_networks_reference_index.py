"""Indexes of the statements that name another entity, and of address texts, by value

A network is built from the neighbourhood of its centre: the links of a party are the records that
name it (an Associate's `person`, a Call's `caller`, a Passport's `holder` ...). Finding them needs
the statements whose value is the party's id; only reference statements are indexed (their values
are entity ids, at most 200 characters; other values may be far longer than an index entry allows).
Two Address records with the same text are one shared address: address texts up to 500 characters
are indexed too.

Revision ID: networks_reference_index
Revises: admins_pending_grants
"""

from alembic import op
from sqlalchemy import text

revision = "networks_reference_index"
down_revision = "admins_pending_grants"
branch_labels = None
depends_on = None

REFERENCE = "prop_type = 'entity' AND deleted_at IS NULL"
ADDRESS_TEXT = "prop = 'full' AND length(value) <= 500 AND deleted_at IS NULL"


def upgrade() -> None:
    """Add the partial indexes."""
    op.create_index("ix_statements_reference", "statements", ["value"],
                    postgresql_where=text(REFERENCE), sqlite_where=text(REFERENCE))
    op.create_index("ix_statements_address_text", "statements", ["value"],
                    postgresql_where=text(ADDRESS_TEXT), sqlite_where=text(ADDRESS_TEXT))


def downgrade() -> None:
    """Drop them."""
    op.drop_index("ix_statements_address_text", table_name="statements")
    op.drop_index("ix_statements_reference", table_name="statements")

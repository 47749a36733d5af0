"""The engagements module's gazetteer additions: officials an administrator adds on the node

Engagements and commitments are FollowTheMoney entities (schemata Engagement and Commitment) and need
no table. `engagement_gazetteer` is node reference data like `agencies`: on PostgreSQL every named
viewer reads it and writes only rows of its own agency (who may write is the application's rule:
administrators).

Revision ID: engagements_gazetteer
Revises: repatriation_tables
"""

import sqlalchemy as sa
from alembic import context, op

import binational.db

revision = "engagements_gazetteer"
down_revision = "repatriation_tables"
branch_labels = None
depends_on = None

SYSTEM = "(SELECT binational_system_on())"
AGENCY = "(SELECT current_setting('binational.agency', true))"
NAMED = f"coalesce({AGENCY}, '') <> ''"
OWN = f"agency = {AGENCY}"


def upgrade() -> None:
    """Create the table and, on PostgreSQL, its forced row-level security."""
    op.create_table(
        "engagement_gazetteer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("surname", sa.String(length=200), nullable=False),
        sa.Column("office", sa.String(length=32), nullable=False),
        sa.Column("titles", sa.Text(), nullable=False),
        sa.Column("forms", sa.Text(), nullable=False),
        sa.Column("agency", sa.String(length=32), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=False),
        sa.Column("created_at", binational.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["agency"], ["agencies.code"], name=op.f("fk_engagement_gazetteer_agency_agencies")),
        sa.ForeignKeyConstraint(["created_by"], ["users.id"], name=op.f("fk_engagement_gazetteer_created_by_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_engagement_gazetteer")),
    )
    if op.get_bind().dialect.name != "postgresql":
        return
    role = context.config.attributes.get("app_role", "binational_app")
    table = "engagement_gazetteer"
    op.execute(f'GRANT SELECT, INSERT, UPDATE, DELETE ON {table} TO "{role}"')
    op.execute(f'GRANT USAGE, SELECT ON SEQUENCE {table}_id_seq TO "{role}"')
    op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
    op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
    op.execute(f"CREATE POLICY {table}_read ON {table} FOR SELECT USING ({SYSTEM} OR {NAMED})")
    op.execute(f"CREATE POLICY {table}_insert ON {table} FOR INSERT WITH CHECK ({SYSTEM} OR {OWN})")
    op.execute(f"CREATE POLICY {table}_update ON {table} FOR UPDATE USING ({SYSTEM} OR {OWN}) "
               f"WITH CHECK ({SYSTEM} OR {OWN})")
    op.execute(f"CREATE POLICY {table}_delete ON {table} FOR DELETE USING ({SYSTEM} OR {OWN})")


def downgrade() -> None:
    """Drop the table."""
    op.drop_table("engagement_gazetteer")

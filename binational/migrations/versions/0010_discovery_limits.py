"""Discovery limits: selectors counted per user and agency, sweep shapes, notices to holders

`discovery_usage` and `discovery_shapes` are the node's own bookkeeping (rate limits, sweeps): no
agency reads or writes them, only the system context. `discovery_notices` are read by the agency
they are addressed to and written only by the node.

Revision ID: discovery_limits
Revises: merge_heads
"""

import sqlalchemy as sa
from alembic import context, op

import binational.db

revision = "discovery_limits"
down_revision = "merge_heads"
branch_labels = None
depends_on = None

SYSTEM = "(SELECT current_setting('binational.system', true)) = 'on'"
AGENCY = "(SELECT current_setting('binational.agency', true))"
#: table -> who may read besides the system (nobody writes but the system)
READERS = {"discovery_usage": "false", "discovery_shapes": "false", "discovery_notices": f"to_agency = {AGENCY}"}


def _when() -> sa.Column:
    return sa.Column("at", binational.db.UTCDateTime(timezone=True), nullable=False)


def upgrade() -> None:
    op.create_table(
        "discovery_usage",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("agency", sa.String(length=32), nullable=False),
        _when(),
        sa.Column("selectors", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_discovery_usage_user_id_users")),
        sa.ForeignKeyConstraint(["agency"], ["agencies.code"], name=op.f("fk_discovery_usage_agency_agencies")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_discovery_usage")),
    )
    op.create_index("ix_discovery_usage_user", "discovery_usage", ["user_id", "at"])
    op.create_index("ix_discovery_usage_agency", "discovery_usage", ["agency", "at"])
    op.create_table(
        "discovery_shapes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("agency", sa.String(length=32), nullable=False),
        _when(),
        sa.Column("shape", sa.String(length=64), nullable=False),
        sa.Column("selectors", sa.Integer(), nullable=False),
        sa.Column("touched", sa.Text(), nullable=False),
        sa.Column("flagged", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_discovery_shapes_user_id_users")),
        sa.ForeignKeyConstraint(["agency"], ["agencies.code"], name=op.f("fk_discovery_shapes_agency_agencies")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_discovery_shapes")),
    )
    op.create_index("ix_discovery_shapes_user", "discovery_shapes", ["user_id", "shape", "at"])
    op.create_table(
        "discovery_notices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("to_agency", sa.String(length=32), nullable=False),
        sa.Column("from_agency", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("entity_ids", sa.Text(), nullable=False),
        sa.Column("selectors", sa.Integer(), nullable=False),
        sa.Column("created_at", binational.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["to_agency"], ["agencies.code"], name=op.f("fk_discovery_notices_to_agency_agencies")),
        sa.ForeignKeyConstraint(["from_agency"], ["agencies.code"],
                                name=op.f("fk_discovery_notices_from_agency_agencies")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_discovery_notices")),
    )
    op.create_index("ix_discovery_notices_to", "discovery_notices", ["to_agency", "id"])
    if op.get_bind().dialect.name == "postgresql":
        _secure()


def _secure() -> None:
    role = context.config.attributes.get("app_role", "binational_app")
    for table, read in READERS.items():
        op.execute(f'GRANT SELECT, INSERT, DELETE ON {table} TO "{role}"')
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
        op.execute(f"CREATE POLICY {table}_read ON {table} FOR SELECT USING ({SYSTEM} OR {read})")
        op.execute(f"CREATE POLICY {table}_insert ON {table} FOR INSERT WITH CHECK ({SYSTEM})")
        op.execute(f"CREATE POLICY {table}_delete ON {table} FOR DELETE USING ({SYSTEM})")
    op.execute(f'GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO "{role}"')


def downgrade() -> None:
    for table in ("discovery_notices", "discovery_shapes", "discovery_usage"):
        op.drop_table(table)

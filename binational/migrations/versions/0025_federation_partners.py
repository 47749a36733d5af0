"""Federation: partner nodes trusted by their anchors, and the digest keys shared with each

`federation_partners` holds each partner node's verified anchor (its endpoint, node key, hosted
agencies, expiry), who trusted it and when, whether it was untrusted since, and the highest bundle
sequence of it applied here. `federation_digest_keys` holds the HMAC keys of step-1 discovery
digests shared with a partner, newest current.

Row-level security: the partners are the node's directory (any named viewer reads them, like the
agencies); the digest keys are secrets only the system reads; both are written by the node only,
after the policy decided (node administrators).

Revision ID: federation_partners
Revises: flows_series
"""

import sqlalchemy as sa
from alembic import context, op

import binational.db

revision = "federation_partners"
down_revision = "flows_series"
branch_labels = None
depends_on = None

SYSTEM = "(SELECT binational_system_on())"
AGENCY = "(SELECT current_setting('binational.agency', true))"
NAMED = f"coalesce({AGENCY}, '') <> ''"


def upgrade() -> None:
    """Add the two tables and their row-level security."""
    op.create_table(
        "federation_partners",
        sa.Column("node_id", sa.String(length=200), nullable=False),
        sa.Column("endpoint", sa.String(length=500), nullable=False),
        sa.Column("anchor", sa.Text(), nullable=False),
        sa.Column("anchor_sha256", sa.String(length=64), nullable=False),
        sa.Column("node_key", sa.String(length=300), nullable=False),
        sa.Column("agencies", sa.Text(), nullable=False),
        sa.Column("expires_at", binational.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("trusted_at", binational.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("trusted_by", sa.Integer(), nullable=True),
        sa.Column("ended_at", binational.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("ended_by", sa.Integer(), nullable=True),
        sa.Column("applied_sequence", sa.Integer(), server_default="0", nullable=False),
        sa.ForeignKeyConstraint(["trusted_by"], ["users.id"], name=op.f("fk_federation_partners_trusted_by_users")),
        sa.ForeignKeyConstraint(["ended_by"], ["users.id"], name=op.f("fk_federation_partners_ended_by_users")),
        sa.PrimaryKeyConstraint("node_id", name=op.f("pk_federation_partners")),
    )
    op.create_table(
        "federation_digest_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("node_id", sa.String(length=200), nullable=False),
        sa.Column("key_id", sa.Integer(), nullable=False),
        sa.Column("secret", sa.LargeBinary(length=64), nullable=False),
        sa.Column("created_at", binational.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("retired_at", binational.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["node_id"], ["federation_partners.node_id"],
                                name=op.f("fk_federation_digest_keys_node_id_federation_partners")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_federation_digest_keys")),
        sa.UniqueConstraint("node_id", "key_id", name="uq_federation_digest_keys_node_key"),
    )
    with op.batch_alter_table("federation_digest_keys", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_federation_digest_keys_node_id"), ["node_id"], unique=False)
    if op.get_bind().dialect.name != "postgresql":
        return
    role = context.config.attributes.get("app_role", "binational_app")
    op.execute(f'GRANT SELECT, INSERT, UPDATE ON federation_partners TO "{role}"')
    op.execute(f'GRANT SELECT, INSERT, UPDATE ON federation_digest_keys TO "{role}"')
    op.execute(f'GRANT USAGE, SELECT ON SEQUENCE federation_digest_keys_id_seq TO "{role}"')
    for table, read in (("federation_partners", f"{SYSTEM} OR {NAMED}"), ("federation_digest_keys", SYSTEM)):
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
        op.execute(f"CREATE POLICY {table}_read ON {table} FOR SELECT USING ({read})")
        op.execute(f"CREATE POLICY {table}_insert ON {table} FOR INSERT WITH CHECK ({SYSTEM})")
        op.execute(f"CREATE POLICY {table}_update ON {table} FOR UPDATE USING ({SYSTEM}) WITH CHECK ({SYSTEM})")


def downgrade() -> None:
    """Drop the two tables (their policies go with them)."""
    op.drop_table("federation_digest_keys")
    op.drop_table("federation_partners")

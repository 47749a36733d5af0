"""Federation sync: the outbox of items sent to partners, and the items received from them

`federation_outbox` holds each signed bundle or tombstone this node sends a partner, on that
partner's sequence, with its delivery state and the partner's signed receipt. `federation_received`
holds each item applied here by (partner, sequence), with the receipt answered.
`federation_digest_index` holds the digest of each selector under each partner's digest key (up to
`federation_digest_keys.indexed_up_to`); `federation_digest_queries` counts partners' step-1 queries.
`entities.origin_node` names the partner node a locked copy came from (null for this node's records).

Row-level security: node facts that only the system reads and writes (the service decides first);
the node (only) may delete statements and selectors, to purge a locked copy.

Revision ID: federation_sync
Revises: firearm_trace_recovery
"""

import sqlalchemy as sa
from alembic import context, op

import binational.db

revision = "federation_sync"
down_revision = "firearm_trace_recovery"
branch_labels = None
depends_on = None

SYSTEM = "(SELECT binational_system_on())"


def upgrade() -> None:
    """Add the four tables, `entities.origin_node` and `indexed_up_to`, and their row-level security."""
    op.create_table(
        "federation_outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("partner", sa.String(length=200), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("release_id", sa.String(length=32), nullable=False),
        sa.Column("local_release", sa.Integer(), nullable=True),
        sa.Column("entity_id", sa.String(length=200), nullable=True),
        sa.Column("document", sa.Text(), nullable=False),
        sa.Column("built_at", binational.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("delivered_at", binational.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("receipt", sa.Text(), nullable=True),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("last_error", sa.String(length=300), nullable=True),
        sa.ForeignKeyConstraint(["partner"], ["federation_partners.node_id"],
                                name=op.f("fk_federation_outbox_partner_federation_partners")),
        sa.ForeignKeyConstraint(["local_release"], ["releases.id"],
                                name=op.f("fk_federation_outbox_local_release_releases")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_federation_outbox")),
        sa.UniqueConstraint("partner", "sequence", name="uq_federation_outbox_partner_sequence"),
    )
    with op.batch_alter_table("federation_outbox", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_federation_outbox_partner"), ["partner"], unique=False)
        batch_op.create_index(batch_op.f("ix_federation_outbox_release_id"), ["release_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_federation_outbox_local_release"), ["local_release"], unique=False)
    op.create_table(
        "federation_received",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("partner", sa.String(length=200), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("release_id", sa.String(length=32), nullable=False),
        sa.Column("entity_id", sa.String(length=200), nullable=True),
        sa.Column("document_sha256", sa.String(length=64), nullable=False),
        sa.Column("receipt", sa.Text(), nullable=False),
        sa.Column("received_at", binational.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("purged_at", binational.db.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_federation_received")),
        sa.UniqueConstraint("partner", "sequence", name="uq_federation_received_partner_sequence"),
    )
    with op.batch_alter_table("federation_received", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_federation_received_partner"), ["partner"], unique=False)
        batch_op.create_index(batch_op.f("ix_federation_received_release_id"), ["release_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_federation_received_entity_id"), ["entity_id"], unique=False)
    with op.batch_alter_table("entities", schema=None) as batch_op:
        batch_op.add_column(sa.Column("origin_node", sa.String(length=200), nullable=True))
    with op.batch_alter_table("federation_digest_keys", schema=None) as batch_op:
        batch_op.add_column(sa.Column("indexed_up_to", sa.Integer(), server_default="0", nullable=False))
    op.create_table(
        "federation_digest_index",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key_ref", sa.Integer(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("selector_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["key_ref"], ["federation_digest_keys.id"],
                                name=op.f("fk_federation_digest_index_key_ref_federation_digest_keys")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_federation_digest_index")),
    )
    op.create_index("ix_federation_digest_index_lookup", "federation_digest_index", ["key_ref", "digest"])
    op.create_table(
        "federation_digest_queries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("node_id", sa.String(length=200), nullable=False),
        sa.Column("at", binational.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("asked", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_federation_digest_queries")),
    )
    op.create_index("ix_federation_digest_queries_node_at", "federation_digest_queries", ["node_id", "at"])
    if op.get_bind().dialect.name != "postgresql":
        return
    role = context.config.attributes.get("app_role", "binational_app")
    for table in ("federation_outbox", "federation_received", "federation_digest_index", "federation_digest_queries"):
        op.execute(f'GRANT SELECT, INSERT, UPDATE ON {table} TO "{role}"')
        op.execute(f'GRANT USAGE, SELECT ON SEQUENCE {table}_id_seq TO "{role}"')
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
        op.execute(f"CREATE POLICY {table}_read ON {table} FOR SELECT USING ({SYSTEM})")
        op.execute(f"CREATE POLICY {table}_insert ON {table} FOR INSERT WITH CHECK ({SYSTEM})")
        op.execute(f"CREATE POLICY {table}_update ON {table} FOR UPDATE USING ({SYSTEM}) WITH CHECK ({SYSTEM})")
    # Purging a locked copy (a tombstone, a superseding bundle) deletes its values and their selectors:
    # the node only, never a viewer.
    op.execute(f'GRANT DELETE ON selectors, statements TO "{role}"')
    for table in ("selectors", "statements"):
        op.execute(f"CREATE POLICY {table}_federation_purge ON {table} FOR DELETE USING ({SYSTEM})")


def downgrade() -> None:
    """Drop the four tables (their policies go with them), the two columns and the purge policies."""
    if op.get_bind().dialect.name == "postgresql":
        for table in ("selectors", "statements"):
            op.execute(f"DROP POLICY IF EXISTS {table}_federation_purge ON {table}")
    with op.batch_alter_table("entities", schema=None) as batch_op:
        batch_op.drop_column("origin_node")
    op.drop_table("federation_digest_queries")
    op.drop_table("federation_digest_index")
    with op.batch_alter_table("federation_digest_keys", schema=None) as batch_op:
        batch_op.drop_column("indexed_up_to")
    op.drop_table("federation_received")
    op.drop_table("federation_outbox")

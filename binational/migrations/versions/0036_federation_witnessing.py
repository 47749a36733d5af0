"""Federation witnessing: this node's checkpoints as its witnesses cosigned them, and per witness the
size it cosigned last

`federation_checkpoints` holds each checkpoint of this node's log that was handed to its witnesses,
with every cosignature they answered (a signed note); `federation_witness_state` the size each witness
cosigned last, where the next consistency proof starts. Node facts: only the system reads and writes
them (row-level security).

Revision ID: federation_witnessing
Revises: repatriation_import_runs
"""

import sqlalchemy as sa
from alembic import context, op

import binational.db

revision = "federation_witnessing"
down_revision = "repatriation_import_runs"
branch_labels = None
depends_on = None

SYSTEM = "(SELECT binational_system_on())"
TABLES = ("federation_checkpoints", "federation_witness_state")


def upgrade() -> None:
    """Add the two tables and their row-level security."""
    op.create_table(
        "federation_checkpoints",
        sa.Column("size", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("cosigned_at", binational.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("size", name=op.f("pk_federation_checkpoints")),
    )
    op.create_table(
        "federation_witness_state",
        sa.Column("witness", sa.String(length=300), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("at", binational.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("witness", name=op.f("pk_federation_witness_state")),
    )
    if op.get_bind().dialect.name != "postgresql":
        return
    role = context.config.attributes.get("app_role", "binational_app")
    for table in TABLES:
        op.execute(f'GRANT SELECT, INSERT, UPDATE ON {table} TO "{role}"')
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
        op.execute(f"CREATE POLICY {table}_read ON {table} FOR SELECT USING ({SYSTEM})")
        op.execute(f"CREATE POLICY {table}_insert ON {table} FOR INSERT WITH CHECK ({SYSTEM})")
        op.execute(f"CREATE POLICY {table}_update ON {table} FOR UPDATE USING ({SYSTEM}) WITH CHECK ({SYSTEM})")


def downgrade() -> None:
    """Drop the two tables (their policies go with them)."""
    for table in TABLES:
        op.drop_table(table)

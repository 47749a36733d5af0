"""Grants waiting for a second administrator: the `auditor` role and TLP:RED clearance

Revision ID: admins_pending_grants
Revises: sessions_web_sessions
"""

import sqlalchemy as sa
from alembic import context, op

import binational.db

revision = "admins_pending_grants"
down_revision = "sessions_web_sessions"
branch_labels = None
depends_on = None

SYSTEM = "(SELECT binational_system_on())"
OWN_AGENCY = f"{SYSTEM} OR agency = current_setting('binational.agency', true)"


def upgrade() -> None:
    op.create_table(
        "pending_grants",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("agency", sa.String(length=32), nullable=False),
        sa.Column("roles", sa.String(length=300), nullable=False),
        sa.Column("clearance", sa.String(length=32), nullable=False),
        sa.Column("requested_by", sa.Integer(), nullable=False),
        sa.Column("created_at", binational.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("decided_by", sa.Integer(), nullable=True),
        sa.Column("decided_at", binational.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_pending_grants_user_id_users")),
        sa.ForeignKeyConstraint(["agency"], ["agencies.code"], name=op.f("fk_pending_grants_agency_agencies")),
        sa.ForeignKeyConstraint(["requested_by"], ["users.id"], name=op.f("fk_pending_grants_requested_by_users")),
        sa.ForeignKeyConstraint(["decided_by"], ["users.id"], name=op.f("fk_pending_grants_decided_by_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pending_grants")),
    )
    with op.batch_alter_table("pending_grants", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_pending_grants_user_id"), ["user_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_pending_grants_agency"), ["agency"], unique=False)
    if op.get_bind().dialect.name != "postgresql":
        return
    # An agency's grants are its own administrators' business only; the node writes them, after the
    # policy decided (so SQL on the request path cannot approve a grant).
    role = context.config.attributes.get("app_role", "binational_app")
    op.execute(f'GRANT SELECT, INSERT, UPDATE ON pending_grants TO "{role}"')
    op.execute('GRANT USAGE, SELECT ON SEQUENCE pending_grants_id_seq TO "' + role + '"')
    op.execute("ALTER TABLE pending_grants ENABLE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE pending_grants FORCE ROW LEVEL SECURITY")
    op.execute(f"CREATE POLICY pending_grants_read ON pending_grants FOR SELECT USING ({OWN_AGENCY})")
    op.execute(f"CREATE POLICY pending_grants_insert ON pending_grants FOR INSERT WITH CHECK ({SYSTEM})")
    op.execute(f"CREATE POLICY pending_grants_update ON pending_grants FOR UPDATE USING ({SYSTEM}) "
               f"WITH CHECK ({SYSTEM})")


def downgrade() -> None:
    op.drop_table("pending_grants")

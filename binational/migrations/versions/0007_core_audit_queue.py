"""The audit queue: entries committed with their request, sequenced into the log afterwards

A request used to append its own entries under the lock of the log's head row, so every audited
request, reads included, waited for every other. It now inserts into `audit_queue` in its own
transaction, and one sequencer at a time moves queued rows into the log (`binational.audit.log`).
On PostgreSQL any role may add a row; only the system may read or delete one.

Revision ID: core_audit_queue
Revises: core_rls_initplans
"""

import sqlalchemy as sa
from alembic import context, op

revision = "core_audit_queue"
down_revision = "core_rls_initplans"
branch_labels = None
depends_on = None

SYSTEM = "(SELECT current_setting('binational.system', true)) = 'on'"


def upgrade() -> None:
    op.create_table(
        "audit_queue",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), sa.Identity(), nullable=False),
        sa.Column("event", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_queue")),
    )
    if op.get_bind().dialect.name != "postgresql":
        return
    role = context.config.attributes.get("app_role", "binational_app")
    op.execute(f'GRANT SELECT, INSERT, DELETE ON audit_queue TO "{role}"')
    op.execute(f'GRANT USAGE, SELECT ON SEQUENCE audit_queue_id_seq TO "{role}"')
    op.execute("ALTER TABLE audit_queue ENABLE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE audit_queue FORCE ROW LEVEL SECURITY")
    op.execute("CREATE POLICY audit_queue_insert ON audit_queue FOR INSERT WITH CHECK (true)")
    op.execute(f"CREATE POLICY audit_queue_read ON audit_queue FOR SELECT USING ({SYSTEM})")
    op.execute(f"CREATE POLICY audit_queue_delete ON audit_queue FOR DELETE USING ({SYSTEM})")


def downgrade() -> None:
    # Queued entries are committed and acknowledged: refuse to drop them (drain first, e.g. by
    # `binational audit verify`).
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":  # only the system may see queued rows, the table's owner included
        bind.execute(sa.text("SELECT set_config('binational.system', 'on', true)"))
    if bind.execute(sa.text("SELECT count(*) FROM audit_queue")).scalar_one():
        raise RuntimeError("audit_queue holds entries not yet in the log: run `binational audit verify` first")
    op.drop_table("audit_queue")

"""What a run read of each record of its suggestions, summed up for the policy to decide in SQL

`resolution_record_values` holds, per run and record of its suggestions, the highest marking rank
and the agency kept-to-agency values belong to, among the values the run could read of the record
and of the Address records it names; `resolution_record_addresses` names those addresses. With
them the review queue decides in SQL which pairs' evidence stands on values a viewer may see
(`policy.sees_every_value`) instead of comparing each pair in Python. A run finished before this
migration has no rows: its pairs are decided the old way, by comparison. Two indexes of `statements`
find the values removed or written since a run read them (those records the comparison decides).

Row-level security: a row is read where its record is (the entities rule applies inside), and an
address named only where that address is too; only the system writes them, with the run.

Revision ID: resolution_record_values
Revises: flow_forecast_runs
"""

import sqlalchemy as sa
from alembic import context, op

revision = "resolution_record_values"
down_revision = "flow_forecast_runs"
branch_labels = None
depends_on = None

SYSTEM = "(SELECT binational_system_on())"
READ = "EXISTS (SELECT 1 FROM entities e WHERE e.id = entity_id)"
#: an address's id is read only by who sees the address too (the entities rule applies inside)
READ_ADDRESS = f"{READ} AND EXISTS (SELECT 1 FROM entities a WHERE a.id = address_id)"


def upgrade() -> None:
    """Add the two tables and their row-level security."""
    op.create_table(
        "resolution_record_values",
        sa.Column("run_id", sa.String(length=32), nullable=False),
        sa.Column("entity_id", sa.String(length=200), nullable=False),
        sa.Column("values_rank", sa.Integer(), nullable=False),
        sa.Column("kept_agency", sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(["run_id"], ["resolution_runs.id"],
                                name=op.f("fk_resolution_record_values_run_id_resolution_runs")),
        sa.ForeignKeyConstraint(["entity_id"], ["entities.id"],
                                name=op.f("fk_resolution_record_values_entity_id_entities")),
        sa.PrimaryKeyConstraint("run_id", "entity_id", name=op.f("pk_resolution_record_values")),
    )
    op.create_table(
        "resolution_record_addresses",
        sa.Column("run_id", sa.String(length=32), nullable=False),
        sa.Column("entity_id", sa.String(length=200), nullable=False),
        sa.Column("address_id", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(["run_id"], ["resolution_runs.id"],
                                name=op.f("fk_resolution_record_addresses_run_id_resolution_runs")),
        sa.ForeignKeyConstraint(["entity_id"], ["entities.id"],
                                name=op.f("fk_resolution_record_addresses_entity_id_entities")),
        sa.PrimaryKeyConstraint("run_id", "entity_id", "address_id", name=op.f("pk_resolution_record_addresses")),
    )
    # what changed since a run read the values: removed ones (few), written ones in a span of time
    op.create_index("ix_statements_removed", "statements", ["deleted_at"],
                    postgresql_where=sa.text("deleted_at IS NOT NULL"), sqlite_where=sa.text("deleted_at IS NOT NULL"))
    op.create_index("ix_statements_created", "statements", ["created_at"])
    if op.get_bind().dialect.name != "postgresql":
        return
    role = context.config.attributes.get("app_role", "binational_app")
    for table, read in (("resolution_record_values", READ), ("resolution_record_addresses", READ_ADDRESS)):
        op.execute(f'GRANT SELECT, INSERT ON {table} TO "{role}"')
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
        op.execute(f"CREATE POLICY {table}_read ON {table} FOR SELECT USING ({SYSTEM} OR {read})")
        op.execute(f"CREATE POLICY {table}_insert ON {table} FOR INSERT WITH CHECK ({SYSTEM})")


def downgrade() -> None:
    """Drop the two tables (their policies go with them) and the two indexes."""
    op.drop_index("ix_statements_created", table_name="statements")
    op.drop_index("ix_statements_removed", table_name="statements")
    op.drop_table("resolution_record_addresses")
    op.drop_table("resolution_record_values")

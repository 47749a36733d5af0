"""Firearms: a trace names the recovered firearm it was sent for

`firearm_traces.recovery_id` (nullable) is the row of `firearm_recoveries` the requesting agency sent
the trace for. The link is shown only to a viewer who sees both the trace and the recovery
(`policy.may_see_trace_recovery`); the row-level security of both tables is unchanged.

Revision ID: firearm_trace_recovery
Revises: resolution_record_values
"""

import sqlalchemy as sa
from alembic import op

revision = "firearm_trace_recovery"
down_revision = "resolution_record_values"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("firearm_traces") as batch:
        batch.add_column(sa.Column("recovery_id", sa.String(length=80), nullable=True))
        batch.create_index(batch.f("ix_firearm_traces_recovery_id"), ["recovery_id"], unique=False)
        batch.create_foreign_key(batch.f("fk_firearm_traces_recovery_id_firearm_recoveries"), "firearm_recoveries",
                                 ["recovery_id"], ["id"])


def downgrade() -> None:
    with op.batch_alter_table("firearm_traces") as batch:
        batch.drop_constraint(batch.f("fk_firearm_traces_recovery_id_firearm_recoveries"), type_="foreignkey")
        batch.drop_index(batch.f("ix_firearm_traces_recovery_id"))
        batch.drop_column("recovery_id")

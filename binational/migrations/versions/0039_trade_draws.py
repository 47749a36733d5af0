"""trade: each draw of a selection list as a row with its model's training scope, so that the latest
day whose list a viewer may see is found in one query (`policy.visible_model_output`)

Declarations point to the draw that scored them (`draw_id`). Lists drawn before this revision have no
such row and no longer show: draw such a day again.

Revision ID: trade_draws
Revises: firearm_recovery_number
"""

import sqlalchemy as sa
from alembic import context, op

import binational.db

revision = "trade_draws"
down_revision = "firearm_recovery_number"
branch_labels = None
depends_on = None

SYSTEM = "(SELECT binational_system_on())"
AGENCY = "agency = current_setting('binational.agency', true)"
CLEARANCE = "coalesce(nullif(current_setting('binational.clearance', true), ''), '-1')::int"
CASES = "string_to_array(current_setting('binational.cases', true), ',')"
# its agency's users read a draw cleared as high as its drawer, and of such a draw a scope row they may
# see as a trade row (`policy.may_see_trade`): never a RED draw below RED, nor a case's name outside it
# (the drawer may see every row its model learned from, `service.check_model_scope`)
DRAWER = {
    "trade_draws": f"{AGENCY} AND clearance_rank <= {CLEARANCE}",
    "trade_draw_scopes": f"""{AGENCY} AND marking_rank <= {CLEARANCE}
        AND EXISTS (SELECT 1 FROM trade_draws w WHERE w.id = trade_draw_scopes.draw_id)
        AND (case_id IS NULL OR case_id = ANY({CASES}))
        AND (owner_agency = current_setting('binational.agency', true)
             OR (distribution = 'national' AND owner_country = current_setting('binational.country', true))
             OR (distribution = 'joint' AND joint_agency = current_setting('binational.agency', true)))""",
}
# a draw and its scope are read by whoever sees a declaration it scored (its scope is in that row's
# `draw` too): a scope row hidden from the reader would let a model's output show (`visible_model_output`)
SCORED_A_SEEN_ROW = "EXISTS (SELECT 1 FROM trade_declarations d WHERE d.draw_id = {key})"


def upgrade() -> None:
    """Add the draws, their scopes, and each declaration's draw."""
    op.create_table(
        "trade_draws",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agency", sa.String(length=32), nullable=False),
        sa.Column("clearance_rank", sa.Integer(), nullable=False),
        sa.Column("drawn_at", binational.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["agency"], ["agencies.code"], name=op.f("fk_trade_draws_agency_agencies")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_trade_draws")),
    )
    op.create_table(
        "trade_draw_scopes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("draw_id", sa.Integer(), nullable=False),
        sa.Column("agency", sa.String(length=32), nullable=False),
        sa.Column("owner_agency", sa.String(length=32), nullable=False),
        sa.Column("owner_country", sa.String(length=2), nullable=False),
        sa.Column("distribution", sa.String(length=16), nullable=False),
        sa.Column("marking_rank", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.String(length=64), nullable=True),
        sa.Column("joint_agency", sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(["agency"], ["agencies.code"], name=op.f("fk_trade_draw_scopes_agency_agencies")),
        sa.ForeignKeyConstraint(["draw_id"], ["trade_draws.id"], name=op.f("fk_trade_draw_scopes_draw_id_trade_draws")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_trade_draw_scopes")),
    )
    op.create_index(op.f("ix_trade_draw_scopes_draw_id"), "trade_draw_scopes", ["draw_id"])
    with op.batch_alter_table("trade_declarations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("draw_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(op.f("fk_trade_declarations_draw_id_trade_draws"), "trade_draws",
                                    ["draw_id"], ["id"])
        batch_op.create_index(batch_op.f("ix_trade_declarations_draw_id"), ["draw_id"])
    if op.get_bind().dialect.name != "postgresql":
        return
    role = context.config.attributes.get("app_role", "binational_app")
    for table, key in (("trade_draws", "trade_draws.id"), ("trade_draw_scopes", "trade_draw_scopes.draw_id")):
        op.execute(f'GRANT SELECT, INSERT ON {table} TO "{role}"')
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
        op.execute(f"CREATE POLICY {table}_read ON {table} FOR SELECT USING "
                   f"({SYSTEM} OR ({DRAWER[table]}) OR {SCORED_A_SEEN_ROW.format(key=key)})")
        op.execute(f"CREATE POLICY {table}_insert ON {table} FOR INSERT WITH CHECK ({SYSTEM} OR {AGENCY})")
    op.execute(f'GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO "{role}"')


def downgrade() -> None:
    """Drop the draws' policies (they read each declaration's draw), each declaration's draw, the
    scopes and the draws."""
    if op.get_bind().dialect.name == "postgresql":
        for table in ("trade_draws", "trade_draw_scopes"):
            op.execute(f"DROP POLICY IF EXISTS {table}_read ON {table}")
            op.execute(f"DROP POLICY IF EXISTS {table}_insert ON {table}")
    with op.batch_alter_table("trade_declarations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_trade_declarations_draw_id"))
        batch_op.drop_constraint(op.f("fk_trade_declarations_draw_id_trade_draws"), type_="foreignkey")
        batch_op.drop_column("draw_id")
    op.drop_index(op.f("ix_trade_draw_scopes_draw_id"), table_name="trade_draw_scopes")
    op.drop_table("trade_draw_scopes")
    op.drop_table("trade_draws")

"""trade: customs declarations (scores, selection lists), inspection results, TransBorder freight flows, port waits

Revision ID: trade_declarations
Revises: engagements_gazetteer
"""

import sqlalchemy as sa
from alembic import context, op

import binational.db

revision = "trade_declarations"
down_revision = "engagements_gazetteer"
branch_labels = None
depends_on = None

TABLES = ("trade_declarations", "trade_inspections")
PUBLIC = ("trade_flows", "trade_port_waits")
CASES = "string_to_array(current_setting('binational.cases', true), ',')"
# policy.may_see_trade: within clearance and case, the owner agency, its country when `national`,
# the partner named in `joint_agency` when `joint`; system jobs see all.
READ = f"""
  (SELECT binational_system_on())
  OR (
    marking_rank <= coalesce(nullif(current_setting('binational.clearance', true), ''), '-1')::int
    AND (case_id IS NULL OR case_id = ANY({CASES}))
    AND (owner_agency = current_setting('binational.agency', true)
         OR (distribution = 'national' AND owner_country = current_setting('binational.country', true))
         OR (distribution = 'joint' AND joint_agency = current_setting('binational.agency', true)))
  )
"""
OWNER_WRITES = "(SELECT binational_system_on()) OR owner_agency = current_setting('binational.agency', true)"


def _policy_columns(table: str) -> list[sa.Column]:
    return [
        sa.Column("owner_agency", sa.String(32), sa.ForeignKey("agencies.code", name=f"fk_{table}_owner_agency_agencies"),
                  nullable=False),
        sa.Column("owner_country", sa.String(2), nullable=False),
        sa.Column("distribution", sa.String(16), nullable=False),
        sa.Column("marking", sa.String(32), nullable=False),
        sa.Column("marking_rank", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.String(64), sa.ForeignKey("cases.id", name=f"fk_{table}_case_id_cases"), nullable=True),
    ]


def upgrade() -> None:
    op.create_table(
        "trade_declarations",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("reference", sa.String(64), nullable=False),
        sa.Column("declared_on", sa.Date(), nullable=False),
        sa.Column("fields", sa.Text(), nullable=False),
        sa.Column("hs_unknown", sa.Boolean(), nullable=False),
        sa.Column("joint_agency", sa.String(32), nullable=True),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("fraud_probability", sa.Float(), nullable=True),
        sa.Column("critical_probability", sa.Float(), nullable=True),
        sa.Column("reasons", sa.Text(), nullable=False),
        sa.Column("selection_kind", sa.String(16), nullable=True),
        sa.Column("selection_rank", sa.Integer(), nullable=True),
        sa.Column("created_by", sa.Integer(), sa.ForeignKey("users.id", name="fk_trade_declarations_created_by_users"),
                  nullable=True),
        sa.Column("created_at", binational.db.UTCDateTime(timezone=True), nullable=False),
        *_policy_columns("trade_declarations"),
        sa.UniqueConstraint("owner_agency", "reference", name="uq_trade_declarations_owner_reference"),
    )
    op.create_index("ix_trade_declarations_owner_day", "trade_declarations", ["owner_agency", "declared_on"])
    op.create_index("ix_trade_declarations_owner_agency", "trade_declarations", ["owner_agency"])
    op.create_index("ix_trade_declarations_case_id", "trade_declarations", ["case_id"])
    op.create_table(
        "trade_inspections",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("declaration_id", sa.Integer(),
                  sa.ForeignKey("trade_declarations.id", name="fk_trade_inspections_declaration_id_trade_declarations"),
                  nullable=False),
        sa.Column("fraud", sa.Integer(), nullable=False),
        sa.Column("critical", sa.Integer(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("joint_agency", sa.String(32), nullable=True),
        sa.Column("inspected_by", sa.Integer(), sa.ForeignKey("users.id", name="fk_trade_inspections_inspected_by_users"),
                  nullable=True),
        sa.Column("created_at", binational.db.UTCDateTime(timezone=True), nullable=False),
        *_policy_columns("trade_inspections"),
    )
    op.create_index("ix_trade_inspections_declaration_id", "trade_inspections", ["declaration_id"])
    op.create_index("ix_trade_inspections_owner_agency", "trade_inspections", ["owner_agency"])
    op.create_index("ix_trade_inspections_case_id", "trade_inspections", ["case_id"])
    op.create_table(
        "trade_flows",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("source_table", sa.Integer(), nullable=False),
        sa.Column("trade_type", sa.String(1), nullable=False),
        sa.Column("us_state", sa.String(2), nullable=False),
        sa.Column("port", sa.String(4), nullable=False),
        sa.Column("commodity", sa.String(2), nullable=False),
        sa.Column("mode", sa.String(1), nullable=False),
        sa.Column("mex_state", sa.String(2), nullable=False),
        sa.Column("can_province", sa.String(2), nullable=False),
        sa.Column("country", sa.String(4), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.Column("weight", sa.BigInteger(), nullable=False),
        sa.Column("freight", sa.BigInteger(), nullable=False),
        sa.Column("domestic_foreign", sa.String(1), nullable=False),
        sa.Column("containerized", sa.String(1), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("month", sa.Integer(), nullable=False),
    )
    op.create_index("ix_trade_flows_table_month", "trade_flows", ["source_table", "year", "month"])
    op.create_table(
        "trade_port_waits",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("port_number", sa.String(6), nullable=False),
        sa.Column("border", sa.String(32), nullable=False),
        sa.Column("port_name", sa.String(100), nullable=False),
        sa.Column("crossing_name", sa.String(100), nullable=False),
        sa.Column("lane", sa.String(32), nullable=False),
        sa.Column("reported_at", sa.DateTime(), nullable=False),
        sa.Column("port_status", sa.String(32), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("delay_minutes", sa.Integer(), nullable=True),
        sa.Column("lanes_open", sa.Integer(), nullable=True),
        sa.Column("maximum_lanes", sa.Integer(), nullable=True),
        sa.UniqueConstraint("port_number", "lane", "reported_at", name="uq_trade_port_waits_observation"),
    )
    op.create_index("ix_trade_port_waits_reported_at", "trade_port_waits", ["reported_at"])
    if op.get_bind().dialect.name != "postgresql":
        return
    role = context.config.attributes.get("app_role", "binational_app")
    # public statistics and port conditions: any named viewer reads them; the node (system) alone writes them
    for table in PUBLIC:
        op.execute(f'GRANT SELECT, INSERT, DELETE ON {table} TO "{role}"')
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
        op.execute(f"CREATE POLICY {table}_read ON {table} FOR SELECT USING ((SELECT binational_system_on()) "
                   "OR coalesce((SELECT current_setting('binational.agency', true)), '') <> '')")
        op.execute(f"CREATE POLICY {table}_write ON {table} FOR ALL USING ((SELECT binational_system_on())) "
                   "WITH CHECK ((SELECT binational_system_on()))")
    op.execute(f'GRANT SELECT, INSERT, UPDATE ON trade_declarations TO "{role}"')
    op.execute(f'GRANT SELECT, INSERT ON trade_inspections TO "{role}"')
    op.execute(f'GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO "{role}"')
    for table in TABLES:
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
        op.execute(f"CREATE POLICY {table}_read ON {table} FOR SELECT USING ({READ})")
        op.execute(f"CREATE POLICY {table}_insert ON {table} FOR INSERT WITH CHECK ({OWNER_WRITES})")
    op.execute("CREATE POLICY trade_declarations_update ON trade_declarations FOR UPDATE "
               f"USING ({OWNER_WRITES}) WITH CHECK ({OWNER_WRITES})")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in TABLES:
            op.execute(f"DROP POLICY IF EXISTS {table}_read ON {table}")
            op.execute(f"DROP POLICY IF EXISTS {table}_insert ON {table}")
        op.execute("DROP POLICY IF EXISTS trade_declarations_update ON trade_declarations")
        for table in PUBLIC:
            op.execute(f"DROP POLICY IF EXISTS {table}_read ON {table}")
            op.execute(f"DROP POLICY IF EXISTS {table}_write ON {table}")
    op.drop_table("trade_port_waits")
    op.drop_table("trade_flows")
    op.drop_table("trade_inspections")
    op.drop_table("trade_declarations")

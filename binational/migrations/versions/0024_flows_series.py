"""flows: monthly series, their values, imported files, forecasts, alerts, subscriptions and notices

A series is seen as `access.policy.may_see_series` says (within clearance and case: its agency, its
country when `national`, everyone when it is a public statistic); its values, forecasts and alerts
follow it. An import is its agency's record; subscriptions and notices are their user's agency's.

Revision ID: flows_series
Revises: trade_declarations
"""

import sqlalchemy as sa
from alembic import context, op

import binational.db

revision = "flows_series"
down_revision = "trade_declarations"
branch_labels = None
depends_on = None

SYSTEM = "(SELECT binational_system_on())"
AGENCY = "(SELECT current_setting('binational.agency', true))"
COUNTRY = "(SELECT current_setting('binational.country', true))"
CLEARANCE = "(SELECT coalesce(nullif(current_setting('binational.clearance', true), ''), '-1')::int)"
IN_CASE = "(case_id IS NULL OR case_id = ANY(string_to_array(current_setting('binational.cases', true), ',')))"
NAMED = f"coalesce({AGENCY}, '') <> ''"
SERIES_READ = (
    f"{NAMED} AND marking_rank <= {CLEARANCE} AND {IN_CASE} AND (owner_agency = {AGENCY} "
    f"OR (distribution = 'national' AND owner_country = {COUNTRY}) OR public)"
)
OWNER_WRITES = f"owner_agency = {AGENCY}"
OF_SERIES = "EXISTS (SELECT 1 FROM flow_series s WHERE s.id = series_id)"
OF_OWN_SERIES = f"EXISTS (SELECT 1 FROM flow_series s WHERE s.id = series_id AND s.owner_agency = {AGENCY})"
OF_AGENCY = f"agency = {AGENCY}"

RULES = {
    "flow_series": (SERIES_READ, OWNER_WRITES),
    "flow_imports": (f"owner_agency = {AGENCY} AND marking_rank <= {CLEARANCE}", OWNER_WRITES),
    "flow_values": (OF_SERIES, OF_OWN_SERIES),
    # forecasts and alerts are computed by the node (after the policy decided what it may read)
    "flow_forecasts": (OF_SERIES, "false"),
    "flow_alerts": (OF_SERIES, "false"),
    "flow_subscriptions": (OF_AGENCY, OF_AGENCY),
    "flow_notices": (OF_AGENCY, OF_AGENCY),
}


def _policy_columns() -> list[sa.Column]:
    return [
        sa.Column("owner_agency", sa.String(32), sa.ForeignKey("agencies.code"), nullable=False, index=True),
        sa.Column("owner_country", sa.String(2), nullable=False),
        sa.Column("distribution", sa.String(16), nullable=False),
        sa.Column("marking", sa.String(32), nullable=False),
        sa.Column("marking_rank", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.String(64), sa.ForeignKey("cases.id"), nullable=True, index=True),
    ]


def upgrade() -> None:
    """Create the tables; on PostgreSQL, force row-level security on each."""
    when = binational.db.UTCDateTime(timezone=True)
    op.create_table(
        "flow_series",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("key", sa.String(300), nullable=False),
        sa.Column("indicator", sa.String(120), nullable=False),
        sa.Column("dimension", sa.String(40), nullable=False),
        sa.Column("member", sa.String(200), nullable=False),
        sa.Column("unit", sa.String(60), nullable=False),
        sa.Column("source", sa.String(40), nullable=False),
        sa.Column("public", sa.Boolean(), nullable=False),
        sa.Column("latitude", sa.Float(), nullable=True),
        sa.Column("longitude", sa.Float(), nullable=True),
        sa.Column("created_at", when, nullable=False),
        sa.Column("updated_at", when, nullable=False),
        *_policy_columns(),
        sa.UniqueConstraint("owner_agency", "key", name="uq_flow_series_owner_key"),
    )
    op.create_index("ix_flow_series_indicator", "flow_series", ["indicator", "dimension"])
    op.create_table(
        "flow_imports",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("file", sa.String(255), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("format", sa.String(40), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("added", sa.Integer(), nullable=False),
        sa.Column("replaced", sa.Integer(), nullable=False),
        sa.Column("unchanged", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.Integer(), sa.ForeignKey("users.id"), nullable=True),
        sa.Column("created_at", when, nullable=False),
        *_policy_columns(),
    )
    op.create_table(
        "flow_values",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("series_id", sa.Integer(), sa.ForeignKey("flow_series.id"), nullable=False),
        sa.Column("month", sa.Integer(), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("import_id", sa.Integer(), sa.ForeignKey("flow_imports.id"), nullable=False),
        sa.UniqueConstraint("series_id", "month", name="uq_flow_values_series_month"),
    )
    op.create_table(
        "flow_forecasts",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("series_id", sa.Integer(), sa.ForeignKey("flow_series.id"), nullable=False),
        sa.Column("model", sa.String(120), nullable=False),
        sa.Column("backtest", sa.Text(), nullable=False),
        sa.Column("first_month", sa.Integer(), nullable=False),
        sa.Column("values", sa.Text(), nullable=False),
        sa.Column("shock_replaced", sa.Boolean(), nullable=False),
        sa.Column("created_at", when, nullable=False),
    )
    op.create_index("ix_flow_forecasts_series", "flow_forecasts", ["series_id", "id"])
    op.create_table(
        "flow_alerts",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("series_id", sa.Integer(), sa.ForeignKey("flow_series.id"), nullable=False),
        sa.Column("month", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("expected", sa.Float(), nullable=False),
        sa.Column("low", sa.Float(), nullable=True),
        sa.Column("high", sa.Float(), nullable=True),
        sa.Column("created_at", when, nullable=False),
        sa.UniqueConstraint("series_id", "month", "kind", name="uq_flow_alerts_series_month_kind"),
    )
    op.create_table(
        "flow_subscriptions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("agency", sa.String(32), sa.ForeignKey("agencies.code"), nullable=False),
        sa.Column("indicator", sa.String(120), nullable=False),
        sa.Column("created_at", when, nullable=False),
        sa.UniqueConstraint("user_id", "indicator", name="uq_flow_subscriptions_user_indicator"),
    )
    op.create_table(
        "flow_notices",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("agency", sa.String(32), sa.ForeignKey("agencies.code"), nullable=False),
        sa.Column("alert_id", sa.Integer(), sa.ForeignKey("flow_alerts.id"), nullable=False),
        sa.Column("created_at", when, nullable=False),
        sa.Column("read_at", when, nullable=True),
        sa.UniqueConstraint("user_id", "alert_id", name="uq_flow_notices_user_alert"),
    )
    op.create_index("ix_flow_notices_user", "flow_notices", ["user_id", "id"])
    if op.get_bind().dialect.name != "postgresql":
        return
    role = context.config.attributes.get("app_role", "binational_app")
    for table, (read, write) in RULES.items():
        op.execute(f'GRANT SELECT, INSERT, UPDATE, DELETE ON {table} TO "{role}"')
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
        op.execute(f"CREATE POLICY {table}_read ON {table} FOR SELECT USING ({SYSTEM} OR {read})")
        op.execute(f"CREATE POLICY {table}_insert ON {table} FOR INSERT WITH CHECK ({SYSTEM} OR {write})")
        op.execute(
            f"CREATE POLICY {table}_update ON {table} FOR UPDATE USING ({SYSTEM} OR {write}) "
            f"WITH CHECK ({SYSTEM} OR {write})"
        )
        op.execute(f"CREATE POLICY {table}_delete ON {table} FOR DELETE USING ({SYSTEM} OR {write})")
    op.execute(f'GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO "{role}"')
    # an import is a record of what happened: never rewritten
    op.execute(f'REVOKE UPDATE, DELETE, TRUNCATE ON flow_imports FROM "{role}"')


def downgrade() -> None:
    """Drop the tables."""
    for table in (
        "flow_notices",
        "flow_subscriptions",
        "flow_alerts",
        "flow_forecasts",
        "flow_values",
        "flow_imports",
        "flow_series",
    ):
        op.drop_table(table)

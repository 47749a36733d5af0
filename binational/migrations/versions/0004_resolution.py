"""resolution: runs, suggestions and append-only judgements

Revision ID: 0004
Revises: 0002
"""

import sqlalchemy as sa
from alembic import context, op

import binational.db

revision = "0004"
down_revision = "0002"
branch_labels = None
depends_on = None

TABLES = ("resolution_runs", "resolution_suggestions", "resolution_judgements")
# A judgement is the judging agency's record: its own agency sees it, its country when `national`,
# within the viewer's clearance; system jobs see all. Judgements are never updated or deleted.
JUDGEMENT_READ = """
  current_setting('binational.system', true) = 'on'
  OR (
    marking_rank <= coalesce(nullif(current_setting('binational.clearance', true), ''), '-1')::int
    AND (owner_agency = current_setting('binational.agency', true)
         OR (distribution = 'national' AND owner_country = current_setting('binational.country', true)))
  )
"""
OWNER_WRITES = "current_setting('binational.system', true) = 'on' OR owner_agency = current_setting('binational.agency', true)"


def upgrade() -> None:
    op.create_table(
        "resolution_runs",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("engine", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("started_by", sa.Integer(), sa.ForeignKey("users.id", name="fk_resolution_runs_started_by_users"), nullable=True),
        sa.Column("started_at", binational.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("finished_at", binational.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("models", sa.Text(), nullable=False),
    )
    op.create_table(
        "resolution_suggestions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("run_id", sa.String(32), sa.ForeignKey("resolution_runs.id", name="fk_resolution_suggestions_run_id_resolution_runs"), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("left_id", sa.String(200), sa.ForeignKey("entities.id", name="fk_resolution_suggestions_left_id_entities"), nullable=False),
        sa.Column("right_id", sa.String(200), sa.ForeignKey("entities.id", name="fk_resolution_suggestions_right_id_entities"), nullable=False),
        sa.Column("left_agency", sa.String(32), nullable=False),
        sa.Column("right_agency", sa.String(32), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("match_weight", sa.Float(), nullable=False),
        sa.Column("decision", sa.String(8), nullable=False),
        sa.Column("driver", sa.String(300), nullable=False),
        sa.Column("weights", sa.Text(), nullable=False),
        sa.Column("created_at", binational.db.UTCDateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_resolution_suggestions_left", "resolution_suggestions", ["left_id"])
    op.create_index("ix_resolution_suggestions_right", "resolution_suggestions", ["right_id"])
    op.create_index("ix_resolution_suggestions_run_kind_score", "resolution_suggestions", ["run_id", "kind", "score"])
    op.create_table(
        "resolution_judgements",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("left_id", sa.String(200), sa.ForeignKey("entities.id", name="fk_resolution_judgements_left_id_entities"), nullable=False),
        sa.Column("right_id", sa.String(200), sa.ForeignKey("entities.id", name="fk_resolution_judgements_right_id_entities"), nullable=False),
        sa.Column("verdict", sa.String(16), nullable=False),
        sa.Column("suggestion_id", sa.Integer(), sa.ForeignKey("resolution_suggestions.id", name="fk_resolution_judgements_suggestion_id_resolution_suggestions"), nullable=True),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("created_by", sa.Integer(), sa.ForeignKey("users.id", name="fk_resolution_judgements_created_by_users"), nullable=False),
        sa.Column("created_at", binational.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("owner_agency", sa.String(32), sa.ForeignKey("agencies.code", name="fk_resolution_judgements_owner_agency_agencies"), nullable=False),
        sa.Column("owner_country", sa.String(2), nullable=False),
        sa.Column("distribution", sa.String(16), nullable=False),
        sa.Column("marking", sa.String(32), nullable=False),
        sa.Column("marking_rank", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.String(64), sa.ForeignKey("cases.id", name="fk_resolution_judgements_case_id_cases"), nullable=True),
    )
    op.create_index("ix_resolution_judgements_pair", "resolution_judgements", ["left_id", "right_id"])
    op.create_index("ix_resolution_judgements_owner_agency", "resolution_judgements", ["owner_agency"])
    op.create_index("ix_resolution_judgements_case_id", "resolution_judgements", ["case_id"])
    if op.get_bind().dialect.name != "postgresql":
        return
    role = context.config.attributes.get("app_role", "binational_app")
    for table in TABLES:
        op.execute(f'GRANT SELECT, INSERT, UPDATE ON {table} TO "{role}"')
    op.execute(f'GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO "{role}"')
    op.execute(f'REVOKE UPDATE, DELETE, TRUNCATE ON resolution_judgements FROM "{role}"')
    op.execute("ALTER TABLE resolution_judgements ENABLE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE resolution_judgements FORCE ROW LEVEL SECURITY")
    op.execute(f"CREATE POLICY resolution_judgements_read ON resolution_judgements FOR SELECT USING ({JUDGEMENT_READ})")
    op.execute(f"CREATE POLICY resolution_judgements_insert ON resolution_judgements FOR INSERT WITH CHECK ({OWNER_WRITES})")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP POLICY IF EXISTS resolution_judgements_read ON resolution_judgements")
        op.execute("DROP POLICY IF EXISTS resolution_judgements_insert ON resolution_judgements")
    op.drop_table("resolution_judgements")
    op.drop_table("resolution_suggestions")
    op.drop_table("resolution_runs")

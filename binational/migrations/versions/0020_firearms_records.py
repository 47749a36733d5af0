"""Firearms tracing: US sale records and multiple-sale reports, firearms recovered in Mexico, traces
with their candidates and results

The three record tables carry the policy columns and follow the entities" coarse rule (agency, country,
clearance; nothing of theirs is released). The parts of a trace are read by the tracing agency and,
once released, by the requesting agency (`policy.may_see_trace_part`); each agency writes its side.

Revision ID: firearms_records
Revises: resolution_queue_order
"""

import sqlalchemy as sa
from alembic import context, op

import binational.db

revision = "firearms_records"
down_revision = "resolution_queue_order"
branch_labels = None
depends_on = None

SYSTEM = "(SELECT binational_system_on())"
AGENCY = "(SELECT current_setting('binational.agency', true))"
COUNTRY = "(SELECT current_setting('binational.country', true))"
CLEARANCE = "(SELECT coalesce(nullif(current_setting('binational.clearance', true), ''), '-1')::int)"
RECORD_READ = (f"marking_rank <= {CLEARANCE} AND (owner_agency = {AGENCY} "
               f"OR (distribution = 'national' AND owner_country = {COUNTRY}))")
RECORD_WRITE = f"owner_agency = {AGENCY}"
PART_READ = (f"marking_rank <= {CLEARANCE} AND (to_agency = {AGENCY} "
             f"OR (from_agency = {AGENCY} AND released_at IS NOT NULL))")
#: the requester writes its trace; the tracing agency writes the trace's state, candidates and results
TRACE_WRITE = f"from_agency = {AGENCY} OR to_agency = {AGENCY}"
TRACER_WRITE = f"to_agency = {AGENCY}"
RULES: dict[str, tuple[str, str]] = {
    "firearm_sales": (RECORD_READ, RECORD_WRITE),
    "firearm_multiple_sales": (RECORD_READ, RECORD_WRITE),
    "firearm_recoveries": (RECORD_READ, RECORD_WRITE),
    "firearm_traces": (PART_READ, TRACE_WRITE),
    "firearm_trace_candidates": (PART_READ, TRACER_WRITE),
    "firearm_trace_results": (PART_READ, TRACER_WRITE),
}


def _secure(table: str, read: str, write: str) -> None:
    """Force row-level security on `table`: the system, or a viewer its rules allow."""
    role = context.config.attributes.get("app_role", "binational_app")
    op.execute(f'GRANT SELECT, INSERT, UPDATE, DELETE ON {table} TO "{role}"')
    op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
    op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
    op.execute(f"CREATE POLICY {table}_read ON {table} FOR SELECT USING ({SYSTEM} OR {read})")
    op.execute(f"CREATE POLICY {table}_insert ON {table} FOR INSERT WITH CHECK ({SYSTEM} OR {write})")
    op.execute(f"CREATE POLICY {table}_update ON {table} FOR UPDATE USING ({SYSTEM} OR {write}) "
               f"WITH CHECK ({SYSTEM} OR {write})")
    op.execute(f"CREATE POLICY {table}_delete ON {table} FOR DELETE USING ({SYSTEM} OR {write})")


def upgrade() -> None:
    op.create_table("firearm_multiple_sales",
    sa.Column("id", sa.String(length=80), nullable=False),
    sa.Column("report_id", sa.String(length=64), nullable=False),
    sa.Column("form", sa.String(length=16), nullable=False),
    sa.Column("dealer", sa.String(length=120), nullable=False),
    sa.Column("dealer_state", sa.String(length=2), nullable=False),
    sa.Column("purchaser", sa.String(length=200), nullable=False),
    sa.Column("purchaser_key", sa.String(length=200), nullable=False),
    sa.Column("report_date", sa.Date(), nullable=False),
    sa.Column("serials", sa.Text(), nullable=False),
    sa.Column("created_at", binational.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column("owner_country", sa.String(length=2), nullable=False),
    sa.Column("distribution", sa.String(length=16), nullable=False),
    sa.Column("marking", sa.String(length=32), nullable=False),
    sa.Column("marking_rank", sa.Integer(), nullable=False),
    sa.Column("owner_agency", sa.String(length=32), nullable=False),
    sa.Column("case_id", sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_firearm_multiple_sales_case_id_cases")),
    sa.ForeignKeyConstraint(["owner_agency"], ["agencies.code"], name=op.f("fk_firearm_multiple_sales_owner_agency_agencies")),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_firearm_multiple_sales"))
    )
    with op.batch_alter_table("firearm_multiple_sales", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_firearm_multiple_sales_case_id"), ["case_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_firearm_multiple_sales_owner_agency"), ["owner_agency"], unique=False)
        batch_op.create_index("ix_firearm_multiple_sales_purchaser", ["purchaser_key"], unique=False)

    op.create_table("firearm_recoveries",
    sa.Column("id", sa.String(length=80), nullable=False),
    sa.Column("recovery_id", sa.String(length=64), nullable=False),
    sa.Column("seizure", sa.String(length=120), nullable=False),
    sa.Column("place", sa.String(length=200), nullable=False),
    sa.Column("state", sa.String(length=64), nullable=False),
    sa.Column("recovered_on", sa.Date(), nullable=False),
    sa.Column("possessor", sa.String(length=200), nullable=False),
    sa.Column("manufacturer", sa.String(length=120), nullable=False),
    sa.Column("model", sa.String(length=120), nullable=False),
    sa.Column("caliber", sa.String(length=40), nullable=False),
    sa.Column("weapon_type", sa.String(length=40), nullable=False),
    sa.Column("serial", sa.String(length=64), nullable=False),
    sa.Column("obliterated", sa.Boolean(), nullable=False),
    sa.Column("restored", sa.String(length=120), nullable=False),
    sa.Column("flags", sa.String(length=120), nullable=False),
    sa.Column("created_at", binational.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column("owner_country", sa.String(length=2), nullable=False),
    sa.Column("distribution", sa.String(length=16), nullable=False),
    sa.Column("marking", sa.String(length=32), nullable=False),
    sa.Column("marking_rank", sa.Integer(), nullable=False),
    sa.Column("owner_agency", sa.String(length=32), nullable=False),
    sa.Column("case_id", sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_firearm_recoveries_case_id_cases")),
    sa.ForeignKeyConstraint(["owner_agency"], ["agencies.code"], name=op.f("fk_firearm_recoveries_owner_agency_agencies")),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_firearm_recoveries"))
    )
    with op.batch_alter_table("firearm_recoveries", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_firearm_recoveries_case_id"), ["case_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_firearm_recoveries_owner_agency"), ["owner_agency"], unique=False)

    op.create_table("firearm_sales",
    sa.Column("id", sa.String(length=80), nullable=False),
    sa.Column("record_id", sa.String(length=64), nullable=False),
    sa.Column("manufacturer", sa.String(length=120), nullable=False),
    sa.Column("importer", sa.String(length=120), nullable=False),
    sa.Column("wholesaler", sa.String(length=120), nullable=False),
    sa.Column("dealer", sa.String(length=120), nullable=False),
    sa.Column("dealer_state", sa.String(length=2), nullable=False),
    sa.Column("purchaser", sa.String(length=200), nullable=False),
    sa.Column("purchaser_key", sa.String(length=200), nullable=False),
    sa.Column("purchaser_entity_id", sa.String(length=200), nullable=True),
    sa.Column("sale_date", sa.Date(), nullable=False),
    sa.Column("model", sa.String(length=120), nullable=False),
    sa.Column("caliber", sa.String(length=40), nullable=False),
    sa.Column("weapon_type", sa.String(length=40), nullable=False),
    sa.Column("serial", sa.String(length=64), nullable=False),
    sa.Column("make_key", sa.String(length=120), nullable=False),
    sa.Column("serial_key", sa.String(length=64), nullable=False),
    sa.Column("flags", sa.String(length=120), nullable=False),
    sa.Column("created_at", binational.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column("owner_country", sa.String(length=2), nullable=False),
    sa.Column("distribution", sa.String(length=16), nullable=False),
    sa.Column("marking", sa.String(length=32), nullable=False),
    sa.Column("marking_rank", sa.Integer(), nullable=False),
    sa.Column("owner_agency", sa.String(length=32), nullable=False),
    sa.Column("case_id", sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_firearm_sales_case_id_cases")),
    sa.ForeignKeyConstraint(["owner_agency"], ["agencies.code"], name=op.f("fk_firearm_sales_owner_agency_agencies")),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_firearm_sales"))
    )
    with op.batch_alter_table("firearm_sales", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_firearm_sales_case_id"), ["case_id"], unique=False)
        batch_op.create_index("ix_firearm_sales_key", ["make_key", "serial_key"], unique=False)
        batch_op.create_index(batch_op.f("ix_firearm_sales_owner_agency"), ["owner_agency"], unique=False)
        batch_op.create_index("ix_firearm_sales_purchaser", ["purchaser_key"], unique=False)

    op.create_table("firearm_traces",
    sa.Column("id", sa.String(length=40), nullable=False),
    sa.Column("request_id", sa.String(length=40), nullable=False),
    sa.Column("marking", sa.String(length=32), nullable=False),
    sa.Column("priority", sa.String(length=8), nullable=False),
    sa.Column("crime_code", sa.String(length=16), nullable=False),
    sa.Column("officer", sa.String(length=200), nullable=False),
    sa.Column("ori", sa.String(length=16), nullable=False),
    sa.Column("possessor", sa.String(length=200), nullable=False),
    sa.Column("recovery_place", sa.String(length=200), nullable=False),
    sa.Column("recovery_state", sa.String(length=64), nullable=False),
    sa.Column("recovered_on", sa.Date(), nullable=False),
    sa.Column("manufacturer", sa.String(length=120), nullable=False),
    sa.Column("model", sa.String(length=120), nullable=False),
    sa.Column("caliber", sa.String(length=40), nullable=False),
    sa.Column("weapon_type", sa.String(length=40), nullable=False),
    sa.Column("serial", sa.String(length=64), nullable=False),
    sa.Column("obliterated", sa.Boolean(), nullable=False),
    sa.Column("importer", sa.String(length=120), nullable=False),
    sa.Column("country_of_origin", sa.String(length=64), nullable=False),
    sa.Column("flags", sa.String(length=120), nullable=False),
    sa.Column("status", sa.String(length=16), nullable=False),
    sa.Column("created_by", sa.Integer(), nullable=False),
    sa.Column("created_at", binational.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column("from_agency", sa.String(length=32), nullable=False),
    sa.Column("to_agency", sa.String(length=32), nullable=False),
    sa.Column("marking_rank", sa.Integer(), nullable=False),
    sa.Column("released_at", binational.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(["created_by"], ["users.id"], name=op.f("fk_firearm_traces_created_by_users")),
    sa.ForeignKeyConstraint(["request_id"], ["requests.id"], name=op.f("fk_firearm_traces_request_id_requests")),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_firearm_traces")),
    sa.UniqueConstraint("request_id", name=op.f("uq_firearm_traces_request_id"))
    )
    with op.batch_alter_table("firearm_traces", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_firearm_traces_from_agency"), ["from_agency"], unique=False)
        batch_op.create_index(batch_op.f("ix_firearm_traces_to_agency"), ["to_agency"], unique=False)

    op.create_table("firearm_trace_candidates",
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("trace_id", sa.String(length=40), nullable=False),
    sa.Column("sale_id", sa.String(length=80), nullable=False),
    sa.Column("rank", sa.Integer(), nullable=False),
    sa.Column("score", sa.Float(), nullable=False),
    sa.Column("reasons", sa.String(length=400), nullable=False),
    sa.Column("from_agency", sa.String(length=32), nullable=False),
    sa.Column("to_agency", sa.String(length=32), nullable=False),
    sa.Column("marking_rank", sa.Integer(), nullable=False),
    sa.Column("released_at", binational.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(["sale_id"], ["firearm_sales.id"], name=op.f("fk_firearm_trace_candidates_sale_id_firearm_sales")),
    sa.ForeignKeyConstraint(["trace_id"], ["firearm_traces.id"], name=op.f("fk_firearm_trace_candidates_trace_id_firearm_traces")),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_firearm_trace_candidates"))
    )
    with op.batch_alter_table("firearm_trace_candidates", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_firearm_trace_candidates_from_agency"), ["from_agency"], unique=False)
        batch_op.create_index(batch_op.f("ix_firearm_trace_candidates_to_agency"), ["to_agency"], unique=False)
        batch_op.create_index(batch_op.f("ix_firearm_trace_candidates_trace_id"), ["trace_id"], unique=False)

    op.create_table("firearm_trace_results",
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("trace_id", sa.String(length=40), nullable=False),
    sa.Column("sale_id", sa.String(length=80), nullable=False),
    sa.Column("how", sa.String(length=16), nullable=False),
    sa.Column("manufacturer", sa.String(length=120), nullable=False),
    sa.Column("importer", sa.String(length=120), nullable=False),
    sa.Column("wholesaler", sa.String(length=120), nullable=False),
    sa.Column("dealer", sa.String(length=120), nullable=False),
    sa.Column("dealer_state", sa.String(length=2), nullable=False),
    sa.Column("purchaser", sa.String(length=200), nullable=False),
    sa.Column("sale_date", sa.Date(), nullable=False),
    sa.Column("ttc_days", sa.Integer(), nullable=False),
    sa.Column("entity_ids", sa.Text(), nullable=False),
    sa.Column("confirmed_by", sa.Integer(), nullable=False),
    sa.Column("created_at", binational.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column("from_agency", sa.String(length=32), nullable=False),
    sa.Column("to_agency", sa.String(length=32), nullable=False),
    sa.Column("marking_rank", sa.Integer(), nullable=False),
    sa.Column("released_at", binational.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(["confirmed_by"], ["users.id"], name=op.f("fk_firearm_trace_results_confirmed_by_users")),
    sa.ForeignKeyConstraint(["sale_id"], ["firearm_sales.id"], name=op.f("fk_firearm_trace_results_sale_id_firearm_sales")),
    sa.ForeignKeyConstraint(["trace_id"], ["firearm_traces.id"], name=op.f("fk_firearm_trace_results_trace_id_firearm_traces")),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_firearm_trace_results")),
    sa.UniqueConstraint("trace_id", name=op.f("uq_firearm_trace_results_trace_id"))
    )
    with op.batch_alter_table("firearm_trace_results", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_firearm_trace_results_from_agency"), ["from_agency"], unique=False)
        batch_op.create_index(batch_op.f("ix_firearm_trace_results_to_agency"), ["to_agency"], unique=False)

    if op.get_bind().dialect.name == "postgresql":
        for table, (read, write) in RULES.items():
            _secure(table, read, write)
        role = context.config.attributes.get("app_role", "binational_app")
        for sequence in ("firearm_trace_candidates_id_seq", "firearm_trace_results_id_seq"):
            op.execute(f'GRANT USAGE, SELECT ON SEQUENCE {sequence} TO "{role}"')


def downgrade() -> None:
    with op.batch_alter_table("firearm_trace_results", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_firearm_trace_results_to_agency"))
        batch_op.drop_index(batch_op.f("ix_firearm_trace_results_from_agency"))

    op.drop_table("firearm_trace_results")
    with op.batch_alter_table("firearm_trace_candidates", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_firearm_trace_candidates_trace_id"))
        batch_op.drop_index(batch_op.f("ix_firearm_trace_candidates_to_agency"))
        batch_op.drop_index(batch_op.f("ix_firearm_trace_candidates_from_agency"))

    op.drop_table("firearm_trace_candidates")
    with op.batch_alter_table("firearm_traces", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_firearm_traces_to_agency"))
        batch_op.drop_index(batch_op.f("ix_firearm_traces_from_agency"))

    op.drop_table("firearm_traces")
    with op.batch_alter_table("firearm_sales", schema=None) as batch_op:
        batch_op.drop_index("ix_firearm_sales_purchaser")
        batch_op.drop_index(batch_op.f("ix_firearm_sales_owner_agency"))
        batch_op.drop_index("ix_firearm_sales_key")
        batch_op.drop_index(batch_op.f("ix_firearm_sales_case_id"))

    op.drop_table("firearm_sales")
    with op.batch_alter_table("firearm_recoveries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_firearm_recoveries_owner_agency"))
        batch_op.drop_index(batch_op.f("ix_firearm_recoveries_case_id"))

    op.drop_table("firearm_recoveries")
    with op.batch_alter_table("firearm_multiple_sales", schema=None) as batch_op:
        batch_op.drop_index("ix_firearm_multiple_sales_purchaser")
        batch_op.drop_index(batch_op.f("ix_firearm_multiple_sales_owner_agency"))
        batch_op.drop_index(batch_op.f("ix_firearm_multiple_sales_case_id"))

    op.drop_table("firearm_multiple_sales")

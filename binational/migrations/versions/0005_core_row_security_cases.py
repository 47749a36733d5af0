"""PostgreSQL backstops, completed: restricted cases in the entity rule; row-level security on
`cases` and `releases` (the other tables with an `owner_agency`)

Revision ID: core_rls_cases
Revises: 0002
"""

from alembic import op

revision = "core_rls_cases"
down_revision = "0002"
branch_labels = None
depends_on = None

SYSTEM = "current_setting('binational.system', true) = 'on'"
AGENCY = "current_setting('binational.agency', true)"
CLEARANCE = "coalesce(nullif(current_setting('binational.clearance', true), ''), '-1')::int"
# binational.cases: the viewer's case ids, comma-separated (binational.db.set_context)
IN_CASE = "(case_id IS NULL OR case_id = ANY(string_to_array(current_setting('binational.cases', true), ',')))"

# The rule of 0002, plus need to know: a row filed under a case is for the case's members only.
ENTITY_RULE = f"""
  {SYSTEM}
  OR (
    marking_rank <= {CLEARANCE}
    AND {IN_CASE}
    AND (
      owner_agency = {AGENCY}
      OR (distribution = 'national' AND owner_country = current_setting('binational.country', true))
      OR (distribution <> 'agency' AND EXISTS (
            SELECT 1 FROM releases r
            WHERE r.to_agency = {AGENCY} AND r.revoked_at IS NULL
              AND (r.until IS NULL OR r.until > now())
              AND (r.entity_id = entities.id OR (entities.case_id IS NOT NULL AND r.case_id = entities.case_id))))
    )
  )
"""
OWNER = f"{SYSTEM} OR owner_agency = {AGENCY}"
# A release is seen by the agency that made it and the agency it names (the entity rule reads it).
RELEASE_READ = f"{SYSTEM} OR owner_agency = {AGENCY} OR to_agency = {AGENCY}"


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP POLICY entities_read ON entities")
    op.execute(f"CREATE POLICY entities_read ON entities FOR SELECT USING ({ENTITY_RULE})")
    for table, read in (("cases", OWNER), ("releases", RELEASE_READ)):
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
        op.execute(f"CREATE POLICY {table}_read ON {table} FOR SELECT USING ({read})")
        op.execute(f"CREATE POLICY {table}_insert ON {table} FOR INSERT WITH CHECK ({OWNER})")
        op.execute(f"CREATE POLICY {table}_update ON {table} FOR UPDATE USING ({OWNER}) WITH CHECK ({OWNER})")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in ("cases", "releases"):
        op.execute(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")
        for kind in ("read", "insert", "update"):
            op.execute(f"DROP POLICY IF EXISTS {table}_{kind} ON {table}")
    op.execute("DROP POLICY entities_read ON entities")
    op.execute(f"CREATE POLICY entities_read ON entities FOR SELECT USING ({ENTITY_RULE.replace(f'AND {IN_CASE}', '')})")

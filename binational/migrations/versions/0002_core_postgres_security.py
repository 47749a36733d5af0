"""PostgreSQL backstops: the application role, forced row-level security, an insert-only audit log

Revision ID: 0002
Revises: 0001
"""

from alembic import context, op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

AUDIT_TABLES = ("audit_entries", "audit_object_refs", "audit_checkpoints")

# The coarse rule of docs/access.md (agency, country, release, clearance), read from the
# transaction's context (binational.db.set_context). System jobs set binational.system = on.
ENTITY_RULE = """
  current_setting('binational.system', true) = 'on'
  OR (
    marking_rank <= coalesce(nullif(current_setting('binational.clearance', true), ''), '-1')::int
    AND (
      owner_agency = current_setting('binational.agency', true)
      OR (distribution = 'national' AND owner_country = current_setting('binational.country', true))
      OR (distribution <> 'agency' AND EXISTS (
            SELECT 1 FROM releases r
            WHERE r.to_agency = current_setting('binational.agency', true) AND r.revoked_at IS NULL
              AND (r.until IS NULL OR r.until > now())
              AND (r.entity_id = entities.id OR (entities.case_id IS NOT NULL AND r.case_id = entities.case_id))))
    )
  )
"""
OWNER_WRITES = "current_setting('binational.system', true) = 'on' OR owner_agency = current_setting('binational.agency', true)"


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    role = context.config.attributes.get("app_role", "binational_app")
    op.execute(
        f"DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{role}') THEN "
        f"CREATE ROLE \"{role}\" NOLOGIN NOBYPASSRLS; END IF; END $$"
    )
    op.execute(f'GRANT USAGE ON SCHEMA public TO "{role}"')
    op.execute(f'GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO "{role}"')
    op.execute(f'GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO "{role}"')
    for table in AUDIT_TABLES:
        op.execute(f'REVOKE UPDATE, DELETE, TRUNCATE ON {table} FROM "{role}"')
    op.execute(
        "CREATE FUNCTION binational_audit_insert_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
        "BEGIN RAISE EXCEPTION 'the audit log is insert-only'; END $$"
    )
    for table in AUDIT_TABLES:
        op.execute(
            f"CREATE TRIGGER {table}_insert_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION binational_audit_insert_only()"
        )
        op.execute(
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION binational_audit_insert_only()"
        )
    op.execute("ALTER TABLE entities ENABLE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE entities FORCE ROW LEVEL SECURITY")
    op.execute(f"CREATE POLICY entities_read ON entities FOR SELECT USING ({ENTITY_RULE})")
    op.execute(f"CREATE POLICY entities_insert ON entities FOR INSERT WITH CHECK ({OWNER_WRITES})")
    op.execute(f"CREATE POLICY entities_update ON entities FOR UPDATE USING ({OWNER_WRITES}) WITH CHECK ({OWNER_WRITES})")
    for table in ("statements", "search_terms"):
        parent = "EXISTS (SELECT 1 FROM entities e WHERE e.id = entity_id)"
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
        if table == "statements":
            read = (f"current_setting('binational.system', true) = 'on' OR ({parent} AND marking_rank <= "
                    "coalesce(nullif(current_setting('binational.clearance', true), ''), '-1')::int AND "
                    "(distribution <> 'agency' OR owner_agency = current_setting('binational.agency', true)))")
            writes = OWNER_WRITES
        else:
            read = f"current_setting('binational.system', true) = 'on' OR {parent}"
            writes = ("current_setting('binational.system', true) = 'on' OR EXISTS (SELECT 1 FROM entities e "
                      "WHERE e.id = entity_id AND e.owner_agency = current_setting('binational.agency', true))")
        op.execute(f"CREATE POLICY {table}_read ON {table} FOR SELECT USING ({read})")
        op.execute(f"CREATE POLICY {table}_insert ON {table} FOR INSERT WITH CHECK ({writes})")
        op.execute(f"CREATE POLICY {table}_update ON {table} FOR UPDATE USING ({writes}) WITH CHECK ({writes})")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in ("entities", "statements", "search_terms"):
        op.execute(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")
        for kind in ("read", "insert", "update"):
            op.execute(f"DROP POLICY IF EXISTS {table}_{kind} ON {table}")
    for table in AUDIT_TABLES:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_insert_only ON {table}")
        op.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
    op.execute("DROP FUNCTION IF EXISTS binational_audit_insert_only()")

"""PostgreSQL backstop, closed: the request path logs in as the application role, the system context
is a per-transaction proof only the node process can make, row-level security on every table, and a
guarded head of the audit log

- The application role (`db_app_role`) can log in; the node's sessions log in as it (not as the
  database owner), so `RESET ROLE` or `SET ROLE` leads nowhere.
- `binational.system = 'on'` no longer lifts row-level security: every policy asks
  `binational_system_on()` instead, a SECURITY DEFINER function of the database owner that holds
  only when `binational.system` is the SHA-256 of a key (table `binational_system_key`, which only the
  owner reads; `binational init` writes the node's `Settings.subkey("db-system")` there) and of this
  connection's backend and transaction (`binational_system_nonce()`). SQL on the request path can set
  the setting, but cannot compute its value.
- Each table in `RULES` gets forced row-level security with a read rule and a write rule. A table
  added later (web sessions, rate limits...) is secured by adding it to `RULES` (or calling `secure`).
- `audit_head` moves only forward, extending its frontier, and cannot be deleted or truncated; it
  carries a seal (its own signature, over its size, root and number of checkpoints).

Revision ID: backstop_system_role
Revises: discovery_limits
"""

import re

import sqlalchemy as sa
from alembic import context, op

revision = "backstop_system_role"
down_revision = "discovery_limits"
branch_labels = None
depends_on = None

SYSTEM = "(SELECT binational_system_on())"
#: entries about other agencies' records that a search matched: shown to those records' owners only
#: (as audit.service.HOLDERS_ONLY), never to the searching agency
HOLDERS_ONLY_SQL = "('discovery.hit', 'discovery.withheld', 'discovery.sweep')"
AGENCY = "(SELECT current_setting('binational.agency', true))"
#: a viewer is named (an agency), as opposed to a session that has named none (fail closed)
NAMED = f"coalesce({AGENCY}, '') <> ''"
NOBODY = "false"

#: table -> (who may read, who may insert, update or delete), beside the system. The rules follow
#: access/policy.py as the services apply it; the services still decide first.
RULES: dict[str, tuple[str, str]] = {
    # agencies and countries are the node's directory: any named viewer reads it; the node writes
    # it (after the policy decided who may register an agency)
    "countries": (NAMED, NOBODY),
    "agencies": (NAMED, NOBODY),
    # users and their tokens: one's own agency's are read; written by the node only, after the policy
    # decided (clearance, second approval, tokens by their own user), so SQL on the request path cannot
    # raise a clearance or mint a token
    "users": (f"agency = {AGENCY}", NOBODY),
    "api_tokens": ("EXISTS (SELECT 1 FROM users u WHERE u.id = user_id)", NOBODY),
    # a case's members: of a case the viewer's agency owns, or users of its own agency
    "case_members": ("EXISTS (SELECT 1 FROM cases c WHERE c.id = case_id) "
                     "OR EXISTS (SELECT 1 FROM users u WHERE u.id = user_id)",
                     "EXISTS (SELECT 1 FROM cases c WHERE c.id = case_id)"),
    # suggestions as resolution shows them: touching a record the viewer may see (the entities rule
    # applies inside); runs are node-wide facts; both are written by the system only
    "resolution_suggestions": ("EXISTS (SELECT 1 FROM entities e WHERE e.id = left_id OR e.id = right_id)", NOBODY),
    "resolution_runs": (NAMED, NOBODY),
    # the audit log as the audit service shows it: the agency's own entries and those naming its
    # records; appended by the system only; the head and checkpoints are public facts of the log
    "audit_entries": (f"(actor_agency = {AGENCY} AND action NOT IN {HOLDERS_ONLY_SQL}) OR EXISTS (SELECT 1 FROM audit_object_refs r "
                      f"WHERE r.seq = audit_entries.seq AND r.object_agency = {AGENCY})", NOBODY),
    # (a reference to another agency's object adds nothing the service shows: see audit.service._view)
    "audit_object_refs": (f"object_agency = {AGENCY}", NOBODY),
    "audit_head": (NAMED, NOBODY),
    "audit_checkpoints": (NAMED, NOBODY),
}

SYSTEM_ON = """
CREATE FUNCTION binational_system_nonce() RETURNS text LANGUAGE sql STABLE AS $$
  SELECT pg_backend_pid()::text || ':' || (extract(epoch FROM transaction_timestamp()) * 1000000)::bigint::text
$$;
CREATE FUNCTION binational_system_on() RETURNS boolean LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp AS $$
  SELECT coalesce((
    SELECT current_setting('binational.system', true)
           = encode(sha256(k.key || convert_to(public.binational_system_nonce(), 'UTF8')), 'hex')
    FROM public.binational_system_key k WHERE k.id = 1), false)
$$;
"""

# Only an append moves the head: forward, with a frontier that fits its size and keeps the subtrees
# it had. Cutting the log back needs the owner's hand on the triggers; `audit verify` and the head's
# seal are the next line, witnesses the one after.
HEAD_GUARD = """
CREATE FUNCTION binational_audit_head_guard() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  high integer := 31;
  kept integer;
BEGIN
  IF TG_OP IN ('DELETE', 'TRUNCATE') THEN
    RAISE EXCEPTION 'the audit log''s head cannot be removed';
  END IF;
  IF NEW.id <> 1 THEN
    RAISE EXCEPTION 'the audit log has one head';
  END IF;
  IF length(NEW.frontier) <> 32 * length(replace(NEW.size::bit(32)::text, '0', '')) THEN
    RAISE EXCEPTION 'the audit log''s frontier does not fit its size %', NEW.size;
  END IF;
  IF TG_OP = 'INSERT' THEN
    IF NEW.size <> 0 THEN
      RAISE EXCEPTION 'the audit log''s head starts empty';
    END IF;
    RETURN NEW;
  END IF;
  IF NEW.size < OLD.size THEN
    RAISE EXCEPTION 'the audit log''s head cannot move back (from % to %)', OLD.size, NEW.size;
  END IF;
  IF NEW.size = OLD.size THEN
    IF NEW.frontier <> OLD.frontier OR NEW.root <> OLD.root THEN
      RAISE EXCEPTION 'the audit log''s head cannot change without growing';
    END IF;
    RETURN NEW;
  END IF;
  -- An append keeps the perfect subtrees above the highest bit in which the sizes differ.
  WHILE ((OLD.size # NEW.size) >> high) & 1 = 0 LOOP
    high := high - 1;
  END LOOP;
  kept := length(replace((OLD.size >> (high + 1))::bit(32)::text, '0', ''));
  IF substring(NEW.frontier FROM 1 FOR 32 * kept) <> substring(OLD.frontier FROM 1 FOR 32 * kept) THEN
    RAISE EXCEPTION 'the audit log''s frontier does not extend the one before it';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER audit_head_guard BEFORE INSERT OR UPDATE OR DELETE ON audit_head
  FOR EACH ROW EXECUTE FUNCTION binational_audit_head_guard();
CREATE TRIGGER audit_head_no_truncate BEFORE TRUNCATE ON audit_head
  FOR EACH STATEMENT EXECUTE FUNCTION binational_audit_head_guard();
"""

# How the policies of earlier migrations spell the old system context, as PostgreSQL prints them.
OLD_SYSTEM = re.compile(
    r"\(\s*SELECT current_setting\('binational\.system'::text, true\) AS current_setting\) = 'on'::text"
    r"|current_setting\('binational\.system'::text, true\) = 'on'::text"
)


def secure(table: str, read: str, write: str) -> None:
    """Force row-level security on `table`: the system, or a viewer its rules allow."""
    role = context.config.attributes.get("app_role", "binational_app")
    op.execute(f'GRANT SELECT, INSERT, UPDATE, DELETE ON {table} TO "{role}"')
    op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
    op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
    for name in ("read", "insert", "update", "delete"):
        op.execute(f"DROP POLICY IF EXISTS {table}_{name} ON {table}")
    op.execute(f"CREATE POLICY {table}_read ON {table} FOR SELECT USING ({SYSTEM} OR {read})")
    op.execute(f"CREATE POLICY {table}_insert ON {table} FOR INSERT WITH CHECK ({SYSTEM} OR {write})")
    op.execute(f"CREATE POLICY {table}_update ON {table} FOR UPDATE USING ({SYSTEM} OR {write}) "
               f"WITH CHECK ({SYSTEM} OR {write})")
    op.execute(f"CREATE POLICY {table}_delete ON {table} FOR DELETE USING ({SYSTEM} OR {write})")


def upgrade() -> None:
    # The head's seal: its own signature, which no checkpoint's can stand in for (audit.verify).
    with op.batch_alter_table("audit_head") as batch:
        batch.add_column(sa.Column("seal", sa.LargeBinary(64), nullable=True))
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    role = context.config.attributes.get("app_role", "binational_app")
    # The request path logs in as the application role itself: no membership to fall back on.
    op.execute(f'ALTER ROLE "{role}" LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE')
    op.execute("CREATE TABLE binational_system_key (id integer PRIMARY KEY CHECK (id = 1), key bytea NOT NULL)")
    op.execute(f'REVOKE ALL ON binational_system_key FROM PUBLIC, "{role}"')
    op.execute(SYSTEM_ON)
    op.execute("REVOKE ALL ON FUNCTION binational_system_on() FROM PUBLIC")
    op.execute(f'GRANT EXECUTE ON FUNCTION binational_system_on() TO "{role}"')
    # Every policy written so far trusted the setting itself: ask the function instead.
    for table, name, qual, check in bind.exec_driver_sql(
            "SELECT tablename, policyname, qual, with_check FROM pg_policies WHERE schemaname = 'public'").all():
        parts = []
        if qual and OLD_SYSTEM.search(qual):
            parts.append(f"USING ({OLD_SYSTEM.sub(SYSTEM, qual)})")
        if check and OLD_SYSTEM.search(check):
            parts.append(f"WITH CHECK ({OLD_SYSTEM.sub(SYSTEM, check)})")
        if parts:
            op.execute(f'ALTER POLICY "{name}" ON {table} ' + " ".join(parts))
    for table, (read, write) in RULES.items():
        secure(table, read, write)
    # The application appends to the log as the system (its policies above), never rewrites it.
    for table in ("audit_entries", "audit_object_refs", "audit_checkpoints"):
        op.execute(f'REVOKE UPDATE, DELETE, TRUNCATE ON {table} FROM "{role}"')
    op.execute(f'REVOKE DELETE, TRUNCATE ON audit_head FROM "{role}"')
    op.execute(HEAD_GUARD)


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        with op.batch_alter_table("audit_head") as batch:
            batch.drop_column("seal")
        return
    op.execute("DROP TRIGGER audit_head_guard ON audit_head")
    op.execute("DROP TRIGGER audit_head_no_truncate ON audit_head")
    op.execute("DROP FUNCTION binational_audit_head_guard()")
    for table in RULES:
        op.execute(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY")
        for name in ("read", "insert", "update", "delete"):
            op.execute(f"DROP POLICY IF EXISTS {table}_{name} ON {table}")
    old = "current_setting('binational.system', true) = 'on'"
    for table, name, qual, check in bind.exec_driver_sql(
            "SELECT tablename, policyname, qual, with_check FROM pg_policies WHERE schemaname = 'public'").all():
        parts = []
        if qual and "binational_system_on()" in qual:
            parts.append(f"USING ({qual.replace('( SELECT binational_system_on() AS binational_system_on)', old)})")
        if check and "binational_system_on()" in check:
            parts.append(f"WITH CHECK ({check.replace('( SELECT binational_system_on() AS binational_system_on)', old)})")
        if parts:
            op.execute(f'ALTER POLICY "{name}" ON {table} ' + " ".join(parts))
    op.execute("DROP FUNCTION binational_system_on()")
    op.execute("DROP FUNCTION binational_system_nonce()")
    op.execute("DROP TABLE binational_system_key")
    op.drop_column("audit_head", "seal")

"""Search terms carry their statement's and their entity's policy columns

A prefix search used to join every candidate term to its statement (is it live, may the viewer see
it?) and, under row-level security, probe the term's entity once per candidate, then its statement's
entity again: about 16 ms of a 25 ms search for a common prefix on the large benchmark. The term now
holds copies of those columns; its read rule decides on the row itself (releases are still looked up);
the prefix index includes them, for an index-only scan; and removing a value deletes its terms
instead of leaving them to be joined away.

Revision ID: core_search_term_policy
Revises: core_audit_queue
"""

import sqlalchemy as sa
from alembic import op

revision = "core_search_term_policy"
down_revision = "core_audit_queue"
branch_labels = None
depends_on = None

COLUMNS = {
    "owner_agency": sa.String(32), "distribution": sa.String(16), "marking_rank": sa.Integer(),
    "entity_owner_agency": sa.String(32), "entity_owner_country": sa.String(2),
    "entity_distribution": sa.String(16), "case_id": sa.String(64),
}

SYSTEM = "(SELECT current_setting('binational.system', true)) = 'on'"
AGENCY = "(SELECT current_setting('binational.agency', true))"
CLEARANCE = "(SELECT coalesce(nullif(current_setting('binational.clearance', true), ''), '-1')::int)"
CASES = "(SELECT string_to_array(current_setting('binational.cases', true), ','))::text[]"
# The entity rule of core_rls_initplans over the copied columns, and the statement rule.
READ = f"""
  {SYSTEM}
  OR (
    marking_rank <= {CLEARANCE}
    AND (distribution <> 'agency' OR owner_agency = {AGENCY})
    AND (case_id IS NULL OR case_id = ANY({CASES}))
    AND (
      entity_owner_agency = {AGENCY}
      OR (entity_distribution = 'national' AND entity_owner_country = (SELECT current_setting('binational.country', true)))
      OR (entity_distribution <> 'agency' AND EXISTS (
            SELECT 1 FROM releases r
            WHERE r.to_agency = {AGENCY} AND r.revoked_at IS NULL AND (r.until IS NULL OR r.until > now())
              AND (r.entity_id = search_terms.entity_id
                   OR (search_terms.case_id IS NOT NULL AND r.case_id = search_terms.case_id))))
    )
  )
"""
OLD_READ = f"{SYSTEM} OR EXISTS (SELECT 1 FROM entities e WHERE e.id = entity_id)"
# Who may write a term: the system, or the agency owning its entity (as for inserts and updates).
WRITES = ("current_setting('binational.system', true) = 'on' OR EXISTS (SELECT 1 FROM entities e "
          "WHERE e.id = entity_id AND e.owner_agency = current_setting('binational.agency', true))")


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    with op.batch_alter_table("search_terms") as batch:
        for name, kind in COLUMNS.items():
            batch.add_column(sa.Column(name, kind, nullable=True))
    if postgres:  # the owner of a table with forced row-level security is subject to it too
        op.execute("SELECT set_config('binational.system', 'on', true)")
    op.execute("DELETE FROM search_terms WHERE statement_id IN (SELECT id FROM statements WHERE deleted_at IS NOT NULL)")
    op.execute("""
        UPDATE search_terms SET owner_agency = s.owner_agency, distribution = s.distribution,
            marking_rank = CASE WHEN s.marking_rank > e.marking_rank THEN s.marking_rank ELSE e.marking_rank END,
            entity_owner_agency = e.owner_agency,
            entity_owner_country = e.owner_country, entity_distribution = e.distribution, case_id = e.case_id
        FROM statements s, entities e
        WHERE s.id = search_terms.statement_id AND e.id = search_terms.entity_id
    """)
    with op.batch_alter_table("search_terms") as batch:
        for name in COLUMNS:
            if name != "case_id":
                batch.alter_column(name, existing_type=COLUMNS[name], nullable=False)
    if postgres:
        # The prefix index includes the policy columns: a search decides on the index alone.
        op.drop_index("ix_search_terms_term", "search_terms")
        op.create_index("ix_search_terms_term", "search_terms", ["term", "entity_id"],
                        postgresql_ops={"term": "text_pattern_ops"}, postgresql_include=list(COLUMNS))
        # The default sample misjudged rare prefixes by 60 times (5,534 rows expected, 91 found) and
        # the planner then walked every entity in id order instead of looking the terms up.
        op.execute("ALTER TABLE search_terms ALTER COLUMN term SET STATISTICS 1000")
        op.execute("DROP POLICY search_terms_read ON search_terms")
        op.execute(f"CREATE POLICY search_terms_read ON search_terms FOR SELECT USING ({READ})")
        op.execute(f"CREATE POLICY search_terms_delete ON search_terms FOR DELETE USING ({WRITES})")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index("ix_search_terms_term", "search_terms")
        op.create_index("ix_search_terms_term", "search_terms", ["term", "entity_id"],
                        postgresql_ops={"term": "text_pattern_ops"})
        op.execute("ALTER TABLE search_terms ALTER COLUMN term SET STATISTICS -1")
        op.execute("DROP POLICY search_terms_delete ON search_terms")
        op.execute("DROP POLICY search_terms_read ON search_terms")
        op.execute(f"CREATE POLICY search_terms_read ON search_terms FOR SELECT USING ({OLD_READ})")
    with op.batch_alter_table("search_terms") as batch:
        for name in COLUMNS:
            batch.drop_column(name)

"""PostgreSQL backstops, cheaper per row: the read rules of entities, statements and search terms
read the viewer's context once per query, not once per row

`current_setting()` in a policy is a function call for every row (and, for a statement or a search
term, for every parent entity probed). Wrapped in a scalar subquery it becomes an InitPlan, evaluated
once per query; the settings cannot change during a statement, so the rule is the same.

Revision ID: core_rls_initplans
Revises: core_rls_cases
"""

from alembic import op

revision = "core_rls_initplans"
down_revision = "core_rls_cases"
branch_labels = None
depends_on = None


def _rules(once: bool) -> dict[str, str]:
    """The read rules of core_rls_cases and 0002, with each setting read once per query or per row."""

    def setting(name: str) -> str:
        read = f"current_setting('binational.{name}', true)"
        return f"(SELECT {read})" if once else read

    system = f"{setting('system')} = 'on'"
    agency = setting("agency")
    clearance = (
        "(SELECT coalesce(nullif(current_setting('binational.clearance', true), ''), '-1')::int)"
        if once else "coalesce(nullif(current_setting('binational.clearance', true), ''), '-1')::int"
    )
    cases = "string_to_array(current_setting('binational.cases', true), ',')"
    in_case = f"(case_id IS NULL OR case_id = ANY({f'(SELECT {cases})::text[]' if once else cases}))"
    entity = f"""
      {system}
      OR (
        marking_rank <= {clearance}
        AND {in_case}
        AND (
          owner_agency = {agency}
          OR (distribution = 'national' AND owner_country = {setting('country')})
          OR (distribution <> 'agency' AND EXISTS (
                SELECT 1 FROM releases r
                WHERE r.to_agency = {agency} AND r.revoked_at IS NULL
                  AND (r.until IS NULL OR r.until > now())
                  AND (r.entity_id = entities.id OR (entities.case_id IS NOT NULL AND r.case_id = entities.case_id))))
        )
      )
    """
    parent = "EXISTS (SELECT 1 FROM entities e WHERE e.id = entity_id)"
    return {
        "entities": entity,
        "statements": f"{system} OR ({parent} AND marking_rank <= {clearance} AND "
                      f"(distribution <> 'agency' OR owner_agency = {agency}))",
        "search_terms": f"{system} OR {parent}",
    }


def _apply(once: bool) -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, rule in _rules(once).items():
        op.execute(f"DROP POLICY {table}_read ON {table}")
        op.execute(f"CREATE POLICY {table}_read ON {table} FOR SELECT USING ({rule})")


def upgrade() -> None:
    _apply(once=True)


def downgrade() -> None:
    _apply(once=False)

"""Flows: a series is its agency's key at one marking

The unique key of `flow_series` was (owner_agency, key): a colleague below the marking of an agency's
series could not import a series of the same key, and the refusal told them it existed. It is now
(owner_agency, marking_rank, key): an import writes the series of the marking it is imported at, and a
series above the importer's clearance is neither read nor touched.

Revision ID: flow_series_by_marking
Revises: trade_selection_draws
"""

from alembic import op

revision = "flow_series_by_marking"
down_revision = "trade_selection_draws"
branch_labels = None
depends_on = None


OLD = ("uq_flow_series_owner_key", ["owner_agency", "key"])
NEW = ("uq_flow_series_owner_rank_key", ["owner_agency", "marking_rank", "key"])


def _swap(drop: tuple[str, list[str]], create: tuple[str, list[str]]) -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.drop_constraint(drop[0], "flow_series", type_="unique")
        op.create_unique_constraint(create[0], "flow_series", create[1])
        return
    # SQLite drops no constraint: the table is made again under its new constraint. Foreign keys are on
    # and cannot be turned off inside the migration's transaction, so their checks wait for the commit
    # (defer_foreign_keys): the rows are kept aside, the table dropped (the values' references to it
    # count as broken) and created again, and the rows put back (which mends those references).
    conn = op.get_bind()
    sql = conn.exec_driver_sql("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'flow_series'").scalar()
    indexes = [row[0] for row in conn.exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'flow_series' AND sql IS NOT NULL")]
    old_clause = f'CONSTRAINT {drop[0]} UNIQUE ({", ".join(_quoted(c) for c in drop[1])})'
    new_clause = f'CONSTRAINT {create[0]} UNIQUE ({", ".join(_quoted(c) for c in create[1])})'
    if old_clause not in sql:
        raise RuntimeError(f"flow_series has no {drop[0]} as expected")
    op.execute("PRAGMA defer_foreign_keys = ON")
    op.execute("CREATE TEMPORARY TABLE flow_series_kept AS SELECT * FROM flow_series")
    op.execute("DROP TABLE flow_series")
    op.execute(sql.replace(old_clause, new_clause))
    op.execute("INSERT INTO flow_series SELECT * FROM flow_series_kept")
    op.execute("DROP TABLE flow_series_kept")
    for index in indexes:
        op.execute(index)


def _quoted(column: str) -> str:
    return '"key"' if column == "key" else column


def upgrade() -> None:
    _swap(OLD, NEW)


def downgrade() -> None:
    _swap(NEW, OLD)

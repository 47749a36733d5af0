"""The node's search words read in order of arrival, for the word index each process keeps in memory

`binational_search_words_since(after)` returns the words of `search_words` from id `after` on, in
id order (SECURITY DEFINER, refusing unless the caller is in the system context, as
`binational_similar_words()` does): a process reads the whole table once, then only what arrived
since. Words carry no record or agency; the application role still has no privilege on the table.

Revision ID: search_words_since
Revises: resolution_background_runs
"""

from alembic import context, op

revision = "search_words_since"
down_revision = "resolution_background_runs"
branch_labels = None
depends_on = None

FUNCTION = """
CREATE FUNCTION binational_search_words_since(after integer)
RETURNS TABLE (id integer, word text) LANGUAGE plpgsql STABLE
SECURITY DEFINER SET search_path = public, pg_catalog AS $$
BEGIN
  IF NOT binational_system_on() THEN
    RAISE EXCEPTION 'binational_search_words_since is for the system context only' USING ERRCODE = '42501';
  END IF;
  RETURN QUERY SELECT w.id, w.word::text FROM search_words w WHERE w.id >= after ORDER BY w.id;
END $$"""


def upgrade() -> None:
    """Create the function (PostgreSQL; SQLite reads the table itself)."""
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(FUNCTION)
    op.execute("REVOKE ALL ON FUNCTION binational_search_words_since(integer) FROM PUBLIC")
    role = context.config.attributes.get("app_role", "binational_app")
    op.execute(f'GRANT EXECUTE ON FUNCTION binational_search_words_since(integer) TO "{role}"')


def downgrade() -> None:
    """Drop it."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION binational_search_words_since(integer)")

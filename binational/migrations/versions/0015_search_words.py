"""The words of the search index, each once, for fuzzy search: SQLite FTS5 (trigram), PostgreSQL pg_trgm;
saved searches, the records they answered with, and notices of new ones

`search_words` holds every distinct term ever written to `search_terms` (a name word or the compact
form of an identifier), without any record, agency or policy: it answers only "which indexed words
look like this one". A search finds such words first, as the system, then matches the viewer's own
visible `search_terms` rows by equality, so only values the viewer may see make a record match.

A trigger on `search_terms` adds the words of every insert (the write path, imports, COPY), so the
index stays current. On SQLite an FTS5 table with the trigram tokenizer indexes the words; on
PostgreSQL a GIN index with `gin_trgm_ops`, read through `binational_similar_words()`.

On PostgreSQL the application role has no privilege on `search_words`; row-level security is
enabled but not forced, since the trigram operator is not leakproof and a forced policy would keep
it from the index (a sequential scan of every word). The table's owner reads it only through two
SECURITY DEFINER functions: the trigger's, which only inserts, and `binational_similar_words()`,
which refuses unless the caller is in the system context.

`saved_searches` are a user's kept searches, `saved_search_matches` the records each has answered
with (so that a later check tells only new ones); a notice of a new one is a row of `notifications`
naming the record and the saved search instead of a request. Row-level security: an agency's own
saved searches, and the matches of those; written by the node only, after the policy decided.

Revision ID: search_words
Revises: networks_reference_index
"""

import sqlalchemy as sa
from alembic import context, op

import binational.db

revision = "search_words"
down_revision = "networks_reference_index"
branch_labels = None
depends_on = None

SYSTEM = "(SELECT binational_system_on())"

SQLITE = [
    "CREATE VIRTUAL TABLE search_words_fts USING fts5(word, content='search_words', content_rowid='id', "
    "tokenize='trigram')",
    # An ignored duplicate fires no trigger: each word enters the FTS index once.
    "CREATE TRIGGER search_words_from_terms AFTER INSERT ON search_terms BEGIN "
    "INSERT OR IGNORE INTO search_words (word) VALUES (new.term); END",
    "CREATE TRIGGER search_words_fts_add AFTER INSERT ON search_words BEGIN "
    "INSERT INTO search_words_fts (rowid, word) VALUES (new.id, new.word); END",
    "INSERT OR IGNORE INTO search_words (word) SELECT DISTINCT term FROM search_terms",
]

POSTGRES = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX ix_search_words_trgm ON search_words USING gin (word gin_trgm_ops)",
    """
CREATE FUNCTION binational_search_words_add() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
SET search_path = public, pg_catalog AS $$
BEGIN
  INSERT INTO search_words (word) SELECT DISTINCT term FROM new_terms ORDER BY 1 ON CONFLICT (word) DO NOTHING;
  RETURN NULL;
END $$""",
    "CREATE TRIGGER search_words_from_terms AFTER INSERT ON search_terms REFERENCING NEW TABLE AS new_terms "
    "FOR EACH STATEMENT EXECUTE FUNCTION binational_search_words_add()",
    """
CREATE FUNCTION binational_similar_words(q text, threshold real, shortest integer, longest integer)
RETURNS SETOF text LANGUAGE plpgsql STABLE
SECURITY DEFINER SET search_path = public, pg_catalog AS $$
BEGIN
  IF NOT binational_system_on() THEN
    RAISE EXCEPTION 'binational_similar_words is for the system context only' USING ERRCODE = '42501';
  END IF;
  PERFORM set_config('pg_trgm.similarity_threshold', threshold::text, true);
  RETURN QUERY SELECT w.word::text FROM search_words w WHERE w.word % q AND length(w.word) BETWEEN shortest AND longest;
END $$""",
    "REVOKE ALL ON FUNCTION binational_search_words_add() FROM PUBLIC",
    "REVOKE ALL ON FUNCTION binational_similar_words(text, real, integer, integer) FROM PUBLIC",
    "ALTER TABLE search_words ENABLE ROW LEVEL SECURITY",
    f"CREATE POLICY search_words_system ON search_words USING ({SYSTEM}) WITH CHECK ({SYSTEM})",
    # The owner's own rule on search_terms is forced: lift it for the one backfill of existing words.
    "ALTER TABLE search_terms NO FORCE ROW LEVEL SECURITY",
    "INSERT INTO search_words (word) SELECT DISTINCT term FROM search_terms ORDER BY 1 ON CONFLICT (word) DO NOTHING",
    "ALTER TABLE search_terms FORCE ROW LEVEL SECURITY",
]


OWN_AGENCY = f"{SYSTEM} OR agency = current_setting('binational.agency', true)"
OWN_SEARCH = f"{SYSTEM} OR EXISTS (SELECT 1 FROM saved_searches s WHERE s.id = saved_search_id)"


def _saved_searches() -> None:
    op.create_table(
        "saved_searches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("agency", sa.String(length=32), nullable=False),
        sa.Column("q", sa.String(length=200), nullable=False),
        sa.Column("watch", sa.Boolean(), nullable=False),
        sa.Column("created_at", binational.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("checked_at", binational.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_saved_searches_user_id_users")),
        sa.ForeignKeyConstraint(["agency"], ["agencies.code"], name=op.f("fk_saved_searches_agency_agencies")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_saved_searches")),
    )
    op.create_index("ix_saved_searches_user", "saved_searches", ["user_id", "id"])
    op.create_table(
        "saved_search_matches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("saved_search_id", sa.Integer(), nullable=False),
        sa.Column("entity_id", sa.String(length=200), nullable=False),
        sa.Column("first_seen_at", binational.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["saved_search_id"], ["saved_searches.id"], ondelete="CASCADE",
                                name=op.f("fk_saved_search_matches_saved_search_id_saved_searches")),
        sa.ForeignKeyConstraint(["entity_id"], ["entities.id"], name=op.f("fk_saved_search_matches_entity_id_entities")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_saved_search_matches")),
        sa.UniqueConstraint("saved_search_id", "entity_id", name="uq_saved_search_matches"),
    )
    with op.batch_alter_table("notifications") as batch:
        batch.alter_column("request_id", existing_type=sa.String(length=40), nullable=True)
        batch.add_column(sa.Column("entity_id", sa.String(length=200), nullable=True))
        batch.add_column(sa.Column("saved_search_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(op.f("fk_notifications_entity_id_entities"), "entities", ["entity_id"], ["id"])
        batch.create_foreign_key(op.f("fk_notifications_saved_search_id_saved_searches"), "saved_searches",
                                 ["saved_search_id"], ["id"])


def _secure_saved_searches(role: str) -> None:
    op.execute(f'GRANT SELECT, INSERT, UPDATE, DELETE ON saved_searches, saved_search_matches TO "{role}"')
    op.execute(f'GRANT USAGE, SELECT ON SEQUENCE saved_searches_id_seq, saved_search_matches_id_seq TO "{role}"')
    for table, rule in (("saved_searches", OWN_AGENCY), ("saved_search_matches", OWN_SEARCH)):
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
        op.execute(f"CREATE POLICY {table}_read ON {table} FOR SELECT USING ({rule})")
        op.execute(f"CREATE POLICY {table}_write ON {table} FOR ALL USING ({SYSTEM}) WITH CHECK ({SYSTEM})")


def upgrade() -> None:
    """Create the word table, its trigram index and the trigger that fills it; the saved searches."""
    _saved_searches()
    op.create_table(
        "search_words",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("word", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_search_words")),
        sa.UniqueConstraint("word", name=op.f("uq_search_words_word")),
    )
    if op.get_bind().dialect.name != "postgresql":
        for statement in SQLITE:
            op.execute(statement)
        return
    for statement in POSTGRES:
        op.execute(statement)
    role = context.config.attributes.get("app_role", "binational_app")
    op.execute(f'GRANT EXECUTE ON FUNCTION binational_similar_words(text, real, integer, integer) TO "{role}"')
    _secure_saved_searches(role)


def downgrade() -> None:
    """Drop them."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER search_words_from_terms ON search_terms")
        op.execute("DROP FUNCTION binational_similar_words(text, real, integer, integer)")
        op.execute("DROP FUNCTION binational_search_words_add()")
    else:
        op.execute("DROP TRIGGER search_words_from_terms")
        op.execute("DROP TABLE search_words_fts")
    op.drop_table("search_words")
    op.execute("DELETE FROM notifications WHERE request_id IS NULL")
    with op.batch_alter_table("notifications") as batch:
        batch.drop_constraint(op.f("fk_notifications_saved_search_id_saved_searches"), type_="foreignkey")
        batch.drop_constraint(op.f("fk_notifications_entity_id_entities"), type_="foreignkey")
        batch.drop_column("saved_search_id")
        batch.drop_column("entity_id")
        batch.alter_column("request_id", existing_type=sa.String(length=40), nullable=False)
    op.drop_table("saved_search_matches")
    op.drop_table("saved_searches")

"""Requests people can follow: a subject line, the kinds of selector asked about, the value the
sender typed (on its own hit reference), and an e-mail address for a user's notifications

`requests.subject` and `requests.selector_kinds` are seen by both parties, like the rest of the
request; `hit_refs.selector` by the calling agency only (the table's row-level security is the
caller's already); `users.email` as the rest of a user's row. An index of audit entries by user
serves the auditors' filter by user.

Revision ID: requests_followable
Revises: search_words
"""

import sqlalchemy as sa
from alembic import op

revision = "requests_followable"
down_revision = "search_words"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add the columns."""
    with op.batch_alter_table("requests") as batch_op:
        batch_op.add_column(sa.Column("subject", sa.String(200), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("selector_kinds", sa.String(200), nullable=False, server_default=""))
    with op.batch_alter_table("hit_refs") as batch_op:
        batch_op.add_column(sa.Column("selector", sa.Text(), nullable=True))
    with op.batch_alter_table("users") as batch_op:
        batch_op.add_column(sa.Column("email", sa.String(254), nullable=True))
    op.create_index("ix_audit_entries_actor_seq", "audit_entries", ["actor_id", "seq"])


def downgrade() -> None:
    """Drop them."""
    op.drop_index("ix_audit_entries_actor_seq", table_name="audit_entries")
    with op.batch_alter_table("users") as batch_op:
        batch_op.drop_column("email")
    with op.batch_alter_table("hit_refs") as batch_op:
        batch_op.drop_column("selector")
    with op.batch_alter_table("requests") as batch_op:
        batch_op.drop_column("selector_kinds")
        batch_op.drop_column("subject")

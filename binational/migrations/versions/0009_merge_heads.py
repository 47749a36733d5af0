"""One line of migrations again: the requests and resolution branches join the core's

Revision ID: merge_heads
Revises: 0003, 0004, core_search_term_policy
"""

revision = "merge_heads"
down_revision = ("0003", "0004", "core_search_term_policy")
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Nothing to change: the merge only joins the heads."""


def downgrade() -> None:
    """Nothing to change."""

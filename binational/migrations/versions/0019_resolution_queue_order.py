"""An index of a run's suggestions in the order the review queue pages them

The review queue, its totals and the home page's pairs to review walk the latest run's suggestions
by id. With only the index by run, kind and score, every page read and sorted all of the run's
suggestions; by run and id, a page stops after its rows (benchmarks/README.md, navigation_pages).

Revision ID: resolution_queue_order
Revises: search_words_since
"""

from alembic import op

revision = "resolution_queue_order"
down_revision = "search_words_since"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add the index."""
    op.create_index("ix_resolution_suggestions_run_id", "resolution_suggestions", ["run_id", "id"])


def downgrade() -> None:
    """Drop it."""
    op.drop_index("ix_resolution_suggestions_run_id", table_name="resolution_suggestions")

"""Firearms: one recovery of an agency per number and marking

`ux_firearm_recoveries_number` makes (owner agency, recovery number, marking rank) unique in
`firearm_recoveries`. A re-import replaces the recovery of the same number that the importer sees,
and adds one only where the agency's recoveries of that number are all hidden from the importer,
that is marked above the importer's clearance and so above the new one's marking (recoveries are in
no case); so two recoveries of one agency and number always differ in marking, and the index refuses
only a second write of the same number that bypassed the re-import (two imports racing).

Revision ID: firearm_recovery_number
Revises: repatriation_detainee_facility
"""

import sqlalchemy as sa
from alembic import op

revision = "firearm_recovery_number"
down_revision = "repatriation_detainee_facility"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # before re-imports replaced in place, importing a file twice stored its recoveries twice: the
    # index cannot be made over them, and which copy to keep (traces may link either) is the agency's call
    twice = op.get_bind().execute(sa.text(
        "SELECT count(*) FROM (SELECT 1 FROM firearm_recoveries GROUP BY owner_agency, recovery_id, marking_rank"
        " HAVING count(*) > 1) AS doubled")).scalar_one()
    if twice:
        raise RuntimeError(f"firearm_recoveries holds {twice} recovery numbers stored twice by one agency at one "
                           "marking (a file imported twice before re-imports replaced): keep one of each, then "
                           "upgrade again")
    op.create_index("ux_firearm_recoveries_number", "firearm_recoveries",
                    ["owner_agency", "recovery_id", "marking_rank"], unique=True)


def downgrade() -> None:
    op.drop_index("ux_firearm_recoveries_number", table_name="firearm_recoveries")

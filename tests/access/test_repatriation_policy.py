"""The repatriation rules of access/policy.py: each pure decision and its SQL twin agree on random
viewers and rows (the pattern of tests/access/test_policy.py)."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Integer, String, column, select

from binational.access.policy import (
    may_see_case_file,
    may_see_movement,
    may_see_public_figures,
    visible_case_files,
    visible_movements,
    visible_public_figures,
)
from tests.access.test_policy import _rows_of, actors, agencies, ranks

FAST = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@FAST
@given(world=st.lists(st.tuples(agencies, ranks), min_size=1, max_size=6),
       viewers=st.lists(actors(), min_size=1, max_size=4))
def test_who_sees_a_case_file_pure_and_sql_agree(db, world, viewers):
    data = [(i, owner, rank) for i, (owner, rank) in enumerate(world)]
    model = _rows_of("d", [column("id", Integer), column("owner_agency", String), column("marking_rank", Integer)],
                     data)
    with db.session() as session:
        for actor in viewers:
            got = set(session.execute(select(model.id).where(visible_case_files(actor, model))).scalars())
            want = {i for i, owner, rank in data if may_see_case_file(actor, owner_agency=owner, marking_rank=rank)}
            assert got == want, actor
            assert all(owner == actor.agency for i, owner, _ in data if i in got)


@FAST
@given(world=st.lists(st.tuples(agencies, agencies, st.one_of(st.none(), agencies), ranks), min_size=1, max_size=6),
       viewers=st.lists(actors(), min_size=1, max_size=4))
def test_who_sees_a_movement_pure_and_sql_agree(db, world, viewers):
    data = [(i, *row) for i, row in enumerate(world)]
    model = _rows_of("m", [column("id", Integer), column("from_agency", String), column("to_agency", String),
                           column("consulate", String), column("marking_rank", Integer)], data)
    with db.session() as session:
        for actor in viewers:
            got = set(session.execute(select(model.id).where(visible_movements(actor, model))).scalars())
            want = {i for i, sender, receiver, consulate, rank in data
                    if may_see_movement(actor, from_agency=sender, to_agency=receiver, consulate=consulate,
                                        marking_rank=rank)}
            assert got == want, actor


@FAST
@given(viewers=st.lists(actors(), min_size=1, max_size=4))
def test_public_figures_pure_and_sql_agree(db, viewers):
    model = _rows_of("f", [column("id", Integer)], [(1,), (2,)])
    with db.session() as session:
        for actor in viewers:
            got = set(session.execute(select(model.id).where(visible_public_figures(actor, model))).scalars())
            assert got == ({1, 2} if may_see_public_figures(actor) else set())

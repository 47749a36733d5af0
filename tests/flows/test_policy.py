"""`may_see_series` (and `may_see_flow_series` on a loaded series) and its SQL twin `visible_series`
agree on random viewers and series (owner, distribution, marking, case, public), and a public
statistic is seen by every agency within clearance."""

from __future__ import annotations

from types import SimpleNamespace

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Boolean, Integer, String, column, select

from binational.access.policy import may_see_flow_series, may_see_series, visible_series
from tests.access.test_policy import COUNTRIES, _rows_of, actors, agencies, case_ids, ranks

series_rows = st.tuples(agencies, st.sampled_from(("agency", "national")), ranks, case_ids, st.booleans())


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(world=st.lists(series_rows, min_size=1, max_size=6), viewers=st.lists(actors(), min_size=1, max_size=4))
def test_who_sees_a_series_pure_and_sql_agree(db, world, viewers):
    data = [(i, owner, COUNTRIES[owner], dist, rank, case, public)
            for i, (owner, dist, rank, case, public) in enumerate(world)]
    model = _rows_of("fs", [column("id", Integer), column("owner_agency", String), column("owner_country", String),
                            column("distribution", String), column("marking_rank", Integer),
                            column("case_id", String), column("public", Boolean)], data)
    with db.session() as session:
        for actor in viewers:
            got = set(session.execute(select(model.id).where(visible_series(actor, model))).scalars())
            want = {i for i, owner, country, dist, rank, case, public in data
                    if may_see_series(actor, owner_agency=owner, owner_country=country, distribution=dist,
                                      marking_rank=rank, case_id=case, public=public)}
            assert got == want, actor
            loaded = {i for i, owner, country, dist, rank, case, public in data
                      if may_see_flow_series(actor, SimpleNamespace(
                          owner_agency=owner, owner_country=country, distribution=dist, marking_rank=rank,
                          case_id=case, public=public))}
            assert loaded == want, actor


@given(actor=actors(), owner=agencies, rank=ranks)
def test_a_public_series_is_everyones_within_clearance_and_an_internal_one_its_agencys(actor, owner, rank):
    public = may_see_series(actor, owner_agency=owner, owner_country=COUNTRIES[owner], distribution="agency",
                            marking_rank=rank, case_id=None, public=True)
    assert bool(public) == (rank <= actor.clearance_rank)
    internal = may_see_series(actor, owner_agency=owner, owner_country=COUNTRIES[owner], distribution="agency",
                              marking_rank=rank, case_id=None, public=False)
    assert bool(internal) == (rank <= actor.clearance_rank and owner == actor.agency)

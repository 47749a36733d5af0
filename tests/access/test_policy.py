"""The one policy: `can()` and its SQL form `visible()`/`visible_values()` agree, and the rules'
monotonic properties hold (more marking, fewer grants, later clock never widen what one sees)."""

from __future__ import annotations

import dataclasses
import itertools
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Integer, String, column, insert, literal, select, union_all

from binational.access.models import Case, Release, User
from binational.access.policy import (
    HOLDERS_ONLY,
    Actor,
    Grant,
    Resource,
    answers_as_hit,
    can,
    discovery_notices_for,
    may_answer_as_hit,
    may_answer_trace_with,
    may_move_request,
    may_name_event_actor,
    may_read_discovery_notices,
    may_replace_record,
    may_see_audit_entry,
    may_see_audit_object,
    may_see_every_value,
    may_see_forecast_run,
    may_see_import_run,
    may_see_indicator,
    may_see_judgement,
    may_see_model_output,
    may_see_reason_values,
    may_see_request,
    may_see_run_details,
    may_see_trace_part,
    may_see_trace_recovery,
    may_see_trade,
    replaceable_records,
    sees_as_sender,
    sees_every_value,
    shared_indicators,
    sum_up_values,
    trace_answer_records,
    visible,
    visible_audit_entries,
    visible_audit_objects,
    visible_forecast_runs,
    visible_import_runs,
    visible_judgements,
    visible_model_output,
    visible_requests,
    visible_trace_parts,
    visible_trace_recoveries,
    visible_trade,
    visible_values,
)
from binational.access.roles import capabilities_of
from binational.db import act_as_system
from binational.entities.models import Entity, Statement
from binational.requests.models import DiscoveryNotice

NOW = datetime(2030, 6, 1, 12, tzinfo=UTC)
COUNTRIES = {"US-CBP": "US", "US-ATF": "US", "MX-FGR": "MX", "MX-INM": "MX", "GT-PNC": "GT"}
AGENCIES = sorted(COUNTRIES)
CASES = ("case-a", "case-b")

agencies = st.sampled_from(AGENCIES)
ranks = st.integers(min_value=0, max_value=4)
case_ids = st.sampled_from((None, *CASES))
# None: open-ended; otherwise hours from NOW (negative = expired, 0 = expires exactly now)
untils = st.one_of(st.none(), st.integers(min_value=-48, max_value=48))
grants = st.builds(lambda to, until, revoked: (to, until, revoked), agencies, untils, st.booleans())


@st.composite
def actors(draw: st.DrawFn) -> Actor:
    agency = draw(agencies)
    clearance = draw(ranks)
    return Actor(user_id=1, username="someone", agency=agency, country=COUNTRIES[agency],
                 roles=frozenset({"analyst"}), capabilities=capabilities_of(["analyst"]),
                 clearance=f"rank{clearance}", clearance_rank=clearance,
                 case_ids=frozenset(draw(st.sets(st.sampled_from(CASES)))))


@st.composite
def rows(draw: st.DrawFn) -> dict:
    """An entity's policy columns, its releases, its case's releases, and its statements' columns."""
    owner = draw(agencies)
    return {
        "owner": owner,
        "distribution": draw(st.sampled_from(("agency", "national", "release"))),
        "rank": draw(ranks),
        "case": draw(case_ids),
        "locked": draw(st.booleans()),
        "grants": draw(st.lists(grants, max_size=3)),
        "case_grants": draw(st.lists(grants, max_size=2)),
        "statements": draw(st.lists(st.tuples(st.sampled_from(("inherit", "agency")), ranks), min_size=1, max_size=3)),
    }


def _grant(spec: tuple) -> Grant:
    to, until, revoked = spec
    expires = None if until is None else NOW + timedelta(hours=until)
    return Grant(to, expires, NOW - timedelta(hours=1) if revoked else None)


def _resource(row: dict) -> Resource:
    specs = row["grants"] + (row["case_grants"] if row["case"] else [])
    return Resource(owner_agency=row["owner"], owner_country=COUNTRIES[row["owner"]], distribution=row["distribution"],
                    marking_rank=row["rank"], case_id=row["case"], grants=tuple(_grant(g) for g in specs),
                    locked=row["locked"])


def _statement(row: dict, distribution: str, rank: int) -> Resource:
    return Resource(owner_agency=row["owner"], owner_country=COUNTRIES[row["owner"]], distribution=distribution,
                    marking_rank=rank, parent=_resource(row))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(world=st.lists(rows(), min_size=1, max_size=6), viewers=st.lists(actors(), min_size=1, max_size=4))
def test_can_and_sql_filters_agree(db, world, viewers):
    session = db.session()
    act_as_system(session)  # the world is written as the node; the filters below name their viewers
    try:
        user_id = session.execute(select(User.id).where(User.username == "us_analyst")).scalar_one()
        for case, owner in zip(CASES, ("US-CBP", "MX-FGR"), strict=True):
            session.add(Case(id=case, title=case, owner_agency=owner, created_by=user_id))
        session.flush()
        releases, statements = [], []
        for i, row in enumerate(world):
            eid = f"e{i}"
            session.add(Entity(id=eid, schema="Person", owner_agency=row["owner"],
                               owner_country=COUNTRIES[row["owner"]], distribution=row["distribution"],
                               marking=f"rank{row['rank']}", marking_rank=row["rank"], case_id=row["case"],
                               origin_node="mx.binational/fgr" if row["locked"] else None, created_by=user_id))
            for spec in row["grants"]:
                g = _grant(spec)
                releases.append({"owner_agency": row["owner"], "entity_id": eid, "case_id": None,
                                 "to_agency": g.to_agency, "until": g.until, "revoked_at": g.revoked_at,
                                 "created_by": user_id,
                                 "created_at": NOW - timedelta(days=2, seconds=len(releases))})
            for j, (distribution, rank) in enumerate(row["statements"]):
                statements.append({"id": 1000 * (i + 1) + j, "entity_id": eid, "schema": "Person", "prop": "name",
                                   "prop_type": "name", "value": f"v{i}.{j}", "dataset": row["owner"],
                                   "owner_agency": row["owner"], "distribution": distribution,
                                   "marking": f"rank{rank}", "marking_rank": rank, "created_by": user_id})
        session.flush()
        # Releases of a case are shared by every row of the case: draw them once per case.
        for case in CASES:
            specs = next((r["case_grants"] for r in world if r["case"] == case), [])
            for row in world:
                if row["case"] == case:
                    row["case_grants"] = specs
            for spec in specs:
                g = _grant(spec)
                releases.append({"owner_agency": "US-CBP", "entity_id": None, "case_id": case, "to_agency": g.to_agency,
                                 "until": g.until, "revoked_at": g.revoked_at, "created_by": user_id,
                                 "created_at": NOW - timedelta(days=3, seconds=len(releases))})
        if releases:
            session.execute(insert(Release), releases)
        session.execute(insert(Statement), statements)
        session.flush()
        for actor in viewers:
            expected = {f"e{i}" for i, row in enumerate(world) if can(actor, "entity.read", _resource(row), now=NOW)}
            got = set(session.execute(select(Entity.id).where(visible(actor, Entity, now=NOW))).scalars())
            assert got == expected, (actor, world)
            expected_values = {
                1000 * (i + 1) + j
                for i, row in enumerate(world)
                for j, (distribution, rank) in enumerate(row["statements"])
                if can(actor, "entity.read", _statement(row, distribution, rank), now=NOW)
            }
            got_values = set(session.execute(
                select(Statement.id).join(Entity, Entity.id == Statement.entity_id)
                .where(visible(actor, Entity, now=NOW), visible_values(actor, Statement))
            ).scalars())
            assert got_values == expected_values, (actor, world)
        # What may answer as a hit (discovery, resolution): the same for every viewer, pure and SQL alike.
        answering = {
            1000 * (i + 1) + j
            for i, row in enumerate(world)
            for j, (distribution, rank) in enumerate(row["statements"])
            if may_answer_as_hit(_statement(row, distribution, rank))
        }
        got_answering = set(session.execute(
            select(Statement.id).join(Entity, Entity.id == Statement.entity_id).where(answers_as_hit(Entity, Statement))
        ).scalars())
        assert got_answering == answering, world
        entities_answering = {f"e{i}" for i, row in enumerate(world) if may_answer_as_hit(_resource(row))}
        assert set(session.execute(select(Entity.id).where(answers_as_hit(Entity))).scalars()) == entities_answering
    finally:
        session.rollback()
        session.close()


PURE = settings(max_examples=60, deadline=None)


@PURE
@given(actor=actors(), row=rows(), extra=st.integers(min_value=1, max_value=4))
def test_a_higher_marking_never_widens(actor, row, extra):
    res = _resource(row)
    stricter = dataclasses.replace(res, marking_rank=min(4, res.marking_rank + extra))
    assert not can(actor, "entity.read", stricter, now=NOW) or can(actor, "entity.read", res, now=NOW)


@PURE
@given(actor=actors(), row=rows(), data=st.data())
def test_revoking_never_widens(actor, row, data):
    res = _resource(row)
    if not res.grants:
        return
    k = data.draw(st.integers(min_value=0, max_value=len(res.grants) - 1))
    revoked = list(res.grants)
    revoked[k] = dataclasses.replace(revoked[k], revoked_at=NOW - timedelta(minutes=1))
    after = dataclasses.replace(res, grants=tuple(revoked))
    assert not can(actor, "entity.read", after, now=NOW) or can(actor, "entity.read", res, now=NOW)
    # and revoking every grant leaves exactly what the row's own distribution allows
    bare = dataclasses.replace(res, grants=())
    none_left = dataclasses.replace(res, grants=tuple(dataclasses.replace(g, revoked_at=NOW) for g in res.grants))
    assert can(actor, "entity.read", none_left, now=NOW).allowed == can(actor, "entity.read", bare, now=NOW).allowed


@PURE
@given(actor=actors(), row=rows())
def test_owner_always_sees_its_own_within_clearance_and_case(actor, row):
    res = dataclasses.replace(_resource(row), owner_agency=actor.agency, owner_country=actor.country)
    decision = can(actor, "entity.read", res, now=NOW)
    in_reach = res.marking_rank <= actor.clearance_rank and (res.case_id is None or res.case_id in actor.case_ids)
    assert decision.allowed == in_reach
    if in_reach:
        assert decision.reason == "owner agency"


@PURE
@given(actor=actors(), owner=agencies, drawn=ranks)
def test_reason_values_only_to_the_owner_cleared_as_its_drawer(actor, owner, drawn):
    """A trade reason's values (computed from the owner's history) go to the owner agency's users
    cleared at least as high as the drawer of the list; a higher clearance never loses them."""
    decision = may_see_reason_values(actor, owner_agency=owner, drawn_clearance_rank=drawn)
    assert bool(decision) == (owner == actor.agency and drawn <= actor.clearance_rank)
    higher = dataclasses.replace(actor, clearance_rank=min(actor.clearance_rank + 1, 4))
    assert bool(may_see_reason_values(higher, owner_agency=owner, drawn_clearance_rank=drawn)) >= bool(decision)


@PURE
@given(actor=actors(), row=rows(), hours=st.integers(min_value=0, max_value=1000))
def test_an_expired_release_grants_nothing(actor, row, hours):
    res = _resource(row)
    expired = tuple(Grant(g.to_agency, NOW - timedelta(hours=hours)) for g in res.grants)
    with_expired = dataclasses.replace(res, grants=expired)
    bare = dataclasses.replace(res, grants=())
    assert can(actor, "entity.read", with_expired, now=NOW).allowed == can(actor, "entity.read", bare, now=NOW).allowed


@PURE
@given(actor=actors(), row=rows())
def test_later_clock_never_widens(actor, row):
    res = _resource(row)
    later = NOW + timedelta(days=3)
    assert not can(actor, "entity.read", res, now=later) or can(actor, "entity.read", res, now=NOW)


def test_a_recipient_may_read_but_never_change_or_release():
    res = Resource(owner_agency="US-CBP", owner_country="US", distribution="release", marking_rank=2,
                   grants=(Grant("MX-FGR"),))
    mx = Actor(2, "mx", "MX-FGR", "MX", frozenset({"analyst"}), capabilities_of(["analyst"]), "TLP:AMBER", 2)
    assert can(mx, "entity.read", res, now=NOW).reason == "released to MX-FGR"
    for action in ("entity.update", "entity.delete", "release.create", "release.list", "release.revoke"):
        decision = can(mx, action, res, now=NOW)
        assert not decision and decision.details == {"visible": "yes"}, action


def test_roles_without_the_capability_are_refused_before_the_record():
    res = Resource(owner_agency="US-CBP", owner_country="US", distribution="national", marking_rank=0)
    for roles, action in itertools.product((["auditor"], ["admin"]), ("entity.read", "entity.create")):
        actor = Actor(3, "x", "US-CBP", "US", frozenset(roles), capabilities_of(roles), "TLP:RED", 4)
        assert can(actor, action, res, now=NOW).reason == "role lacks " + ("record.view" if action == "entity.read"
                                                                           else "record.create")
    assert can(actor, "no.such.action").reason == "unknown action no.such.action"



notice_readers = st.builds(
    lambda agency, roles: Actor(user_id=1, username="someone", agency=agency, country=COUNTRIES[agency],
                                roles=frozenset(roles), capabilities=capabilities_of(roles), clearance="rank2",
                                clearance_rank=2),
    agencies, st.lists(st.sampled_from(("analyst", "supervisor", "liaison", "auditor", "admin")), min_size=1,
                       max_size=2))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(readers=st.lists(notice_readers, min_size=1, max_size=6))
def test_who_reads_discovery_notices_pure_and_sql_agree(db, readers):
    session = db.session()
    act_as_system(session)
    try:
        session.execute(insert(DiscoveryNotice), [
            {"to_agency": agency, "from_agency": "GT-PNC", "kind": "sweep", "entity_ids": "e", "selectors": 1,
             "created_at": NOW} for agency in AGENCIES])
        for actor in readers:
            got = set(session.execute(select(DiscoveryNotice.to_agency)
                                      .where(discovery_notices_for(actor, DiscoveryNotice))).scalars())
            assert got == {a for a in AGENCIES if may_read_discovery_notices(actor, a)}, actor
    finally:
        session.rollback()
        session.close()


# --- Judgements, requests, audit entries: each pure rule against its SQL twin, over rows given as
# literal SELECTs (the filters take the model as a parameter, so no table has to be filled).

def _rows_of(name: str, columns: list, data: list[tuple]) -> SimpleNamespace:
    """Rows (a UNION of literal SELECTs, which both databases read) whose columns read as a model's attributes."""
    table = union_all(*[select(*[literal(v, c.type).label(c.name) for c, v in zip(columns, row, strict=True)])
                        for row in data]).subquery(name)
    return SimpleNamespace(**{c.name: table.c[c.name] for c in columns})


judgement_rows = st.tuples(agencies, st.sampled_from(("agency", "national")), ranks)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(world=st.lists(judgement_rows, min_size=1, max_size=6), viewers=st.lists(actors(), min_size=1, max_size=4))
def test_who_sees_a_judgement_pure_and_sql_agree(db, world, viewers):
    data = [(i, owner, COUNTRIES[owner], dist, rank) for i, (owner, dist, rank) in enumerate(world)]
    model = _rows_of("j", [column("id", Integer), column("owner_agency", String), column("owner_country", String),
                           column("distribution", String), column("marking_rank", Integer)], data)
    with db.session() as session:
        for actor in viewers:
            got = set(session.execute(select(model.id).where(visible_judgements(actor, model))).scalars())
            want = {i for i, owner, country, dist, rank in data
                    if may_see_judgement(actor, owner_agency=owner, owner_country=country, distribution=dist,
                                         marking_rank=rank)}
            assert got == want, actor


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(world=st.lists(st.tuples(agencies, agencies, ranks), min_size=1, max_size=6),
       viewers=st.lists(actors(), min_size=1, max_size=4))
def test_who_sees_a_request_pure_and_sql_agree(db, world, viewers):
    data = [(i, sender, receiver, rank) for i, (sender, receiver, rank) in enumerate(world)]
    model = _rows_of("r", [column("id", Integer), column("from_agency", String), column("to_agency", String),
                           column("marking_rank", Integer)], data)
    with db.session() as session:
        for actor in viewers:
            got = set(session.execute(select(model.id).where(visible_requests(actor, model))).scalars())
            want = {i for i, sender, receiver, rank in data
                    if may_see_request(actor, from_agency=sender, to_agency=receiver, marking_rank=rank)}
            assert got == want, actor


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(world=st.lists(st.tuples(st.integers(min_value=1, max_value=4), agencies), min_size=1, max_size=6),
       viewers=st.lists(actors(), min_size=1, max_size=4))
def test_who_sees_a_forecast_run_pure_and_sql_agree(db, world, viewers):
    data = [(i, user_id, agency) for i, (user_id, agency) in enumerate(world)]
    model = _rows_of("fr", [column("id", Integer), column("user_id", Integer), column("agency", String)], data)
    with db.session() as session:
        for actor in viewers:
            got = set(session.execute(select(model.id).where(visible_forecast_runs(actor, model))).scalars())
            want = {i for i, user_id, agency in data if may_see_forecast_run(actor, user_id=user_id, agency=agency)}
            assert got == want, actor


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(world=st.lists(st.tuples(st.integers(min_value=1, max_value=4), agencies), min_size=1, max_size=6),
       viewers=st.lists(actors(), min_size=1, max_size=4))
def test_who_sees_an_import_run_pure_and_sql_agree(db, world, viewers):
    data = [(i, user_id, agency) for i, (user_id, agency) in enumerate(world)]
    model = _rows_of("ir", [column("id", Integer), column("user_id", Integer), column("agency", String)], data)
    with db.session() as session:
        for actor in viewers:
            got = set(session.execute(select(model.id).where(visible_import_runs(actor, model))).scalars())
            want = {i for i, user_id, agency in data if may_see_import_run(actor, user_id=user_id, agency=agency)}
            assert got == want, actor


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(world=st.lists(st.tuples(agencies, agencies, ranks, st.booleans()), min_size=1, max_size=6),
       viewers=st.lists(actors(), min_size=1, max_size=4))
def test_who_sees_a_part_of_a_firearm_trace_pure_and_sql_agree(db, world, viewers):
    data = [(i, sender, receiver, rank, 1 if released else None)
            for i, (sender, receiver, rank, released) in enumerate(world)]
    model = _rows_of("t", [column("id", Integer), column("from_agency", String), column("to_agency", String),
                           column("marking_rank", Integer), column("released_at", Integer)], data)
    with db.session() as session:
        for actor in viewers:
            got = set(session.execute(select(model.id).where(visible_trace_parts(actor, model))).scalars())
            want = {i for i, sender, receiver, rank, released in data
                    if may_see_trace_part(actor, from_agency=sender, to_agency=receiver, marking_rank=rank,
                                          released=released is not None)}
            assert got == want, actor


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(world=st.lists(st.tuples(agencies, agencies, ranks, st.booleans(), agencies,
                                st.sampled_from(("agency", "national")), ranks, case_ids), min_size=1, max_size=6),
       viewers=st.lists(actors(), min_size=1, max_size=4))
def test_who_sees_the_recovery_of_a_trace_pure_and_sql_agree(db, world, viewers):
    traces = [(f"t{i}", sender, receiver, rank, 1 if released else None)
              for i, (sender, receiver, rank, released, *_) in enumerate(world)]
    recoveries = [(f"t{i}", owner, COUNTRIES[owner], dist, rank, case)
                  for i, (*_, owner, dist, rank, case) in enumerate(world)]
    trace = _rows_of("t", [column("id", String), column("from_agency", String), column("to_agency", String),
                           column("marking_rank", Integer), column("released_at", Integer)], traces)
    recovery = _rows_of("r", [column("id", String), column("owner_agency", String), column("owner_country", String),
                              column("distribution", String), column("marking_rank", Integer),
                              column("case_id", String)], recoveries)
    with db.session() as session:
        for actor in viewers:
            got = set(session.execute(select(trace.id).where(
                trace.id == recovery.id, visible_trace_recoveries(actor, trace, recovery, now=NOW))).scalars())
            want = {t[0] for t, r in zip(traces, recoveries, strict=True)
                    if may_see_trace_recovery(
                        actor, from_agency=t[1], to_agency=t[2], marking_rank=t[3], released=t[4] is not None,
                        recovery=Resource(owner_agency=r[1], owner_country=r[2], distribution=r[3],
                                          marking_rank=r[4], case_id=r[5]), now=NOW)}
            assert got == want, actor


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(world=st.lists(st.tuples(agencies, ranks, case_ids), min_size=1, max_size=6),
       viewers=st.lists(actors(), min_size=1, max_size=4), trace_rank=ranks)
def test_which_records_answer_a_firearm_trace_pure_and_sql_agree(db, world, viewers, trace_rank):
    data = [(i, owner, rank, case) for i, (owner, rank, case) in enumerate(world)]
    model = _rows_of("s", [column("id", Integer), column("owner_agency", String), column("marking_rank", Integer),
                           column("case_id", String)], data)
    with db.session() as session:
        for actor in viewers:
            got = set(session.execute(select(model.id).where(
                trace_answer_records(actor, model, trace_rank))).scalars())
            want = {i for i, owner, rank, case in data
                    if may_answer_trace_with(actor, owner_agency=owner, marking_rank=rank, case_id=case,
                                             trace_marking_rank=trace_rank)}
            assert got == want, actor


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(world=st.lists(st.tuples(agencies, st.sampled_from(("agency", "national")), ranks, case_ids), min_size=1,
                      max_size=6),
       viewers=st.lists(actors(), min_size=1, max_size=4), marking=ranks,
       distribution=st.sampled_from(("agency", "national")))
def test_which_records_a_reimport_replaces_pure_and_sql_agree(db, world, viewers, marking, distribution):
    data = [(f"r{i}", owner, COUNTRIES[owner], dist, rank, case) for i, (owner, dist, rank, case) in enumerate(world)]
    model = _rows_of("r", [column("id", String), column("owner_agency", String), column("owner_country", String),
                           column("distribution", String), column("marking_rank", Integer),
                           column("case_id", String)], data)
    with db.session() as session:
        for actor in viewers:
            got = set(session.execute(select(model.id).where(replaceable_records(actor, model, now=NOW))).scalars())
            for i, owner, country, dist, rank, case in data:
                record = Resource(owner_agency=owner, owner_country=country, distribution=dist, marking_rank=rank,
                                  case_id=case)
                # the same marking and distribution: replaceable exactly where the SQL finds it
                assert bool(may_replace_record(actor, record, marking_rank=rank, distribution=dist, now=NOW)) \
                    == (i in got), (actor, record)
                # never to a lower marking nor a wider distribution
                if may_replace_record(actor, record, marking_rank=marking, distribution=distribution, now=NOW):
                    assert i in got and marking >= rank and (distribution == "agency" or dist == "national")


audit_rows = st.tuples(st.one_of(st.none(), agencies), st.sampled_from(("entity.read", *HOLDERS_ONLY)),
                       st.lists(st.one_of(st.none(), agencies), max_size=3))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(world=st.lists(audit_rows, min_size=1, max_size=6), viewers=st.lists(actors(), min_size=1, max_size=4))
def test_who_sees_an_audit_entry_pure_and_sql_agree(db, world, viewers):
    entries = [(seq, writer, action) for seq, (writer, action, _) in enumerate(world)]
    refs = [(seq, f"o{n}", owner) for seq, (_, _, owners) in enumerate(world) for n, owner in enumerate(owners)]
    entry = _rows_of("e", [column("seq", Integer), column("actor_agency", String), column("action", String)], entries)
    # an entry naming no record: one reference row that matches no entry keeps the UNION non-empty
    ref = _rows_of("o", [column("seq", Integer), column("object_id", String), column("object_agency", String)],
                   refs or [(-1, "none", None)])
    with db.session() as session:
        for actor in viewers:
            got = set(session.execute(select(entry.seq).where(visible_audit_entries(actor, entry, ref))).scalars())
            want = {seq for seq, (writer, action, owners) in enumerate(world)
                    if may_see_audit_entry(actor, actor_agency=writer, action=action,
                                           object_agencies=frozenset(owners))}
            assert got == want, actor


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(world=st.lists(audit_rows, min_size=1, max_size=6), viewers=st.lists(actors(), min_size=1, max_size=4))
def test_which_objects_of_an_audit_entry_an_auditor_sees_pure_and_sql_agree(db, world, viewers):
    entries = [(seq, writer, action) for seq, (writer, action, _) in enumerate(world)]
    refs = [(seq, f"o{n}", owner) for seq, (_, _, owners) in enumerate(world) for n, owner in enumerate(owners)]
    entry = _rows_of("e", [column("seq", Integer), column("actor_agency", String), column("action", String)], entries)
    ref = _rows_of("o", [column("seq", Integer), column("object_id", String), column("object_agency", String)],
                   refs or [(-1, "none", None)])
    with db.session() as session:
        for actor in viewers:
            got = {tuple(row) for row in session.execute(
                select(ref.seq, ref.object_id).where(entry.seq == ref.seq, visible_audit_objects(actor, entry, ref)))}
            want = {(seq, f"o{n}") for seq, (writer, action, owners) in enumerate(world)
                    for n, owner in enumerate(owners)
                    if may_see_audit_object(actor, actor_agency=writer, action=action, object_agency=owner)}
            assert got == want, actor


_indicator_specs = st.tuples(st.sampled_from(("", "record.view", "audit.read", "request.answer")),
                             st.one_of(st.none(), st.sets(st.sampled_from(("US", "MX", "GT")), max_size=2)
                                       .map(frozenset)))


@given(specs=st.lists(_indicator_specs, min_size=1, max_size=6),
       roles=st.sets(st.sampled_from(("analyst", "supervisor", "liaison", "auditor", "admin")), min_size=1),
       actor=actors())
def test_who_sees_an_indicator_one_and_all_agree(specs, roles, actor):
    """`shared_indicators` (the list form pages and boards use) admits exactly the indicators
    `may_see_indicator` allows, and a role without the indicator's capability never sees it."""
    viewer = dataclasses.replace(actor, roles=frozenset(roles), capabilities=capabilities_of(sorted(roles)))
    indicators = [SimpleNamespace(key=f"i{n}", capability=cap, countries=countries)
                  for n, (cap, countries) in enumerate(specs)]
    one = [i.key for i in indicators
           if may_see_indicator(viewer, capability=i.capability, countries=i.countries)]
    assert shared_indicators(viewer, indicators) == one
    for i in indicators:
        if i.key in one:
            assert not i.capability or i.capability in viewer.capabilities
            assert i.countries is None or viewer.country in i.countries
trade_rows = st.tuples(agencies, st.sampled_from(("agency", "national", "joint")), ranks, case_ids,
                       st.one_of(st.none(), agencies))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(world=st.lists(trade_rows, min_size=1, max_size=6), viewers=st.lists(actors(), min_size=1, max_size=4))
def test_who_sees_a_trade_row_pure_and_sql_agree(db, world, viewers):
    data = [(i, owner, COUNTRIES[owner], dist, rank, case, joint)
            for i, (owner, dist, rank, case, joint) in enumerate(world)]
    model = _rows_of("t", [column("id", Integer), column("owner_agency", String), column("owner_country", String),
                           column("distribution", String), column("marking_rank", Integer),
                           column("case_id", String), column("joint_agency", String)], data)
    with db.session() as session:
        for actor in viewers:
            got = set(session.execute(select(model.id).where(visible_trade(actor, model))).scalars())
            want = {i for i, owner, country, dist, rank, case, joint in data
                    if may_see_trade(actor, owner_agency=owner, owner_country=country, distribution=dist,
                                     marking_rank=rank, case_id=case, joint_agency=joint)}
            assert got == want, actor


@PURE
@given(actor=actors(), scope=st.lists(trade_rows, max_size=5))
def test_a_models_output_shows_only_to_who_sees_all_it_learned_from(actor, scope):
    """A cargo risk model's scores and reasons show to a viewer exactly when it may see every trade row
    the model learned from (a model trained on files learned from none); a higher clearance never
    loses them, and a model that learned one more row never shows to more viewers."""
    rows = [{"owner_agency": owner, "owner_country": COUNTRIES[owner], "distribution": dist, "marking_rank": rank,
             "case_id": case, "joint_agency": joint} for owner, dist, rank, case, joint in scope]
    decision = may_see_model_output(actor, rows)
    assert bool(decision) == all(may_see_trade(actor, **row) for row in rows)
    higher = dataclasses.replace(actor, clearance_rank=min(actor.clearance_rank + 1, 4))
    assert bool(may_see_model_output(higher, rows)) >= bool(decision)
    assert bool(may_see_model_output(actor, rows[1:])) >= bool(decision)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(draws=st.lists(st.lists(trade_rows, max_size=4), min_size=1, max_size=4),
       viewers=st.lists(actors(), min_size=1, max_size=4))
def test_whose_model_output_shows_pure_and_sql_agree(db, draws, viewers):
    """`visible_model_output` admits exactly the draws whose training scope `may_see_model_output`
    allows, an empty scope (a model trained on files) included."""
    scopes = [[{"owner_agency": owner, "owner_country": COUNTRIES[owner], "distribution": dist, "marking_rank": rank,
                "case_id": case, "joint_agency": joint} for owner, dist, rank, case, joint in scope] for scope in draws]
    drawn = _rows_of("d", [column("id", Integer)], [(i,) for i in range(len(draws))])
    rows = [(i, *row.values()) for i, scope in enumerate(scopes) for row in scope]
    scope = _rows_of("s", [column("draw_id", Integer), column("owner_agency", String), column("owner_country", String),
                           column("distribution", String), column("marking_rank", Integer),
                           column("case_id", String), column("joint_agency", String)],
                     rows or [(-1, "US-CBP", "US", "agency", 0, None, None)])
    with db.session() as session:
        for actor in viewers:
            got = set(session.execute(select(drawn.id).where(
                visible_model_output(actor, scope, scope.draw_id == drawn.id))).scalars())
            assert got == {i for i, rows_ in enumerate(scopes) if may_see_model_output(actor, rows_)}, actor


# --- Rules that decide per row in Python (no SQL filters them): who moves a request, whose view of it
# one reads, who is named in its history, who reads a run's node-wide counts.

role_sets = st.sets(st.sampled_from(("analyst", "supervisor", "liaison", "auditor", "admin")), min_size=1)


@st.composite
def staff(draw: st.DrawFn) -> Actor:
    agency, roles = draw(agencies), draw(role_sets)
    clearance = draw(ranks)
    return Actor(user_id=1, username="someone", agency=agency, country=COUNTRIES[agency], roles=frozenset(roles),
                 capabilities=capabilities_of(sorted(roles)), clearance=f"rank{clearance}", clearance_rank=clearance)


@PURE
@given(actor=staff(), sender=agencies, receiver=agencies, side=st.sampled_from(("sender", "receiver")),
       answer=st.sets(st.sampled_from(("supervisor", "liaison", "analyst")), min_size=1))
def test_only_a_party_moves_a_request_and_only_its_own_side(actor, sender, receiver, side, answer):
    decision = may_move_request(actor, side=side, from_agency=sender, to_agency=receiver, type_name="info",
                                answer_roles=frozenset(answer))
    party = receiver if side == "receiver" else sender
    assert decision.allowed == (actor.agency == party and (side == "sender" or bool(answer & actor.roles)))
    if decision:  # whoever may move a request is a party to it: it sees the request within its clearance
        assert may_see_request(actor, from_agency=sender, to_agency=receiver, marking_rank=actor.clearance_rank)
    if sender != receiver and actor.agency in (sender, receiver):  # never both sides' moves
        both = [may_move_request(actor, side=x, from_agency=sender, to_agency=receiver, type_name="info",
                                 answer_roles=frozenset(actor.roles)).allowed for x in ("sender", "receiver")]
        assert both.count(True) == 1


@PURE
@given(actor=staff(), sender=agencies, receiver=agencies, mover=st.one_of(st.none(), agencies))
def test_the_receiver_never_reads_a_request_as_its_sender_nor_learns_another_agencys_users(
        actor, sender, receiver, mover):
    as_sender = sees_as_sender(actor, from_agency=sender).allowed
    assert as_sender == (actor.agency == sender)
    if actor.agency == receiver != sender:
        assert not as_sender
    assert may_name_event_actor(actor, actor_agency=mover).allowed == (mover == actor.agency)


@PURE
@given(actor=staff())
def test_a_runs_node_wide_counts_go_to_those_who_may_run_it_and_the_operator(actor):
    assert may_see_run_details(None)
    assert may_see_run_details(actor).allowed == can(actor, "resolution.run").allowed
    if not {"admin"} & actor.roles:
        assert not may_see_run_details(actor)


# --- A run's summary of the values it read of a record: seeing them all, pure and SQL, and the summary
# deciding exactly what `visible_values` decides value by value.

value_rows = st.tuples(ranks, st.sampled_from(("inherit", "agency", "national")), agencies)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(world=st.lists(st.lists(value_rows, max_size=4), min_size=1, max_size=6),
       viewers=st.lists(actors(), min_size=1, max_size=4))
def test_who_sees_every_value_read_pure_and_sql_agree(db, world, viewers):
    data = [(i, *sum_up_values(values)) for i, values in enumerate(world)]
    model = _rows_of("v", [column("id", Integer), column("values_rank", Integer), column("kept_agency", String)], data)
    values = _rows_of("s", [column("set_id", Integer), column("n", Integer), column("marking_rank", Integer),
                            column("distribution", String), column("owner_agency", String)],
                      [(i, n, *value) for i, found in enumerate(world) for n, value in enumerate(found)] or
                      [(-1, 0, 0, "inherit", AGENCIES[0])])
    with db.session() as session:
        for actor in viewers:
            got = set(session.execute(select(model.id).where(sees_every_value(actor, model))).scalars())
            want = {i for i, rank, kept in data if may_see_every_value(actor, values_rank=rank, kept_agency=kept)}
            assert got == want, actor
            # the summary admits a set exactly when `visible_values` admits each of its values (an empty
            # set: never, as a record with nothing read is the comparison's to decide)
            admitted = set(session.execute(select(values.set_id, values.n).where(visible_values(actor, values))).all())
            assert want == {i for i, found in enumerate(world)
                            if found and all((i, n) in admitted for n in range(len(found)))}

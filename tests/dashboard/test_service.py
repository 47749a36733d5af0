"""The home page's picture: each panel over what the viewer may see, and nothing else leaves a trace."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from binational.access import service as access
from binational.access.policy import may_see_hit_ref, visible_hit_refs
from binational.audit.models import AuditEntry
from binational.dashboard import service as dashboard
from binational.db import act_as, act_as_system, utcnow
from binational.requests.models import HitRef
from tests.conftest import sequence_audit
from tests.requests.conftest import API, discover, record  # noqa: F401 - shared fixtures

PERSON = {"name": ["José María López Pérez"], "birthDate": ["1980-03-02"], "passportNumber": ["G1234567"]}


def _ask(client, who, to, question, **extra):  # noqa: ANN001, ANN202
    r = client.post(f"{API}/requests", headers=who.headers,
                    json={"type": "information", "to_agency": to, "question": question, **extra})
    assert r.status_code == 201, r.text
    return r.json()["id"]


@pytest.fixture
def scene(client, cast, record, discover):  # noqa: ANN001, ANN201, F811
    """US-CBP releases one person to MX-FGR and keeps another; asks MX-FGR one question and US-ATF
    another (MX-FGR must never learn of it); MX-FGR searches the kept person's passport (a hit)."""
    us = cast["us_analyst"]
    shared = record("us_analyst", "Person", {"name": ["Ana Ruiz"]}, distribution="release", release_to=["MX-FGR"])
    kept = record("us_analyst", "Person", PERSON)
    to_mx = _ask(client, us, "MX-FGR", "Who is Ana Ruiz?", entity_ids=[shared])
    to_atf = _ask(client, us, "US-ATF", "Whose rifle is this?", entity_ids=[kept])
    [hit] = discover("mx_analyst", {"type": "document", "value": "G1234567"})
    assert hit["hits"][0]["agency"] == "US-CBP"
    return {"shared": shared, "kept": kept, "to_mx": to_mx, "to_atf": to_atf}


def _actor(s, who):  # noqa: ANN001, ANN202
    actor = access.actor_for(session=s, user=access.find_user(session=s, username=who))
    act_as(s, actor)  # the viewer of the session, as a request's is (row-level security on PostgreSQL)
    return actor


def _picture(db, cast, who):  # noqa: ANN001, ANN202
    with db.unit_of_work() as s:
        return dashboard.picture(session=s, actor=_actor(s, who))


def _total(picture, series):  # noqa: ANN001, ANN202
    return sum(p["count"] for p in picture.series if p["series"] == series)


def test_partners_and_outsiders_see_no_trace_of_what_is_hidden(db, cast, scene):  # noqa: ANN001
    mx = _picture(db, cast, "mx_analyst")
    assert [c.id for c in mx.clocks] == [scene["to_mx"]] and (mx.open_in, mx.open_out) == (1, 0)
    assert _total(mx, "requests_in") == 1 and _total(mx, "requests_out") == 0
    assert [r.entity.id for r in mx.received] == [scene["shared"]] and mx.given == []
    assert _total(mx, "released_to_us") == 1
    assert mx.hits == {"US-CBP": 1} and mx.searched is None  # its own search's hit; no auditor's panel
    text = repr(mx)
    for secret in (scene["kept"], scene["to_atf"], "US-ATF", "rifle", "López"):
        assert secret not in text

    gt = _picture(db, cast, "outsider")
    assert gt.clocks == [] and gt.received == [] and gt.given == [] and gt.hits == {} and gt.review == []
    assert all(p["count"] == 0 for p in gt.series)
    for secret in (scene["kept"], scene["shared"], scene["to_mx"], scene["to_atf"], "US-CBP", "MX-FGR"):
        assert secret not in repr(gt)


def test_the_owner_sees_its_clocks_releases_and_who_searched_its_records(db, cast, scene):  # noqa: ANN001
    us = _picture(db, cast, "us_analyst")
    assert {c.id for c in us.clocks} == {scene["to_mx"], scene["to_atf"]}
    assert (us.open_in, us.open_out, us.overdue_out) == (0, 2, 0)
    assert all(not c.incoming and c.hours_left > 0 for c in us.clocks)
    assert [(g.entity.id, g.partner) for g in us.given] == [(scene["shared"], "MX-FGR")]
    assert us.hits == {} and us.searched is None  # MX-FGR's hit reference is MX-FGR's alone
    sequence_audit(db)
    auditor = _picture(db, cast, "us_auditor")
    assert auditor.searched == {"MX-FGR": 1} and _total(auditor, "searched") == 1
    assert auditor.clocks == [] and auditor.received == []  # an auditor holds no record.view
    assert _picture(db, cast, "mx_auditor").searched == {}  # its own agency's search is no partner's


def test_clocks_count_overdue_requests(db, cast, scene):  # noqa: ANN001
    with db.unit_of_work() as s:
        later = dashboard.picture(session=s, actor=_actor(s, "mx_analyst"), now=utcnow() + timedelta(days=60))
    assert (later.open_in, later.overdue_in) == (1, 1)
    assert later.clocks[0].overdue and later.clocks[0].hours_left < 0


def test_one_audit_entry_names_what_the_picture_shows(db, cast, scene):  # noqa: ANN001
    _picture(db, cast, "mx_analyst")
    sequence_audit(db)
    with db.unit_of_work() as s:
        act_as_system(s)
        row = s.execute(select(AuditEntry).where(AuditEntry.action == "dashboard.view")
                        .order_by(AuditEntry.seq.desc()).limit(1)).scalar_one()
    objects = json.loads(row.entry)["objects"]
    assert set(objects) == {scene["to_mx"], scene["shared"]}


def test_hit_references_rule_and_its_sql_agree(db, cast, scene):  # noqa: ANN001
    with db.unit_of_work() as s:
        act_as_system(s)
        refs = s.execute(select(HitRef)).scalars().all()
        assert refs
        for who in ("us_analyst", "mx_analyst", "outsider"):
            actor = access.actor_for(session=s, user=access.find_user(session=s, username=who))
            sql = set(s.execute(select(HitRef.ref).where(visible_hit_refs(actor, HitRef))).scalars())
            assert sql == {r.ref for r in refs if may_see_hit_ref(actor, caller_agency=r.caller_agency)}

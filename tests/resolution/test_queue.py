"""The review queue at scale: totals that count what the pages list, filters, and bulk acceptance
above the node's floor (one audited judgement a pair; below the floor nothing is written)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from binational.access import service as access
from binational.audit.models import AuditEntry
from binational.db import act_as, act_as_system
from binational.resolution import runs
from binational.resolution.models import Judgement, Suggestion
from tests.conftest import sequence_audit
from tests.web.conftest import sign_in


@pytest.fixture
def scored(db, loaded):
    """The small world's persons resolved by a run (CBP and FGR see each other's; ATF and INM keep theirs)."""
    with db.unit_of_work() as s:
        admin = access.actor_for(session=s, user=access.get_user(session=s, username="admin"))
        act_as(s, admin)
        assert runs.run(session=s, actor=admin, kinds=["person"]).status == "finished"
    return loaded


def _listed(client, member, **filters) -> list[dict]:
    items, cursor = [], None
    while True:
        params = {**filters, "limit": 50, **({"cursor": cursor} if cursor else {})}
        page = client.get("/api/v1/resolution/suggestions", params=params, headers=member.headers).json()
        items += page["items"]
        cursor = page["next_cursor"]
        if not cursor:
            return items


def _count(db, model, *where) -> int:
    sequence_audit(db)
    with db.session() as s:
        act_as_system(s)
        return s.execute(select(func.count()).select_from(model).where(*where)).scalar_one()


def test_queue_totals_count_only_the_pairs_a_viewer_may_see(client, cast, db, scored):
    with db.session() as s:
        act_as_system(s)
        node_wide = s.execute(select(func.count()).select_from(Suggestion)).scalar_one()
    # whose records each may see: CBP and FGR release to each other, ATF and INM keep theirs
    sees = {"us_analyst": {"US-CBP", "MX-FGR"}, "mx_analyst": {"US-CBP", "MX-FGR"}, "us_atf": {"US-ATF"},
            "mx_inm": {"MX-INM"}, "outsider": set()}
    for who, agencies in sees.items():
        member = cast[who]
        totals = client.get("/api/v1/resolution/suggestions/totals", headers=member.headers).json()
        listed = _listed(client, member)
        assert totals["total"] == len(listed) and totals["unjudged"] == len(listed), who
        assert all({p["left"]["owner_agency"], p["right"]["owner_agency"]} <= agencies for p in listed), who
    cbp = client.get("/api/v1/resolution/suggestions/totals", headers=cast["us_analyst"].headers).json()
    outsider = client.get("/api/v1/resolution/suggestions/totals", headers=cast["outsider"].headers).json()
    assert 0 < cbp["total"] < node_wide and outsider == {"total": 0, "unjudged": 0, "floor": 0.98}


def test_queue_filters_by_agency_score_band_and_schema(client, cast, scored):
    fgr = cast["mx_analyst"]
    every = _listed(client, fgr)
    high = _listed(client, fgr, min_score=0.99)
    band = _listed(client, fgr, min_score=0.5, max_score=0.99)
    assert high and all(p["score"] >= 0.99 for p in high)
    assert all(0.5 <= p["score"] <= 0.99 for p in band)
    assert {p["id"] for p in high} | {p["id"] for p in band} <= {p["id"] for p in every}
    mine = _listed(client, fgr, mine=True)
    assert mine and all("MX-FGR" in (p["left"]["owner_agency"], p["right"]["owner_agency"]) for p in mine)
    assert len(_listed(client, fgr, schema="Person")) == len(every) and _listed(client, fgr, schema="Company") == []
    totals = client.get("/api/v1/resolution/suggestions/totals", params={"min_score": 0.99}, headers=fgr.headers)
    assert totals.json()["total"] == len(high)
    for bad in ({"schema": "Planet"}, {"min_score": 2}, {"kind": "planet"}):
        r = client.get("/api/v1/resolution/suggestions", params=bad, headers=fgr.headers)
        assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_input", bad


def test_bulk_accept_above_the_floor_judges_each_pair_and_below_it_writes_nothing(client, cast, db, scored):
    cbp = cast["us_analyst"]
    judged_before = _count(db, AuditEntry, AuditEntry.action == "resolution.judge")
    below = client.post("/api/v1/resolution/suggestions/accept", json={"min_score": 0.9}, headers=cbp.headers)
    assert below.status_code == 422
    assert "at least 0.98, the floor set for this node" in below.json()["error"]["message"]
    assert _count(db, Judgement) == 0
    assert _count(db, AuditEntry, AuditEntry.action == "resolution.judge") == judged_before

    expected = {p["id"] for p in _listed(client, cbp, min_score=0.98, unjudged=True)}
    assert expected
    nobody = client.post("/api/v1/resolution/suggestions/accept", json={"min_score": 0.98},
                         headers=cast["outsider"].headers)
    assert nobody.status_code == 200 and nobody.json()["accepted"] == 0
    done = client.post("/api/v1/resolution/suggestions/accept", json={"min_score": 0.98}, headers=cbp.headers).json()
    assert done["accepted"] == len(expected)
    sequence_audit(db)
    with db.session() as s:
        act_as_system(s)
        rows = s.execute(select(Judgement)).scalars().all()
        entries = s.execute(select(AuditEntry.entry).where(AuditEntry.action == "resolution.judge")).scalars().all()
    assert {r.suggestion_id for r in rows} == expected
    assert {(r.verdict, r.owner_agency) for r in rows} == {("positive", "US-CBP")}
    assert len(entries) == judged_before + len(expected) and all('"bulk":true' in e for e in entries)
    again = client.post("/api/v1/resolution/suggestions/accept", json={"min_score": 0.98}, headers=cbp.headers)
    assert again.json()["accepted"] == 0
    totals = client.get("/api/v1/resolution/suggestions/totals", headers=cbp.headers).json()
    assert totals["total"] - totals["unjudged"] == len(expected)


def test_the_queue_page_shows_totals_and_accepts_in_bulk_in_english_and_spanish(client, cast, db, scored):
    sign_in(client, "mx_analyst")
    page = client.get("/resolution?min=99", headers={"Accept-Language": "es"})
    assert page.status_code == 200 and "Pares en esta cola:" in page.text and 'action="/resolution/accept"' in page.text
    csrf = page.text.split('name="csrf" value="')[1].split('"')[0]
    below = client.post("/resolution/accept", data={"csrf": csrf, "min_score": "90"}, headers={"Accept-Language": "es"})
    assert below.status_code == 422 and "no se aceptó nada" in below.text
    assert _count(db, Judgement) == 0
    bad = client.get("/resolution?min=abc")
    assert bad.status_code == 422 and "percentage between 0 and 100" in bad.text
    done = client.post("/resolution/accept", data={"csrf": csrf, "min_score": "99", "mine": "true"},
                       follow_redirects=False)
    assert done.status_code == 303 and "accepted=" in done.headers["location"]
    shown = client.get(done.headers["location"])
    count = int(done.headers["location"].split("accepted=")[1].split("&")[0])
    assert count > 0 and f"Pairs accepted: {count}." in shown.text
    assert _count(db, Judgement) == count

"""Attacks on the network views: what the audit log says was shown, and what one view costs.

A partner analyst opens a network too large to show: the node answers 422 and logs a refusal that
names no record, so who-saw does not name the analyst as a reader of every record in the graph. A
network it is shown is logged with exactly the nodes and link records it shows. An ego network is
read from the centre's neighbourhood, never from the whole graph.
"""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from binational.access import service as access
from binational.audit.models import AuditEntry
from binational.config import get_settings
from binational.db import act_as, act_as_system
from binational.networks import neighbourhood
from binational.resolution import service as resolution
from tests.conftest import sequence_audit
from tests.web.conftest import sign_in

SHARED = {"distribution": "release", "release_to": ["MX-FGR"]}


def _create(client, member, body):
    r = client.post("/api/v1/entities", headers=member.headers, json=body)
    assert r.status_code == 201, r.text
    return r.json()["id"]


@pytest.fixture
def ring(client, cast):
    """US-CBP's ring released to MX-FGR: Ana called Beto, Beto called Ceci; and a crowd of twenty
    pairs of associates that has nothing to do with the ring."""
    us = cast["us_analyst"]
    people = {name: _create(client, us, {"schema": "Person", "properties": {"name": [name]}, **SHARED})
              for name in ("Ana Ruiz", "Beto Soto", "Ceci Luna")}
    ana, beto, ceci = people.values()
    calls = [_create(client, us, {"schema": "Call", "properties": {"caller": [a], "receiver": [b],
                                                                     "date": ["2024-03-01"]}, **SHARED})
             for a, b in ((ana, beto), (beto, ceci))]
    crowd = []
    for i in range(20):
        a = _create(client, us, {"schema": "Person", "properties": {"name": [f"Crowd Left {i}"]}, **SHARED})
        b = _create(client, us, {"schema": "Person", "properties": {"name": [f"Crowd Right {i}"]}, **SHARED})
        crowd += [a, b, _create(client, us, {"schema": "Associate", "properties": {"person": [a], "associate": [b]},
                                             **SHARED})]
    return {"ana": ana, "beto": beto, "ceci": ceci, "calls": calls, "crowd": crowd}


def _entries(db, action):
    sequence_audit(db)
    with db.session() as s:
        act_as_system(s)
        rows = s.execute(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.seq)).scalars()
        return [json.loads(r.entry) for r in rows]


def _limit(monkeypatch, nodes):
    monkeypatch.setenv("BINATIONAL_NETWORK_MAX_NODES", str(nodes))
    get_settings.cache_clear()


def test_a_refused_network_view_is_a_deny_naming_no_record(client, cast, ring, db, monkeypatch):
    mx = cast["mx_analyst"]
    _limit(monkeypatch, 2)
    for path, params in (("/api/v1/networks/graph", {}), ("/api/v1/networks/communities", {}),
                         (f"/api/v1/networks/ego/{ring['ana']}", {"depth": 3}),
                         ("/api/v1/networks/export", {"format": "graphml"})):
        r = client.get(path, headers=mx.headers, params=params)
        assert r.status_code == 422, (path, r.text)
        error = r.json()["error"]
        assert error["code"] == "invalid_input" and "more than 2 nodes" in error["message"]
    r = client.post("/api/v1/networks/plans", headers=mx.headers, json={"budget": 1})
    assert r.status_code == 422 and "more than 2 nodes" in r.json()["error"]["message"]
    # the page's data route answers the refusal itself: the same deny, no ids
    sign_in(client, "mx_analyst")
    r = client.get("/network/data")
    assert r.status_code == 422 and "more than 2 nodes" in r.json()["error"]

    entries = _entries(db, "network.view") + _entries(db, "network.export") + _entries(db, "network.plan")
    assert len(entries) == 6 and all(e["actor"] == "mx_analyst" for e in entries)
    for entry in entries:
        assert entry["decision"] == "deny" and entry["objects"] == [], entry
    # who-saw of a record of the ring: nobody was shown it
    auditor = cast["us_auditor"]
    for record in (ring["ana"], ring["crowd"][0]):
        r = client.get(f"/api/v1/audit/who-saw/{record}", headers=auditor.headers)
        assert r.status_code == 200, r.text
        assert [x for x in r.json()["items"] if x["actor"] == "mx_analyst"] == []


def test_a_network_answer_is_logged_with_what_it_shows(client, cast, ring, db, monkeypatch):
    mx, auditor = cast["mx_analyst"], cast["us_auditor"]
    _limit(monkeypatch, 10)
    r = client.get(f"/api/v1/networks/ego/{ring['ana']}", headers=mx.headers, params={"depth": 1})
    assert r.status_code == 200, r.text
    assert {n["id"] for n in r.json()["nodes"]} == {ring["ana"], ring["beto"]}
    entry = _entries(db, "network.view")[-1]
    assert entry["decision"] == "allow"
    assert sorted(entry["objects"]) == sorted(
        [ring["ana"], ring["beto"], ring["calls"][0]])
    # who-saw names the reader of what it was shown, and only of that
    seen = client.get(f"/api/v1/audit/who-saw/{ring['beto']}", headers=auditor.headers).json()["items"]
    assert [x["actor"] for x in seen if x["action"] == "network.view"] == ["mx_analyst"]
    unseen = client.get(f"/api/v1/audit/who-saw/{ring['ceci']}", headers=auditor.headers).json()["items"]
    assert [x for x in unseen if x["action"] == "network.view"] == []


def test_an_ego_network_reads_only_its_neighbourhood(db, ring, monkeypatch):
    with db.unit_of_work() as s:
        act_as_system(s)
        actor = access.actor_for(session=s, user=access.get_user(session=s, username="mx_analyst"))
        act_as(s, actor)
        net, read = neighbourhood.expand(s, actor, ring["ana"], 1, limit=10,
                                         resolve=lambda ids: resolution.clusters_of(s, actor, ids))
        assert set(net.nodes) == {ring["ana"], ring["beto"]}
        # the crowd (60 entities) was never read; the ring's records were, and Ceci only as a party
        # at the edge (read to tell whether she is one, not kept)
        assert not set(ring["crowd"]) & read.tried
        assert read.tried <= {ring["ana"], ring["beto"], ring["ceci"], *ring["calls"]}
        assert read.statements_read <= 12
        # past the limit the expansion stops before reading further
        with pytest.raises(Exception, match="more than 2 nodes"):
            neighbourhood.expand(s, actor, ring["ana"], 3, limit=2,
                                 resolve=lambda ids: resolution.clusters_of(s, actor, ids))

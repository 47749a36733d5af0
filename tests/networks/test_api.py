"""Analyses, plans and exports through the API, and bad input."""

import json
from xml.etree import ElementTree as ET

from sqlalchemy import select

from binational.audit.models import AuditEntry
from binational.db import act_as_system
from tests.conftest import sequence_audit


def test_ego_of_an_invisible_entity_is_404_like_a_missing_one(client, cast, world):
    mx = cast["mx_analyst"]
    hidden = client.get(f"/api/v1/networks/ego/{world['carla']}", headers=mx.headers)
    missing = client.get("/api/v1/networks/ego/us-cbp.nothing", headers=mx.headers)
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json()["error"]["code"] == missing.json()["error"]["code"] == "not_found"


def test_ego_network(client, cast, world):
    r = client.get(f"/api/v1/networks/ego/{world['beto']}", headers=cast["us_analyst"].headers,
                   params={"depth": 1, "type": "Call"})
    assert r.status_code == 200, r.text
    assert {n["id"] for n in r.json()["nodes"]} == {world["ana"], world["beto"]}


def test_bad_scopes_are_422(client, cast, world):
    us = cast["us_analyst"].headers
    r = client.get(f"/api/v1/networks/ego/{world['ana']}", headers=us, params={"depth": 4})
    assert r.status_code == 422 and "depth" in r.json()["error"]["message"]
    r = client.get("/api/v1/networks/graph", headers=us, params={"start": "2024-05-01", "end": "2024-01-01"})
    assert r.status_code == 422 and "start is after end" in r.json()["error"]["message"]
    r = client.get("/api/v1/networks/export", headers=us, params={"format": "pdf"})
    assert r.status_code == 422


def test_path_and_communities(client, cast, world):
    us = cast["us_analyst"].headers
    r = client.get("/api/v1/networks/path", headers=us, params={"source": world["carla"], "target": world["beto"]})
    assert r.status_code == 200, r.text
    assert [n["id"] for n in r.json()["nodes"]][0] == world["carla"]
    r = client.get("/api/v1/networks/path", headers=cast["mx_analyst"].headers,
                   params={"source": world["carla"], "target": world["beto"]})
    assert r.status_code == 404
    r = client.get("/api/v1/networks/communities", headers=us)
    assert r.status_code == 200 and sum(r.json()["sizes"]) == 3


def test_plan_is_explained_and_audited(client, cast, world, db):
    us = cast["us_analyst"].headers
    r = client.post("/api/v1/networks/plans", headers=us, json={"budget": 1, "ties": 3})
    assert r.status_code == 200, r.text
    plan = r.json()
    assert plan["targets"][0]["id"] == world["ana"]  # the one tied to both others
    assert plan["curve"][0] == 1.0 and plan["curve"][1] < 1.0
    assert set(plan["compare"]) == {"hybrid", "betweenness", "degree"}
    assert plan["sensitivity"]["runs"] == 3
    sequence_audit(db)
    with db.session() as s:
        act_as_system(s)
        entries = s.execute(select(AuditEntry).where(AuditEntry.action == "network.plan")).scalars().all()
    assert len(entries) == 1 and world["ana"] in entries[0].entry


def test_plan_bad_input(client, cast, world):
    us = cast["us_analyst"].headers
    r = client.post("/api/v1/networks/plans", headers=us, json={"budget": 10})
    assert r.status_code == 422 and "budget" in r.json()["error"]["message"]
    r = client.post("/api/v1/networks/plans", headers=us, json={"budget": 1, "method": "magic"})
    assert r.status_code == 422
    r = client.post("/api/v1/networks/plans", headers=cast["mx_analyst"].headers,
                    json={"budget": 1, "protected": [world["carla"]]})
    assert r.status_code == 404


def test_exports(client, cast, world):
    us = cast["us_analyst"].headers
    for fmt in ("graphml", "gexf"):
        r = client.get("/api/v1/networks/export", headers=us, params={"format": fmt})
        assert r.status_code == 200
        root = ET.fromstring(r.text)
        assert len([el for el in root.iter() if el.tag.endswith("}node")]) == 3
    r = client.get("/api/v1/networks/export", headers=cast["mx_analyst"].headers, params={"format": "ftm"})
    lines = [json.loads(line) for line in r.text.splitlines()]
    assert {e["id"] for e in lines} == {world["ana"], world["beto"], world["family"]}
    ana = next(e for e in lines if e["id"] == world["ana"])
    assert "phone" not in ana["properties"]  # kept to US-CBP
    # who saw MX-FGR's Family record: the export wrote it whole, as a link's record
    saw = client.get(f"/api/v1/audit/who-saw/{world['family']}", headers=cast["mx_auditor"].headers).json()
    assert [(e["action"], e["actor"]) for e in saw["items"]][:1] == [("network.export", "mx_analyst")], saw


def test_plan_around_an_organisation_targets_its_people(client, cast, world):
    us = cast["us_analyst"]
    org = client.post("/api/v1/entities", headers=us.headers, json={
        "schema": "Organization", "properties": {"name": ["Cartel del Norte"]}}).json()["id"]
    for person in (world["ana"], world["carla"]):
        r = client.post("/api/v1/entities", headers=us.headers, json={
            "schema": "Membership", "properties": {"organization": [org], "member": [person]}})
        assert r.status_code == 201, r.text
    r = client.post("/api/v1/networks/plans", headers=us.headers,
                    json={"budget": 1, "ties": 0, "scope": {"entity": org, "depth": 2}})
    assert r.status_code == 200, r.text
    assert r.json()["nodes"] == 3 and r.json()["targets"][0]["id"] == world["ana"]

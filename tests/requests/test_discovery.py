"""Hit/no-hit: full matches for what the viewer may see, bare hits for the rest, audited with hashes."""

from __future__ import annotations

import json

from sqlalchemy import select

from binational.audit.models import AuditEntry
from binational.db import act_as_system
from tests.conftest import sequence_audit

PERSON = {"name": ["José María López Pérez"], "birthDate": ["1980-03-02"], "passportNumber": ["G1234567"],
          "phone": ["+19155551234"], "nationality": ["mx"]}


def test_hidden_match_says_only_hit_agency_and_ref(client, cast, record, discover) -> None:  # noqa: ANN001
    person = record("us_analyst", "Person", PERSON, marking="TLP:AMBER")
    [result] = discover("mx_analyst", {"type": "document", "value": "g 123-4567"})
    assert result["hit"] is True and result["matches"] == []
    [hit] = result["hits"]
    assert set(hit) == {"hit", "agency", "hit_ref"} and hit["agency"] == "US-CBP"
    assert hit["hit_ref"].startswith("hr_")
    r = client.post("/api/v1/discovery", headers=cast["mx_analyst"].headers,
                    json={"selectors": [{"type": "document", "value": "G1234567"}]})
    for secret in (person, person.split(".")[1], "Person", "TLP:AMBER", "López", "1980", "+1915"):
        assert secret not in r.text


def test_visible_match_comes_in_full(record, discover) -> None:  # noqa: ANN001
    person = record("us_analyst", "Person", PERSON, distribution="release", release_to=["MX-FGR"])
    [result] = discover("mx_analyst", {"type": "phone", "value": "+1 915 555 1234"})
    assert result["hits"] == []
    assert result["matches"] == [{"entity_id": person, "schema": "Person", "agency": "US-CBP", "score": 1.0}]
    [own] = discover("us_analyst", {"type": "phone", "value": "915-555-1234", "country": "US"})
    assert [m["entity_id"] for m in own["matches"]] == [person]


def test_no_match_is_no_hit(record, discover) -> None:  # noqa: ANN001
    record("us_analyst", "Person", PERSON)
    results = discover("mx_analyst", {"type": "document", "value": "G7654321"},
                       {"type": "email", "value": "nobody@example.org"})
    assert [(r["hit"], r["matches"], r["hits"]) for r in results] == [(False, [], []), (False, [], [])]


def test_hidden_statement_of_a_visible_entity_gives_no_content(client, cast, record, discover) -> None:  # noqa: ANN001
    person = record("us_analyst", "Person", {"name": ["Ana Ruiz Soto"]}, distribution="release",
                    release_to=["MX-FGR"])
    r = client.patch(f"/api/v1/entities/{person}", headers=cast["us_analyst"].headers,
                     json={"add": {"phone": ["+526641234567"]}, "distribution": "agency"})
    assert r.status_code == 200
    [result] = discover("mx_analyst", {"type": "phone", "value": "+52 664 123 4567"})
    assert result["matches"] == [] and [h["agency"] for h in result["hits"]] == ["US-CBP"]
    r = client.patch(f"/api/v1/entities/{person}", headers=cast["us_analyst"].headers,
                     json={"add": {"phone": ["+526649999999"]}, "marking": "TLP:RED"})
    assert r.status_code == 422  # above the analyst's clearance; the supervisor adds it instead
    r = client.patch(f"/api/v1/entities/{person}", headers=cast["us_supervisor"].headers,
                     json={"add": {"phone": ["+526649999999"]}, "marking": "TLP:RED"})
    assert r.status_code == 200
    # A RED value answers no hit, even to a colleague of its own agency who may not see it (issue 12).
    [result] = discover("us_analyst", {"type": "phone", "value": "+526649999999"})
    assert result["matches"] == [] and result["hits"] == [] and result["hit"] is False
    [result] = discover("us_supervisor", {"type": "phone", "value": "+526649999999"})
    assert [m["entity_id"] for m in result["matches"]] == [person]


def test_removed_values_and_deleted_entities_no_longer_hit(client, cast, record, discover) -> None:  # noqa: ANN001
    person = record("us_analyst", "Person", PERSON)
    gun = record("us_atf", "Firearm", {"serialNumber": ["TCA123456"]})
    h = cast["us_analyst"].headers
    assert client.patch(f"/api/v1/entities/{person}", headers=h,
                        json={"remove": {"passportNumber": ["G1234567"]}}).status_code == 200
    assert client.delete(f"/api/v1/entities/{gun}", headers=cast["us_atf"].headers).status_code == 204
    results = discover("mx_analyst", {"type": "document", "value": "G1234567"},
                       {"type": "firearm", "value": "tca-123456"}, {"type": "phone", "value": "+19155551234"})
    assert [r["hit"] for r in results] == [False, False, True]


def test_name_and_birth_date_match_fuzzily_with_score_for_visible_only(record, discover) -> None:  # noqa: ANN001
    shared = record("us_analyst", "Person", {"name": ["María de la Cruz Hernández"], "birthDate": ["1975-06-01"]},
                    distribution="release", release_to=["MX-FGR"])
    record("us_atf", "Person", {"name": ["José María López Pérez"], "birthDate": ["1980-03-02"]})
    partial = record("us_analyst", "Person", {"name": ["Rosa Elena Ibarra"], "birthDate": ["1962"]},
                     distribution="release", release_to=["MX-FGR"])
    results = discover(
        "mx_analyst",
        {"type": "name_birth", "value": "HERNANDEZ, Maria Cruz", "birth_date": "1975-06-01"},
        {"type": "name_birth", "value": "Jose Maria Lopez", "birth_date": "1980-03-02"},
        {"type": "name_birth", "value": "José María López Pérez", "birth_date": "1980-03-03"},
        {"type": "name_birth", "value": "Juan Gómez Ruiz", "birth_date": "1980-03-02"},
        {"type": "name_birth", "value": "Rosa Elena Ibarra", "birth_date": "1962-11-20"},
        {"type": "name_birth", "value": "Maria Cruz Hernandes", "birth_date": "1975-06-01"},
    )
    assert results[0]["matches"] == [{"entity_id": shared, "schema": "Person", "agency": "US-CBP", "score": 1.0}]
    assert results[1]["matches"] == [] and [h["agency"] for h in results[1]["hits"]] == ["US-ATF"]
    assert "score" not in json.dumps(results[1]["hits"])
    assert [r["hit"] for r in results[2:4]] == [False, False]
    assert [m["entity_id"] for m in results[4]["matches"]] == [partial]
    [fuzzy] = results[5]["matches"]
    assert fuzzy["entity_id"] == shared and 0.8 <= fuzzy["score"] < 1.0


def test_one_ref_per_agency_and_selector_however_many_records(record, discover) -> None:  # noqa: ANN001
    for _ in range(3):
        record("us_atf", "Vehicle", {"registrationNumber": ["XYZ-987"]})
    record("mx_analyst", "Vehicle", {"registrationNumber": ["xyz 987"]})
    [result] = discover("us_analyst", {"type": "vehicle", "value": "XYZ987"})
    assert sorted(h["agency"] for h in result["hits"]) == ["MX-FGR", "US-ATF"]
    [again] = discover("us_analyst", {"type": "vehicle", "value": "XYZ987"})
    assert {h["hit_ref"] for h in again["hits"]}.isdisjoint(h["hit_ref"] for h in result["hits"])


def test_every_call_is_audited_with_hashes_never_values(client, cast, record, discover, db) -> None:  # noqa: ANN001
    person = record("us_analyst", "Person", PERSON)
    discover("mx_analyst", {"type": "document", "value": "G1234567"}, {"type": "email", "value": "a@b.example"})
    sequence_audit(db)
    with db.unit_of_work() as s:
        act_as_system(s)
        entries = [json.loads(e) for e in s.execute(select(AuditEntry.entry)).scalars()]
    searches = [e for e in entries if e["action"] == "discovery.search"]
    assert len(searches) == 1 and searches[0]["actor"] == "mx_analyst"
    assert [sel["type"] for sel in searches[0]["extra"]["selectors"]] == ["document", "email"]
    assert all(len(sel["sha256"]) == 64 for sel in searches[0]["extra"]["selectors"])
    assert person not in json.dumps(searches[0])
    text = json.dumps(entries)
    assert "G1234567" not in text.split('"entity.create"')[-1] and "a@b.example" not in text
    [hit] = [e for e in entries if e["action"] == "discovery.hit"]
    # The entry names the searcher (its agency is what the holder's auditors need), not "system".
    assert hit["objects"] == [person] and hit["actor"] == "mx_analyst" and hit["agency"] == "MX-FGR"
    # The holder's auditor learns its record was hit; the searcher's auditor does not learn which record.
    mx_view = client.get("/api/v1/audit", headers=cast["mx_auditor"].headers).json()
    assert person not in json.dumps(mx_view)
    us_view = client.get("/api/v1/audit?action=discovery.hit", headers=cast["us_auditor"].headers).json()
    assert [e["objects"] for e in us_view["items"]] == [[person]]

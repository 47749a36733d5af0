"""The entity list's `?q=`, on both databases: a word's beginning, the word, a typing error away; the
closest first (PostgreSQL finds candidates with pg_trgm, SQLite with FTS5's trigram tokenizer)."""

import pytest


@pytest.fixture
def people(client, cast):
    us = cast["us_analyst"]
    ids = {}
    for name in ("José María López", "Lopezz Ortiz", "Ana García_Ruiz"):
        r = client.post("/api/v1/entities", headers=us.headers, json={
            "schema": "Person", "properties": {"name": [name]}, "distribution": "agency"})
        assert r.status_code == 201, r.text
        ids[name] = r.json()["id"]
    return ids


#: the results expected, tier by tier (a tier's results score alike, so come in any order)
@pytest.mark.parametrize(("q", "expected"), [
    ("lop", [{"José María López", "Lopezz Ortiz"}]),
    ("lopez", [{"José María López"}, {"Lopezz Ortiz"}]),
    ("lopezz", [{"Lopezz Ortiz"}, {"José María López"}]),
    ("lopf", []),
    ("garc", [{"Ana García_Ruiz"}]),
    ("jose lopez", [{"José María López"}]),
    ("%", []),
])
def test_prefix_search(client, cast, people, q, expected):
    r = client.get("/api/v1/entities", params={"q": q}, headers=cast["us_analyst"].headers)
    if q == "%":
        assert r.status_code == 422
        return
    assert r.status_code == 200, r.text
    ids = [e["id"] for e in r.json()["items"]]
    for tier in expected:
        assert set(ids[:len(tier)]) == {people[n] for n in tier}, q
        ids = ids[len(tier):]
    assert ids == []

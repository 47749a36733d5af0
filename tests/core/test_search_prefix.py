"""Search by prefix, on both databases (PostgreSQL matches by a range on the term index)."""

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


@pytest.mark.parametrize(("q", "expected"), [
    ("lop", {"José María López", "Lopezz Ortiz"}),
    ("lopez", {"José María López", "Lopezz Ortiz"}),
    ("lopezz", {"Lopezz Ortiz"}),
    ("lopf", set()),
    ("garc", {"Ana García_Ruiz"}),
    ("jose lopez", {"José María López"}),
    ("%", set()),
])
def test_prefix_search(client, cast, people, q, expected):
    r = client.get("/api/v1/entities", params={"q": q}, headers=cast["us_analyst"].headers)
    if q == "%":
        assert r.status_code == 422
        return
    assert r.status_code == 200, r.text
    assert {e["id"] for e in r.json()["items"]} == {people[n] for n in expected}

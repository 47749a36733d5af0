"""The foundation end to end: a US analyst records and releases; the MX analyst sees just that."""


def test_release_reaches_partner_and_nothing_else(client, cast):
    us, mx = cast["us_analyst"], cast["mx_analyst"]
    shared = client.post("/api/v1/entities", headers=us.headers, json={
        "schema": "Person", "properties": {"name": ["José María López"], "phone": ["+19155551234"]},
        "distribution": "release", "release_to": ["MX-FGR"], "marking": "TLP:AMBER"})
    assert shared.status_code == 201, shared.text
    kept = client.post("/api/v1/entities", headers=us.headers, json={
        "schema": "Vehicle", "properties": {"registrationNumber": ["ABC1234"]}})
    assert kept.status_code == 201
    seen = client.get("/api/v1/entities", headers=mx.headers).json()["items"]
    assert [e["id"] for e in seen] == [shared.json()["id"]]
    r = client.get(f"/api/v1/entities/{kept.json()['id']}", headers=mx.headers)
    assert r.status_code == 404, r.text

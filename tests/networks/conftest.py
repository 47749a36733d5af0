"""A small shared world: US and MX records of three people and the links between them."""

import pytest


def _create(client, member, body):
    r = client.post("/api/v1/entities", headers=member.headers, json=body)
    assert r.status_code == 201, r.text
    return r.json()["id"]


@pytest.fixture
def world(client, cast):
    """US-CBP holds Ana, Beto (released to MX-FGR) and Carla (US only); a US-only call Ana -> Beto;
    a phone shared by Ana and Carla, kept to US-CBP on Ana; MX-FGR's own record that Ana and Beto are family."""
    us, mx = cast["us_analyst"], cast["mx_analyst"]
    shared = {"distribution": "release", "release_to": ["MX-FGR"]}
    ana = _create(client, us, {"schema": "Person", "properties": {"name": ["Ana Ruiz"]}, **shared})
    beto = _create(client, us, {"schema": "Person", "properties": {"name": ["Beto Soto"],
                                                                    "phone": ["+1 915 555 0199"]}, **shared})
    carla = _create(client, us, {"schema": "Person", "properties": {"name": ["Carla Vega"],
                                                                     "phone": ["+19155550100"]}})
    r = client.patch(f"/api/v1/entities/{ana}", headers=us.headers,
                     json={"add": {"phone": ["+1 (915) 555-0100"]}, "distribution": "agency"})
    assert r.status_code == 200, r.text
    call = _create(client, us, {"schema": "Call", "properties": {
        "caller": [ana], "receiver": [beto], "date": ["2024-03-01"]}})
    call2 = _create(client, us, {"schema": "Call", "properties": {
        "caller": [beto], "receiver": [ana], "date": ["2024-05-01"]}})
    family = _create(client, mx, {"schema": "Family", "properties": {
        "person": [ana], "relative": [beto], "relationship": ["hermanos"]}})
    return {"ana": ana, "beto": beto, "carla": carla, "call": call, "call2": call2, "family": family}

"""The authorisation matrix over the cast: who sees which row, through every read path.

Invisible answers exactly like missing: the same status and the same body (with the id swapped).
"""

from __future__ import annotations

import uuid

from binational.access import service as access
from binational.db import act_as
from binational.entities import releases

ANALYSTS = ("us_analyst", "us_supervisor", "us_atf", "mx_analyst", "mx_inm", "outsider")
NO_RECORD_ROLE = ("us_auditor", "mx_auditor", "admin")

# row name -> (author, policy of the POST body, who of ANALYSTS sees it)
ROWS = {
    "cbp_agency_amber": ("us_analyst", {"distribution": "agency", "marking": "TLP:AMBER"},
                         {"us_analyst", "us_supervisor"}),
    "cbp_national_green": ("us_analyst", {"distribution": "national", "marking": "TLP:GREEN"},
                           {"us_analyst", "us_supervisor", "us_atf"}),
    "cbp_release_mx_amber": ("us_analyst", {"distribution": "release", "release_to": ["MX-FGR"],
                                            "marking": "TLP:AMBER"}, {"us_analyst", "us_supervisor", "mx_analyst"}),
    "cbp_national_release_mx_clear": ("us_analyst", {"distribution": "national", "release_to": ["MX-FGR"],
                                                     "marking": "TLP:CLEAR"},
                                      {"us_analyst", "us_supervisor", "us_atf", "mx_analyst"}),
    "cbp_national_red": ("us_supervisor", {"distribution": "national", "marking": "TLP:RED"}, {"us_supervisor"}),
    "cbp_release_mx_strict": ("us_supervisor", {"distribution": "release", "release_to": ["MX-FGR"],
                                                "marking": "TLP:AMBER+STRICT"}, {"us_supervisor"}),
    "cbp_case_national": ("us_analyst", {"distribution": "national", "marking": "TLP:GREEN", "case_id": "op-north"},
                          {"us_analyst", "us_atf"}),
    "cbp_case_released_to_mx": ("us_analyst", {"distribution": "national", "marking": "TLP:GREEN",
                                               "case_id": "op-south"}, {"us_analyst", "mx_analyst"}),
    "fgr_agency_amber": ("mx_analyst", {"distribution": "agency", "marking": "TLP:AMBER"}, {"mx_analyst"}),
    "fgr_release_cbp_green": ("mx_analyst", {"distribution": "release", "release_to": ["US-CBP"],
                                             "marking": "TLP:GREEN"}, {"mx_analyst", "us_analyst", "us_supervisor"}),
    "fgr_national_amber": ("mx_analyst", {"distribution": "national", "marking": "TLP:AMBER"},
                           {"mx_analyst", "mx_inm"}),
}


def _cases(db) -> None:
    """op-north: us_analyst and us_atf; op-south: us_analyst and mx_analyst, released to MX-FGR.

    us_supervisor is of the owner agency but in neither case, so never sees their rows.
    """
    with db.unit_of_work() as s:
        us = access.actor_for(session=s, user=access.get_user(session=s, username="us_analyst"))
        act_as(s, us)
        access.create_case(session=s, actor=us, case_id="op-north", title="North")
        access.create_case(session=s, actor=us, case_id="op-south", title="South")
        us = access.actor_for(session=s, user=access.get_user(session=s, username="us_analyst"))
        act_as(s, us)
        access.add_case_member(session=s, actor=us, case_id="op-north", username="us_atf")
        access.add_case_member(session=s, actor=us, case_id="op-south", username="mx_analyst")
        releases.release_case(session=s, actor=us, case_id="op-south", to=["MX-FGR"])


def _swap(body: bytes, ident: str) -> bytes:
    return body.replace(ident.encode(), b"<id>")


def test_authorisation_matrix(client, cast, db):
    _cases(db)
    ids, names = {}, {}
    for row, (author, policy, _) in ROWS.items():
        names[row] = f"Matrixname {row.replace('_', '')}"  # the search looks for the word "matrixname"
        r = client.post("/api/v1/entities", headers=cast[author].headers,
                        json={"schema": "Person", "properties": {"name": [names[row]]}, **policy})
        assert r.status_code == 201, (row, r.text)
        ids[row] = r.json()["id"]
    wrong = []
    for who in ANALYSTS + NO_RECORD_ROLE:
        headers = cast[who].headers
        listed = client.get("/api/v1/entities?limit=500", headers=headers)
        searched = client.get("/api/v1/entities", params={"q": "matrixname"}, headers=headers)
        missing = f"us-cbp.{uuid.uuid4().hex}"
        never = client.get(f"/api/v1/entities/{missing}", headers=headers)
        if who in NO_RECORD_ROLE:  # no record.view at all: the role is refused, whatever the id
            expected_status = 403
            assert listed.status_code == searched.status_code == never.status_code == 403, who
        else:
            expected = {ids[row] for row, (_, _, seers) in ROWS.items() if who in seers}
            assert {e["id"] for e in listed.json()["items"]} == expected, who
            assert {e["id"] for e in searched.json()["items"]} == expected, who
            expected_status = 404
        for row, (_, _, seers) in ROWS.items():
            ident = ids[row]
            got = client.get(f"/api/v1/entities/{ident}", headers=headers)
            if who in seers:
                ok = got.status_code == 200 and got.json()["properties"]["name"] == [names[row]]
            else:
                ok = (got.status_code == never.status_code == expected_status
                      and _swap(got.content, ident) == _swap(never.content, missing)
                      and got.headers["content-type"] == never.headers["content-type"])
            if not ok:
                wrong.append(f"{who} x {row}: {got.status_code} {got.text[:120]}")
    assert wrong == []


def test_invisible_is_missing_for_every_record_route(client, cast):
    us, outsider = cast["us_analyst"], cast["outsider"]
    ident = client.post("/api/v1/entities", headers=us.headers, json={
        "schema": "Vehicle", "properties": {"registrationNumber": ["XYZ987"]}}).json()["id"]
    missing = f"us-cbp.{uuid.uuid4().hex}"
    calls = [
        ("GET", "", None), ("PATCH", "", {"add": {"model": ["Sedan"]}}), ("DELETE", "", None),
        ("GET", "/releases", None), ("POST", "/releases", {"to": ["GT-PNC"]}),
    ]
    for method, suffix, body in calls:
        hidden = client.request(method, f"/api/v1/entities/{ident}{suffix}", headers=outsider.headers, json=body)
        never = client.request(method, f"/api/v1/entities/{missing}{suffix}", headers=outsider.headers, json=body)
        assert hidden.status_code == never.status_code == 404, (method, suffix, hidden.text)
        assert _swap(hidden.content, ident) == _swap(never.content, missing), (method, suffix)
        assert set(hidden.json()["error"]) == {"code", "message", "details"}
    # the owner still has it, unchanged
    assert client.get(f"/api/v1/entities/{ident}", headers=us.headers).json()["properties"] == {
        "registrationNumber": ["XYZ987"]}

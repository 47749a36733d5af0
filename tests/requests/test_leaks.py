"""No leak: a request exists only for its two agencies (and users cleared for it); nothing derived tells others."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select, text

from binational.access import service as access
from binational.db import act_as, act_as_system
from binational.requests.models import HitRef, Notification, Request, RequestEvent, RequestItem
from tests.conftest import BACKEND

API = "/api/v1"
THIRD = ("outsider", "mx_inm", "us_atf")


@pytest.fixture
def exchange(client, cast, record, discover):  # noqa: ANN001
    """MX-FGR asked US-CBP about a hit; US-CBP acknowledged. Returns (request id, person id)."""
    person = record("us_analyst", "Person", {"name": ["Luis Ortega Vega"], "idNumber": ["OEVL800101HBCRGS05"]})
    [result] = discover("mx_analyst", {"type": "document", "value": "OEVL800101HBCRGS05"})
    ref = result["hits"][0]["hit_ref"]
    r = client.post(f"{API}/requests", headers=cast["mx_analyst"].headers,
                    json={"to_agency": "US-CBP", "question": "Known to you?", "hit_refs": [ref]})
    rid = r.json()["id"]
    assert client.post(f"{API}/requests/{rid}/acknowledge", headers=cast["us_supervisor"].headers).status_code == 200
    return rid, person


@pytest.fixture
def third_supervisor(db) -> dict[str, str]:  # noqa: ANN001
    """Headers of a supervisor (who may answer requests) of an agency party to nothing."""
    with db.unit_of_work() as s:
        act_as_system(s)  # the node operator
        user = access.add_user(session=s, username="gt_supervisor", agency="GT-PNC", roles=["supervisor"],
                               clearance="TLP:RED")
        _row, secret = access.create_token(session=s, user=user, days=1)
    return {"Authorization": f"Bearer {secret}"}


def _without(body: dict, ident: str) -> str:
    return json.dumps(body).replace(ident, "ID")


def test_third_agencies_get_the_same_404_as_for_nothing(client, cast, exchange) -> None:  # noqa: ANN001
    rid, _person = exchange
    missing = "req_" + "0" * 32
    for who in THIRD:
        h = cast[who].headers
        for method, suffix, body in [("get", "", None), ("post", "/acknowledge", {}), ("post", "/decline", {}),
                                     ("post", "/withdraw", {}), ("post", "/answer", {"entity_ids": ["x"]})]:
            real = client.request(method.upper(), f"{API}/requests/{rid}{suffix}", headers=h, json=body)
            fake = client.request(method.upper(), f"{API}/requests/{missing}{suffix}", headers=h, json=body)
            # a role that may not act at all is refused before any lookup, alike for both
            assert real.status_code == fake.status_code, (who, suffix, real.text)
            assert real.status_code == (403 if suffix in ("/acknowledge", "/decline", "/answer") else 404)
            assert _without(real.json(), rid) == _without(fake.json(), missing)


def test_a_third_agency_that_may_answer_still_finds_nothing(client, exchange, third_supervisor) -> None:  # noqa: ANN001
    rid, person = exchange
    missing = "req_" + "0" * 32
    for suffix, body in [("/acknowledge", {}), ("/decline", {}), ("/answer", {"entity_ids": [person]}),
                         ("/withdraw", {})]:
        real = client.post(f"{API}/requests/{rid}{suffix}", headers=third_supervisor, json=body)
        fake = client.post(f"{API}/requests/{missing}{suffix}", headers=third_supervisor, json=body)
        assert real.status_code == fake.status_code == 404
        assert _without(real.json(), rid) == _without(fake.json(), missing)
    assert client.get(f"{API}/requests?box=inbox", headers=third_supervisor).json()["items"] == []


def test_third_agencies_see_nothing_in_lists_counts_or_notifications(client, cast, exchange) -> None:  # noqa: ANN001
    rid, person = exchange
    for who in THIRD:
        h = cast[who].headers
        for box in ("inbox", "outbox"):
            for query in ("", "&overdue=true", "&state=acknowledged"):
                page = client.get(f"{API}/requests?box={box}{query}", headers=h).json()
                assert page == {"items": [], "next_cursor": None}, who
        notes = client.get(f"{API}/notifications", headers=h).json()
        assert notes == {"items": [], "unread": 0, "next_cursor": None}
        assert rid not in client.get(f"{API}/audit", headers=h).text
    for auditor in ("us_auditor", "mx_auditor"):  # the parties' auditors see their side
        assert client.get(f"{API}/audit", headers=cast[auditor].headers).status_code == 200
    mx_view = client.get(f"{API}/requests/{rid}", headers=cast["mx_analyst"].headers).json()
    assert mx_view["subjects"] == [] and person not in json.dumps(mx_view)  # not answered: still hidden


def test_a_request_above_a_users_clearance_does_not_exist_for_them(client, cast, record) -> None:  # noqa: ANN001
    subject = record("us_supervisor", "Person", {"name": ["Carla Núñez Mora"]}, marking="TLP:RED")
    r = client.post(f"{API}/requests", headers=cast["us_supervisor"].headers,
                    json={"to_agency": "MX-FGR", "question": "Red question", "entity_ids": [subject],
                          "marking": "TLP:RED"})
    assert r.status_code == 201, r.text
    rid = r.json()["id"]
    # MX-FGR's analyst is cleared to AMBER, the US analyst too: neither sees it, nor is told of it.
    for who in ("mx_analyst", "us_analyst"):
        h = cast[who].headers
        assert client.get(f"{API}/requests/{rid}", headers=h).status_code == 404
        for box in ("inbox", "outbox"):
            assert client.get(f"{API}/requests?box={box}", headers=h).json()["items"] == []
        assert client.get(f"{API}/notifications", headers=h).json()["unread"] == 0
    # The receiver, were it cleared, would still not see the sender's RED subject: it was never released.
    assert client.get(f"{API}/entities/{subject}", headers=cast["mx_analyst"].headers).status_code == 404


def test_notifications_of_others_cannot_be_read_or_marked(client, cast, exchange) -> None:  # noqa: ANN001
    _rid, _person = exchange
    notice = client.get(f"{API}/notifications", headers=cast["mx_analyst"].headers).json()["items"][0]
    for who in ("us_supervisor", "outsider", "mx_inm"):
        r = client.post(f"{API}/notifications/{notice['id']}/read", headers=cast[who].headers)
        fake = client.post(f"{API}/notifications/999999/read", headers=cast[who].headers)
        assert r.status_code == fake.status_code == 404
        assert _without(r.json(), str(notice["id"])) == _without(fake.json(), "999999")


def test_a_hit_ref_is_bound_to_the_agency_it_was_issued_to(client, cast, exchange, discover) -> None:  # noqa: ANN001
    [result] = discover("mx_analyst", {"type": "document", "value": "OEVL800101HBCRGS05"})
    ref = result["hits"][0]["hit_ref"]
    never = "hr_" + "A" * 43
    for who in ("mx_inm", "outsider"):
        bodies = []
        for candidate in (ref, never, ref[:-2] + "xx"):
            r = client.post(f"{API}/requests", headers=cast[who].headers,
                            json={"to_agency": "US-CBP", "question": "?", "hit_refs": [candidate]})
            assert r.status_code == 404
            bodies.append(_without(r.json(), candidate))
        assert len(set(bodies)) == 1


def test_a_request_never_names_to_its_sender_the_record_behind_a_hit(client, cast, record, discover):  # noqa: ANN001
    """A released record whose matching value is kept to its agency: the sender sees the record but
    not the value, so the request must not tell it which record matched."""
    person = record("us_analyst", "Person", {"name": ["Ana Ruiz Soto"]}, distribution="release",
                    release_to=["MX-FGR"])
    assert client.patch(f"{API}/entities/{person}", headers=cast["us_analyst"].headers, json={
        "add": {"passportNumber": ["G7654321"]}, "distribution": "agency"}).status_code == 200
    seen = client.get(f"{API}/entities/{person}", headers=cast["mx_analyst"].headers).json()
    assert seen["properties"] == {"name": ["Ana Ruiz Soto"]}
    [result] = discover("mx_analyst", {"type": "document", "value": "G7654321"})
    assert result["matches"] == [] and [h["agency"] for h in result["hits"]] == ["US-CBP"]
    ask = {"to_agency": "US-CBP", "question": "Whose passport?", "hit_refs": [result["hits"][0]["hit_ref"]]}
    r = client.post(f"{API}/requests", headers=cast["mx_analyst"].headers, json=ask)
    assert r.status_code == 201, r.text
    rid = r.json()["id"]
    for body in (r.json(), client.get(f"{API}/requests/{rid}", headers=cast["mx_analyst"].headers).json()):
        assert body["subjects"] == [] and person not in json.dumps(body)
    held = client.get(f"{API}/requests/{rid}", headers=cast["us_supervisor"].headers).json()
    assert held["subjects"] == [person]  # the holder sees which of its records the hit was


@pytest.mark.skipif(BACKEND != "postgresql", reason="row-level security is PostgreSQL's")
def test_row_level_security_hides_requests_from_third_agencies(db, exchange) -> None:  # noqa: ANN001
    tables = (Request, RequestItem, RequestEvent, Notification, HitRef)
    with db.unit_of_work() as s:
        outsider = access.actor_for(session=s, user=access.get_user(session=s, username="outsider"))
    with db.unit_of_work() as s:
        act_as(s, outsider)
        assert s.execute(text("SELECT current_user")).scalar_one() == db.settings.db_app_role
        assert [s.execute(select(func.count()).select_from(t)).scalar_one() for t in tables] == [0] * len(tables)
    with db.unit_of_work() as s:
        mx = access.actor_for(session=s, user=access.get_user(session=s, username="mx_analyst"))
        act_as(s, mx)
        assert s.execute(select(func.count()).select_from(Request)).scalar_one() == 1

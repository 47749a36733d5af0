"""Bad input to discovery and requests: a clear 4xx in the one error shape, and nothing written."""

from __future__ import annotations

import pytest

API = "/api/v1"


@pytest.fixture
def setup(client, cast, record, discover):  # noqa: ANN001
    """A US-CBP person, MX-FGR's hit_ref on it, and an open request about it."""
    person = record("us_analyst", "Person", {"name": ["Luis Ortega Vega"], "passportNumber": ["P7654321"]})
    [result] = discover("mx_analyst", {"type": "document", "value": "P7654321"})
    ref = result["hits"][0]["hit_ref"]
    r = client.post(f"{API}/requests", headers=cast["mx_analyst"].headers,
                    json={"to_agency": "US-CBP", "question": "Known?", "hit_refs": [ref]})
    return {"person": person, "ref": ref, "request": r.json()["id"]}


def _error(r, status: int, code: str) -> dict:  # noqa: ANN001
    assert r.status_code == status, r.text
    body = r.json()
    assert set(body) == {"error"} and body["error"]["code"] == code and body["error"]["message"]
    return body["error"]


SELECTORS = [
    ([{"type": "dna", "value": "x"}], "unknown selector type 'dna'"),
    ([{"type": "document", "value": "--- ..."}], "is not a document selector"),
    ([{"type": "phone", "value": "915 555 1234"}], "give an international number, or a country"),
    ([{"type": "email", "value": "not-an-address"}], "is not a email selector"),
    ([{"type": "vehicle", "value": "   "}], "value is empty"),
    ([{"type": "name_birth", "value": "Luis Ortega"}], "birth_date None is not a date"),
    ([{"type": "name_birth", "value": "Luis Ortega", "birth_date": "1980-13-45"}], "is not a date"),
    ([{"type": "name_birth", "value": "Luis", "birth_date": "1980-01-01"}], "needs a given name and a surname"),
    ([], "give at least one selector"),
    ([{"type": "phone", "value": "+19155551234"}] * 1001, "at most 1000 selectors per call, got 1001"),
]


@pytest.mark.parametrize(("selectors", "message"), SELECTORS)
def test_bad_selectors(client, cast, counts, selectors, message) -> None:  # noqa: ANN001
    before = counts()
    r = client.post(f"{API}/discovery", headers=cast["mx_analyst"].headers, json={"selectors": selectors})
    assert message in _error(r, 422, "invalid_input")["message"]
    assert counts() == before


def test_bad_shapes_of_discovery(client, cast, counts) -> None:  # noqa: ANN001
    before = counts()
    h = cast["mx_analyst"].headers
    _error(client.post(f"{API}/discovery", headers={**h, "Content-Type": "application/json"}, content=b"{not json"),
           400, "malformed_json")
    _error(client.post(f"{API}/discovery", headers=h, json={"selectors": [{"type": "phone"}]}), 422, "invalid_input")
    _error(client.post(f"{API}/discovery", headers=h, json={"selectors": [], "extra": 1}), 422, "invalid_input")
    _error(client.post(f"{API}/discovery", json={"selectors": []}), 401, "unauthenticated")
    _error(client.post(f"{API}/discovery", headers=cast["mx_auditor"].headers,
                       json={"selectors": [{"type": "phone", "value": "+19155551234"}]}), 403, "forbidden")
    assert counts() == before


def _requests(setup):  # noqa: ANN001
    return [
        ({"to_agency": "MX-FGR", "question": "?"}, 422, "not one's own"),
        ({"to_agency": "XX-NOPE", "question": "?"}, 422, "unknown agency 'XX-NOPE'"),
        ({"to_agency": "US-CBP", "question": "  "}, 422, "the question is empty"),
        ({"to_agency": "US-CBP", "question": "?", "type": "gossip"}, 422, "unknown request type 'gossip'"),
        ({"to_agency": "US-CBP", "question": "?", "due": "2001-01-01T00:00:00+00:00"}, 422, "in the future"),
        ({"to_agency": "US-CBP", "question": "?", "due": "2030-01-01T00:00:00"}, 422, "with a zone"),
        ({"to_agency": "US-CBP", "question": "?", "marking": "TLP:RED"}, 422, "above your clearance"),
        ({"to_agency": "US-CBP", "question": "?", "marking": "SECRET"}, 422, "unknown marking"),
        ({"to_agency": "US-ATF", "question": "?", "hit_refs": [setup["ref"]]}, 422, "is a match of US-CBP"),
        ({"to_agency": "US-CBP", "question": "?", "hit_refs": ["hr_bogus"]}, 404, "hit_ref 'hr_bogus' not found"),
        ({"to_agency": "US-CBP", "question": "?", "entity_ids": [setup["person"]]}, 404, "not found"),
        ({"to_agency": "US-CBP", "question": "?", "surprise": True}, 422, "does not match the expected shape"),
    ]


def test_bad_requests_write_nothing(client, cast, counts, setup) -> None:  # noqa: ANN001
    before = counts()
    for body, status, message in _requests(setup):
        r = client.post(f"{API}/requests", headers=cast["mx_analyst"].headers, json=body)
        assert r.status_code == status, (body, r.text)
        assert message in r.json()["error"]["message"], (body, r.text)
    _error(client.post(f"{API}/requests", headers=cast["mx_auditor"].headers,
                       json={"to_agency": "US-CBP", "question": "?"}), 403, "forbidden")
    assert counts() == before


def test_a_hit_ref_of_another_agency_answers_as_one_never_issued(client, cast, counts, setup) -> None:  # noqa: ANN001
    before = counts()
    h = cast["mx_inm"].headers
    stolen = client.post(f"{API}/requests", headers=h,
                         json={"to_agency": "US-CBP", "question": "?", "hit_refs": [setup["ref"]]})
    never = client.post(f"{API}/requests", headers=h,
                        json={"to_agency": "US-CBP", "question": "?", "hit_refs": ["hr_" + "Q" * 43]})
    assert stolen.status_code == never.status_code == 404
    assert stolen.text.replace(setup["ref"], "R") == never.text.replace("hr_" + "Q" * 43, "R")
    assert counts() == before


def test_illegal_transitions_and_unentitled_answers_change_nothing(client, cast, counts, setup) -> None:  # noqa: ANN001
    rid, person = setup["request"], setup["person"]
    mx, us, sup = cast["mx_analyst"], cast["us_analyst"], cast["us_supervisor"]
    before = counts()
    _error(client.post(f"{API}/requests/{rid}/acknowledge", headers=mx.headers), 403, "forbidden")  # analyst
    _error(client.post(f"{API}/requests/{rid}/answer", headers=us.headers, json={"entity_ids": [person]}),
           403, "forbidden")  # an analyst of the receiver may not answer
    _error(client.post(f"{API}/requests/{rid}/withdraw", headers=us.headers), 403, "forbidden")  # not the sender
    _error(client.post(f"{API}/requests/{rid}/answer", headers=sup.headers, json={"entity_ids": []}),
           422, "invalid_input")
    _error(client.post(f"{API}/requests/{rid}/answer", headers=sup.headers, json={"entity_ids": ["us-cbp.nothing"]}),
           404, "not_found")
    assert counts() == before
    assert client.get(f"{API}/requests/{rid}", headers=mx.headers).json()["state"] == "submitted"
    assert client.get(f"{API}/entities/{person}", headers=mx.headers).status_code == 404
    assert client.post(f"{API}/requests/{rid}/decline", headers=sup.headers).status_code == 200
    after_decline = counts()
    for suffix, who, body in [("/acknowledge", sup, None), ("/answer", sup, {"entity_ids": [person]}),
                              ("/decline", sup, None), ("/withdraw", mx, None)]:
        err = _error(client.post(f"{API}/requests/{rid}{suffix}", headers=who.headers, json=body), 409, "conflict")
        assert "from declined" in err["message"]
    assert counts() == after_decline
    assert client.get(f"{API}/entities/{person}", headers=mx.headers).status_code == 404


def test_bad_list_queries(client, cast) -> None:  # noqa: ANN001
    h = cast["mx_analyst"].headers
    assert "unknown box" in _error(client.get(f"{API}/requests?box=trash", headers=h), 422, "invalid_input")["message"]
    _error(client.get(f"{API}/requests?state=lost", headers=h), 422, "invalid_input")
    _error(client.get(f"{API}/requests?limit=0", headers=h), 422, "invalid_input")
    _error(client.get(f"{API}/requests?cursor=forged", headers=h), 422, "invalid_input")
    _error(client.get(f"{API}/notifications?cursor=forged", headers=h), 422, "invalid_input")
    _error(client.post(f"{API}/notifications/abc/read", headers=h), 422, "invalid_input")

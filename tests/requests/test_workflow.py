"""The request workflow end to end: submit, acknowledge, answer; states, due times, boxes, notices."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from binational.audit.models import AuditEntry
from binational.db import act_as_system
from binational.requests.models import Request
from binational.requests.types import RequestType, register_type
from tests.conftest import sequence_audit

API = "/api/v1"


@pytest.fixture
def hit(record, discover):  # noqa: ANN001
    """A US-CBP person the MX-FGR analyst found by passport number: (entity id, hit_ref)."""
    person = record("us_analyst", "Person", {"name": ["José María López Pérez"], "passportNumber": ["G1234567"]})
    [result] = discover("mx_analyst", {"type": "document", "value": "G1234567"})
    return person, result["hits"][0]["hit_ref"]


def _send(client, who, **body):  # noqa: ANN001, ANN003
    body = {"type": "information", "to_agency": "US-CBP", "question": "Who is this?", **body}
    return client.post(f"{API}/requests", headers=who.headers, json=body)


def test_hit_to_answer_end_to_end(client, cast, hit, db) -> None:  # noqa: ANN001
    person, ref = hit
    mx, us_sup, us = cast["mx_analyst"], cast["us_supervisor"], cast["us_analyst"]
    assert client.get(f"{API}/entities/{person}", headers=mx.headers).status_code == 404
    r = _send(client, mx, hit_refs=[ref], question="Prior crossings of this passport holder?")
    assert r.status_code == 201, r.text
    sent = r.json()
    assert sent["state"] == "submitted" and sent["hit_refs"] == [ref] and sent["subjects"] == []
    assert sent["label"] == {"en": "Request for information", "es": "Solicitud de información"}
    due = datetime.fromisoformat(sent["due_at"]) - datetime.fromisoformat(sent["created_at"])
    assert due == timedelta(hours=48) and sent["overdue"] is False
    rid = sent["id"]

    inbox = client.get(f"{API}/requests?box=inbox", headers=us_sup.headers).json()["items"]
    assert [i["id"] for i in inbox] == [rid] and inbox[0]["subjects"] == [person] and inbox[0]["hit_refs"] == []
    assert inbox[0]["created_by"] is None  # another agency's user is not named
    notes = client.get(f"{API}/notifications", headers=us_sup.headers).json()
    assert notes["unread"] == 1 and notes["items"][0]["kind"] == "request.submitted"
    assert client.get(f"{API}/notifications", headers=us.headers).json()["unread"] == 0  # analysts do not answer

    r = client.post(f"{API}/requests/{rid}/acknowledge", headers=us_sup.headers, json={"note": "on it"})
    assert r.status_code == 200 and r.json()["state"] == "acknowledged"
    r = client.post(f"{API}/requests/{rid}/answer", headers=us_sup.headers,
                    json={"entity_ids": [person], "note": "see the record"})
    assert r.status_code == 200, r.text
    assert r.json()["state"] == "answered" and r.json()["closed_at"]

    seen = client.get(f"{API}/requests/{rid}", headers=mx.headers).json()
    # the answer names the record; the hit behind the request still names none to the sender
    assert seen["answer"] == [person] and seen["subjects"] == []
    assert [(e["from_state"], e["to_state"], e["agency"], e["actor"]) for e in seen["history"]] == [
        (None, "submitted", "MX-FGR", "mx_analyst"), ("submitted", "acknowledged", "US-CBP", None),
        ("acknowledged", "answered", "US-CBP", None)]
    assert seen["history"][1]["note"] == "on it"
    entity = client.get(f"{API}/entities/{person}", headers=mx.headers)
    assert entity.status_code == 200 and entity.json()["properties"]["passportNumber"] == ["G1234567"]
    mx_notes = client.get(f"{API}/notifications", headers=mx.headers).json()
    assert [n["kind"] for n in mx_notes["items"]] == ["request.answered", "request.acknowledged"]
    r = client.post(f"{API}/notifications/{mx_notes['items'][0]['id']}/read", headers=mx.headers)
    assert r.status_code == 200 and r.json()["read_at"]
    assert client.get(f"{API}/notifications?unread=true", headers=mx.headers).json()["unread"] == 1

    sequence_audit(db)
    with db.unit_of_work() as s:
        act_as_system(s)
        entries = [json.loads(e) for e in s.execute(select(AuditEntry.entry)).scalars()]
    actions = [(e["action"], e["actor"]) for e in entries if e["action"].startswith(("request.", "release."))]
    for step in [("request.create", "mx_analyst"), ("request.acknowledge", "us_supervisor"),
                 ("request.answer", "us_supervisor"), ("release.create", "us_supervisor"),
                 ("request.read", "mx_analyst"), ("request.list", "us_supervisor")]:
        assert step in actions


def test_decline_and_withdraw_close_a_request(client, cast, hit) -> None:  # noqa: ANN001
    _person, ref = hit
    mx, us_sup = cast["mx_analyst"], cast["us_supervisor"]
    first = _send(client, mx, hit_refs=[ref]).json()["id"]
    second = _send(client, mx, hit_refs=[ref]).json()["id"]
    r = client.post(f"{API}/requests/{first}/decline", headers=us_sup.headers, json={"note": "ongoing operation"})
    assert r.json()["state"] == "declined" and r.json()["history"][-1]["note"] == "ongoing operation"
    r = client.post(f"{API}/requests/{second}/withdraw", headers=mx.headers)
    assert r.status_code == 200 and r.json()["state"] == "withdrawn"
    kinds = [n["kind"] for n in client.get(f"{API}/notifications", headers=us_sup.headers).json()["items"]]
    assert kinds == ["request.withdrawn", "request.submitted", "request.submitted"]


def test_boxes_filter_by_state_and_overdue_and_page(client, cast, record, db) -> None:  # noqa: ANN001
    mx, us_sup = cast["mx_analyst"], cast["us_supervisor"]
    subject = record("mx_analyst", "Person", {"name": ["Ana Ruiz"]}, distribution="release", release_to=["US-CBP"])
    ids = [_send(client, mx, entity_ids=[subject], question=f"q{i}").json()["id"] for i in range(5)]
    client.post(f"{API}/requests/{ids[0]}/acknowledge", headers=us_sup.headers)
    with db.unit_of_work() as s:
        act_as_system(s)  # the clock makes them overdue
        s.execute(update(Request).where(Request.id.in_(ids[:2])).values(due_at=datetime.now(UTC) - timedelta(hours=1)))
    outbox = client.get(f"{API}/requests?box=outbox", headers=mx.headers).json()["items"]
    assert [i["id"] for i in outbox] == ids[::-1]
    assert [i["overdue"] for i in outbox] == [False, False, False, True, True]
    assert outbox[0]["subjects"] == [subject] and outbox[0]["created_by"] == "mx_analyst"
    late = client.get(f"{API}/requests?box=inbox&overdue=true", headers=us_sup.headers).json()["items"]
    assert sorted(i["id"] for i in late) == sorted(ids[:2])
    acked = client.get(f"{API}/requests?box=inbox&state=acknowledged", headers=us_sup.headers).json()["items"]
    assert [i["id"] for i in acked] == [ids[0]]
    assert client.get(f"{API}/requests?box=outbox", headers=us_sup.headers).json()["items"] == []
    pages, cursor = [], None
    while True:
        url = f"{API}/requests?box=inbox&limit=2" + (f"&cursor={cursor}" if cursor else "")
        body = client.get(url, headers=us_sup.headers).json()
        pages.append([i["id"] for i in body["items"]])
        cursor = body["next_cursor"]
        if not cursor:
            break
    assert pages == [ids[4:2:-1], ids[2:0:-1], ids[:1]]


def test_an_explicit_due_time_is_kept(client, cast, hit) -> None:  # noqa: ANN001
    _person, ref = hit
    due = (datetime.now(UTC) + timedelta(hours=6)).replace(microsecond=0)
    r = _send(client, cast["mx_analyst"], hit_refs=[ref], due=due.isoformat())
    assert r.status_code == 201 and datetime.fromisoformat(r.json()["due_at"]) == due


def test_request_types_are_data_with_their_own_due_time_and_roles(client, cast, hit) -> None:  # noqa: ANN001
    _person, ref = hit
    register_type(RequestType(name="test_liaison_check", label_en="Liaison check", label_es="Verificación de enlace",
                              default_due=timedelta(hours=72), answer_roles=frozenset({"liaison"})))
    listed = {t["name"]: t for t in client.get(f"{API}/requests/types", headers=cast["mx_analyst"].headers).json()}
    assert listed["information"]["default_due_hours"] == 48
    assert listed["test_liaison_check"]["answer_roles"] == ["liaison"]
    r = _send(client, cast["mx_analyst"], type="test_liaison_check", hit_refs=[ref])
    sent = r.json()
    assert datetime.fromisoformat(sent["due_at"]) - datetime.fromisoformat(sent["created_at"]) == timedelta(hours=72)
    r = client.post(f"{API}/requests/{sent['id']}/acknowledge", headers=cast["us_supervisor"].headers)
    assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden"
    with pytest.raises(ValueError, match="declared twice"):
        register_type(RequestType(name="test_liaison_check", label_en="x", label_es="x",
                                  default_due=timedelta(hours=1)))
    with pytest.raises(ValueError, match="unknown answer roles"):
        register_type(RequestType(name="test_bad_roles", label_en="x", label_es="x", default_due=timedelta(hours=1),
                                  answer_roles=frozenset({"janitor"})))
    with pytest.raises(ValueError, match="lack the request.answer capability"):
        register_type(RequestType(name="test_analysts", label_en="x", label_es="x", default_due=timedelta(hours=1),
                                  answer_roles=frozenset({"analyst"})))

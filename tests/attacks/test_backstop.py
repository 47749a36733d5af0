"""Attacks on the database backstop and the audit log's truth, as a hostile user would try them.

Refusals are audited with the action refused; raw SQL on the request path (as an injection would run
it) cannot read past row-level security, turn itself into the system nor leave its role; a forged row
in the audit queue becomes evidence, not an entry; the log's head cannot be moved back, and `audit
verify` catches a log cut back, emptied or missing a checkpoint.
"""

from __future__ import annotations

import json
import re

from fastapi.testclient import TestClient
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from binational.access import service as access
from binational.access.policy import Actor
from binational.audit.models import AuditEntry
from binational.audit.scope import act_as
from binational.db import Database
from tests.conftest import PASSWORD, Member, sequence_audit

API = "/api/v1"
CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def _sign_in(client: TestClient, username: str) -> None:
    token = CSRF.search(client.get("/login").text)
    assert token
    r = client.post("/login", data={"username": username, "password": PASSWORD, "csrf": token.group(1),
                                    "next": "/"}, follow_redirects=False)
    assert r.status_code == 303, r.text


def _actor(s: Session, username: str) -> Actor:
    return access.actor_for(session=s, user=access.get_user(session=s, username=username))


def _denials(db: Database, agency: str) -> list[dict]:
    sequence_audit(db)
    with db.unit_of_work() as s:
        rows = s.execute(select(AuditEntry.entry).where(AuditEntry.decision == "deny",
                                                        AuditEntry.actor_agency == agency)).scalars()
        return [json.loads(r) for r in rows]


def _request_to_cbp(client: TestClient, mx: Member, us: Member) -> str:
    r = client.post(f"{API}/entities", headers=us.headers,
                    json={"schema": "Person", "distribution": "release", "release_to": ["MX-FGR"],
                          "properties": {"name": ["Ana Ruiz"]}})
    assert r.status_code == 201, r.text
    r = client.post(f"{API}/requests", headers=mx.headers,
                    json={"type": "information", "to_agency": "US-CBP", "question": "Who?",
                          "entity_ids": [r.json()["id"]]})
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


def test_a_refused_move_of_a_request_is_audited_with_its_action_and_request(client, cast, db):
    mx, us = cast["mx_analyst"], cast["us_analyst"]
    rid = _request_to_cbp(client, mx, us)
    # the receiver's supervisor tries to withdraw the partner's request, as if it had sent it
    r = client.post(f"{API}/requests/{rid}/withdraw", headers=cast["us_supervisor"].headers, json={})
    assert r.status_code == 403
    [entry] = _denials(db, "US-CBP")
    assert entry["action"] == "request.withdraw" and entry["objects"] == [rid]


def test_a_refused_page_is_audited_with_its_action(client, cast, db):
    _sign_in(client, "mx_analyst")
    assert client.get("/admin/agencies").status_code == 403
    assert client.get("/audit").status_code == 403
    actions = sorted(e["action"] for e in _denials(db, "MX-FGR"))
    assert actions == ["agency.create", "audit.read"]


def test_a_row_forged_into_the_audit_queue_becomes_evidence_not_an_entry(client, cast, db):
    """The request path may add rows to the queue (PostgreSQL: any viewer may insert); one it did not
    MAC, claiming a partner's auditor read a record, enters the log as `audit.unreadable` only."""
    forged = {"action": "entity.read", "actor": "mx_auditor", "actor_id": 8, "agency": "MX-FGR",
              "objects": [["us-cbp.someone", "US-CBP"]], "decision": "allow", "reason": "", "request_id": "r",
              "time": "2026-01-01T00:00:00+00:00", "extra": {}, "credential": None}
    with db.unit_of_work() as s:
        act_as(s, _actor(s, "us_analyst"))
        for row in (json.dumps(forged), "0" * 64 + " " + json.dumps(forged)):
            s.execute(text("INSERT INTO audit_queue (event) VALUES (:e)"), {"e": row})
    sequence_audit(db)
    with db.unit_of_work() as s:
        entries = [json.loads(e) for e in s.execute(select(AuditEntry.entry).order_by(AuditEntry.seq)).scalars()]
    assert [e["action"] for e in entries[-2:]] == ["audit.unreadable", "audit.unreadable"]
    assert not [e for e in entries if e["actor"] == "mx_auditor"]

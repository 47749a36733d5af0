"""Limits of the federation endpoints: mounted only where partners connect (`serve --federation-tls`),
a body limit of their own (a bundle carries a whole entity, past the 1 MiB of other requests), and
unauthenticated refusals audited one by one only up to a number a minute, then counted."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from binational.app import create_app
from binational.audit.models import AuditEntry
from binational.db import Database, act_as_system
from binational.federation import refusals, sync
from tests.conftest import sequence_audit
from tests.federation.conftest import Node


def _denials(db: Database, action: str) -> int:
    sequence_audit(db)
    with db.unit_of_work() as s:
        act_as_system(s)  # the log's rows are the system's to count (row-level security)
        return s.scalar(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.action == action, AuditEntry.decision == "deny")) or 0


def test_attack_the_federation_endpoints_are_absent_from_the_users_port(client, db):
    # attack: anyone who reaches the users' port posts junk to the federation paths to fill the log
    before = _denials(db, "federation.receive"), _denials(db, "federation.digests")
    for path in (sync.PATH, sync.DIGESTS_PATH):
        r = client.post(path, content=b"{}", headers={"Content-Type": "application/json"})
        assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
    assert (_denials(db, "federation.receive"), _denials(db, "federation.digests")) == before
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    assert not [p for p in paths if p.startswith("/federation/")]


def test_a_push_larger_than_the_request_limit_reaches_the_endpoint(mx: Node):
    # 2 MiB: past the 1 MiB of every other request, within `federation_max_body_bytes`; the endpoint
    # reads it and refuses it for what it is (not JSON), not for its size
    body = b"x" * (2 * 1_048_576)
    assert len(body) > mx.settings.max_body_bytes
    r = mx.client.post(sync.PATH, content=body, headers={"Content-Type": "text/plain"})
    assert r.status_code == 422, r.text
    assert r.json()["error"]["details"][0]["reason"] == "malformed"
    # the same body anywhere else is past the limit
    r = mx.client.post("/api/v1/entities", content=body, headers={"Content-Type": "text/plain"})
    assert r.status_code == 413


def test_attack_a_push_past_the_federation_limit_is_refused_unread(mx: Node):
    small = mx.settings.model_copy(update={"federation_max_body_bytes": 4096})
    before = _denials(mx.db, "federation.receive")
    with TestClient(create_app(small, mx.db, federation=True)) as c:
        r = c.post(sync.PATH, content=b"x" * 4097, headers={"Content-Type": "text/plain"})
        assert r.status_code == 413 and r.json()["error"]["code"] == "payload_too_large"
        assert c.post(sync.PATH, content=b"x" * 4096, headers={"Content-Type": "text/plain"}).status_code == 422
    assert _denials(mx.db, "federation.receive") == before + 1


def test_attack_unauthenticated_refusals_do_not_fill_the_log(mx: Node):
    # attack: a stranger who completed no handshake of a partner's (or got through a loopback port)
    # sends junk in a loop; the log takes the first few a minute, the rest are counted
    few = mx.settings.model_copy(update={"federation_refusals_per_minute": 3})
    before = _denials(mx.db, "federation.receive"), _denials(mx.db, "federation.digests")
    with TestClient(create_app(few, mx.db, federation=True)) as c:
        for _ in range(10):
            for path in (sync.PATH, sync.DIGESTS_PATH):
                r = c.post(path, content=b"not json", headers={"Content-Type": "text/plain"})
                assert r.status_code == 422  # every one is still refused
    after = _denials(mx.db, "federation.receive"), _denials(mx.db, "federation.digests")
    assert after == (before[0] + 3, before[1] + 3)


def test_the_tally_names_what_it_left_out_and_never_holds_back_a_partners_refusal():
    tally = refusals.Tally(per_minute=2)
    start = datetime(2026, 1, 5, 10, 0, 5, tzinfo=UTC)
    assert [tally.admit("items", "signature", start) for _ in range(5)] == [0, 0, None, None, None]
    # another reason, another endpoint: counted apart
    assert tally.admit("items", "malformed", start) == 0
    assert tally.admit("digests", "signature", start) == 0
    # what a trusted partner signed (a replay, a gap, an expired bundle) is always audited
    assert all(tally.admit("items", reason, start) == 0 for reason in ("replay", "gap", "expired") * 5)
    # the next minute's first refusal names the three left out, once
    later = start + timedelta(minutes=1)
    assert [tally.admit("items", "signature", later) for _ in range(3)] == [3, 0, None]

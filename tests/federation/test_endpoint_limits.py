"""Limits of the federation endpoints: mounted only where partners connect (`serve --federation-tls`),
a body limit of their own (a bundle carries a whole entity, past the 1 MiB of other requests), and
unauthenticated refusals audited one by one only up to a number a minute, then counted."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from binational.app import create_app
from binational.audit.models import AuditEntry
from binational.db import Database, act_as_system, utcnow
from binational.federation import items, keys, refusals, service, sync
from tests.conftest import sequence_audit
from tests.federation.conftest import MX_NODE, US_NODE, Node


def _denials(db: Database, action: str) -> int:
    sequence_audit(db)
    with db.unit_of_work() as s:
        act_as_system(s)  # the log's rows are the system's to count (row-level security)
        return s.scalar(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.action == action, AuditEntry.decision == "deny")) or 0


def _denied(db: Database, action: str) -> list[dict]:
    sequence_audit(db)
    with db.unit_of_work() as s:
        act_as_system(s)
        return [json.loads(e) for e in s.scalars(select(AuditEntry.entry).where(
            AuditEntry.action == action, AuditEntry.decision == "deny"))]


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
    # three one by one, and when the application stopped one naming the seven left out
    after = _denials(mx.db, "federation.receive"), _denials(mx.db, "federation.digests")
    assert after == (before[0] + 4, before[1] + 4)
    for action in ("federation.receive", "federation.digests"):
        assert _denied(mx.db, action)[-1]["extra"] == {"left_out": 7}


def test_the_tally_names_what_it_left_out_and_never_holds_back_a_partners_refusal():
    tally = refusals.Tally(per_minute=2)
    start = datetime(2026, 1, 5, 10, 0, 5, tzinfo=UTC)
    assert [tally.admit("items", "signature", start, signed=False) for _ in range(5)] == [0, 0, None, None, None]
    # another reason, another endpoint: counted apart
    assert tally.admit("items", "malformed", start, signed=False) == 0
    assert tally.admit("digests", "signature", start, signed=False) == 0
    # what a trusted partner signed is always audited, whatever its reason (malformed too)
    assert all(tally.admit("items", reason, start, signed=True) == 0
               for reason in ("replay", "gap", "expired", "malformed", "sender") * 5)
    # the next minute's first refusal names the three left out, once
    later = start + timedelta(minutes=1)
    assert [tally.admit("items", "signature", later, signed=False) for _ in range(3)] == [3, 0, None]
    # a count no refusal named yet is handed over once the minute is past (or at the end), then forgotten
    assert tally.take_left_out(later) == []
    assert tally.take_left_out(later + timedelta(minutes=1)) == [("items", "signature", 1)]
    assert tally.take_left_out(None) == []


def test_attack_a_flood_of_junk_does_not_hide_a_partners_signed_refusal(us_node, db, mx: Node):
    # attack: a stranger spends the minute's allowance of "malformed" refusals with junk, then a bundle
    # signed by the trusted US node key but out of shape after its signature (a compromised or faulty
    # partner) would pass unseen: what a partner signed is audited whatever the minute counted
    with db.unit_of_work() as s:
        act_as_system(s)
        anchor = service.write_anchor(session=s, actor=None, settings=us_node, now=utcnow())
    with mx.db.unit_of_work() as s:
        act_as_system(s)
        service.trust(session=s, actor=None, settings=mx.settings, data=anchor, now=utcnow())
    key = keys.node_key(us_node)
    stone = items.tombstone(key, sender=US_NODE, sequence=1, release_id="", recipient_node=MX_NODE,
                            reason="revoked", now=utcnow())
    query = items.digest_query(key, sender=US_NODE, recipient_node=MX_NODE, key_id=True, digests=[],  # type: ignore[arg-type]
                               now=utcnow())
    few = mx.settings.model_copy(update={"federation_refusals_per_minute": 2})
    with TestClient(create_app(few, mx.db, federation=True)) as c:
        for _ in range(5):
            for path in (sync.PATH, sync.DIGESTS_PATH):
                assert c.post(path, content=b"{}", headers={"Content-Type": "application/json"}).status_code == 422
        for path, signed in ((sync.PATH, stone), (sync.DIGESTS_PATH, query)):
            r = c.post(path, content=signed, headers={"Content-Type": "application/json"})
            assert r.status_code == 422 and r.json()["error"]["details"][0]["reason"] == "malformed", r.text
    for action, signed in (("federation.receive", stone), ("federation.digests", query)):
        assert [e for e in _denied(mx.db, action) if e["extra"].get("sha256") == items.sha256(signed)], action


def test_attack_a_flood_then_silence_still_leaves_its_count_in_the_log(mx: Node):
    # attack: a stranger floods, then stops; no later refusal names the ones left out, so they are
    # written when the minute is past (on any federation request) or, here, when the application stops
    one = mx.settings.model_copy(update={"federation_refusals_per_minute": 1})
    before = len(_denied(mx.db, "federation.receive"))
    with TestClient(create_app(one, mx.db, federation=True)) as c:
        for _ in range(4):
            assert c.post(sync.PATH, content=b"not json", headers={"Content-Type": "text/plain"}).status_code == 422
    entries = _denied(mx.db, "federation.receive")[before:]
    assert len(entries) == 2
    assert sum(e["extra"].get("left_out", 0) for e in entries) == 3

"""Sync between two nodes, each with its own database, keys and app: the US node's outbox pushed to the
MX node's federation endpoint. Attack tests first: the locked copy reaches only the recipient agency,
nobody on the MX node changes or re-releases it (not even a user of the owner agency there), and a
tampered, replayed, out-of-order or foreign item is refused with nothing written but its audit entry;
then revocation (a tombstone purges the copy), a superseding bundle, untrust, and a partner that is
down (retried in order, nothing lost)."""

from __future__ import annotations

import json

import httpx
import pytest
from sqlalchemy import func, select

from binational.access import service as access
from binational.audit.models import AuditEntry
from binational.db import act_as, act_as_system, utcnow
from binational.entities.models import Entity, Statement
from binational.errors import Forbidden
from binational.federation import bundles, items, keys, service, sync
from binational.federation.models import Outbox, Partner
from tests.conftest import sequence_audit
from tests.federation.conftest import API, MX_NODE, Node, _released, _sync, _to, _values, proved


def _receives(mx: Node, decision: str) -> list[AuditEntry]:
    sequence_audit(mx.db)
    with mx.db.unit_of_work() as s:
        act_as_system(s)
        return list(s.scalars(select(AuditEntry).where(AuditEntry.action == "federation.receive",
                                                       AuditEntry.decision == decision)))


# --- attack tests: what reaches the other node, and who there may touch it -------------------------------------


def test_the_copy_reaches_the_recipient_agency_only_and_is_locked(pair, db, client, cast):
    us_settings, mx = pair
    entity_id = _released(client, cast)
    collected, pushed = _sync(db, us_settings, _to(mx))
    assert (collected.bundles, pushed.sent, pushed.failed) == (1, 1, [])
    fgr = cast["mx_analyst"]
    values = _values(mx.client, fgr, entity_id)
    assert {"Ramona Quintero", "+15205550101"} <= values and "Zacarias Hidden" not in values
    for other in ("mx_inm", "outsider", "us_atf"):  # not the recipient: as if it did not exist
        assert mx.client.get(f"{API}/{entity_id}", headers=cast[other].headers).status_code == 404, other
    # the recipient cannot change it nor send it on; neither can a user of the owner agency on this node
    for member in (fgr, cast["us_analyst"], cast["us_supervisor"]):
        r = mx.client.patch(f"{API}/{entity_id}", headers=member.headers, json={"add": {"alias": ["X"]}})
        assert r.status_code in (403, 404), (member.username, r.text)
        r = mx.client.post(f"{API}/{entity_id}/releases", headers=member.headers, json={"to": ["MX-INM"]})
        assert r.status_code in (403, 404), (member.username, r.text)
        assert mx.client.delete(f"{API}/{entity_id}", headers=member.headers).status_code in (403, 404)
    with mx.db.unit_of_work() as s:
        act_as_system(s)
        actor = access.actor_for(session=s, user=access.get_user(session=s, username="us_supervisor"))
        act_as(s, actor)
        with pytest.raises(Forbidden):
            bundles.build(session=s, actor=actor, key=keys.node_key(mx.settings), sender=MX_NODE,
                          entity_id=entity_id, recipient_agency="MX-INM", recipient_node="mx.binational/inm",
                          recipient_country="MX", clearance="TLP:AMBER", purpose="onward",
                          expires_at=utcnow().replace(year=utcnow().year + 1), sequence=1, now=utcnow())
    assert _values(mx.client, fgr, entity_id) >= {"Ramona Quintero"}
    with mx.db.unit_of_work() as s:
        act_as_system(s)
        copy = s.get(Entity, entity_id)
        assert copy is not None and copy.owner_agency == "US-CBP" and copy.origin_node == "us.binational/cbp"
    # both logs say it: the US sent it, MX received it (naming the record for its holders' auditors)
    assert len(_receives(mx, "allow")) == 1
    sequence_audit(db)
    with db.unit_of_work() as s:
        act_as_system(s)
        assert s.scalar(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.action == "federation.send", AuditEntry.decision == "allow")) == 1


def test_tampered_replayed_out_of_order_and_foreign_items_are_refused_with_nothing_written(pair, db, client, cast):
    us_settings, mx = pair
    entity_id = _released(client, cast)
    with db.unit_of_work() as s:
        act_as_system(s)
        sync.collect(session=s, settings=us_settings, now=utcnow())
        first = s.scalars(select(Outbox)).one().document.encode()
    first = proved(db, us_settings, first)  # its proof, as push gives it (the US node names no witness here)

    def post(data: bytes) -> httpx.Response:
        return mx.client.post(sync.PATH, content=data, headers={"Content-Type": "application/json"})

    def count() -> int:
        with mx.db.unit_of_work() as s:
            act_as_system(s)
            return int(s.scalar(select(func.count()).select_from(Statement)) or 0)

    before = count()
    tampered = first.replace(b"Ramona", b"Romana")
    r = post(tampered)
    assert r.status_code == 422 and r.json()["error"]["details"][0]["reason"] == "signature"
    # a bundle this node would never have applied: a gap (sequence 2 before 1)
    doc = json.loads(first)
    stranger = bundles.sign(keys.node_key(us_settings), {**doc["bundle"]["header"], "sequence": 2},
                            doc["bundle"]["entity"])
    assert post(stranger).json()["error"]["details"][0]["reason"] == "gap"
    # another node's key signing as the US node
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    forged = bundles.sign(Ed25519PrivateKey.generate(), doc["bundle"]["header"], doc["bundle"]["entity"])
    assert post(forged).json()["error"]["details"][0]["reason"] == "signature"
    assert count() == before
    assert mx.client.get(f"{API}/{entity_id}", headers=cast["mx_analyst"].headers).status_code == 404
    assert {json.loads(e.entry)["reason"] for e in _receives(mx, "deny")} == {"signature", "gap"}
    # the real one applies; the same bytes again get the same receipt; other bytes at its number are a replay
    r1 = post(first)
    assert r1.status_code == 200, r1.text
    assert post(first).content == r1.content
    assert post(stranger.replace(b'"sequence":2', b'"sequence":1')).json()["error"]["details"][0]["reason"] in (
        "signature", "replay")
    replay = bundles.sign(keys.node_key(us_settings), {**doc["bundle"]["header"], "release_id": "f" * 32},
                          doc["bundle"]["entity"])
    assert post(replay).json()["error"]["details"][0]["reason"] == "replay"
    # misaddressed: to an agency the MX node does not host
    wrong = bundles.sign(keys.node_key(us_settings), {**doc["bundle"]["header"], "sequence": 2,
                                                      "recipient": {"agency": "GT-PNC", "node": MX_NODE}},
                         doc["bundle"]["entity"])
    assert post(wrong).json()["error"]["details"][0]["reason"] == "recipient"
    receipt = items.verify_receipt(r1.content, key=keys.node_verifier(MX_NODE, keys.node_key(mx.settings)),
                                   node=MX_NODE, sender="us.binational/cbp", item=first)
    assert receipt["status"] == "applied" and receipt["sequence"] == 1


def test_a_revocation_travels_as_a_tombstone_and_purges_the_copy(pair, db, client, cast):
    us_settings, mx = pair
    entity_id = _released(client, cast)
    _sync(db, us_settings, _to(mx))
    fgr = cast["mx_analyst"]
    assert "Ramona Quintero" in _values(mx.client, fgr, entity_id)
    releases = client.get(f"{API}/{entity_id}/releases", headers=cast["us_analyst"].headers).json()
    r = client.delete(f"/api/v1/releases/{releases[0]['id']}", headers=cast["us_supervisor"].headers)
    assert r.status_code == 200, r.text
    collected, pushed = _sync(db, us_settings, _to(mx))
    assert (collected.tombstones, pushed.sent) == (1, 1)
    assert mx.client.get(f"{API}/{entity_id}", headers=fgr.headers).status_code == 404
    with mx.db.unit_of_work() as s:
        act_as_system(s)
        assert s.scalar(select(func.count()).select_from(Statement).where(Statement.entity_id == entity_id)) == 0
    with db.unit_of_work() as s:
        act_as_system(s)
        stone = s.scalars(select(Outbox).where(Outbox.kind == "tombstone")).one()
        assert stone.delivered_at is not None and json.loads(stone.receipt)["receipt"]["status"] == "purged"
    assert _sync(db, us_settings, _to(mx))[0].tombstones == 0  # nothing more to say


def test_a_changed_record_supersedes_its_copy(pair, db, client, cast):
    us_settings, mx = pair
    entity_id = _released(client, cast)
    _sync(db, us_settings, _to(mx))
    r = client.patch(f"{API}/{entity_id}", headers=cast["us_analyst"].headers,
                     json={"add": {"alias": ["Ramona Q. Duarte"]}})
    assert r.status_code == 200, r.text
    collected, pushed = _sync(db, us_settings, _to(mx))
    assert (collected.bundles, pushed.sent) == (1, 1)
    assert "Ramona Q. Duarte" in _values(mx.client, cast["mx_analyst"], entity_id)
    with mx.db.unit_of_work() as s:
        act_as_system(s)
        names = s.scalars(select(Statement.value).where(Statement.entity_id == entity_id,
                                                        Statement.prop == "name")).all()
        assert names == ["Ramona Quintero"]  # replaced, not doubled


def test_a_partner_down_gets_every_item_in_order_once_it_is_back_and_untrust_purges(pair, db, client, cast):
    us_settings, mx = pair
    first, second = _released(client, cast), _released(client, cast)

    def down(partner: Partner, data: bytes) -> tuple[int, bytes]:
        raise httpx.ConnectError("connection refused")

    collected, pushed = _sync(db, us_settings, down)
    assert collected.bundles == 2 and pushed.sent == 0 and "unreachable" in pushed.failed[0]
    with db.unit_of_work() as s:
        act_as_system(s)
        rows = s.scalars(select(Outbox).order_by(Outbox.sequence)).all()
        assert [(r.attempts, r.delivered_at) for r in rows] == [(1, None), (0, None)]  # stopped at the first
    assert _sync(db, us_settings, _to(mx))[1].sent == 2
    for entity_id in (first, second):
        assert "Ramona Quintero" in _values(mx.client, cast["mx_analyst"], entity_id)
    with db.unit_of_work() as s:
        act_as_system(s)
        service.untrust(session=s, actor=None, node_id=MX_NODE, now=utcnow())
    collected, pushed = _sync(db, us_settings, _to(mx))
    assert (collected.tombstones, pushed.sent) == (2, 2)
    for entity_id in (first, second):
        assert mx.client.get(f"{API}/{entity_id}", headers=cast["mx_analyst"].headers).status_code == 404


# --- step 1 across nodes: a signed query of keyed digests ------------------------------------------------------


def test_a_partner_asks_digests_and_learns_a_handle_only_and_forged_or_stale_queries_are_refused(
        pair, db, client, cast):
    from datetime import timedelta

    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from binational.federation import digests

    us_settings, mx = pair
    r = client.post(API, headers=cast["us_analyst"].headers, json={
        "schema": "Person", "properties": {"name": ["Ramona Quintero"], "passportNumber": ["AB-123 456"]}})
    assert r.status_code == 201, r.text
    with db.unit_of_work() as s:  # the shared key: made on the US node, given to the MX node out of band
        act_as_system(s)
        text = digests.rotate(session=s, actor=None, node_id=MX_NODE, now=utcnow())
    with mx.db.unit_of_work() as s:
        act_as_system(s)
        digests.rotate(session=s, actor=None, node_id="us.binational/cbp", now=utcnow(), given=text)

    from fastapi.testclient import TestClient

    from binational.app import create_app

    # the US node's app, with its federation id and the time budget the MX node has (a loaded machine: a 503)
    us_app = TestClient(create_app(us_settings.model_copy(update={"request_budget_ms": 60_000}), db, federation=True))

    def to_us(_partner: Partner, data: bytes) -> tuple[int, bytes]:
        answer = us_app.post(sync.DIGESTS_PATH, content=data, headers={"Content-Type": "application/json"})
        assert "Ramona" not in answer.text and "AB123456" not in answer.text and "us-cbp." not in answer.text
        return answer.status_code, answer.content

    with mx.db.unit_of_work() as s:
        act_as_system(s)
        found = digests.ask(session=s, settings=mx.settings, node_id="us.binational/cbp", now=utcnow(), send=to_us,
                            selectors=[{"type": "document", "value": "ab123456"},
                                       {"type": "document", "value": "ZZ000000"}])
    assert [a["hit"] for a in found] == [True, False] and found[0]["handle"].startswith("fh1.")
    assert found[1]["handle"] is None
    # attacks: signed by a key no anchor names, and a true query replayed 20 minutes later
    key_id, secret = digests.current_key(mx.db.session(), "us.binational/cbp")
    asked = digests.digests_of(secret, [{"type": "document", "value": "ab123456"}])
    forged = items.digest_query(Ed25519PrivateKey.generate(), sender=MX_NODE, recipient_node="us.binational/cbp",
                                key_id=key_id, digests=asked, now=utcnow())
    stale = items.digest_query(keys.node_key(mx.settings), sender=MX_NODE, recipient_node="us.binational/cbp",
                               key_id=key_id, digests=asked, now=utcnow() - timedelta(minutes=20))
    for data, reason in ((forged, "signature"), (stale, "expired")):
        r = us_app.post(sync.DIGESTS_PATH, content=data, headers={"Content-Type": "application/json"})
        assert r.status_code == 422 and r.json()["error"]["details"][0]["reason"] == reason
        assert "hit" not in r.text
    sequence_audit(db)  # on PostgreSQL the app queues its entries for the sequencer
    with db.unit_of_work() as s:
        act_as_system(s)
        denied = s.scalars(select(AuditEntry).where(AuditEntry.action == "federation.digests",
                                                    AuditEntry.decision == "deny")).all()
    assert sorted(json.loads(e.entry)["reason"] for e in denied) == ["expired", "signature"]

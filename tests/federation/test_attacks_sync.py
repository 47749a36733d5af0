"""Attacks on sync as a hostile partner node and as a local analyst of another agency on the receiving
node (review of the sync change). Each was a 500, an overwrite or a leak before its fix."""

from __future__ import annotations

import json
import threading

import pytest
from sqlalchemy import func, select

from binational.db import act_as_system, utcnow
from binational.entities.models import Entity
from binational.federation import bundles, items, keys, service, sync
from tests.federation.conftest import API, MX_NODE, OtherNode, _released, _sync, _to, _values, proved

GT_NODE = "gt.binational/pnc"


def _post(mx, data: bytes):  # noqa: ANN001, ANN202
    # text/plain: the endpoint reads any body, so the request guard (JSON bodies only) does not look
    return mx.client.post(sync.PATH, content=data, headers={"Content-Type": "text/plain"})


def _first_bundle(db, us_settings) -> dict:  # noqa: ANN001
    from binational.federation.models import Outbox

    with db.unit_of_work() as s:
        act_as_system(s)
        sync.collect(session=s, settings=us_settings, now=utcnow())
        return json.loads(s.scalars(select(Outbox)).one().document)


def test_attack_another_partner_cannot_overwrite_a_copy_by_its_id(pair, db, client, cast):
    """A second partner (GT) signs a bundle naming the id of the US copy: it must not purge or replace it."""
    us_settings, mx = pair
    entity_id = _released(client, cast)
    _sync(db, us_settings, _to(mx))
    gt = OtherNode()
    with mx.db.unit_of_work() as s:
        act_as_system(s)
        service.trust(session=s, actor=None, settings=mx.settings, now=utcnow(),
                      data=gt.anchor(node=GT_NODE, agencies=("GT-MP",)))
    header = {"format": bundles.FORMAT, "release_id": "a" * 32, "sender": GT_NODE, "sequence": 1,
              "owner": "GT-MP", "recipient": {"agency": "MX-FGR", "node": MX_NODE}, "marking": "TLP:AMBER",
              "purpose": "p", "issued_at": "2026-01-01T00:00:00Z", "expires_at": "2099-01-01T00:00:00Z",
              "supersedes": None}
    body = {"id": entity_id, "schema": "Person",
            "statements": [{"prop": "name", "value": "Planted Name", "lang": None, "marking": "TLP:AMBER"}]}
    r = _post(mx, bundles.sign(gt.key, header, body))
    assert r.status_code == 422 and r.json()["error"]["details"][0]["reason"] == "owner", r.text
    values = _values(mx.client, cast["mx_analyst"], entity_id)
    assert "Planted Name" not in values and "Ramona Quintero" in values
    # nor squat an id of a local agency's namespace (its import of that id would then fail)
    r = _post(mx, bundles.sign(gt.key, header, {**body, "id": "mx-fgr.planted"}))
    assert r.status_code == 422 and r.json()["error"]["details"][0]["reason"] == "owner", r.text
    with mx.db.unit_of_work() as s:
        act_as_system(s)
        assert s.get(Entity, "mx-fgr.planted") is None


def test_attack_odd_fields_in_a_signed_bundle_are_refused_not_500(pair, db, client, cast):
    """A trusted partner signs anything: out-of-shape fields must be a 422 refusal, never a 500 (PostgreSQL)."""
    us_settings, mx = pair
    entity_id = _released(client, cast)
    doc = _first_bundle(db, us_settings)
    header, entity = doc["bundle"]["header"], doc["bundle"]["entity"]
    key = keys.node_key(us_settings)
    value = {"prop": "name", "value": "x", "lang": None, "marking": "TLP:CLEAR"}
    odd = [
        ({**header, "release_id": "r" * 40}, entity),
        ({**header, "release_id": 7}, entity),
        ({**header, "supersedes": {"a": 1}}, entity),
        (header, {**entity, "statements": [{**value, "lang": "x" * 300}]}),
        (header, {**entity, "statements": [{**value, "value": "nul\x00byte"}]}),
        (header, {**entity, "id": "bad\x00id"}),
        (header, {**entity, "statements": [{**value, "prop": None}]}),
    ]
    for h, e in odd:
        r = _post(mx, bundles.sign(key, h, e))
        assert r.status_code == 422, (h["release_id"], e, r.status_code, r.text[:300])
    for raw in (b'{"tombstone": {"sequence": 1e400, "sender": "us.binational/cbp"}, "signature": ""}',
                b'{"bundle": {"header": {"sender": "us.binational/cbp", "sequence": 1e400}}, "signature": ""}',
                b'{"bundle": {"header": {"sender": "us.binational/cbp", "sequence": "1"}}, "signature": ""}',
                b'{"bundle": {"header": {"sender": "us.binational/cbp", "sequence": 1e29}}, "signature": ""}',
                b'{"bundle": {"header": {"sender": ["x"]}}}', b"[1, 2]", b"\x00", b'"\\ud800"'):
        r = _post(mx, raw)
        assert r.status_code == 422, (raw, r.status_code, r.text[:300])
    assert _post(mx, proved(db, us_settings, bundles.sign(key, header, entity))).status_code == 200  # the true one
    assert mx.client.get(f"{API}/{entity_id}", headers=cast["mx_analyst"].headers).status_code == 200


def test_attack_a_copy_answers_no_hit_to_other_agencies_or_partner_nodes(pair, db, client, cast):
    """The copy's owner is not on this node and released it to one agency: another agency here must not
    learn that it exists through discovery, nor may this node answer a partner's digests with it."""
    us_settings, mx = pair
    entity_id = _released(client, cast)
    _sync(db, us_settings, _to(mx))
    selector = {"type": "phone", "value": "+15205550101"}
    r = mx.client.post("/api/v1/discovery", headers=cast["mx_inm"].headers, json={"selectors": [selector]})
    assert r.status_code == 200, r.text
    assert [(x["hit"], x["hits"], x["matches"]) for x in r.json()["results"]] == [(False, [], [])], r.text
    r = mx.client.get("/api/v1/search", headers=cast["mx_inm"].headers, params={"q": "Ramona Quintero"})
    assert entity_id not in r.text
    r = mx.client.post("/api/v1/discovery", headers=cast["mx_analyst"].headers, json={"selectors": [selector]})
    assert entity_id in r.text  # the recipient sees its copy in full
    from binational.federation import digests

    with mx.db.unit_of_work() as s:
        act_as_system(s)
        text = digests.rotate(session=s, actor=None, node_id="us.binational/cbp", now=utcnow())
        _key_id, secret = digests.current_key(s, "us.binational/cbp")
        [answer] = digests.answer(session=s, node_id="us.binational/cbp", key_id=int(text.split(":")[0]),
                                  values=digests.digests_of(secret, [selector]), now=utcnow())
    assert answer.hit is False


@pytest.mark.skipif("postgresql" not in str(__import__("tests.conftest").conftest.BACKEND),
                    reason="concurrent writers: PostgreSQL row locks")
def test_attack_the_same_sequence_twice_at_once_answers_cleanly(pair, db, client, cast):
    """Two deliveries of number 1 at once (the same bytes, and other bytes): one applies, the other gets
    the same receipt or is refused as a replay, never an integrity error."""
    us_settings, mx = pair
    _released(client, cast)
    doc = _first_bundle(db, us_settings)
    key = keys.node_key(us_settings)
    first = proved(db, us_settings, bundles.sign(key, doc["bundle"]["header"], doc["bundle"]["entity"]))
    release_id = doc["bundle"]["header"]["release_id"]
    stone = items.tombstone(key, sender="us.binational/cbp", sequence=2, release_id=release_id,
                            recipient_node=MX_NODE, reason="revoked", now=utcnow())
    other_stone = items.tombstone(key, sender="us.binational/cbp", sequence=2, release_id=release_id,
                                  recipient_node=MX_NODE, reason="untrusted", now=utcnow())
    for held, second, expected in ((first, first, "receipt"), (stone, other_stone, "replay")):
        outcomes: list = []
        holder = mx.db.session()
        act_as_system(holder)
        try:
            applied = sync.receive(session=holder, settings=mx.settings, data=held, now=utcnow())
            assert applied.refused is None, applied.refused

            def deliver(data: bytes = second) -> None:
                with mx.db.unit_of_work() as s:
                    act_as_system(s)
                    outcomes.append(sync.receive(session=s, settings=mx.settings, data=data, now=utcnow()))

            thread = threading.Thread(target=deliver)
            thread.start()
            thread.join(1.0)  # it waits for the first delivery (or, unfixed, races it)
            holder.commit()
        finally:
            holder.close()
        thread.join(30)
        [outcome] = outcomes
        if expected == "receipt":
            assert outcome.refused is None and outcome.receipt == applied.receipt
        else:
            assert outcome.refused is not None and outcome.refused.reason == "replay"
    with mx.db.unit_of_work() as s:
        act_as_system(s)
        assert s.scalar(select(func.count()).select_from(Entity).where(Entity.origin_node.is_not(None))) == 1

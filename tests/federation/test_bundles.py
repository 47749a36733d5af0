"""Release bundles. Attack tests first: what a bundle to MX-FGR may carry of a US-CBP record (only
the values MX-FGR may read, never the other recipients), who may build one (the owner only: a
received record is never released onward; an invisible one answers as a missing one); then the
receiver's `verify`: a changed byte, another sender, an owner the sender does not host, another
recipient, an expired bundle and a replay are each refused with their reason."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from binational.access import service as access
from binational.config import get_settings
from binational.db import act_as, act_as_system, utcnow
from binational.errors import Forbidden, InvalidInput, NotFound
from binational.federation import anchors, bundles, keys, service
from tests.federation.conftest import MX_NODE, US_NODE

API = "/api/v1/entities"
MX = bundles.Recipient(node=MX_NODE, agencies=frozenset({"MX-FGR", "MX-INM"}), applied_sequence=0)


def _post(client, member, **body):
    r = client.post(API, headers=member.headers, json=body)
    assert r.status_code == 201, r.text
    return r.json()["id"]


def _patch(client, member, entity_id, **body):
    r = client.patch(f"{API}/{entity_id}", headers=member.headers, json=body)
    assert r.status_code == 200, r.text


@pytest.fixture
def shared(client, cast):
    """A US-CBP person released to MX-FGR, MX-INM and US-ATF, with values MX-FGR may not read."""
    us, boss = cast["us_analyst"], cast["us_supervisor"]
    entity_id = _post(client, us, schema="Person", properties={"name": ["Ramona Quintero"],
                                                               "phone": ["+15205550101"]},
                      distribution="release", release_to=["MX-FGR", "MX-INM", "US-ATF"])
    _patch(client, us, entity_id, add={"alias": ["Zacarias Hidden"]}, distribution="agency")
    _patch(client, boss, entity_id, add={"alias": ["Wenceslao Redline"]}, marking="TLP:RED")
    return entity_id


def _build(db, username, entity_id, *, agency="MX-FGR", clearance="TLP:AMBER", sequence=1, days=7,
           key=None):
    settings = get_settings()
    with db.unit_of_work() as s:
        act_as_system(s)
        actor = access.actor_for(session=s, user=access.get_user(session=s, username=username))
        act_as(s, actor)
        now = utcnow()
        return bundles.build(session=s, actor=actor, key=key or keys.node_key(settings), sender=US_NODE,
                             entity_id=entity_id, recipient_agency=agency, recipient_node=MX_NODE,
                             recipient_country="MX", clearance=clearance, purpose="joint investigation 41",
                             expires_at=now + timedelta(days=days), sequence=sequence, now=now)


def _us_anchor(db, settings) -> anchors.Anchor:
    with db.unit_of_work() as s:
        act_as_system(s)
        data = service.write_anchor(session=s, actor=None, settings=settings, now=utcnow())
    return anchors.verify(data, now=utcnow())


# --- attack tests: what leaves the node, and who may send it -------------------------------------------------


def test_a_bundle_carries_only_what_the_recipient_may_read_and_no_other_recipient(us_node, db, shared):
    data = _build(db, "us_supervisor", shared)  # the supervisor sees the RED value: the bundle still may not
    text = data.decode()
    for secret in ("Zacarias", "Wenceslao", "MX-INM", "US-ATF", "TLP:RED"):
        assert secret not in text, secret
    doc = json.loads(data)
    statements = doc["bundle"]["entity"]["statements"]
    assert {(s["prop"], s["value"]) for s in statements} == {("name", "Ramona Quintero"), ("phone", "+15205550101")}
    assert doc["bundle"]["header"]["recipient"] == {"agency": "MX-FGR", "node": MX_NODE}


def test_a_bundle_never_goes_where_the_record_is_not_released_or_above_its_clearance(us_node, db, client, cast,
                                                                                     shared):
    kept = _post(client, cast["us_analyst"], schema="Person", properties={"name": ["Ulises Kept"]})
    with pytest.raises(InvalidInput):
        _build(db, "us_analyst", kept)
    with pytest.raises(InvalidInput):
        _build(db, "us_analyst", shared, clearance="TLP:CLEAR")  # the record is AMBER


def test_a_received_record_is_not_released_onward_and_an_unseen_one_is_missing(us_node, db, shared):
    with pytest.raises(Forbidden):
        _build(db, "mx_analyst", shared)  # MX-FGR reads it; only US-CBP releases it
    with pytest.raises(NotFound) as unseen:
        _build(db, "outsider", shared)
    with pytest.raises(NotFound) as missing:
        _build(db, "outsider", "us-cbp.no-such-record")
    assert str(unseen.value).replace(shared, "X") == str(missing.value).replace("us-cbp.no-such-record", "X")


# --- the receiver's verify -------------------------------------------------------------------------------------


def _flip(data: bytes, needle: bytes) -> bytes:
    at = data.index(needle)
    return data[:at] + bytes([data[at] ^ 1]) + data[at + 1:]


def test_a_good_bundle_verifies_and_each_bad_one_is_refused_with_its_reason(us_node, db, shared):
    anchor, now = _us_anchor(db, us_node), utcnow()
    good = _build(db, "us_analyst", shared, sequence=5)
    bundle = bundles.verify(good, anchor, now, MX)
    assert bundle.sequence == 5 and bundle.header["owner"] == "US-CBP" and bundle.entity["id"] == shared
    assert bundle.header["marking"] == "TLP:AMBER"

    def reason(data, at=now, me=MX, by=anchor):
        with pytest.raises(bundles.Refused) as refused:
            bundles.verify(data, by, at, me)
        return refused.value.reason

    assert reason(_flip(good, b"Ramona")) == "signature"
    assert reason(_flip(good, b'5,"supersedes"')) == "signature"
    assert reason(_build(db, "us_analyst", shared, key=Ed25519PrivateKey.generate())) == "signature"
    assert reason(good, me=bundles.Recipient("gt.binational/pnc", frozenset({"MX-FGR"}), 0)) == "recipient"
    assert reason(good, me=bundles.Recipient(MX_NODE, frozenset({"MX-INM"}), 0)) == "recipient"
    assert reason(good, at=now + timedelta(days=8)) == "expired"
    assert reason(good, me=bundles.Recipient(MX_NODE, MX.agencies, 5)) == "replay"
    assert reason(b"{}") == "malformed" and reason(good[:-2]) == "malformed"
    # signed by the right key, but sent as another node, or of an agency the sender does not host
    doc = json.loads(good)
    for field, value, why in (("sender", "us.binational/atf", "sender"), ("owner", "MX-FGR", "owner")):
        header = dict(doc["bundle"]["header"], **{field: value})
        assert reason(bundles.sign(keys.node_key(us_node), header, doc["bundle"]["entity"])) == why
    assert bundles.verify(good, anchor, now, bundles.Recipient(MX_NODE, MX.agencies, 4)).sequence == 5

"""Witnessed releases between two nodes: the US node names a witness in its anchor, hands it each
checkpoint (C2SP tlog-witness over HTTP) and sends a bundle only with a tlog-proof against a checkpoint
the witness cosigned; the MX node, requiring a witness, accepts it only with that proof. Attack tests:
the witness down pauses outgoing releases (local work goes on) and they leave once it is back; a proof
short of the quorum, with a forged cosignature, for another entry, against a checkpoint the US key did
not sign, or from a partner naming too few witnesses is refused, with nothing written."""

from __future__ import annotations

import json

import httpx
import pytest
from sqlalchemy import func, select
from starlette.testclient import TestClient

from binational.audit import checkpoints, notes, proofs, witness, witness_http
from binational.db import act_as_system, utcnow
from binational.entities.models import Statement
from binational.federation import service, sync, witnessing
from binational.federation.models import Outbox
from tests.federation.test_sync import API, _released, _to, _values

W = "witness.example/w1"


@pytest.fixture
def witnessed(us_node, db, mx, tmp_path, monkeypatch):
    """US (naming the witness W in its anchor) and MX (requiring one witness) trusting each other, and W."""
    folder = tmp_path / "witness"
    w = witness.init(folder, W)
    witness.trust(folder, checkpoints.node_verifier(us_node).vkey())
    us = us_node.model_copy(update={"federation_witnesses": [w.vkey()],
                                    "federation_witness_urls": {W: "http://witness.test"}})
    monkeypatch.setattr(mx.settings, "federation_min_witnesses", 1)
    now = utcnow()
    with db.unit_of_work() as s:
        act_as_system(s)
        us_anchor = service.write_anchor(session=s, actor=None, settings=us, now=now)
    with mx.db.unit_of_work() as s:
        act_as_system(s)
        mx_anchor = service.write_anchor(session=s, actor=None, settings=mx.settings, now=now)
        service.trust(session=s, actor=None, settings=mx.settings, data=us_anchor, now=now)
    with db.unit_of_work() as s:
        act_as_system(s)
        service.trust(session=s, actor=None, settings=us, data=mx_anchor, now=now)
    with TestClient(witness_http.app(folder)) as client:
        def up(url: str, body: str) -> tuple[int, str]:
            r = client.post("/add-checkpoint", content=body)
            return r.status_code, r.text
        yield us, mx, up, w


def down(url: str, body: str) -> tuple[int, str]:
    raise httpx.ConnectError("connection refused")


def _push(db, us, mx, witness_transport):
    with db.unit_of_work() as s:
        act_as_system(s)
        sync.collect(session=s, settings=us, now=utcnow())
        return sync.push(session=s, settings=us, now=utcnow(), transport=_to(mx), witness_transport=witness_transport)


def test_a_release_waits_for_the_witness_and_leaves_with_its_proof(witnessed, db, client, cast):
    us, mx, up, w = witnessed
    entity_id = _released(client, cast)
    pushed = _push(db, us, mx, down)
    assert pushed.sent == 0 and "waiting" in pushed.failed[0] and "unreachable" in pushed.cosigned.failed[0]
    assert mx.client.get(f"{API}/{entity_id}", headers=cast["mx_analyst"].headers).status_code == 404
    r = client.post(API, headers=cast["us_analyst"].headers, json={"schema": "Person",
                                                                   "properties": {"name": ["Local Work"]}})
    assert r.status_code == 201  # local work never waits for a witness
    pushed = _push(db, us, mx, up)
    assert (pushed.sent, pushed.failed, pushed.cosigned.witnesses) == (1, [], [W])
    assert "Ramona Quintero" in _values(mx.client, cast["mx_analyst"], entity_id)
    with db.unit_of_work() as s:
        act_as_system(s)
        sent = json.loads(s.scalars(select(Outbox)).one().document)
    proof = proofs.parse(sent["proof"])
    assert notes.check(proof.checkpoint, w) and json.loads(proof.extra)["action"] == "federation.queue"
    assert b"us_analyst" not in proof.extra  # the entry names the item's hash, not who released it


def test_attack_proofs_short_of_the_quorum_forged_or_for_another_entry_are_refused(witnessed, db, client, cast):
    us, mx, up, w = witnessed
    _released(client, cast)
    assert _push(db, us, mx, up).sent == 1
    second = _released(client, cast)
    with db.unit_of_work() as s:
        act_as_system(s)
        sync.collect(session=s, settings=us, now=utcnow())
        witnessing.cosign(session=s, settings=us, now=utcnow(), transport=up)
        rows = s.scalars(select(Outbox).order_by(Outbox.sequence)).all()
        first_doc, data = json.loads(rows[0].document), rows[1].document.encode()
        good = witnessing.prove(s, us, data, utcnow())
    assert good is not None
    doc = json.loads(good)
    note = proofs.parse(doc["proof"]).checkpoint
    own = [line for line in note.signatures if line.name != W]

    def post(proof: str) -> dict:
        r = mx.client.post(sync.PATH, content=json.dumps({**doc, "proof": proof}).encode())
        assert r.status_code == 422, r.text
        return r.json()["error"]

    def count() -> int:
        with mx.db.unit_of_work() as s:
            act_as_system(s)
            return int(s.scalar(select(func.count()).select_from(Statement)) or 0)

    before = count()
    short = doc["proof"].replace(str(note), str(notes.Note(note.text, tuple(own))))
    assert "quorum" in post(short)["message"]  # no cosignature: the quorum short by one
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    impostor = notes.cosign(Ed25519PrivateKey.generate(), W, note.text, int(utcnow().timestamp()))
    forged = notes.Note(note.text, (*own, notes.Signature(W, w.key_id, impostor.signature)))
    assert "quorum" in post(doc["proof"].replace(str(note), str(forged)))["message"]
    assert "another entry" in post(first_doc["proof"])["message"]  # the first bundle's proof
    unsigned = notes.Note(note.text, tuple(s for s in note.signatures if s.name == W))
    assert "not signed by a log" in post(doc["proof"].replace(str(note), str(unsigned)))["message"]
    r = mx.client.post(sync.PATH, content=json.dumps({k: v for k, v in doc.items() if k != "proof"}).encode())
    assert r.json()["error"]["details"][0]["reason"] == "proof"
    assert count() == before
    assert mx.client.get(f"{API}/{second}", headers=cast["mx_analyst"].headers).status_code == 404
    # a partner whose anchor names fewer witnesses than this node requires is refused whatever it proves
    mx.settings.federation_min_witnesses = 2
    assert "fewer than" in post(doc["proof"])["message"]
    mx.settings.federation_min_witnesses = 1
    assert mx.client.post(sync.PATH, content=good).status_code == 200
    assert "Ramona Quintero" in _values(mx.client, cast["mx_analyst"], second)

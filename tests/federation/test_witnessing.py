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
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import func, select
from starlette.testclient import TestClient

from binational.audit import checkpoints, notes, proofs, witness, witness_http
from binational.audit.models import AuditEntry
from binational.db import act_as_system, utcnow
from binational.entities.models import Statement
from binational.federation import service, sync, witnessing
from binational.federation.models import Outbox
from tests.conftest import sequence_audit
from tests.federation.conftest import API, _released, _to, _values, trust_each_other

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
    trust_each_other(db, us, mx)
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


def _anchor_body(node_key, body: dict) -> bytes:
    """An anchor body signed by `node_key` as `anchors.make` signs it, without `make`'s checks."""
    import base64

    from binational.audit.log import canonical_json
    from binational.federation import anchors

    signature = node_key.sign(anchors.CONTEXT + canonical_json(body))
    return canonical_json({"anchor": body, "signature": base64.b64encode(signature).decode()})


def test_attack_an_anchor_naming_one_witness_twice_or_its_own_key_as_a_witness_is_refused(us_node, db):
    from binational.errors import InvalidInput
    from binational.federation import anchors, keys

    other = notes.Verifier(W, notes.COSIGNATURE, Ed25519PrivateKey.generate().public_key())
    audit_key = checkpoints.node_verifier(us_node)
    # the node's own audit key, dressed as a cosignature key: the node would witness itself
    itself = notes.Verifier("witness.example/me", notes.COSIGNATURE, audit_key.key)
    with db.unit_of_work() as s:
        act_as_system(s)
        good = json.loads(service.write_anchor(session=s, actor=None, settings=us_node, now=utcnow()))["anchor"]
    node_key = keys.node_key(us_node)
    for named in ([other.vkey(), other.vkey()], [itself.vkey()]):
        # a hostile partner signs such an anchor itself: `verify` (at trust and at every delivery) refuses it
        data = _anchor_body(node_key, {**good, "witnesses": named})
        with pytest.raises(InvalidInput, match="named twice or holds one of the node's own keys"):
            anchors.verify(data, now=utcnow())
        # and this node does not write one
        with db.unit_of_work() as s, pytest.raises(InvalidInput, match="named twice"):
            act_as_system(s)
            service.write_anchor(session=s, actor=None, now=utcnow(),
                                 settings=us_node.model_copy(update={"federation_witnesses": named}))
    assert anchors.verify(_anchor_body(node_key, {**good, "witnesses": [other.vkey()]}), now=utcnow()).witnesses


@pytest.mark.parametrize("answer", [(409, "9" * 5000), (409, "\u0661\u0662"), (409, "-3"), (200, "x" * 100),
                                    (200, "\u2014 " + W + " AAAA\n"), (500, "\x00" * 300)])
def test_attack_a_hostile_witness_answer_is_a_failure_named_never_a_crash(witnessed, db, client, cast, answer):
    us, mx, up, w = witnessed
    _released(client, cast)
    pushed = _push(db, us, mx, lambda url, body: answer)
    assert pushed.sent == 0 and pushed.cosigned.witnesses == [] and pushed.cosigned.failed[0].startswith(W)
    assert "waiting" in pushed.failed[0]
    assert _push(db, us, mx, up).sent == 1  # the honest witness afterwards: the release leaves


def test_attack_huge_or_odd_proofs_are_refused_not_a_500(witnessed, db, client, cast):
    us, mx, up, w = witnessed
    _released(client, cast)
    with db.unit_of_work() as s:
        act_as_system(s)
        sync.collect(session=s, settings=us, now=utcnow())
        witnessing.cosign(session=s, settings=us, now=utcnow(), transport=up)
        data = s.scalars(select(Outbox)).one().document.encode()
        doc = json.loads(witnessing.prove(s, us, data, utcnow()))
    head, _, note = doc["proof"].partition("\n\n")
    lines = head.split("\n")
    at = lines.index(next(line for line in lines if line.startswith("index ")))
    hashes = "\n".join(["AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="] * 64)
    for odd in ("\n".join([*lines[:at], "index " + "9" * 5000]) + "\n\n" + note,  # past int()'s digits
                "\n".join([*lines[: at + 1], hashes]) + "\n\n" + note,  # 64 hashes
                "\n".join([*lines[:at], "index -1", *lines[at + 1:]]) + "\n\n" + note,
                "\n".join([*lines[:at], "index \u0661", *lines[at + 1:]]) + "\n\n" + note,
                doc["proof"].replace("\n\n", "\n\n\x00"),
                doc["proof"] + ("\u2014 x " + "A" * 96 + "\n") * 65,  # past 64 signatures
                "", "\n\n", 7):
        r = mx.client.post(sync.PATH, content=json.dumps({**doc, "proof": odd}).encode())
        assert r.status_code == 422, (odd if isinstance(odd, int) else odd[:80], r.text)
        assert set(r.json()) == {"error"}  # the one error shape
    assert mx.client.post(sync.PATH, content=json.dumps(doc).encode()).status_code == 200


def test_attack_the_queue_entry_tells_no_auditor_of_any_agency_about_the_release(witnessed, db, client, cast):
    us, mx, up, w = witnessed
    _released(client, cast)
    assert _push(db, us, mx, up).sent == 1
    sequence_audit(db)
    with db.unit_of_work() as s:
        act_as_system(s)
        queued = [json.loads(e) for e in s.scalars(select(AuditEntry.entry)
                                                   .where(AuditEntry.action == witnessing.QUEUED))]
    assert [(e["actor"], e["agency"], e["actor_id"]) for e in queued] == [("system", None, None)]
    assert set(queued[0]["extra"]) == {"partner", "sequence", "kind", "release_id"}
    for auditor in ("us_auditor", "mx_auditor"):  # a system entry naming no agency's record: no auditor's view
        r = client.get("/api/v1/audit", params={"action": witnessing.QUEUED}, headers=cast[auditor].headers)
        assert r.status_code == 200 and r.json()["items"] == [], (auditor, r.text)


def test_attack_a_partners_own_witnesses_do_not_satisfy_a_receiver_that_chose_its_own(witnessed, db, client, cast):
    """US names only W, a witness it could run itself; MX trusts the witness it chose (W2): a proof W alone
    cosigned is refused, nothing written, until MX trusts W as well."""
    us, mx, up, w = witnessed
    entity_id = _released(client, cast)
    theirs = witness.init(mx.settings.audit_key_path.parent / "mx-chosen-witness", "witness.example/w2")
    mx.settings.federation_trusted_witnesses = [theirs.vkey()]
    pushed = _push(db, us, mx, up)
    assert pushed.sent == 0 and "422" in pushed.failed[0], pushed
    assert mx.client.get(f"{API}/{entity_id}", headers=cast["mx_analyst"].headers).status_code == 404
    sequence_audit(mx.db)
    with mx.db.unit_of_work() as s:
        act_as_system(s)
        denied = s.scalars(select(AuditEntry.entry).where(AuditEntry.action == "federation.receive",
                                                          AuditEntry.decision == "deny")).all()
    assert any("quorum" in e and '"proof"' in e for e in denied), denied
    mx.settings.federation_trusted_witnesses = [theirs.vkey(), w.vkey()]  # one of the chosen is enough
    assert _push(db, us, mx, up).sent == 1
    assert "Ramona Quintero" in _values(mx.client, cast["mx_analyst"], entity_id)


def test_a_revocation_carries_its_proof_when_witnessed_and_never_waits_for_a_witness(witnessed, db, client, cast):
    us, mx, up, w = witnessed

    def revoke(entity_id: str) -> None:
        release = client.get(f"{API}/{entity_id}/releases", headers=cast["us_analyst"].headers).json()[0]
        r = client.delete(f"/api/v1/releases/{release['id']}", headers=cast["us_supervisor"].headers)
        assert r.status_code == 200, r.text

    def proofs_seen() -> list[str]:
        sequence_audit(mx.db)
        with mx.db.unit_of_work() as s:
            act_as_system(s)
            return [json.loads(e)["extra"]["proof"] for e in s.scalars(
                select(AuditEntry.entry).where(AuditEntry.action == "federation.receive",
                                               AuditEntry.decision == "allow").order_by(AuditEntry.seq))
                    if json.loads(e)["extra"].get("kind") == "tombstone"]

    first, second = _released(client, cast), _released(client, cast)
    assert _push(db, us, mx, up).sent == 2
    revoke(first)
    pushed = _push(db, us, mx, down)  # the witness is down: the revocation goes all the same
    assert pushed.sent == 1 and mx.client.get(f"{API}/{first}", headers=cast["mx_analyst"].headers).status_code == 404
    revoke(second)
    assert _push(db, us, mx, up).sent == 1
    assert mx.client.get(f"{API}/{second}", headers=cast["mx_analyst"].headers).status_code == 404
    assert proofs_seen() == ["none", "verified"]
    with db.unit_of_work() as s:
        act_as_system(s)
        stones = [json.loads(r.document) for r in s.scalars(select(Outbox).where(Outbox.kind == "tombstone")
                                                            .order_by(Outbox.sequence))]
    assert "proof" not in stones[0] and proofs.parse(stones[1]["proof"]).index >= 0


def test_a_receivers_unreadable_chosen_witness_refuses_bundles_and_never_holds_back_a_revocation(
        witnessed, db, client, cast):
    us, mx, up, w = witnessed
    entity_id = _released(client, cast)
    assert _push(db, us, mx, up).sent == 1
    mx.settings.federation_trusted_witnesses = ["not a verifier key"]
    release = client.get(f"{API}/{entity_id}/releases", headers=cast["us_analyst"].headers).json()[0]
    assert client.delete(f"/api/v1/releases/{release['id']}", headers=cast["us_supervisor"].headers).status_code == 200
    assert _push(db, us, mx, up).sent == 1  # the revocation, with its proof: applied
    assert mx.client.get(f"{API}/{entity_id}", headers=cast["mx_analyst"].headers).status_code == 404
    second = _released(client, cast)
    pushed = _push(db, us, mx, up)
    assert pushed.sent == 0 and "422" in pushed.failed[0] and "cannot read" in pushed.failed[0], pushed
    assert mx.client.get(f"{API}/{second}", headers=cast["mx_analyst"].headers).status_code == 404

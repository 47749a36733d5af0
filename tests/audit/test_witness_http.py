"""The witness over HTTP (C2SP tlog-witness `add-checkpoint`): each answer the specification names —
200 with a cosignature that verifies, 404 an unknown log, 403 a forged log signature, 400 an old size
past the checkpoint, 409 with the witness's size, 422 a bad proof or a fork — and attacks: a log cut
back (rollback) and a fork are refused and kept as evidence, and the state survives a restart."""

from __future__ import annotations

import base64
import hashlib
import json

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from starlette.testclient import TestClient

from binational.audit import merkle, notes, signing, witness, witness_http

ORIGIN = "us.binational/cbp"
LOG = Ed25519PrivateKey.generate()
LEAVES = [merkle.leaf_hash(f"entry {i}".encode()) for i in range(40)]
FORKED = [*LEAVES[:10], *(merkle.leaf_hash(f"other {i}".encode()) for i in range(10, 40))]


def checkpoint(size: int, leaves: list[bytes] = LEAVES, key: Ed25519PrivateKey = LOG) -> str:
    text = signing.checkpoint_text(ORIGIN, size, merkle.root_of(leaves[:size])).decode()
    return str(notes.Note(text, (notes.sign(key, ORIGIN, text),)))


def body(old: int, size: int, leaves: list[bytes] = LEAVES, proof: list[bytes] | None = None, **kw) -> str:
    hashes = merkle.consistency_proof(leaves[:size], old) if proof is None else proof
    return f"old {old}\n" + "".join(base64.b64encode(h).decode() + "\n" for h in hashes) + "\n" + \
        checkpoint(size, leaves, **kw)


@pytest.fixture
def served(tmp_path):
    folder = tmp_path / "w"
    me = witness.init(folder, "witness.example/w1")
    witness.trust(folder, notes.Verifier(ORIGIN, notes.ED25519, LOG.public_key()).vkey())
    with TestClient(witness_http.app(folder)) as client:
        yield folder, me, client


def test_a_checkpoint_is_cosigned_and_each_refusal_answers_its_status(served):
    folder, me, client = served
    r = client.post("/add-checkpoint", content=body(0, 12))
    assert r.status_code == 200, r.text
    cosigned = notes.parse_note(checkpoint(12) + r.text)
    assert notes.check(cosigned, me) and r.text.startswith("\u2014 witness.example/w1 ")
    r = client.post("/add-checkpoint", content=body(12, 20))
    assert r.status_code == 200, r.text

    r = client.post("/add-checkpoint", content=body(5, 30))  # not the size the witness holds
    assert r.status_code == 409 and r.text == "20\n" and r.headers["content-type"].startswith("text/x.tlog.size")
    r = client.post("/add-checkpoint", content=body(0, 30))
    assert r.status_code == 409 and r.text == "20\n"
    assert client.post("/add-checkpoint", content=body(25, 20, proof=[])).status_code == 400
    bad = merkle.consistency_proof(LEAVES[:30], 20)
    bad[0] = bytes(32)
    assert client.post("/add-checkpoint", content=body(20, 30, proof=bad)).status_code == 422
    assert client.post("/add-checkpoint", content=body(20, 30, key=Ed25519PrivateKey.generate())).status_code == 403
    other = body(0, 3).replace(ORIGIN, "mx.binational/fgr")
    assert client.post("/add-checkpoint", content=other).status_code == 404
    assert client.post("/add-checkpoint", content="old x\n\nnot a note").status_code == 400
    assert client.post("/add-checkpoint", content=b"\xff" * 10).status_code == 400
    assert client.post("/add-checkpoint", content=b"o" * (witness_http.MAX_BODY + 1)).status_code == 413

    monitored = client.get(f"/{hashlib.sha256(ORIGIN.encode()).hexdigest()}/checkpoint")
    assert monitored.status_code == 200 and notes.parse_checkpoint(notes.parse_note(monitored.text).text).size == 20
    assert client.get(f"/{'0' * 64}/checkpoint").status_code == 404


def test_attack_a_rollback_and_a_fork_are_refused_kept_as_evidence_and_survive_a_restart(served):
    folder, _me, client = served
    assert client.post("/add-checkpoint", content=body(0, 20)).status_code == 200
    # rollback: the log cut back to 15, re-signed with its key
    r = client.post("/add-checkpoint", content=body(0, 15))
    assert r.status_code == 409 and r.text == "20\n"
    r = client.post("/add-checkpoint", content=body(15, 15, proof=[]))
    assert r.status_code == 409
    # fork: the same size with another history, and a larger size that does not extend the one cosigned
    assert client.post("/add-checkpoint", content=body(20, 20, FORKED, proof=[])).status_code == 422
    forked = merkle.consistency_proof(FORKED[:30], 20)
    assert client.post("/add-checkpoint", content=body(20, 30, FORKED, proof=forked)).status_code == 422
    kept = [json.loads(line) for line in (folder / witness.EVIDENCE).read_text().splitlines()]
    assert [k["origin"] for k in kept] == [ORIGIN] * 4 and "cut back" in kept[0]["reason"]
    assert "fork" in kept[2]["reason"] and "does not verify" in kept[3]["reason"]
    # a restarted witness still holds 20, and the honest log goes on from there
    with TestClient(witness_http.app(folder)) as again:
        assert again.post("/add-checkpoint", content=body(0, 18)).text == "20\n"
        assert again.post("/add-checkpoint", content=body(20, 33)).status_code == 200

"""The audit API's checkpoint for witnesses: an auditor gets the signed note, the node's verifier key
and a consistency proof that a witness accepts; others are refused; the call is audited."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import event

from binational.audit import checkpoints, merkle, notes, witness
from binational.audit import log as audit
from binational.db import act_as_system
from tests.conftest import sequence_audit


def _append(db) -> None:  # noqa: ANN001
    """One more entry in the log, sequenced."""
    with db.unit_of_work() as s:
        act_as_system(s)
        audit.record(s, action="audit.checkpoint", actor=None)
    sequence_audit(db)


def test_an_auditor_hands_the_checkpoint_and_proof_to_a_witness(client, cast, db, tmp_path: Path):
    auditor = cast["us_auditor"]
    folder = tmp_path / "w"
    witness.init(folder, "witness.example/w1")
    first = client.get("/api/v1/audit/checkpoint", headers=auditor.headers)
    assert first.status_code == 200, first.text
    body = first.json()
    witness.trust(folder, body["key"])
    assert body["proof"] is None
    note = notes.parse_note(body["checkpoint"])
    assert notes.check(note, notes.parse_vkey(body["key"], notes.ED25519)) is True
    assert notes.parse_checkpoint(note.text).size == body["size"]
    witness.cosign(folder, body["checkpoint"], witness.proof_text(0, []), 1_800_000_000)
    # the log grew (the calls themselves are audited); the proof from the cosigned size is accepted
    cosigned = int(witness.witness_file(folder).split("\n")[3])
    sequence_audit(db)
    later = client.get("/api/v1/audit/checkpoint", headers=auditor.headers, params={"from": cosigned}).json()
    assert later["size"] > cosigned and later["proof"].startswith(f"old {cosigned}\n")
    witness.cosign(folder, later["checkpoint"], later["proof"], 1_800_000_001)
    entries = client.get("/api/v1/audit", headers=auditor.headers, params={"action": "audit.checkpoint"}).json()
    assert [e["actor"] for e in entries["items"]] == ["us_auditor", "us_auditor"]


def test_an_analyst_may_not_and_a_size_beyond_the_log_is_refused(client, cast):
    assert client.get("/api/v1/audit/checkpoint", headers=cast["us_analyst"].headers).status_code == 403
    answer = client.get("/api/v1/audit/checkpoint", headers=cast["us_auditor"].headers, params={"from": 10**6})
    assert answer.status_code == 422 and answer.json()["error"]["code"] == "invalid_input"
    answer = client.get("/api/v1/audit/checkpoint", headers=cast["us_auditor"].headers, params={"from": -1})
    assert answer.status_code == 422


def test_the_logs_tree_is_kept_and_only_the_entries_appended_since_are_read(db, settings):
    read: list[object] = []

    def seen(_conn, _cursor, statement, parameters, _context, _many):  # noqa: ANN001, ANN202
        if "leaf_hash" in statement and "FROM audit_entries" in statement:
            read.append(parameters)

    _append(db)
    with db.unit_of_work() as s:
        act_as_system(s)
        first, _proof = checkpoints.consistency(s, 0)
        audit.record(s, action="audit.checkpoint", actor=None)
    sequence_audit(db)
    event.listen(db.engine, "before_cursor_execute", seen)
    try:
        with db.unit_of_work() as s:
            act_as_system(s)
            size, proof = checkpoints.consistency(s, first)
    finally:
        event.remove(db.engine, "before_cursor_execute", seen)
    # none of the entries read before is read again (another test's log at the same address may have left
    # a longer tree with the same start: then nothing is read at all)
    bounds = [min(p.values() if isinstance(p, dict) else p) for p in read]
    assert size > first > 0 and all(low >= first for low in bounds), (first, read)
    with db.unit_of_work() as s:  # the proof the kept tree gives is the one all the leaves give
        act_as_system(s)
        leaves = checkpoints.leaves(s, size)
    assert proof == merkle.consistency_proof(leaves, first)


def test_a_kept_tree_that_is_not_this_logs_is_read_afresh_never_used(db):
    """Another database once at the same address left a longer tree of other entries: the proofs come
    from this log's entries all the same."""
    for _ in range(2):
        _append(db)
    with db.unit_of_work() as s:
        act_as_system(s)
        head = checkpoints._head(s)
        assert head is not None and head.size > 1
        other = merkle.Tree()
        for i in range(head.size + 5):
            other.append(merkle.leaf_hash(b"another log's entry %d" % i))
        checkpoints._TREES[str(s.get_bind().engine.url)] = other
        size, proof = checkpoints.consistency(s, 1)
        leaves = checkpoints.leaves(s, size)
    assert proof == merkle.consistency_proof(leaves, 1) and proof != other.consistency_proof(1, size)

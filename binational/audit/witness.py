"""A witness of other nodes' audit logs (C2SP tlog-witness, from the command line or over HTTP with
`binational witness serve`, `audit.witness_http`): it keeps, per log origin, the log's verifier key
and the last checkpoint it cosigned, and cosigns a new checkpoint only if the log's signature verifies
and a consistency proof shows that the new tree extends the one it cosigned last. What it remembers is
what one node cannot prove alone: that its log was not cut back to an earlier state, nor forked and
re-signed with the key kept beside it.

The witness lives in a folder: `witness.key` (its Ed25519 key, mode 0600), `witness.json` (its name
and, per origin, the log's key and the last cosigned size, root and note) and `witness.lock` (held
while a cosignature is decided, so that two at once cannot roll the state back), and
`evidence.jsonl` (the refused requests whose log signature verified: a cut back, a fork, a bad proof).
"""

from __future__ import annotations

import base64
import fcntl
import hashlib
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from binational.audit import merkle, notes, signing
from binational.errors import InvalidInput

KEY = "witness.key"
STATE = "witness.json"
LOCK = "witness.lock"
#: RFC 9162 proofs of a tree of fewer than 2**63 leaves have at most 63 hashes (tlog-witness's limit).
MAX_PROOF = 63


def _read_state(folder: Path) -> dict[str, Any]:
    try:
        state = json.loads((folder / STATE).read_text())
    except FileNotFoundError:
        raise InvalidInput(f"no witness in {folder}: run `binational audit witness init`") from None
    except (OSError, ValueError) as exc:
        raise InvalidInput(f"the witness state {folder / STATE} cannot be read: {exc}") from None
    if not isinstance(state, dict) or not isinstance(state.get("logs"), dict) or not isinstance(state.get("name"), str):
        raise InvalidInput(f"the witness state {folder / STATE} is not a witness's")
    return state


def _write_state(folder: Path, state: dict[str, Any]) -> None:
    """Replace the state file at once (a crash leaves the old state or the new one, never half)."""
    partial = folder / (STATE + ".new")
    with open(partial, "w") as fh:
        json.dump(state, fh, indent=1, sort_keys=True)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(partial, folder / STATE)


@contextmanager
def _locked(folder: Path) -> Iterator[None]:
    with open(folder / LOCK, "a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def verifier(folder: Path) -> notes.Verifier:
    """The witness's public key (cosignature type) under its name."""
    state = _read_state(folder)
    key = signing.load_key(folder / KEY)
    return notes.Verifier(state["name"], notes.COSIGNATURE, key.public_key())


def init(folder: Path, name: str) -> notes.Verifier:
    """Create a witness named `name` in `folder` (its key and an empty state); refuse an existing one."""
    notes.check_name(name)
    if (folder / STATE).exists() or (folder / KEY).exists():
        raise InvalidInput(f"{folder} holds a witness already")
    folder.mkdir(parents=True, exist_ok=True)
    signing.create_key(folder / KEY)
    _write_state(folder, {"name": name, "logs": {}})
    return verifier(folder)


def trust(folder: Path, vkey: str) -> notes.Verifier:
    """Witness the log whose verifier key (type 0x01, named for its origin) is `vkey`. A log already
    witnessed keeps its key: a node that changed its key must be taken up again by the witness's
    operator, knowingly (remove the origin from the state)."""
    log = notes.parse_vkey(vkey, notes.ED25519)
    with _locked(folder):
        state = _read_state(folder)
        known = state["logs"].get(log.name)
        if known is not None:
            if known["vkey"] != log.vkey():
                raise InvalidInput(f"the witness already holds another key for {log.name}")
            return log
        state["logs"][log.name] = {"vkey": log.vkey(), "size": 0,
                                   "root": base64.b64encode(merkle.EMPTY_ROOT).decode(), "note": None}
        _write_state(folder, state)
    return log


def proof_text(old_size: int, proof: list[bytes]) -> str:
    """A consistency proof as the node hands it to a witness: `old <size>` and one base64 hash a line."""
    return f"old {old_size}\n" + "".join(base64.b64encode(h).decode() + "\n" for h in proof)


def parse_proof(text: str) -> tuple[int, list[bytes]]:
    """The old size and the hashes of a proof written by `proof_text`."""
    lines = text.splitlines()
    if not lines or not lines[0].startswith("old "):
        raise InvalidInput("a consistency proof starts with a line `old <size>`")
    size = lines[0][4:]
    if not size.isascii() or not size.isdigit() or (size != "0" and size.startswith("0")):
        raise InvalidInput("the proof's old size is a decimal number without leading zeroes")
    hashes = [line for line in lines[1:] if line]
    if len(hashes) > MAX_PROOF:
        raise InvalidInput(f"a consistency proof has at most {MAX_PROOF} hashes")
    proof = []
    for line in hashes:
        try:
            node = base64.b64decode(line, validate=True)
        except ValueError:
            raise InvalidInput("a proof line is not base64") from None
        if len(node) != 32:
            raise InvalidInput("a proof line is not a 32-byte hash")
        proof.append(node)
    return int(size), proof


class Refusal(InvalidInput):
    """A checkpoint the witness refuses, with the HTTP status C2SP tlog-witness answers it with: 404 an
    unknown log, 403 no valid signature of its key, 400 an old size past the checkpoint's, 409 an old
    size other than the one cosigned last (`size`), 422 a proof that does not verify or a fork."""

    def __init__(self, status: int, message: str, size: int | None = None) -> None:
        super().__init__(message, details=[{"field": "checkpoint", "status": status}])
        self.status = status
        self.size = size


EVIDENCE = "evidence.jsonl"


def _keep_evidence(folder: Path, origin: str, reason: str, checkpoint: str, proof: str, now: int) -> None:
    """Append a refused request whose log signature verified (it may prove the log misbehaved)."""
    line = json.dumps({"time": now, "origin": origin, "reason": reason, "checkpoint": checkpoint, "proof": proof})
    with open(folder / EVIDENCE, "a") as fh:
        fh.write(line + "\n")
        fh.flush()
        os.fsync(fh.fileno())


def cosign(folder: Path, checkpoint: str, proof: str, now: int) -> str:
    """Cosign a log's checkpoint (a signed note) at time `now`, given a consistency proof from the size
    the witness cosigned last; return the note with the cosignature added. Refused (`Refusal`, with
    its tlog-witness status; nothing remembered) if the origin is unknown, the log's signature does not
    verify, the proof's old size is past the checkpoint's, the size is smaller than the last cosigned
    (cut back), the same with another root (a fork), the proof does not start at the last cosigned size
    or does not verify. A refusal past the log's signature is kept as evidence (`evidence.jsonl`)."""
    note = notes.parse_note(checkpoint)
    cp = notes.parse_checkpoint(note.text)
    old, hashes = parse_proof(proof)
    with _locked(folder):
        state = _read_state(folder)
        log = state["logs"].get(cp.origin)
        if log is None:
            raise Refusal(404, f"refused: the witness does not witness {cp.origin}")
        signed = notes.check(note, notes.parse_vkey(log["vkey"], notes.ED25519))
        if not signed:
            raise Refusal(403, f"refused: the checkpoint is not signed by the key of {cp.origin}"
                          if signed is None else f"refused: the signature of {cp.origin} does not verify")
        last_size, last_root = log["size"], base64.b64decode(log["root"])

        def refuse(status: int, message: str, evidence: bool = True) -> Refusal:
            if evidence:
                _keep_evidence(folder, cp.origin, message, checkpoint, proof, now)
            return Refusal(status, message, last_size if status == 409 else None)

        if old > cp.size:
            raise refuse(400, f"refused: the proof's old size {old} is past the checkpoint's {cp.size}", False)
        if cp.size < last_size:
            raise refuse(409, f"refused: {cp.origin} is at size {cp.size}, smaller than the {last_size} "
                              "the witness cosigned: the log was cut back")
        if cp.size == last_size and cp.root != last_root:
            raise refuse(422 if old == last_size else 409,
                         f"refused: a fork: {cp.origin} at size {cp.size} has another root than the one "
                         "the witness cosigned")
        if old != last_size:
            raise refuse(409, f"refused: the proof starts at size {old}, the witness cosigned {last_size}: "
                              f"give a proof from {last_size}", False)
        if cp.size == 0 and cp.root != merkle.EMPTY_ROOT:
            raise refuse(422, "refused: a checkpoint of size 0 has the empty tree's root")
        if not merkle.verify_consistency(old, cp.size, last_root, cp.root, hashes):
            raise refuse(422, f"refused: the consistency proof from size {old} to {cp.size} does not verify")
        me = state["name"]
        cosigned = note.with_signature(notes.cosign(signing.load_key(folder / KEY), me, note.text, now))
        log.update(size=cp.size, root=base64.b64encode(cp.root).decode(), note=str(cosigned))
        _write_state(folder, state)
    return str(cosigned)


def add_checkpoint(folder: Path, body: str, now: int) -> str:
    """C2SP tlog-witness `add-checkpoint`: the request body (`old <size>`, proof lines, a blank line, the
    checkpoint); return this witness's cosignature line. Refused as `cosign` refuses, and a body out of
    shape with status 400."""
    proof, sep, checkpoint = body.partition("\n\n")
    if not sep:
        raise Refusal(400, "refused: the request is an old size line, proof lines, a blank line and a checkpoint")
    try:
        note = notes.parse_note(checkpoint)
        notes.parse_checkpoint(note.text)
        parse_proof(proof + "\n")
    except Refusal:
        raise
    except InvalidInput as exc:
        raise Refusal(400, f"refused: {exc.message}") from None
    cosigned = notes.parse_note(cosign(folder, checkpoint, proof + "\n", now))
    me = verifier(folder)
    return "".join(s.line() for s in cosigned.signatures if (s.name, s.key_id) == (me.name, me.key_id))


def latest(folder: Path, origin_hash: str) -> str | None:
    """The last checkpoint cosigned of the log whose origin's SHA-256 (hex) is `origin_hash`, or None
    (tlog-witness's monitoring `GET <origin hash>/checkpoint`)."""
    for name, log in _read_state(folder)["logs"].items():
        if hashlib.sha256(name.encode()).hexdigest() == origin_hash and log["note"]:
            return str(log["note"])
    return None


def witness_file(folder: Path, origin: str | None = None) -> str:
    """What `binational audit verify --witness` reads: the witness's verifier key, a blank line, and
    the last checkpoint it cosigned of each log (or of `origin`), one signed note after another."""
    state = _read_state(folder)
    cosigned = [log["note"] for name, log in sorted(state["logs"].items())
                if log["note"] and (origin is None or name == origin)]
    if origin is not None and not cosigned:
        raise InvalidInput(f"the witness has cosigned no checkpoint of {origin}")
    return verifier(folder).vkey() + "\n\n" + "\n".join(cosigned)


def parse_witness_file(data: str) -> tuple[notes.Verifier, list[notes.Note]]:
    """The witness's key and the cosigned checkpoints of a witness file (`witness_file`)."""
    head, _, rest = data.partition("\n")
    witness = notes.parse_vkey(head, notes.COSIGNATURE)
    found: list[notes.Note] = []
    text: list[str] = []
    signatures: list[str] = []
    for line in [*rest.split("\n"), ""]:
        if line.startswith(notes.DASH + " ") and text:
            signatures.append(line)
        elif signatures or (not line and not text):
            if signatures:  # a note ends at the first line after its signatures
                found.append(notes.parse_note("\n".join(text) + "\n\n" + "\n".join(signatures) + "\n"))
                text, signatures = [], []
            if line:
                text.append(line)
        elif line:
            text.append(line)
        # a blank line between a note's text and its signatures: nothing to keep
    if text:
        raise InvalidInput("the witness file ends in a checkpoint without signatures")
    if not found:
        raise InvalidInput("the witness file holds no cosigned checkpoint")
    return witness, found

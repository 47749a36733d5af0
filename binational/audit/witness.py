"""A witness of other nodes' audit logs (C2SP tlog-witness, run from the command line rather than over
HTTP): it keeps, per log origin, the log's verifier key and the last checkpoint it cosigned, and cosigns
a new checkpoint only if the log's signature verifies and a consistency proof shows that the new tree
extends the one it cosigned last. What it remembers is what one node cannot prove alone: that its log
was not cut back to an earlier state, nor forked and re-signed with the key kept beside it.

The witness lives in a folder: `witness.key` (its Ed25519 key, mode 0600), `witness.json` (its name
and, per origin, the log's key and the last cosigned size, root and note) and `witness.lock` (held
while a cosignature is decided, so that two at once cannot roll the state back).
"""

from __future__ import annotations

import base64
import fcntl
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


def cosign(folder: Path, checkpoint: str, proof: str, now: int) -> str:
    """Cosign a log's checkpoint (a signed note) at time `now`, given a consistency proof from the size
    the witness cosigned last; return the note with the cosignature added. Refused (InvalidInput,
    nothing remembered) if the origin is unknown, the log's signature does not verify, the size is
    smaller than the last cosigned, the size is the same with another root (a fork), or the proof
    does not start at the last cosigned size or does not verify."""
    note = notes.parse_note(checkpoint)
    cp = notes.parse_checkpoint(note.text)
    old, hashes = parse_proof(proof)
    with _locked(folder):
        state = _read_state(folder)
        log = state["logs"].get(cp.origin)
        if log is None:
            raise InvalidInput(f"refused: the witness does not witness {cp.origin}")
        signed = notes.check(note, notes.parse_vkey(log["vkey"], notes.ED25519))
        if not signed:
            raise InvalidInput(f"refused: the checkpoint is not signed by the key of {cp.origin}"
                               if signed is None else f"refused: the signature of {cp.origin} does not verify")
        last_size, last_root = log["size"], base64.b64decode(log["root"])
        if cp.size < last_size:
            raise InvalidInput(f"refused: {cp.origin} is at size {cp.size}, smaller than the {last_size} "
                               "the witness cosigned: the log was cut back")
        if cp.size == last_size and cp.root != last_root:
            raise InvalidInput(f"refused: a fork: {cp.origin} at size {cp.size} has another root than the one "
                               "the witness cosigned")
        if old != last_size:
            raise InvalidInput(f"refused: the proof starts at size {old}, the witness cosigned {last_size}: "
                               f"give a proof from {last_size}")
        if cp.size == 0 and cp.root != merkle.EMPTY_ROOT:
            raise InvalidInput("refused: a checkpoint of size 0 has the empty tree's root")
        if not merkle.verify_consistency(old, cp.size, last_root, cp.root, hashes):
            raise InvalidInput(f"refused: the consistency proof from size {old} to {cp.size} does not verify")
        me = state["name"]
        cosigned = note.with_signature(notes.cosign(signing.load_key(folder / KEY), me, note.text, now))
        log.update(size=cp.size, root=base64.b64encode(cp.root).decode(), note=str(cosigned))
        _write_state(folder, state)
    return str(cosigned)


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

"""Offline proofs that an entry is in a node's audit log (C2SP tlog-proof): the entry's index, its
RFC 9162 inclusion proof and the cosigned checkpoint it is proved against, and (as `extra`) the
entry's own canonical JSON, so the verifier computes its leaf hash without the log.

    c2sp.org/tlog-proof@v1
    extra <base64 entry JSON>
    index <n>
    <base64 hash>...
    (blank)
    <the checkpoint, with the node's signature and the witnesses' cosignatures>
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

from binational.audit import merkle, notes, quorum
from binational.errors import InvalidInput

HEADER = "c2sp.org/tlog-proof@v1"
#: an inclusion proof in a tree of fewer than 2**63 leaves has at most 63 hashes
MAX_HASHES = 63


@dataclass(frozen=True)
class Proof:
    """A parsed proof."""

    extra: bytes | None
    index: int
    hashes: list[bytes]
    checkpoint: notes.Note


def write(*, index: int, hashes: list[bytes], checkpoint: notes.Note, extra: bytes | None = None) -> str:
    """The proof as text."""
    lines = [HEADER]
    if extra is not None:
        lines.append("extra " + base64.b64encode(extra).decode())
    lines.append(f"index {index}")
    lines += [base64.b64encode(h).decode() for h in hashes]
    return "\n".join(lines) + "\n\n" + str(checkpoint)


def _bad(message: str) -> InvalidInput:
    return InvalidInput(f"proof refused: {message}", details=[{"field": "proof", "reason": "proof"}])


def _decimal(text: str) -> int:
    if not text.isascii() or not text.isdigit() or (text != "0" and text.startswith("0")):
        raise _bad("the index is a decimal number without leading zeroes")
    return int(text)


def parse(text: str) -> Proof:
    """The proof `text` holds; InvalidInput if it is not one."""
    head, sep, note = text.partition("\n\n")
    if not sep:
        raise _bad("no blank line before the checkpoint")
    lines = head.split("\n")
    if lines[0] != HEADER:
        raise _bad(f"the first line is not {HEADER}")
    extra = None
    at = 1
    try:
        if len(lines) > at and lines[at].startswith("extra "):
            extra = base64.b64decode(lines[at][6:], validate=True)
            at += 1
        if len(lines) <= at or not lines[at].startswith("index "):
            raise _bad("no index line")
        index = _decimal(lines[at][6:])
        hashes = [base64.b64decode(line, validate=True) for line in lines[at + 1:]]
    except (binascii.Error, ValueError):
        raise _bad("a line is not base64") from None
    if len(hashes) > MAX_HASHES or any(len(h) != 32 for h in hashes):
        raise _bad(f"the inclusion proof is at most {MAX_HASHES} hashes of 32 bytes")
    return Proof(extra, index, hashes, notes.parse_note(note))


def verify(proof: Proof, leaf: bytes, policy: quorum.Policy, *, now: int, max_future: int) -> notes.Checkpoint:
    """The checkpoint `proof` proves the leaf hash `leaf` in, if a log of `policy` signed it, its
    cosignatures make the policy's quorum and the inclusion proof verifies; InvalidInput otherwise."""
    cp = quorum.check(policy, proof.checkpoint, now=now, max_future=max_future)
    if not merkle.verify_inclusion(proof.index, cp.size, leaf, cp.root, proof.hashes):
        raise _bad(f"entry {proof.index} is not in the log of {cp.origin[:200]} at size {cp.size}")
    return cp

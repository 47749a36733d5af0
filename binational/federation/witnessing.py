"""Witnessed logs across nodes: this node's checkpoints cosigned by the witnesses its anchor names, and
release bundles that carry an offline proof that their entry is in the log under such a checkpoint.

Sender. When an item is queued, an entry `federation.queue` naming the SHA-256 of its bytes (and only
that: no user, no record) goes into this node's audit log. Before a push, `cosign` hands the log's
latest checkpoint to each witness of `federation_witnesses` at its `federation_witness_urls` address
(C2SP tlog-witness `add-checkpoint`, with the consistency proof from the size that witness cosigned
last; a 409 names that size and the request is made again from it once) and keeps the note with every
cosignature that verifies. `prove` then gives a bundle its C2SP tlog-proof: the entry (as `extra`),
its index, its inclusion proof and the newest kept checkpoint that covers it and that every witness
cosigned. A bundle with no such checkpoint waits: outgoing releases pause while the witnesses do not
answer, and local work goes on.

Receiver. `check_proof` verifies a bundle's proof offline against the sender's anchor: the
checkpoint signed by the anchor's audit key, cosigned by every witness the anchor names (at least
`federation_min_witnesses` of them) and, when this node chose the witnesses it trusts
(`federation_trusted_witnesses`), by `federation_min_witnesses` of those; the entry naming exactly
this item's bytes, and the inclusion proof of that entry. Tombstones carry a proof too when one is at
hand, but never wait for it, and the receiver applies them whatever it says (they only remove).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import httpx
import orjson
from sqlalchemy import select
from sqlalchemy.orm import Session

from binational.access.actions import Action, register
from binational.audit import checkpoints, merkle, notes, proofs, quorum, witness
from binational.audit import log as audit
from binational.audit.log import canonical_json
from binational.audit.models import AuditEntry, AuditObjectRef
from binational.config import Settings
from binational.errors import InvalidInput
from binational.federation import anchors, items
from binational.federation.bundles import Refused
from binational.federation.models import CosignedCheckpoint, WitnessState

for _name, _text in (
    ("federation.queue", "(the node) queue a signed item for a partner node; the entry names its SHA-256"),
    ("federation.cosign", "(the node) hand its latest checkpoint to its witnesses and keep their cosignatures"),
):
    register(Action(_name, "", _text))

QUEUED = "federation.queue"
#: how far ahead of this node's clock a cosignature may be dated (a partner's clock 10 minutes off)
MAX_FUTURE = 900
#: seconds a witness has to answer
TIMEOUT = 10.0

#: posts a tlog-witness request body to a witness's submission prefix; returns (status, body)
WitnessTransport = Callable[[str, str], tuple[int, str]]


#: the most of a witness's answer read: a cosignature line, a size or a short refusal is far less
MAX_ANSWER = 64 * 1024


def http_transport(url: str, body: str) -> tuple[int, str]:
    """POST `body` to `<url>/add-checkpoint`; an answer past `MAX_ANSWER` bytes is an error."""
    with httpx.Client(timeout=TIMEOUT) as client, \
            client.stream("POST", url.rstrip("/") + "/add-checkpoint", content=body.encode()) as r:
        answer = b""
        for chunk in r.iter_bytes():
            answer += chunk
            if len(answer) > MAX_ANSWER:
                raise httpx.HTTPError(f"the witness answered more than {MAX_ANSWER} bytes")
    return r.status_code, answer.decode(errors="replace")


def _held_size(text: str) -> int | None:
    """The size a 409 answer names (`text/x.tlog.size`: ASCII digits), or None."""
    size = text.strip()
    return int(size) if size.isascii() and size.isdigit() and len(size) <= 18 else None


def _policy(log: notes.Verifier, witnesses: list[notes.Verifier]) -> quorum.Policy:
    """Every named witness must cosign (`quorum none` when none is named)."""
    policy = quorum.Policy(logs=[log])
    for i, key in enumerate(witnesses, start=1):
        policy.witnesses[f"w{i}"] = quorum.Witness(f"w{i}", key)
    if witnesses:
        policy.groups["all-witnesses"] = (len(witnesses), tuple(policy.witnesses))
        policy.quorum = "all-witnesses"
    return policy


def own_policy(settings: Settings) -> quorum.Policy:
    """This node's witness policy: its log key, and every witness of `federation_witnesses`."""
    return _policy(checkpoints.node_verifier(settings),
                   [notes.parse_vkey(w, notes.COSIGNATURE) for w in settings.federation_witnesses])


def partner_policy(anchor: anchors.Anchor, chosen: list[notes.Verifier] | None = None, need: int = 1
                   ) -> quorum.Policy:
    """A partner's witness policy: its audit key and every witness its anchor names, and, when this node
    chose the witnesses it trusts (`chosen`), at least `need` of those as well."""
    policy = _policy(anchor.audit_key, list(anchor.witnesses))
    if not chosen:
        return policy
    members = []
    for i, key in enumerate(chosen, start=1):
        name = next((n for n, w in policy.witnesses.items() if w.key.vkey() == key.vkey()), f"chosen{i}")
        policy.witnesses.setdefault(name, quorum.Witness(name, key))
        members.append(name)
    policy.groups["chosen"] = (max(1, min(need, len(members))), tuple(dict.fromkeys(members)))
    both = ("chosen", policy.quorum) if policy.quorum != "none" else ("chosen",)
    policy.groups["receiver"] = (len(both), both)
    policy.quorum = "receiver"
    return policy


def record_queued(session: Session, data: bytes, extra: dict[str, Any]) -> None:
    """The audit entry a bundle's proof points at: it names the item's SHA-256, nothing else of it."""
    audit.record(session, action=QUEUED, actor=None, objects=[(f"item:{items.sha256(data)}", None)], extra=extra)


@dataclass
class Cosigned:
    """What `cosign` did: the size handed out, the witnesses that cosigned it, and the failures."""

    size: int = 0
    witnesses: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


def cosign(*, session: Session, settings: Settings, now: datetime, transport: WitnessTransport) -> Cosigned:
    """Hand the log's latest checkpoint to each witness that has not cosigned it; keep the note with
    the cosignatures; audited. A witness that is down or refuses is named in `failed`."""
    audit.flush(session, settings)  # the entries of items queued in this transaction, first
    audit.drain(session, settings)
    note = checkpoints.latest(session, settings)
    cp = notes.parse_checkpoint(note.text)
    kept = session.get(CosignedCheckpoint, cp.size)
    if kept is not None:
        note = notes.parse_note(kept.note)
    done = Cosigned(size=cp.size)
    for w in own_policy(settings).witnesses.values():
        name = w.key.name
        if notes.check(note, w.key):
            done.witnesses.append(name)
            continue
        url = settings.federation_witness_urls.get(name)
        if not url:
            done.failed.append(f"{name}: no address in federation_witness_urls")
            continue
        state = session.get(WitnessState, w.key.vkey())
        old = state.size if state is not None else 0
        error = None
        for _attempt in range(2):
            if old > cp.size:
                error = f"the witness holds size {old}, past this log's {cp.size}"
                break
            _size, hashes = checkpoints.consistency(session, old, cp.size)
            try:
                status, text = transport(url, witness.proof_text(old, hashes) + "\n" + str(note))
            except httpx.HTTPError as exc:
                error = f"unreachable: {str(exc)[:200] or type(exc).__name__}"
                break
            held = _held_size(text) if status == 409 else None
            if held is not None:
                old, error = held, f"answered 409: it holds size {held}"
                continue
            error = None if status == 200 else f"answered {status}: {text[:200]}"
            if status == 200:
                try:
                    answered = notes.parse_note(note.text + "\n" + text)
                    line = next(s for s in answered.signatures if (s.name, s.key_id) == (name, w.key.key_id))
                    if not notes.check(notes.Note(note.text, (line,)), w.key):
                        raise InvalidInput("the cosignature does not verify")
                except (InvalidInput, StopIteration):
                    error = "answered a cosignature that does not verify"
                    break
                note = note.with_signature(line)
                if state is None:
                    session.add(WitnessState(witness=w.key.vkey(), size=cp.size, at=now))
                else:
                    state.size, state.at = cp.size, now
                done.witnesses.append(name)
            break
        if error is not None:
            done.failed.append(f"{name}: {error}")
    if kept is None:
        session.add(CosignedCheckpoint(size=cp.size, note=str(note), cosigned_at=now))
    else:
        kept.note, kept.cosigned_at = str(note), now
    session.flush()
    audit.record(session, action="federation.cosign", actor=None, decision="deny" if done.failed else "allow",
                 reason="; ".join(done.failed)[:300],
                 extra={"size": cp.size, "cosigned": done.witnesses, "failed": len(done.failed)})
    return done


def prove(session: Session, settings: Settings, data: bytes, now: datetime) -> bytes | None:
    """The item `data` with its tlog-proof (`{..., "proof": text}` in canonical JSON), against the newest
    kept checkpoint that covers its `federation.queue` entry and meets this node's witness policy; None
    when there is none yet. The proof comes from the log's tree kept in memory (`checkpoints.tree`)."""
    seq = session.scalar(select(AuditObjectRef.seq).where(AuditObjectRef.object_id == f"item:{items.sha256(data)}")
                         .order_by(AuditObjectRef.seq).limit(1))
    if seq is None:
        return None
    policy = own_policy(settings)
    for row in session.scalars(select(CosignedCheckpoint).where(CosignedCheckpoint.size > seq)
                               .order_by(CosignedCheckpoint.size.desc())):
        note = notes.parse_note(row.note)
        try:
            quorum.check(policy, note, now=int(now.timestamp()), max_future=MAX_FUTURE)
        except InvalidInput:
            continue
        hashes = checkpoints.tree(session, row.size, notes.parse_checkpoint(note.text).root
                                  ).inclusion_proof(seq, row.size)
        entry = session.scalar(select(AuditEntry.entry).where(AuditEntry.seq == seq))
        assert entry is not None
        text = proofs.write(index=seq, hashes=hashes, checkpoint=note, extra=entry.encode())
        doc = orjson.loads(data)
        doc["proof"] = text
        return canonical_json(doc)
    return None


def split(data: bytes) -> tuple[bytes, str | None]:
    """An item's bytes as signed (canonical JSON without its proof), and its proof text if any."""
    try:
        doc = orjson.loads(data)
    except orjson.JSONDecodeError:
        raise Refused("malformed", "not JSON") from None
    if not isinstance(doc, dict) or "proof" not in doc:
        return data, None
    proof = doc.pop("proof")
    if not isinstance(proof, str):
        raise Refused("malformed", "the proof is not text")
    try:
        return canonical_json(doc), proof
    except Exception:  # noqa: BLE001 - whatever RFC 8785 refuses
        raise Refused("malformed", "not canonical JSON") from None


def check_proof(plain: bytes, proof: str | None, anchor: anchors.Anchor, settings: Settings, now: datetime) -> int:
    """Verify a bundle's proof (see the module's text); the size of the checkpoint it was proved
    against, or Refused (`proof`) saying what fails."""
    named = len(anchor.witnesses)
    try:
        chosen = [notes.parse_vkey(v, notes.COSIGNATURE) for v in settings.federation_trusted_witnesses]
    except InvalidInput:  # refused as a proof that fails, never past it (and a revocation still applies)
        raise Refused("proof", "this node's federation_trusted_witnesses holds a key it cannot read") from None
    if not chosen and named < settings.federation_min_witnesses:
        raise Refused("proof", f"{anchor.node} names {named} witnesses of its log, fewer than the "
                               f"{settings.federation_min_witnesses} this node requires")
    if proof is None:
        raise Refused("proof", "no proof that the release is in the sender's log under a witnessed checkpoint")
    try:
        parsed = proofs.parse(proof)
        entry = json.loads(parsed.extra or b"null")
        if not isinstance(entry, dict) or entry.get("action") != QUEUED \
                or entry.get("objects") != [f"item:{items.sha256(plain)}"] or entry.get("seq") != parsed.index:
            raise Refused("proof", "the proof is for another entry than this bundle's")
        cp = proofs.verify(parsed, merkle.leaf_hash(parsed.extra or b""),
                           partner_policy(anchor, chosen, settings.federation_min_witnesses),
                           now=int(now.timestamp()), max_future=MAX_FUTURE)
    except Refused:
        raise
    except (InvalidInput, ValueError) as exc:
        raise Refused("proof", exc.message if isinstance(exc, InvalidInput) else "the proof's entry is not JSON"
                      ) from None
    return cp.size

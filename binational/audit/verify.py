"""Recompute the whole audit log and name the first entry that does not match."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from binational.audit import merkle, signing
from binational.audit.models import AuditCheckpoint, AuditEntry, AuditHead, AuditObjectRef
from binational.config import Settings


@dataclass(frozen=True)
class Verification:
    """The outcome of a verification: ok, or the first entry (sequence number) that fails and why."""

    ok: bool
    size: int
    root: str
    first_bad: int | None = None
    problem: str = ""
    checkpoints: int = 0


def _fail(size: int, seq: int, problem: str, checkpoints: int) -> Verification:
    return Verification(False, size, "", seq, problem, checkpoints)


def verify(session: Session, settings: Settings, progress: Callable[[int, int], None] | None = None) -> Verification:
    """Check every entry's hash, chain link, indexed columns and object refs, every checkpoint
    signature, and the signed head; stop at the first entry that does not match.

    It takes no lock, so the log may grow while it runs: entries are appended in the same transaction
    as the head that covers them, so after the walk the head is read again and any entries it covers
    beyond those walked are walked too. Entries still queued (`log.drain`) are not covered; the
    command line drains before it verifies.
    """
    public_key = signing.load_key(settings.audit_key_path).public_key()
    origin = settings.node_name
    total = session.execute(select(func.count()).select_from(AuditEntry)).scalar_one()
    checkpoints = {cp.size: cp for cp in session.execute(select(AuditCheckpoint)).scalars()}
    frontier: list[bytes] = []
    prev = b""
    size = 0
    passed = 0
    stalled = False
    while True:
        refs: dict[int, set[str]] = {}
        for seq, oid in session.execute(select(AuditObjectRef.seq, AuditObjectRef.object_id)
                                        .where(AuditObjectRef.seq >= size)):
            refs.setdefault(seq, set()).add(oid)
        walked = size
        rows = session.execute(select(AuditEntry).where(AuditEntry.seq >= size).order_by(AuditEntry.seq)
                               .execution_options(yield_per=5000))
        for row in rows.scalars():
            if row.seq != size:
                return _fail(total, size, f"entry {size} is missing", passed)
            data = row.entry.encode()
            leaf = merkle.leaf_hash(data)
            body = json.loads(data)
            if leaf != row.leaf_hash:
                return _fail(total, size, "entry content does not match its leaf hash", passed)
            if body.get("seq") != size or body.get("prev") != prev.hex():
                return _fail(total, size, "entry is not chained to the one before it", passed)
            if (
                body.get("action") != row.action
                or body.get("decision") != row.decision
                or body.get("agency") != row.actor_agency
                or body.get("actor_id") != row.actor_id
            ):
                return _fail(total, size, "indexed columns differ from the entry", passed)
            if set(body.get("objects", [])) != refs.get(size, set()):
                return _fail(total, size, "object references differ from the entry", passed)
            frontier = merkle.append(frontier, size, leaf)
            size += 1
            prev = leaf
            cp = checkpoints.get(size)
            if cp is not None:
                cp_root = merkle.root(frontier)
                if cp.root != cp_root or not signing.check(public_key, origin, size, cp_root, cp.signature):
                    return _fail(total, max(0, size - settings.checkpoint_every),
                                 f"signed checkpoint at size {size} does not match: entries before it were rewritten",
                                 passed)
                passed += 1
            if progress:
                progress(size, max(total, size))
        head = session.execute(select(AuditHead).where(AuditHead.id == 1)
                               .execution_options(populate_existing=True)).scalar_one_or_none()
        if head is None or head.size <= size:
            break
        # The head covers entries not walked: appended while walking (walk them), or missing (after
        # a second look finds nothing more, the check below names it).
        if size == walked and stalled:
            break
        stalled = size == walked
        total = max(total, head.size)
    current = merkle.root(frontier)
    if head is None:
        if size:
            return _fail(total, 0, "the log has entries but no signed head", passed)
        return Verification(True, 0, current.hex(), checkpoints=passed)
    if head.size != size:
        return _fail(total, min(head.size, size), f"signed head covers {head.size} entries, log has {size}", passed)
    if head.root != current or not signing.check(public_key, origin, size, current, head.signature):
        last_cp = max((s for s in checkpoints if s <= size), default=0)
        return _fail(total, last_cp, "signed head does not match: entries after the last checkpoint were rewritten",
                     passed)
    return Verification(True, size, current.hex(), checkpoints=passed)

"""Recompute the whole audit log and name the first entry that does not match."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select, text
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


def _head(session: Session) -> AuditHead | None:
    return session.execute(select(AuditHead).where(AuditHead.id == 1)
                           .execution_options(populate_existing=True)).scalar_one_or_none()


def _holds_records(session: Session) -> bool:
    """Whether the node holds any entity (each made by an audited request, import or command)."""
    return session.execute(text("SELECT 1 FROM entities LIMIT 1")).first() is not None


def verify(session: Session, settings: Settings, progress: Callable[[int, int], None] | None = None,
           observe: Callable[[int, dict[str, Any]], None] | None = None) -> Verification:
    """Check every entry's hash, chain link, indexed columns and object refs, every checkpoint
    signature, and the signed and sealed head; stop at the first entry that does not match. A log
    emptied while the node holds entities, cut back to a checkpoint (whose signature cannot stand in for
    the head's seal), or missing a checkpoint (the seal counts them) fails. `observe` is shown each
    entry (its number and JSON) once it has passed, for checks of what the entries vouch for
    (`entities.integrity`).

    It takes no lock, so the log may grow while it runs. An entry is committed in the same
    transaction as the head that covers it, so each pass reads the head first and walks only the
    entries that head covers; then, if a newer head covers more, it walks those too. Rows beyond the
    last head are a failure. Entries still queued (`log.drain`) are not covered; the command line
    drains before it verifies.
    """
    public_key = signing.load_key(settings.audit_key_path).public_key()
    origin = settings.node_name
    total = session.execute(select(func.count()).select_from(AuditEntry)).scalar_one()
    checkpoints = {cp.size: cp for cp in session.execute(select(AuditCheckpoint)).scalars()}
    frontier: list[bytes] = []
    prev = b""
    size = 0
    passed = 0
    head = _head(session)
    # The walk starts at 0: an entry or reference numbered below it would never be walked, yet who-saw
    # and the auditors' views would show it.
    lowest = min((s for table in (AuditEntry, AuditObjectRef)
                  if (s := session.execute(select(func.min(table.seq))).scalar()) is not None), default=0)
    if lowest < 0:
        return _fail(total, 0, f"an entry numbered {lowest} lies outside the log", passed)
    while True:
        limit = head.size if head is not None else 0
        covered = (AuditEntry.seq >= size, AuditEntry.seq < limit)
        refs: dict[int, set[str]] = {}
        for seq, oid in session.execute(select(AuditObjectRef.seq, AuditObjectRef.object_id)
                                        .where(AuditObjectRef.seq >= size, AuditObjectRef.seq < limit)):
            refs.setdefault(seq, set()).add(oid)
        rows = session.execute(select(AuditEntry).where(*covered).order_by(AuditEntry.seq)
                               .execution_options(yield_per=5000))
        for row in rows.scalars():
            if row.seq != size:
                return _fail(total, size, f"entry {size} is missing", passed)
            data = row.entry.encode()
            leaf = merkle.leaf_hash(data)
            if leaf != row.leaf_hash:
                return _fail(total, size, "entry content does not match its leaf hash", passed)
            try:
                body = json.loads(data)
            except ValueError:
                return _fail(total, size, "entry is not JSON", passed)
            if not isinstance(body, dict):
                return _fail(total, size, "entry is not a JSON object", passed)
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
            if observe is not None:
                observe(size, body)
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
                progress(size, max(total, limit))
        if size != limit:
            return _fail(total, size, f"signed head covers {limit} entries, log has {size}", passed)
        beyond = session.execute(select(AuditEntry.seq).where(AuditEntry.seq >= limit).limit(1)).first()
        newer = _head(session)
        if newer is not None and newer.size > limit:
            head, total = newer, max(total, newer.size)  # appended while walking: walk those too
            continue
        if beyond is not None:
            if head is None:
                return _fail(total, 0, "the log has entries but no signed head", passed)
            return _fail(total, limit, f"signed head covers {limit} entries, log has more", passed)
        break
    current = merkle.root(frontier)
    beyond_cp = [s for s in checkpoints if s > size or s <= 0]
    if beyond_cp:
        return _fail(total, size, f"a signed checkpoint at size {min(beyond_cp)} lies beyond the log", passed)
    if head is None:
        if _holds_records(session):
            # Every write of the node is audited: records with no log mean the log was emptied.
            return _fail(total, 0, "the log is empty but the node holds records: the log was removed", passed)
        return Verification(True, 0, current.hex(), checkpoints=passed)
    if head.frontier != b"".join(frontier):
        # The next append would start from it: a wrong frontier would have it sign a wrong root.
        return _fail(total, size, "the signed head's Merkle frontier does not match the log", passed)
    if head.root != current or not signing.check(public_key, origin, size, current, head.signature):
        last_cp = max((s for s in checkpoints if s <= size), default=0)
        return _fail(total, last_cp, "signed head does not match: entries after the last checkpoint were rewritten",
                     passed)
    if not signing.check_seal(public_key, origin, size, current, len(checkpoints), head.seal):
        return _fail(total, size, "the head's seal does not match: the log was cut back, or a checkpoint removed",
                     passed)
    return Verification(True, size, current.hex(), checkpoints=passed)

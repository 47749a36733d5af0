"""Appending to the audit log in the same transaction as the change it records.

`record()` queues an entry on the session; just before the session commits, the entries are written
in the same transaction, in one of two ways:

- appended: under a lock on the log's head row (one writer at a time), each entry takes the next
  sequence number, the Merkle frontier advances and the new head is signed;
- queued, while a sequencer serves the node (`Database.defer_audit`, `audit.sequencer`): inserted
  into `audit_queue` with no lock, so concurrent requests do not wait for each other's appends.
  `drain()` later moves queued rows into the log, in one transaction under the head lock. The
  auditors' views and who-saw drain first, so they see every committed entry; `binational audit
  verify` drains before it verifies.

Either way a transaction that rolls back leaves no entry; denials are recorded by the caller in a
fresh transaction after the rollback (see `scope.record_denial`).
"""

from __future__ import annotations

import hashlib
import hmac
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

import orjson
import rfc8785
from sqlalchemy import Table, delete, event, func, insert, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from binational.access.policy import Actor
from binational.audit import merkle, signing
from binational.audit.models import AuditCheckpoint, AuditEntry, AuditHead, AuditObjectRef, AuditQueued
from binational.config import Settings, get_settings
from binational.db import plain_write, system_context, utcnow

PENDING = "audit_pending"
#: `session.info` key naming the credential the request acts with (`token:<id>`, `session:<id>`)
CREDENTIAL = "credential"
#: the purpose of the key of the queue's MACs (`Settings.subkey`)
QUEUE_KEY = "audit-queue"
_SAFE_INTEGER = 2**53 - 1  # RFC 8785 writes integers only as far as a double holds them exactly


#: orjson refuses deeper nesting; the check stops there too, and rfc8785 writes or refuses the value
_ORJSON_DEPTH = 254


def _plain(value: Any) -> bool:
    """Whether orjson writes `value` byte for byte as RFC 8785 does: texts, booleans, nulls, integers
    a double holds, lists, and objects with ASCII keys, nested no deeper than orjson goes. (RFC 8785
    orders keys by UTF-16 code units and orjson by code points, which differ only beyond ASCII; numbers
    with a fraction are RFC 8785's own.) Walked with a stack, not by recursion, so that a deep value
    cannot exhaust Python's recursion limit here when `rfc8785` would still write it."""
    pending = [(value, 0)]
    while pending:
        item, depth = pending.pop()
        kind = type(item)
        if kind is str or kind is bool or item is None:
            continue
        if kind is int:
            if -_SAFE_INTEGER <= item <= _SAFE_INTEGER:
                continue
            return False
        if depth >= _ORJSON_DEPTH:
            return False
        if kind is list:
            pending.extend((inner, depth + 1) for inner in item)
        elif kind is dict:
            for key, inner in item.items():
                if type(key) is not str or not key.isascii():
                    return False
                pending.append((inner, depth + 1))
        else:
            return False
    return True


def canonical_json(value: Any) -> bytes:
    """`value` as RFC 8785 canonical JSON. orjson writes the values on which the two agree (an audit
    entry, nearly always) in a seventh of the time of the `rfc8785` package, which writes the rest and
    raises what it refuses (a test holds the two to the same bytes and the same refusals)."""
    if _plain(value):
        try:
            return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)
        except orjson.JSONEncodeError:
            pass  # deeper than orjson nests, or a lone surrogate: rfc8785 writes or refuses it
    return rfc8785.dumps(value)


@dataclass
class Event:
    """What happened, before it has a place in the log."""

    action: str
    actor: str  # the username, or "system"
    actor_id: int | None
    agency: str | None
    objects: list[tuple[str, str | None]] = field(default_factory=list)  # (object id, owner agency)
    decision: str = "allow"
    reason: str = ""
    request_id: str = ""
    time: datetime = field(default_factory=utcnow)
    extra: dict[str, Any] = field(default_factory=dict)
    credential: str | None = None  # the token or web session acted with

    def problem(self) -> str | None:
        """Why this event cannot take a place in the log (its columns or its canonical JSON), or None."""
        def fits(value: Any, size: int) -> bool:
            return isinstance(value, str) and len(value) <= size

        ok = (
            fits(self.action, 64) and len(self.action) > 0 and isinstance(self.actor, str)
            and (self.actor_id is None or (type(self.actor_id) is int and 0 <= self.actor_id < 2**31))
            and (self.agency is None or fits(self.agency, 32)) and self.decision in ("allow", "deny")
            and isinstance(self.reason, str) and isinstance(self.request_id, str) and isinstance(self.extra, dict)
            and isinstance(self.time, datetime) and self.time.tzinfo is not None
            and (self.credential is None or fits(self.credential, 64))
            and all(isinstance(o, tuple) and len(o) == 2 and fits(o[0], 200) and (o[1] is None or fits(o[1], 32))
                    for o in self.objects)
        )
        if not ok:
            return "a field is missing, of the wrong type or too long"
        # The entry's canonical JSON (`_entry_json`) holds the fields checked above, written as they
        # are, and `extra`: only `extra` can hold what RFC 8785 refuses (an integer over 2**53, say), and
        # a text only a lone surrogate, which UTF-8 cannot write. Checked so, not by encoding the whole
        # entry: for a page of 50 objects that cost a tenth of the request (benchmarks/access_overhead.py).
        try:
            canonical_json(self.extra)
            for text in (self.action, self.actor, self.agency or "", self.reason, self.request_id,
                         self.credential or "",
                         *(oid for oid, _ in self.objects)):
                text.encode()
        except Exception as exc:  # noqa: BLE001 - any value RFC 8785 cannot encode
            return f"not encodable as canonical JSON: {exc}"
        return None

    def queued(self, key: bytes) -> str:
        """The event as the row of `audit_queue`: its JSON after the keyed MAC of that JSON (`key`, kept
        outside the database), so the sequencer takes only rows the request path wrote. Refused if it
        could never enter the log, so the request fails now rather than the sequencer later."""
        problem = self.problem()
        if problem is not None:
            raise ValueError(f"audit entry {self.action!r}: {problem}")
        body = orjson.dumps({**self.__dict__, "time": self.time.isoformat()})
        return queue_mac(key, body) + " " + body.decode()

    @classmethod
    def from_queue(cls, queued_id: int, row: str, key: bytes) -> Event:
        """The event a queued row holds; for a row that is not one (written or changed in the database
        by anyone without the queue's key, or unreadable), an `audit.unreadable` event naming the row
        and the SHA-256 of its text, so that the log keeps the evidence and goes on."""
        mac, _, body = row.partition(" ")
        try:
            if not hmac.compare_digest(mac, queue_mac(key, body.encode())):
                raise ValueError("the row's MAC does not match")
            data = orjson.loads(body)
            data["time"] = datetime.fromisoformat(data["time"])
            data["objects"] = [tuple(o) if isinstance(o, list) else o for o in data["objects"]]
            event = cls(**data)
            if event.problem() is None:
                return event
        except (ValueError, TypeError, KeyError, AttributeError):
            pass
        return cls(action="audit.unreadable", actor="system", actor_id=None, agency=None, decision="deny",
                   reason="a queued audit entry could not be read or its MAC does not match",
                   extra={"queued_id": queued_id, "sha256": hashlib.sha256(row.encode()).hexdigest()})


def queue_mac(key: bytes, body: bytes) -> str:
    """The hex HMAC-SHA256 of a queued row's JSON under the queue's key (`Settings.subkey("audit-queue")`)."""
    return hmac.new(key, body, hashlib.sha256).hexdigest()


def _fit(object_id: str, size: int) -> str:
    if isinstance(object_id, str) and len(object_id) <= size:
        return object_id
    return "sha256:" + hashlib.sha256(str(object_id).encode()).hexdigest()


def request_id(session: Session) -> str:
    """The id of the request or command this session serves (made on first use)."""
    return session.info.setdefault("request_id", uuid.uuid4().hex)


def record(
    session: Session,
    *,
    action: str,
    actor: Actor | None,
    objects: list[tuple[str, str | None]] | None = None,
    decision: str = "allow",
    reason: str = "",
    extra: dict[str, Any] | None = None,
) -> None:
    """Queue an audit entry; it is written when the session commits, or not at all. An object id
    too long for the log (say, a probe for a 500-character id) is named by its SHA-256. The entry
    names the credential the session acts with (`session.info[CREDENTIAL]`), if any."""
    session.info.setdefault(PENDING, []).append(
        Event(
            action=action,
            actor=actor.username if actor else "system",
            actor_id=actor.user_id if actor else None,
            agency=actor.agency if actor else None,
            objects=[(_fit(oid, 200), owner) for oid, owner in objects or []],
            decision=decision,
            reason=reason,
            request_id=request_id(session),
            extra=dict(extra or {}),
            credential=session.info.get(CREDENTIAL) if actor else None,
        )
    )


def _entry_json(seq: int, ev: Event, prev: bytes) -> bytes:
    body: dict[str, Any] = {
        "seq": seq,
        "time": ev.time.isoformat(),
        "actor": ev.actor,
        "actor_id": ev.actor_id,
        "agency": ev.agency,
        "action": ev.action,
        "objects": [oid for oid, _ in ev.objects],
        "decision": ev.decision,
        "reason": ev.reason,
        "request_id": ev.request_id,
        "prev": prev.hex(),
    }
    if ev.extra:
        body["extra"] = ev.extra
    if ev.credential:
        body["credential"] = ev.credential
    return canonical_json(body)


def _lock_head(session: Session) -> tuple[int, bytes, bytes]:
    """Lock the head row; return the log's size, its Merkle frontier and the leaf hash of the last
    entry (one round trip)."""
    last = select(AuditEntry.leaf_hash).where(AuditEntry.seq == AuditHead.size - 1).scalar_subquery()
    query = select(AuditHead.size, AuditHead.frontier, last).where(AuditHead.id == 1).with_for_update(of=AuditHead)
    row = session.execute(query).one_or_none()
    if row is None:
        # Two first appenders can both find no head to lock: one creates it; the other's insert
        # waits for that transaction, fails on the key, and then locks the row it committed.
        try:
            with session.begin_nested():
                session.execute(insert(AuditHead).values(id=1, size=0, frontier=b"", root=merkle.root([]),
                                                         signature=b""))
        except IntegrityError:
            pass
        row = session.execute(query).one()
    size, frontier, prev = row
    if prev is None and size:
        # The lock was waited for: the locked row is the other writer's new head, but the subquery
        # ran on the statement's older snapshot, before that writer's last entry. Read it afresh.
        prev = session.execute(select(AuditEntry.leaf_hash).where(AuditEntry.seq == size - 1)).scalar_one()
    return size, frontier, prev or b""


# PostgreSQL: the whole append in one round trip with a constant text (prepared once per
# connection): the rows arrive as JSON arrays, written by orjson and unpacked by data-modifying CTEs
# of the head's update. A multi-row VALUES is compiled anew for every count of rows, and arrays of
# each column cost more to adapt in Python than the statement costs the server.
_WRITE_PG = text("""
WITH entries AS (
  INSERT INTO audit_entries (seq, time, actor_id, actor_agency, action, decision, entry, leaf_hash)
  SELECT seq, time, actor_id, actor_agency, action, decision, entry, decode(leaf_hash, 'hex')
  FROM json_to_recordset(CAST(:entries AS json)) AS x(seq integer, time timestamptz, actor_id integer,
       actor_agency text, action text, decision text, entry text, leaf_hash text)
), refs AS (
  INSERT INTO audit_object_refs (seq, object_id, object_agency)
  SELECT seq, object_id, object_agency
  FROM json_to_recordset(CAST(:refs AS json)) AS x(seq integer, object_id text, object_agency text)
), checkpoints AS (
  INSERT INTO audit_checkpoints (size, root, signature, time)
  SELECT size, decode(root, 'hex'), decode(signature, 'hex'), time
  FROM json_to_recordset(CAST(:checkpoints AS json)) AS x(size integer, root text, signature text, time timestamptz)
)
UPDATE audit_head SET size = :size, frontier = :frontier, root = :root, signature = :signature, seal = :seal
WHERE id = 1
""")


def _json_rows(rows: list[dict[str, Any]]) -> str:
    """Rows as a JSON array, bytes as hex (for `_WRITE_PG`)."""
    return orjson.dumps([{k: v.hex() if isinstance(v, bytes) else v for k, v in row.items()} for row in rows]).decode()


def _split(frontier: bytes) -> list[bytes]:
    return [frontier[i : i + 32] for i in range(0, len(frontier), 32)]


#: Inline: the id comes from the identity column in the INSERT itself; otherwise SQLAlchemy fetches it
#: first with a round trip of its own (it may not read it back: see AuditQueued).
_QUEUE = insert(cast(Table, AuditQueued.__table__)).inline()


def flush(session: Session, settings: Settings | None = None) -> int:
    """Write the session's entries (appended, or queued while a sequencer serves); return how many."""
    events: list[Event] = session.info.pop(PENDING, [])
    if not events:
        return 0
    settings = settings or get_settings()
    if session.info.get("defer_audit"):
        key = settings.subkey(QUEUE_KEY)
        plain_write(session, _QUEUE, [{"event": ev.queued(key)} for ev in events])
        return len(events)
    with system_context(session):  # the log is the system's to append to (row-level security)
        _append(session, events, settings)
    return len(events)


def drain(session: Session, settings: Settings | None = None, batch: int = 2000) -> int:
    """Move every queued entry into the log, oldest first, in this session's transaction (as the
    system, whoever its viewer is); return how many were moved."""
    settings = settings or session.info.get("settings") or get_settings()
    moved = 0
    with system_context(session):
        # Checked before the lock, so an idle sequencer takes no lock and writes nothing; and only
        # what is queued now, so that a steady stream of requests cannot keep one drain going.
        ceiling = session.execute(select(func.max(AuditQueued.id))).scalar()
        if ceiling is None:
            return 0
        oldest = select(AuditQueued.id).where(AuditQueued.id <= ceiling).order_by(AuditQueued.id).limit(batch)
        # No ORM objects of the queue are loaded, so there are none to synchronize: SQLAlchemy would
        # otherwise select the rows before deleting them, a round trip of its own.
        take = (delete(AuditQueued).where(AuditQueued.id.in_(oldest)).returning(AuditQueued.id, AuditQueued.event)
                .execution_options(synchronize_session=False))
        while True:
            # The head lock first: a second drainer waits here, then finds the rows gone.
            head = _lock_head(session)
            rows = sorted(session.execute(take), key=lambda row: row[0])
            if not rows:
                break
            key = settings.subkey(QUEUE_KEY)
            _append(session, [Event.from_queue(queued_id, queued, key) for queued_id, queued in rows], settings, head)
            moved += len(rows)
            if len(rows) < batch:
                break
    return moved


def _append(session: Session, events: list[Event], settings: Settings,
            head: tuple[int, bytes, bytes] | None = None) -> None:
    """Give the events the next places in the log under the head lock (taken unless `head` is the
    locked head), advance the Merkle frontier and sign the new head."""
    size, packed, prev = head or _lock_head(session)
    frontier = _split(packed)
    # The seal counts the checkpoints, so that removing one is caught (read under the head's lock).
    sealed = session.execute(select(func.count()).select_from(AuditCheckpoint)).scalar_one()
    entries, refs, checkpoints = [], [], []
    for ev in events:
        data = _entry_json(size, ev, prev)
        leaf = merkle.leaf_hash(data)
        entries.append(
            {
                "seq": size,
                "time": ev.time,
                "actor_id": ev.actor_id,
                "actor_agency": ev.agency,
                "action": ev.action,
                "decision": ev.decision,
                "entry": data.decode(),
                "leaf_hash": leaf,
            }
        )
        for oid in dict.fromkeys(ev.objects):
            refs.append({"seq": size, "object_id": oid[0], "object_agency": oid[1]})
        frontier = merkle.append(frontier, size, leaf)
        size += 1
        prev = leaf
        if size % settings.checkpoint_every == 0:
            cp_root = merkle.root(frontier)
            checkpoints.append(
                {
                    "size": size,
                    "root": cp_root,
                    "signature": signing.sign(settings.audit_key_path, settings.node_name, size, cp_root),
                    "time": ev.time,
                }
            )
    root = merkle.root(frontier)
    signed = {"size": size, "frontier": b"".join(frontier), "root": root,
              "signature": signing.sign(settings.audit_key_path, settings.node_name, size, root),
              "seal": signing.seal(settings.audit_key_path, settings.node_name, size, root, sealed + len(checkpoints))}
    if session.get_bind().dialect.name == "postgresql":
        session.execute(_WRITE_PG, {**signed, "entries": _json_rows(entries), "refs": _json_rows(refs),
                                    "checkpoints": _json_rows(checkpoints)})
    else:
        session.execute(insert(AuditEntry), entries)
        if refs:
            session.execute(insert(AuditObjectRef), refs)
        if checkpoints:
            session.execute(insert(AuditCheckpoint), checkpoints)
        session.execute(update(AuditHead).where(AuditHead.id == 1).values(signed))


def discard(session: Session) -> None:
    """Drop queued entries (their transaction is being rolled back)."""
    session.info.pop(PENDING, None)


@event.listens_for(Session, "before_commit")
def _write_before_commit(session: Session) -> None:
    if session.info.get(PENDING):
        flush(session, session.info.get("settings"))


@event.listens_for(Session, "after_rollback")
def _drop_on_rollback(session: Session) -> None:
    discard(session)

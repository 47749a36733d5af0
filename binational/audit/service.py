"""Reading the audit log as an auditor: own agency's actions, and every action on its records."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, exists, select
from sqlalchemy.orm import Session

from binational import pagination
from binational.access.models import User
from binational.access.policy import (
    Actor,
    may_see_audit_object,
    may_see_readers,
    require,
    visible_audit_entries,
    visible_audit_objects,
)
from binational.audit import checkpoints, log, witness
from binational.audit.models import AuditCheckpoint, AuditEntry, AuditHead, AuditObjectRef
from binational.audit.verify import Verification, verify
from binational.config import Settings, get_settings
from binational.db import system_context
from binational.errors import Forbidden, NotFound

#: The actions that show a record's content, or that a search matched it: who-saw lists them.
READ_ACTIONS = ("dashboard.view", "entity.read", "entity.list", "entity.search", "entity.export", "network.view",
                "network.plan",
                "network.export", "resolution.suggestion.read", "resolution.suggestion.list", "discovery.hit",
                "discovery.withheld", "trade.read", "trade.list", "trade.select", "repatriation.read",
                "repatriation.export", "repatriation.list", "repatriation.case_read", "repatriation.case_list",
                "engagement.list", "engagement.brief", "commitment.board")


def view(actor: Actor, row: AuditEntry, owners: dict[str, str | None]) -> dict[str, Any]:
    """One entry as an auditor sees it: only the objects the policy shows it (`may_see_audit_object`),
    and no reason for the refusal of another agency's record."""
    body = json.loads(row.entry)
    objects = [o for o in body["objects"]
               if may_see_audit_object(actor, actor_agency=row.actor_agency, action=row.action,
                                       object_agency=owners.get(o))]
    reason = body["reason"]
    # A refusal must not tell one agency why another agency's record was hidden.
    if body["decision"] == "deny" and not all(owners.get(o) == actor.agency for o in body["objects"]):
        reason = "not found"
    return {
        "seq": body["seq"], "time": body["time"], "actor": body["actor"], "agency": body["agency"],
        "action": body["action"], "objects": objects, "decision": body["decision"], "reason": reason,
        "request_id": body["request_id"],
    }


def owners_of(session: Session, seqs: list[int]) -> dict[str, str | None]:
    """The owner agency of every object the entries `seqs` name."""
    if not seqs:
        return {}
    refs = session.execute(select(AuditObjectRef.object_id, AuditObjectRef.object_agency)
                           .where(AuditObjectRef.seq.in_(seqs)))
    return {oid: agency for oid, agency in refs}


def _page(session: Session, actor: Actor, query: Any, limit: int | None, cursor: str | None
          ) -> tuple[list[dict[str, Any]], str | None]:
    settings = get_settings()
    limit = pagination.check_limit(limit, settings.page_size, settings.max_page_size)
    page, next_cursor = pagination.keyset(session, query, AuditEntry.seq, limit=limit, cursor=cursor,
                                          secret=settings.signing_secret(), descending=True)
    owners = owners_of(session, [r.seq for r in page])
    return [view(actor, r, owners) for r in page], next_cursor


@dataclass(frozen=True)
class EntryFilter:
    """What an auditor narrows the log to; every field is optional and they all hold together."""

    action: str | None = None
    #: the username of the user who acted
    user: str | None = None
    #: an object the entry names, among those the auditor may see it name
    object_id: str | None = None
    #: the first and last day (UTC) of the entries' time, both included
    since: date | None = None
    until: date | None = None

    def as_extra(self) -> dict[str, Any]:
        """The filter as the audit entry of its use keeps it."""
        return {k: (v.isoformat() if isinstance(v, date) else v) for k, v in asdict(self).items() if v}


def _day(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=UTC)


def filtered(session: Session, actor: Actor, where: EntryFilter) -> Select[AuditEntry]:
    """The entries `actor` may see (`visible_audit_entries`) that pass the filter; a record filter
    matches only an object the auditor may see the entry name (`visible_audit_objects`)."""
    conditions: list[ColumnElement[bool]] = [visible_audit_entries(actor, AuditEntry, AuditObjectRef)]
    if where.action:
        conditions.append(AuditEntry.action == where.action)
    if where.user:
        with system_context(session):  # a partner's user is named in the entries the auditor sees anyway
            ids = session.execute(select(User.id).where(User.username == where.user)).scalars().all()
        conditions.append(AuditEntry.actor_id.in_(ids))
    if where.object_id:
        conditions.append(exists(select(AuditObjectRef.seq).where(
            AuditObjectRef.seq == AuditEntry.seq, AuditObjectRef.object_id == where.object_id,
            visible_audit_objects(actor, AuditEntry, AuditObjectRef))))
    if where.since:
        conditions.append(AuditEntry.time >= _day(where.since))
    if where.until:
        conditions.append(AuditEntry.time < _day(where.until + timedelta(days=1)))
    return select(AuditEntry).where(*conditions)


def entries(*, session: Session, actor: Actor, action: str | None = None, where: EntryFilter | None = None,
            limit: int | None = None, cursor: str | None = None) -> tuple[list[dict[str, Any]], str | None]:
    """Newest first: the entries of the auditor's agency and those naming its records, filtered."""
    require(actor, "audit.read")
    where = where or EntryFilter(action=action)
    log.drain(session)
    items, next_cursor = _page(session, actor, filtered(session, actor, where), limit, cursor)
    log.record(session, action="audit.read", actor=actor,
               extra={"filter": where.as_extra(), "page": len(items)})
    return items, next_cursor


def who_saw(*, session: Session, actor: Actor | None, object_id: str, limit: int | None = None,
            cursor: str | None = None) -> tuple[list[dict[str, Any]], str | None]:
    """Every read of one record; an auditor may ask only about its own agency's records."""
    if actor is not None:
        require(actor, "audit.who_saw")
    log.drain(session)
    query = select(AuditEntry).where(
        AuditEntry.action.in_(READ_ACTIONS),
        AuditEntry.decision == "allow",
        exists(select(AuditObjectRef.seq).where(AuditObjectRef.seq == AuditEntry.seq,
                                                AuditObjectRef.object_id == object_id)),
    )
    if actor is None:  # the node operator, from the command line
        rows = session.execute(query.order_by(AuditEntry.seq)).scalars().all()
        return [json.loads(r.entry) for r in rows], None
    ours = session.execute(
        select(AuditObjectRef.seq).where(AuditObjectRef.object_id == object_id,
                                         AuditObjectRef.object_agency == actor.agency).limit(1)
    ).first()
    if ours is None:
        raise NotFound("record", object_id, action="audit.who_saw")
    items, next_cursor = _page(session, actor, query, limit, cursor)
    log.record(session, action="audit.who_saw", actor=actor, objects=[(object_id, actor.agency)])
    return items, next_cursor


#: the newest entries a record's readers panel sums up: enough for a page, bounded on a much-read record
READERS_WINDOW = 2000


def readers(*, session: Session, actor: Actor, object_id: str, owner_agency: str) -> list[dict[str, Any]]:
    """Who read one record of the actor's agency: per agency and user, how many reads and the last one,
    most recent first, over the newest `READERS_WINDOW` reads. Only entries the actor's audit view
    admits (`visible_audit_entries`) count; the look is audited."""
    decision = may_see_readers(actor, owner_agency=owner_agency)
    if not decision:
        raise Forbidden(f"entity.readers: {decision.reason}", action="entity.readers", ident=object_id)
    log.drain(session)
    rows = session.execute(
        select(AuditEntry.seq, AuditEntry.entry)
        .where(AuditEntry.action.in_(READ_ACTIONS), AuditEntry.decision == "allow",
               exists(select(AuditObjectRef.seq).where(AuditObjectRef.seq == AuditEntry.seq,
                                                       AuditObjectRef.object_id == object_id,
                                                       AuditObjectRef.object_agency == actor.agency)),
               visible_audit_entries(actor, AuditEntry, AuditObjectRef))
        .order_by(AuditEntry.seq.desc()).limit(READERS_WINDOW)
    ).all()
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for _seq, entry in rows:  # newest first: the first entry of a reader is its last read
        body = json.loads(entry)
        reader = found.setdefault((body["agency"] or "", body["actor"]), {
            "agency": body["agency"], "user": body["actor"], "reads": 0, "last": body["time"]})
        reader["reads"] += 1
    log.record(session, action="entity.readers", actor=actor, objects=[(object_id, actor.agency)],
               extra={"readers": len(found)})
    return list(found.values())


def status(*, session: Session, actor: Actor) -> dict[str, Any]:
    """The signed head and the last checkpoint (size, root, time), for auditors: the size counts every
    agency's entries, so watching it grow tells what others do (a username probe, say). It does not
    wait for the entries still queued; the read is audited."""
    require(actor, "audit.status")
    log.record(session, action="audit.status", actor=actor)
    head = session.get(AuditHead, 1)
    last = session.execute(select(AuditCheckpoint).order_by(AuditCheckpoint.size.desc()).limit(1)).scalar_one_or_none()
    return {
        "size": head.size if head else 0,
        "root": head.root.hex() if head else None,
        "last_checkpoint": (
            {"size": last.size, "root": last.root.hex(), "time": last.time.isoformat()} if last else None
        ),
    }


def check(*, session: Session, actor: Actor, settings: Settings) -> Verification:
    """Recompute the whole log and its signatures for an auditor; the check itself is audited."""
    require(actor, "audit.verify")
    with system_context(session):  # the whole log, not the auditor's share of it
        result = verify(session, settings)
    log.record(session, action="audit.verify", actor=actor,
               extra={"ok": result.ok, "size": result.size, "first_bad": result.first_bad})
    return result


def checkpoint(*, session: Session, actor: Actor, settings: Settings, old_size: int | None = None) -> dict[str, Any]:
    """The node's latest signed checkpoint (a C2SP signed note), its verifier key and, from `old_size`
    (the size a witness cosigned last), the consistency proof a witness needs; for auditors, audited."""
    require(actor, "audit.checkpoint")
    log.drain(session)
    size = checkpoints.size(session)
    proof = None
    if old_size is not None:
        proof = witness.proof_text(old_size, checkpoints.consistency(session, old_size, size)[1])
    note = checkpoints.latest(session, settings)
    log.record(session, action="audit.checkpoint", actor=actor, extra={"size": size, "from": old_size})
    return {"size": size, "checkpoint": str(note), "key": checkpoints.node_verifier(settings).vkey(), "proof": proof}

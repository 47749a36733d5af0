"""Requests between agencies: submit, acknowledge, answer, decline, withdraw; inbox and outbox.

A request is seen by the sending and the receiving agency only (and only by users cleared for its
marking); to anyone else it does not exist. Answering releases chosen entities of the receiver to
the sender, so the answer is read through the ordinary policy.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from binational import pagination
from binational.access.actions import Action, register
from binational.access.markings import rank
from binational.access.models import Agency, User
from binational.access.policy import (
    Actor,
    live_and_visible,
    may_move_request,
    may_name_event_actor,
    may_see_hit_ref,
    may_see_request,
    require,
    sees_as_sender,
    visible_hit_refs,
    visible_requests,
)
from binational.access.service import check_reachable
from binational.audit import log as audit
from binational.config import get_settings
from binational.db import utcnow
from binational.entities.models import Entity
from binational.entities.releases import release_entity
from binational.entities.service import access_entity_row
from binational.errors import Conflict, Forbidden, InvalidInput, NotFound
from binational.requests import limits, notifications
from binational.requests.discovery import ref_is_signed_for
from binational.requests.models import HitRef, Request, RequestEvent, RequestItem
from binational.requests.types import get_type

STATES = ("submitted", "acknowledged", "answered", "declined", "withdrawn")
OPEN = ("submitted", "acknowledged")
#: state -> the states it may move to, and the side that moves it
TRANSITIONS: dict[str, tuple[tuple[str, ...], str]] = {
    "acknowledged": (("submitted",), "receiver"),
    "answered": (("submitted", "acknowledged"), "receiver"),
    "declined": (("submitted", "acknowledged"), "receiver"),
    "withdrawn": (("submitted", "acknowledged"), "sender"),
}
MAX_DUE = timedelta(days=366)

for _action in (
    Action("request.create", "request.create", "send a request to another agency (about hits or visible entities)"),
    Action("request.read", "record.view", "read a request one's agency sent or received"),
    Action("request.list", "record.view", "list one's agency's inbox or outbox of requests"),
    Action("request.acknowledge", "request.answer", "acknowledge a request to one's agency (roles of its type)"),
    Action("request.answer", "request.answer",
           "answer a request to one's agency by releasing own entities to the sender (roles of its type)"),
    Action("request.decline", "request.answer", "decline a request to one's agency (roles of its type)"),
    Action("request.withdraw", "request.create", "withdraw an open request one's agency sent"),
    Action("request.selectors", "request.create",
           "read the selectors one's agency searched to get its hit references (a new request's form)"),
):
    register(_action)


def access_request(session: Session, actor: Actor, request_id: str, action: str) -> Request:
    """The request if the actor's agency sent or received it (and the actor is cleared); else NotFound."""
    require(actor, action)
    row = session.get(Request, request_id) if isinstance(request_id, str) else None
    if row is None:
        raise NotFound("request", request_id, action=action)
    decision = may_see_request(actor, from_agency=row.from_agency, to_agency=row.to_agency,
                               marking_rank=row.marking_rank)
    if not decision:
        raise NotFound("request", request_id, reason=decision.reason, action=action, owner=row.from_agency)
    return row


def _resolve_refs(session: Session, actor: Actor, refs: list[str], to_agency: str) -> list[HitRef]:
    secret, now, found = get_settings().signing_secret(), utcnow(), []
    for ref in dict.fromkeys(refs):
        row = session.get(HitRef, ref) if ref_is_signed_for(secret, actor.agency, ref) else None
        # Another agency's reference, an expired one and one never issued answer alike.
        if row is None or not may_see_hit_ref(actor, caller_agency=row.caller_agency) or row.expires_at <= now:
            raise NotFound("hit_ref", ref if isinstance(ref, str) else None, action="request.create")
        if row.holder_agency != to_agency:
            raise InvalidInput(f"hit_ref {ref!r} is a match of {row.holder_agency}, not of {to_agency}",
                               details=[{"field": "hit_refs"}])
        found.append(row)
    return found


SUBJECT_CHARS = 200


def subject_of(subject: str | None, question: str) -> str:
    """The request's subject line: the one given, else the question's first line, cut to 200 characters."""
    text = subject.strip() if isinstance(subject, str) and subject.strip() else question.strip().splitlines()[0]
    text = " ".join(text.split())
    return text if len(text) <= SUBJECT_CHARS else text[: SUBJECT_CHARS - 1].rstrip() + "…"


def submit(*, session: Session, actor: Actor, type: str, to_agency: str, question: str,  # noqa: A002
           hit_refs: list[str] | None = None, entity_ids: list[str] | None = None, due: datetime | None = None,
           marking: str = "TLP:AMBER", subject: str | None = None, counted: bool = True) -> Request:
    """Send a request to another agency about hits it holds and entities the sender may see; its
    subject line is `subject`, or the question's first line. `counted=False` is for the requests of a
    batch its module has counted against `requests_per_user_hour` as one (a batch of firearm traces)."""
    require(actor, "request.create")
    kind = get_type(type)
    agency = session.get(Agency, to_agency) if isinstance(to_agency, str) else None
    if agency is None:
        raise InvalidInput(f"unknown agency {to_agency!r}", details=[{"field": "to_agency"}])
    check_reachable(agency, field="to_agency", staying="a request")
    if agency.code == actor.agency:
        raise InvalidInput("a request goes to another agency, not one's own", details=[{"field": "to_agency"}])
    if not isinstance(question, str) or not question.strip():
        raise InvalidInput("the question is empty", details=[{"field": "question"}])
    now = utcnow()
    if counted:
        limits.check_requests(session, actor, now)
    if due is not None and (due.tzinfo is None or due <= now or due > now + MAX_DUE):
        raise InvalidInput("due must be a time with a zone, in the future and within a year",
                           details=[{"field": "due"}])
    marking_rank = rank(marking)
    if marking_rank > actor.clearance_rank:
        raise InvalidInput(f"marking {marking} is above your clearance", details=[{"field": "marking"}])
    refs = _resolve_refs(session, actor, list(hit_refs or []), agency.code)
    subjects = [access_entity_row(session, actor, eid, "entity.read").id for eid in dict.fromkeys(entity_ids or [])]
    if subject is not None and not isinstance(subject, str):
        raise InvalidInput("the subject is not a text", details=[{"field": "subject"}])
    kinds = ",".join(sorted({ref.kind for ref in refs}))
    request = Request(id=f"req_{uuid.uuid4().hex}", type=kind.name, from_agency=actor.agency, to_agency=agency.code,
                      state="submitted", subject=subject_of(subject, question), question=question.strip(),
                      selector_kinds=kinds, marking=marking, marking_rank=marking_rank,
                      due_at=due or now + kind.default_due, created_by=actor.user_id, created_at=now, updated_at=now)
    session.add(request)
    session.flush()
    items = [{"request_id": request.id, "entity_id": eid, "hit_ref": None, "role": "subject"} for eid in subjects]
    items += [{"request_id": request.id, "entity_id": eid, "hit_ref": ref.ref, "role": "subject"}
              for ref in refs for eid in ref.entity_ids.split(",")]
    if items:
        session.execute(insert(RequestItem), items)
    _event(session, actor, request, None, "submitted", None, now)
    notifications.notify(session, request, "request.submitted", notifications.recipients(session, request))
    audit.record(session, action="request.create", actor=actor, objects=[(request.id, request.from_agency)],
                 extra={"type": kind.name, "to": agency.code, "hit_refs": len(refs), "entities": len(subjects)})
    return request


def _event(session: Session, actor: Actor, request: Request, from_state: str | None, to_state: str,
           note: str | None, at: datetime) -> None:
    session.add(RequestEvent(request_id=request.id, from_state=from_state, to_state=to_state, actor_id=actor.user_id,
                             actor_agency=actor.agency, at=at, note=note))
    session.flush()


def _move(session: Session, actor: Actor, request_id: str, to_state: str, action: str, note: str | None) -> Request:
    request = access_request(session, actor, request_id, action)
    allowed_from, side = TRANSITIONS[to_state]
    kind = get_type(request.type)
    decision = may_move_request(actor, side=side, from_agency=request.from_agency, to_agency=request.to_agency,
                                type_name=kind.name, answer_roles=kind.answer_roles)
    if not decision:
        raise Forbidden(f"{action}: {decision.reason}", action=action, ident=request.id, owner=request.from_agency)
    if request.state not in allowed_from:
        raise Conflict(f"cannot move a request from {request.state} to {to_state}",
                       details=[{"field": "state", "state": request.state}])
    if note is not None and len(note) > 10_000:
        raise InvalidInput("the note is too long", details=[{"field": "note"}])
    now = utcnow()
    _event(session, actor, request, request.state, to_state, note, now)
    request.state, request.updated_at = to_state, now
    if to_state not in OPEN:
        request.closed_at = now
    session.flush()
    audit.record(session, action=action, actor=actor, objects=[(request.id, request.from_agency)],
                 extra={"state": to_state})
    if side == "receiver":
        notifications.notify(session, request, f"request.{to_state}", [request.created_by])
    else:
        notifications.notify(session, request, f"request.{to_state}", notifications.recipients(session, request))
    return request


def acknowledge(*, session: Session, actor: Actor, request_id: str, note: str | None = None) -> Request:
    """The receiver says it is working on the request."""
    return _move(session, actor, request_id, "acknowledged", "request.acknowledge", note)


def decline(*, session: Session, actor: Actor, request_id: str, note: str | None = None) -> Request:
    """The receiver declines the request (a note says why)."""
    return _move(session, actor, request_id, "declined", "request.decline", note)


def withdraw(*, session: Session, actor: Actor, request_id: str, note: str | None = None) -> Request:
    """The sender withdraws an open request."""
    return _move(session, actor, request_id, "withdrawn", "request.withdraw", note)


def answer(*, session: Session, actor: Actor, request_id: str, entity_ids: list[str], note: str | None = None,
           until: datetime | None = None) -> Request:
    """The receiver answers by releasing entities of its own to the sender."""
    if not entity_ids:
        raise InvalidInput("an answer releases at least one entity", details=[{"field": "entity_ids"}])
    request = _move(session, actor, request_id, "answered", "request.answer", note)
    chosen = list(dict.fromkeys(entity_ids))
    for eid in chosen:
        release_entity(session=session, actor=actor, entity_id=eid, to=[request.from_agency], until=until)
    session.execute(insert(RequestItem), [{"request_id": request.id, "entity_id": eid, "hit_ref": None,
                                           "role": "answer"} for eid in chosen])
    return request


def view(session: Session, actor: Actor, request: Request, now: datetime | None = None) -> dict[str, Any]:
    """A request as the actor sees it: entities it may see, users of its own agency only."""
    return views(session, actor, [request], now)[0]


def views(session: Session, actor: Actor, requests: list[Request], now: datetime | None = None
          ) -> list[dict[str, Any]]:
    """Requests as the actor sees them (`view`), read together: a page of a box costs a few queries,
    not a few per request."""
    if not requests:
        return []
    now = now or utcnow()
    ids = [r.id for r in requests]
    items: dict[str, list[Any]] = {rid: [] for rid in ids}
    for row in session.execute(
        select(RequestItem.request_id, RequestItem.entity_id, RequestItem.hit_ref, RequestItem.role)
        .where(RequestItem.request_id.in_(ids)).order_by(RequestItem.id)
    ):
        items[row.request_id].append(row)
    named = {row.entity_id for rows in items.values() for row in rows}
    seen = set(session.execute(
        select(Entity.id).where(Entity.id.in_(named), live_and_visible(actor, Entity))
    ).scalars()) if named else set()
    events: dict[str, list[Any]] = {rid: [] for rid in ids}
    for ev, name in session.execute(
        # outer: row-level security hides the partner's users, whose names are not shown anyway
        select(RequestEvent, User.username).outerjoin(User, User.id == RequestEvent.actor_id)
        .where(RequestEvent.request_id.in_(ids)).order_by(RequestEvent.id)
    ):
        events[ev.request_id].append((ev, name))
    sent = [r for r in requests if sees_as_sender(actor, from_agency=r.from_agency)]
    creators: dict[int, str] = {uid: name for uid, name in session.execute(
        select(User.id, User.username).where(User.id.in_({r.created_by for r in sent})))} if sent else {}
    typed = _typed(session, actor, [r.id for r in sent])
    return [_view(actor, r, items[r.id], seen, events[r.id], creators, typed.get(r.id, []), now) for r in requests]


def _view(actor: Actor, request: Request, items: list[Any], seen: set[str], events: list[Any],
          creators: dict[int, str], typed: list[dict[str, str | None]], now: datetime) -> dict[str, Any]:
    kind = get_type(request.type)
    # A subject named through a hit ref is the holder's: the sender knows only the opaque ref. Even an
    # entity the sender may see must not be named, or it would learn which record holds the value it
    # searched for, a value it may not see (a number kept to the holder's agency, say).
    own = sees_as_sender(actor, from_agency=request.from_agency).allowed
    subjects = [i.entity_id for i in items if i.role == "subject" and i.entity_id in seen and not (own and i.hit_ref)]
    answers = [i.entity_id for i in items if i.role == "answer" and i.entity_id in seen]
    refs = [i.hit_ref for i in items if i.hit_ref] if own else []
    # The sender sees the value it typed for each selector; the receiver the kinds alone.
    selectors = typed if own else [{"kind": k, "value": None} for k in request.selector_kinds.split(",") if k]
    return {
        "id": request.id, "type": request.type, "label": {"en": kind.label_en, "es": kind.label_es},
        "from_agency": request.from_agency, "to_agency": request.to_agency,
        "other_agency": request.to_agency if own else request.from_agency, "state": request.state,
        "subject": request.subject or subject_of(None, request.question), "selectors": selectors,
        "question": request.question, "marking": request.marking, "due_at": request.due_at,
        "overdue": request.state in OPEN and request.due_at < now,
        "created_by": creators.get(request.created_by) if own else None,
        "created_at": request.created_at, "updated_at": request.updated_at, "closed_at": request.closed_at,
        "subjects": list(dict.fromkeys(subjects)), "hit_refs": list(dict.fromkeys(refs)),
        "answer": list(dict.fromkeys(answers)),
        "history": [{"from_state": ev.from_state, "to_state": ev.to_state, "at": ev.at, "agency": ev.actor_agency,
                     "actor": name if may_name_event_actor(actor, actor_agency=ev.actor_agency) else None,
                     "note": ev.note}
                    for ev, name in events],
    }


def _typed(session: Session, actor: Actor, request_ids: list[str]) -> dict[str, list[dict[str, str | None]]]:
    """The selectors of the actor's agency's own requests: each kind with the value it typed, from its
    own hit references (which only its agency may read)."""
    found: dict[str, list[dict[str, str | None]]] = {}
    if not request_ids:
        return found
    rows = session.execute(
        select(RequestItem.request_id, HitRef.kind, HitRef.selector).join(HitRef, RequestItem.hit_ref == HitRef.ref)
        .where(RequestItem.request_id.in_(request_ids), visible_hit_refs(actor, HitRef))
        .distinct().order_by(RequestItem.request_id, HitRef.kind, HitRef.selector)
    )
    for rid, kind, value in rows:
        found.setdefault(rid, []).append({"kind": kind, "value": value})
    return found


def read(*, session: Session, actor: Actor, request_id: str) -> dict[str, Any]:
    """One request, as the actor sees it; the read is audited."""
    request = access_request(session, actor, request_id, "request.read")
    audit.record(session, action="request.read", actor=actor, objects=[(request.id, request.from_agency)])
    return view(session, actor, request)


def hit_selectors(*, session: Session, actor: Actor, refs: list[str]) -> dict[str, dict[str, str | None]]:
    """What the actor's agency searched to get each of its hit references (kind and the value typed),
    for the form of a new request; another agency's reference, or one never issued, is left out."""
    require(actor, "request.selectors")
    if not refs:
        return {}
    rows = session.execute(select(HitRef.ref, HitRef.kind, HitRef.selector)
                           .where(HitRef.ref.in_(refs[:1000]), visible_hit_refs(actor, HitRef)))
    found = {ref: {"kind": kind, "value": value} for ref, kind, value in rows}
    # a reference names no record (the holder's stays unknown to the caller): the entry counts them
    audit.record(session, action="request.selectors", actor=actor, objects=[],
                 extra={"asked": len(refs[:1000]), "found": len(found)})
    return found


def answerer_names(*, session: Session, actor: Actor, request_id: str) -> list[str]:
    """Who of the receiving agency may answer the request, named to that agency's own users (the
    sender learns the roles only, from the request type)."""
    request = access_request(session, actor, request_id, "request.read")
    return notifications.answerer_names(session, actor, request)


def list_requests(*, session: Session, actor: Actor, box: str = "inbox", state: str | None = None,
                  overdue: bool = False, limit: int | None = None, cursor: str | None = None
                  ) -> tuple[list[dict[str, Any]], str | None]:
    """A page of the actor's agency's inbox or outbox, newest first."""
    require(actor, "request.list")
    settings = get_settings()
    limit = pagination.check_limit(limit, settings.page_size, settings.max_page_size)
    if box not in ("inbox", "outbox"):
        raise InvalidInput(f"unknown box {box!r}", details=[{"field": "box", "allowed": ["inbox", "outbox"]}])
    if state is not None and state not in STATES:
        raise InvalidInput(f"unknown state {state!r}", details=[{"field": "state", "allowed": list(STATES)}])
    now = utcnow()
    mine = Request.to_agency if box == "inbox" else Request.from_agency
    query = select(Request).where(visible_requests(actor, Request), mine == actor.agency)
    if state:
        query = query.where(Request.state == state)
    if overdue:
        query = query.where(Request.state.in_(OPEN), Request.due_at < now)
    page, next_cursor = pagination.keyset(session, query, (Request.created_at, Request.id), limit=limit,
                                          cursor=cursor, secret=settings.signing_secret(), descending=True)
    audit.record(session, action="request.list", actor=actor, objects=[(r.id, r.from_agency) for r in page],
                 extra={"box": box, "state": state, "overdue": overdue, "page": len(page)})
    return views(session, actor, list(page), now), next_cursor

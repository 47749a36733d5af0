"""Repatriation movements: case files, proposals and the receiver's answer, reads and lists.

The sender (say US-ICE) proposes a flight or land hand-over under a local arrangement; the proposal
is a request on the requests workflow to the receiver (MX-INM), which accepts it, counters it or
refuses it naming the rule, within the arrangement's points, hours, quotas and capacities. What
follows — assigning people, the consulate's verification, the manifest's lock, boarding, departure,
hand-over and reconciliation — is in `repatriation.manifest`.
"""

from __future__ import annotations

import json
import uuid
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from binational.access.actions import Action, register
from binational.access.markings import rank
from binational.access.policy import Actor, may_see_arrangement, may_see_movement, require, visible_movements
from binational.audit import log as audit
from binational.db import utcnow
from binational.errors import Forbidden, InvalidInput, NotFound
from binational.repatriation import arrangements as lra
from binational.repatriation.confidential import movement_view, request_text
from binational.repatriation.models import ManifestLine, Movement
from binational.requests import service as requests
from binational.requests.types import RequestType, register_type

#: states of a movement, in the order it goes through them
STATES = ("proposed", "accepted", "countered", "refused", "locked", "boarded", "departed", "received", "reconciled")
#: movements that hold a point's capacity and a quota
LIVE = ("proposed", "accepted", "countered", "locked", "boarded", "departed", "received", "reconciled")
CATEGORIES = ("adults", "children", "unaccompanied_children", "vulnerable")
#: the rules a receiver may name when it refuses
REFUSAL_RULES = ("LRA-1", "LRA-2", "LRA-2-vulnerable", "quota", "capacity", "lead-time", "other")

for _action in (
    Action("repatriation.propose", "request.create", "propose a repatriation flight or land hand-over to the receiver"),
    Action("repatriation.respond", "request.answer",
           "accept, counter-propose or refuse a proposed movement (the receiving agency)"),
    Action("repatriation.accept_counter", "request.create", "accept the receiver's counter-proposal (the sender)"),
    Action("repatriation.read", "record.view", "read a movement one's agency sends, receives or verifies"),
    Action("repatriation.export", "record.view",
           "export a movement's manifest as CSV (the allow-listed fields of each line)"),
    Action("repatriation.list", "record.view", "list the movements one's agency sends, receives or verifies"),
    Action("repatriation.arrangements", "record.view", "read the local repatriation arrangements"),
    Action("repatriation.import", "record.create",
           "import an official series (DHS repatriations, ICE Air flights); replaces that series"),
):
    register(_action)

for _type in (
    RequestType(name="repatriation_movement", label_en="Repatriation movement", label_es="Movimiento de repatriación",
                default_due=timedelta(hours=48), description="a proposed flight or land hand-over to accept"),
    RequestType(name="repatriation_verification", label_en="Nationality verification",
                label_es="Verificación de nacionalidad", default_due=timedelta(hours=48),
                description="the consulate verifies the nationality and travel documents of a manifest"),
    RequestType(name="repatriation_departure", label_en="Departure notice", label_es="Aviso de salida",
                default_due=timedelta(hours=24), description="a movement has left: the receiver confirms arrival"),
):
    register_type(_type)


def access_movement(session: Session, actor: Actor, movement_id: str, action: str) -> Movement:
    """The movement if the actor's agency is a party to it (and cleared); else NotFound."""
    require(actor, action)
    row = session.get(Movement, movement_id) if isinstance(movement_id, str) else None
    if row is None:
        raise NotFound("movement", movement_id if isinstance(movement_id, str) else None, action=action)
    decision = may_see_movement(actor, from_agency=row.from_agency, to_agency=row.to_agency,
                                consulate=row.consulate, marking_rank=row.marking_rank)
    if not decision:
        raise NotFound("movement", movement_id, reason=decision.reason, action=action, owner=row.from_agency)
    return row


def arrangements_of(actor: Actor) -> list[lra.Arrangement]:
    """The local arrangements the actor's agency is a party to."""
    return [a for a in lra.load().values()
            if may_see_arrangement(actor, sender=a.sender, receiver=a.receiver, consulate=a.consulate)]


def arrangement_for(actor: Actor, arrangement_id: Any) -> lra.Arrangement:
    """The arrangement the actor names, if its agency is a party to it; otherwise InvalidInput as for
    one that does not exist, listing only the actor's own (an outsider learns no id and no party)."""
    mine = {a.id: a for a in arrangements_of(actor)}
    found = mine.get(arrangement_id) if isinstance(arrangement_id, str) else None
    if found is None:
        raise InvalidInput(f"unknown arrangement {arrangement_id!r}",
                           details=[{"field": "arrangement", "allowed": sorted(mine)}])
    return found


def party(actor: Actor, movement: Movement, side: str, action: str) -> None:
    """Forbidden unless the actor's agency is the movement's `side` (sender, receiver, consulate)."""
    agency = {"sender": movement.from_agency, "receiver": movement.to_agency, "consulate": movement.consulate}[side]
    if actor.agency != agency:
        raise Forbidden(f"{action}: only the {side} of the movement may do this", action=action,
                        ident=movement.id, owner=movement.from_agency)


def lines_of(session: Session, movement: Movement) -> list[ManifestLine]:
    """The manifest of a movement, by line number."""
    return list(session.execute(select(ManifestLine).where(ManifestLine.movement_id == movement.id)
                                .order_by(ManifestLine.line_no)).scalars())


def _expected(raw: Any) -> dict[str, int]:
    if not isinstance(raw, dict):
        raise InvalidInput("expected counts must be a mapping of category to count", details=[{"field": "expected"}])
    found = {}
    for key, value in raw.items():
        if key not in CATEGORIES:
            raise InvalidInput(f"unknown category {key!r}",
                               details=[{"field": "expected", "allowed": list(CATEGORIES)}])
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise InvalidInput(f"expected {key} must be a count", details=[{"field": f"expected.{key}"}])
        found[key] = value
    return found


def check_slot(session: Session, arrangement: lra.Arrangement, *, mode: str, point_id: str, day: date,
               start_hour: int, end_hour: int, capacity: int, expected: dict[str, int], now: datetime,
               ignore: str | None = None) -> None:
    """InvalidInput naming the rule a movement breaks: point (LRA-1), hours (LRA-2), lead time,
    the point's capacity per day, the route's weekly quota."""
    if not isinstance(day, date) or not now.date() - timedelta(days=366) <= day <= now.date() + timedelta(days=366):
        raise InvalidInput("the date must be within a year of today", details=[{"field": "date"}])
    point = arrangement.point(point_id)
    if mode != point.mode:
        raise InvalidInput(f"{point.name} receives {point.mode} movements, not {mode} (rule LRA-1)",
                           details=[{"field": "mode", "rule": "LRA-1"}])
    for field, hour in (("start_hour", start_hour), ("end_hour", end_hour)):
        if not isinstance(hour, int) or isinstance(hour, bool) or not 0 <= hour <= 24:
            raise InvalidInput(f"{field} must be an hour from 0 to 24", details=[{"field": field}])
    if end_hour <= start_hour:
        raise InvalidInput("the window ends before it starts", details=[{"field": "end_hour"}])
    start, end = point.window("general")
    if start_hour < start or end_hour > end:
        raise InvalidInput(f"{point.name} accepts people {start:02d}:00-{end:02d}:00 (rule LRA-2)",
                           details=[{"field": "start_hour", "rule": "LRA-2"}])
    for category, population in (("vulnerable", "vulnerable"), ("unaccompanied_children", "unaccompanied_child")):
        low, high = point.window(population)
        if expected.get(category) and (start_hour < low or end_hour > high):
            raise InvalidInput(f"{point.name} accepts {category.replace('_', ' ')} {low:02d}:00-{high:02d}:00 "
                               "(rule LRA-2-vulnerable)", details=[{"field": "expected", "rule": "LRA-2-vulnerable"}])
    if not isinstance(capacity, int) or isinstance(capacity, bool) or capacity < 1:
        raise InvalidInput("capacity must be a positive count", details=[{"field": "capacity"}])
    if sum(v for k, v in expected.items() if k != "vulnerable") > capacity:
        raise InvalidInput("more people expected than the movement's capacity", details=[{"field": "expected"}])
    lead = timedelta(hours=arrangement.lead_hours[mode])
    moves_at = datetime.combine(day, datetime.min.time(), tzinfo=now.tzinfo).replace(hour=min(start_hour, 23))
    if moves_at - now < lead:
        raise InvalidInput(f"a {mode} movement is proposed at least {lead.total_seconds() / 3600:g} h ahead "
                           "(rule lead-time)", details=[{"field": "date", "rule": "lead-time"}])
    same = [Movement.arrangement == arrangement.id, Movement.state.in_(LIVE)]
    if ignore:
        same.append(Movement.id != ignore)
    booked = session.execute(select(func.coalesce(func.sum(Movement.capacity), 0))
                             .where(*same, Movement.point == point.id, Movement.date == day)).scalar_one()
    if booked + capacity > point.capacity_per_day:
        raise InvalidInput(f"{point.name} receives at most {point.capacity_per_day} a day; {booked} are booked "
                           "(rule capacity)", details=[{"field": "capacity", "rule": "capacity"}])
    monday = day - timedelta(days=day.weekday())
    week = (Movement.date >= monday, Movement.date < monday + timedelta(days=7), Movement.mode == mode)
    for quota in arrangement.quotas:
        if quota.mode != mode:
            continue
        if quota.unit == "movements":
            used = session.execute(select(func.count()).select_from(Movement).where(*same, *week)).scalar_one() + 1
        else:
            used = session.execute(select(func.coalesce(func.sum(Movement.capacity), 0))
                                   .where(*same, *week)).scalar_one() + capacity
        if used > quota.per_week:
            raise InvalidInput(f"the weekly quota of {quota.per_week} {mode} {quota.unit} is reached (rule quota)",
                               details=[{"field": "date", "rule": "quota"}])


def propose(*, session: Session, actor: Actor, arrangement: str, mode: str, point: str, day: date, start_hour: int,
            end_hour: int, capacity: int, expected: dict[str, int] | None = None, medical_staff: bool = False,
            marking: str = "TLP:AMBER") -> Movement:
    """Propose a movement to the receiver of `arrangement`: refused naming the rule it would break."""
    require(actor, "repatriation.propose")
    agreed = arrangement_for(actor, arrangement)
    if actor.agency != agreed.sender:
        raise Forbidden(f"repatriation.propose: {agreed.id} is proposed by {agreed.sender}",
                        action="repatriation.propose")
    if not isinstance(day, date):
        raise InvalidInput("date must be a date", details=[{"field": "date"}])
    counts = _expected(expected or {})
    now = utcnow()
    check_slot(session, agreed, mode=mode, point_id=point, day=day, start_hour=start_hour, end_hour=end_hour,
               capacity=capacity, expected=counts, now=now)
    marking_rank = rank(marking)
    if marking_rank > actor.clearance_rank:
        raise InvalidInput(f"marking {marking} is above your clearance", details=[{"field": "marking"}])
    movement = Movement(id=f"mov_{uuid.uuid4().hex[:24]}", arrangement=agreed.id, from_agency=actor.agency,
                        to_agency=agreed.receiver, consulate=agreed.consulate, marking=marking,
                        marking_rank=marking_rank, mode=mode, point=point, country=agreed.country, date=day,
                        start_hour=start_hour, end_hour=end_hour, capacity=capacity,
                        medical_staff=bool(medical_staff or False), expected=json.dumps(counts, sort_keys=True),
                        state="proposed", created_by=actor.user_id, created_at=now, updated_at=now)
    session.add(movement)
    session.flush()
    request = requests.submit(session=session, actor=actor, type="repatriation_movement", to_agency=agreed.receiver,
                              question=request_text(movement, "proposal"), marking=marking,
                              subject=f"{mode} {point} {day.isoformat()}")
    movement.request_id = request.id
    session.flush()
    audit.record(session, action="repatriation.propose", actor=actor, objects=[(movement.id, movement.from_agency)],
                 extra={"mode": mode, "point": point, "date": day.isoformat(), "capacity": capacity})
    return movement


def respond(*, session: Session, actor: Actor, movement_id: str, decision: str, rule: str | None = None,
            counter: dict[str, Any] | None = None, note: str | None = None) -> Movement:
    """The receiver accepts, counters (another date, window or capacity) or refuses naming a rule."""
    movement = access_movement(session, actor, movement_id, "repatriation.respond")
    party(actor, movement, "receiver", "repatriation.respond")
    if movement.state != "proposed":
        raise InvalidInput(f"the movement is {movement.state}, not proposed", details=[{"field": "state"}])
    agreed = lra.get(movement.arrangement)
    expected = json.loads(movement.expected)
    now = utcnow()
    if decision == "accept":
        check_slot(session, agreed, mode=movement.mode, point_id=movement.point, day=movement.date,
                   start_hour=movement.start_hour, end_hour=movement.end_hour, capacity=movement.capacity,
                   expected=expected, now=now, ignore=movement.id)
        movement.state = "accepted"
        if movement.request_id:
            requests.acknowledge(session=session, actor=actor, request_id=movement.request_id, note="accepted")
    elif decision == "refuse":
        if rule not in REFUSAL_RULES:
            raise InvalidInput("a refusal names the rule it applies",
                               details=[{"field": "rule", "allowed": list(REFUSAL_RULES)}])
        movement.state, movement.refusal_rule = "refused", rule
        if movement.request_id:
            requests.decline(session=session, actor=actor, request_id=movement.request_id, note=f"refused: {rule}")
    elif decision == "counter":
        proposal = _counter(counter, movement)
        check_slot(session, agreed, mode=movement.mode, point_id=proposal["point"], day=proposal["date"],
                   start_hour=proposal["start_hour"], end_hour=proposal["end_hour"], capacity=proposal["capacity"],
                   expected=expected, now=now, ignore=movement.id)
        movement.state = "countered"
        movement.counter = json.dumps({**proposal, "date": proposal["date"].isoformat(), "note": note or ""},
                                      sort_keys=True)
        if movement.request_id:
            requests.decline(session=session, actor=actor, request_id=movement.request_id, note="counter-proposal")
    else:
        raise InvalidInput(f"unknown decision {decision!r}",
                           details=[{"field": "decision", "allowed": ["accept", "counter", "refuse"]}])
    movement.updated_at = now
    session.flush()
    audit.record(session, action="repatriation.respond", actor=actor, objects=[(movement.id, movement.from_agency)],
                 extra={"decision": decision, "rule": rule})
    return movement


def _counter(raw: Any, movement: Movement) -> dict[str, Any]:
    if not isinstance(raw, dict) or not raw:
        raise InvalidInput("a counter-proposal gives a date, window, point or capacity", details=[{"field": "counter"}])
    unknown = set(raw) - {"date", "start_hour", "end_hour", "point", "capacity"}
    if unknown:
        raise InvalidInput(f"unknown counter field {sorted(unknown)[0]!r}", details=[{"field": "counter"}])
    day = raw.get("date", movement.date)
    if not isinstance(day, date):
        try:
            day = date.fromisoformat(day) if isinstance(day, str) else None
        except ValueError:
            day = None
        if day is None:
            raise InvalidInput("counter date must be YYYY-MM-DD", details=[{"field": "counter.date"}])
    found = {"date": day, "start_hour": raw.get("start_hour", movement.start_hour),
             "end_hour": raw.get("end_hour", movement.end_hour), "point": raw.get("point", movement.point),
             "capacity": raw.get("capacity", movement.capacity)}
    for field in ("start_hour", "end_hour", "capacity"):
        if not isinstance(found[field], int) or isinstance(found[field], bool):
            raise InvalidInput(f"counter {field} must be a whole number", details=[{"field": f"counter.{field}"}])
    if not isinstance(found["point"], str):
        raise InvalidInput("counter point must be a point's id", details=[{"field": "counter.point"}])
    return found


def accept_counter(*, session: Session, actor: Actor, movement_id: str) -> Movement:
    """The sender takes the receiver's counter-proposal: the movement becomes accepted on its terms."""
    movement = access_movement(session, actor, movement_id, "repatriation.accept_counter")
    party(actor, movement, "sender", "repatriation.accept_counter")
    if movement.state != "countered" or not movement.counter:
        raise InvalidInput("the movement has no counter-proposal", details=[{"field": "state"}])
    terms = json.loads(movement.counter)
    agreed, now = lra.get(movement.arrangement), utcnow()
    day = date.fromisoformat(terms["date"])
    check_slot(session, agreed, mode=movement.mode, point_id=terms["point"], day=day, start_hour=terms["start_hour"],
               end_hour=terms["end_hour"], capacity=terms["capacity"], expected=json.loads(movement.expected),
               now=now, ignore=movement.id)
    movement.date, movement.point, movement.capacity = day, terms["point"], terms["capacity"]
    movement.start_hour, movement.end_hour = terms["start_hour"], terms["end_hour"]
    movement.state, movement.updated_at = "accepted", now
    session.flush()
    audit.record(session, action="repatriation.accept_counter", actor=actor,
                 objects=[(movement.id, movement.from_agency)])
    return movement


def read(*, session: Session, actor: Actor, movement_id: str, action: str = "repatriation.read") -> dict[str, Any]:
    """A movement with its manifest, as the actor's agency may see it; audited as `action`
    (`repatriation.read`, or `repatriation.export` for the manifest's CSV)."""
    if action not in ("repatriation.read", "repatriation.export"):
        raise ValueError(f"not a read of a movement: {action}")
    movement = access_movement(session, actor, movement_id, action)
    lines = lines_of(session, movement)
    extra = {"lines": len(lines)} if action == "repatriation.export" else None
    audit.record(session, action=action, actor=actor, objects=[(movement.id, movement.from_agency)], extra=extra)
    return movement_view(actor.agency, movement, lines)


def list_movements(*, session: Session, actor: Actor, role: str | None = None, state: str | None = None,
                   date_from: date | None = None, date_to: date | None = None,
                   limit: int = 200) -> list[dict[str, Any]]:
    """The movements the actor's agency is a party to (as `role`: sender, receiver, consulate), by date."""
    require(actor, "repatriation.list")
    if state is not None and state not in STATES:
        raise InvalidInput(f"unknown state {state!r}", details=[{"field": "state", "allowed": list(STATES)}])
    sides = {"sender": Movement.from_agency, "receiver": Movement.to_agency, "consulate": Movement.consulate}
    if role is not None and role not in sides:
        raise InvalidInput(f"unknown role {role!r}", details=[{"field": "role", "allowed": sorted(sides)}])
    if not isinstance(limit, int) or not 1 <= limit <= 1000:
        raise InvalidInput("limit must be from 1 to 1000", details=[{"field": "limit"}])
    query = select(Movement).where(visible_movements(actor, Movement))
    if role:
        query = query.where(sides[role] == actor.agency)
    if state:
        query = query.where(Movement.state == state)
    if date_from:
        query = query.where(Movement.date >= date_from)
    if date_to:
        query = query.where(Movement.date <= date_to)
    rows = list(session.execute(query.order_by(Movement.date, Movement.start_hour, Movement.id).limit(limit)).scalars())
    audit.record(session, action="repatriation.list", actor=actor, objects=[(m.id, m.from_agency) for m in rows],
                 extra={"role": role, "state": state, "page": len(rows)})
    return [movement_view(actor.agency, m) for m in rows]


def list_arrangements(*, session: Session, actor: Actor) -> list[dict[str, Any]]:
    """The arrangements the actor's agency is a party to."""
    require(actor, "repatriation.arrangements")
    mine = arrangements_of(actor)
    audit.record(session, action="repatriation.arrangements", actor=actor, extra={"count": len(mine)})
    return [{"id": a.id, "title": a.title, "assumptions": a.assumptions, "sender": a.sender, "receiver": a.receiver,
             "consulate": a.consulate, "country": a.country, "verification": a.verification,
             "lead_hours": a.lead_hours,
             "quotas": [{"mode": q.mode, "per_week": q.per_week, "unit": q.unit} for q in a.quotas],
             "contacts": a.contacts,
             "points": [{"id": p.id, "name": p.name, "mode": p.mode, "capacity_per_day": p.capacity_per_day,
                         "child_welfare": p.child_welfare, "medical": p.medical, "services": list(p.services),
                         "hours": {k: list(v) for k, v in p.hours.items()}} for p in a.points.values()]}
            for a in mine]

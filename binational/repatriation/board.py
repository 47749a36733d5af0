"""The sender's planning board: eligible people onto the accepted movements of a period, by the planner.

Every person of the sender's case files who is ready in the period and on no live manifest goes
through the proposal gates first (each result recorded); a family goes only whole. The planner
(`repatriation.planner`, CP-SAT) then sees only those who passed, so no optimisation can trade a
safeguard away; its assignments are put on the manifests through `manifest.add_people`, which runs
the gates again against the movement itself.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from binational.access.actions import Action, register
from binational.access.policy import Actor, require, visible_case_files, visible_movements
from binational.audit import log as audit
from binational.db import utcnow
from binational.errors import Forbidden, InvalidInput
from binational.repatriation import arrangements as lra
from binational.repatriation import casefiles, gates, planner
from binational.repatriation.manifest import TRAVELLING, add_people, on_live_manifests
from binational.repatriation.models import Detainee, ManifestLine, Movement
from binational.repatriation.service import LIVE, arrangement_for

register(Action("repatriation.plan", "record.edit",
                "plan eligible people onto accepted movements (the planning board; gates first)"))


def eligible(session: Session, actor: Actor, arrangement: lra.Arrangement, date_from: date, date_to: date
             ) -> tuple[list[Detainee], dict[str, list[str]]]:
    """The sender's people ready by `date_to` who pass every proposal gate (families whole), and the
    gates that kept each of the others off (the sender's alone). Every result is recorded."""
    candidates = list(session.execute(select(Detainee).where(
        visible_case_files(actor, Detainee), Detainee.nationality == arrangement.country,
        Detainee.ready_date <= date_to).order_by(Detainee.ready_date, Detainee.id)).scalars())
    busy = on_live_manifests(session, [d.id for d in candidates]) if candidates else set()
    candidates = [d for d in candidates if d.id not in busy]
    families: dict[str, set[str]] = {}
    for d in candidates:
        if d.family_id:
            families.setdefault(d.family_id, set()).add(d.id)
    now, kept = utcnow(), {}
    outcomes = {}
    for d in candidates:
        trip = gates.Trip(country=arrangement.country, date=max(d.ready_date, date_from))
        outcomes[d.id] = gates.check(casefiles.as_case(d), trip, arrangement, stage="proposal")
    failed = {i for i, found in outcomes.items() if gates.failures(found)}
    for members in families.values():
        if members & failed:
            for i in members - failed:
                outcomes[i].append(gates.Outcome("family", False, "family record",
                                                 "a member of the family cannot travel"))
            failed |= members
    for d in candidates:
        casefiles.record_results(session, actor, d, None, "proposal", outcomes[d.id], now)
        if d.id in failed:
            kept[d.id] = [o.gate for o in gates.failures(outcomes[d.id])]
    return [d for d in candidates if d.id not in failed], kept


def _quotas(session: Session, actor: Actor, arrangement: lra.Arrangement, date_from: date, date_to: date,
            offered: list[Movement], taken: dict[str, int]) -> list[planner.Quota]:
    """The arrangement's weekly quotas for the planner, less what the weeks of the period already hold
    outside the free seats it is offered: the other live movements and the people on their manifests,
    and the people already on the offered movements."""
    ids = [m.id for m in offered]
    others = list(session.execute(select(Movement).where(
        visible_movements(actor, Movement), Movement.from_agency == actor.agency,
        Movement.arrangement == arrangement.id, Movement.state.in_(LIVE),
        Movement.date >= planner.monday_of(date_from),
        Movement.date < planner.monday_of(date_to) + timedelta(days=7), Movement.id.not_in(ids))).scalars())
    aboard = dict(taken)
    if others:
        for movement_id, status in session.execute(select(ManifestLine.movement_id, ManifestLine.status).where(
                ManifestLine.movement_id.in_([m.id for m in others]))):
            if status in TRAVELLING:
                aboard[movement_id] = aboard.get(movement_id, 0) + 1
    out = []
    for quota in arrangement.quotas:
        used: dict[date, int] = {}
        for m, counted in [(m, True) for m in others] + [(m, False) for m in offered]:
            if m.mode != quota.mode:
                continue
            # an offered movement counts as a movement only if the planner opens it
            amount = aboard.get(m.id, 0) if quota.unit == "persons" else int(counted)
            if amount:
                week = planner.monday_of(m.date)
                used[week] = used.get(week, 0) + amount
        out.append(planner.Quota(country=arrangement.country, mode=quota.mode, per_week=quota.per_week,
                                 unit=quota.unit, used=tuple(sorted(used.items()))))
    return out


def plan_board(*, session: Session, actor: Actor, arrangement: str, date_from: date, date_to: date,
               first_seconds: float = 5.0, second_seconds: float = 10.0,
               progress: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Plan the period: gates, then the planner over the accepted movements' free seats, then manifests."""
    require(actor, "repatriation.plan")
    agreed = arrangement_for(actor, arrangement)
    if actor.agency != agreed.sender:
        raise Forbidden(f"repatriation.plan: {agreed.id} is planned by {agreed.sender}", action="repatriation.plan")
    if date_to < date_from or (date_to - date_from).days > 62:
        raise InvalidInput("the period runs forward and at most 62 days", details=[{"field": "date_to"}])
    people, kept = eligible(session, actor, agreed, date_from, date_to)
    movements = list(session.execute(select(Movement).where(
        visible_movements(actor, Movement), Movement.from_agency == actor.agency, Movement.arrangement == agreed.id,
        Movement.state == "accepted", Movement.date >= date_from, Movement.date <= date_to)
        .order_by(Movement.date, Movement.id)).scalars())
    taken: dict[str, int] = {}
    for movement_id, status in session.execute(select(ManifestLine.movement_id, ManifestLine.status).where(
            ManifestLine.movement_id.in_([m.id for m in movements]))):
        if status in TRAVELLING:
            taken[movement_id] = taken.get(movement_id, 0) + 1
    slots = []
    for m in movements:
        point = agreed.points[m.point]
        room = m.capacity - taken.get(m.id, 0)
        if room > 0:
            slots.append(planner.Slot(id=m.id, mode=m.mode, point=m.point, country=m.country, date=m.date,
                                      start_hour=m.start_hour, end_hour=m.end_hour, capacity=room,
                                      child_welfare=point.child_welfare, medical=m.medical_staff and point.medical))
    offered = {s.id for s in slots}
    quotas = _quotas(session, actor, agreed, date_from, date_to, [m for m in movements if m.id in offered], taken)
    persons = [planner.Person(id=d.id, family_id=d.family_id, nationality=d.nationality, ready_date=d.ready_date,
                              priority=d.priority, unaccompanied_child=d.unaccompanied_child,
                              needs_medical=d.needs_medical) for d in people]
    result = planner.plan(persons, slots, quotas=quotas, first_seconds=first_seconds, second_seconds=second_seconds,
                          progress=progress) if persons and slots else None
    placed: dict[str, list[Detainee]] = {}
    by_id = {d.id: d for d in people}
    for person_id, slot_id in (result.assignments.items() if result else ()):
        placed.setdefault(slot_id, []).append(by_id[person_id])
    added, refused = 0, 0
    for m in movements:
        if placed.get(m.id):
            outcome = add_people(session, actor, m, placed[m.id])
            added += len(outcome["added"])
            refused += len(outcome["refused"])
    audit.record(session, action="repatriation.plan", actor=actor,
                 objects=[(m.id, m.from_agency) for m in movements if placed.get(m.id)],
                 extra={"eligible": len(people), "kept": len(kept), "placed": added})
    stages = {name: {"status": s.status, "objective": s.objective, "bound": s.bound, "gap": s.gap,
                     "seconds": s.seconds} for name, s in (("first", result.first), ("second", result.second))
              } if result else {}
    return {"eligible": len(people), "kept_off": kept, "placed": added, "refused_on_movement": refused,
            "movements": len(slots), "stages": stages}

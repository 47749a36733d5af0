"""Detainees' case files: the sender's own record of a person and the legal facts the gates read.

A case file is its agency's alone (`access.policy.may_see_case_file`); facts that arrive late — a
stay, a fear claim, a protection claim, a medical clearance, counsel notified — are recorded here and
read by the next gate (at lock, and again at boarding).
"""

from __future__ import annotations

import json
import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from binational.access.actions import Action, register
from binational.access.markings import rank
from binational.access.policy import Actor, may_see_case_file, require, visible_case_files, visible_movements
from binational.audit import log as audit
from binational.db import utcnow
from binational.errors import InvalidInput, NotFound
from binational.repatriation.confidential import line_view
from binational.repatriation.gates import CHILD_CRITERIA, Case
from binational.repatriation.models import Detainee, GateResult, ManifestLine, Movement

for _action in (
    Action("repatriation.case_create", "record.create", "open a detainee's case file (the sending agency's own)"),
    Action("repatriation.case_update", "record.edit",
           "record a fact on a case file: a stay, a claim, a medical clearance, counsel notified"),
    Action("repatriation.case_read", "record.view", "read a case file of one's agency and its gate results"),
    Action("repatriation.case_list", "record.view", "list the case files of one's agency, filtered, a page at a time"),
):
    register(_action)

#: facts recorded after a case file is opened, with how each is read
FACTS = ("discretionary_stay", "fear_claim", "protection_claim", "protection_country", "medical_clearance_until",
         "counsel_notified", "child_screening", "order_final_on", "automatic_stay")
SEXES = ("F", "M")


def _date(value: Any, field: str, *, optional: bool = False) -> date | None:
    if value in (None, "") and optional:
        return None
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise InvalidInput(f"{field} must be a date YYYY-MM-DD", details=[{"field": field}]) from None


def _screening(value: Any) -> str | None:
    if value in (None, ""):
        return None
    if not isinstance(value, dict):
        raise InvalidInput("child_screening must give the four criteria and a rationale",
                           details=[{"field": "child_screening"}])
    unknown = set(value) - {*CHILD_CRITERIA, "rationale"}
    if unknown:
        raise InvalidInput(f"unknown screening field {sorted(unknown)[0]!r}", details=[{"field": "child_screening"}])
    return json.dumps(value, sort_keys=True)


def access_case(session: Session, actor: Actor, detainee_id: str, action: str) -> Detainee:
    """The case file if it is the actor's agency's (and cleared); else NotFound."""
    require(actor, action)
    row = session.get(Detainee, detainee_id) if isinstance(detainee_id, str) else None
    if row is None:
        raise NotFound("case file", detainee_id if isinstance(detainee_id, str) else None, action=action)
    decision = may_see_case_file(actor, owner_agency=row.owner_agency, marking_rank=row.marking_rank)
    if not decision:
        raise NotFound("case file", detainee_id, reason=decision.reason, action=action, owner=row.owner_agency)
    return row


def _facility(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > 64 or not value.isprintable():
        raise InvalidInput("facility must be a text of up to 64 characters", details=[{"field": "facility"}])
    return value.strip() or None


def create(*, session: Session, actor: Actor, data: dict[str, Any]) -> Detainee:
    """Open a case file of the actor's agency; a bad field is named and nothing is written."""
    require(actor, "repatriation.case_create")
    name = data.get("name")
    if not isinstance(name, str) or not name.strip() or len(name) > 200:
        raise InvalidInput("name must be a text of up to 200 characters", details=[{"field": "name"}])
    if data.get("sex") not in SEXES:
        raise InvalidInput("sex must be F or M", details=[{"field": "sex", "allowed": list(SEXES)}])
    nationality = data.get("nationality")
    if not isinstance(nationality, str) or not 2 <= len(nationality) <= 3 or not nationality.isalpha():
        raise InvalidInput("nationality must be a country code", details=[{"field": "nationality"}])
    priority = data.get("priority", 1)
    if not isinstance(priority, int) or isinstance(priority, bool) or not 1 <= priority <= 1000:
        raise InvalidInput("priority must be a whole number from 1 to 1000", details=[{"field": "priority"}])
    claim = data.get("protection_claim", "none")
    if claim not in ("none", "pending", "granted"):
        raise InvalidInput("protection_claim must be none, pending or granted", details=[{"field": "protection_claim"}])
    marking = data.get("marking", "TLP:AMBER")
    marking_rank = rank(marking)
    if marking_rank > actor.clearance_rank:
        raise InvalidInput(f"marking {marking} is above your clearance", details=[{"field": "marking"}])
    # an agency's case ids carry its code, so no agency's id can meet another's (nor tell it exists)
    prefix = f"{actor.agency.lower()}."
    ident = data.get("id") or f"case-{uuid.uuid4().hex[:16]}"
    ident = ident if not isinstance(ident, str) or ident.startswith(prefix) else prefix + ident
    if not isinstance(ident, str) or len(ident) > 64 or session.get(Detainee, ident) is not None:
        raise InvalidInput("id must be a new identifier of up to 64 characters", details=[{"field": "id"}])
    row = Detainee(
        id=ident, owner_agency=actor.agency, owner_country=actor.country, distribution="agency", marking=marking,
        marking_rank=marking_rank, name=" ".join(name.split()), sex=data["sex"],
        birth_date=_date(data.get("birth_date"), "birth_date"), nationality=nationality.upper(),
        family_id=data.get("family_id") or None, unaccompanied_child=bool(data.get("unaccompanied_child")),
        child_screening=_screening(data.get("child_screening")), needs_medical=bool(data.get("needs_medical")),
        medical_clearance_until=_date(data.get("medical_clearance_until"), "medical_clearance_until", optional=True),
        order_type=data.get("order_type") or None,
        order_final_on=_date(data.get("order_final_on"), "order_final_on", optional=True),
        automatic_stay=bool(data.get("automatic_stay")), fear_claim=bool(data.get("fear_claim")),
        protection_claim=claim, protection_country=(data.get("protection_country") or None),
        counsel_of_record=bool(data.get("counsel_of_record")), ready_date=_date(data.get("ready_date"), "ready_date"),
        priority=priority, facility=_facility(data.get("facility")), created_at=utcnow(),
    )
    session.add(row)
    session.flush()
    audit.record(session, action="repatriation.case_create", actor=actor, objects=[(row.id, row.owner_agency)])
    return row


def record_fact(*, session: Session, actor: Actor, detainee_id: str, fact: str, value: Any) -> Detainee:
    """Record a late fact on a case file (a stay, a claim, a clearance, counsel notified)."""
    row = access_case(session, actor, detainee_id, "repatriation.case_update")
    now = utcnow()
    if fact == "discretionary_stay":
        row.discretionary_stay_at = now if value else None
    elif fact in ("fear_claim", "automatic_stay"):
        setattr(row, fact, bool(value))
    elif fact == "protection_claim":
        if value not in ("none", "pending", "granted"):
            raise InvalidInput("protection_claim must be none, pending or granted", details=[{"field": "value"}])
        row.protection_claim = value
    elif fact == "protection_country":
        if value and (not isinstance(value, str) or not 2 <= len(value) <= 3 or not value.isalpha()):
            raise InvalidInput("protection_country must be a country code", details=[{"field": "value"}])
        row.protection_country = value.upper() if value else None
    elif fact in ("medical_clearance_until", "order_final_on"):
        setattr(row, fact, _date(value, "value", optional=True))
    elif fact == "counsel_notified":
        row.counsel_notified_at = now if value else None
    elif fact == "child_screening":
        row.child_screening = _screening(value)
    else:
        raise InvalidInput(f"unknown fact {fact!r}", details=[{"field": "fact", "allowed": list(FACTS)}])
    session.flush()
    # The fact's name stays in the sender's own entry; no partner reads an entry about a case file.
    audit.record(session, action="repatriation.case_update", actor=actor, objects=[(row.id, row.owner_agency)],
                 extra={"fact": fact})
    return row


def as_case(row: Detainee) -> Case:
    """The gates' snapshot of a case file."""
    return Case(id=row.id, birth_date=row.birth_date, family_id=row.family_id,
                unaccompanied_child=row.unaccompanied_child, child_screening=row.child_screening,
                needs_medical=row.needs_medical, medical_clearance_until=row.medical_clearance_until,
                order_final_on=row.order_final_on, automatic_stay=row.automatic_stay,
                discretionary_stay_at=row.discretionary_stay_at, fear_claim=row.fear_claim,
                protection_claim=row.protection_claim, protection_country=row.protection_country,
                counsel_of_record=row.counsel_of_record, counsel_notified_at=row.counsel_notified_at)


#: case files on a page of the list, and the most a caller may ask for
PAGE_SIZE, MAX_PAGE_SIZE = 50, 200
#: what the list shows of each case file
SUMMARY_FIELDS = ("id", "name", "sex", "birth_date", "nationality", "family_id", "unaccompanied_child",
                  "needs_medical", "ready_date", "priority")


def list_cases(*, session: Session, actor: Actor, q: str | None = None, nationality: str | None = None,
               ready_by: date | None = None, page: int = 1, per_page: int = PAGE_SIZE) -> dict[str, Any]:
    """The case files of the actor's agency, first ready first, filtered by a part of the name, the
    nationality and the ready date, a page at a time; each case file on the page is audited."""
    require(actor, "repatriation.case_list")
    if q is not None and (not isinstance(q, str) or len(q) > 100):
        raise InvalidInput("q must be a text of up to 100 characters", details=[{"field": "q"}])
    if nationality and (not isinstance(nationality, str) or not 2 <= len(nationality) <= 3
                        or not nationality.isalpha()):
        raise InvalidInput("nationality must be a country code", details=[{"field": "nationality"}])
    for field, value, top in (("page", page, 100_000), ("per_page", per_page, MAX_PAGE_SIZE)):
        if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= top:
            raise InvalidInput(f"{field} must be a whole number from 1 to {top}", details=[{"field": field}])
    where = [visible_case_files(actor, Detainee)]
    if q and q.strip():
        where.append(func.lower(Detainee.name).contains(" ".join(q.split()).lower(), autoescape=True))
    if nationality:
        where.append(Detainee.nationality == nationality.upper())
    if ready_by is not None:
        where.append(Detainee.ready_date <= ready_by)
    total = session.execute(select(func.count()).select_from(Detainee).where(*where)).scalar_one()
    rows = list(session.execute(select(Detainee).where(*where).order_by(Detainee.ready_date, Detainee.id)
                                .offset((page - 1) * per_page).limit(per_page)).scalars())
    audit.record(session, action="repatriation.case_list", actor=actor,
                 objects=[(r.id, r.owner_agency) for r in rows], extra={"total": total, "page": page})
    return {"items": [{name: getattr(r, name) for name in SUMMARY_FIELDS} for r in rows], "total": total,
            "page": page, "per_page": per_page, "pages": max(1, -(-total // per_page))}


def partner_views(session: Session, actor: Actor, row: Detainee) -> list[dict[str, Any]]:
    """What the receiving side sees of this person: on each movement that lists them, the receiver's
    allow-listed view of the manifest line (the consulate sees the same), nothing of the case file."""
    found = session.execute(select(Movement, ManifestLine).join(ManifestLine, ManifestLine.movement_id == Movement.id)
                            .where(ManifestLine.detainee_id == row.id, visible_movements(actor, Movement))
                            .order_by(Movement.date, Movement.id)).all()
    return [{"movement": {"id": m.id, "date": m.date, "point": m.point, "mode": m.mode, "to_agency": m.to_agency,
                          "consulate": m.consulate, "state": m.state},
             "line": line_view(m.to_agency, m, line)} for m, line in found]


def read(*, session: Session, actor: Actor, detainee_id: str) -> dict[str, Any]:
    """A case file with its gate results and what the receiving side sees of the person, for its own
    agency; audited."""
    row = access_case(session, actor, detainee_id, "repatriation.case_read")
    results = session.execute(select(GateResult).where(GateResult.detainee_id == row.id,
                                                       visible_case_files(actor, GateResult))
                              .order_by(GateResult.id)).scalars()
    audit.record(session, action="repatriation.case_read", actor=actor, objects=[(row.id, row.owner_agency)])
    return {
        "id": row.id, "name": row.name, "sex": row.sex, "birth_date": row.birth_date, "nationality": row.nationality,
        "family_id": row.family_id, "unaccompanied_child": row.unaccompanied_child,
        "needs_medical": row.needs_medical, "order_type": row.order_type, "order_final_on": row.order_final_on,
        "protection_claim": row.protection_claim, "fear_claim": row.fear_claim,
        "discretionary_stay_at": row.discretionary_stay_at, "counsel_of_record": row.counsel_of_record,
        "counsel_notified_at": row.counsel_notified_at, "ready_date": row.ready_date, "priority": row.priority,
        "facility": row.facility,
        "gates": [{"stage": g.stage, "gate": g.gate, "passed": g.passed, "source": g.source, "detail": g.detail,
                   "movement_id": g.movement_id, "checked_at": g.checked_at} for g in results],
        "partner_sees": partner_views(session, actor, row),
    }


def record_results(session: Session, actor: Actor, detainee: Detainee, movement_id: str | None, stage: str,
                   outcomes: list[Any], at: datetime) -> None:
    """Write each gate's answer (who, when, source, outcome) to the sender's gate results."""
    session.add_all([GateResult(owner_agency=detainee.owner_agency, marking_rank=detainee.marking_rank,
                                detainee_id=detainee.id, movement_id=movement_id, stage=stage, gate=o.gate,
                                passed=o.passed, source=o.source, detail=o.detail, checked_by=actor.user_id,
                                checked_at=at) for o in outcomes])

"""The safeguards as blocking gates: pure checks of one person against one movement at one stage.

A gate answers pass or fail with a detail and the source it read; the service records every answer
(who, when, source, outcome) in the sender's gate results. Stages: `proposal` (a person proposed for
a movement, or for the planner), `lock` (the manifest is frozen) and `boarding` (immediately before
the door closes). The planner only ever sees people every proposal gate passed.

What a partner may learn of a failure is `partner_code(gate)`: every legal reason — a final order, a
stay, a fear or protection claim, a child's screening, counsel — is `legal_hold`, so that no receiving
output tells that a protection claim exists (8 CFR 208.6).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from binational.repatriation.arrangements import Arrangement, Point

STAGES = ("proposal", "lock", "boarding")
GATES = ("final_order", "discretionary_stay", "fear_claim", "protection_claim", "unaccompanied_child",
         "family", "medical", "counsel", "nationality_document")
#: the four criteria of the TVPRA screening of an unaccompanied child (8 USC 1232(a)(2))
CHILD_CRITERIA = ("not_trafficking_victim", "no_trafficking_risk", "no_credible_fear", "can_decide_independently")
#: gate -> the code a partner may see when it pulls someone
PARTNER_CODES = {"medical": "medical", "nationality_document": "document", "family": "family"}
#: codes of a pull a partner may see (anything else legal is `legal_hold`)
PARTNER_STATUSES = ("legal_hold", "medical", "document", "family", "no_show")


def partner_code(gate: str) -> str:
    """What a partner sees of a pull by `gate`: a protection or other legal reason is `legal_hold`."""
    return PARTNER_CODES.get(gate, "legal_hold")


@dataclass(frozen=True, slots=True)
class Case:
    """The facts of a case file the gates read (a snapshot of `models.Detainee`)."""

    id: str
    birth_date: date
    family_id: str | None
    unaccompanied_child: bool
    child_screening: str | None
    needs_medical: bool
    medical_clearance_until: date | None
    order_final_on: date | None
    automatic_stay: bool
    discretionary_stay_at: datetime | None
    fear_claim: bool
    protection_claim: str
    protection_country: str | None
    counsel_of_record: bool
    counsel_notified_at: datetime | None


@dataclass(frozen=True, slots=True)
class Trip:
    """What the gates read of a movement (None fields: a person checked before any movement, for the planner)."""

    country: str
    date: date
    mode: str | None = None
    start_hour: int | None = None
    end_hour: int | None = None
    medical_staff: bool | None = None
    point: Point | None = None
    proposed_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Outcome:
    """One gate's answer."""

    gate: str
    passed: bool
    source: str
    detail: str


def age_on(birth: date, on: date) -> int:
    """Whole years of age on a date."""
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def _child(case: Case, trip: Trip, arrangement: Arrangement) -> Outcome:
    source = "child screening (TVPRA)"
    if not case.unaccompanied_child:
        return Outcome("unaccompanied_child", True, source, "not an unaccompanied child")
    try:
        screening = json.loads(case.child_screening or "{}")
    except ValueError:
        screening = {}
    missing = [c for c in CHILD_CRITERIA if screening.get(c) is not True]
    if missing:
        return Outcome("unaccompanied_child", False, source, f"screening not met: {', '.join(missing)}")
    if not str(screening.get("rationale") or "").strip():
        return Outcome("unaccompanied_child", False, source, "screening has no documented rationale")
    if trip.mode is None:
        return Outcome("unaccompanied_child", True, source, "screened; slot rules left to the planner")
    point = trip.point
    if trip.mode != "land" or point is None or not point.child_welfare:
        return Outcome("unaccompanied_child", False, "arrangement",
                       "only by land to a point where child-welfare officials are present")
    start, end = point.window("unaccompanied_child")
    if trip.start_hour is None or trip.end_hour is None or trip.start_hour < start or trip.end_hour > end:
        return Outcome("unaccompanied_child", False, "arrangement", f"outside the children's hours {start}-{end}")
    notice = timedelta(hours=arrangement.lead_hours["vulnerable_notice"])
    moves_at = datetime.combine(trip.date, datetime.min.time()).replace(hour=trip.start_hour)
    if trip.proposed_at is not None and moves_at - trip.proposed_at.replace(tzinfo=None) < notice:
        return Outcome("unaccompanied_child", False, "arrangement",
                       f"less than {notice.total_seconds() / 3600:g} h notice to consulate and child welfare")
    return Outcome("unaccompanied_child", True, source, "screened; land, daytime, child welfare present, noticed")


def check(case: Case, trip: Trip, arrangement: Arrangement, *, stage: str, family_together: bool = True,
          verification: str | None = None, document_valid_until: date | None = None) -> list[Outcome]:
    """Every gate of `stage` for one person on one trip, in a fixed order."""
    out = []
    final = case.order_final_on is not None and case.order_final_on <= trip.date and not case.automatic_stay
    out.append(Outcome("final_order", final, "order record",
                       "final order, no automatic stay" if final else "no final order, or an automatic stay"))
    out.append(Outcome("discretionary_stay", case.discretionary_stay_at is None, "stay record",
                       "no stay" if case.discretionary_stay_at is None else "stay of removal recorded"))
    out.append(Outcome("fear_claim", not case.fear_claim, "screening record",
                       "no fear expressed" if not case.fear_claim else "fear expressed: referred for screening"))
    blocked = case.protection_claim == "pending" or (
        case.protection_claim == "granted" and (case.protection_country or "") == trip.country)
    out.append(Outcome("protection_claim", not blocked, "claims record",
                       "no bar" if not blocked else "protection claim bars removal to this country"))
    out.append(_child(case, trip, arrangement))
    out.append(Outcome("family", family_together, "family record",
                       "family travels together" if family_together else "family would be divided"))
    if case.needs_medical:
        cleared = case.medical_clearance_until is not None and case.medical_clearance_until >= trip.date
        staffed = trip.medical_staff is not False
        out.append(Outcome("medical", cleared and staffed, "medical clearance",
                           "fit, medically staffed" if cleared and staffed
                           else ("no valid fitness clearance" if not cleared else "transport has no medical staff")))
    else:
        out.append(Outcome("medical", True, "medical clearance", "no medical needs"))
    if stage in ("lock", "boarding"):
        noticed = not case.counsel_of_record or case.counsel_notified_at is not None
        out.append(Outcome("counsel", noticed, "counsel record",
                           "counsel notified or none of record" if noticed else "counsel of record not notified"))
        env = arrangement.verification == "env_manifest_verification"
        valid = verification == "verified" and (env or (document_valid_until is not None
                                                        and document_valid_until >= trip.date))
        out.append(Outcome("nationality_document", valid, "consular verification",
                           "nationality verified, document valid" if valid
                           else "nationality not verified or document not valid on the date"))
    return out


def failures(outcomes: list[Outcome]) -> list[Outcome]:
    """The gates that failed."""
    return [o for o in outcomes if not o.passed]

"""A movement's manifest: people assigned, the consulate's verification, lock, boarding, departure,
hand-over and reconciliation.

Every step runs the safeguards (`repatriation.gates`) where the issue puts them: a person is added to
a manifest only if every proposal gate passes; the lock is refused, naming person and gate to the
sender, while anyone fails; boarding re-checks and pulls whoever fails now (a stay recorded after the
lock), and the whole family with them. What the partners see of a pull is its partner code.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from binational.access.actions import Action, register
from binational.access.policy import Actor, visible_case_files
from binational.audit import log as audit
from binational.db import utcnow
from binational.errors import InvalidInput
from binational.repatriation import arrangements as lra
from binational.repatriation import casefiles, gates
from binational.repatriation.confidential import (
    age_group,
    category_counts,
    counts,
    movement_view,
    repatriation_type,
    request_text,
)
from binational.repatriation.models import Detainee, ManifestLine, Movement
from binational.repatriation.service import access_movement, lines_of, party
from binational.requests import service as requests

for _action in (
    Action("repatriation.assign", "record.edit", "put people on an accepted movement (every proposal gate checked)"),
    Action("repatriation.request_verification", "request.create", "ask the consulate to verify a manifest"),
    Action("repatriation.verify", "request.answer", "verify nationality and travel documents (the consulate)"),
    Action("repatriation.lock", "record.edit", "lock a manifest (every gate checked; refused naming person and gate)"),
    Action("repatriation.strike", "record.edit", "pull a person from a manifest with a coded reason"),
    Action("repatriation.board", "record.edit", "re-check every gate at boarding and pull whoever fails"),
    Action("repatriation.depart", "record.edit", "send the departure notice of a boarded movement"),
    Action("repatriation.receive", "request.answer", "record the hand-over receipt (the receiving agency)"),
    Action("repatriation.reconcile", "record.edit",
           "reconcile a movement's manifest with what was received (marks the movement reconciled)"),
):
    register(_action)

TRAVELLING = ("listed", "boarded")


def trip_of(movement: Movement) -> gates.Trip:
    """What the gates read of a movement."""
    point = lra.get(movement.arrangement).points.get(movement.point)
    return gates.Trip(country=movement.country, date=movement.date, mode=movement.mode,
                      start_hour=movement.start_hour, end_hour=movement.end_hour,
                      medical_staff=movement.medical_staff and (point.medical if point else False), point=point,
                      proposed_at=movement.created_at)


def _family_members(session: Session, actor: Actor, family_ids: set[str]) -> dict[str, set[str]]:
    if not family_ids:
        return {}
    found: dict[str, set[str]] = {}
    for ident, family in session.execute(select(Detainee.id, Detainee.family_id).where(
            Detainee.family_id.in_(sorted(family_ids)), visible_case_files(actor, Detainee))):
        if family is not None:
            found.setdefault(family, set()).add(ident)
    return found


def on_live_manifests(session: Session, detainee_ids: list[str]) -> set[str]:
    rows = session.execute(select(ManifestLine.detainee_id).join(Movement, Movement.id == ManifestLine.movement_id)
                           .where(ManifestLine.detainee_id.in_(detainee_ids), ManifestLine.status.in_(TRAVELLING),
                                  Movement.state.not_in(("refused", "received", "reconciled"))))
    return set(rows.scalars())


def add_people(session: Session, actor: Actor, movement: Movement, people: list[Detainee]) -> dict[str, Any]:
    """Run the proposal gates for each person on this movement; add those who pass (families whole),
    record every result, and tell the sender who failed which gate."""
    now, agreed, trip = utcnow(), lra.get(movement.arrangement), trip_of(movement)
    current = lines_of(session, movement)
    present = {line.detainee_id for line in current if line.status in TRAVELLING}
    busy = sorted(on_live_manifests(session, [p.id for p in people]) - present)
    if busy:
        raise InvalidInput(f"{busy[0]} is already on another movement's manifest", details=[{"field": "detainee_ids"}])
    chosen = {p.id for p in people} | present
    families = _family_members(session, actor, {p.family_id for p in people if p.family_id})
    outcomes = {}
    for person in people:
        together = person.family_id is None or families.get(person.family_id, set()) <= chosen
        outcomes[person.id] = gates.check(casefiles.as_case(person), trip, agreed, stage="proposal",
                                          family_together=together)
    failed = {pid for pid, found in outcomes.items() if gates.failures(found)}
    # families are indivisible: one member failing keeps the whole family off
    for family, members in families.items():
        if members & failed:
            for person in people:
                if person.family_id == family and person.id not in failed:
                    outcomes[person.id].append(gates.Outcome("family", False, "family record",
                                                             "a member of the family cannot travel"))
                    failed.add(person.id)
    passing = [p for p in people if p.id not in failed and p.id not in present]
    room = movement.capacity - len(present)
    if len(passing) > room:
        raise InvalidInput(f"the movement has room for {room} more, not {len(passing)} (rule capacity)",
                           details=[{"field": "detainee_ids", "rule": "capacity"}])
    for person in people:
        casefiles.record_results(session, actor, person, movement.id, "proposal", outcomes[person.id], now)
    groups = {line.family_group for line in current if line.family_group}
    labels: dict[str, str] = {}
    number = max((line.line_no for line in current), default=0)
    for person in sorted(passing, key=lambda p: (p.family_id or "~", p.ready_date, p.id)):
        if person.family_id and person.family_id not in labels:
            labels[person.family_id] = f"F{len(groups) + len(labels) + 1}"
        number += 1
        category = ("unaccompanied_child" if person.unaccompanied_child else
                    "child" if gates.age_on(person.birth_date, movement.date) < 18 else "adult")
        session.add(ManifestLine(movement_id=movement.id, from_agency=movement.from_agency,
                                 to_agency=movement.to_agency,
                                 consulate=movement.consulate, marking_rank=movement.marking_rank,
                                 detainee_id=person.id, line_no=number, name=person.name, sex=person.sex,
                                 birth_date=person.birth_date, nationality=person.nationality, category=category,
                                 family_group=labels.get(person.family_id or ""), status="listed",
                                 repatriation_type=repatriation_type(person.order_type)))
    session.flush()
    return {"added": [p.id for p in passing],
            "refused": [{"detainee_id": pid, "gates": [o.gate for o in gates.failures(outcomes[pid])]}
                        for pid in sorted(failed)]}


def assign(*, session: Session, actor: Actor, movement_id: str, detainee_ids: list[str]) -> dict[str, Any]:
    """Put people of the sender's case files on an accepted movement (the sender only)."""
    movement = access_movement(session, actor, movement_id, "repatriation.assign")
    party(actor, movement, "sender", "repatriation.assign")
    if movement.state != "accepted":
        raise InvalidInput(f"people are assigned to an accepted movement, not a {movement.state} one",
                           details=[{"field": "state"}])
    if not isinstance(detainee_ids, list) or not detainee_ids:
        raise InvalidInput("name at least one case file", details=[{"field": "detainee_ids"}])
    people = [casefiles.access_case(session, actor, d, "repatriation.assign") for d in dict.fromkeys(detainee_ids)]
    result = add_people(session, actor, movement, people)
    audit.record(session, action="repatriation.assign", actor=actor,
                 objects=[(movement.id, movement.from_agency), *[(p.id, p.owner_agency) for p in people]],
                 extra={"added": len(result["added"]), "refused": len(result["refused"])})
    return result


def request_verification(*, session: Session, actor: Actor, movement_id: str) -> Movement:
    """Ask the consulate to verify the nationality of everyone on the manifest (a request to it)."""
    movement = access_movement(session, actor, movement_id, "repatriation.request_verification")
    party(actor, movement, "sender", "repatriation.request_verification")
    if movement.state != "accepted" or not movement.consulate:
        raise InvalidInput("verification is asked of an accepted movement's consulate", details=[{"field": "state"}])
    if movement.verification_request_id:
        raise InvalidInput("verification was already asked", details=[{"field": "state"}])
    request = requests.submit(session=session, actor=actor, type="repatriation_verification",
                              to_agency=movement.consulate, question=request_text(movement, "verification"),
                              marking=movement.marking, subject=f"verification {movement.point} {movement.date}")
    movement.verification_request_id, movement.updated_at = request.id, utcnow()
    session.flush()
    audit.record(session, action="repatriation.request_verification", actor=actor,
                 objects=[(movement.id, movement.from_agency)])
    return movement


def verify(*, session: Session, actor: Actor, movement_id: str, line_nos: list[int] | None, outcome: str,
           document_number: str | None = None, valid_until: date | None = None) -> Movement:
    """The consulate verifies lines (all pending ones, where the arrangement verifies by manifest)."""
    movement = access_movement(session, actor, movement_id, "repatriation.verify")
    party(actor, movement, "consulate", "repatriation.verify")
    if outcome not in ("verified", "rejected"):
        raise InvalidInput("outcome must be verified or rejected", details=[{"field": "outcome"}])
    if document_number is not None and (not isinstance(document_number, str) or len(document_number) > 64):
        raise InvalidInput("the travel document's number is a text of up to 64 characters",
                           details=[{"field": "document_number"}])
    if not movement.verification_request_id:
        raise InvalidInput("no verification was asked for this movement", details=[{"field": "state"}])
    # a rejection after the lock still pulls the person at boarding; once they have boarded it is history
    if movement.state not in ("accepted", "locked"):
        raise InvalidInput(f"a {movement.state} movement's manifest is no longer verified",
                           details=[{"field": "state"}])
    lines = lines_of(session, movement)
    was_pending = any(line.verification == "pending" for line in lines)
    if line_nos is None:
        if lra.get(movement.arrangement).verification != "env_manifest_verification":
            raise InvalidInput("this arrangement verifies person by person: name the lines",
                               details=[{"field": "line_nos"}])
        chosen = [line for line in lines if line.verification == "pending"]
    else:
        by_no = {line.line_no: line for line in lines}
        unknown = [n for n in line_nos if n not in by_no]
        if unknown:
            raise InvalidInput(f"no line {unknown[0]} on the manifest", details=[{"field": "line_nos"}])
        chosen = [by_no[n] for n in line_nos]
        if outcome == "verified" and (not document_number or valid_until is None):
            raise InvalidInput("an individual verification gives the travel document and its validity",
                               details=[{"field": "document_number"}])
    now = utcnow()
    for line in chosen:
        line.verification, line.verified_at = outcome, now
        line.document_number, line.document_valid_until = document_number, valid_until
    movement.updated_at = now
    session.flush()
    if was_pending and all(line.verification != "pending" for line in lines):  # answered once, when complete
        requests.acknowledge(session=session, actor=actor, request_id=movement.verification_request_id,
                             note="verified")
    audit.record(session, action="repatriation.verify", actor=actor, objects=[(movement.id, movement.from_agency)],
                 extra={"lines": len(chosen), "outcome": outcome})
    return movement


def _gate_pass(session: Session, actor: Actor, movement: Movement, stage: str
               ) -> tuple[list[ManifestLine], dict[int, list[gates.Outcome]], dict[str, Detainee]]:
    lines = [line for line in lines_of(session, movement) if line.status in TRAVELLING]
    people = {d.id: d for d in session.execute(select(Detainee).where(
        Detainee.id.in_([line.detainee_id for line in lines]), visible_case_files(actor, Detainee))).scalars()}
    on_board = {line.detainee_id for line in lines}
    families = _family_members(session, actor, {p.family_id for p in people.values() if p.family_id})
    agreed, trip, now = lra.get(movement.arrangement), trip_of(movement), utcnow()
    found: dict[int, list[gates.Outcome]] = {}
    for line in lines:
        person = people[line.detainee_id]
        together = person.family_id is None or families.get(person.family_id, set()) <= on_board
        found[line.line_no] = gates.check(casefiles.as_case(person), trip, agreed, stage=stage,
                                          family_together=together, verification=line.verification,
                                          document_valid_until=line.document_valid_until)
        casefiles.record_results(session, actor, person, movement.id, stage, found[line.line_no], now)
    return lines, found, people


def lock(*, session: Session, actor: Actor, movement_id: str) -> dict[str, Any]:
    """Lock the manifest if every gate passes for everyone on it; otherwise nothing is locked and the
    sender is told each person and gate that failed (the results are recorded either way)."""
    movement = access_movement(session, actor, movement_id, "repatriation.lock")
    party(actor, movement, "sender", "repatriation.lock")
    if movement.state != "accepted":
        raise InvalidInput(f"an accepted movement is locked, not a {movement.state} one", details=[{"field": "state"}])
    lines, found, people = _gate_pass(session, actor, movement, "lock")
    if not lines:
        raise InvalidInput("the manifest is empty", details=[{"field": "manifest"}])
    failures = [{"line_no": line.line_no, "detainee_id": line.detainee_id, "name": people[line.detainee_id].name,
                 "gate": o.gate, "detail": o.detail}
                for line in lines for o in gates.failures(found[line.line_no])]
    if not failures:
        movement.state, movement.locked_at = "locked", utcnow()
        movement.updated_at = movement.locked_at
    session.flush()
    audit.record(session, action="repatriation.lock", actor=actor, objects=[(movement.id, movement.from_agency)],
                 decision="allow" if not failures else "deny", reason="" if not failures else "a gate failed",
                 extra={"lines": len(lines), "failures": len(failures)})
    return {"locked": not failures, "failures": failures}


def strike(*, session: Session, actor: Actor, movement_id: str, line_no: int, code: str) -> Movement:
    """The sender pulls one person from the manifest with a partner-visible code."""
    movement = access_movement(session, actor, movement_id, "repatriation.strike")
    party(actor, movement, "sender", "repatriation.strike")
    if code not in gates.PARTNER_STATUSES:
        raise InvalidInput(f"unknown code {code!r}",
                           details=[{"field": "code", "allowed": list(gates.PARTNER_STATUSES)}])
    if movement.state not in ("accepted", "locked"):
        raise InvalidInput(f"a {movement.state} movement's manifest is closed", details=[{"field": "state"}])
    line = next((li for li in lines_of(session, movement) if li.line_no == line_no), None)
    if line is None or line.status not in TRAVELLING:
        raise InvalidInput(f"no listed person on line {line_no}", details=[{"field": "line_no"}])
    line.status = code
    movement.updated_at = utcnow()
    session.flush()
    audit.record(session, action="repatriation.strike", actor=actor,
                 objects=[(movement.id, movement.from_agency), (line.detainee_id, movement.from_agency)],
                 extra={"code": code})
    return movement


def board(*, session: Session, actor: Actor, movement_id: str) -> dict[str, Any]:
    """Re-check every gate immediately before boarding: whoever fails now is pulled (with the rest of
    the family), the others board."""
    movement = access_movement(session, actor, movement_id, "repatriation.board")
    party(actor, movement, "sender", "repatriation.board")
    if movement.state != "locked":
        raise InvalidInput(f"a locked movement boards, not a {movement.state} one", details=[{"field": "state"}])
    lines, found, people = _gate_pass(session, actor, movement, "boarding")
    pulled: dict[int, str] = {}
    for line in lines:
        failed = gates.failures(found[line.line_no])
        if failed:
            pulled[line.line_no] = gates.partner_code(failed[0].gate)
    held = {people[line.detainee_id].family_id for line in lines if line.line_no in pulled} - {None}
    now = utcnow()
    for line in lines:
        person = people[line.detainee_id]
        if line.line_no not in pulled and person.family_id in held:
            pulled[line.line_no] = "family"
            casefiles.record_results(session, actor, person, movement.id, "boarding",
                                     [gates.Outcome("family", False, "family record",
                                                    "a member of the family was pulled at boarding")], now)
        line.status = pulled.get(line.line_no, "boarded")
    movement.state, movement.updated_at = "boarded", now
    session.flush()
    audit.record(session, action="repatriation.board", actor=actor, objects=[(movement.id, movement.from_agency)],
                 extra={"boarded": len(lines) - len(pulled), "pulled": len(pulled)})
    return {"boarded": len(lines) - len(pulled),
            "pulled": [{"line_no": n, "code": c} for n, c in sorted(pulled.items())]}


def depart(*, session: Session, actor: Actor, movement_id: str) -> Movement:
    """The departure notice: a request to the receiver, who confirms arrival with the hand-over receipt."""
    movement = access_movement(session, actor, movement_id, "repatriation.depart")
    party(actor, movement, "sender", "repatriation.depart")
    if movement.state != "boarded":
        raise InvalidInput(f"a boarded movement departs, not a {movement.state} one", details=[{"field": "state"}])
    aboard = [line for line in lines_of(session, movement) if line.status == "boarded"]
    request = requests.submit(session=session, actor=actor, type="repatriation_departure", to_agency=movement.to_agency,
                              question=request_text(movement, "departure") + f"; {len(aboard)} aboard",
                              marking=movement.marking, subject=f"departure {movement.point} {movement.date}")
    movement.state, movement.departed_at = "departed", utcnow()
    movement.updated_at = movement.departed_at
    movement.receipt = json.dumps({"departure_request": request.id})
    session.flush()
    audit.record(session, action="repatriation.depart", actor=actor, objects=[(movement.id, movement.from_agency)],
                 extra={"aboard": len(aboard)})
    return movement


RECEIPT_COUNTS = ("adults", "children", "unaccompanied_children", "men", "women")


def _count(raw: dict[str, Any], key: str) -> int:
    value = raw.get(key, 0)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise InvalidInput(f"{key} must be a count", details=[{"field": f"counts.{key}"}])
    return value


def receive(*, session: Session, actor: Actor, movement_id: str, receipt: dict[str, Any]) -> dict[str, Any]:
    """The receiver's hand-over receipt: counts by category, officers, reception certificates,
    belongings, and the reason of any hand-over outside the point's hours. Counts that differ from the
    manifest are recorded with the difference and flagged."""
    movement = access_movement(session, actor, movement_id, "repatriation.receive")
    party(actor, movement, "receiver", "repatriation.receive")
    if movement.state != "departed":
        raise InvalidInput(f"a departed movement is received, not a {movement.state} one", details=[{"field": "state"}])
    if not isinstance(receipt, dict):
        raise InvalidInput("the receipt is a mapping", details=[{"field": "receipt"}])
    raw_counts = receipt.get("counts")
    if not isinstance(raw_counts, dict):
        raise InvalidInput("the receipt counts people by category", details=[{"field": "counts"}])
    got = {key: _count(raw_counts, key) for key in RECEIPT_COUNTS}
    officer = receipt.get("receiving_officer")
    if not isinstance(officer, str) or not officer.strip() or len(officer) > 200:
        raise InvalidInput("the receiving officer is named (up to 200 characters)",
                           details=[{"field": "receiving_officer"}])
    welfare = receipt.get("child_welfare_officer")
    if welfare is not None and (not isinstance(welfare, str) or len(welfare) > 200):
        raise InvalidInput("the child-welfare officer is named in up to 200 characters",
                           details=[{"field": "child_welfare_officer"}])
    if (got["children"] or got["unaccompanied_children"]) and (not isinstance(welfare, str) or not welfare.strip()):
        raise InvalidInput("minors are received by a named child-welfare officer",
                           details=[{"field": "child_welfare_officer"}])
    certificates = receipt.get("certificates", [])
    if (not isinstance(certificates, list) or len(certificates) > 5000
            or not all(isinstance(c, str) and c.strip() and len(c) <= 64 for c in certificates)):
        raise InvalidInput("certificates are a list of up to 5000 numbers of up to 64 characters",
                           details=[{"field": "certificates"}])
    hour = receipt.get("hour")
    if not isinstance(hour, int) or isinstance(hour, bool) or not 0 <= hour <= 23:
        raise InvalidInput("hour of the hand-over must be from 0 to 23", details=[{"field": "hour"}])
    point = lra.get(movement.arrangement).point(movement.point)
    population = ("unaccompanied_child" if got["unaccompanied_children"] else
                  "vulnerable" if got["children"] else "general")
    start, end = point.window(population)
    reason = receipt.get("out_of_hours_reason")
    if reason is not None and (not isinstance(reason, str) or len(reason) > 2000):
        raise InvalidInput("the reason is a text of up to 2000 characters", details=[{"field": "out_of_hours_reason"}])
    outside = not start <= hour < end
    if outside and (not isinstance(reason, str) or not reason.strip()):
        raise InvalidInput(f"a hand-over at {hour:02d}:00 is outside {start:02d}:00-{end:02d}:00: give its reason "
                           "(rule LRA-2)", details=[{"field": "out_of_hours_reason", "rule": "LRA-2"}])
    aboard = category_counts([line for line in lines_of(session, movement) if line.status == "boarded"])
    difference = {key: got[key] - aboard[key] for key in RECEIPT_COUNTS if got[key] != aboard[key]}
    received = got["adults"] + got["children"] + got["unaccompanied_children"]
    if len(certificates) != received:
        difference["certificates"] = len(certificates) - received
    now = utcnow()
    movement.receipt = json.dumps({
        **json.loads(movement.receipt or "{}"), "counts": got, "receiving_officer": officer.strip(),
        "child_welfare_officer": welfare.strip() if isinstance(welfare, str) else None,
        "certificates": [c.strip() for c in certificates],
        "belongings_returned": bool(receipt.get("belongings_returned")),
        "hour": hour, "out_of_hours": outside}, sort_keys=True)
    movement.out_of_hours_reason = reason.strip() if outside and isinstance(reason, str) else None
    movement.difference = json.dumps(difference, sort_keys=True)
    movement.flagged = bool(difference)
    movement.state, movement.received_at, movement.updated_at = "received", now, now
    session.flush()
    departure = json.loads(movement.receipt).get("departure_request")
    if departure:
        requests.acknowledge(session=session, actor=actor, request_id=departure, note="received")
    audit.record(session, action="repatriation.receive", actor=actor, objects=[(movement.id, movement.from_agency)],
                 extra={"received": received, "flagged": movement.flagged, "out_of_hours": outside})
    return movement_view(actor.agency, movement)


def reconcile(*, session: Session, actor: Actor, movement_id: str) -> dict[str, Any]:
    """Manifest against received, as either side may see it; the movement is marked reconciled."""
    movement = access_movement(session, actor, movement_id, "repatriation.reconcile")
    if actor.agency not in (movement.from_agency, movement.to_agency):
        party(actor, movement, "sender", "repatriation.reconcile")
    if movement.state not in ("received", "reconciled"):
        raise InvalidInput("a received movement is reconciled", details=[{"field": "state"}])
    lines = lines_of(session, movement)
    summary = counts(lines)
    receipt = json.loads(movement.receipt or "{}")
    aboard = category_counts([line for line in lines if line.status == "boarded"])
    result = {"movement_id": movement.id, "listed": summary["listed"], "by_status": summary["by_status"],
              "boarded": aboard, "received": receipt.get("counts", {}),
              "difference": json.loads(movement.difference or "{}"), "flagged": movement.flagged,
              "age_groups": _age_groups(movement, lines)}
    movement.state, movement.updated_at = "reconciled", utcnow()
    session.flush()
    audit.record(session, action="repatriation.reconcile", actor=actor, objects=[(movement.id, movement.from_agency)],
                 extra={"flagged": movement.flagged})
    return result


def _age_groups(movement: Movement, lines: list[ManifestLine]) -> dict[str, int]:
    found: dict[str, int] = {}
    for line in lines:
        if line.status == "boarded":
            group = age_group(line.birth_date, movement.date)
            found[group] = found.get(group, 0) + 1
    return dict(sorted(found.items()))


def view(session: Session, actor: Actor, movement: Movement) -> dict[str, Any]:
    """The movement with its manifest as the actor's agency sees it (no audit: the caller's read has one)."""
    return movement_view(actor.agency, movement, lines_of(session, movement))


"""Criminal-interest notices: the sender tells the arrangement's prosecutor's liaison that a person
of interest to the receiving country's prosecutors is on a hand-over.

A notice is a `repatriation_criminal_notice` request on the requests workflow, to the agency the
arrangement names as `prosecutor_liaison`, so it is seen by the sender and the liaison alone (the
requests rule of `access/policy.py`); the receiver and the consulate are no party to it, and the
liaison is no party to the movement. Its text is built from the allow-list of
`confidential.notice_text`: the person's name, sex, birth date and nationality, the hand-over's
mode, point, date and window, and the basis and reference the sender gives. Never a case file, a
gate, a claim, another person of the manifest or the movement's id. No notice is sent about a person
whose fear or protection claim is on file (8 CFR 208.6): the refusal is told to the sender alone.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from binational.access.actions import Action, register
from binational.access.policy import Actor, visible_case_files
from binational.audit import log as audit
from binational.errors import InvalidInput
from binational.repatriation.confidential import NOTICE_BASES, notice_text
from binational.repatriation.manifest import TRAVELLING
from binational.repatriation.models import Detainee, ManifestLine
from binational.repatriation.service import access_movement, arrangement_for, party
from binational.requests import service as requests
from binational.requests.types import RequestType, register_type

register(Action("repatriation.criminal_notice", "request.create",
                "notify the arrangement's prosecutor's liaison of a person of criminal interest on a hand-over"))
register_type(RequestType(name="repatriation_criminal_notice", label_en="Criminal-interest notice",
                          label_es="Aviso de interés penal", default_due=timedelta(hours=24),
                          description="a person of interest to the prosecutors is on a repatriation hand-over"))

#: movements whose people are still to be handed over
NOTICE_STATES = ("accepted", "locked", "boarded", "departed")
MAX_REFERENCE = 64


def send(*, session: Session, actor: Actor, movement_id: str, line_no: Any, basis: Any, reference: Any
         ) -> dict[str, Any]:
    """Send a criminal-interest notice about one travelling person of a movement of the actor's agency."""
    movement = access_movement(session, actor, movement_id, "repatriation.criminal_notice")
    party(actor, movement, "sender", "repatriation.criminal_notice")
    if movement.state not in NOTICE_STATES:
        raise InvalidInput(f"a notice is sent about people still to be handed over, not on a {movement.state} "
                           "movement", details=[{"field": "state"}])
    if basis not in NOTICE_BASES:
        raise InvalidInput(f"unknown basis {basis!r}", details=[{"field": "basis", "allowed": list(NOTICE_BASES)}])
    if not isinstance(reference, str) or not reference.strip() or len(reference) > MAX_REFERENCE \
            or not reference.isprintable():
        raise InvalidInput(f"the reference is a line of 1 to {MAX_REFERENCE} characters",
                           details=[{"field": "reference"}])
    line = session.execute(select(ManifestLine).where(ManifestLine.movement_id == movement.id,
                                                      ManifestLine.line_no == line_no)).scalar_one_or_none() \
        if isinstance(line_no, int) and not isinstance(line_no, bool) else None
    if line is None or line.status not in TRAVELLING:
        raise InvalidInput(f"line {line_no} is not a person travelling on this movement",
                           details=[{"field": "line_no"}])
    case = session.execute(select(Detainee).where(Detainee.id == line.detainee_id,
                                                  visible_case_files(actor, Detainee))).scalar_one_or_none()
    if case is None:
        # a colleague cleared below the case file: refused alike whatever the file holds
        raise InvalidInput(f"line {line_no}: the person's case file is beyond your clearance",
                           details=[{"field": "line_no"}])
    if case.fear_claim or case.protection_claim != "none":
        # told to the sender alone: its own case file holds a claim the liaison must never learn of
        raise InvalidInput(f"line {line_no}: no notice about a person with a fear or protection claim on file",
                           details=[{"field": "line_no", "gate": "protection_claim"}])
    # the arrangement in force (one no longer in it is refused as unknown, not a server error)
    liaison = arrangement_for(actor, movement.arrangement).contacts["prosecutor_liaison"].get("agency")
    if not liaison:
        raise InvalidInput("the arrangement names no prosecutor's liaison agency",
                           details=[{"field": "arrangement"}])
    request = requests.submit(session=session, actor=actor, type="repatriation_criminal_notice", to_agency=liaison,
                              question=notice_text(movement, line, basis, reference.strip()),
                              marking=movement.marking, subject=f"criminal-interest notice {movement.point} "
                                                                f"{movement.date.isoformat()}")
    audit.record(session, action="repatriation.criminal_notice", actor=actor,
                 objects=[(movement.id, movement.from_agency)],
                 extra={"line_no": line.line_no, "request": request.id, "to_agency": liaison})
    return {"request_id": request.id, "to_agency": liaison, "line_no": line.line_no, "text": request.question}

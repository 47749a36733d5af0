"""HTTP routes of repatriation: case files, movements and their manifests, the planning board,
statistics. Each goes through the policy, answers with the allow-listed views, and commits once."""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from binational.audit.export import spreadsheet_cell
from binational.config import get_settings
from binational.repatriation import (
    board,
    casefiles,
    convoys,
    import_runs,
    imports,
    manifest,
    notices,
    service,
    statistics,
)
from binational.repatriation.confidential import LINE_FIELDS
from binational.repatriation.schemas import (
    AssignIn,
    CaseFileIn,
    FactIn,
    MovementIn,
    NoticeIn,
    PlanIn,
    ReceiptIn,
    ResponseIn,
    StrikeIn,
    VerifyIn,
)
from binational.routing import ActorDep, SessionDep, json_response

router = APIRouter(prefix="/repatriation", tags=["repatriation"])
MovementId = Annotated[str, "a movement id"]


@router.get("/arrangements")
def arrangements(s: SessionDep, actor: ActorDep) -> list[dict[str, Any]]:
    """The local arrangements the caller's agency is a party to (shipped defaults say `assumptions`)."""
    return service.list_arrangements(session=s, actor=actor)


@router.post("/cases", status_code=201)
def create_case(body: CaseFileIn, s: SessionDep, actor: ActorDep) -> dict[str, Any]:
    """Open a detainee's case file of the caller's agency."""
    row = casefiles.create(session=s, actor=actor, data=body.model_dump())
    return {"id": row.id}


@router.get("/cases")
def list_cases(
    s: SessionDep,
    actor: ActorDep,
    q: Annotated[str | None, Query(max_length=100, description="a part of the name")] = None,
    nationality: Annotated[str | None, Query(max_length=3, description="a country code")] = None,
    ready_by: Annotated[date | None, Query(description="ready on or before this day")] = None,
    page: Annotated[int, Query(ge=1, le=100_000, description="the page, from 1")] = 1,
    per_page: Annotated[int, Query(ge=1, le=casefiles.MAX_PAGE_SIZE, description="case files a page")] = 50,
) -> dict[str, Any]:
    """The case files of the caller's agency, first ready first, filtered, a page at a time."""
    return casefiles.list_cases(session=s, actor=actor, q=q, nationality=nationality, ready_by=ready_by, page=page,
                                per_page=per_page)


@router.get("/cases/{detainee_id}")
def read_case(detainee_id: str, s: SessionDep, actor: ActorDep) -> dict[str, Any]:
    """A case file with its gate results (its own agency only)."""
    return casefiles.read(session=s, actor=actor, detainee_id=detainee_id)


@router.post("/cases/{detainee_id}/facts")
def record_fact(detainee_id: str, body: FactIn, s: SessionDep, actor: ActorDep) -> dict[str, Any]:
    """Record a late fact on a case file (a stay, a claim, a clearance, counsel notified)."""
    casefiles.record_fact(session=s, actor=actor, detainee_id=detainee_id, fact=body.fact, value=body.value)
    return casefiles.read(session=s, actor=actor, detainee_id=detainee_id)


@router.post("/movements", status_code=201)
def propose(body: MovementIn, s: SessionDep, actor: ActorDep) -> dict[str, Any]:
    """Propose a flight or land hand-over; a proposal breaking a rule is refused naming it."""
    movement = service.propose(session=s, actor=actor, arrangement=body.arrangement, mode=body.mode,
                               point=body.point, day=body.date, start_hour=body.start_hour, end_hour=body.end_hour,
                               capacity=body.capacity, expected=body.expected, medical_staff=body.medical_staff,
                               marking=body.marking)
    return manifest.view(s, actor, movement)


@router.get("/movements")
def list_movements(
    s: SessionDep,
    actor: ActorDep,
    role: Annotated[str | None, Query(max_length=16, description="sender, receiver or consulate")] = None,
    state: Annotated[str | None, Query(max_length=16, description="only movements in this state")] = None,
    date_from: Annotated[date | None, Query(description="first day")] = None,
    date_to: Annotated[date | None, Query(description="last day")] = None,
    limit: Annotated[int, Query(ge=1, le=1000, description="most movements")] = 200,
) -> list[dict[str, Any]]:
    """The movements the caller's agency sends, receives or verifies (the acceptance queue and calendar)."""
    return service.list_movements(session=s, actor=actor, role=role, state=state, date_from=date_from,
                                  date_to=date_to, limit=limit)


@router.get("/movements/{movement_id}")
def read_movement(movement_id: MovementId, s: SessionDep, actor: ActorDep) -> dict[str, Any]:
    """One movement with its manifest, as the caller's agency may see it."""
    return service.read(session=s, actor=actor, movement_id=movement_id)


@router.get("/movements/{movement_id}/manifest.csv", response_class=Response, responses={200: {
    "description": "the manifest's allow-listed fields, one line a person", "content": {"text/csv": {}}}})
def export_manifest(movement_id: MovementId, s: SessionDep, actor: ActorDep) -> Response:
    """The manifest as CSV: the allow-listed fields of each line (audited as an export)."""
    view = service.read(session=s, actor=actor, movement_id=movement_id, action="repatriation.export")
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([*LINE_FIELDS, "age_group"])
    for line in view["manifest"]:
        # a name the sender typed never runs as a formula in the receiver's spreadsheet
        writer.writerow([spreadsheet_cell(line[f]) if line[f] is not None else "" for f in (*LINE_FIELDS, "age_group")])
    return Response(out.getvalue(), media_type="text/csv")


@router.post("/movements/{movement_id}/respond")
def respond(movement_id: MovementId, body: ResponseIn, s: SessionDep, actor: ActorDep) -> dict[str, Any]:
    """The receiver accepts, counters or refuses (naming the rule)."""
    movement = service.respond(session=s, actor=actor, movement_id=movement_id, decision=body.decision,
                               rule=body.rule, counter=body.counter, note=body.note)
    return manifest.view(s, actor, movement)


@router.post("/movements/{movement_id}/accept-counter")
def accept_counter(movement_id: MovementId, s: SessionDep, actor: ActorDep) -> dict[str, Any]:
    """The sender takes the receiver's counter-proposal."""
    return manifest.view(s, actor, service.accept_counter(session=s, actor=actor, movement_id=movement_id))


@router.post("/movements/{movement_id}/assign")
def assign(movement_id: MovementId, body: AssignIn, s: SessionDep, actor: ActorDep) -> dict[str, Any]:
    """Put people on an accepted movement: whoever fails a proposal gate stays off (told to the sender)."""
    return manifest.assign(session=s, actor=actor, movement_id=movement_id, detainee_ids=body.detainee_ids)


@router.post("/movements/{movement_id}/verification")
def request_verification(movement_id: MovementId, s: SessionDep, actor: ActorDep) -> dict[str, Any]:
    """Ask the consulate to verify the manifest."""
    return manifest.view(s, actor, manifest.request_verification(session=s, actor=actor, movement_id=movement_id))


@router.post("/movements/{movement_id}/verify")
def verify(movement_id: MovementId, body: VerifyIn, s: SessionDep, actor: ActorDep) -> dict[str, Any]:
    """The consulate verifies nationality and travel documents."""
    movement = manifest.verify(session=s, actor=actor, movement_id=movement_id, line_nos=body.line_nos,
                               outcome=body.outcome, document_number=body.document_number,
                               valid_until=body.valid_until)
    return manifest.view(s, actor, movement)


@router.post("/movements/{movement_id}/lock")
def lock(movement_id: MovementId, s: SessionDep, actor: ActorDep) -> Response:
    """Lock the manifest; while anyone fails a gate, 409 naming each person and gate (the results are kept)."""
    outcome = manifest.lock(session=s, actor=actor, movement_id=movement_id)
    if not outcome["locked"]:
        first = outcome["failures"][0]
        return json_response({"error": {
            "code": "conflict", "details": outcome["failures"],
            "message": f"the manifest is not locked: {first['name']} (line {first['line_no']}) fails {first['gate']}"
                       + (f" and {len(outcome['failures']) - 1} more" if len(outcome["failures"]) > 1 else "")}}, 409)
    return json_response(outcome)


@router.post("/movements/{movement_id}/strike")
def strike(movement_id: MovementId, body: StrikeIn, s: SessionDep, actor: ActorDep) -> dict[str, Any]:
    """Pull a person from the manifest with a coded reason."""
    movement = manifest.strike(session=s, actor=actor, movement_id=movement_id, line_no=body.line_no,
                               code=body.code)
    return manifest.view(s, actor, movement)


@router.post("/movements/{movement_id}/board")
def board_movement(movement_id: MovementId, s: SessionDep, actor: ActorDep) -> dict[str, Any]:
    """Re-check every gate at boarding; whoever fails is pulled."""
    return manifest.board(session=s, actor=actor, movement_id=movement_id)


@router.post("/movements/{movement_id}/depart")
def depart(movement_id: MovementId, s: SessionDep, actor: ActorDep) -> dict[str, Any]:
    """Send the departure notice."""
    return manifest.view(s, actor, manifest.depart(session=s, actor=actor, movement_id=movement_id))


@router.post("/movements/{movement_id}/receive")
def receive(movement_id: MovementId, body: ReceiptIn, s: SessionDep, actor: ActorDep) -> dict[str, Any]:
    """The receiver's hand-over receipt; counts that differ from the manifest are flagged."""
    return manifest.receive(session=s, actor=actor, movement_id=movement_id, receipt=body.model_dump())


@router.post("/movements/{movement_id}/reconcile")
def reconcile(movement_id: MovementId, s: SessionDep, actor: ActorDep) -> dict[str, Any]:
    """Manifest against received."""
    return manifest.reconcile(session=s, actor=actor, movement_id=movement_id)


@router.post("/movements/{movement_id}/criminal-notice", status_code=201)
def criminal_notice(movement_id: MovementId, body: NoticeIn, s: SessionDep, actor: ActorDep) -> dict[str, Any]:
    """Notify the arrangement's prosecutor's liaison of a person of criminal interest on the movement."""
    return notices.send(session=s, actor=actor, movement_id=movement_id, line_no=body.line_no, basis=body.basis,
                        reference=body.reference)


@router.get("/movements/{movement_id}/convoy")
def convoy(
    movement_id: MovementId,
    s: SessionDep,
    actor: ActorDep,
    buses: Annotated[int, Query(ge=1, le=convoys.MAX_BUSES, description="buses available")],
    seats: Annotated[int, Query(ge=1, le=convoys.MAX_SEATS, description="seats a bus")],
    depart_hour: Annotated[int, Query(ge=0, le=23, description="the earliest hour a bus leaves its garage")] = 0,
) -> dict[str, Any]:
    """The buses of a land movement from the detention facilities to the port within its window (the
    sender's alone: anyone else gets 404)."""
    return convoys.convoy_for(session=s, actor=actor, movement_id=movement_id, buses=buses, seats=seats,
                              depart_hour=depart_hour)


@router.post("/plan")
def plan(body: PlanIn, s: SessionDep, actor: ActorDep) -> dict[str, Any]:
    """The planning board: gates first, then the planner over the accepted movements of the period."""
    return board.plan_board(session=s, actor=actor, arrangement=body.arrangement, date_from=body.date_from,
                            date_to=body.date_to, first_seconds=body.first_seconds,
                            second_seconds=body.second_seconds)


@router.get("/statistics")
def stats(
    s: SessionDep,
    actor: ActorDep,
    date_from: Annotated[date | None, Query(description="first day")] = None,
    date_to: Annotated[date | None, Query(description="last day")] = None,
) -> dict[str, Any]:
    """Statistics of the movements the caller's agency is a party to."""
    return statistics.statistics(session=s, actor=actor, date_from=date_from, date_to=date_to)


@router.post("/imports/{kind}", status_code=201, responses={202: {"description": "a larger file: its import run"}},
             openapi_extra={"requestBody": {"required": True, "content": {"text/csv": {"schema": {"type": "string"}}}}})
async def import_series(
    kind: Annotated[str, "khsm (a sheet of the DHS workbook) or ice-air (the per-flight aggregates)"],
    request: Request, s: SessionDep, actor: ActorDep,
    source: Annotated[str, Query(max_length=100, description="the file's name, in messages")] = "upload.csv",
) -> Response:
    """Import an official series from the CSV body, all or nothing: every row is checked first, and a
    bad row is named by its line and field with nothing imported; replaces the agency's copy. A file
    of at most `repatriation_import_inline_bytes` is imported here (201 with the series, or 422); a
    larger one in the background (202 with its run: follow it at `/imports/runs/{id}`)."""
    body = await request.body()
    if len(body) > get_settings().repatriation_import_inline_bytes:
        run = import_runs.start(session=s, actor=actor, kind=kind, name=source, data=body)
        import_runs.launch_after_commit(s, run.id)
        return json_response(import_runs.view(run), 202)
    # off the event loop: other requests go on
    return json_response(await run_in_threadpool(lambda: imports.import_upload(
        session=s, actor=actor, kind=kind, name=source, data=body)), 201)


@router.get("/imports/runs/{run_id}")
def import_run(run_id: Annotated[str, Path(max_length=32)], s: SessionDep, actor: ActorDep) -> dict[str, Any]:
    """One's own import run: status, progress, and the series imported or the line and field refused
    (404 for another user's, as for one that does not exist)."""
    return import_runs.read(session=s, actor=actor, run_id=run_id)


@router.get("/series/{series}")
def series(
    series: Annotated[str, "series name"],
    s: SessionDep,
    actor: ActorDep,
    dimension: Annotated[str | None, Query(max_length=64, description="a dimension to filter on")] = None,
    value: Annotated[str | None, Query(max_length=200, description="its value")] = None,
    agency: Annotated[str | None, Query(max_length=32, description="whose copy (else the caller's)")] = None,
) -> list[dict[str, Any]]:
    """Totals by period of an agency's copy of an imported official series (the caller's by default)."""
    return statistics.official_series(session=s, actor=actor, series=series, dimension=dimension, value=value,
                                      agency=agency)

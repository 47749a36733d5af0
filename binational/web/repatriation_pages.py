"""Repatriation pages: the sender's planning board, the receiver's acceptance queue and calendar, the
consulate's verification queue, a movement's manifest and hand-over screen, statistics with charts.

Every page reads through the services, whose views are the allow-listed ones of
`repatriation.confidential`: a receiver's or a consulate's page can show nothing else. A form that
breaks a rule shows the page again with the rule's message, and writes nothing.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from binational.access.policy import Actor, can, require
from binational.config import get_settings
from binational.errors import Conflict, InvalidInput
from binational.repatriation import board, casefiles, convoys, import_runs, imports, manifest, service, statistics
from binational.repatriation.confidential import LINE_STATUSES
from binational.repatriation.service import REFUSAL_RULES
from binational.routing import SessionDep
from binational.web import i18n
from binational.web.render import PageActor, redirect, render
from binational.web.sessions import check_csrf

RunId = Annotated[str, Path(max_length=32)]
router = APIRouter(prefix="/repatriation", dependencies=[Depends(check_csrf)], include_in_schema=False)


#: a whole number a form may give: ASCII digits only (`str.isdigit` takes "²", which `int` refuses),
#: short enough that `int` never meets its digit limit
WHOLE = re.compile(r"-?[0-9]{1,9}")


def _int(form: Any, name: str, default: int = 0) -> int:
    text = str(form.get(name, "")).strip()
    if not text:
        return default
    if not WHOLE.fullmatch(text):
        raise InvalidInput(f"{name} must be a whole number", details=[{"field": name}])
    return int(text)


def _typed(form: Any, name: str, default: int) -> int | str:
    """A whole number, or the text as typed, for a service that checks its policy before its input."""
    text = str(form.get(name, "")).strip()
    return default if not text else int(text) if WHOLE.fullmatch(text) else text


def _day(form: Any, name: str) -> date:
    try:
        return date.fromisoformat(str(form.get(name, "")).strip())
    except ValueError:
        raise InvalidInput(f"{name} must be a date YYYY-MM-DD", details=[{"field": name}]) from None


def _optional_day(form: Any, name: str) -> date | None:
    return _day(form, name) if str(form.get(name, "")).strip() else None


def _board(request: Request, s: Any, actor: Actor, *, error: str | None = None, result: Any = None,
           status: int = 200) -> HTMLResponse:
    found = service.list_movements(session=s, actor=actor, limit=500)
    agreements = service.list_arrangements(session=s, actor=actor)
    today = date.today()
    return render(request, "repatriation/index.html", status, movements=found, arrangements=agreements,
                  sending=[a for a in agreements if a["sender"] == actor.agency],
                  queue=[m for m in found if m["role"] == "receiver" and m["state"] == "proposed"],
                  verifying=[m for m in found if m["role"] == "consulate" and m["verification_requested"]
                             and m["state"] == "accepted"],
                  error=error, result=result, may_propose=can(actor, "repatriation.propose").allowed,
                  default_day=(today + timedelta(days=7)).isoformat(),
                  default_to=(today + timedelta(days=14)).isoformat())


@router.get("", response_class=HTMLResponse)
def index(request: Request, s: SessionDep, actor: PageActor) -> HTMLResponse:
    """The board: proposals and planning (sender), the acceptance queue (receiver), the verification
    queue (consulate), and the calendar of every movement the agency is a party to."""
    return _board(request, s, actor)


@router.post("/propose", response_model=None)
async def propose(request: Request, s: SessionDep, actor: PageActor) -> Response:
    """Propose a movement from the board's form."""
    form = await request.form()
    lang = i18n.language(request)
    try:
        arrangement, point = str(form.get("point", "")).split("/", 1) if "/" in str(form.get("point", "")) else ("", "")
        agreed = next((a for a in service.list_arrangements(session=s, actor=actor) if a["id"] == arrangement), None)
        mode = next((p["mode"] for p in agreed["points"] if p["id"] == point), "") if agreed else ""
        movement = service.propose(
            session=s, actor=actor, arrangement=arrangement, mode=mode, point=point, day=_day(form, "date"),
            start_hour=_int(form, "start_hour"), end_hour=_int(form, "end_hour"), capacity=_int(form, "capacity"),
            expected={k: _int(form, k) for k in ("adults", "children", "unaccompanied_children") if form.get(k)},
            medical_staff=form.get("medical_staff") == "on")
    except InvalidInput as exc:
        s.rollback()
        return _board(request, s, actor, error=i18n.error(lang, exc.message), status=422)
    return redirect(f"/repatriation/movements/{movement.id}")


@router.post("/plan", response_class=HTMLResponse)
async def plan(request: Request, s: SessionDep, actor: PageActor) -> HTMLResponse:
    """Run the planning board over the sender's accepted movements of a period."""
    form = await request.form()
    lang = i18n.language(request)
    try:
        result = board.plan_board(session=s, actor=actor, arrangement=str(form.get("arrangement", "")),
                                  date_from=_day(form, "date_from"), date_to=_day(form, "date_to"),
                                  first_seconds=5.0, second_seconds=10.0)
    except InvalidInput as exc:
        s.rollback()
        return _board(request, s, actor, error=i18n.error(lang, exc.message), status=422)
    return _board(request, s, actor, result=result)


def _import_page(request: Request, status: int = 200, *, kind: str = "khsm", error: str | None = None,
                 result: dict[str, Any] | None = None, source: str = "", run: dict[str, Any] | None = None
                 ) -> HTMLResponse:
    return render(request, "repatriation/import.html", status, kinds=sorted(imports.KINDS), kind=kind, error=error,
                  result=result, source=source, run=run, max_mb=get_settings().import_max_bytes // 1_048_576)


@router.get("/import", response_class=HTMLResponse)
def import_form(request: Request, actor: PageActor) -> HTMLResponse:
    """The form of an official series' import: a sheet of the DHS workbook or the ICE Air flights."""
    require(actor, "repatriation.import")
    return _import_page(request)


@router.post("/import", response_class=HTMLResponse)
async def import_file(request: Request, s: SessionDep, actor: PageActor) -> HTMLResponse:
    """Import the uploaded file, all or nothing: a bad row is named by its line and field on the page."""
    form = await request.form()
    upload, kind = form.get("file"), str(form.get("kind", ""))
    lang = i18n.language(request)
    if not isinstance(upload, UploadFile) or not upload.filename:
        return _import_page(request, 422, kind=kind, error=i18n.translate(lang, "error.required"))
    source = upload.filename.replace("\\", "/").rsplit("/", 1)[-1][:100]
    data = await upload.read()
    try:
        if len(data) > get_settings().repatriation_import_inline_bytes:  # too large for one request
            run = import_runs.start(session=s, actor=actor, kind=kind, name=source, data=data)
            import_runs.launch_after_commit(s, run.id)
            return _import_page(request, 202, kind=kind, source=source, run=import_runs.view(run))
        result = await run_in_threadpool(lambda: imports.import_upload(session=s, actor=actor, kind=kind,
                                                                       name=source, data=data))
    except (InvalidInput, Conflict) as exc:
        s.rollback()
        return _import_page(request, exc.status, kind=kind, source=source, error=i18n.error(lang, exc.message))
    return _import_page(request, kind=kind, result=result, source=source)


@router.get("/import/runs/{run_id}", response_class=HTMLResponse)
def import_run_page(request: Request, run_id: RunId, s: SessionDep, actor: PageActor) -> HTMLResponse:
    """One's own import in the background, its progress followed by htmx."""
    run = _run(request, import_runs.read(session=s, actor=actor, run_id=run_id))
    return _import_page(request, kind=run["kind"], source=run["source"], run=run)


@router.get("/import/runs/{run_id}/progress", response_class=HTMLResponse)
def import_run_progress(request: Request, run_id: RunId, s: SessionDep, actor: PageActor) -> HTMLResponse:
    """The run's progress, the fragment its page polls every second while it runs."""
    return render(request, "repatriation/import_progress.html",
                  run=_run(request, import_runs.read(session=s, actor=actor, run_id=run_id)))


def _run(request: Request, run: dict[str, Any]) -> dict[str, Any]:
    """A run with its refusal in the visitor's language."""
    return {**run, "message": i18n.error(i18n.language(request), run["message"])} if run["message"] else run


@router.get("/cases", response_class=HTMLResponse)
def cases(request: Request, s: SessionDep, actor: PageActor) -> HTMLResponse:
    """The sending agency's case files, first ready first, filtered by name, nationality and ready
    date, fifty a page."""
    params = request.query_params
    lang = i18n.language(request)
    filters = {"q": params.get("q", "").strip()[:100], "nationality": params.get("nationality", "").strip()[:3],
               "ready_by": params.get("ready_by", "").strip()}
    error, found = None, None
    try:
        found = casefiles.list_cases(session=s, actor=actor, q=filters["q"] or None,
                                     nationality=filters["nationality"] or None,
                                     ready_by=_optional_day(params, "ready_by"), page=_int(params, "page", 1))
    except InvalidInput as exc:
        s.rollback()
        error = i18n.error(lang, exc.message)
    query = "&".join(f"{k}={quote(v)}" for k, v in filters.items() if v)
    return render(request, "repatriation/cases.html", 422 if error else 200, found=found, filters=filters,
                  query=query, error=error)


@router.get("/cases/{detainee_id}", response_class=HTMLResponse)
def case(request: Request, detainee_id: str, s: SessionDep, actor: PageActor) -> HTMLResponse:
    """One case file: its facts and gate results, and what the receiving side sees of the person."""
    return render(request, "repatriation/case.html", 200, c=casefiles.read(session=s, actor=actor,
                                                                           detainee_id=detainee_id))


def _movement_page(request: Request, s: Any, actor: Actor, movement_id: str, *, error: str | None = None,
                   status: int = 200) -> HTMLResponse:
    view = service.read(session=s, actor=actor, movement_id=movement_id)
    return render(request, "repatriation/movement.html", status, m=view, error=error, rules=REFUSAL_RULES,
                  codes=[c for c in LINE_STATUSES if c not in ("listed", "boarded")],
                  pending=[li for li in view["manifest"] if li["verification"] == "pending"])


@router.get("/movements/{movement_id}", response_class=HTMLResponse)
def movement(movement_id: str, request: Request, s: SessionDep, actor: PageActor) -> HTMLResponse:
    """A movement: its terms, manifest and hand-over, with the forms of the viewer's side."""
    return _movement_page(request, s, actor, movement_id)


@router.get("/movements/{movement_id}/convoy", response_class=HTMLResponse)
def convoy(movement_id: str, request: Request, s: SessionDep, actor: PageActor) -> HTMLResponse:
    """The buses of a land movement from the detention facilities to the port (the sender's alone)."""
    form, found, error = request.query_params, None, None
    try:
        found = convoys.convoy_for(session=s, actor=actor, movement_id=movement_id, buses=_typed(form, "buses", 2),
                                   seats=_typed(form, "seats", 45), depart_hour=_typed(form, "depart_hour", 0))
    except InvalidInput as exc:
        # the policy has passed (a partner gets 404 before any check of the form): the sender's page
        error = i18n.error(i18n.language(request), exc.message)
    return render(request, "repatriation/convoy.html", 422 if error else 200, movement_id=movement_id, c=found,
                  error=error, form={k: form.get(k, "") for k in ("buses", "seats", "depart_hour")})


STEPS = ("accept", "refuse", "counter", "accept_counter", "verification", "verify", "lock", "board", "depart",
         "receive", "reconcile", "strike")


@router.post("/movements/{movement_id}/{step}", response_model=None)
async def act(movement_id: str, step: str, request: Request, s: SessionDep, actor: PageActor) -> Response:
    """One step of the workflow from the movement's page; a refusal shows the page again with its rule."""
    form = await request.form()
    lang = i18n.language(request)
    try:
        _step(s, actor, movement_id, step, form)
    except InvalidInput as exc:
        s.rollback()
        return _movement_page(request, s, actor, movement_id, error=i18n.error(lang, exc.message), status=422)
    return redirect(f"/repatriation/movements/{movement_id}")


def _step(s: Any, actor: Actor, movement_id: str, step: str, form: Any) -> None:
    if step in ("accept", "refuse"):
        service.respond(session=s, actor=actor, movement_id=movement_id, decision=step,
                        rule=str(form.get("rule", "")) or None)
    elif step == "counter":
        counter: dict[str, Any] = {k: _int(form, k) for k in ("start_hour", "end_hour") if form.get(k)}
        if form.get("date"):
            counter["date"] = str(form.get("date"))
        service.respond(session=s, actor=actor, movement_id=movement_id, decision="counter", counter=counter)
    elif step == "accept_counter":
        service.accept_counter(session=s, actor=actor, movement_id=movement_id)
    elif step == "verification":
        manifest.request_verification(session=s, actor=actor, movement_id=movement_id)
    elif step == "verify":
        manifest.verify(session=s, actor=actor, movement_id=movement_id, line_nos=[_int(form, "line_no")],
                        outcome=str(form.get("outcome", "verified")),
                        document_number=str(form.get("document_number", "")).strip() or None,
                        valid_until=_optional_day(form, "valid_until"))
    elif step == "lock":
        outcome = manifest.lock(session=s, actor=actor, movement_id=movement_id)
        if not outcome["locked"]:
            s.commit()  # the gates' results are kept though the lock is refused
            first = outcome["failures"][0]
            raise InvalidInput(f"the manifest is not locked: {first['name']} (line {first['line_no']}) fails "
                               f"{first['gate']}", details=[{"field": "manifest"}])
    elif step == "board":
        manifest.board(session=s, actor=actor, movement_id=movement_id)
    elif step == "depart":
        manifest.depart(session=s, actor=actor, movement_id=movement_id)
    elif step == "receive":
        counts = {k: _int(form, k) for k in ("adults", "children", "unaccompanied_children", "men", "women")}
        certificates = [c for c in str(form.get("certificates", "")).split() if c]
        manifest.receive(session=s, actor=actor, movement_id=movement_id, receipt={
            "counts": counts, "receiving_officer": str(form.get("receiving_officer", "")),
            "child_welfare_officer": str(form.get("child_welfare_officer", "")) or None,
            "certificates": certificates, "belongings_returned": form.get("belongings_returned") == "on",
            "hour": _int(form, "hour", -1), "out_of_hours_reason": str(form.get("out_of_hours_reason", "")) or None})
    elif step == "reconcile":
        manifest.reconcile(session=s, actor=actor, movement_id=movement_id)
    elif step == "strike":
        manifest.strike(session=s, actor=actor, movement_id=movement_id, line_no=_int(form, "line_no"),
                        code=str(form.get("code", "")))
    else:
        raise InvalidInput(f"unknown step {step!r}", details=[{"field": "step", "allowed": list(STEPS)}])


def _chart(lang: str, rows: list[dict[str, Any]], title_key: str) -> dict[str, Any]:
    """A Vega-Lite bar chart of one cut, its words in the page's language."""
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v6.json",
        "description": i18n.translate(lang, title_key), "width": "container", "height": 180,
        "data": {"values": [{"key": r["key"], "count": r["count"]} for r in rows]},
        "mark": {"type": "bar"},
        "encoding": {"x": {"field": "key", "type": "nominal", "title": i18n.translate(lang, title_key),
                           "sort": None},
                     "y": {"field": "count", "type": "quantitative",
                           "title": i18n.translate(lang, "repatriation.people"), "axis": {"tickMinStep": 1}}},
    }


@router.get("/statistics", response_class=HTMLResponse)
def stats(request: Request, s: SessionDep, actor: PageActor) -> HTMLResponse:
    """Statistics of the agency's movements that have left, with charts, and how both sides reconcile."""
    lang = i18n.language(request)
    found = statistics.statistics(session=s, actor=actor)
    charts = {name: _chart(lang, found[name], f"repatriation.{name}")
              for name in ("by_month", "by_point", "by_age_group") if found[name]}
    return render(request, "repatriation/statistics.html", st=found, charts=charts,
                  may_import=can(actor, "repatriation.import").allowed)

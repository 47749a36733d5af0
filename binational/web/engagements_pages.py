"""Engagements' pages: the timeline, the commitments board, intake (paste or upload, proposal, confirm),
an engagement with its readouts and commitments, a commitment with its indicator's chart, the brief."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import UploadFile

from binational.access import service as access
from binational.access.markings import MARKINGS
from binational.access.policy import Actor, can, require
from binational.engagements import indicators, service
from binational.engagements.gazetteer import topic_keys
from binational.engagements.schemas import (
    FORMATS,
    STATUSES,
    CommitmentCreate,
    CommitmentView,
    EngagementCreate,
    GazetteerPersonIn,
)
from binational.errors import InvalidInput
from binational.routing import SessionDep
from binational.web import i18n
from binational.web.render import PageActor, field_errors, redirect, render
from binational.web.sessions import check_csrf

router = APIRouter(prefix="/engagements", dependencies=[Depends(check_csrf)], include_in_schema=False)
Country = Annotated[str, Query(max_length=2)]
Topic = Annotated[str, Query(max_length=64)]
#: the largest readout a page takes (pasted or uploaded)
READOUT_CHARS = 60_000


def _shared_indicators(actor: Actor) -> list[indicators.Indicator]:
    return [i for i in indicators.registered() if i.decide(actor)]


@router.get("", response_class=HTMLResponse)
def timeline(request: Request, s: SessionDep, actor: PageActor, country: Country = "",
             topic: Topic = "") -> HTMLResponse:
    """The engagements the user may see, newest first."""
    found = service.timeline(session=s, actor=actor, country=country or None, topic=topic or None)
    items = [{"id": e.id, "name": e.caption, "date": service.first(e, "date"), "format": service.first(e, "format"),
              "countries": service.countries(e), "topics": sorted(e.properties.get("themes", [])),
              "owner": e.owner_agency} for e in found]
    return render(request, "engagements/timeline.html", items=items, country=country, topic=topic,
                  topics=topic_keys(), may_create="record.create" in actor.capabilities)


@router.get("/board", response_class=HTMLResponse)
def board(request: Request, s: SessionDep, actor: PageActor, country: Country = "",
          topic: Topic = "") -> HTMLResponse:
    """The commitments the user may see, by country and topic, each with its progress."""
    grouped = service.board(session=s, actor=actor, country=country or None, topic=topic or None)
    return render(request, "engagements/board.html", grouped=grouped, country=country, topic=topic,
                  topics=topic_keys())


@router.get("/intake", response_class=HTMLResponse)
def intake_form(request: Request, actor: PageActor) -> HTMLResponse:
    """Paste or upload a readout."""
    require(actor, "engagement.intake")
    return render(request, "engagements/intake.html", text="", errors={})


async def _readout(form: Any) -> str:
    upload = form.get("file")
    if isinstance(upload, UploadFile) and upload.filename:
        raw = await upload.read(READOUT_CHARS * 4 + 1)
        if len(raw) > READOUT_CHARS * 4:  # longer than any readout it takes, whatever its letters
            raise InvalidInput(f"the readout is longer than {READOUT_CHARS} characters", details=[{"field": "text"}])
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise InvalidInput("the file is not UTF-8 text", details=[{"field": "text"}]) from None
    else:
        text = str(form.get("text", ""))
    if not text.strip():
        raise InvalidInput("the readout is empty", details=[{"field": "text"}])
    if len(text) > READOUT_CHARS:
        raise InvalidInput(f"the readout is longer than {READOUT_CHARS} characters", details=[{"field": "text"}])
    return text


@router.post("/intake", response_class=HTMLResponse)
async def propose(request: Request, s: SessionDep, actor: PageActor) -> HTMLResponse:
    """The proposal for the readout, as a form the editor corrects and confirms."""
    lang = i18n.language(request)
    form = await request.form()
    try:
        text = await _readout(form)
    except InvalidInput as exc:
        return render(request, "engagements/intake.html", 422, text=str(form.get("text", "")),
                      errors=field_errors(lang, exc, "text"))
    proposal = service.propose(session=s, actor=actor, text=text, display=lang)
    return _confirm_form(request, s, actor, {
        "name": "", "date": date.today().isoformat(), "format": "call", "countries": proposal.countries,
        "topics": proposal.topics, "summary": "", "readout": text, "language": proposal.language,
        "flagged": proposal.language_flagged,
        "participants": [p.as_json() for p in proposal.participants],
        "distribution": "agency", "release_to": [], "marking": "TLP:AMBER"})


def _confirm_form(request: Request, s: Any, actor: Actor, values: dict[str, Any],
                  errors: dict[str, str] | None = None, status: int = 200) -> HTMLResponse:
    return render(request, "engagements/confirm.html", status, values=values, errors=errors or {},
                  formats=FORMATS, topics=topic_keys(),
                  agencies=access.release_recipients(session=s, actor=actor),
                  allowed_markings=[m for m in MARKINGS if MARKINGS.index(m) <= actor.clearance_rank])


def _proposed_again(s: Any, actor: Actor, values: dict[str, Any]) -> dict[str, Any]:
    """The refused form's values with each participant's candidates found again (through the policy), so
    the form shown once more keeps the editor's choice of an existing record."""
    for p in values["participants"]:
        named = p["name"] and len(p["name"]) <= 200  # a participant's longest name (a longer one is refused)
        p["candidates"] = service.known_people(session=s, actor=actor, name=p["name"]) if named else []
    return values


@router.post("/new", response_model=None)
async def confirm(request: Request, s: SessionDep, actor: PageActor) -> Response:
    """Record the engagement as the editor confirmed it."""
    lang = i18n.language(request)
    form = await request.form()
    raw_count = str(form.get("participant_count", "0")).strip()
    # A forged count proposes nobody rather than failing.
    count = min(int(raw_count), 50) if raw_count.isascii() and raw_count.isdigit() and len(raw_count) <= 3 else 0
    participants = []
    for i in range(count):
        if form.get(f"p{i}_keep") != "on":
            continue
        participants.append({k: str(form.get(f"p{i}_{k}", "")).strip() or None
                             for k in ("name", "title", "office", "country", "entity_id")})
    values: dict[str, Any] = {
        "name": str(form.get("name", "")), "date": str(form.get("date", "")), "format": str(form.get("format", "")),
        "countries": [c.strip().upper() for c in str(form.get("countries", "")).split(",") if c.strip()],
        "topics": [str(v) for v in form.getlist("topics")], "summary": str(form.get("summary", "")),
        "readout": str(form.get("readout", "")), "participants": participants,
        "distribution": str(form.get("distribution", "agency")),
        "release_to": [str(v) for v in form.getlist("release_to")], "marking": str(form.get("marking", "TLP:AMBER")),
        "language": str(form.get("language", "")), "flagged": form.get("flagged") == "true"}
    try:
        data = EngagementCreate.model_validate({
            "name": values["name"], "date": values["date"], "format": values["format"],
            "countries": values["countries"], "topics": values["topics"], "summary": values["summary"] or None,
            "readouts": [values["readout"]] if values["readout"].strip() else [],
            "participants": [p for p in participants if p["name"]], "distribution": values["distribution"],
            "release_to": values["release_to"], "marking": values["marking"]})
        created = service.create_engagement(session=s, actor=actor, data=data)
    except InvalidInput as exc:
        s.rollback()
        return _confirm_form(request, s, actor, _proposed_again(s, actor, values), field_errors(lang, exc, "name"), 422)
    except ValueError as exc:  # pydantic's, naming the field
        s.rollback()
        field = str(getattr(exc, "errors", lambda: [{"loc": ["name"]}])()[0]["loc"][0])
        return _confirm_form(request, s, actor, _proposed_again(s, actor, values),
                             {field: i18n.translate(lang, "engagements.invalid")}, 422)
    return redirect(f"/engagements/{created.id}")


@router.get("/gazetteer", response_class=HTMLResponse)
def gazetteer_page(request: Request, s: SessionDep, actor: PageActor) -> HTMLResponse:
    """The gazetteer of partner officials intake matches against, and (administrators) a form to add one."""
    return _gazetteer(request, s, actor, {"name": "", "surname": "", "office": "", "title_en": "", "title_es": "",
                                          "forms": ""})


def _gazetteer(request: Request, s: Any, actor: Actor, values: dict[str, str], errors: dict[str, str] | None = None,
               status: int = 200) -> HTMLResponse:
    found = service.gazetteer(session=s)
    lang = i18n.language(request)
    people = [{"name": p.name, "office": found.offices[p.office].name(lang) if p.office in found.offices
               else p.office, "country": found.offices[p.office].country if p.office in found.offices else "",
               "title": p.titles.get(lang) or p.titles.get("en") or "", "forms": list(p.forms), "added": p.added}
              for p in found.people]
    offices = sorted((code, o.name(lang)) for code, o in found.offices.items())
    return render(request, "engagements/gazetteer.html", status, people=people, offices=offices, values=values,
                  errors=errors or {}, may_add="admin" in actor.capabilities)


@router.post("/gazetteer", response_model=None)
async def add_official(request: Request, s: SessionDep, actor: PageActor) -> Response:
    """Add an official (administrators)."""
    lang = i18n.language(request)
    form = await request.form()
    values = {k: str(form.get(k, "")).strip() for k in ("name", "surname", "office", "title_en", "title_es", "forms")}
    try:
        data = GazetteerPersonIn(name=values["name"], surname=values["surname"], office=values["office"],
                                 title_en=values["title_en"] or None, title_es=values["title_es"] or None,
                                 forms=[f.strip() for f in values["forms"].splitlines() if f.strip()])
        service.add_official(session=s, actor=actor, data=data)
    except InvalidInput as exc:
        s.rollback()
        return _gazetteer(request, s, actor, values, field_errors(lang, exc, "name"), 422)
    except ValueError:
        s.rollback()
        return _gazetteer(request, s, actor, values, {"name": i18n.translate(lang, "engagements.invalid")}, 422)
    return redirect("/engagements/gazetteer")


@router.get("/commitments/{commitment_id}", response_class=HTMLResponse)
def commitment_page(request: Request, commitment_id: str, s: SessionDep, actor: PageActor) -> HTMLResponse:
    """One commitment with its indicator's chart, or the words that its indicator is not shared."""
    view = service.read_commitment(session=s, actor=actor, commitment_id=commitment_id)
    return render(request, "engagements/commitment.html", c=view, chart=_chart(request, view), statuses=STATUSES,
                  may_change=view.record_owner == actor.agency and can(actor, "entity.update").allowed)


def _chart(request: Request, view: CommitmentView) -> dict[str, Any] | None:
    """The Vega-Lite spec of the commitment's indicator: its monthly figures and the target as a rule."""
    p = view.progress
    if not p.shared or not p.indicator or not p.series:
        return None
    lang = i18n.language(request)
    month, figure = i18n.translate(lang, "engagements.month"), i18n.translate(lang, "engagements.figure")
    unit_key = f"engagements.unit.{p.unit}"  # the family tests/web/test_i18n.py holds complete
    layers: list[dict[str, Any]] = [{
        "mark": {"type": "line", "point": True},
        "encoding": {"x": {"field": "month", "type": "ordinal", "title": month},
                     "y": {"field": "value", "type": "quantitative",
                           "title": f"{figure} ({i18n.translate(lang, unit_key)})"}}}]
    if p.target is not None:
        # The target's rule describes nothing of its own to a screen reader (the caption says what it is).
        layers.append({"mark": {"type": "rule", "strokeDash": [4, 4], "color": "#9c4a00", "aria": False},
                       "encoding": {"y": {"datum": p.target}}})
    return {"$schema": "https://vega.github.io/schema/vega-lite/v6.json", "width": "container", "height": 220,
            "description": i18n.translate(lang, "engagements.chart_label"),
            "data": {"values": [{"month": m, "value": v} for m, v in p.series if v is not None]},
            "layer": layers}


@router.post("/commitments/{commitment_id}/status", response_model=None)
async def change_status(request: Request, commitment_id: str, s: SessionDep, actor: PageActor) -> Response:
    """Set the commitment's status, with a note."""
    form = await request.form()
    service.change_status(session=s, actor=actor, commitment_id=commitment_id, status=str(form.get("status", "")),
                          note=str(form.get("note", "")).strip() or None)
    return redirect(f"/engagements/commitments/{commitment_id}")


@router.get("/{engagement_id}/brief.pdf")
def brief_pdf(request: Request, engagement_id: str, s: SessionDep, actor: PageActor) -> Response:
    """The printable brief, in the page's language."""
    from binational.engagements import brief  # ReportLab, loaded when a brief is asked for

    pdf = brief.render(session=s, actor=actor, engagement_id=engagement_id, language=i18n.language(request))
    return Response(pdf, media_type="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="brief-{engagement_id[-12:]}.pdf"'})


def _engagement_page(request: Request, s: Any, actor: Actor, engagement_id: str, values: dict[str, Any] | None = None,
                     errors: dict[str, str] | None = None, status: int = 200) -> HTMLResponse:
    view = service.read_engagement(session=s, actor=actor, engagement_id=engagement_id)
    defaults = {"name": "", "committed_by": "", "owner_agency": actor.agency, "due_date": "", "indicator": "",
                "target": "", "notes": "", "distribution": "agency", "release_to": [], "marking": "TLP:AMBER"}
    return render(request, "engagements/view.html", status, e=view, values=values or defaults, errors=errors or {},
                  indicators=_shared_indicators(actor), statuses=STATUSES,
                  agencies=access.list_agencies(session=s),
                  allowed_markings=[m for m in MARKINGS if MARKINGS.index(m) <= actor.clearance_rank],
                  may_commit="record.create" in actor.capabilities)


@router.get("/{engagement_id}", response_class=HTMLResponse)
def engagement_page(request: Request, engagement_id: str, s: SessionDep, actor: PageActor) -> HTMLResponse:
    """One engagement: facts, participants, readouts in their own direction, commitments with progress."""
    return _engagement_page(request, s, actor, engagement_id)


@router.post("/{engagement_id}/commitments", response_model=None)
async def add_commitment(request: Request, engagement_id: str, s: SessionDep, actor: PageActor) -> Response:
    """Record a commitment at this engagement, tied to an indicator with a target."""
    lang = i18n.language(request)
    form = await request.form()
    values: dict[str, Any] = {k: str(form.get(k, "")).strip() for k in
                              ("name", "committed_by", "owner_agency", "due_date", "indicator", "target", "notes",
                               "distribution", "marking")}
    values["release_to"] = [str(v) for v in form.getlist("release_to")]
    indicator = indicators.get(values["indicator"]) if values["indicator"] in {
        i.key for i in indicators.registered()} else None
    try:
        data = CommitmentCreate.model_validate({
            "engagement_id": engagement_id, "name": values["name"], "committed_by": values["committed_by"],
            "owner_agency": values["owner_agency"], "due_date": values["due_date"],
            "indicator": values["indicator"] or None, "target": values["target"] or None,
            "unit": indicator.unit if indicator else None, "notes": values["notes"] or None,
            "distribution": values["distribution"], "release_to": values["release_to"], "marking": values["marking"]})
        created = service.create_commitment(session=s, actor=actor, data=data)
    except InvalidInput as exc:
        s.rollback()
        return _engagement_page(request, s, actor, engagement_id, values, field_errors(lang, exc, "name"), 422)
    except ValueError as exc:
        s.rollback()
        field = str(getattr(exc, "errors", lambda: [{"loc": ["name"]}])()[0]["loc"][0])
        return _engagement_page(request, s, actor, engagement_id, values,
                                {field: i18n.translate(lang, "engagements.invalid")}, 422)
    return redirect(f"/engagements/commitments/{created.id}")

"""HTTP routes of engagements: intake, engagements, commitments and their progress, indicators, briefs."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response

from binational.engagements import indicators, service
from binational.engagements.schemas import (
    CommitmentCreate,
    CommitmentView,
    EngagementCreate,
    EngagementView,
    GazetteerPersonIn,
    IntakeIn,
    StatusChange,
)
from binational.errors import InvalidInput, NotFound
from binational.routing import ActorDep, SessionDep

router = APIRouter(prefix="/engagements", tags=["engagements"])
Country = Annotated[str | None, Query(max_length=2, description="only this ISO country code")]
Topic = Annotated[str | None, Query(max_length=64, description="only this topic key")]
Language = Annotated[str, Query(max_length=2, description="en or es: the language of offices and titles")]


@router.post("/intake")
def intake(body: IntakeIn, s: SessionDep, actor: ActorDep, language: Language = "en") -> dict[str, Any]:
    """Propose participants, countries and topics from a readout's text (nothing is written)."""
    return service.propose(session=s, actor=actor, text=body.text, display=_lang(language)).as_json()


def _lang(language: str) -> str:
    if language not in ("en", "es"):
        raise InvalidInput("language is en or es", details=[{"field": "language"}])
    return language


@router.post("", status_code=201)
def create_engagement(body: EngagementCreate, s: SessionDep, actor: ActorDep) -> EngagementView:
    """Record an engagement confirmed by its editor."""
    created = service.create_engagement(session=s, actor=actor, data=body)
    return service.read_engagement(session=s, actor=actor, engagement_id=created.id)


@router.get("")
def timeline(s: SessionDep, actor: ActorDep, country: Country = None, topic: Topic = None) -> list[dict[str, Any]]:
    """The engagements the viewer may see, newest first."""
    return [{"id": e.id, "name": e.caption, "date": service.first(e, "date"), "format": service.first(e, "format"),
             "countries": service.countries(e), "topics": sorted(e.properties.get("themes", [])),
             "owner_agency": e.owner_agency}
            for e in service.timeline(session=s, actor=actor, country=country, topic=topic)]


@router.get("/board")
def board(s: SessionDep, actor: ActorDep, country: Country = None,
          topic: Topic = None) -> dict[str, dict[str, list[CommitmentView]]]:
    """The commitments the viewer may see, by country and topic, with their progress."""
    return service.board(session=s, actor=actor, country=country, topic=topic)


@router.get("/indicators")
def list_indicators(actor: ActorDep) -> list[dict[str, Any]]:
    """The registered indicators, and whether each is shared with the viewer."""
    return [{"key": i.key, "unit": i.unit, "label": i.label, "owner": i.owner, "better": i.better,
             "shared": bool(i.decide(actor))} for i in indicators.registered()]


@router.get("/indicators/{key}")
def read_indicator(key: str, s: SessionDep, actor: ActorDep, start: date, end: date) -> dict[str, Any]:
    """An indicator's monthly figures over what the viewer may see; 404 when it is not shared."""
    points = service.series(session=s, actor=actor, key=key, start=start, end=end)
    if points is None:
        raise NotFound("indicator", key)
    return {"key": key, "unit": indicators.get(key).unit, "series": points}


@router.post("/commitments", status_code=201)
def create_commitment(body: CommitmentCreate, s: SessionDep, actor: ActorDep) -> CommitmentView:
    """Record a commitment at an engagement the viewer may see, tied to an indicator with a target."""
    created = service.create_commitment(session=s, actor=actor, data=body)
    return service.read_commitment(session=s, actor=actor, commitment_id=created.id)


@router.get("/commitments/{commitment_id}")
def read_commitment(commitment_id: str, s: SessionDep, actor: ActorDep) -> CommitmentView:
    """One commitment with its progress ("not shared" when its indicator is not the viewer's to see)."""
    return service.read_commitment(session=s, actor=actor, commitment_id=commitment_id)


@router.post("/commitments/{commitment_id}/status")
def change_status(commitment_id: str, body: StatusChange, s: SessionDep, actor: ActorDep) -> CommitmentView:
    """Set a commitment's status (its owner agency only)."""
    service.change_status(session=s, actor=actor, commitment_id=commitment_id, status=body.status, note=body.note)
    return service.read_commitment(session=s, actor=actor, commitment_id=commitment_id)


@router.post("/gazetteer", status_code=201)
def add_official(body: GazetteerPersonIn, s: SessionDep, actor: ActorDep) -> dict[str, Any]:
    """Add an official to the node's gazetteer (administrators)."""
    row = service.add_official(session=s, actor=actor, data=body)
    return {"id": row.id, "name": row.name, "office": row.office}


@router.get("/{engagement_id}/brief.pdf")
def engagement_brief(engagement_id: str, s: SessionDep, actor: ActorDep, language: Language = "en") -> Response:
    """A printable brief (PDF) of the engagement and its commitments' progress."""
    from binational.engagements import brief  # ReportLab, loaded when a brief is asked for

    pdf = brief.render(session=s, actor=actor, engagement_id=engagement_id, language=_lang(language))
    return Response(pdf, media_type="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="brief-{engagement_id[-12:]}.pdf"'})


@router.get("/{engagement_id}")
def read_engagement(engagement_id: str, s: SessionDep, actor: ActorDep) -> EngagementView:
    """One engagement with its participants, readouts and commitments."""
    return service.read_engagement(session=s, actor=actor, engagement_id=engagement_id)

"""HTTP routes of discovery, requests and notifications; each goes through the policy and commits once."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from binational.requests import discovery, notices, notifications, service
from binational.requests.schemas import (
    DiscoveryIn,
    DiscoveryNoticePage,
    DiscoveryOut,
    NotificationPage,
    NotificationRead,
    RequestAnswer,
    RequestCreate,
    RequestNote,
    RequestPage,
    RequestRead,
    RequestTypeRead,
)
from binational.requests.types import TYPES
from binational.routing import ActorDep, RowId, SessionDep

discovery_router = APIRouter(prefix="/discovery", tags=["requests"])
router = APIRouter(prefix="/requests", tags=["requests"])
notifications_router = APIRouter(prefix="/notifications", tags=["requests"])
ROUTERS = (discovery_router, router, notifications_router)


@discovery_router.post("", response_model_by_alias=True)
def discover(body: DiscoveryIn, s: SessionDep, actor: ActorDep) -> DiscoveryOut:
    """Hit/no-hit: for each selector, matches the caller may see in full, bare hits of the others."""
    selectors = [sel.model_dump() for sel in body.selectors]
    return DiscoveryOut.model_validate({"results": discovery.search(session=s, actor=actor, selectors=selectors)})


@discovery_router.get("/notices")
def discovery_notices(
    s: SessionDep,
    actor: ActorDep,
    limit: Annotated[int | None, Query(description="page size")] = None,
    cursor: Annotated[str | None, Query(max_length=1000, description="from the previous page")] = None,
) -> DiscoveryNoticePage:
    """Deconfliction and sweep notices left for the caller's agency (supervisors, liaisons, auditors)."""
    items, next_cursor = notices.list_notices(session=s, actor=actor, limit=limit, cursor=cursor)
    return DiscoveryNoticePage.model_validate({"items": items, "next_cursor": next_cursor})


@router.get("/types")
def request_types(actor: ActorDep) -> list[RequestTypeRead]:
    """The registered request types, with their labels, default due time and answering roles."""
    return [RequestTypeRead(name=t.name, label={"en": t.label_en, "es": t.label_es},
                            default_due_hours=t.default_due.total_seconds() / 3600,
                            answer_roles=sorted(t.answer_roles), description=t.description)
            for t in sorted(TYPES.values(), key=lambda t: t.name)]


@router.post("", status_code=201)
def submit(body: RequestCreate, s: SessionDep, actor: ActorDep) -> RequestRead:
    """Send a request to another agency."""
    request = service.submit(session=s, actor=actor, type=body.type, to_agency=body.to_agency,
                             question=body.question, hit_refs=body.hit_refs, entity_ids=body.entity_ids,
                             due=body.due, marking=body.marking, subject=body.subject)
    return RequestRead.model_validate(service.view(s, actor, request))


@router.get("")
def list_requests(
    s: SessionDep,
    actor: ActorDep,
    box: Annotated[str, Query(description="inbox (to the caller's agency) or outbox (from it)")] = "inbox",
    state: Annotated[str | None, Query(description="only requests in this state")] = None,
    overdue: Annotated[bool, Query(description="only open requests past their due time")] = False,
    limit: Annotated[int | None, Query(description="page size")] = None,
    cursor: Annotated[str | None, Query(max_length=1000, description="from the previous page")] = None,
) -> RequestPage:
    """The caller's agency's inbox or outbox, newest first."""
    items, next_cursor = service.list_requests(session=s, actor=actor, box=box, state=state, overdue=overdue,
                                               limit=limit, cursor=cursor)
    return RequestPage.model_validate({"items": items, "next_cursor": next_cursor})


@router.get("/{request_id}")
def read_request(request_id: str, s: SessionDep, actor: ActorDep) -> RequestRead:
    """One request the caller's agency sent or received."""
    return RequestRead.model_validate(service.read(session=s, actor=actor, request_id=request_id))


@router.post("/{request_id}/acknowledge")
def acknowledge(request_id: str, s: SessionDep, actor: ActorDep, body: RequestNote | None = None) -> RequestRead:
    """The receiver is working on it."""
    request = service.acknowledge(session=s, actor=actor, request_id=request_id, note=body.note if body else None)
    return RequestRead.model_validate(service.view(s, actor, request))


@router.post("/{request_id}/answer")
def answer(request_id: str, body: RequestAnswer, s: SessionDep, actor: ActorDep) -> RequestRead:
    """The receiver answers by releasing entities of its own to the sender."""
    request = service.answer(session=s, actor=actor, request_id=request_id, entity_ids=body.entity_ids,
                             note=body.note, until=body.until)
    return RequestRead.model_validate(service.view(s, actor, request))


@router.post("/{request_id}/decline")
def decline(request_id: str, s: SessionDep, actor: ActorDep, body: RequestNote | None = None) -> RequestRead:
    """The receiver declines."""
    request = service.decline(session=s, actor=actor, request_id=request_id, note=body.note if body else None)
    return RequestRead.model_validate(service.view(s, actor, request))


@router.post("/{request_id}/withdraw")
def withdraw(request_id: str, s: SessionDep, actor: ActorDep, body: RequestNote | None = None) -> RequestRead:
    """The sender withdraws an open request."""
    request = service.withdraw(session=s, actor=actor, request_id=request_id, note=body.note if body else None)
    return RequestRead.model_validate(service.view(s, actor, request))


@notifications_router.get("")
def list_notifications(
    s: SessionDep,
    actor: ActorDep,
    unread: Annotated[bool, Query(description="only unread notifications")] = False,
    limit: Annotated[int | None, Query(description="page size")] = None,
    cursor: Annotated[str | None, Query(max_length=1000, description="from the previous page")] = None,
) -> NotificationPage:
    """The caller's notifications, newest first."""
    items, count, next_cursor = notifications.list_notifications(session=s, actor=actor, unread_only=unread,
                                                                 limit=limit, cursor=cursor)
    return NotificationPage.model_validate({"items": items, "unread": count, "next_cursor": next_cursor})


@notifications_router.post("/read-all")
def mark_all_read(s: SessionDep, actor: ActorDep) -> dict[str, int]:
    """Mark every unread notification of the caller read; answers how many."""
    return {"marked": notifications.mark_all_read(session=s, actor=actor)}


@notifications_router.post("/{notification_id}/read")
def mark_read(notification_id: RowId, s: SessionDep, actor: ActorDep) -> NotificationRead:
    """Mark one of the caller's notifications read."""
    return NotificationRead.model_validate(notifications.mark_read(session=s, actor=actor,
                                                                   notification_id=notification_id))

"""Requests between agencies: the inbox and outbox, a new request, one request, the receiver's and
sender's moves, and the user's notifications."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response

from binational.access import service as access
from binational.access.markings import MARKINGS
from binational.access.policy import Actor, require
from binational.audit import log as audit
from binational.db import utcnow
from binational.entities import service as entities
from binational.entities.schemas import EntityRead
from binational.errors import Conflict, InvalidInput, NotFound
from binational.requests import notifications, service
from binational.requests.types import TYPES
from binational.routing import RowId, SessionDep
from binational.web import i18n
from binational.web.render import PageActor, field_errors, redirect, render
from binational.web.sessions import check_csrf

router = APIRouter(prefix="/requests", dependencies=[Depends(check_csrf)], include_in_schema=False)
notices_router = APIRouter(prefix="/notifications", dependencies=[Depends(check_csrf)], include_in_schema=False)
PAGE = 25
MOVES = {"acknowledge": service.acknowledge, "decline": service.decline, "withdraw": service.withdraw}
#: entities of a request shown with their names (the rest by identifier only)
NAMED = 50


def clock(item: dict[str, Any], now: datetime) -> tuple[str, int]:
    """How an open request's clock reads, as a catalog key and its number: due in or overdue by so many
    hours (under two days) or days; a closed request's clock has stopped."""
    if item["state"] not in service.OPEN:
        return "requests.clock_stopped", 0
    left = item["due_at"] - now
    late = left < timedelta(0)
    left = abs(left)
    if left < timedelta(days=2):
        hours = max(1, round(left.total_seconds() / 3600))
        return ("requests.clock_late_hours" if late else "requests.clock_in_hours"), hours
    return ("requests.clock_late_days" if late else "requests.clock_in_days"), left.days


def _with_clocks(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    now = utcnow()
    return [{**item, "clock": clock(item, now)} for item in items]


@router.get("", response_class=HTMLResponse)
def boxes(request: Request, s: SessionDep, actor: PageActor, box: Annotated[str, Query(max_length=8)] = "inbox",
          overdue: bool = False, cursor: Annotated[str, Query(max_length=1000)] = "") -> HTMLResponse:
    """The agency's inbox or outbox of requests, newest first (optionally only the overdue ones)."""
    box = box if box in ("inbox", "outbox") else "inbox"
    items, next_cursor = service.list_requests(session=s, actor=actor, box=box, overdue=overdue, limit=PAGE,
                                               cursor=cursor or None)
    return render(request, "requests/list.html", items=_with_clocks(items), box=box, overdue=overdue,
                  next_cursor=next_cursor, paged=bool(cursor), may_create="request.create" in actor.capabilities,
                  may_discover="record.view" in actor.capabilities)


def _types(lang: str) -> list[tuple[str, str]]:
    return sorted(((t.name, t.label_es if lang == "es" else t.label_en) for t in TYPES.values()),
                  key=lambda pair: pair[1].lower())


def _new_form(request: Request, s: Any, actor: Actor, values: dict[str, Any], errors: dict[str, str] | None = None,
              status: int = 200) -> HTMLResponse:
    return render(request, "requests/new.html", status, values=values, errors=errors or {},
                  asked=service.hit_selectors(session=s, actor=actor, refs=values["hit_refs"]),
                  types=_types(i18n.language(request)),
                  agencies=access.request_recipients(session=s, actor=actor),
                  allowed_markings=[m for m in MARKINGS if MARKINGS.index(m) <= actor.clearance_rank],
                  today=date.today().isoformat())


@router.get("/new", response_class=HTMLResponse)
def new_form(request: Request, s: SessionDep, actor: PageActor,
             to_agency: Annotated[str, Query(max_length=32)] = "",
             hit_ref: Annotated[list[str] | None, Query(max_length=64)] = None,
             entity: Annotated[list[str] | None, Query(max_length=200)] = None) -> HTMLResponse:
    """The form of a new request; from discovery it carries hit references, from an entity page its id."""
    require(actor, "request.create")
    values: dict[str, Any] = {
        "type": "information", "to_agency": to_agency, "hit_refs": list(dict.fromkeys(hit_ref or []))[:1000],
        "entity_ids": "\n".join(dict.fromkeys(entity or [])), "subject": "", "question": "", "due": "",
        "marking": "TLP:AMBER"}
    return _new_form(request, s, actor, values)


def _due(text: str) -> datetime | None:
    """A due date typed as YYYY-MM-DD: the end of that day, UTC."""
    if not text.strip():
        return None
    try:
        day = date.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput(f"property 'due' of Request: {text!r} is not a date", details=[{"field": "due"}]) from None
    return datetime.combine(day, time(23, 59, 59), tzinfo=UTC)


def _refused(s: Any, actor: Actor, exc: NotFound) -> None:
    """Roll back a refused submission and keep its denial in the audit log (the page shows the form again)."""
    s.rollback()
    objects = [(str(exc.ident), exc.owner)] if exc.ident else []
    audit.record(s, action=exc.action or "request.create", actor=actor, objects=objects, decision="deny",
                 reason=exc.reason)


@router.post("/new", response_model=None)
async def create(request: Request, s: SessionDep, actor: PageActor) -> Response:
    """Send the request; on an error show the form again with the message next to its field."""
    require(actor, "request.create")
    lang = i18n.language(request)
    form = await request.form()
    values: dict[str, Any] = {"type": str(form.get("type", "")), "to_agency": str(form.get("to_agency", "")),
              "hit_refs": [str(v) for v in form.getlist("hit_ref")][:1000],
              "entity_ids": str(form.get("entity_ids", "")), "subject": str(form.get("subject", "")),
              "question": str(form.get("question", "")),
              "due": str(form.get("due", "")), "marking": str(form.get("marking", "TLP:AMBER"))}
    ids = [line.strip() for line in values["entity_ids"].splitlines() if line.strip()]
    try:
        created = service.submit(session=s, actor=actor, type=values["type"], to_agency=values["to_agency"],
                                 question=values["question"], hit_refs=values["hit_refs"], entity_ids=ids,
                                 due=_due(values["due"]), marking=values["marking"], subject=values["subject"])
    except InvalidInput as exc:
        s.rollback()
        return _new_form(request, s, actor, values, field_errors(lang, exc, "question"), 422)
    except NotFound as exc:
        _refused(s, actor, exc)
        if exc.kind == "hit_ref":
            errors = {"hit_refs": i18n.translate(lang, "error.hit_ref_unknown")}
        else:
            errors = {"entity_ids": i18n.translate(lang, "error.no_such_entity", value=exc.ident or "")}
        return _new_form(request, s, actor, values, errors, 422)
    return redirect(f"/requests/{created.id}")


def _named(s: Any, actor: Actor, ids: list[str]) -> list[EntityRead]:
    """The request's entities the viewer may see, with their names (each read is audited)."""
    return [entities.read(session=s, actor=actor, entity_id=eid) for eid in ids[:NAMED]]


def _page(request: Request, s: Any, actor: Actor, request_id: str, errors: dict[str, str] | None = None,
          status: int = 200) -> HTMLResponse:
    item = service.read(session=s, actor=actor, request_id=request_id)
    receiver = item["to_agency"] == actor.agency
    subjects = _named(s, actor, item["subjects"])
    kind = TYPES[item["type"]]
    return render(request, "requests/view.html", status, item={**item, "clock": clock(item, utcnow())},
                  receiver=receiver, errors=errors or {},
                  answerers=service.answerer_names(session=s, actor=actor, request_id=request_id),
                  answer_roles=sorted(kind.answer_roles),
                  open=item["state"] in service.OPEN, subjects=subjects, answers=_named(s, actor, item["answer"]),
                  own_subjects=[e for e in subjects if e.owner_agency == actor.agency],
                  may_answer=receiver and bool(kind.answer_roles & set(actor.roles)))


@router.get("/{request_id}", response_class=HTMLResponse)
def view(request: Request, request_id: str, s: SessionDep, actor: PageActor) -> HTMLResponse:
    """One request of the agency, as the user may see it."""
    return _page(request, s, actor, request_id)


@router.post("/{request_id}/{move}", response_model=None)
async def act(request: Request, request_id: str, move: str, s: SessionDep, actor: PageActor) -> Response:
    """Acknowledge, decline, withdraw, or answer (by releasing entities of one's agency to the sender)."""
    form = await request.form()
    note = str(form.get("note", "")).strip() or None
    try:
        if move == "answer":
            ids = [str(v) for v in form.getlist("release")]
            ids += [line.strip() for line in str(form.get("entity_ids", "")).splitlines() if line.strip()]
            service.answer(session=s, actor=actor, request_id=request_id, entity_ids=ids, note=note)
        elif move in MOVES:
            MOVES[move](session=s, actor=actor, request_id=request_id, note=note)
        else:
            return render(request, "error.html", 404, title_key="error.not_found_title",
                          message_key="error.not_found")
    except (InvalidInput, Conflict) as exc:
        s.rollback()
        return _page(request, s, actor, request_id, field_errors(i18n.language(request), exc, "note"), 422)
    return redirect(f"/requests/{request_id}")


@notices_router.get("", response_class=HTMLResponse)
def notices(request: Request, s: SessionDep, actor: PageActor, unread: bool = False,
            cursor: Annotated[str, Query(max_length=1000)] = "") -> HTMLResponse:
    """The user's own notifications, newest first, each with a link to its request and "mark read"."""
    items, count, next_cursor = notifications.list_notifications(session=s, actor=actor, unread_only=unread,
                                                                 limit=PAGE, cursor=cursor or None)
    request.state.unread = count  # as of this page (the header's number)
    return render(request, "notifications.html", items=items, unread_only=unread, next_cursor=next_cursor,
                  paged=bool(cursor), types=dict(_types(i18n.language(request))))


@notices_router.post("/read-all")
def mark_all_read(s: SessionDep, actor: PageActor) -> Response:
    """Mark every unread notification of the user read."""
    notifications.mark_all_read(session=s, actor=actor)
    return redirect("/notifications")


@notices_router.post("/{notification_id}/read")
def mark_read(notification_id: RowId, s: SessionDep, actor: PageActor) -> Response:
    """Mark one of the user's notifications read (anyone else's is the ordinary not-found page)."""
    notifications.mark_read(session=s, actor=actor, notification_id=notification_id)
    return redirect("/notifications")

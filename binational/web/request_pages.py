"""Requests between agencies: the inbox and outbox, one request, and the receiver's and sender's moves."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response

from binational.errors import Conflict, InvalidInput
from binational.requests import service
from binational.routing import SessionDep
from binational.web import i18n
from binational.web.render import PageActor, field_errors, redirect, render
from binational.web.sessions import check_csrf

router = APIRouter(prefix="/requests", dependencies=[Depends(check_csrf)], include_in_schema=False)
PAGE = 25
MOVES = {"acknowledge": service.acknowledge, "decline": service.decline, "withdraw": service.withdraw}


@router.get("", response_class=HTMLResponse)
def boxes(request: Request, s: SessionDep, actor: PageActor, box: Annotated[str, Query(max_length=8)] = "inbox",
          overdue: bool = False, cursor: Annotated[str, Query(max_length=1000)] = "") -> HTMLResponse:
    """The agency's inbox or outbox of requests, newest first (optionally only the overdue ones)."""
    box = box if box in ("inbox", "outbox") else "inbox"
    items, next_cursor = service.list_requests(session=s, actor=actor, box=box, overdue=overdue, limit=PAGE,
                                               cursor=cursor or None)
    return render(request, "requests/list.html", items=items, box=box, overdue=overdue, next_cursor=next_cursor,
                  paged=bool(cursor))


def _page(request: Request, s: Any, actor: Any, request_id: str, errors: dict[str, str] | None = None,
          status: int = 200) -> HTMLResponse:
    item = service.read(session=s, actor=actor, request_id=request_id)
    receiver = item["to_agency"] == actor.agency
    return render(request, "requests/view.html", status, item=item, receiver=receiver, errors=errors or {},
                  open=item["state"] in service.OPEN)


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
            ids = [line.strip() for line in str(form.get("entity_ids", "")).splitlines() if line.strip()]
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

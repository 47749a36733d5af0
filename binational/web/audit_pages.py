"""The auditors' page: the agency's audit entries, who saw a record, and the log's verification."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse

from binational.access.actions import ACTIONS
from binational.access.policy import require
from binational.audit import service
from binational.errors import InvalidInput, NotFound
from binational.routing import SessionDep
from binational.web import i18n
from binational.web.render import PageActor, field_errors, render
from binational.web.sessions import check_csrf

router = APIRouter(prefix="/audit", dependencies=[Depends(check_csrf)], include_in_schema=False)
PAGE = 50


def _page(request: Request, s: Any, actor: Any, *, action: str, object_id: str, cursor: str,
          verification: Any = None) -> HTMLResponse:
    lang = i18n.language(request)
    errors: dict[str, str] = {}
    items: list[dict[str, Any]] = []
    next_cursor = None
    who: list[dict[str, Any]] | None = None
    try:
        if object_id:
            try:
                who, _ = service.who_saw(session=s, actor=actor, object_id=object_id, limit=PAGE)
            except NotFound:
                who = []
        items, next_cursor = service.entries(session=s, actor=actor, action=action or None, limit=PAGE,
                                             cursor=cursor or None)
    except InvalidInput as exc:
        errors = field_errors(lang, exc, "cursor")
    return render(request, "audit.html", 422 if errors else 200, items=items, next_cursor=next_cursor,
                  action=action, object_id=object_id, who=who, errors=errors, actions=sorted(ACTIONS),
                  log_status=service.status(session=s, actor=actor), verification=verification, paged=bool(cursor))


@router.get("", response_class=HTMLResponse)
def audit_page(request: Request, s: SessionDep, actor: PageActor,
               action: Annotated[str, Query(max_length=64)] = "",
               object_id: Annotated[str, Query(max_length=200)] = "",
               cursor: Annotated[str, Query(max_length=1000)] = "") -> HTMLResponse:
    """Entries of the auditor's agency and about its records, newest first, with filters."""
    require(actor, "audit.read")
    return _page(request, s, actor, action=action, object_id=object_id.strip(), cursor=cursor)


@router.post("/verify", response_class=HTMLResponse)
def verify(request: Request, s: SessionDep, actor: PageActor,
           action: Annotated[str, Form(max_length=64)] = "") -> HTMLResponse:
    """Recompute the whole log and its signatures, and show the outcome."""
    result = service.check(session=s, actor=actor, settings=request.app.state.settings)
    return _page(request, s, actor, action=action, object_id="", cursor="", verification=result)

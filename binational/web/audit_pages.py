"""The auditors' page: the agency's audit entries filtered by user, action, record and days, their
export, who saw a record, and the log's verification."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, Response, StreamingResponse

from binational.access.actions import ACTIONS
from binational.access.policy import require
from binational.audit import export, service
from binational.audit.service import EntryFilter
from binational.errors import InvalidInput, NotFound
from binational.routing import SessionDep
from binational.web import i18n
from binational.web.render import PageActor, field_errors, render
from binational.web.sessions import check_csrf

router = APIRouter(prefix="/audit", dependencies=[Depends(check_csrf)], include_in_schema=False)
PAGE = 50
Text = Annotated[str, Query(max_length=200)]


def _date(name: str, text: str) -> date | None:
    """A day typed as YYYY-MM-DD, or none when the field is empty."""
    if not text.strip():
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput(f"property '{name}' of AuditFilter: {text!r} is not a date",
                           details=[{"field": name}]) from None


def _filter(action: str, user: str, object_id: str, since: str, until: str) -> EntryFilter:
    return EntryFilter(action=action.strip() or None, user=user.strip() or None, object_id=object_id.strip() or None,
                       since=_date("since", since), until=_date("until", until))


def action_words(lang: str) -> list[tuple[str, str]]:
    """Every action with its name in words in `lang`, sorted by those words."""
    return sorted(((name, i18n.translate(lang, f"action.{name}")) for name in ACTIONS), key=lambda p: p[1].lower())


def _page(request: Request, s: Any, actor: Any, *, form: dict[str, str], cursor: str,
          verification: Any = None, refused: str = "") -> HTMLResponse:
    lang = i18n.language(request)
    errors: dict[str, str] = {"export": refused} if refused else {}
    items: list[dict[str, Any]] = []
    next_cursor = None
    who: list[dict[str, Any]] | None = None
    try:
        where = _filter(**form)
        if where.object_id:
            try:
                who, _ = service.who_saw(session=s, actor=actor, object_id=where.object_id, limit=PAGE)
            except NotFound:
                who = []
        items, next_cursor = service.entries(session=s, actor=actor, where=where, limit=PAGE, cursor=cursor or None)
    except InvalidInput as exc:
        errors = field_errors(lang, exc, "cursor")
    query = urlencode({k: v for k, v in form.items() if v})
    return render(request, "audit.html", 422 if errors else 200, items=items, next_cursor=next_cursor,
                  form=form, query=query, who=who, errors=errors, actions=action_words(lang),
                  log_status=service.status(session=s, actor=actor), verification=verification, paged=bool(cursor))


@router.get("", response_class=HTMLResponse)
def audit_page(request: Request, s: SessionDep, actor: PageActor, action: Annotated[str, Query(max_length=64)] = "",
               user: Text = "", object_id: Text = "", since: Text = "", until: Text = "",
               cursor: Annotated[str, Query(max_length=1000)] = "") -> HTMLResponse:
    """Entries of the auditor's agency and about its records, newest first, with filters."""
    require(actor, "audit.read")
    form = {"action": action, "user": user, "object_id": object_id, "since": since, "until": until}
    return _page(request, s, actor, form=form, cursor=cursor)


@router.get("/export.{format}", response_model=None)
def export_page(request: Request, format: str, s: SessionDep, actor: PageActor,  # noqa: A002
                action: Annotated[str, Query(max_length=64)] = "", user: Text = "", object_id: Text = "",
                since: Text = "", until: Text = "") -> Response:
    """The filtered entries as a CSV or JSON lines file; a refused export shows the page with the reason."""
    require(actor, "audit.read")
    form = {"action": action, "user": user, "object_id": object_id, "since": since, "until": until}
    try:
        plan = export.plan(session=s, actor=actor, where=_filter(**form), format=format)
    except InvalidInput as exc:
        s.rollback()
        return _page(request, s, actor, form=form, cursor="", refused=i18n.error(i18n.language(request), exc.message))
    return StreamingResponse(export.stream(request.app.state.db, actor, plan), media_type=plan.media_type,
                             headers={"Content-Disposition": f'attachment; filename="{plan.filename}"'})


@router.post("/verify", response_class=HTMLResponse)
def verify(request: Request, s: SessionDep, actor: PageActor,
           action: Annotated[str, Form(max_length=64)] = "") -> HTMLResponse:
    """Recompute the whole log and its signatures, and show the outcome."""
    result = service.check(session=s, actor=actor, settings=request.app.state.settings)
    form = {"action": action, "user": "", "object_id": "", "since": "", "until": ""}
    return _page(request, s, actor, form=form, cursor="", verification=result)

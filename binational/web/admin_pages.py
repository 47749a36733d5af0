"""Administration pages: agencies, the users of the administrator's agency and their pending grants,
and API tokens (one's own, or an administrator's agency's)."""

from __future__ import annotations

from typing import Annotated, Any, Literal
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Path, Query, Request
from fastapi.responses import HTMLResponse, Response

from binational.access import service as access
from binational.access import web_sessions
from binational.access.policy import can, require
from binational.access.roles import ROLES
from binational.admin import service
from binational.config import get_settings
from binational.errors import Conflict, InvalidInput
from binational.routing import RowId, SessionDep
from binational.web import i18n
from binational.web.render import PageActor, field_errors, redirect, render
from binational.web.sessions import check_csrf

router = APIRouter(prefix="/admin", dependencies=[Depends(check_csrf)], include_in_schema=False)


def _agencies(request: Request, s: Any, errors: dict[str, str] | None = None, form: dict[str, str] | None = None,
              status: int = 200) -> HTMLResponse:
    return render(request, "admin/agencies.html", status, agencies=access.list_agencies(session=s),
                  errors=errors or {}, form=form or {}, may_register=can(request.state.actor, "agency.create").allowed)


@router.get("/agencies", response_class=HTMLResponse)
def agencies(request: Request, s: SessionDep, actor: PageActor) -> HTMLResponse:
    """Every agency of the node, and (node administrators) a form to register one."""
    require(actor, "agency.list")
    return _agencies(request, s)


@router.post("/agencies", response_model=None)
def add_agency(request: Request, s: SessionDep, actor: PageActor, code: Annotated[str, Form(max_length=32)] = "",
               country: Annotated[str, Form(max_length=2)] = "",
               name: Annotated[str, Form(max_length=300)] = "") -> Response:
    """Register an agency."""
    try:
        service.add_agency(session=s, actor=actor, code=code, country=country, name=name)
    except (InvalidInput, Conflict) as exc:
        s.rollback()  # nothing of a refused change is kept (the page's unit of work would commit it)
        return _agencies(request, s, field_errors(i18n.language(request), exc, "code"),
                         {"code": code, "country": country, "name": name}, 422)
    return redirect("/admin/agencies")


def _users(request: Request, s: Any, actor: Any, errors: dict[str, str] | None = None,
           form: dict[str, Any] | None = None, status: int = 200) -> HTMLResponse:
    users = service.list_users(session=s, actor=actor)
    counts = web_sessions.open_counts(session=s, user_ids=[u.id for u in users], settings=request.app.state.settings)
    return render(request, "admin/users.html", status, users=users, open_sessions=counts,
                  grants=service.list_grants(session=s, actor=actor),
                  agencies=access.list_agencies(session=s), roles=sorted(ROLES), errors=errors or {},
                  form=form or {"agency": actor.agency, "roles": ["analyst"], "clearance": "TLP:AMBER"})


@router.get("/users", response_class=HTMLResponse)
def users(request: Request, s: SessionDep, actor: PageActor) -> HTMLResponse:
    """The users of the administrator's agency, the grants waiting for a second administrator, and a form
    to add a user."""
    return _users(request, s, actor)


@router.post("/users", response_model=None)
async def add_user(request: Request, s: SessionDep, actor: PageActor) -> Response:
    """Create a user with a password (the auditor role and TLP:RED wait for a second administrator)."""
    form = await request.form()
    roles = [str(r) for r in form.getlist("roles")]
    values: dict[str, Any] = {"username": str(form.get("username", "")), "agency": str(form.get("agency", "")),
                              "roles": roles, "clearance": str(form.get("clearance", "")),
                              "password": str(form.get("password", ""))}
    try:
        service.request_user(session=s, actor=actor, username=values["username"], agency=values["agency"],
                             roles=roles, clearance=values["clearance"], password=values["password"] or None)
    except (InvalidInput, Conflict) as exc:
        s.rollback()
        values.pop("password")
        errors = field_errors(i18n.language(request), exc, "username")
        if isinstance(exc, Conflict):
            errors = {"username": i18n.error(i18n.language(request), exc.message)}
        return _users(request, s, actor, errors, values, 422)
    return redirect("/admin/users")


@router.post("/users/{username}/sessions/end")
def end_sessions(username: Annotated[str, Path(max_length=100)], s: SessionDep, actor: PageActor) -> Response:
    """End every web session of a user of the administrator's agency."""
    service.end_sessions(session=s, actor=actor, username=username)
    return redirect("/admin/users")


@router.post("/grants/{grant_id}/{decision}")
def decide_grant(grant_id: RowId, decision: Literal["approve", "reject"], s: SessionDep,
                 actor: PageActor) -> Response:
    """Approve or reject a grant another administrator of the agency asked for."""
    service.decide_grant(session=s, actor=actor, grant_id=grant_id, approve=decision == "approve")
    return redirect("/admin/users")


@router.get("/tokens", response_class=HTMLResponse)
def tokens(request: Request, s: SessionDep, actor: PageActor,
           username: Annotated[str, Query(max_length=100)] = "") -> HTMLResponse:
    """One's own API tokens, or (administrators) those of a user of one's agency."""
    username = username or actor.username
    rows = service.list_tokens(session=s, actor=actor, username=username)
    return render(request, "admin/tokens.html", username=username, tokens=rows, secret=None, errors={},
                  own=username == actor.username, max_days=get_settings().token_max_days)


@router.post("/tokens", response_class=HTMLResponse)
def create_token(request: Request, s: SessionDep, actor: PageActor,
                 days: Annotated[int, Form(ge=1, le=36500)] = 90) -> HTMLResponse:
    """Issue a token for oneself; its secret is shown on this page only, once."""
    try:
        _row, secret = service.create_token(session=s, actor=actor, username=actor.username, days=days)
    except InvalidInput as exc:
        s.rollback()
        return render(request, "admin/tokens.html", 422, username=actor.username, own=True, secret=None,
                      tokens=service.list_tokens(session=s, actor=actor, username=actor.username),
                      errors=field_errors(i18n.language(request), exc, "expires_days"),
                      max_days=get_settings().token_max_days)
    rows = service.list_tokens(session=s, actor=actor, username=actor.username)
    return render(request, "admin/tokens.html", username=actor.username, tokens=rows, secret=secret, errors={},
                  own=True, max_days=get_settings().token_max_days)


@router.post("/tokens/{token_id}/revoke")
def revoke_token(token_id: str, s: SessionDep, actor: PageActor,
                 username: Annotated[str, Form(max_length=100)] = "") -> Response:
    """Revoke one's own token, or one of a user of the administrator's agency."""
    service.revoke_token(session=s, actor=actor, token_id=token_id)
    return redirect(f"/admin/tokens?username={quote(username, safe='')}")

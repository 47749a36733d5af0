"""Signing in and out, the language switch, and the home page."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from binational.access import service as access
from binational.access.policy import can
from binational.audit import log as audit
from binational.entities import links, releases, service
from binational.errors import Unauthenticated
from binational.requests import service as requests_service
from binational.routing import SessionDep
from binational.web import i18n
from binational.web.render import PageActor, redirect, render
from binational.web.sessions import check_csrf, session_of, sign_in, sign_out

router = APIRouter(dependencies=[Depends(check_csrf)], include_in_schema=False)


def _local(target: str | None) -> str:
    """Only paths of this site are followed after signing in (no open redirect)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next: str | None = None) -> HTMLResponse:
    """The sign-in form."""
    return render(request, "login.html", next=_local(next), username="", error=None)


@router.post("/login", response_model=None)
def login(request: Request, s: SessionDep, username: Annotated[str, Form(max_length=100)] = "",
          password: Annotated[str, Form(max_length=1000)] = "",
          next: Annotated[str, Form(max_length=2000)] = "/") -> HTMLResponse | RedirectResponse:
    """Check the password (argon2); start a session, or show the form again with the error."""
    try:
        user = access.check_password(session=s, username=username.strip(), password=password)
    except Unauthenticated as exc:
        audit.record(s, action="auth.login", actor=None, decision="deny", reason="wrong username or password")
        lang = i18n.language(request)
        return render(request, "login.html", 401, next=_local(next), username=username,
                      error=i18n.error(lang, exc.message))
    actor = access.actor_for(session=s, user=user)
    audit.record(s, action="auth.login", actor=actor, extra={"method": "password"})
    sign_in(request, user.id)
    return redirect(_local(next))


@router.post("/logout")
def logout(request: Request) -> RedirectResponse:
    """End the session."""
    sign_out(request)
    return redirect("/login")


@router.post("/language")
def choose_language(request: Request, lang: Annotated[str, Form(max_length=8)] = "en",
                    next: Annotated[str, Form(max_length=2000)] = "/") -> RedirectResponse:
    """Switch the interface language (kept in the session)."""
    if lang in i18n.LANGUAGES:
        session_of(request)["lang"] = lang
    return redirect(_local(next))


@router.get("/", response_class=HTMLResponse)
def home(request: Request, s: SessionDep, actor: PageActor) -> HTMLResponse:
    """The user's start page: recent entities, recent releases to the agency, the modules."""
    viewer = can(actor, "entity.list").allowed
    recent = links.recent(session=s, actor=actor, limit=10) if viewer else []
    rows = releases.received(session=s, actor=actor, limit=10) if viewer else []
    received = list(zip([r for r, _e in rows], service.assemble(s, actor, [e for _r, e in rows]), strict=True))
    boxes = {}
    if can(actor, "request.list").allowed:
        boxes = {name: requests_service.list_requests(session=s, actor=actor, box=box, overdue=late, limit=5)[0]
                 for name, box, late in (("inbox", "inbox", False), ("outbox", "outbox", False),
                                         ("overdue", "inbox", True))}
        boxes["inbox"] = [r for r in boxes["inbox"] if r["state"] in requests_service.OPEN]
    return render(request, "home.html", recent=recent, received=received, boxes=boxes,
                  may_create=can(actor, "entity.create").allowed, may_audit=can(actor, "audit.read").allowed,
                  may_admin=can(actor, "user.list").allowed, may_view=viewer)

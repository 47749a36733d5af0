"""Signing in and out, the language switch, and the home page."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy.orm import Session

from binational.access import login_throttle, web_sessions
from binational.access import service as access
from binational.access.models import User
from binational.access.policy import can
from binational.audit import log as audit
from binational.audit.log import CREDENTIAL
from binational.dashboard import service as dashboard
from binational.errors import Unauthenticated
from binational.routing import SessionDep
from binational.web import i18n
from binational.web.render import PageActor, redirect, render
from binational.web.sessions import check_csrf, session_of, sign_in, sign_out, signed_in_secret

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


def _address(request: Request) -> str:
    """The network address a request came from, as the login throttle counts it."""
    return request.client.host if request.client else "unknown"


def _failed_login(s: Session, username: str, reason: str, extra: dict[str, object]) -> None:
    """Audit a refused sign-in: naming the account and its agency when it exists (so that agency's
    auditors see it), or the SHA-256 of the name typed when it does not (never its text)."""
    user = access.find_user(session=s, username=username)
    objects: list[tuple[str, str | None]] = []
    if user is not None:
        objects = [(f"user:{user.username}", user.agency)]
    else:
        extra = {**extra, "username_sha256": login_throttle.account_key(username)}
    audit.record(s, action="auth.login", actor=None, objects=objects, decision="deny", reason=reason, extra=extra)


@router.post("/login", response_model=None)
def login(request: Request, s: SessionDep, username: Annotated[str, Form(max_length=100)] = "",
          password: Annotated[str, Form(max_length=1000)] = "",
          next: Annotated[str, Form(max_length=2000)] = "/") -> HTMLResponse | RedirectResponse:
    """Check the password (argon2) unless the throttle refuses the attempt (429, `Retry-After`);
    start a new server-side session, or show the form again with the error. A name that is no
    user's is answered exactly as a known one."""
    settings = request.app.state.settings
    name, address, lang = username.strip(), _address(request), i18n.language(request)
    throttled = login_throttle.check(session=s, username=name, address=address, settings=settings)
    if throttled is not None:
        _failed_login(s, name, f"throttled: too many failed sign-ins for the {throttled.by}",
                      {"address": address, "throttle": throttled.by})
        minutes = max(1, -(-throttled.retry_after // 60))
        page = render(request, "login.html", 429, next=_local(next), username=username,
                      error=i18n.translate(lang, "error.login_throttled", minutes=minutes))
        page.headers["Retry-After"] = str(throttled.retry_after)
        return page
    try:
        user = access.check_password(session=s, username=name, password=password)
    except Unauthenticated as exc:
        login_throttle.failed(session=s, username=name, address=address, settings=settings)
        _failed_login(s, name, "wrong username or password", {"address": address})
        return render(request, "login.html", 401, next=_local(next), username=username,
                      error=i18n.error(lang, exc.message))
    login_throttle.succeeded(session=s, username=name)
    # A new session at every sign-in; the one this browser held before (if any) ends.
    previous = web_sessions.find(session=s, secret=signed_in_secret(request))
    if previous is not None:
        web_sessions.end(session=s, row=previous, by=user.id, reason=web_sessions.SIGNED_IN_AGAIN)
    row, secret = web_sessions.start(session=s, user=user, address=address, settings=settings)
    s.info[CREDENTIAL] = f"session:{row.id}"
    actor = access.actor_for(session=s, user=user)
    audit.record(s, action="auth.login", actor=actor, extra={"method": "password"})
    sign_in(request, secret)
    return redirect(_local(next))


@router.post("/logout")
def logout(request: Request, s: SessionDep) -> RedirectResponse:
    """End the session: its row, so that a copy of the cookie signs nobody in any more."""
    row = web_sessions.find(session=s, secret=signed_in_secret(request))
    if row is not None and row.ended_at is None:
        user = s.get(User, row.user_id)
        web_sessions.end(session=s, row=row, by=row.user_id, reason=web_sessions.LOGOUT)
        if user is not None:
            s.info[CREDENTIAL] = f"session:{row.id}"
            audit.record(s, action="auth.logout", actor=access.actor_for(session=s, user=user))
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
    """The user's start page: the picture of its agency (`binational.dashboard`) and the modules."""
    lang = i18n.language(request)
    shown = dashboard.picture(session=s, actor=actor)
    return render(request, "home.html", picture=shown, chart=chart(lang, shown.series),
                  may_create=can(actor, "entity.create").allowed, may_audit=can(actor, "audit.read").allowed,
                  may_admin=can(actor, "user.list").allowed, may_view=can(actor, "entity.list").allowed,
                  may_request=can(actor, "request.list").allowed)


def chart(lang: str, series: list[dict[str, object]]) -> dict[str, object] | None:
    """The Vega-Lite spec of the counts over time, in the page's language (None without a series)."""
    if not series:
        return None

    def word(key: str) -> str:
        return i18n.translate(lang, key)

    values = [{**point, "series": word(f"home.series_{point['series']}")} for point in series]
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v6.json",
        "description": word("home.chart"), "width": "container", "height": 220,
        "data": {"values": values},
        "mark": {"type": "line", "point": True},
        "encoding": {
            "x": {"field": "week", "type": "temporal", "timeUnit": "yearmonthdate", "title": word("home.chart_week")},
            "y": {"field": "count", "type": "quantitative", "title": word("home.chart_count"),
                  "axis": {"tickMinStep": 1}},
            "color": {"field": "series", "type": "nominal", "title": None, "legend": {"orient": "bottom"}},
        },
    }

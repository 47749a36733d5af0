"""The web interface: server-rendered pages (Jinja2 + htmx) in English and Spanish.

Pages use the same services and policy as the API; an invisible record is the ordinary 404 page.
`mount(app)` adds the pages, the static files and the session middleware to the application.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles

from binational.config import Settings
from binational.errors import DomainError
from binational.web import (
    admin_pages,
    api_docs,
    audit_pages,
    discovery_pages,
    engagements_pages,
    entity_pages,
    federation_pages,
    firearms_pages,
    flows_pages,
    network_pages,
    pages,
    repatriation_pages,
    request_pages,
    resolution_pages,
    search_pages,
    trade_pages,
)
from binational.web.render import error_page
from binational.web.sessions import API_PREFIX, SessionMiddleware, cookie_key, route_path

STATIC = __path__[0] + "/static"


def is_page(request: Request) -> bool:
    """Whether a request is for a web page (not the API, not a static file)."""
    path = route_path(request.scope)
    return not path.startswith(API_PREFIX) and not path.startswith("/static/")


def page_error(request: Request, exc: DomainError | None, status: int) -> Response:
    """The HTML answer to a failure on a web page."""
    return error_page(request, exc, status)


def mount(app: FastAPI, settings: Settings) -> None:
    """Add the pages, /static and the signed session cookie to the application (`MissingSecret`
    without the node's secret)."""
    for router in (pages.router, entity_pages.router, entity_pages.release_router, request_pages.router,
                   request_pages.notices_router, discovery_pages.router,
                   resolution_pages.router, network_pages.router, repatriation_pages.router, audit_pages.router,
                   admin_pages.router, search_pages.router, firearms_pages.router, engagements_pages.router,
                   trade_pages.router, flows_pages.router, federation_pages.router, api_docs.router):
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.add_middleware(SessionMiddleware, secret=cookie_key(settings), max_age=settings.session_hours * 3600)

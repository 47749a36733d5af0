"""The ASGI application: API routers under /api/v1, one error shape, a body-size limit, the web pages."""

from __future__ import annotations

import gc
import logging
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from binational import __version__, web
from binational.admin import api as admin_api
from binational.admin import audit_api
from binational.api_document import document_errors
from binational.audit.sequencer import Sequencer, queues
from binational.bounds import RequestBounds, UserCaps
from binational.config import Settings, get_settings
from binational.db import Database, act_as_system
from binational.engagements import api as engagements_api
from binational.entities import api as entities_api
from binational.errors import DomainError
from binational.failures import ContainErrors, error_body, send_json
from binational.federation import api as federation_api
from binational.federation.refusals import Tally, record_left_out
from binational.firearms import api as firearms_api
from binational.flows import api as flows_api
from binational.input_guard import InputGuard
from binational.networks import api as networks_api
from binational.repatriation import api as repatriation_api
from binational.requests import api as requests_api
from binational.resolution import api as resolution_api
from binational.search import api as search_api
from binational.trade import api as trade_api
from binational.web.headers import SecurityHeaders

API = "/api/v1"
log = logging.getLogger("binational")


class BodyLimit:
    """Refuse request bodies over the limit, whether or not they announce their length."""

    def __init__(self, app: ASGIApp, limit: int, paths: dict[str, int] | None = None) -> None:
        self.app = app
        self.limit = limit
        #: path -> its own limit (an import file is far larger than any other body)
        self.paths = paths or {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.paths.get(scope.get("path", ""), self.limit)
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await self._refuse(send, limit)
            return
        # Read the body up to the limit before the app sees it: a chunked body has no declared
        # length, and an error raised while the app parses it would not reach the error handler.
        received: list[Message] = []
        seen = 0
        while True:
            message = await receive()
            received.append(message)
            if message["type"] != "http.request":
                break
            seen += len(message.get("body", b""))
            if seen > limit:
                await self._refuse(send, limit)
                return
            if not message.get("more_body", False):
                break

        async def replay() -> Message:
            return received.pop(0) if received else await receive()

        await self.app(scope, replay, send)

    async def _refuse(self, send: Send, limit: int) -> None:
        await send_json(send, 413, error_body("payload_too_large", f"request body is over {limit} bytes"))


class RequestId:
    """Give every request an id (`request.state.request_id`, its audit entries' `request_id`) and
    answer it in `X-Request-ID`. Plain ASGI: Starlette's `BaseHTTPMiddleware` costs a task and a
    stream per request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = rid

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message).append("X-Request-ID", rid)
            await send(message)

        await self.app(scope, receive, send_with_id)


def _validation_details(exc: RequestValidationError) -> list[dict[str, Any]]:
    details = []
    for err in exc.errors():
        loc = [str(p) for p in err.get("loc", ()) if p != "body"]
        details.append({"field": ".".join(loc), "reason": err.get("msg", ""), "type": err.get("type", "")})
    return details


def _allowed_methods(request: Request) -> list[str]:
    """Every method some route takes on the request's path."""
    allowed = []
    for method in ("GET", "POST", "PUT", "PATCH", "DELETE"):
        scope = {**request.scope, "method": method}
        if any(route.matches(scope)[0] == Match.FULL for route in request.app.routes):
            allowed.append(method)
    return allowed


@asynccontextmanager
async def _serving(app: FastAPI) -> AsyncIterator[None]:
    """While serving: sequence the audit log in the background (PostgreSQL), and keep the objects made
    at start-up out of the garbage collector's full passes.

    The modules a node imports (SQLAlchemy, FollowTheMoney, Splink, networkit ...) leave ~200,000
    long-lived objects; a full collection walks them all and stalled a request by ~200 ms on the
    benchmark machine, the whole of its p99 (benchmarks/access_overhead.py). Appending each request's
    audit entry under the log's one lock made concurrent requests wait for each other (same benchmark);
    SQLite serializes every transaction anyway, so there the requests keep appending their own.
    """
    settings: Settings = app.state.settings
    db: Database = app.state.db
    # By the app's settings, like the queueing below (a test may serve a database made with others).
    sequencer = Sequencer.for_node(db, settings) if app.state.own_sequencer else None
    if sequencer is not None:
        sequencer.start()
    elif queues(settings):  # a worker of `serving.serve`: the supervising process sequences
        db.defer_audit = True
    gc.freeze()  # O(1): the objects move to a generation no collection visits
    try:
        yield
    finally:
        gc.unfreeze()
        tally = getattr(app.state, "federation_refusals", None)
        if tally is not None:  # the refusals only counted, none named yet: in the log before the process ends
            with db.unit_of_work() as session:
                act_as_system(session)
                record_left_out(session, tally, None)
        if sequencer is not None:
            sequencer.stop()
        db.defer_audit = False


def create_app(settings: Settings | None = None, db: Database | None = None, *, own_sequencer: bool = True,
               federation: bool = False) -> FastAPI:
    """The application of one node; without `own_sequencer`, serving only queues audit entries on
    PostgreSQL, for a sequencer that another process runs (the supervisor of `serving.serve`). The
    federation endpoints partner nodes push to are there only with `federation` (`serve
    --federation-tls`, whose handshake admits only certificates partners' anchors pin)."""
    settings = settings or get_settings()
    app = FastAPI(
        lifespan=_serving,
        title="binational",
        version=__version__,
        description="Information sharing under control between the agencies of partner countries. Every "
        "failure answers one JSON shape, `{\"error\": {\"code\", \"message\", \"details\"}}`; a method a path "
        "does not take (TRACE, OPTIONS ...) is `405 method_not_allowed` in that shape.",
        openapi_url=f"{API}/openapi.json",
        docs_url=None,  # Swagger UI and ReDoc are served from the node's own copies (web/api_docs.py)
        redoc_url=None,
        # FastAPI's own OpenTelemetry would send exception messages (which can quote a record) to any
        # provider the host process set up, outside the policy and the audit log; and looking for one
        # cost every request.
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    app.state.settings = settings
    app.state.db = db or Database(settings)
    app.state.own_sequencer = own_sequencer
    app.state.caps = UserCaps(settings.user_requests_per_minute)

    @app.exception_handler(DomainError)
    async def domain_error(request: Request, exc: DomainError) -> Response:
        if web.is_page(request):
            page = web.page_error(request, exc, exc.status)
            if getattr(exc, "retry_after", None) is not None:
                page.headers["Retry-After"] = str(exc.retry_after)  # type: ignore[attr-defined]
            return page
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else {}
        retry_after = getattr(exc, "retry_after", None)  # RateLimited, TimeBudgetExceeded
        if retry_after is not None:
            headers["Retry-After"] = str(retry_after)
        return JSONResponse(exc.as_json(), status_code=exc.status, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> Response:
        if web.is_page(request):
            return web.page_error(request, None, 422)
        details = _validation_details(exc)
        if any(d["type"] == "json_invalid" for d in details):
            return JSONResponse(error_body("malformed_json", "request body is not valid JSON", details), 400)
        return JSONResponse(error_body("invalid_input", "request does not match the expected shape", details), 422)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if web.is_page(request):
            return web.page_error(request, None, exc.status_code)
        # FastAPI raises a 400 only for a body it could not parse: the guard answers every JSON one
        # first (malformed_json), so what is left is a form body
        code = {400: "bad_request", 404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        headers = dict(getattr(exc, "headers", None) or {})
        if exc.status_code == 405:  # Starlette's names the methods of the first route of the path only
            headers["Allow"] = ", ".join(_allowed_methods(request))
        return JSONResponse(error_body(code, str(exc.detail)), status_code=exc.status_code, headers=headers)

    # search's router first: it holds the entity list (`GET /entities`, ranked with `?q=`)
    for router in (admin_api.router, search_api.router, entities_api.router, entities_api.releases_router,
                   audit_api.router, *requests_api.ROUTERS, resolution_api.router, networks_api.router,
                   firearms_api.router, repatriation_api.router, engagements_api.router, trade_api.router,
                   flows_api.router):
        app.include_router(router, prefix=API)
    if federation:
        app.include_router(federation_api.router)
        app.state.federation_refusals = Tally(settings.federation_refusals_per_minute)
    document_errors(app, API, *([federation_api.router.prefix] if federation else []))
    web.mount(app, settings)
    # Outermost last: the body is bounded, then its texts checked, and any error no handler took is
    # answered by ContainErrors (not by Starlette's, which would also close the connection); every
    # answer, errors included, carries the security headers and the request's id.
    app.add_middleware(RequestBounds, settings=settings)  # inside BodyLimit: the body is read already
    app.add_middleware(InputGuard)
    imports = {path: settings.import_max_bytes for path in (
        f"{API}/entities/import", "/entities/import", f"{API}/repatriation/imports/khsm",
        f"{API}/repatriation/imports/ice-air", "/repatriation/import")}
    imports[federation_api.ITEMS] = settings.federation_max_body_bytes
    app.add_middleware(BodyLimit, limit=settings.max_body_bytes, paths=imports)
    app.add_middleware(ContainErrors)
    app.add_middleware(SecurityHeaders)
    app.add_middleware(RequestId)
    return app

"""The one JSON error shape, and the answer to a failure no handler took: `503` with `Retry-After`
when the database is out of reach, `500` otherwise, sent without closing the connection."""

from __future__ import annotations

import logging
import sqlite3
from typing import Any

import orjson
import psycopg
from sqlalchemy import exc as sa_exc
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("binational")

#: Seconds a client is asked to wait before retrying when the database is out of reach: long enough
#: for a restart or a failover to be noticed, short enough that nobody gives up.
RETRY_AFTER = 5

#: What a database that is gone, unreachable, out of connections or out of disk raises (SQLite's disk
#: I/O and full-disk errors are OperationalErrors): the request may succeed later, so 503.
UNAVAILABLE: tuple[type[BaseException], ...] = (
    sa_exc.OperationalError, sa_exc.InterfaceError, sa_exc.DisconnectionError, sa_exc.TimeoutError,
    psycopg.OperationalError, psycopg.InterfaceError, sqlite3.OperationalError,
)


def error_body(code: str, message: str, details: list[Any] | None = None) -> dict[str, Any]:
    """The one JSON error shape."""
    return {"error": {"code": code, "message": message, "details": details or []}}


def is_unavailable(exc: BaseException) -> bool:
    """Whether an error (or one it was raised from) says the database is out of reach."""
    seen = 0
    current: BaseException | None = exc
    while current is not None and seen < 8:
        if isinstance(current, UNAVAILABLE):
            return True
        current = current.__cause__ or current.__context__
        seen += 1
    return False


def failure_answer(exc: BaseException) -> tuple[int, dict[str, Any], list[tuple[bytes, bytes]]]:
    """Status, body and extra headers of the answer to an unhandled error."""
    if is_unavailable(exc):
        body = error_body("unavailable", "the database is unavailable; try again later",
                          [{"retry_after": RETRY_AFTER}])
        return 503, body, [(b"retry-after", str(RETRY_AFTER).encode())]
    return 500, error_body("internal_error", "internal error; see the server log"), []


async def send_json(send: Send, status: int, body: dict[str, Any],
                    headers: list[tuple[bytes, bytes]] | None = None) -> None:
    """Send a whole JSON answer."""
    payload = orjson.dumps(body)
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode()),
                            *(headers or [])]})
    await send({"type": "http.response.body", "body": payload})


class ContainErrors:
    """Answer any error that no exception handler took, in the error shape, and keep it from the server.

    Starlette's outermost middleware answers such an error with a 500 and then re-raises it, and the
    server closes the connection: a client keeping its connection alive lost the next request too.
    Here the error ends with its answer. An error after the answer has started cannot be answered
    any more and still reaches the server, which closes the connection: the half-sent answer must
    not look complete.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception as exc:
            if started:
                raise
            status, body, headers = failure_answer(exc)
            if status == 500:
                log.exception("unexpected error in %s", scope.get("path", ""))
            else:
                log.warning("database unavailable in %s: %s", scope.get("path", ""), type(exc).__name__)
            rid = (scope.get("state") or {}).get("request_id")
            if rid:
                headers = [*headers, (b"x-request-id", rid.encode())]
            await send_json(send, status, body, headers)

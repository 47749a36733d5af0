"""One check on every incoming text before any route sees it: the path, the query, and a JSON or form
body. A NUL character or a lone surrogate anywhere is `422 invalid_input` naming the field; a body
that is not JSON (invalid UTF-8, a syntax error, nesting too deep, a number too long, NaN) is
`400 malformed_json`. Nothing reaches a route, a service or the database.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from binational.failures import error_body, send_json
from binational.text_input import find_forbidden, forbidden_character

#: Our bodies nest a few levels (properties of lists); far deeper is an attack on a parser.
MAX_JSON_DEPTH = 32
_BODY_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


class Refused(Exception):
    """A request the guard answers itself."""

    def __init__(self, status: int, code: str, message: str, field: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.field = status, code, message, field


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def parse_json(body: bytes) -> Any:
    """A JSON body parsed as the routes will parse it, or `Refused` (400 malformed_json)."""
    try:
        data = json.loads(body, parse_constant=_no_constant)
    except RecursionError:
        raise Refused(400, "malformed_json", "request body is not valid JSON (nested too deeply)", "body") from None
    except ValueError as exc:  # syntax, invalid UTF-8, an integer past Python's digit limit, NaN
        reason = exc.msg if isinstance(exc, json.JSONDecodeError) else "not JSON text"
        raise Refused(400, "malformed_json", f"request body is not valid JSON ({reason})", "body") from None
    found = find_forbidden(data, max_depth=MAX_JSON_DEPTH)
    if found is not None:
        field, reason = found
        if reason.startswith("nested"):
            raise Refused(400, "malformed_json", f"request body is not valid JSON ({reason})", field or "body")
        raise Refused(422, "invalid_input", f"{field or 'body'} {reason}", field or "body")
    return data


def _check_pairs(pairs: list[tuple[str, str]], where: str) -> None:
    for key, value in pairs:
        reason = forbidden_character(key)
        if reason:
            raise Refused(422, "invalid_input", f"a {where} parameter's name {reason}", where)
        reason = forbidden_character(value)
        if reason:
            raise Refused(422, "invalid_input", f"{where}.{key} {reason}", f"{where}.{key}")


def check_url(scope: Scope) -> None:
    """The path and the query string; `Refused` on a text that may not be stored."""
    reason = forbidden_character(scope.get("path", ""))
    if reason:
        raise Refused(422, "invalid_input", f"path {reason}", "path")
    query = scope.get("query_string", b"").decode("latin-1")
    _check_pairs(parse_qsl(query, keep_blank_values=True), "query")


def _is_json(content_type: str) -> bool:
    if not content_type:  # FastAPI reads a body without a content type as JSON
        return True
    kind = content_type.split(";")[0].strip().lower()
    return kind == "application/json" or (kind.startswith("application/") and kind.endswith("+json"))


async def check_body(scope: Scope, body: bytes) -> None:
    """A JSON, urlencoded or multipart body; `Refused` on what may not be stored."""
    types = [value for name, value in scope.get("headers") or [] if name == b"content-type"]
    if len(types) > 1:  # the guard and the route must read the body as the same kind
        raise Refused(400, "bad_request", "more than one Content-Type header", "headers.content-type")
    content_type = types[0].decode("latin-1") if types else ""
    kind = content_type.split(";")[0].strip().lower()
    if not body:
        return
    if _is_json(content_type):
        parse_json(body)
    elif kind in ("application/x-www-form-urlencoded", "multipart/form-data"):
        sent = False

        async def once() -> Message:
            nonlocal sent
            if sent:
                return {"type": "http.disconnect"}
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        request = Request(scope, once)
        try:
            form = await request.form()
        except Exception:  # noqa: BLE001 - a form the routes could not parse either; they answer it
            return
        try:
            pairs: list[tuple[str, str]] = []
            for key, value in form.multi_items():
                if isinstance(value, UploadFile):
                    content = await value.read()
                    if b"\x00" in content:
                        raise Refused(422, "invalid_input", f"form.{key} contains a NUL character", f"form.{key}")
                    pairs.append((key, value.filename or ""))
                else:
                    pairs.append((key, value))
            _check_pairs(pairs, "form")
        finally:
            await form.close()


class InputGuard:
    """Check every request's path, query and body (already bounded by `BodyLimit`, outside this)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        received: list[Message] = []
        try:
            check_url(scope)
            if scope.get("method") in _BODY_METHODS:
                chunks: list[bytes] = []
                while True:
                    message = await receive()
                    received.append(message)
                    if message["type"] != "http.request":
                        break
                    chunks.append(message.get("body", b""))
                    if not message.get("more_body", False):
                        break
                await check_body(scope, b"".join(chunks))
        except Refused as exc:
            await send_json(send, exc.status, error_body(exc.code, exc.message,
                                                         [{"field": exc.field, "reason": exc.message}]))
            return

        async def replay() -> Message:
            return received.pop(0) if received else await receive()

        await self.app(scope, replay, send)

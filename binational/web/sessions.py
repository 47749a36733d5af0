"""Web sessions in a signed cookie, and the CSRF token every form carries.

The cookie holds a small JSON object (the signed-in user's id, the CSRF token, the chosen language
and when the session began) and an HMAC-SHA256 of it under the node's secret key. It is `HttpOnly`
and `SameSite=Lax`, and `Secure` when the request came over HTTPS. A cookie that does not verify,
or that is older than `MAX_AGE`, is ignored: the visitor starts a fresh, anonymous session.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import json
import secrets
import time
from http.cookies import SimpleCookie
from typing import Any

from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from binational.errors import Forbidden

COOKIE = "binational_session"
MAX_AGE = 12 * 3600  # a working day: then one signs in again
API_PREFIX = "/api/"


def route_path(scope: Scope) -> str:
    """The path of a request within the app: behind a proxy that serves it under a prefix (the
    `root_path`), uvicorn's `scope["path"]` begins with that prefix."""
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    if root and path.startswith(root) and path[len(root):len(root) + 1] in ("", "/"):
        return path[len(root):] or "/"
    return path


def _mac(secret: str, payload: bytes) -> str:
    return hmac.new(secret.encode(), b"web-session:" + payload, hashlib.sha256).hexdigest()


def encode(secret: str, data: dict[str, Any]) -> str:
    """The cookie value carrying `data`, signed."""
    payload = base64.urlsafe_b64encode(json.dumps(data, separators=(",", ":"), sort_keys=True).encode())
    return f"{payload.decode()}.{_mac(secret, payload)}"


def decode(secret: str, value: str | None, now: float | None = None) -> dict[str, Any] | None:
    """The data of a cookie this node signed and that has not expired; None otherwise."""
    if not value or "." not in value:
        return None
    payload, mac = value.rsplit(".", 1)
    if not hmac.compare_digest(mac, _mac(secret, payload.encode())):
        return None
    try:
        data = json.loads(base64.urlsafe_b64decode(payload.encode()))
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("since"), int | float):
        return None
    if (now or time.time()) - data["since"] > MAX_AGE:
        return None
    return data


def fresh(lang: str | None = None) -> dict[str, Any]:
    """A new anonymous session with its own CSRF token."""
    return {"uid": None, "csrf": secrets.token_urlsafe(24), "lang": lang, "since": int(time.time())}


class SessionMiddleware:
    """For web pages (never /api/: the API takes bearer tokens), read the session cookie into
    `scope["web_session"]` and its user into `session_user_id`, and write it back when changed."""

    def __init__(self, app: ASGIApp, secret: str) -> None:
        self.app = app
        self.secret = secret

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or route_path(scope).startswith(API_PREFIX):
            # The API takes bearer tokens and keeps no session: nothing to read, sign or write back.
            await self.app(scope, receive, send)
            return
        cookie = SimpleCookie()
        for name, value in scope.get("headers") or []:
            if name == b"cookie":
                with contextlib.suppress(Exception):  # a malformed cookie header counts as no cookie
                    cookie.load(value.decode("latin-1"))
        morsel = cookie.get(COOKIE)
        data = decode(self.secret, morsel.value if morsel else None) or fresh()
        before = encode(self.secret, data)
        scope["web_session"] = data
        if data.get("uid") is not None:
            scope["session_user_id"] = data["uid"]
        secure = scope.get("scheme") == "https"

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start":
                after = encode(self.secret, scope["web_session"])
                if after != before or morsel is None:
                    headers = MutableHeaders(scope=message)
                    attributes = f"Path=/; HttpOnly; SameSite=Lax; Max-Age={MAX_AGE}" + ("; Secure" if secure else "")
                    headers.append("Set-Cookie", f"{COOKIE}={after}; {attributes}")
            await send(message)

        await self.app(scope, receive, send_with_cookie)


def session_of(request: Request) -> dict[str, Any]:
    """The web session of a request (set by the middleware)."""
    data: dict[str, Any] = request.scope["web_session"]
    return data


def sign_in(request: Request, user_id: int) -> None:
    """Start a new session for the user (a new CSRF token: the anonymous one is not carried over)."""
    request.scope["web_session"] = {**fresh(session_of(request).get("lang")), "uid": user_id}


def sign_out(request: Request) -> None:
    """End the session, keeping only the language."""
    request.scope["web_session"] = fresh(session_of(request).get("lang"))


async def check_csrf(request: Request) -> None:
    """Refuse an unsafe request whose form lacks the session's CSRF token (before anything is done)."""
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return
    form = await request.form()
    given = form.get("csrf")
    expected = session_of(request).get("csrf") or ""
    if not isinstance(given, str) or not expected or not hmac.compare_digest(given, expected):
        raise Forbidden("csrf")

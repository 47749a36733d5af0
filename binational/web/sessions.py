"""The web session cookie, and the CSRF token every form carries.

The cookie holds a small JSON object (the random secret of a signed-in session, the CSRF token, the
chosen language and when the cookie was made) and an HMAC-SHA256 of it under a key derived from the
node's secret. It names no user: the secret's SHA-256 names a row of `web_sessions`
(`binational.access.web_sessions`), which says whose session it is and whether it still holds. The
cookie is `HttpOnly` and `SameSite=Lax`, and `Secure` when the request came over HTTPS. A cookie that
does not verify, or that is older than the session's absolute lifetime, is ignored: the visitor
starts a fresh, anonymous session.
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

from binational.config import Settings
from binational.errors import Forbidden

COOKIE = "binational_session"
#: paths answered to programs (the API, and partner nodes' federation endpoints): JSON errors, no session
API_PREFIX = ("/api/", "/federation/")


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


def cookie_key(settings: Settings) -> str:
    """The key that signs session cookies, derived from the node's secret (`MissingSecret` without one)."""
    return settings.subkey("web-session").hex()


def encode(secret: str, data: dict[str, Any]) -> str:
    """The cookie value carrying `data`, signed."""
    payload = base64.urlsafe_b64encode(json.dumps(data, separators=(",", ":"), sort_keys=True).encode())
    return f"{payload.decode()}.{_mac(secret, payload)}"


def decode(secret: str, value: str | None, max_age: int, now: float | None = None) -> dict[str, Any] | None:
    """The data of a cookie this node signed and that is not older than `max_age` seconds; None otherwise."""
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
    if (now or time.time()) - data["since"] > max_age:
        return None
    return data


def fresh(lang: str | None = None) -> dict[str, Any]:
    """A new anonymous session with its own CSRF token."""
    return {"sid": None, "csrf": secrets.token_urlsafe(24), "lang": lang, "since": int(time.time())}


class SessionMiddleware:
    """For web pages (never /api/: the API takes bearer tokens), read the session cookie into
    `scope["web_session"]` and the secret of its signed-in session into `session_secret`, and write
    it back when changed."""

    def __init__(self, app: ASGIApp, secret: str, max_age: int) -> None:
        self.app = app
        self.secret = secret
        self.max_age = max_age

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
        data = decode(self.secret, morsel.value if morsel else None, self.max_age) or fresh()
        before = encode(self.secret, data)
        scope["web_session"] = data
        if isinstance(data.get("sid"), str):
            scope["session_secret"] = data["sid"]
        secure = scope.get("scheme") == "https"

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start":
                after = encode(self.secret, scope["web_session"])
                if after != before or morsel is None:
                    headers = MutableHeaders(scope=message)
                    attributes = f"Path=/; HttpOnly; SameSite=Lax; Max-Age={self.max_age}"
                    attributes += "; Secure" if secure else ""
                    headers.append("Set-Cookie", f"{COOKIE}={after}; {attributes}")
            await send(message)

        await self.app(scope, receive, send_with_cookie)


def session_of(request: Request) -> dict[str, Any]:
    """The web session of a request (set by the middleware)."""
    data: dict[str, Any] = request.scope["web_session"]
    return data


def signed_in_secret(request: Request) -> str | None:
    """The secret of the session the cookie names, if any (live or not: the row decides)."""
    secret = request.scope.get("session_secret")
    return secret if isinstance(secret, str) else None


def sign_in(request: Request, session_secret: str) -> None:
    """Carry a new signed-in session in the cookie (a new CSRF token: the anonymous one is not
    carried over)."""
    request.scope["web_session"] = {**fresh(session_of(request).get("lang")), "sid": session_secret}


def sign_out(request: Request) -> None:
    """Forget the session in the cookie, keeping only the language."""
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

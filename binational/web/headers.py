"""Security headers on every answer of the node: pages, API, static files and errors.

The Content-Security-Policy admits scripts, styles, images and connections from the node itself
only, and no inline script or style (the pages' scripts are static files). The exceptions are the
API's two documentation pages (web/api_docs.py), whose bundles are the node's own static files too:
Swagger UI starts with an inline script, which its policy admits by its SHA-256 alone; ReDoc styles
its page with the `<style>` elements it writes, which its policy admits (inline style only: no
inline script), and runs its search in a worker it makes from a `blob:` URL.
"""

from __future__ import annotations

import base64
import hashlib
import re

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from binational.web.api_docs import REDOC_PATH, SWAGGER_PATH

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
       "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
       "frame-ancestors 'none'")
#: the documentation pages' policies: their inline start-up scripts are admitted by hash (added per answer)
SWAGGER_CSP = ("default-src 'self'; script-src 'self'{hashes}; style-src 'self'; img-src 'self' data:; "
               "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
REDOC_CSP = ("default-src 'self'; script-src 'self'{hashes}; style-src 'self' 'unsafe-inline'; "
             "img-src 'self' data:; font-src 'self'; connect-src 'self'; worker-src 'self' blob:; object-src 'none'; "
             "base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
#: path of a documentation page -> its policy
DOCS_CSP = {SWAGGER_PATH: SWAGGER_CSP, REDOC_PATH: REDOC_CSP}
#: every answer's headers besides the policy
HEADERS = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}
_INLINE = re.compile(rb"<script(?![^>]*\bsrc=)[^>]*>(.*?)</script>", re.S | re.I)


def headers() -> dict[str, str]:
    """The security headers of an ordinary answer (for a handler that answers outside the middleware)."""
    return {"Content-Security-Policy": CSP, **HEADERS}


def _script_hashes(html: bytes) -> str:
    return "".join(f" 'sha256-{base64.b64encode(hashlib.sha256(body).digest()).decode()}'"
                    for body in _INLINE.findall(html))


class SecurityHeaders:
    """Add the security headers to every HTTP answer (replacing any the app set)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        root: str = scope.get("root_path", "")
        if root and path.startswith(root):
            path = path[len(root):] or "/"
        if path in DOCS_CSP:
            await self._docs(scope, receive, send, DOCS_CSP[path])
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                target = MutableHeaders(scope=message)
                for name, value in headers().items():
                    target[name] = value
            await send(message)

        await self.app(scope, receive, send_with_headers)

    async def _docs(self, scope: Scope, receive: Receive, send: Send, policy: str) -> None:
        """The documentation page, held until its body is known (it is small), so that its policy
        can name its inline scripts."""
        start: Message | None = None
        body: list[bytes] = []

        async def hold(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
                return
            if message["type"] == "http.response.body":
                body.append(message.get("body", b""))
                if message.get("more_body", False):
                    return
                assert start is not None
                target = MutableHeaders(scope=start)
                for name, value in HEADERS.items():
                    target[name] = value
                target["Content-Security-Policy"] = policy.format(hashes=_script_hashes(b"".join(body)))
                await send(start)
                await send({"type": "http.response.body", "body": b"".join(body)})
                return
            await send(message)

        await self.app(scope, receive, hold)

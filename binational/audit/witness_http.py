"""The witness over HTTP, as C2SP tlog-witness asks: `POST /add-checkpoint` answers the witness's
cosignature line (200) or a refusal with its status (400, 403, 404, 409 with the size the witness holds
as `text/x.tlog.size`, 422), and `GET /<SHA-256 of the origin>/checkpoint` the last checkpoint it
cosigned of that log. The state lives in the witness's folder (`audit.witness`): checked and replaced
under its lock, so two requests at once cannot roll it back. No authentication beyond the log's
signature, as the specification says; the body is bounded."""

from __future__ import annotations

import time
from pathlib import Path

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from binational.audit import witness

#: a checkpoint with 64 signatures and 63 proof lines fits well within this
MAX_BODY = 64 * 1024


def app(folder: Path) -> Starlette:
    """The witness of `folder` as an ASGI application."""
    witness.verifier(folder)  # refuse to start on a folder that holds no witness

    async def add_checkpoint(request: Request) -> Response:
        body = b""
        async for chunk in request.stream():
            body += chunk
            if len(body) > MAX_BODY:
                return PlainTextResponse(f"refused: the request is larger than {MAX_BODY} bytes\n", 413)
        try:
            text = body.decode()
        except UnicodeDecodeError:
            return PlainTextResponse("refused: the request is not UTF-8\n", 400)
        try:
            lines = await run_in_threadpool(witness.add_checkpoint, folder, text, int(time.time()))
        except witness.Refusal as exc:
            if exc.status == 409:
                return Response(f"{exc.size}\n", 409, media_type="text/x.tlog.size")
            return PlainTextResponse(exc.message + "\n", exc.status)
        return PlainTextResponse(lines)

    async def checkpoint(request: Request) -> Response:
        found = witness.latest(folder, request.path_params["origin_hash"])
        if found is None:
            return PlainTextResponse("no checkpoint of that log cosigned\n", 404)
        return PlainTextResponse(found)

    return Starlette(routes=[Route("/add-checkpoint", add_checkpoint, methods=["POST"]),
                             Route("/{origin_hash}/checkpoint", checkpoint, methods=["GET"])])

"""The federation endpoint partner nodes push to: `POST /federation/v1/items`.

No bearer token: the item's signature by a trusted partner's node key is what admits it (and, when
the node serves it over TLS with `serve --federation-tls`, only clients presenting a certificate a
partner's anchor pins complete the handshake). The answer is the signed receipt, or the one error
shape with the refusal's reason; both are audited on this node.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool

from binational.db import act_as_system, utcnow
from binational.federation import sync
from binational.routing import SessionDep, json_response

router = APIRouter(prefix="/federation/v1", tags=["federation"])


@router.post("/items", responses={200: {"description": "the signed receipt"},
                                   422: {"description": "refused, with its reason"}})
async def deliver(request: Request, s: SessionDep) -> Response:
    """Take one signed bundle or tombstone from a partner node; answer this node's signed receipt."""
    data = await request.body()
    act_as_system(s)
    outcome = await run_in_threadpool(lambda: sync.receive(session=s, settings=request.app.state.settings,
                                                           data=data, now=utcnow()))
    if outcome.refused is not None:
        return json_response(outcome.refused.as_json(), 422)
    assert outcome.receipt is not None
    return Response(outcome.receipt, media_type="application/json")

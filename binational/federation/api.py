"""The federation endpoint partner nodes push to: `POST /federation/v1/items`.

No bearer token: the item's signature by a trusted partner's node key is what admits it. The router is
mounted only by `serve --federation-tls`, where only clients presenting a certificate a partner's
anchor pins complete the handshake. The answer is the signed receipt, or the one error
shape with the refusal's reason; both are audited on this node.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool

from binational.db import act_as_system, utcnow
from binational.errors import RateLimited
from binational.federation import digests, sync
from binational.routing import SessionDep, json_response

router = APIRouter(prefix="/federation/v1", tags=["federation"])
#: the path partners push items to (its body limit is `federation_max_body_bytes`)
ITEMS = "/federation/v1/items"


@router.post("/items", responses={200: {"description": "the signed receipt"},
                                   422: {"description": "refused, with its reason"}})
async def deliver(request: Request, s: SessionDep) -> Response:
    """Take one signed bundle or tombstone from a partner node; answer this node's signed receipt."""
    data = await request.body()
    act_as_system(s)
    outcome = await run_in_threadpool(lambda: sync.receive(session=s, settings=request.app.state.settings,
                                                           data=data, now=utcnow(),
                                                           tally=request.app.state.federation_refusals))
    if outcome.refused is not None:
        return json_response(outcome.refused.as_json(), 422)
    assert outcome.receipt is not None
    return Response(outcome.receipt, media_type="application/json")


@router.post("/digests", responses={200: {"description": "hit or no hit, and a handle for each hit"},
                                     422: {"description": "refused, with its reason"},
                                     429: {"description": "the partner's hourly quota of digests is spent"}})
async def ask_digests(request: Request, s: SessionDep) -> Response:
    """Answer a partner node's signed step-1 query of keyed digests."""
    data = await request.body()
    act_as_system(s)
    outcome = await run_in_threadpool(lambda: digests.receive_query(
        session=s, settings=request.app.state.settings, data=data, now=utcnow(),
        tally=request.app.state.federation_refusals))
    if outcome.refused is not None:
        response = json_response(outcome.refused.as_json(), outcome.refused.status)
        if isinstance(outcome.refused, RateLimited):
            response.headers["Retry-After"] = str(outcome.refused.retry_after)
        return response
    assert outcome.answers is not None
    return json_response({"answers": [{"digest": a.digest, "hit": a.hit, "handle": a.handle}
                                      for a in outcome.answers]})

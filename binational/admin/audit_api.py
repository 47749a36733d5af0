"""HTTP routes of the audit log for auditors, filtered by the policy."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from binational.audit import service
from binational.routing import ActorDep, SessionDep

router = APIRouter(prefix="/audit", tags=["audit"])


@router.get("")
def list_entries(
    s: SessionDep, actor: ActorDep,
    action: Annotated[str | None, Query(max_length=64, description="only this action")] = None,
    limit: int | None = None,
    cursor: Annotated[str | None, Query(max_length=1000)] = None,
) -> dict[str, Any]:
    """The entries of the caller's agency and those naming its records, newest first."""
    items, next_cursor = service.entries(session=s, actor=actor, action=action, limit=limit, cursor=cursor)
    return {"items": items, "next_cursor": next_cursor}


@router.get("/who-saw/{object_id}")
def who_saw(object_id: str, s: SessionDep, actor: ActorDep, limit: int | None = None,
            cursor: Annotated[str | None, Query(max_length=1000)] = None) -> dict[str, Any]:
    """Every read of one record of the caller's agency."""
    items, next_cursor = service.who_saw(session=s, actor=actor, object_id=object_id, limit=limit, cursor=cursor)
    return {"items": items, "next_cursor": next_cursor}


@router.get("/status")
def status(s: SessionDep, actor: ActorDep) -> dict[str, Any]:
    """The size and root of the signed head and the last checkpoint (auditors)."""
    return service.status(session=s, actor=actor)


@router.get("/checkpoint")
def checkpoint(
    request: Request, s: SessionDep, actor: ActorDep,
    old_size: Annotated[int | None, Query(alias="from", ge=0, le=2**31 - 1,
                                          description="the size a witness cosigned last: add a consistency proof")]
    = None,
) -> dict[str, Any]:
    """The node's latest signed checkpoint (a C2SP signed note), its verifier key, and a consistency
    proof from `from` for a witness (auditors)."""
    return service.checkpoint(session=s, actor=actor, settings=request.app.state.settings, old_size=old_size)

"""HTTP routes of the audit log for auditors, filtered by the policy."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

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

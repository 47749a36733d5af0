"""HTTP routes of the audit log for auditors, filtered by the policy."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import StreamingResponse

from binational.audit import export, service
from binational.audit.service import EntryFilter
from binational.routing import ActorDep, SessionDep

router = APIRouter(prefix="/audit", tags=["audit"])


def entry_filter(
    action: Annotated[str | None, Query(max_length=64, description="only this action")] = None,
    user: Annotated[str | None, Query(max_length=100, description="only entries of this username")] = None,
    object_id: Annotated[str | None, Query(max_length=200, description="only entries naming this record")] = None,
    since: Annotated[date | None, Query(description="first day (UTC), YYYY-MM-DD")] = None,
    until: Annotated[date | None, Query(description="last day (UTC), YYYY-MM-DD, included")] = None,
) -> EntryFilter:
    """The filters of the audit list and export, from the query string."""
    return EntryFilter(action=action or None, user=user or None, object_id=object_id or None, since=since,
                       until=until)


FilterDep = Annotated[EntryFilter, Depends(entry_filter)]


@router.get("")
def list_entries(
    s: SessionDep, actor: ActorDep, where: FilterDep,
    limit: int | None = None,
    cursor: Annotated[str | None, Query(max_length=1000)] = None,
) -> dict[str, Any]:
    """The entries of the caller's agency and those naming its records, newest first, filtered by
    action, user, record and days."""
    items, next_cursor = service.entries(session=s, actor=actor, where=where, limit=limit, cursor=cursor)
    return {"items": items, "next_cursor": next_cursor}


@router.get("/export", response_class=StreamingResponse, responses={200: {
    "description": "the entries, newest first", "content": {"text/csv": {}, "application/x-ndjson": {}}}})
def export_entries(
    request: Request, s: SessionDep, actor: ActorDep, where: FilterDep,
    format: Annotated[str, Query(max_length=8, description="csv | jsonl")] = "jsonl",  # noqa: A002
) -> StreamingResponse:
    """The filtered entries as CSV or JSON lines, newest first, streamed; more than
    `audit_export_max_rows` is refused (422) and the export itself is audited."""
    plan = export.plan(session=s, actor=actor, where=where, format=format)
    return StreamingResponse(export.stream(request.app.state.db, actor, plan), media_type=plan.media_type,
                             headers={"Content-Disposition": f'attachment; filename="{plan.filename}"'})


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

"""HTTP routes of firearms tracing: records' import, traces (one or a CSV batch), the tracing queue,
confirmation of candidates, and leads; each goes through the policy and commits once."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from binational.firearms import leads, records, service
from binational.firearms.schemas import Confirm, TraceBatch, TraceCreate
from binational.routing import ActorDep, SessionDep

router = APIRouter(prefix="/firearms", tags=["firearms"])


class RecordsImport(BaseModel):
    """A CSV file of sale records, multiple-sale reports or recovered firearms."""

    model_config = ConfigDict(extra="forbid")
    kind: str = Field(description="sales | multiple-sales | recoveries")
    csv: str = Field(description="CSV text with a header line")
    distribution: str = Field("agency", description="agency | national")
    marking: str = Field("TLP:AMBER", description="TLP marking of every record")


@router.post("/records", status_code=201)
def import_records(body: RecordsImport, s: SessionDep, actor: ActorDep) -> dict[str, int]:
    """Import records as the caller's agency: all of the file, or (a bad line named) nothing."""
    return {"imported": records.import_csv(session=s, actor=actor, kind=body.kind, text=body.csv,
                                           distribution=body.distribution, marking=body.marking)}


@router.post("/traces", status_code=201)
def submit_trace(body: TraceCreate, s: SessionDep, actor: ActorDep) -> dict[str, Any]:
    """Send one trace request to US-ATF."""
    trace = service.submit_trace(session=s, actor=actor, data=body)
    return service.views(s, actor, [trace])[0]


@router.post("/traces/batch", status_code=201)
def submit_batch(body: TraceBatch, s: SessionDep, actor: ActorDep) -> dict[str, Any]:
    """Send a CSV batch of trace requests: one bad line sends none."""
    traces = service.submit_batch(session=s, actor=actor, text=body.csv)
    return {"submitted": len(traces), "ids": [t.id for t in traces]}


@router.get("/traces")
def list_traces(
    s: SessionDep, actor: ActorDep,
    box: Annotated[str, Query(description="outbox (sent by the caller's agency) or queue (to trace)")] = "outbox",
    status: Annotated[str | None, Query(description="only traces in this status")] = None,
    limit: Annotated[int | None, Query(description="page size")] = None,
    cursor: Annotated[str | None, Query(max_length=1000, description="from the previous page")] = None,
) -> dict[str, Any]:
    """A page of the caller's agency's traces, newest first, with the counts by status."""
    items, next_cursor = service.list_traces(session=s, actor=actor, box=box, status=status, limit=limit,
                                             cursor=cursor)
    return {"items": items, "next_cursor": next_cursor, "counts": service.count_traces(session=s, actor=actor,
                                                                                     box=box)}


@router.post("/traces/resolve")
def resolve(s: SessionDep, actor: ActorDep) -> dict[str, int]:
    """Resolve the tracing queue: exact matches answered, candidates for the rest."""
    return service.resolve_queue(session=s, actor=actor)


@router.get("/traces/{trace_id}")
def read_trace(trace_id: str, s: SessionDep, actor: ActorDep) -> dict[str, Any]:
    """One trace, with its result once released (and its candidates, to the tracing agency)."""
    return service.read_trace(session=s, actor=actor, trace_id=trace_id)


@router.post("/traces/{trace_id}/confirm")
def confirm(trace_id: str, body: Confirm, s: SessionDep, actor: ActorDep) -> dict[str, Any]:
    """Confirm one of the trace's candidates: the trace is answered and its result released."""
    return service.confirm(session=s, actor=actor, trace_id=trace_id, sale_id=body.sale_id)


@router.get("/recoveries")
def list_recoveries(
    s: SessionDep, actor: ActorDep,
    limit: Annotated[int | None, Query(description="page size")] = None,
    cursor: Annotated[str | None, Query(max_length=1000, description="from the previous page")] = None,
) -> dict[str, Any]:
    """A page of the recovered firearms the caller may see, newest imported first, each with how many
    traces sent for it the caller may see."""
    items, next_cursor = service.list_recoveries(session=s, actor=actor, limit=limit, cursor=cursor)
    return {"items": items, "next_cursor": next_cursor}


@router.get("/recoveries/{recovery_id}")
def read_recovery(recovery_id: str, s: SessionDep, actor: ActorDep) -> dict[str, Any]:
    """A recovered firearm, with the traces sent for it that the caller may see."""
    return service.read_recovery(session=s, actor=actor, recovery_id=recovery_id)


@router.get("/leads")
def read_leads(s: SessionDep, actor: ActorDep) -> dict[str, Any]:
    """Time-to-crime, sources, corridors and straw-purchase signals of the traces the caller may see."""
    return leads.leads(session=s, actor=actor)

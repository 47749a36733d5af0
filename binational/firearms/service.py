"""Trace requests between the receiving country's prosecutors and the sending country's tracing
centre: submit one or a CSV batch, resolve the queue, confirm candidates, follow the answers.

A trace is a request of the workflow (`type="trace"`, to US-ATF) plus a row of `firearm_traces`
with the Form 3312.1 fields. The tracing agency resolves its queue: an exact maker and serial
resolves at once, anything else gets ranked candidates that one of its users confirms (a partial
serial is never matched automatically). The answer creates the firearm and its first retail
purchaser as entities of the tracing agency and releases them to the requester through the
request's answer; the result row (chain of sale, time-to-crime) is released with it.
"""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from pydantic import ValidationError
from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from binational import pagination
from binational.access.actions import Action, register
from binational.access.markings import rank
from binational.access.policy import (
    Actor,
    may_see_trace_part,
    require,
    trace_answer_records,
    visible,
    visible_trace_parts,
    visible_trace_recoveries,
)
from binational.audit import log as audit
from binational.config import get_settings
from binational.db import system_context, utcnow
from binational.entities.schemas import EntityCreate
from binational.entities.service import create as create_entity
from binational.errors import Conflict, Forbidden, InvalidInput, NotFound
from binational.firearms import markings
from binational.firearms.batch import Candidate
from binational.firearms.candidates import Marking, SerialIndex
from binational.firearms.models import FirearmSale, Recovery, Trace, TraceCandidate, TraceResult
from binational.firearms.schemas import TraceCreate
from binational.requests import limits
from binational.requests import service as requests
from binational.requests.models import Request
from binational.requests.types import RequestType, register_type

TRACE = register_type(RequestType(
    name="trace",
    label_en="Firearm trace request",
    label_es="Solicitud de rastreo de arma de fuego",
    default_due=timedelta(days=5),
    answer_roles=frozenset({"supervisor"}),
    description="trace a recovered firearm to its first retail purchaser (ATF Form 3312.1)",
))
TRACING_AGENCY = "US-ATF"
DUE = {"urgent": timedelta(hours=24), "routine": timedelta(days=5)}
#: Part V fields a trace cannot go without (Form 3312.1: 5a, 5c, 5d, 5e, 5f), with the rest required here
REQUIRED = ("crime_code", "officer", "recovery_place", "recovered_on", "serial", "manufacturer", "weapon_type",
            "caliber", "model")
TOP = 10
MAX_BATCH = 1000
#: `closed`: its request was closed in the request workflow (withdrawn, declined, answered there) first
STATUSES = ("submitted", "candidates", "resolved", "no_match", "closed")

for _action in (
    Action("firearms.trace.submit", "request.create", "send a firearm trace request (one, or a CSV batch) to US-ATF"),
    Action("firearms.trace.read", "record.view", "read a trace one's agency sent (as released) or traces"),
    Action("firearms.trace.list", "record.view", "list the traces one's agency sent, or its tracing queue"),
    Action("firearms.trace.resolve", "request.answer",
           "resolve the tracing queue: exact maker and serial answered at once, others given ranked candidates"),
    Action("firearms.recovery.read", "record.view",
           "read a recovered firearm one's agency may see, with the traces sent for it that one may see"),
    Action("firearms.recovery.list", "record.view",
           "list the recovered firearms one may see, with how many traces sent for each one may see"),
    Action("firearms.trace.confirm", "request.answer",
           "confirm a candidate record of a trace, answering it and releasing the result to the requester"),
):
    register(_action)


def _bad(field: str, message: str, line: int | None) -> InvalidInput:
    where = f"line {line}: " if line is not None else ""
    detail: dict[str, Any] = {"field": field}
    if line is not None:
        detail["line"] = line
    return InvalidInput(f"{where}field {field}: {message}", details=[detail])


def check_trace(data: TraceCreate, actor: Actor, *, line: int | None = None) -> dict[str, Any]:
    """The columns of a trace from its request, or InvalidInput naming the field (and line)."""
    for field in REQUIRED:
        value = getattr(data, field)
        if value is None or (isinstance(value, str) and not value.strip()):
            raise _bad(field, "is required", line)
    if data.priority not in DUE:
        raise _bad("priority", f"{data.priority!r} is not urgent or routine", line)
    kind = markings.weapon_type(data.weapon_type)
    if kind is None:
        raise _bad("weapon_type", f"{data.weapon_type!r} is not a weapon type ({', '.join(markings.TYPES)})", line)
    problem = markings.serial_problem(data.serial, as_read=True)
    if problem:
        raise _bad("serial", problem, line)
    assert data.recovered_on is not None
    if data.recovered_on > utcnow().date():
        raise _bad("recovered_on", f"{data.recovered_on.isoformat()} is in the future", line)
    marking_rank = rank(data.marking)
    if marking_rank > actor.clearance_rank:
        raise _bad("marking", f"{data.marking} is above your clearance", line)
    fields = data.model_dump()
    fields = {k: v.strip() if isinstance(v, str) else v for k, v in fields.items()}
    fields.update(weapon_type=kind, marking_rank=marking_rank,
                  flags=markings.flags(data.manufacturer, data.caliber))
    return fields


def _link_recovery(session: Session, actor: Actor, fields: dict[str, Any], line: int | None) -> dict[str, Any]:
    """The trace's columns with `recovery` (the agency's number of the recovered firearm) made the
    recovery row's id: one recovery of the sender's own agency, visible to the sender; anything else
    is bad input that says nothing of other agencies' recoveries."""
    number = fields.pop("recovery", "") or ""
    fields["recovery_id"] = None
    if not number:
        return fields
    found = session.execute(select(Recovery.id).where(
        Recovery.recovery_id == number, Recovery.owner_agency == actor.agency, visible(actor, Recovery)).limit(2)
    ).scalars().all()
    if not found:
        raise _bad("recovery", f"no recovered firearm numbered {number!r} among your agency's", line)
    if len(found) > 1:
        raise _bad("recovery", f"several recovered firearms are numbered {number!r}", line)
    fields["recovery_id"] = found[0]
    return fields


def submit_trace(*, session: Session, actor: Actor, data: TraceCreate) -> Trace:
    """Send one trace request to the tracing agency (for one of its recovered firearms, if named)."""
    require(actor, "firearms.trace.submit")
    return _submit(session, actor, _link_recovery(session, actor, check_trace(data, actor), None))


def _submit(session: Session, actor: Actor, fields: dict[str, Any], *, counted: bool = True) -> Trace:
    if actor.agency == TRACING_AGENCY:
        raise InvalidInput("the tracing agency does not trace to itself", details=[{"field": "to_agency"}])
    now = utcnow()
    question = (f"Trace of a {fields['weapon_type']} {fields['manufacturer']} {fields['model']} "
                f"{fields['caliber']}, serial {fields['serial']}, recovered {fields['recovered_on'].isoformat()} "
                f"at {fields['recovery_place']}")
    request = requests.submit(session=session, actor=actor, type=TRACE.name, to_agency=TRACING_AGENCY,
                              question=question, subject=f"Trace {fields['manufacturer']} {fields['serial']}",
                              due=now + DUE[fields["priority"]], marking=fields["marking"], counted=counted)
    trace = Trace(id=f"tr_{uuid.uuid4().hex}", request_id=request.id, from_agency=actor.agency,
                  to_agency=TRACING_AGENCY, released_at=now, status="submitted", created_by=actor.user_id,
                  created_at=now, **fields)
    session.add(trace)
    session.flush()
    objects: list[tuple[str, str | None]] = [(trace.id, actor.agency)]
    if trace.recovery_id:
        objects.append((trace.recovery_id, actor.agency))
    audit.record(session, action="firearms.trace.submit", actor=actor, objects=objects,
                 extra={"request": request.id, "priority": trace.priority})
    return trace


BATCH_COLUMNS = tuple(TraceCreate.model_fields)


def submit_batch(*, session: Session, actor: Actor, text: str,
                 progress: Callable[[int, int], None] | None = None) -> list[Trace]:
    """Send a CSV batch of trace requests (a header of TraceCreate's fields): every line is checked
    first, and one bad line sends none of them."""
    require(actor, "firearms.trace.submit")
    reader = csv.DictReader(io.StringIO(text))
    try:  # read whole first: a line that is not CSV (a NUL, a stray newline in a field) names its line
        header = reader.fieldnames
        rows = [(reader.line_num, row) for row in reader]
    except csv.Error as exc:
        raise InvalidInput(f"line {reader.line_num}: not CSV ({exc})", details=[{"line": reader.line_num}]) from None
    if not header:
        raise InvalidInput("the batch is empty: a header line is expected", details=[{"line": 1}])
    unknown = [c for c in header if c.strip() not in BATCH_COLUMNS]
    if unknown:
        raise InvalidInput(f"line 1: unknown column {unknown[0]!r}",
                           details=[{"line": 1, "field": unknown[0], "allowed": list(BATCH_COLUMNS)}])
    checked = []
    for line, row in rows:
        if None in row:
            raise InvalidInput(f"line {line}: more fields than the header names", details=[{"line": line}])
        values = {k.strip(): (v or "").strip() for k, v in row.items()}
        if not any(values.values()):
            continue
        values["obliterated"] = "true" if values.get("obliterated", "").lower() in ("yes", "si", "sí", "true", "1") \
            else "false"
        cleaned = {k: v for k, v in values.items() if v != "" or k in REQUIRED}
        try:
            data = TraceCreate.model_validate({k: (v or None) if k == "recovered_on" else v
                                               for k, v in cleaned.items()})
        except ValidationError as exc:
            err = exc.errors()[0]
            raise _bad(str(err["loc"][0]), err["msg"], line) from None
        checked.append(_link_recovery(session, actor, check_trace(data, actor, line=line), line))
        if len(checked) > MAX_BATCH:
            raise InvalidInput(f"a batch holds at most {MAX_BATCH} traces", details=[{"line": line}])
    if not checked:
        raise InvalidInput("the batch has no trace", details=[{"line": 2}])
    # A batch is one act of sending: it counts as one request against the sender's hourly limit (a
    # prosecutor's office sends its recoveries by the hundred), and is bounded by MAX_BATCH.
    limits.check_requests(session, actor, utcnow())
    traces = []
    for n, fields in enumerate(checked, 1):
        traces.append(_submit(session, actor, fields, counted=False))
        if progress:
            progress(n, len(checked))
    return traces


def access_trace(session: Session, actor: Actor, trace_id: str, action: str) -> Trace:
    """The trace if the actor may see it (its agency sent it, or traces it); else NotFound."""
    require(actor, action)
    trace = session.get(Trace, trace_id) if isinstance(trace_id, str) else None
    if trace is None:
        raise NotFound("trace", trace_id, action=action)
    decision = may_see_trace_part(actor, from_agency=trace.from_agency, to_agency=trace.to_agency,
                                  marking_rank=trace.marking_rank, released=trace.released_at is not None)
    if not decision:
        raise NotFound("trace", trace_id, reason=decision.reason, action=action, owner=trace.from_agency)
    return trace


def _result_view(actor: Actor, result: TraceResult) -> dict[str, Any]:
    """A trace's result; the id of the sale record behind it to the tracing agency only (the record is
    never released: the requester gets the answer's entities)."""
    view: dict[str, Any] = {"how": result.how, "manufacturer": result.manufacturer,
            "importer": result.importer, "wholesaler": result.wholesaler, "dealer": result.dealer,
            "dealer_state": result.dealer_state, "purchaser": result.purchaser,
            "sale_date": result.sale_date.isoformat(), "time_to_crime_days": result.ttc_days,
            "short_time_to_crime": result.ttc_days < 3 * 365,
            "entity_ids": [e for e in result.entity_ids.split(",") if e]}
    if result.to_agency == actor.agency:
        view["sale_id"] = result.sale_id
    return view


def views(session: Session, actor: Actor, traces: list[Trace]) -> list[dict[str, Any]]:
    """Traces as the actor sees them: each with its result and candidates where the policy lets it."""
    ids = [t.id for t in traces]
    results = {r.trace_id: r for r in session.execute(
        select(TraceResult).where(TraceResult.trace_id.in_(ids), visible_trace_parts(actor, TraceResult))
    ).scalars()} if ids else {}
    candidates: dict[str, list[dict[str, Any]]] = {}
    if ids:
        rows = session.execute(
            select(TraceCandidate, FirearmSale).join(FirearmSale, FirearmSale.id == TraceCandidate.sale_id)
            .where(TraceCandidate.trace_id.in_(ids), visible_trace_parts(actor, TraceCandidate),
                   visible(actor, FirearmSale)).order_by(TraceCandidate.trace_id, TraceCandidate.rank))
        for cand, sale in rows:
            candidates.setdefault(cand.trace_id, []).append(
                {"sale_id": sale.id, "rank": cand.rank, "score": cand.score,
                 "reasons": [r for r in cand.reasons.split(",") if r], "manufacturer": sale.manufacturer,
                 "model": sale.model, "caliber": sale.caliber, "weapon_type": sale.weapon_type,
                 "serial": sale.serial, "dealer": sale.dealer, "dealer_state": sale.dealer_state,
                 "sale_date": sale.sale_date.isoformat()})
    # the recovered firearm each trace was sent for, to a viewer who sees both (policy)
    recoveries = {trace_id: {"id": r.id, "recovery_id": r.recovery_id, "seizure": r.seizure, "place": r.place,
                             "state": r.state, "recovered_on": r.recovered_on.isoformat()}
                  for trace_id, r in session.execute(
                      select(Trace.id, Recovery).join(Recovery, Recovery.id == Trace.recovery_id)
                      .where(Trace.id.in_(ids), visible_trace_recoveries(actor, Trace, Recovery)))} if ids else {}
    out = []
    for t in traces:
        view: dict[str, Any] = {
            "id": t.id, "request_id": t.request_id, "from_agency": t.from_agency, "to_agency": t.to_agency,
            "status": t.status, "priority": t.priority, "crime_code": t.crime_code, "officer": t.officer,
            "ori": t.ori, "possessor": t.possessor, "recovery_place": t.recovery_place,
            "recovery_state": t.recovery_state, "recovered_on": t.recovered_on.isoformat(),
            "manufacturer": t.manufacturer, "model": t.model, "caliber": t.caliber, "weapon_type": t.weapon_type,
            "serial": t.serial, "obliterated": t.obliterated, "importer": t.importer,
            "country_of_origin": t.country_of_origin, "flags": [f for f in t.flags.split(",") if f],
            "marking": t.marking, "created_at": t.created_at.isoformat(),
            "result": _result_view(actor, results[t.id]) if t.id in results else None,
            "recovery": recoveries.get(t.id),
        }
        if t.to_agency == actor.agency:  # candidates are the tracing agency's own work
            view["candidates"] = candidates.get(t.id, [])
        out.append(view)
    return out


def read_trace(*, session: Session, actor: Actor, trace_id: str) -> dict[str, Any]:
    """One trace as the actor may see it; the read is audited."""
    trace = access_trace(session, actor, trace_id, "firearms.trace.read")
    view = views(session, actor, [trace])[0]
    audit.record(session, action="firearms.trace.read", actor=actor, objects=_seen([trace], [view]))
    return view


def list_traces(*, session: Session, actor: Actor, box: str = "outbox", status: str | None = None,
                limit: int | None = None, cursor: str | None = None) -> tuple[list[dict[str, Any]], str | None]:
    """A page of the traces the actor's agency sent (outbox) or has to trace (queue), newest first, and
    the cursor of the next page."""
    require(actor, "firearms.trace.list")
    if box not in ("outbox", "queue"):
        raise InvalidInput(f"unknown box {box!r}", details=[{"field": "box", "allowed": ["outbox", "queue"]}])
    if status is not None and status not in STATUSES:
        raise InvalidInput(f"unknown status {status!r}", details=[{"field": "status", "allowed": list(STATUSES)}])
    settings = get_settings()
    limit = pagination.check_limit(limit, settings.page_size, settings.max_page_size)
    mine = Trace.from_agency if box == "outbox" else Trace.to_agency
    query = select(Trace).where(visible_trace_parts(actor, Trace), mine == actor.agency)
    if status:
        query = query.where(Trace.status == status)
    page, next_cursor = pagination.keyset(session, query, (Trace.created_at, Trace.id), limit=limit, cursor=cursor,
                                          secret=settings.signing_secret(), descending=True)
    traces = list(page)
    shown = views(session, actor, traces)
    audit.record(session, action="firearms.trace.list", actor=actor, objects=_seen(traces, shown),
                 extra={"box": box, "status": status, "page": len(traces)})
    return shown, next_cursor


def _seen(traces: list[Trace], shown: list[dict[str, Any]]) -> list[tuple[str, str | None]]:
    """The objects a view of traces shows, for the audit: each trace, and each candidate sale record
    (the tracing agency's) listed with it."""
    objects: list[tuple[str, str | None]] = [(t.id, t.from_agency) for t in traces]
    objects += [(view["recovery"]["id"], t.from_agency) for t, view in zip(traces, shown, strict=True)
                if view.get("recovery")]
    objects += [(c["sale_id"], t.to_agency) for t, view in zip(traces, shown, strict=True)
                for c in view.get("candidates", [])]
    return objects


def _recovery_view(found: Recovery) -> dict[str, Any]:
    """A recovered firearm's fields as shown to one who may see it."""
    return {"id": found.id, "recovery_id": found.recovery_id, "seizure": found.seizure, "place": found.place,
            "state": found.state, "recovered_on": found.recovered_on.isoformat(), "possessor": found.possessor,
            "manufacturer": found.manufacturer, "model": found.model, "caliber": found.caliber,
            "weapon_type": found.weapon_type, "serial": found.serial, "obliterated": found.obliterated,
            "restored": [int(p) for p in found.restored.split(",") if p], "owner_agency": found.owner_agency,
            "marking": found.marking}


def list_recoveries(*, session: Session, actor: Actor, limit: int | None = None,
                    cursor: str | None = None) -> tuple[list[dict[str, Any]], str | None]:
    """A page of the recovered firearms the actor may see, newest imported first, each with how many
    traces sent for it the actor may see (`traces`), and the cursor of the next page; audited."""
    require(actor, "firearms.recovery.list")
    settings = get_settings()
    limit = pagination.check_limit(limit, settings.page_size, settings.max_page_size)
    page, next_cursor = pagination.keyset(session, select(Recovery).where(visible(actor, Recovery)),
                                          (Recovery.created_at, Recovery.id), limit=limit, cursor=cursor,
                                          secret=settings.signing_secret(), descending=True)
    found = list(page)
    traces: dict[str, list[str]] = {}
    if found:
        for trace_id, recovery_id in session.execute(
                select(Trace.id, Trace.recovery_id).join(Recovery, Recovery.id == Trace.recovery_id)
                .where(Trace.recovery_id.in_([r.id for r in found]),
                       visible_trace_recoveries(actor, Trace, Recovery))):
            traces.setdefault(str(recovery_id), []).append(trace_id)
    shown = [{**_recovery_view(r), "traces": len(traces.get(r.id, []))} for r in found]
    audit.record(session, action="firearms.recovery.list", actor=actor,
                 objects=[(r.id, r.owner_agency) for r in found]
                 + [(t, r.owner_agency) for r in found for t in traces.get(r.id, [])],
                 extra={"page": len(found)})
    return shown, next_cursor


def read_recovery(*, session: Session, actor: Actor, recovery_id: str) -> dict[str, Any]:
    """A recovered firearm the actor may see, with the traces sent for it that the actor may see (each
    as `views` shows it: the result once released); the read is audited. A recovery the actor may not
    see is the 404 of one that does not exist."""
    require(actor, "firearms.recovery.read")
    found = session.execute(select(Recovery).where(Recovery.id == recovery_id, visible(actor, Recovery))
                            ).scalar_one_or_none() if isinstance(recovery_id, str) else None
    if found is None:
        # the refusal names the owner of a recovery that exists (for its auditors), never to the caller;
        # a missing and a hidden recovery take the same two statements
        with system_context(session):
            owner = session.scalar(select(Recovery.owner_agency).where(Recovery.id == recovery_id))
        raise NotFound("firearm recovery", recovery_id, action="firearms.recovery.read", owner=owner,
                       reason="not found" if owner is None else "not visible")
    traces = list(session.execute(
        select(Trace).join(Recovery, Recovery.id == Trace.recovery_id)
        .where(Trace.recovery_id == found.id, visible_trace_recoveries(actor, Trace, Recovery))
        .order_by(Trace.created_at, Trace.id)).scalars())
    shown = views(session, actor, traces)
    view = {**_recovery_view(found), "traces": shown}
    audit.record(session, action="firearms.recovery.read", actor=actor,
                 objects=[(found.id, found.owner_agency)] + [o for o in _seen(traces, shown) if o[0] != found.id])
    return view


def count_traces(*, session: Session, actor: Actor, box: str = "outbox") -> dict[str, int]:
    """How many traces of the actor's outbox or queue are in each status (what it may see only)."""
    require(actor, "firearms.trace.list")
    mine = Trace.from_agency if box == "outbox" else Trace.to_agency
    rows = session.execute(select(Trace.status, func.count()).where(visible_trace_parts(actor, Trace),
                                                                    mine == actor.agency).group_by(Trace.status))
    return {status: n for status, n in rows}


def _marking(record: FirearmSale | Trace) -> Marking:
    """The markings of a sale record or a trace, with the evidence the ranker weighs beyond them:
    sale date, dealer's state and purchaser; recovery date, state and possessor."""
    if isinstance(record, FirearmSale):
        when, state, person = record.sale_date, record.dealer_state, record.purchaser
    else:
        when, state, person = record.recovered_on, record.recovery_state, record.possessor
    return Marking(id=record.id, manufacturer=record.manufacturer, model=record.model, caliber=record.caliber,
                   weapon_type=record.weapon_type, serial=record.serial, date=when.isoformat() if when else "",
                   state=state or "", person=person or "")


class _Indexes:
    """Serial indexes of the sale records the tracer may answer a trace with (`trace_answer_records`:
    its agency's own, marked no higher than the trace), one per maker and trace marking (and one of
    every such record, for a trace whose maker is unknown), built once for a whole run of the queue."""

    def __init__(self, session: Session, actor: Actor) -> None:
        self.session, self.actor = session, actor
        self.built: dict[tuple[str | None, int], tuple[SerialIndex, dict[str, FirearmSale]]] = {}

    def for_trace(self, trace: Trace) -> tuple[SerialIndex, dict[str, FirearmSale]]:
        make, known = markings.maker(trace.manufacturer)
        key = (make if known else None, trace.marking_rank)
        if key not in self.built:
            query = select(FirearmSale).where(trace_answer_records(self.actor, FirearmSale, trace.marking_rank))
            if key[0] is not None:
                query = query.where(FirearmSale.make_key == key[0])
            rows = {r.id: r for r in self.session.execute(query).scalars()}
            self.built[key] = (SerialIndex(_marking(r) for r in rows.values()), rows)
        return self.built[key]


def resolve_queue(*, session: Session, actor: Actor, limit: int = 500,
                  progress: Callable[[int, int], None] | None = None) -> dict[str, int]:
    """Resolve the submitted traces of the actor's agency's queue: an exact maker and serial (no `?`)
    naming one record sold before the recovery is answered at once; otherwise ranked candidates (never
    a record sold after the recovery) wait for a user to confirm."""
    require(actor, "firearms.trace.resolve")
    pending = list(session.execute(
        select(Trace, Request.state).join(Request, Request.id == Trace.request_id)
        .where(visible_trace_parts(actor, Trace), Trace.to_agency == actor.agency, Trace.status == "submitted")
        .order_by(Trace.created_at, Trace.id).limit(limit)
    ).all())
    done = {"resolved": 0, "candidates": 0, "no_match": 0, "closed": 0}
    indexes = _Indexes(session, actor)
    # the traces of one index ranked as one batch: guns recovered together tell about each other
    ranked: dict[str, list[Candidate]] = {}
    batches: dict[int, list[Trace]] = {}
    for trace, state in pending:
        if state in requests.OPEN:
            batches.setdefault(id(indexes.for_trace(trace)[0]), []).append(trace)
    for batch in batches.values():
        index = indexes.for_trace(batch[0])[0]
        ranked.update(zip((t.id for t in batch), index.rank([_marking(t) for t in batch], top=TOP * 2),
                          strict=True))
    for n, (trace, state) in enumerate(pending, 1):
        if state not in requests.OPEN:  # closed in the request workflow: nothing left to answer
            trace.status = "closed"
            done["closed"] += 1
            audit.record(session, action="firearms.trace.resolve", actor=actor,
                         objects=[(trace.id, trace.from_agency)], extra={"status": trace.status})
            continue
        index, rows = indexes.for_trace(trace)
        marking = _marking(trace)
        exact = [rid for rid in index.exact(marking) if rows[rid].sale_date <= trace.recovered_on]
        if len(exact) == 1:
            _answer(session, actor, trace, rows[exact[0]], "exact")
        else:
            found = [c for c in ranked[trace.id] if rows[c.record_id].sale_date <= trace.recovered_on][:TOP]
            if found:
                session.execute(insert(TraceCandidate), [
                    {"trace_id": trace.id, "sale_id": c.record_id, "rank": i, "score": c.score,
                     "reasons": ",".join(c.reasons)[:400], "from_agency": trace.from_agency,
                     "to_agency": trace.to_agency, "marking_rank": trace.marking_rank, "released_at": None}
                    for i, c in enumerate(found, 1)])
            trace.status = "candidates" if found else "no_match"
        done[trace.status] += 1
        audit.record(session, action="firearms.trace.resolve", actor=actor, objects=[(trace.id, trace.from_agency)],
                     extra={"status": trace.status})
        if progress:
            progress(n, len(pending))
    session.flush()
    return done


def confirm(*, session: Session, actor: Actor, trace_id: str, sale_id: str) -> dict[str, Any]:
    """A user of the tracing agency confirms one of a trace's candidates: the trace is answered."""
    trace = access_trace(session, actor, trace_id, "firearms.trace.confirm")
    if trace.to_agency != actor.agency:  # the requester sees its trace, but only the tracing agency answers it
        raise Forbidden("firearms.trace.confirm: only the tracing agency confirms a trace",
                        action="firearms.trace.confirm", ident=trace.id, owner=trace.from_agency)
    if trace.status != "candidates":
        raise Conflict(f"the trace is {trace.status}, not waiting for a confirmation",
                       details=[{"field": "status", "status": trace.status}])
    listed = session.execute(select(TraceCandidate.id).where(TraceCandidate.trace_id == trace.id,
                                                             TraceCandidate.sale_id == sale_id)).first()
    sale = session.execute(select(FirearmSale).where(
        FirearmSale.id == sale_id, trace_answer_records(actor, FirearmSale, trace.marking_rank))
    ).scalar_one_or_none() if listed else None
    if sale is None:
        raise InvalidInput(f"{sale_id!r} is not a candidate of the trace", details=[{"field": "sale_id"}])
    _answer(session, actor, trace, sale, "confirmed")
    return views(session, actor, [trace])[0]


def _answer(session: Session, actor: Actor, trace: Trace, sale: FirearmSale, how: str) -> None:
    """Answer the trace's request with `sale`: the firearm and its purchaser as entities released to
    the requester, and the result (chain of sale, time-to-crime) released with them."""
    if sale.sale_date > trace.recovered_on:
        raise InvalidInput("the recovery date is before the sale", details=[{"field": "recovered_on"}])
    now = utcnow()
    firearm = create_entity(session=session, actor=actor, data=EntityCreate.model_validate({
        "schema": "Firearm", "marking": trace.marking,
        "properties": {"name": f"{sale.manufacturer} {sale.model} {sale.serial}".strip(),
                       "serialNumber": sale.serial, "manufacturer": sale.manufacturer, "model": sale.model or [],
                       "caliber": sale.caliber or [], "weaponType": sale.weapon_type}}))
    purchaser = create_entity(session=session, actor=actor, data=EntityCreate.model_validate({
        "schema": "Person", "marking": trace.marking, "properties": {"name": sale.purchaser}}))
    entity_ids = [firearm.id, purchaser.id]
    requests.answer(session=session, actor=actor, request_id=trace.request_id, entity_ids=entity_ids,
                    note=f"{how}: first retail sale {sale.sale_date.isoformat()} by {sale.dealer} "
                         f"({sale.dealer_state})")
    session.add(TraceResult(
        trace_id=trace.id, sale_id=sale.id, how=how, manufacturer=sale.manufacturer, importer=sale.importer,
        wholesaler=sale.wholesaler, dealer=sale.dealer, dealer_state=sale.dealer_state, purchaser=sale.purchaser,
        sale_date=sale.sale_date, ttc_days=(trace.recovered_on - sale.sale_date).days,
        entity_ids=",".join(entity_ids), confirmed_by=actor.user_id, from_agency=trace.from_agency,
        to_agency=trace.to_agency, marking_rank=trace.marking_rank, released_at=now, created_at=now))
    session.execute(delete(TraceCandidate).where(TraceCandidate.trace_id == trace.id))
    trace.status = "resolved"
    session.flush()
    audit.record(session, action="firearms.trace.confirm" if how == "confirmed" else "firearms.trace.resolve",
                 actor=actor, objects=[(trace.id, trace.from_agency), (sale.id, sale.owner_agency)],
                 extra={"how": how})


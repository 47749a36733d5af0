"""The firearms pages: MX-FGR sends traces (one CSV batch) and follows them; US-ATF works its tracing
queue and confirms candidates; both read the leads (charts, a map of corridors, straw-purchase signals)
of the traces they may see. Every page goes through the firearms services and their policy."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from binational.access.policy import can
from binational.errors import DomainError
from binational.firearms import leads as found_leads
from binational.firearms import service
from binational.routing import SessionDep
from binational.web import corridor_map, i18n
from binational.web.render import PageActor, field_errors, redirect, render
from binational.web.sessions import check_csrf

router = APIRouter(prefix="/firearms", dependencies=[Depends(check_csrf)], include_in_schema=False)
MAX_BATCH_CHARS = 2_000_000
#: traces shown on the page (the newest; the API and the command line page through all of them)
PAGE = 100


def _page(request: Request, s: SessionDep, actor: PageActor, status: int = 200, **values: Any) -> HTMLResponse:
    may_send = can(actor, "firearms.trace.submit").allowed and actor.agency != service.TRACING_AGENCY
    tracer = actor.agency == service.TRACING_AGENCY and can(actor, "firearms.trace.resolve").allowed
    sent = service.list_traces(session=s, actor=actor, box="outbox", limit=PAGE)[0] if may_send else []
    queue = service.list_traces(session=s, actor=actor, box="queue", status="candidates", limit=PAGE)[0] \
        if actor.agency == service.TRACING_AGENCY else []
    values.setdefault("errors", {})
    values.setdefault("batch", "")
    return render(request, "firearms/traces.html", status, may_send=may_send, tracer=tracer, sent=sent,
                  queue=queue, may_list_recoveries=can(actor, "firearms.recovery.list").allowed,
                  columns=", ".join(service.BATCH_COLUMNS), **values)


@router.get("", response_class=HTMLResponse)
def traces_page(request: Request, s: SessionDep, actor: PageActor, done: str = "") -> HTMLResponse:
    """The traces the user's agency sent, or its tracing queue."""
    return _page(request, s, actor, done=done[:40])


@router.post("/batch", response_model=None)
async def send_batch(request: Request, s: SessionDep, actor: PageActor) -> Response:
    """Send a CSV batch of traces: one bad line sends none, and is named beside the field."""
    form = await request.form()
    text = str(form.get("batch", ""))[:MAX_BATCH_CHARS]
    try:
        traces = service.submit_batch(session=s, actor=actor, text=text)
    except DomainError as exc:
        if exc.status >= 500 or exc.status in (403, 404, 429):
            raise
        s.rollback()
        # the line and field are in the message: it is shown beside the one field of the form
        said = next(iter(field_errors(i18n.language(request), exc, "batch").values()))
        return _page(request, s, actor, 422, errors={"batch": said}, batch=text)
    return redirect(f"/firearms?done=sent-{len(traces)}")


@router.post("/resolve", response_model=None)
async def resolve(request: Request, s: SessionDep, actor: PageActor) -> Response:
    """Resolve the tracing queue."""
    done = service.resolve_queue(session=s, actor=actor)
    return redirect(f"/firearms?done=resolved-{done['resolved']}-{done['candidates']}-{done['no_match']}")


@router.get("/traces/{trace_id}", response_class=HTMLResponse)
def trace_page(trace_id: str, request: Request, s: SessionDep, actor: PageActor) -> HTMLResponse:
    """One trace: its Part V markings, its result once released, its candidates to the tracing agency
    (a trace the user may not see is the ordinary 404 page)."""
    trace = service.read_trace(session=s, actor=actor, trace_id=trace_id)
    tracer = trace["to_agency"] == actor.agency and can(actor, "firearms.trace.confirm").allowed
    return render(request, "firearms/trace.html", trace=trace, tracer=tracer)


@router.post("/traces/{trace_id}/confirm", response_model=None)
async def confirm(trace_id: str, request: Request, s: SessionDep, actor: PageActor) -> Response:
    """Confirm a candidate record of a trace."""
    form = await request.form()
    service.confirm(session=s, actor=actor, trace_id=trace_id, sale_id=str(form.get("sale_id", ""))[:100])
    return redirect("/firearms?done=confirmed")


@router.get("/recoveries", response_class=HTMLResponse)
def recoveries_page(request: Request, s: SessionDep, actor: PageActor, cursor: str | None = None) -> HTMLResponse:
    """The recovered firearms the user may see, newest imported first, with how many traces sent for
    each the user may see."""
    found, next_cursor = service.list_recoveries(session=s, actor=actor, limit=PAGE, cursor=cursor)
    return render(request, "firearms/recoveries.html", recoveries=found, next_cursor=next_cursor)


@router.get("/recoveries/{recovery_id}", response_class=HTMLResponse)
def recovery_page(recovery_id: str, request: Request, s: SessionDep, actor: PageActor) -> HTMLResponse:
    """One recovered firearm with the traces sent for it that the user may see (each linked to its
    page, the result once released); one the user may not see is the ordinary 404 page."""
    found = service.read_recovery(session=s, actor=actor, recovery_id=recovery_id)
    return render(request, "firearms/recovery.html", recovery=found)


def _chart(lang: str, ttc: list[dict[str, Any]]) -> dict[str, object]:
    """The Vega-Lite spec of the time-to-crime distribution, in the page's language."""
    def word(key: str) -> str:
        return i18n.translate(lang, key)

    values = [{"bucket": word(f"firearms.ttc.{row['bucket']}"), "count": row["count"], "order": n,
               "short": word("firearms.short" if row["bucket"] != "3_years_and_over" else "firearms.long")}
              for n, row in enumerate(ttc)]
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v6.json",
        "description": word("firearms.ttc_title"), "width": "container", "height": 220,
        "data": {"values": values}, "mark": {"type": "bar"},
        "encoding": {
            "x": {"field": "bucket", "type": "nominal", "sort": {"field": "order"},
                  "title": word("firearms.ttc_bucket"), "axis": {"labelAngle": 0}},
            "y": {"field": "count", "type": "quantitative", "title": word("firearms.count"),
                  "axis": {"tickMinStep": 1}},
            "color": {"field": "short", "type": "nominal", "title": None, "legend": {"orient": "bottom"}},
        },
    }


@router.get("/leads", response_class=HTMLResponse)
def leads_page(request: Request, s: SessionDep, actor: PageActor) -> HTMLResponse:
    """The leads of the traces the user may see."""
    found = found_leads.leads(session=s, actor=actor)
    lang = i18n.language(request)
    return render(request, "firearms/leads.html", leads=found,
                  chart=_chart(lang, found["time_to_crime"]) if found["results"] else None,
                  corridors=corridor_map.draw(found["corridors"]))

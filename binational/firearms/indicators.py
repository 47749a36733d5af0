"""The firearms module's indicators for commitments (`binational.engagements.indicators`): traces
resolved and the median time-to-crime, per month, over the trace results the viewer may see
(`access.policy.visible_trace_parts`: the tracing agency, or the requesting agency once released)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from binational.access.policy import Actor, visible_trace_parts
from binational.engagements.indicators import Indicator, Point, bounds, counted, median_per_month, register
from binational.firearms.models import TraceResult


def _results(session: Session, actor: Actor, start: date, end: date) -> list[tuple[datetime, int]]:
    first, after = bounds(start, end)
    query = select(TraceResult.created_at, TraceResult.ttc_days).where(
        visible_trace_parts(actor, TraceResult), TraceResult.created_at >= first, TraceResult.created_at < after)
    return [(at, days) for at, days in session.execute(query)]


def traces_resolved(session: Session, actor: Actor, start: date, end: date) -> list[Point]:
    """Traces resolved (a first retail sale confirmed) per month."""
    return counted((at for at, _ in _results(session, actor, start, end)), start, end)


def time_to_crime(session: Session, actor: Actor, start: date, end: date) -> list[Point]:
    """Median days from a firearm's first retail sale to its recovery, by month of the trace's result."""
    return median_per_month(((at, float(days)) for at, days in _results(session, actor, start, end)),
                            start, end)


register(Indicator(key="firearms.traces_resolved", unit="traces", label="indicator.firearms.traces_resolved",
                   owner="US-ATF", series=traces_resolved))
# A longer time from sale to crime means fewer firearms bought to be trafficked at once.
register(Indicator(key="firearms.time_to_crime", unit="days", label="indicator.firearms.time_to_crime",
                   owner="US-ATF", series=time_to_crime))

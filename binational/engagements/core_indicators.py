"""The indicators the landed core computes: requests answered and how fast, discovery hits,
resolution matches accepted, network disruption plans made. Each series counts only the rows its
viewer may see, through that row's own rule in `access.policy`."""

from __future__ import annotations

from datetime import date, datetime
from functools import partial

from sqlalchemy import select
from sqlalchemy.orm import Session

from binational.access.policy import (
    Actor,
    visible_audit_entries,
    visible_hit_refs,
    visible_judgements,
    visible_requests,
)
from binational.audit.models import AuditEntry, AuditObjectRef
from binational.engagements.indicators import Indicator, Point, bounds, counted, median_per_month, register
from binational.requests.models import HitRef, Request, RequestEvent
from binational.requests.types import TYPES
from binational.resolution.models import Judgement


def _answers(session: Session, actor: Actor, start: date, end: date,
             request_type: str | None) -> list[tuple[datetime, datetime]]:
    """(created, answered) of the requests the viewer may see answered between `start` and `end`."""
    first, after = bounds(start, end)
    query = (select(Request.created_at, RequestEvent.at)
             .join(RequestEvent, RequestEvent.request_id == Request.id)
             .where(RequestEvent.to_state == "answered", RequestEvent.at >= first, RequestEvent.at < after,
                    visible_requests(actor, Request)))
    if request_type is not None:
        query = query.where(Request.type == request_type)
    return [(created, answered) for created, answered in session.execute(query).all()]


def requests_answered(session: Session, actor: Actor, start: date, end: date, *,
                      request_type: str | None = None) -> list[Point]:
    """Requests answered per month."""
    return counted((answered for _, answered in _answers(session, actor, start, end, request_type)), start, end)


def answer_hours(session: Session, actor: Actor, start: date, end: date, *,
                 request_type: str | None = None) -> list[Point]:
    """Median hours from a request to its answer, by month of the answer."""
    pairs = [(answered, (answered - created).total_seconds() / 3600)
             for created, answered in _answers(session, actor, start, end, request_type)]
    return median_per_month(pairs, start, end)


def discovery_hits(session: Session, actor: Actor, start: date, end: date) -> list[Point]:
    """Hits the viewer's agency's discovery searches found, per month."""
    first, after = bounds(start, end)
    rows = session.execute(select(HitRef.created_at).where(
        visible_hit_refs(actor, HitRef), HitRef.created_at >= first, HitRef.created_at < after)).scalars()
    return counted(rows, start, end)


def matches_accepted(session: Session, actor: Actor, start: date, end: date) -> list[Point]:
    """Resolution matches judged positive, per month, among the judgements the viewer may see."""
    first, after = bounds(start, end)
    rows = session.execute(select(Judgement.created_at).where(
        Judgement.verdict == "positive", visible_judgements(actor, Judgement),
        Judgement.created_at >= first, Judgement.created_at < after)).scalars()
    return counted(rows, start, end)


def plans_made(session: Session, actor: Actor, start: date, end: date) -> list[Point]:
    """Network disruption plans made, per month, as the audit log entries the viewer may read tell."""
    first, after = bounds(start, end)
    rows = session.execute(select(AuditEntry.time).where(
        AuditEntry.action == "network.plan", AuditEntry.decision == "allow",
        visible_audit_entries(actor, AuditEntry, AuditObjectRef),
        AuditEntry.time >= first, AuditEntry.time < after)).scalars()
    return counted(rows, start, end)


register(Indicator(key="requests.answered", unit="requests", label="indicator.requests.answered", owner="node",
                   series=requests_answered))
register(Indicator(key="requests.answer_hours", unit="hours", label="indicator.requests.answer_hours",
                   owner="node", series=answer_hours, better="lower"))
for _name in sorted(TYPES):
    register(Indicator(key=f"requests.answered.{_name}", unit="requests", label="indicator.requests.answered_type",
                       owner="node", series=partial(requests_answered, request_type=_name)))
    register(Indicator(key=f"requests.answer_hours.{_name}", unit="hours",
                       label="indicator.requests.answer_hours_type", owner="node",
                       series=partial(answer_hours, request_type=_name), better="lower"))
register(Indicator(key="discovery.hits", unit="hits", label="indicator.discovery.hits", owner="node",
                   series=discovery_hits))
register(Indicator(key="resolution.accepted", unit="matches", label="indicator.resolution.accepted", owner="node",
                   series=matches_accepted))
# Counted from the audit log: only those who read it see the figure.
register(Indicator(key="networks.plans", unit="plans", label="indicator.networks.plans", owner="node",
                   series=plans_made, capability="audit.read"))

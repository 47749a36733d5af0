"""The trade module's indicators for commitments: inspections per month and the share of them that
found fraud, over the inspections the viewer may see (`access.policy.visible_trade`: its agency's
own, its country's when national, the partner's of a joint inspection). They live here because the
trade package sits below engagements in the layers and may not import it."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from binational.access.policy import Actor, visible_trade
from binational.engagements.indicators import Indicator, Point, bounds, counted, month_of, months, register
from binational.trade.models import TradeInspection


def _inspections(session: Session, actor: Actor, start: date, end: date) -> list[tuple[datetime, int]]:
    first, after = bounds(start, end)
    query = select(TradeInspection.created_at, TradeInspection.fraud).where(
        visible_trade(actor, TradeInspection), TradeInspection.created_at >= first, TradeInspection.created_at < after)
    return [(at, fraud) for at, fraud in session.execute(query)]


def inspections(session: Session, actor: Actor, start: date, end: date) -> list[Point]:
    """Declarations inspected per month."""
    return counted((at for at, _ in _inspections(session, actor, start, end)), start, end)


def hit_rate(session: Session, actor: Actor, start: date, end: date) -> list[Point]:
    """Per month, the percentage of inspections that found fraud (None for a month without any)."""
    done = dict.fromkeys(months(start, end), 0)
    hits = dict.fromkeys(done, 0)
    for at, fraud in _inspections(session, actor, start, end):
        key = month_of(at)
        if key in done:
            done[key] += 1
            hits[key] += 1 if fraud else 0
    return [(k, 100.0 * hits[k] / n if n else None) for k, n in done.items()]


register(Indicator(key="trade.inspections", unit="inspections", label="indicator.trade.inspections",
                   owner="node", series=inspections))
register(Indicator(key="trade.hit_rate", unit="percent", label="indicator.trade.hit_rate", owner="node",
                   series=hit_rate))

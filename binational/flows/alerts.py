"""Alerts on flows series: a month outside its stored forecast's 95 % interval, or a year-over-year
change beyond `Settings.flows_yoy_threshold`; each told in-app to the subscribed users who may see
its series, and, for a public series only, posted to `Settings.flows_webhook_url`."""

from __future__ import annotations

import json
import logging
import urllib.request
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from binational.access.models import User
from binational.access.policy import Actor, may_see_flow_series, require, visible_series
from binational.access.service import actor_for
from binational.audit import log as audit
from binational.config import get_settings
from binational.db import system_context, utcnow
from binational.errors import InvalidInput, NotFound
from binational.flows.forecasts import forecast_view, latest_forecast
from binational.flows.models import FlowAlert, FlowForecast, FlowNotice, FlowSeries, FlowSubscription
from binational.flows.series import alert_view, values_of

log = logging.getLogger(__name__)
#: below this many a year before, a year-over-year change is noise, not news
YOY_FLOOR = 20.0


def _found(
    series: FlowSeries, values: dict[int, float], stored: FlowForecast | None, threshold: float
) -> list[FlowAlert]:
    """The alerts a series' values raise against its stored forecast and its year before."""
    out = []
    view = forecast_view(stored)
    for row in (view or {}).get("months", []):
        month = int(row["month"][:4]) * 12 + int(row["month"][5:]) - 1
        value = values.get(month)
        if value is not None and not row["lo95"] <= value <= row["hi95"]:
            out.append(
                FlowAlert(
                    series_id=series.id,
                    month=month,
                    kind="interval",
                    value=value,
                    expected=row["mean"],
                    low=row["lo95"],
                    high=row["hi95"],
                )
            )
    if values:
        last = max(values)
        before = values.get(last - 12)
        if before is not None and before >= YOY_FLOOR and abs(values[last] / before - 1) > threshold:
            out.append(FlowAlert(series_id=series.id, month=last, kind="yoy", value=values[last], expected=before))
    return out


def check(*, session: Session, actor: Actor, indicator: str | None = None) -> list[dict[str, Any]]:
    """Check the series the actor may see for new alerts, store them, tell subscribers; return the new ones."""
    require(actor, "flows.alerts")
    threshold = get_settings().flows_yoy_threshold
    query = select(FlowSeries).where(visible_series(actor, FlowSeries))
    if indicator:
        query = query.where(FlowSeries.indicator == indicator)
    new: list[tuple[FlowAlert, FlowSeries]] = []
    chosen = session.execute(query.order_by(FlowSeries.id)).scalars().all()
    known: set[tuple[int, int, str]] = set()
    for start in range(0, len(chosen), 500):  # the alerts already raised on these series, not the node's all
        ids = [x.id for x in chosen[start : start + 500]]
        known.update(
            session.execute(
                select(FlowAlert.series_id, FlowAlert.month, FlowAlert.kind).where(FlowAlert.series_id.in_(ids))
            ).tuples()
        )
    for series in chosen:
        for alert in _found(series, values_of(session, series), latest_forecast(session, series), threshold):
            if (alert.series_id, alert.month, alert.kind) not in known:
                new.append((alert, series))
                known.add((alert.series_id, alert.month, alert.kind))
    now = utcnow()
    with system_context(session):  # alerts and notices are the node's; each notice checked against its reader
        for alert, _series in new:
            alert.created_at = now
            session.add(alert)
        session.flush()
        subscribers = session.execute(
            select(FlowSubscription, User).join(User, User.id == FlowSubscription.user_id).where(User.active.is_(True))
        ).all()
        readers = {user.id: actor_for(session=session, user=user) for _sub, user in subscribers}
        for alert, series in new:
            for sub, user in subscribers:
                if sub.indicator == series.indicator and may_see_flow_series(readers[user.id], series):
                    session.add(FlowNotice(user_id=user.id, agency=user.agency, alert_id=alert.id, created_at=now))
        session.flush()
    raised: list[tuple[str, str | None]] = [(f"flow-alert:{a.id}", s.owner_agency) for a, s in new]
    audit.record(
        session,
        action="flows.alerts",
        actor=actor,
        objects=raised[:200],
        extra={"new": len(new)},
    )
    return [{**alert_view(a, s), "public": s.public} for a, s in new]


def post_webhook(alerts: list[dict[str, Any]]) -> int:
    """Post the alerts of public series to the configured webhook (after the commit); how many were sent."""
    url = get_settings().flows_webhook_url
    public = [a for a in alerts if a.get("public")]
    if not url or not public:
        return 0
    if not url.startswith(("http://", "https://")):
        log.warning("flows webhook %s: not an http(s) address; not posted", url)
        return 0
    body = json.dumps({"alerts": public}).encode()
    request = urllib.request.Request(  # noqa: S310 - an http(s) address, checked above
        url, data=body, headers={"Content-Type": "application/json"}, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310 - the operator's configured URL
            answer.read()
    except OSError as exc:
        log.warning("flows webhook %s failed: %s", url, exc)
        return 0
    return len(public)


def subscribe(*, session: Session, actor: Actor, indicator: str) -> dict[str, Any]:
    """Subscribe the actor to alerts of an indicator it may see a series of (else NotFound, like none)."""
    require(actor, "flows.subscribe")
    if not indicator or len(indicator) > 120:
        raise InvalidInput("indicator: 1 to 120 characters", details=[{"field": "indicator"}])
    seen = session.execute(
        select(FlowSeries.id).where(FlowSeries.indicator == indicator, visible_series(actor, FlowSeries)).limit(1)
    ).first()
    if seen is None:
        raise NotFound("indicator", indicator, reason="no visible series", action="flows.subscribe")
    existing = session.execute(
        select(FlowSubscription).where(
            FlowSubscription.user_id == actor.user_id, FlowSubscription.indicator == indicator
        )
    ).scalar_one_or_none()
    if existing is None:
        session.add(
            FlowSubscription(user_id=actor.user_id, agency=actor.agency, indicator=indicator, created_at=utcnow())
        )
        session.flush()
    audit.record(session, action="flows.subscribe", actor=actor, objects=[], extra={"indicator": indicator})
    return {"indicator": indicator, "subscribed": True}


def notices(*, session: Session, actor: Actor, unread_only: bool = False) -> list[dict[str, Any]]:
    """The actor's own alert notices whose series it still may see, newest first."""
    require(actor, "flows.alerts")
    query = (
        select(FlowNotice, FlowAlert, FlowSeries)
        .join(FlowAlert, FlowAlert.id == FlowNotice.alert_id)
        .join(FlowSeries, FlowSeries.id == FlowAlert.series_id)
        .where(FlowNotice.user_id == actor.user_id, visible_series(actor, FlowSeries))
        .order_by(FlowNotice.id.desc())
        .limit(200)
    )
    if unread_only:
        query = query.where(FlowNotice.read_at.is_(None))
    rows = session.execute(query).all()
    audit.record(session, action="flows.alerts", actor=actor, objects=[], extra={"notices": len(rows)})
    return [{"notice": n.id, "read": n.read_at is not None, **alert_view(a, s)} for n, a, s in rows]


def mark_read(*, session: Session, actor: Actor) -> int:
    """Mark the actor's own unread alert notices read; how many."""
    require(actor, "flows.alerts")
    result = session.execute(
        update(FlowNotice)
        .where(FlowNotice.user_id == actor.user_id, FlowNotice.read_at.is_(None))
        .values(read_at=utcnow())
    )
    marked = int(getattr(result, "rowcount", 0) or 0)
    audit.record(session, action="flows.alerts", actor=actor, objects=[], extra={"marked_read": marked})
    return marked


def list_alerts(*, session: Session, actor: Actor, limit: int = 100) -> list[dict[str, Any]]:
    """The newest alerts on the series the actor may see."""
    require(actor, "flows.alerts")
    rows = session.execute(
        select(FlowAlert, FlowSeries)
        .join(FlowSeries, FlowSeries.id == FlowAlert.series_id)
        .where(visible_series(actor, FlowSeries))
        .order_by(FlowAlert.month.desc(), FlowAlert.id.desc())
        .limit(max(1, min(limit, 1000)))
    ).all()
    shown: list[tuple[str, str | None]] = [(f"flow-alert:{a.id}", s.owner_agency) for a, s in rows]
    audit.record(
        session,
        action="flows.alerts",
        actor=actor,
        objects=shown[:200],
        extra={"alerts": len(rows)},
    )
    return [alert_view(a, s) for a, s in rows]

"""How much one user and one agency may ask: discovery selectors per minute and per day, requests per hour.

Counted in the database, as the node (no agency reads the counts), so the limits hold across the
worker processes of a node. A call past a limit is refused whole with `RateLimited` (429 and
`Retry-After`), and counts for nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, insert, select, text
from sqlalchemy.orm import Session

from binational.access.policy import Actor
from binational.config import get_settings
from binational.errors import RateLimited
from binational.requests.models import DiscoveryUsage, Request

MINUTE, DAY, HOUR = timedelta(minutes=1), timedelta(days=1), timedelta(hours=1)
#: the first key of the PostgreSQL advisory lock that orders one user's discovery calls ("DISC")
DISCOVERY_LOCK = 0x44495343


def _retry_after(rows: Sequence[Any], used: int, count: int, limit: int, window: timedelta, now: datetime) -> int:
    """Seconds until enough of the counted rows (time, amount; oldest first) leave the window for
    `count` more to fit; the whole window if `count` alone is over the limit."""
    if count > limit:
        return int(window.total_seconds())
    for at, amount in rows:
        used -= amount
        if used + count <= limit:
            return int((at + window - now).total_seconds()) + 1
    return int(window.total_seconds())


def charge_discovery(session: Session, actor: Actor, count: int, now: datetime) -> None:
    """Count `count` selectors for the actor and its agency, or raise `RateLimited` naming the first
    limit the call would pass. Runs in the system context (the counts are the node's)."""
    settings = get_settings()
    if session.get_bind().dialect.name == "postgresql":
        # One user's calls are counted one after the other, so parallel calls cannot each find room
        # under the user's limits (held to the end of the transaction; other users do not wait).
        session.execute(text("SELECT pg_advisory_xact_lock(:kind, :user_id)"),
                        {"kind": DISCOVERY_LOCK, "user_id": actor.user_id})
    session.execute(delete(DiscoveryUsage).where(DiscoveryUsage.agency == actor.agency,
                                                 DiscoveryUsage.at <= now - DAY))
    limits = (
        ("discovery_user_per_minute", DiscoveryUsage.user_id == actor.user_id, MINUTE,
         settings.discovery_user_per_minute),
        ("discovery_user_per_day", DiscoveryUsage.user_id == actor.user_id, DAY, settings.discovery_user_per_day),
        ("discovery_agency_per_day", DiscoveryUsage.agency == actor.agency, DAY, settings.discovery_agency_per_day),
    )
    for name, whose, window, limit in limits:
        since = now - window
        used = session.execute(select(func.coalesce(func.sum(DiscoveryUsage.selectors), 0))
                               .where(whose, DiscoveryUsage.at > since)).scalar_one()
        if used + count <= limit:
            continue
        rows = session.execute(select(DiscoveryUsage.at, DiscoveryUsage.selectors)
                               .where(whose, DiscoveryUsage.at > since).order_by(DiscoveryUsage.at)).all()
        who = "your agency" if name == "discovery_agency_per_day" else "you"
        span = "a minute" if window == MINUTE else "24 hours"
        raise RateLimited(f"discovery: {who} may search at most {limit} selectors in {span}",
                          retry_after=_retry_after(rows, int(used), count, limit, window, now),
                          action="discovery.search", limit=name, max_count=limit)
    session.execute(insert(DiscoveryUsage), [{"user_id": actor.user_id, "agency": actor.agency, "at": now,
                                              "selectors": count}])


def check_requests(session: Session, actor: Actor, now: datetime) -> None:
    """Refuse with `RateLimited` a request past the actor's `requests_per_user_hour` (a user cannot
    flood other agencies' inboxes); the requests it sent are its agency's to read."""
    limit = get_settings().requests_per_user_hour
    sent = session.execute(select(Request.created_at).where(Request.created_by == actor.user_id,
                                                            Request.created_at > now - HOUR)
                           .order_by(Request.created_at)).scalars().all()
    if len(sent) < limit:
        return
    rows = [(at, 1) for at in sent]
    raise RateLimited(f"requests: you may send at most {limit} requests in an hour",
                      retry_after=_retry_after(rows, len(sent), 1, limit, HOUR, now),
                      action="request.create", limit="requests_per_user_hour", max_count=limit)

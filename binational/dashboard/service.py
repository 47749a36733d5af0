"""The picture of the viewer's agency on the home page, computed over what the viewer may see.

Every panel is read through the policy: requests through `visible_requests`, records and releases
through `live_and_visible`, the hits of the agency's own searches through `visible_hit_refs`, other
agencies' searches that matched the agency's records through `visible_audit_entries` (auditors
only, as the audit page shows them), discovery notices through `discovery_notices_for`, and the
matches waiting for review through resolution's own list. A panel whose action the viewer may not
do stays empty. The picture writes one audit entry naming every record and request it shows.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, aliased

from binational.access.actions import Action, register
from binational.access.models import Release
from binational.access.policy import (
    Actor,
    can,
    discovery_notices_for,
    live_and_visible,
    may_read_discovery_notices,
    require,
    visible_audit_entries,
    visible_hit_refs,
    visible_requests,
)
from binational.audit import log as audit
from binational.audit.models import AuditEntry, AuditObjectRef
from binational.db import utcnow
from binational.entities import service as entities
from binational.entities.models import Entity
from binational.entities.schemas import EntityRead
from binational.requests.models import DiscoveryNotice, HitRef, Request
from binational.requests.service import OPEN
from binational.requests.types import get_type
from binational.resolution import service as resolution
from binational.resolution.schemas import SuggestionRead

register(Action("dashboard.view", "", "see the home page's picture of one's agency, over what one may see"))

#: weeks of the chart of counts over time (the current week is the last)
WEEKS = 12
#: how far back the hit counts reach
RECENT = timedelta(days=30)
#: an open request due within this is "due soon"
SOON = timedelta(days=2)
#: rows shown in each list
SHOWN = 5
#: the series of the chart, in the order of its legend
SERIES = ("requests_in", "requests_out", "released_to_us", "released_by_us", "hits", "searched")


@dataclass(frozen=True)
class Clock:
    """An open request of the agency and how long it has left."""

    id: str
    type: str
    #: the type's name by language
    label: dict[str, str]
    incoming: bool
    other_agency: str
    state: str
    due_at: datetime
    overdue: bool
    hours_left: int


@dataclass(frozen=True)
class Shared:
    """A release between the agency and a partner, with the record as the viewer sees it."""

    entity: EntityRead
    partner: str
    at: datetime
    until: datetime | None


@dataclass
class Picture:
    """The panels of the home page; each is empty when the viewer may not do its action."""

    clocks: list[Clock] = field(default_factory=list)
    open_in: int = 0
    open_out: int = 0
    overdue_in: int = 0
    overdue_out: int = 0
    due_soon: int = 0
    received: list[Shared] = field(default_factory=list)
    given: list[Shared] = field(default_factory=list)
    #: holder agency -> hits of the agency's own searches in the last 30 days
    hits: dict[str, int] = field(default_factory=dict)
    #: searching agency -> its searches that matched the agency's records (auditors only)
    searched: dict[str, int] | None = None
    #: notice kind -> discovery notices to the agency (supervisors, liaisons, auditors)
    notices: dict[str, int] | None = None
    review: list[SuggestionRead] = field(default_factory=list)
    more_review: bool = False
    #: the chart's points: {"week": ISO date of its Monday, "series": one of SERIES, "count": n}
    series: list[dict[str, object]] = field(default_factory=list)


def _monday(moment: datetime | date) -> date:
    day = moment.date() if isinstance(moment, datetime) else moment
    return day - timedelta(days=day.weekday())


def _clocks(session: Session, actor: Actor, picture: Picture, now: datetime) -> None:
    rows = session.execute(
        select(Request.id, Request.type, Request.from_agency, Request.to_agency, Request.state, Request.due_at)
        .where(visible_requests(actor, Request), Request.state.in_(OPEN))
        .order_by(Request.due_at, Request.id)
    ).all()
    for rid, kind, sender, receiver, state, due in rows:
        incoming, late = receiver == actor.agency, due < now
        if incoming:
            picture.open_in += 1
            picture.overdue_in += late
        else:
            picture.open_out += 1
            picture.overdue_out += late
        picture.due_soon += not late and due < now + SOON
        if len(picture.clocks) < 2 * SHOWN:
            spec = get_type(kind)
            picture.clocks.append(Clock(rid, kind, {"en": spec.label_en, "es": spec.label_es}, incoming,
                                        sender if incoming else receiver, state, due, late,
                                        int((due - now).total_seconds() // 3600)))


def _releases(session: Session, actor: Actor, *, to_us: bool, now: datetime) -> list[Shared]:
    grant = aliased(Release)  # the policy's own subquery on releases must not correlate with this one
    side = grant.to_agency == actor.agency if to_us else grant.owner_agency == actor.agency
    rows = session.execute(
        select(grant, Entity).join(Entity, Entity.id == grant.entity_id)
        .where(side, grant.revoked_at.is_(None), or_(grant.until.is_(None), grant.until > now),
               live_and_visible(actor, Entity))
        .order_by(grant.created_at.desc(), grant.id.desc()).limit(SHOWN)
    ).all()
    shown = entities.assemble(session, actor, [e for _r, e in rows])
    return [Shared(e, r.owner_agency if to_us else r.to_agency, r.created_at, r.until)
            for (r, _e), e in zip(rows, shown, strict=True)]


def _weekly(days: Counter[date], key: str, weeks: list[date]) -> list[dict[str, object]]:
    counts: Counter[date] = Counter()
    for day, n in days.items():
        counts[_monday(day)] += n
    return [{"week": w.isoformat(), "series": key, "count": counts.get(w, 0)} for w in weeks]


def _by_day(moments: list[datetime]) -> Counter[date]:
    return Counter(m.date() for m in moments)


def _utc_day(session: Session, column: Any) -> Any:
    """The UTC day of a timestamp column as `YYYY-MM-DD`, for counting in the database: SQLite keeps the
    UTC time as text (`UTCDateTime`), PostgreSQL a timestamp with its zone."""
    if session.get_bind().dialect.name == "postgresql":
        return func.to_char(func.timezone("UTC", column), "YYYY-MM-DD")
    return func.substr(column, 1, 10)


def _searched(session: Session, actor: Actor, since: datetime) -> list[tuple[datetime, str | None]]:
    """Other agencies' searches that matched records of the viewer's agency, as its auditors see them."""
    audit.drain(session)  # entries queued by committed requests take their place first, as the audit page does
    return [(t, a) for t, a in session.execute(
        select(AuditEntry.time, AuditEntry.actor_agency)
        .where(AuditEntry.action == "discovery.hit", AuditEntry.actor_agency != actor.agency,
               AuditEntry.time >= since, visible_audit_entries(actor, AuditEntry, AuditObjectRef))
    ).all()]


def picture(*, session: Session, actor: Actor, now: datetime | None = None) -> Picture:
    """The viewer's picture of its agency; one `dashboard.view` audit entry names what it shows."""
    require(actor, "dashboard.view")
    now = now or utcnow()
    weeks = [_monday(now) - timedelta(weeks=i) for i in reversed(range(WEEKS))]
    start = datetime.combine(weeks[0], datetime.min.time(), tzinfo=now.tzinfo)
    out = Picture()
    points: dict[str, Counter[date]] = {}
    if can(actor, "request.list"):
        _clocks(session, actor, out, now)
        sent = session.execute(select(Request.created_at, Request.to_agency == actor.agency)
                               .where(visible_requests(actor, Request), Request.created_at >= start)).all()
        points["requests_in"] = _by_day([t for t, incoming in sent if incoming])
        points["requests_out"] = _by_day([t for t, incoming in sent if not incoming])
    if can(actor, "entity.list"):
        out.received = _releases(session, actor, to_us=True, now=now)
        out.given = _releases(session, actor, to_us=False, now=now)
        grant = aliased(Release)  # not correlated with the policy's own subquery on releases
        day = _utc_day(session, grant.created_at)
        for key, side in (("released_to_us", grant.to_agency), ("released_by_us", grant.owner_agency)):
            # counted per day in the database: an agency's releases run to thousands a week
            points[key] = Counter({date.fromisoformat(d): int(n) for d, n in session.execute(
                select(day, func.count()).join(Entity, Entity.id == grant.entity_id)
                .where(side == actor.agency, grant.created_at >= start, live_and_visible(actor, Entity))
                .group_by(day))})
    if can(actor, "discovery.search"):
        issued = session.execute(select(HitRef.created_at, HitRef.holder_agency)
                                 .where(visible_hit_refs(actor, HitRef), HitRef.created_at >= start)).all()
        out.hits = dict(sorted(Counter(a for t, a in issued if t >= now - RECENT).items()))
        points["hits"] = _by_day([t for t, _a in issued])
    if can(actor, "audit.read"):
        searches = _searched(session, actor, start)
        out.searched = dict(sorted(Counter(a or "" for t, a in searches if t >= now - RECENT).items()))
        points["searched"] = _by_day([t for t, _a in searches])
    if may_read_discovery_notices(actor, actor.agency):
        kinds = session.execute(select(DiscoveryNotice.kind).where(
            discovery_notices_for(actor, DiscoveryNotice), DiscoveryNotice.created_at >= now - RECENT)).scalars()
        out.notices = dict(sorted(Counter(kinds).items()))
    if can(actor, "resolution.suggestion.list"):
        out.review, after = resolution.list_suggestions(session=session, actor=actor, decision="review",
                                                        unjudged=True, limit=SHOWN, record=False)
        out.more_review = after is not None
    out.series = [p for key in SERIES if key in points for p in _weekly(points[key], key, weeks)]
    _record(session, actor, out)
    return out


def _record(session: Session, actor: Actor, shown: Picture) -> None:
    objects: list[tuple[str, str | None]] = [(c.id, actor.agency if not c.incoming else c.other_agency)
                                             for c in shown.clocks]
    objects += [(s.entity.id, s.entity.owner_agency) for s in (*shown.received, *shown.given)]
    objects += [(e.id, e.owner_agency) for s in shown.review for e in (s.left, s.right)]
    audit.record(session, action="dashboard.view", actor=actor, objects=list(dict.fromkeys(objects)),
                 extra={"requests": shown.open_in + shown.open_out, "review": len(shown.review)})

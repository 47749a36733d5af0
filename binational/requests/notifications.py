"""In-app notifications: each user is told about requests of their agency that need them, and about
records that newly answer their saved searches (written by `binational.search.watchlists`)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, insert, or_, select, update
from sqlalchemy.orm import Session

from binational import pagination
from binational.access.actions import Action, register
from binational.access.markings import RANK
from binational.access.models import User
from binational.access.policy import Actor, live_and_visible, may_see_answerers
from binational.access.roles import capabilities_of
from binational.audit import log as audit
from binational.config import get_settings
from binational.db import system_context, utcnow
from binational.entities.models import Entity
from binational.errors import NotFound
from binational.requests import mail
from binational.requests.models import Notification, Request
from binational.requests.types import get_type

register(Action("notification.list", "", "list one's own notifications about requests"))
register(Action("notification.read", "", "mark one of one's own notifications read"))
register(Action("notification.read_all", "", "mark all of one's own unread notifications read"))


def _receivers(session: Session, request: Request) -> list[User]:
    """Active users of the receiving agency cleared for the request."""
    with system_context(session):  # the sender's viewer sees its own agency's users only
        users = session.execute(select(User).where(User.agency == request.to_agency,
                                                   User.active.is_(True)).order_by(User.username)).scalars().all()
    return [u for u in users if RANK.get(u.clearance, -1) >= request.marking_rank]


def answerers(session: Session, request: Request) -> list[int]:
    """Active users of the receiving agency who may answer this type and are cleared for it."""
    roles = get_type(request.type).answer_roles
    return [u.id for u in _receivers(session, request) if roles & set(u.role_list)]


def answerer_names(session: Session, actor: Actor, request: Request) -> list[str]:
    """The usernames of those who may answer, for a user of the receiving agency (its own colleagues);
    to anyone else, none: another agency's users are not named."""
    if not may_see_answerers(actor, to_agency=request.to_agency):
        return []
    roles = get_type(request.type).answer_roles
    return [u.username for u in _receivers(session, request) if roles & set(u.role_list)]


def recipients(session: Session, request: Request) -> list[int]:
    """Who is told of a new or withdrawn request: those who may answer it; if the receiving agency has
    none yet, its cleared users who may read requests, so that it reaches someone there (the request's
    page names who may answer, or says that nobody may yet)."""
    found = answerers(session, request)
    if found:
        return found
    return [u.id for u in _receivers(session, request) if "record.view" in capabilities_of(u.role_list)]


def notify(session: Session, request: Request, kind: str, user_ids: list[int]) -> None:
    """Queue a notice about `request` for each user (of the sending or the receiving agency), and a
    mail of the same words to each who has an address, sent after the commit (`requests.mail`)."""
    with system_context(session):  # users of either party, whichever notifies
        users = session.execute(select(User.id, User.agency, User.email)
                                .where(User.id.in_(sorted(set(user_ids))))).all()
    users = [u for u in users if u.agency in (request.from_agency, request.to_agency)]
    rows = [{"user_id": u.id, "agency": u.agency, "request_id": request.id, "kind": kind, "created_at": utcnow()}
            for u in users]
    if rows:
        # No RETURNING (see the model): the sender may write the receiver's notices, never read them back.
        session.execute(insert(Notification), rows)
    label = get_type(request.type).label_en
    mail.queue(session, [mail.Mail(to=u.email, request_id=request.id, request_label=label,
                                   state=kind.split(".")[-1], from_agency=request.from_agency,
                                   to_agency=request.to_agency) for u in users if u.email])


def _mine(actor: Actor) -> Any:
    # A notice never outlives the user's clearance for its request, nor the user's sight of its record:
    # a record since hidden from the user leaves no notice, read or unread, and no count.
    return (Notification.user_id == actor.user_id) & or_(
        Notification.request_id.is_not(None) & (Request.marking_rank <= actor.clearance_rank),
        Notification.entity_id.is_not(None) & live_and_visible(actor, Entity),
    )


def _with_subjects(*columns: Any) -> Any:
    """The notices (or `columns`) joined to their request or record, whichever they are about."""
    return (select(*columns).outerjoin(Request, Request.id == Notification.request_id)
            .outerjoin(Entity, Entity.id == Notification.entity_id))


def _item(notice: Notification, request: Request | None) -> dict[str, Any]:
    item = {"id": notice.id, "kind": notice.kind, "request_id": None, "request_type": None, "subject": "",
            "from_agency": None,
            "to_agency": None, "state": None, "entity_id": notice.entity_id,
            "saved_search_id": notice.saved_search_id, "created_at": notice.created_at, "read_at": notice.read_at}
    if request is not None:
        item.update(request_id=request.id, request_type=request.type, subject=request.subject,
                    from_agency=request.from_agency,
                    to_agency=request.to_agency, state=request.state)
    return item


def list_notifications(*, session: Session, actor: Actor, unread_only: bool = False, limit: int | None = None,
                       cursor: str | None = None) -> tuple[list[dict[str, Any]], int, str | None]:
    """The actor's notifications, newest first, with the number unread."""
    settings = get_settings()
    limit = pagination.check_limit(limit, settings.page_size, settings.max_page_size)
    query = _with_subjects(Notification, Request).where(_mine(actor))
    if unread_only:
        query = query.where(Notification.read_at.is_(None))
    page, next_cursor = pagination.keyset(session, query, Notification.id, limit=limit, cursor=cursor,
                                          secret=settings.signing_secret(), descending=True, scalars=False,
                                          key_of=lambda row: (row[0].id,))
    unread = session.execute(
        _with_subjects(func.count(Notification.id)).where(_mine(actor), Notification.read_at.is_(None))
    ).scalar_one()
    items = [_item(n, r) for n, r in page]
    audit.record(session, action="notification.list", actor=actor, extra={"page": len(items)})
    return items, unread, next_cursor


def mark_read(*, session: Session, actor: Actor, notification_id: int) -> dict[str, Any]:
    """Mark one of the actor's notifications read; anyone else's is not found."""
    row = session.execute(
        _with_subjects(Notification, Request, Entity.owner_agency).where(Notification.id == notification_id,
                                                                          _mine(actor))
    ).first()
    if row is None:
        raise NotFound("notification", str(notification_id), action="notification.read")
    notice, request, entity_owner = row
    if notice.read_at is None:
        notice.read_at = utcnow()
        session.flush()
    subject = (request.id, request.from_agency) if request is not None else (notice.entity_id, entity_owner)
    audit.record(session, action="notification.read", actor=actor, objects=[subject])
    return _item(notice, request)


def mark_all_read(*, session: Session, actor: Actor) -> int:
    """Mark every unread notification of the actor read (those it may still see); return how many."""
    # only the notices the user may still see (`_mine`): the count says nothing of the others
    mine = _with_subjects(Notification.id).where(_mine(actor), Notification.read_at.is_(None))
    result = session.execute(
        update(Notification)
        .where(Notification.id.in_(mine))
        .values(read_at=utcnow()).execution_options(synchronize_session=False)
    )
    count = int(getattr(result, "rowcount", 0) or 0)
    audit.record(session, action="notification.read_all", actor=actor, extra={"count": count})
    return count


def unread_count(*, session: Session, actor: Actor) -> int:
    """How many of the actor's own notifications are unread (the number in the web pages' header).

    Not audited: it names no record and says nothing beyond the user's own notices, and it runs on
    every page; listing or reading the notices is audited.
    """
    count = session.execute(
        _with_subjects(func.count(Notification.id)).where(_mine(actor), Notification.read_at.is_(None))
    ).scalar_one()
    return int(count)

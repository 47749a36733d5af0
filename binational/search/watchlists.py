"""Saved searches and watchlists: a user keeps a search, and is told when a record they may see newly
answers it.

`check()` is the node's job (`binational entities watch`, run by cron or by hand): for each watched
search it runs the search as its user, through the same policy as any search (`service.matches`), and
compares the records with those the search answered with before (`saved_search_matches`). Each new
one is noted and becomes a notice among the user's notifications (`requests.notifications`). A record
the user may not see never answers, so it never triggers a notice, never counts, and leaves nothing
to guess from; a notice whose record the user may no longer see disappears from the list and the count.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.orm import Session

from binational.access import service as access
from binational.access.actions import Action, register
from binational.access.models import User
from binational.access.policy import Actor, can, live_and_visible, require
from binational.audit import log as audit
from binational.db import act_as, act_as_system, system_context, utcnow
from binational.entities.models import Entity
from binational.errors import InvalidInput, NotFound
from binational.requests.models import Notification
from binational.search import service
from binational.search.models import SavedSearch, SavedSearchMatch
from binational.search.query import parse

register(Action("search.save", "record.view", "keep a search, optionally watched: notified of records that newly "
                                              "answer it"))
register(Action("search.saved.list", "record.view", "list one's own saved searches"))
register(Action("search.saved.delete", "record.view", "delete one of one's own saved searches"))
register(Action("search.watch", "admin", "(the node's job) run every watched search as its user and notify the "
                                         "records that newly answer it"))

#: Most searches one user keeps (each watched one is run at every check).
MAX_SAVED = 50
NOTICE_KIND = "search.match"


def _known_visible(actor: Actor) -> Any:
    """How many records each saved search answered with that the actor may still see."""
    return (select(func.count(SavedSearchMatch.id)).join(Entity, Entity.id == SavedSearchMatch.entity_id)
            .where(SavedSearchMatch.saved_search_id == SavedSearch.id, live_and_visible(actor, Entity))
            .scalar_subquery())


def _read(row: SavedSearch, matches: int) -> dict[str, Any]:
    return {"id": row.id, "q": row.q, "watch": row.watch, "created_at": row.created_at,
            "checked_at": row.checked_at, "matches": matches}


def _note(session: Session, saved: SavedSearch, entity_ids: list[str], now: datetime) -> None:
    if entity_ids:
        session.execute(insert(SavedSearchMatch), [
            {"saved_search_id": saved.id, "entity_id": i, "first_seen_at": now} for i in entity_ids])


def save(*, session: Session, actor: Actor, q: str, watch: bool = True) -> dict[str, Any]:
    """Keep a search for the actor; the records it answers now are noted, so that only later ones are told."""
    require(actor, "search.save")
    try:
        query = parse(q)
    except InvalidInput:
        raise InvalidInput("a saved search needs a name, alias or identifier to look for",
                           details=[{"field": "q"}]) from None
    kept = session.execute(select(func.count(SavedSearch.id)).where(SavedSearch.user_id == actor.user_id)).scalar_one()
    if kept >= MAX_SAVED:
        raise InvalidInput(f"at most {MAX_SAVED} saved searches per user; delete one first", details=[{"field": "q"}])
    scores, _rows = service.matches(session, actor, query)
    now = utcnow()
    with system_context(session):  # written by the node, after the policy decided (row-level security)
        saved = SavedSearch(user_id=actor.user_id, agency=actor.agency, q=q.strip(), watch=watch, created_at=now,
                            checked_at=now)
        session.add(saved)
        session.flush()
        _note(session, saved, sorted(scores), now)
    audit.record(session, action="search.save", actor=actor,
                 extra={"saved_search": saved.id, "q_sha256": hashlib.sha256(q.encode()).hexdigest(),
                        "watch": watch})
    return _read(saved, len(scores))


def list_saved(*, session: Session, actor: Actor) -> list[dict[str, Any]]:
    """The actor's own saved searches, newest first, each with how many visible records it answered with."""
    require(actor, "search.saved.list")
    rows = session.execute(select(SavedSearch, _known_visible(actor)).where(SavedSearch.user_id == actor.user_id)
                           .order_by(SavedSearch.id.desc())).all()
    audit.record(session, action="search.saved.list", actor=actor, extra={"page": len(rows)})
    return [_read(saved, matches) for saved, matches in rows]


def delete_saved(*, session: Session, actor: Actor, saved_id: int) -> None:
    """Delete one of the actor's saved searches (anyone else's is not found); its notices stay, unlinked."""
    require(actor, "search.saved.delete")
    saved = session.execute(select(SavedSearch).where(SavedSearch.id == saved_id,
                                                      SavedSearch.user_id == actor.user_id)).scalar_one_or_none()
    if saved is None:
        raise NotFound("saved search", str(saved_id), action="search.saved.delete")
    with system_context(session):
        session.execute(update(Notification).where(Notification.saved_search_id == saved.id)
                        .values(saved_search_id=None))
        session.execute(delete(SavedSearchMatch).where(SavedSearchMatch.saved_search_id == saved.id))
        session.execute(delete(SavedSearch).where(SavedSearch.id == saved.id))
    audit.record(session, action="search.saved.delete", actor=actor, extra={"saved_search": saved_id})


def check(*, session: Session) -> int:
    """Run every watched search as its user; note and notify the records that newly answer it. The
    number of notices written. A job of the node: the session acts as the system between searches."""
    act_as_system(session)
    watched = session.execute(select(SavedSearch, User).join(User, User.id == SavedSearch.user_id)
                              .where(SavedSearch.watch.is_(True), User.active.is_(True))
                              .order_by(SavedSearch.id)).all()
    told = 0
    for saved, user in watched:
        actor = access.actor_for(session=session, user=user)
        if not can(actor, "entity.search"):
            continue
        act_as(session, actor)  # the search sees what its user sees, row-level security included
        scores, rows = service.matches(session, actor, parse(saved.q))
        act_as_system(session)
        known = set(session.execute(select(SavedSearchMatch.entity_id)
                                    .where(SavedSearchMatch.saved_search_id == saved.id)).scalars())
        new = sorted(set(scores) - known)
        now = utcnow()
        _note(session, saved, new, now)
        if new:
            session.execute(insert(Notification), [
                {"user_id": user.id, "agency": user.agency, "request_id": None, "entity_id": i,
                 "saved_search_id": saved.id, "kind": NOTICE_KIND, "created_at": now} for i in new])
            audit.record(session, action="search.watch", actor=None,
                         objects=[(i, rows[i].owner_agency) for i in new],
                         extra={"saved_search": saved.id, "user_id": user.id})
        saved.checked_at = now
        told += len(new)
    session.flush()
    return told

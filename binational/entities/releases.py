"""Releases: the owner agency shares an entity or a case with named partners, and revokes it.

A recipient can never re-release: every release action is owner-only in the policy.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import insert, or_, select, update
from sqlalchemy.orm import Session, aliased

from binational.access import names
from binational.access.models import Agency, Case, Release
from binational.access.policy import Actor, live_and_visible, require
from binational.access.service import check_reachable
from binational.audit import log as audit
from binational.db import system_context, utcnow
from binational.entities.models import Entity, SearchTerm
from binational.entities.service import access_entity_for_change, access_entity_row, release_rows
from binational.errors import InvalidInput, NotFound


def _check_recipients(session: Session, actor: Actor, to: list[str], until: datetime | None,
                      staying: str | None = None) -> None:
    if not to:
        raise InvalidInput("name at least one agency to release to", details=[{"field": "to"}])
    for code in to:
        if not names.is_name(code, names.AGENCY_CODE_LENGTH):  # a look-alike never reaches the lookup
            raise InvalidInput(f"invalid agency code {code!r}: use ASCII letters, digits, - and _",
                               details=[{"field": "to"}])
        agency = session.get(Agency, code)
        if agency is None:
            raise InvalidInput(f"unknown agency {code!r}", details=[{"field": "to"}])
        check_reachable(agency, field="to", staying=staying)
        if code == actor.agency:
            raise InvalidInput("cannot release to one's own agency", details=[{"field": "to"}])
    if until is not None and until <= utcnow():
        raise InvalidInput("`until` is in the past", details=[{"field": "until"}])


def release_entity(
    *, session: Session, actor: Actor, entity_id: str, to: list[str], until: datetime | None = None
) -> list[Release]:
    """Release an entity the actor's agency owns; an `agency` entity becomes `release`."""
    entity = access_entity_for_change(session, actor, entity_id, "release.create")
    _check_recipients(session, actor, to, until)
    if entity.distribution == "agency":
        entity.distribution = "release"
        # The entity's search terms carry its distribution (SearchTerm); as the system, because
        # row-level security would hide from the releasing analyst the terms of values marked above
        # its clearance, and they would keep the old distribution.
        with system_context(session):
            session.execute(update(SearchTerm).where(SearchTerm.entity_id == entity.id)
                            .values(entity_distribution="release"))
    rows = release_rows(actor, entity.id, to, until)
    ids = session.execute(insert(Release).returning(Release.id, sort_by_parameter_order=True), rows).scalars().all()
    audit.record(session, action="release.create", actor=actor, objects=[(entity.id, entity.owner_agency)],
                 extra={"to": sorted(set(to)), "until": until.isoformat() if until else None})
    return [r for r in (session.get(Release, i) for i in ids) if r is not None]


def release_case(
    *, session: Session, actor: Actor, case_id: str, to: list[str], until: datetime | None = None
) -> list[Release]:
    """Release every entity filed under a case of the actor's agency (members still apply)."""
    require(actor, "release.create")
    case = session.get(Case, case_id)
    if case is None or case.owner_agency != actor.agency or case_id not in actor.case_ids:
        raise NotFound("case", case_id, action="release.create")
    _check_recipients(session, actor, to, until, staying="a case release")
    now = utcnow()
    releases = [
        Release(owner_agency=actor.agency, case_id=case_id, to_agency=code, until=until,
                created_by=actor.user_id, created_at=now)
        for code in dict.fromkeys(to)
    ]
    session.add_all(releases)
    session.flush()
    audit.record(session, action="release.create", actor=actor, objects=[(case_id, actor.agency)],
                 extra={"to": sorted(set(to)), "case": True})
    return releases


def list_releases(*, session: Session, actor: Actor, entity_id: str) -> list[Release]:
    """The releases of an entity the actor's agency owns."""
    entity = access_entity_row(session, actor, entity_id, "release.list")
    audit.record(session, action="release.list", actor=actor, objects=[(entity.id, entity.owner_agency)])
    return list(session.execute(select(Release).where(Release.entity_id == entity.id).order_by(Release.id)).scalars())


def revoke(*, session: Session, actor: Actor, release_id: int) -> Release:
    """Revoke a release the actor's agency made; from now on it grants nothing."""
    require(actor, "release.revoke")
    release = session.get(Release, release_id)
    if release is None or release.owner_agency != actor.agency:
        raise NotFound("release", str(release_id), action="release.revoke")
    if release.revoked_at is None:
        release.revoked_at = utcnow()
        release.revoked_by = actor.user_id
        session.flush()
    audit.record(session, action="release.revoke", actor=actor,
                 objects=[(release.entity_id or release.case_id or "", actor.agency)],
                 extra={"release": release_id})
    return release


def received(*, session: Session, actor: Actor, limit: int = 10) -> list[tuple[Release, Entity]]:
    """The active releases of entities to the actor's agency that the actor may see, newest first; audited."""
    require(actor, "entity.list")
    now = utcnow()
    grant = aliased(Release)  # the policy's own subquery on releases must not correlate with this one
    rows = session.execute(
        select(grant, Entity)
        .join(Entity, Entity.id == grant.entity_id)
        .where(grant.to_agency == actor.agency, grant.revoked_at.is_(None),
               or_(grant.until.is_(None), grant.until > now),
               live_and_visible(actor, Entity))
        .order_by(grant.created_at.desc(), grant.id.desc())
        .limit(limit)
    ).all()
    if rows:
        audit.record(session, action="entity.list", actor=actor,
                     objects=[(e.id, e.owner_agency) for _r, e in rows], extra={"received": True})
    return [(r, e) for r, e in rows]

"""Engagements, their readouts and commitments: keyword-only services taking `session` and `actor`.

Engagements and commitments are FollowTheMoney entities (`Engagement`, `Commitment`, participants as
`Person`) written and read through `entities.service`, so the ordinary policy decides who sees them and
every write and read is audited there. A commitment's progress comes from its indicator's figures,
computed for the viewer when the policy shares the indicator with it, never typed in.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from binational.access.actions import Action, register
from binational.access.models import Agency
from binational.access.policy import Actor, require, visible_values
from binational.audit import log as audit
from binational.db import utcnow
from binational.engagements import gazetteer as gaz
from binational.engagements import indicators, intake, stemming
from binational.engagements.models import GazetteerPerson
from binational.engagements.schemas import (
    FORMATS,
    STATUSES,
    CommitmentCreate,
    CommitmentView,
    EngagementCreate,
    EngagementView,
    GazetteerPersonIn,
    Progress,
)
from binational.entities import service as entities
from binational.entities.models import Entity, Statement
from binational.entities.schemas import EntityCreate, EntityPatch, EntityRead
from binational.errors import InvalidInput
from binational.search import service as search

register(Action("engagement.intake", "record.view",
                "propose an engagement's participants, countries and topics from a readout's text"))
register(Action("engagement.list", "record.view", "list the engagements one may see, as a timeline"))
register(Action("commitment.board", "record.view", "the commitments one may see, by country and topic"))
register(Action("indicator.read", "",
                "read an indicator's monthly figures over the rows one may see, where the indicator is shared "
                "(the indicator names the capability it needs)"))
register(Action("engagement.brief", "record.view",
                "export a printable brief (PDF) of an engagement and its commitments' progress", True))
register(Action("gazetteer.add", "admin", "add an official of a partner government to the node's gazetteer"))


def first(entity: EntityRead, prop: str) -> str | None:
    """The first (sorted) value of `prop`, or None."""
    values = entity.properties.get(prop) or []
    return sorted(values)[0] if values else None


def countries(entity: EntityRead) -> list[str]:
    """The entity's countries as upper-case ISO codes (FollowTheMoney keeps them in lower case)."""
    return sorted({c.upper() for c in entity.properties.get("country", [])})


def gazetteer(*, session: Session) -> gaz.Gazetteer:
    """The shipped gazetteer with the node's additions."""
    rows = session.execute(select(GazetteerPerson).order_by(GazetteerPerson.id)).scalars()
    extra = [gaz.Official(name=r.name, surname=r.surname, office=r.office, titles=json.loads(r.titles),
                          forms=tuple(json.loads(r.forms)), added=True) for r in rows]
    return gaz.shipped().with_people(extra)


def add_official(*, session: Session, actor: Actor, data: GazetteerPersonIn) -> GazetteerPerson:
    """Add an official to the node's gazetteer (an administrator, as its agency)."""
    require(actor, "gazetteer.add")
    offices = gaz.shipped().offices
    if data.office not in offices:
        raise InvalidInput(f"unknown office {data.office!r}", details=[{"field": "office", "allowed": sorted(offices)}])
    titles = {k: v for k, v in (("en", data.title_en), ("es", data.title_es)) if v}
    row = GazetteerPerson(name=data.name, surname=data.surname, office=data.office,
                          titles=json.dumps(titles, ensure_ascii=False),
                          forms=json.dumps(data.forms, ensure_ascii=False), agency=actor.agency,
                          created_by=actor.user_id)
    session.add(row)
    session.flush()
    audit.record(session, action="gazetteer.add", actor=actor, objects=[(f"gazetteer:{row.id}", actor.agency)])
    return row


#: the most Person records proposed for one participant, and the least search score they need
CANDIDATES = 3
CANDIDATE_SCORE = 0.8


def propose(*, session: Session, actor: Actor | None, text: str, display: str = "en") -> intake.Proposal:
    """Intake's proposal for a readout, each participant with the Person records the viewer already sees
    that may be them (nothing is written but the audit entries).

    Without an actor it is the node operator's (the command line without `--as`), audited as the
    system: the operator is no agency's viewer, so it is proposed no records."""
    if actor is not None:
        require(actor, "engagement.intake")
    proposal = intake.propose(text, gazetteer(session=session), display)
    audit.record(session, action="engagement.intake", actor=actor, objects=[],
                 extra={"language": proposal.language, "chars": len(text)})
    if actor is not None:
        for participant in proposal.participants:
            participant.candidates = known_people(session=session, actor=actor, name=participant.name)
    return proposal


def known_people(*, session: Session, actor: Actor, name: str) -> list[dict[str, Any]]:
    """The Person records the actor may see whose names answer `name` by the search module's name rules
    (accents, particles, nicknames, typing errors, sound), best first; the search is audited there with
    the records it returned."""
    page = search.search(session=session, actor=actor, q=name, filters=search.Filters(schema="Person"),
                         limit=CANDIDATES)
    return [{"id": e.id, "name": e.caption, "position": first(e, "position"),
             "country": next(iter(countries(e)), None), "owner_agency": e.owner_agency, "score": page.scores[e.id]}
            for e in page.items if page.scores[e.id] >= CANDIDATE_SCORE]


def _check_topics(topics: list[str], field: str) -> None:
    known = gaz.topic_keys()
    bad = [t for t in topics if t not in known]
    if bad:
        raise InvalidInput(f"unknown topic {bad[0]!r}", details=[{"field": field, "allowed": known}])


def create_engagement(*, session: Session, actor: Actor, data: EngagementCreate) -> EntityRead:
    """Record an engagement (and its participants as people) owned by the actor's agency."""
    if data.format not in FORMATS:
        raise InvalidInput(f"unknown format {data.format!r}", details=[{"field": "format", "allowed": list(FORMATS)}])
    _check_topics(data.topics, "topics")
    policy = {"distribution": data.distribution, "release_to": data.release_to, "marking": data.marking}
    people = []
    for i, person in enumerate(data.participants):
        if person.entity_id:
            # A record the editor chose among intake's candidates: read through the policy (404 when the
            # actor may not see it, as for one that does not exist), never written again.
            known = entities.read(session=session, actor=actor, entity_id=person.entity_id)
            if known.schema != "Person":
                raise InvalidInput(f"participant {i + 1}: {person.entity_id} is not a person",
                                   details=[{"field": f"participants.{i}.entity_id"}])
            people.append(known)
            continue
        props: dict[str, list[str] | str] = {"name": person.name}
        position = ", ".join(p for p in (person.title, person.office) if p)
        if position:
            props["position"] = position
        if person.country:
            props["country"] = person.country
        try:
            people.append(entities.create(session=session, actor=actor,
                                          data=EntityCreate(schema="Person", properties=props, **policy)))
        except InvalidInput as exc:
            raise InvalidInput(f"participant {i + 1}: {exc.message}",
                               details=[{"field": f"participants.{i}"}]) from None
    languages = [stemming.detect_language(text) for text in data.readouts]
    props = {"name": data.name, "date": data.date.isoformat(), "format": data.format,
             "country": data.countries, "themes": data.topics, "involved": [p.id for p in people],
             "readout": data.readouts, "readoutLanguage": sorted(set(languages))}
    if data.summary:
        props["summary"] = data.summary
    clean = {k: v for k, v in props.items() if v}
    return entities.create(session=session, actor=actor,
                           data=EntityCreate(schema="Engagement", properties=clean, **policy))


def create_commitment(*, session: Session, actor: Actor, data: CommitmentCreate) -> EntityRead:
    """Record a commitment made at an engagement the actor may see, tied to a registered indicator with a
    target of the indicator's unit (an unknown indicator or another unit is refused)."""
    engagement = entities.read(session=session, actor=actor, entity_id=data.engagement_id)
    if engagement.schema != "Engagement":
        raise InvalidInput("not an engagement", details=[{"field": "engagement_id"}])
    if data.status not in STATUSES:
        raise InvalidInput(f"unknown status {data.status!r}", details=[{"field": "status", "allowed": list(STATUSES)}])
    if session.get(Agency, data.owner_agency) is None:
        raise InvalidInput(f"unknown agency {data.owner_agency!r}", details=[{"field": "owner_agency"}])
    props: dict[str, Any] = {"name": data.name, "engagement": data.engagement_id, "committedBy": data.committed_by,
                             "responsibleAgency": data.owner_agency, "dueDate": data.due_date.isoformat(),
                             "status": data.status}
    if data.indicator is not None:
        indicator = indicators.get(data.indicator)
        if data.target is None:
            raise InvalidInput("a commitment tied to an indicator needs a target", details=[{"field": "target"}])
        if data.unit != indicator.unit:
            raise InvalidInput(f"the target of {indicator.key} is in {indicator.unit}, not {data.unit!r}",
                               details=[{"field": "unit", "expected": indicator.unit}])
        props.update(indicator=indicator.key, target=repr(float(data.target)), targetUnit=indicator.unit)
    elif data.target is not None:
        raise InvalidInput("a target needs an indicator", details=[{"field": "indicator"}])
    _check_topics(data.topics, "topics")
    props["themes"] = data.topics or engagement.properties.get("themes", [])
    props["country"] = [data.country] if data.country else countries(engagement)
    if data.notes:
        props["notes"] = data.notes
    return entities.create(session=session, actor=actor, data=EntityCreate(
        schema="Commitment", properties={k: v for k, v in props.items() if v}, distribution=data.distribution,
        release_to=data.release_to, marking=data.marking))


def change_status(*, session: Session, actor: Actor, commitment_id: str, status: str,
                  note: str | None = None) -> EntityRead:
    """Set a commitment's status (its agency only), keeping the note."""
    if status not in STATUSES:
        raise InvalidInput(f"unknown status {status!r}", details=[{"field": "status", "allowed": list(STATUSES)}])
    current = entities.read(session=session, actor=actor, entity_id=commitment_id)
    if current.schema != "Commitment":
        raise InvalidInput("not a commitment", details=[{"field": "commitment_id"}])
    old = current.properties.get("status", [])
    add: dict[str, list[str] | str] = {}
    remove: dict[str, list[str] | str] = {}
    if old != [status]:
        add["status"] = status
        stale = [s for s in old if s != status]
        if stale:
            remove["status"] = stale
    if note:
        add["notes"] = note
    if not add:
        return current
    return entities.update(session=session, actor=actor, entity_id=commitment_id,
                           patch=EntityPatch(add=add, remove=remove))


def series(*, session: Session, actor: Actor, key: str, start: date, end: date) -> list[indicators.Point] | None:
    """An indicator's monthly figures for the viewer, or None when the indicator is not shared with it
    (the read, or the refusal, is audited)."""
    indicator = indicators.get(key)
    indicators.check_range(start, end)
    decision = indicator.decide(actor)
    if not decision:
        audit.record(session, action="indicator.read", actor=actor, objects=[], decision="deny",
                     reason=decision.reason, extra={"indicator": key})
        return None
    require(actor, "indicator.read")
    points = indicator.series(session, actor, start, end)
    audit.record(session, action="indicator.read", actor=actor, objects=[],
                 extra={"indicator": key, "from": start.isoformat(), "to": end.isoformat()})
    return points


def progress(*, session: Session, actor: Actor, commitment: EntityRead, start: date | None = None) -> Progress:
    """A commitment's progress for the viewer, from its indicator's figures since the engagement (or the
    commitment's recording) to its due date or today, whichever comes first."""
    key = first(commitment, "indicator")
    if key is None:
        return Progress(indicator=None, shared=True)
    indicator = indicators.get(key)
    due = first(commitment, "dueDate")
    today = utcnow().date()
    end = min(date.fromisoformat(due[:10]), today) if due else today
    begin = start or commitment.created_at.date()
    begin = max(min(begin, end), indicators.earliest(end))
    points = series(session=session, actor=actor, key=key, start=begin, end=end)
    if points is None:
        return Progress(indicator=key, shared=False, label=indicator.label)
    target_text = first(commitment, "target")
    target = float(target_text) if target_text else None
    measured = [v for _, v in points if v is not None]
    latest = measured[-1] if measured else None
    share = on_track = None
    if target is not None and latest is not None:
        if indicator.better == "higher":
            share = latest / target if target else None
            on_track = latest >= target
        else:
            share = target / latest if latest else 1.0
            on_track = latest <= target
    return Progress(indicator=key, shared=True, label=indicator.label, unit=indicator.unit, target=target,
                    better=indicator.better,
                    series=points, latest=latest, share_of_target=share, on_track=on_track)


def view_commitment(*, session: Session, actor: Actor, commitment: EntityRead,
                    engagement_date: date | None = None) -> CommitmentView:
    """A commitment the viewer sees, with its progress."""
    return CommitmentView(
        id=commitment.id, name=commitment.caption, engagement_id=first(commitment, "engagement"),
        committed_by=first(commitment, "committedBy"), owner_agency=first(commitment, "responsibleAgency"),
        due_date=first(commitment, "dueDate"), status=first(commitment, "status"),
        notes=sorted(commitment.properties.get("notes", [])), country=countries(commitment),
        topics=sorted(commitment.properties.get("themes", [])), record_owner=commitment.owner_agency,
        progress=progress(session=session, actor=actor, commitment=commitment, start=engagement_date))


def read_commitment(*, session: Session, actor: Actor, commitment_id: str) -> CommitmentView:
    """One commitment (404 if the viewer may not see it) with its progress."""
    commitment = entities.read(session=session, actor=actor, entity_id=commitment_id)
    if commitment.schema != "Commitment":
        raise InvalidInput("not a commitment", details=[{"field": "commitment_id"}])
    start = None
    engagement_id = first(commitment, "engagement")
    if engagement_id:
        found = entities.assemble(session, actor, _visible_rows(session, actor, [engagement_id]))
        if found and first(found[0], "date"):
            start = date.fromisoformat(str(first(found[0], "date"))[:10])
    return view_commitment(session=session, actor=actor, commitment=commitment, engagement_date=start)


def _visible_rows(session: Session, actor: Actor, ids: list[str]) -> list[Any]:
    visible = entities.visible_entity_ids(session, actor, ids)
    return list(session.execute(select(*entities.ENTITY_COLUMNS).where(Entity.id.in_(sorted(visible)))).all())


def _commitments_of(session: Session, actor: Actor, engagement_ids: list[str] | None) -> list[EntityRead]:
    query = entities.matching(session, actor, schema="Commitment")
    if engagement_ids is not None:
        query = query.where(exists(select(Statement.id).where(
            Statement.entity_id == Entity.id, Statement.prop == "engagement", Statement.deleted_at.is_(None),
            Statement.value.in_(engagement_ids), visible_values(actor, Statement))))
    rows = session.execute(query.order_by(Entity.id)).all()
    return entities.assemble(session, actor, rows)


def read_engagement(*, session: Session, actor: Actor, engagement_id: str) -> EngagementView:
    """One engagement with its participants, readouts and commitments as the viewer may see them."""
    engagement = entities.read(session=session, actor=actor, entity_id=engagement_id)
    if engagement.schema != "Engagement":
        raise InvalidInput("not an engagement", details=[{"field": "engagement_id"}])
    people = entities.assemble(session, actor, _visible_rows(session, actor, engagement.properties.get("involved", [])))
    commitments = _commitments_of(session, actor, [engagement.id])
    when = first(engagement, "date")
    summary = first(engagement, "summary")
    start = date.fromisoformat(when[:10]) if when else None
    readouts = []
    for text in engagement.properties.get("readout", []):
        language = stemming.detect_language(text)
        readouts.append({"text": text, "language": language, "flagged": language == stemming.UNKNOWN,
                         "rtl": language == stemming.ARABIC})
    return EngagementView(
        id=engagement.id, name=engagement.caption, date=when, format=first(engagement, "format"),
        countries=countries(engagement),
        topics=sorted(engagement.properties.get("themes", [])), summary=summary,
        summary_language=stemming.detect_language(summary) if summary else None,
        readouts=readouts,
        participants=[{"id": p.id, "name": p.caption, "position": first(p, "position"), "country": first(p, "country")}
                      for p in people] + [{"id": None, "name": name, "position": None, "country": None}
                                          for name in sorted(engagement.properties.get("peopleMentioned", []))
                                          if name not in {p.caption for p in people}],
        commitments=[view_commitment(session=session, actor=actor, commitment=c, engagement_date=start)
                     for c in commitments],
        record_owner=engagement.owner_agency, flagged=any(r["flagged"] for r in readouts))


def timeline(*, session: Session, actor: Actor, country: str | None = None, topic: str | None = None,
             limit: int = 200) -> list[EntityRead]:
    """The engagements the viewer may see, newest first, of one country or topic."""
    require(actor, "engagement.list")
    rows = session.execute(entities.matching(session, actor, schema="Engagement")).all()
    found = entities.assemble(session, actor, rows)
    if country:
        found = [e for e in found if country.upper() in countries(e)]
    if topic:
        found = [e for e in found if topic in e.properties.get("themes", [])]
    found.sort(key=lambda e: (first(e, "date") or "", e.id), reverse=True)
    found = found[:limit]
    audit.record(session, action="engagement.list", actor=actor, objects=[(e.id, e.owner_agency) for e in found],
                 extra={"country": country, "topic": topic})
    return found


def board(*, session: Session, actor: Actor, country: str | None = None,
          topic: str | None = None) -> dict[str, dict[str, list[CommitmentView]]]:
    """The commitments the viewer may see, grouped by country then topic, each with its progress."""
    require(actor, "commitment.board")
    grouped: dict[str, dict[str, list[CommitmentView]]] = {}
    shown = []
    for commitment in _commitments_of(session, actor, None):
        where = countries(commitment) or ["—"]
        topics = commitment.properties.get("themes") or ["—"]
        if (country and country.upper() not in where) or (topic and topic not in topics):
            continue
        shown.append(commitment)
        view = view_commitment(session=session, actor=actor, commitment=commitment)
        for c in where:
            for t in topics:
                if (country and c != country.upper()) or (topic and t != topic):
                    continue
                grouped.setdefault(c, {}).setdefault(t, []).append(view)
    audit.record(session, action="commitment.board", actor=actor,
                 objects=[(c.id, c.owner_agency) for c in shown], extra={"country": country, "topic": topic})
    return {c: dict(sorted(ts.items())) for c, ts in sorted(grouped.items())}


def marking_of(session: Session, entity_id: str) -> str:
    """The marking of an entity the caller has just read (for a brief's footer)."""
    return session.execute(select(Entity.marking).where(Entity.id == entity_id)).scalar_one()

"""Resolution for viewers: suggestions, judgements, clusters and discovery hits, each through the policy.

A run (see `runs.py`) scores pairs as the system over all data. Here every read is filtered: a
viewer sees a suggestion only when it may see both records; when it sees one side only, the other
side is a discovery hit (agency and kind, no id) that it can request from the owner.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, aliased

from binational import pagination
from binational.access.actions import Action, register
from binational.access.markings import MARKINGS, rank
from binational.access.policy import (
    Actor,
    Resource,
    can,
    live_and_visible,
    may_answer_as_hit,
    require,
    visible_judgements,
)
from binational.audit import log as audit
from binational.config import get_settings
from binational.db import system_context
from binational.entities import service as entities
from binational.entities.models import Entity
from binational.errors import InvalidInput, NotFound
from binational.resolution import clusters, evidence, runs
from binational.resolution.features import KIND_OF_SCHEMA, KINDS
from binational.resolution.models import Judgement, ResolutionRun, Suggestion
from binational.resolution.schemas import (
    Hit,
    JudgementCreate,
    JudgementRead,
    MatchesRead,
    RunRead,
    SuggestionRead,
)

for _action in (
    Action("resolution.run", "admin", "run entity resolution over all data, as the system"),
    Action("resolution.read", "record.view", "list resolution runs (counts only for administrators)"),
    Action("resolution.suggestion.list", "record.view", "list suggested matches whose two records one may see"),
    Action("resolution.suggestion.read", "record.view", "read one suggested match, both records side by side", True),
    Action("resolution.judge", "record.create", "judge a pair positive, negative or unsure, or retract", True),
    Action("resolution.judgement.list", "record.view", "list the judgements one may see on a pair"),
    Action("resolution.cluster.read", "record.view", "read the cluster (canonical id) of a record", True),
    Action("resolution.matches", "record.view", "matches of a record, and hits held by other agencies", True),
):
    register(_action)

VERDICTS = ("positive", "negative", "unsure", "retracted")
#: suggestions read at a time while a page is filled with pairs that stand for the viewer
QUEUE_BATCH = 50


def latest_run(session: Session) -> ResolutionRun | None:
    """The latest finished run, whose suggestions are current."""
    return session.execute(
        select(ResolutionRun).where(ResolutionRun.status == "finished")
        .order_by(ResolutionRun.started_at.desc(), ResolutionRun.id.desc()).limit(1)
    ).scalar_one_or_none()


def read_run(*, session: Session, actor: Actor | None, run_id: str | None = None,
             current: bool = False) -> RunRead | None:
    """A run (by default the latest finished one, or with `current` the running one if any), its
    progress, message and per-kind counts for administrators (and the node operator, `actor` None) only."""
    # administrators who start runs see them without record.view
    if actor is not None and not can(actor, "resolution.run"):
        require(actor, "resolution.read")
    with system_context(session):  # a run whose worker died is told as failed, never as running forever
        runs.recover(session)
    found = None if run_id is None else session.get(ResolutionRun, run_id)
    if run_id is None and current:
        found = session.execute(select(ResolutionRun).where(ResolutionRun.status == "running")).scalar()
    if run_id is None and found is None:
        found = latest_run(session)
    if found is None:
        return None
    # every read of a run is audited, the polls of its progress panel and of `resolution watch` too
    audit.record(session, action="resolution.read", actor=actor, objects=[],
                 extra={"run": found.id, "status": found.status})
    return runs.describe(found, actor)


#: The two records of a pair. Made once: the policy's filter is built once per actor and alias
#: (`live_and_visible` is cached), and building it anew for fresh aliases on every query cost more than
#: the queries of a record's cluster.
_LEFT, _RIGHT = aliased(Entity, name="pair_left"), aliased(Entity, name="pair_right")


def _visible_pairs(actor: Actor, query: Any) -> Any:
    left, right = _LEFT, _RIGHT
    return (query.join(left, left.id == Suggestion.left_id).join(right, right.id == Suggestion.right_id)
            .where(live_and_visible(actor, left), live_and_visible(actor, right)))


def _stances(session: Session, actor: Actor, pairs: list[tuple[str, str]] | None = None,
             ids: list[str] | None = None) -> dict[tuple[str, str], dict[str, str]]:
    query = select(Judgement.left_id, Judgement.right_id, Judgement.owner_agency, Judgement.verdict).where(
        visible_judgements(actor, Judgement))
    if ids is not None:
        query = query.where(or_(Judgement.left_id.in_(ids), Judgement.right_id.in_(ids)))
    rows = session.execute(query.order_by(Judgement.id)).all()
    found = clusters.stances((a, b, agency, v) for a, b, agency, v in rows)
    if pairs is not None:
        return {p: found.get(p, {}) for p in pairs}
    return found


def _read(session: Session, actor: Actor, items: list[Suggestion]) -> list[SuggestionRead]:
    ids = sorted({i for s in items for i in (s.left_id, s.right_id)})
    records = {e.id: e for e in session.execute(select(Entity).where(Entity.id.in_(ids))).scalars()}
    assembled = {r.id: r for r in entities.assemble(session, actor, list(records.values()))}
    judged = _stances(session, actor, [(s.left_id, s.right_id) for s in items])
    return [
        SuggestionRead(
            id=s.id, run_id=s.run_id, kind=s.kind, score=s.score, match_weight=s.match_weight, decision=s.decision,
            driver=s.driver, weights=json.loads(s.weights), left=assembled[s.left_id], right=assembled[s.right_id],
            verdict=clusters.pair_verdict(judged[(s.left_id, s.right_id)]),
            my_verdict=judged[(s.left_id, s.right_id)].get(actor.agency),
        )
        for s in items
    ]


@dataclass(frozen=True)
class QueueFilter:
    """Which suggestions of the queue: kind, decision, those my agency has not judged, those with a
    record of my agency, the records' FtM schema, a band of scores."""

    kind: str | None = None
    decision: str | None = None
    unjudged: bool = False
    mine: bool = False
    schema: str | None = None
    min_score: float | None = None
    max_score: float | None = None

    def check(self) -> QueueFilter:
        """The filter, or InvalidInput naming the field that is wrong."""
        if self.decision not in (None, "match", "review"):
            raise InvalidInput("decision is `match` or `review`", details=[{"field": "decision"}])
        if self.kind is not None and self.kind not in KINDS:
            raise InvalidInput(f"kind is one of {', '.join(KINDS)}", details=[{"field": "kind"}])
        if self.schema is not None and self.schema not in KIND_OF_SCHEMA:
            raise InvalidInput(f"schema is one of {', '.join(sorted(KIND_OF_SCHEMA))}", details=[{"field": "schema"}])
        for name in ("min_score", "max_score"):
            value = getattr(self, name)
            if value is not None and not 0 <= value <= 1:
                raise InvalidInput(f"{name} is a probability between 0 and 1", details=[{"field": name}])
        return self


def queue_query(actor: Actor, run: ResolutionRun, where: QueueFilter) -> Any:
    """The latest run's suggestions whose two records the actor may see, as `where` filters them
    (whether their evidence stands for the viewer is decided per batch: `standing_suggestions`)."""
    left, right = aliased(Entity), aliased(Entity)
    query = (select(Suggestion).where(Suggestion.run_id == run.id)
             .join(left, left.id == Suggestion.left_id).join(right, right.id == Suggestion.right_id)
             .where(live_and_visible(actor, left), live_and_visible(actor, right)))
    if where.kind:
        query = query.where(Suggestion.kind == where.kind)
    if where.decision:
        query = query.where(Suggestion.decision == where.decision)
    if where.mine:
        query = query.where(or_(left.owner_agency == actor.agency, right.owner_agency == actor.agency))
    if where.schema:
        query = query.where(or_(left.schema == where.schema, right.schema == where.schema))
    if where.min_score is not None:
        query = query.where(Suggestion.score >= where.min_score)
    if where.max_score is not None:
        query = query.where(Suggestion.score <= where.max_score)
    if where.unjudged:
        judged = select(Judgement.id).where(Judgement.left_id == Suggestion.left_id,
                                            Judgement.right_id == Suggestion.right_id,
                                            Judgement.owner_agency == actor.agency)
        query = query.where(~judged.exists())
    return query


def list_suggestions(
    *, session: Session, actor: Actor, kind: str | None = None, decision: str | None = None,
    unjudged: bool = False, limit: int | None = None, cursor: str | None = None, mine: bool = False,
    schema: str | None = None, min_score: float | None = None, max_score: float | None = None,
    record: bool = True,
) -> tuple[list[SuggestionRead], str | None]:
    """A page of the latest run's suggestions whose two records the actor may see, by id (audited
    unless `record` is false: then the caller records what it shows, as the home page does)."""
    require(actor, "resolution.suggestion.list")
    settings = get_settings()
    limit = pagination.check_limit(limit, settings.page_size, settings.max_page_size)
    where = QueueFilter(kind=kind or None, decision=decision, unjudged=unjudged, mine=mine, schema=schema or None,
                        min_score=min_score, max_score=max_score).check()
    run = latest_run(session)
    if run is None:
        return [], None
    query = queue_query(actor, run, where)
    secret = settings.signing_secret()
    page: list[Suggestion] = []
    while True:  # a pair whose evidence rests on a hidden value is not a suggestion for this viewer
        # whole batches: few pairs may stand, and one small query per missing pair costs more; a short
        # page (the home page's five) still reads a batch of QUEUE_BATCH, as checking a pair stands costs
        # about the same for one pair as for fifty
        batch, after = pagination.keyset(session, query, Suggestion.id, limit=max(limit, QUEUE_BATCH), cursor=cursor,
                                         secret=secret)
        page += standing_suggestions(session, actor, batch)
        if after is None or len(page) >= limit:
            break
        cursor = after
    more = len(page) > limit or (after is not None and len(page) == limit)
    page = page[:limit]
    # the next page starts after the last pair shown (not after a pair left out: a cursor names its key)
    next_cursor = pagination.encode(secret, {"after": page[-1].id}) if more and page else None
    objects: list[tuple[str, str | None]] = [
        (i, a) for s in page for i, a in ((s.left_id, s.left_agency), (s.right_id, s.right_agency))]
    if record:
        audit.record(session, action="resolution.suggestion.list", actor=actor, objects=objects,
                     extra={"kind": kind, "decision": decision, "page": len(page)})
    return _read(session, actor, page), next_cursor


def standing_suggestions(session: Session, actor: Actor, items: list[Suggestion]) -> list[Suggestion]:
    """The suggestions whose stored evidence is what the viewer's own values give (evidence.py)."""
    out: list[Suggestion] = []
    for run_id in {s.run_id for s in items}:
        run = session.get(ResolutionRun, run_id)
        # decided in SQL: no need to compare them
        fallen = evidence.fallen_records(session, actor, run, {i for s in items for i in (s.left_id, s.right_id)})
        mine = [s for s in items if s.run_id == run_id and s.left_id not in fallen and s.right_id not in fallen]
        found = evidence.standing(session, actor, {i for s in mine for i in (s.left_id, s.right_id)}, run)
        out += [s for s in mine if evidence.stands(found, s.left_id, s.right_id)]
    return sorted(out, key=lambda s: s.id)


def access_suggestion(session: Session, actor: Actor, suggestion_id: int, action: str) -> Suggestion:
    require(actor, action)
    found = session.execute(_visible_pairs(actor, select(Suggestion).where(Suggestion.id == suggestion_id))
                            ).scalar_one_or_none()
    if found is None:
        raise NotFound("suggestion", str(suggestion_id), action=action, reason="not found or a side not visible")
    if not standing_suggestions(session, actor, [found]):
        raise NotFound("suggestion", str(suggestion_id), action=action, reason="evidence rests on a hidden value")
    return found


def read_suggestion(*, session: Session, actor: Actor, suggestion_id: int) -> SuggestionRead:
    """One suggestion with both records as the viewer sees them; 404 unless it may see both."""
    found = access_suggestion(session, actor, suggestion_id, "resolution.suggestion.read")
    audit.record(session, action="resolution.suggestion.read", actor=actor,
                 objects=[(found.left_id, found.left_agency), (found.right_id, found.right_agency)])
    return _read(session, actor, [found])[0]


def access_pair(session: Session, actor: Actor, a: str, b: str, action: str) -> tuple[Any, Any]:
    if a == b:
        raise InvalidInput("a pair needs two different records", details=[{"field": "right_id"}])
    try:
        left = entities.access_entity_row(session, actor, min(a, b), action)
        right = entities.access_entity_row(session, actor, max(a, b), action)
    except NotFound:
        raise NotFound("pair", None, action=action, reason="a record of the pair is not visible") from None
    return left, right


def judge(*, session: Session, actor: Actor, data: JudgementCreate) -> JudgementRead:
    """Append the actor's agency's verdict on a pair (of a suggestion, or of two records it may see)."""
    if data.verdict not in VERDICTS:
        raise InvalidInput(f"verdict is one of {', '.join(VERDICTS)}", details=[{"field": "verdict"}])
    suggestion = None
    if data.suggestion_id is not None:
        suggestion = access_suggestion(session, actor, data.suggestion_id, "resolution.judge")
        a, b = suggestion.left_id, suggestion.right_id
    elif data.left_id and data.right_id:
        a, b = data.left_id, data.right_id
    else:
        raise InvalidInput("give suggestion_id, or left_id and right_id", details=[{"field": "suggestion_id"}])
    left, right = access_pair(session, actor, a, b, "resolution.judge")
    kinds = {left.schema, right.schema}
    kind = KIND_OF_SCHEMA.get(left.schema)
    if kind is None or len({KIND_OF_SCHEMA.get(s) for s in kinds}) != 1:
        raise InvalidInput("both records must be of one resolvable kind", details=[{"field": "right_id"}])
    marking = data.marking or MARKINGS[max(left.marking_rank, right.marking_rank)]
    marking_rank = rank(marking)
    if marking_rank > actor.clearance_rank or marking_rank < max(left.marking_rank, right.marking_rank):
        raise InvalidInput("a judgement's marking is at least its records' and within your clearance",
                           details=[{"field": "marking"}])
    if data.distribution not in ("agency", "national"):
        raise InvalidInput("distribution is `agency` or `national`", details=[{"field": "distribution"}])
    row = Judgement(
        kind=kind, left_id=left.id, right_id=right.id, verdict=data.verdict,
        suggestion_id=suggestion.id if suggestion else None, score=suggestion.score if suggestion else None,
        comment=data.comment, created_by=actor.user_id, owner_agency=actor.agency, owner_country=actor.country,
        distribution=data.distribution, marking=marking, marking_rank=marking_rank, case_id=None,
    )
    session.add(row)
    session.flush()
    audit.record(session, action="resolution.judge", actor=actor,
                 objects=[(left.id, left.owner_agency), (right.id, right.owner_agency)],
                 extra={"verdict": data.verdict, "judgement": row.id})
    return JudgementRead.model_validate(row, from_attributes=True)


def list_judgements(*, session: Session, actor: Actor, left_id: str, right_id: str) -> list[JudgementRead]:
    """Every judgement the actor may see on a pair it may see, oldest first."""
    left, right = access_pair(session, actor, left_id, right_id, "resolution.judgement.list")
    rows = session.execute(
        select(Judgement).where(Judgement.left_id == left.id, Judgement.right_id == right.id,
                                visible_judgements(actor, Judgement)).order_by(Judgement.id)
    ).scalars().all()
    audit.record(session, action="resolution.judgement.list", actor=actor,
                 objects=[(left.id, left.owner_agency), (right.id, right.owner_agency)], extra={"count": len(rows)})
    out = [JudgementRead.model_validate(r, from_attributes=True) for r in rows]
    if any(r.score is not None for r in out) and not evidence.stands(
            evidence.standing(session, actor, [left.id, right.id], latest_run(session)), left.id, right.id):
        # the score a judge saw rests on a value this viewer may not see: not shown
        out = [r.model_copy(update={"score": None}) for r in out]
    return out


def _edges_around(session: Session, actor: Actor, ids: list[str]) -> list[tuple[str, str]]:
    """Linked edges touching `ids` that the actor may see (both records and the verdicts)."""
    run = latest_run(session)
    auto: list[tuple[str, str]] = []
    if run is not None:
        query = _visible_pairs(actor, select(Suggestion.left_id, Suggestion.right_id).where(
            Suggestion.run_id == run.id, Suggestion.decision == "match",
            or_(Suggestion.left_id.in_(ids), Suggestion.right_id.in_(ids))))
        auto = [(a, b) for a, b in session.execute(query).all()]
        found = evidence.standing(session, actor, {i for pair in auto for i in pair}, run)
        auto = [(a, b) for a, b in auto if evidence.stands(found, a, b)]  # a match on hidden values merges nothing
    judged = _stances(session, actor, ids=ids)
    seen = entities.visible_entity_ids(session, actor, {i for pair in judged for i in pair})
    judged = {p: v for p, v in judged.items() if p[0] in seen and p[1] in seen}
    return clusters.linked_edges(auto, judged)


def canonical_ids(session: Session, actor: Actor, entity_ids: list[str] | set[str]) -> dict[str, str]:
    """Entity id -> canonical id, over the suggestions and judgements `actor` may see; an unresolved
    (or invisible) id maps to itself. Clusters are followed transitively through visible records."""
    members = clusters_of(session, actor, entity_ids)
    return {i: members.get(i, i) for i in set(entity_ids)}


def clusters_of(session: Session, actor: Actor, entity_ids: list[str] | set[str]) -> dict[str, str]:
    """Member id -> canonical id for every member of the clusters (as `actor` may see them) that
    `entity_ids` belong to; an unresolved id is absent."""
    wanted = set(entity_ids)
    frontier, seen_ids, edges = set(wanted), set(wanted), set()
    while frontier:  # expand the component through visible edges
        batch = sorted(frontier)
        frontier = set()
        for start in range(0, len(batch), 500):
            for a, b in _edges_around(session, actor, batch[start:start + 500]):
                edges.add((a, b))
                for x in (a, b):
                    if x not in seen_ids:
                        seen_ids.add(x)
                        frontier.add(x)
    return clusters.components(edges)


def cluster(*, session: Session, actor: Actor, entity_id: str) -> dict[str, Any]:
    """The canonical id of a record the actor may see and the members it may see."""
    entity = entities.access_entity_row(session, actor, entity_id, "resolution.cluster.read")
    mapping = canonical_ids(session, actor, [entity.id])
    canonical = mapping[entity.id]
    members = sorted({entity.id, canonical} | _component(session, actor, entity.id))
    audit.record(session, action="resolution.cluster.read", actor=actor, objects=[(entity.id, entity.owner_agency)],
                 extra={"members": len(members)})
    return {"entity_id": entity.id, "canonical_id": canonical, "members": members}


def _component(session: Session, actor: Actor, entity_id: str) -> set[str]:
    frontier, seen = {entity_id}, {entity_id}
    while frontier:
        nxt: set[str] = set()
        for a, b in _edges_around(session, actor, sorted(frontier)):
            nxt |= {a, b} - seen
        seen |= nxt
        frontier = nxt
    return seen


def matches(*, session: Session, actor: Actor, entity_id: str) -> MatchesRead:
    """Suggestions touching a record the actor may see: full pairs where it sees the other side too,
    discovery hits (agency and kind only) where it does not."""
    entity = entities.access_entity_row(session, actor, entity_id, "resolution.matches")
    run = latest_run(session)
    pairs: list[Suggestion] = []
    hits: list[Hit] = []
    if run is not None:
        rows = session.execute(select(Suggestion).where(
            Suggestion.run_id == run.id, or_(Suggestion.left_id == entity.id, Suggestion.right_id == entity.id))
        ).scalars().all()
        others = {s.right_id if s.left_id == entity.id else s.left_id for s in rows}
        seen = entities.visible_entity_ids(session, actor, others)
        query = select(Entity).where(Entity.id.in_(sorted(others - seen)))
        with system_context(session):  # the policy columns of records the viewer may not see (hit/no-hit only)
            hidden = {e.id: e for e in session.execute(query).scalars()}
        # the hidden records too: a TLP:RED value of theirs that may have made the match answers no hit
        found = evidence.standing(session, actor, {i for s in rows for i in (s.left_id, s.right_id)}, run)
        records = {e.id: e for e in session.execute(select(Entity).where(Entity.id.in_(sorted(seen)))).scalars()}
        for s in rows:
            other = s.right_id if s.left_id == entity.id else s.left_id
            if other in seen and evidence.stands(found, s.left_id, s.right_id):
                pairs.append(s)
                continue
            # a record the viewer may not see, or evidence resting on a value it may not see: a hit at most
            holder = records.get(other) or hidden.get(other)
            if holder is not None and discoverable(holder) and not any(
                    found[i].hidden_red for i in (s.left_id, s.right_id) if i in found):
                hits.append(discovery_hit(holder, s))
    audit.record(session, action="resolution.matches", actor=actor, objects=[(entity.id, entity.owner_agency)],
                 extra={"pairs": len(pairs), "hits": len(hits)})
    return MatchesRead(entity_id=entity.id, suggestions=_read(session, actor, pairs), hits=_dedupe(hits))


def discoverable(entity: Entity) -> bool:
    """Whether a record may answer a hit/no-hit query at all: live, and as the policy says
    (`may_answer_as_hit`: not RED, not in a restricted case), the same rule as discovery's."""
    return entity.deleted_at is None and bool(may_answer_as_hit(Resource.of(entity)))


def discovery_hit(entity: Entity, suggestion: Suggestion) -> Hit:
    """The stub of a match the viewer may not see: which agency holds it, and how strong (no id).
    The seam to the requests module: a hit is what a viewer can ask the holding agency about."""
    return Hit(hit=True, agency=entity.owner_agency, kind=suggestion.kind, decision=suggestion.decision)


def _dedupe(hits: list[Hit]) -> list[Hit]:
    out: dict[tuple[str, str, str], Hit] = {}
    for h in hits:
        key = (h.agency, h.kind, h.decision)
        out.setdefault(key, h)
    return list(out.values())




"""The review queue at the scale of a run: its totals, and accepting at once every pair above a floor.

Both go through the queue's one query (`service.queue_query`: the two records visible to the
viewer) and keep only the pairs whose evidence stands on the viewer's own values
(`service.standing_suggestions`), so a total counts exactly the pairs the queue's pages list. A total
takes as standing the pairs of whose two records the viewer sees every value the run read (the run's
summary, `evidence.whole_records`), leaves out those naming an address the viewer may not see that
alone gives a key of a person's comparison row (`evidence.fallen_records`), and compares the others
pair by pair.
A bulk acceptance is as many judgements as pairs, each audited as its own decision, and takes only
pairs scoring at least the floor the node's supervisors set (`resolution_bulk_accept_floor`).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from binational.access.actions import Action, register
from binational.access.markings import MARKINGS
from binational.access.policy import Actor, require
from binational.audit import log as audit
from binational.config import get_settings
from binational.entities.models import Entity
from binational.errors import InvalidInput
from binational.resolution import evidence, service
from binational.resolution.models import Judgement, Suggestion
from binational.resolution.schemas import BulkAccepted, QueueTotals

register(Action("resolution.suggestion.count", "record.view",
                "count the suggested matches whose two records one may see"))
register(Action("resolution.accept", "record.create",
                "judge positive, at once, every pair one may see scoring at least the node's floor"))
BATCH = 500


def _standing(session: Session, actor: Actor, where: service.QueueFilter) -> Iterator[Suggestion]:
    """Every suggestion of the latest run in the queue `where` describes, as the viewer's pages list them."""
    run = service.latest_run(session)
    if run is None:
        return
    query = service.queue_query(actor, run, where).order_by(Suggestion.id)
    after = 0
    while True:
        batch = list(session.execute(query.where(Suggestion.id > after).limit(BATCH)).scalars())
        if not batch:
            return
        yield from service.standing_suggestions(session, actor, batch)
        after = batch[-1].id


def totals(*, session: Session, actor: Actor, where: service.QueueFilter) -> QueueTotals:
    """How many pairs the queue holds under `where` (its `unjudged` aside), and how many of them the
    viewer's agency has not judged yet; audited without naming a record. One query lists the queue's
    pairs; those of two records the viewer sees whole (`evidence.whole_records`, from the run's
    summary) stand; those of a record `evidence.fallen_records` names do not; the others are compared
    pair by pair."""
    require(actor, "resolution.suggestion.count")
    where = replace(where.check(), unjudged=False)
    run = service.latest_run(session)
    every = unjudged = 0
    if run is not None:
        judged = exists().where(Judgement.left_id == Suggestion.left_id, Judgement.right_id == Suggestion.right_id,
                                Judgement.owner_agency == actor.agency)
        pairs = session.execute(service.queue_query(actor, run, where).with_only_columns(
            Suggestion.id, Suggestion.left_id, Suggestion.right_id, judged)).all()
        records = {i for _pair, left, right, _done in pairs for i in (left, right)}
        # asked of the queue's records only: the summary names tens of thousands, a queue a few thousand
        whole = evidence.whole_records(session, actor, run, records)
        fallen = evidence.fallen_records(session, actor, run, records - whole)
        rest: dict[int, bool] = {}
        for pair_id, left, right, done in pairs:
            if left in whole and right in whole:
                every, unjudged = every + 1, unjudged + (not done)
            elif left not in fallen and right not in fallen:
                rest[pair_id] = bool(done)
        # the rest stand or not by comparison
        ids = sorted(rest)
        for start in range(0, len(ids), BATCH):
            batch = list(session.execute(select(Suggestion).where(Suggestion.id.in_(ids[start:start + BATCH]))
                                         .order_by(Suggestion.id)).scalars())
            standing = service.standing_suggestions(session, actor, batch)
            every += len(standing)
            unjudged += sum(not rest[p.id] for p in standing)
    audit.record(session, action="resolution.suggestion.count", actor=actor, objects=[],
                 extra={"total": every, "unjudged": unjudged})
    return QueueTotals(total=every, unjudged=unjudged, floor=get_settings().resolution_bulk_accept_floor)


def accept_above(*, session: Session, actor: Actor, min_score: float, where: service.QueueFilter,
                 comment: str = "") -> BulkAccepted:
    """Judge positive, for the viewer's agency, every pair of the queue scoring at least `min_score`
    that the agency has not judged; each judgement is audited as one decision. A `min_score` below
    the floor is InvalidInput, and nothing is written."""
    require(actor, "resolution.accept")
    require(actor, "resolution.judge")
    floor = get_settings().resolution_bulk_accept_floor
    if not min_score >= floor:
        raise InvalidInput(f"bulk accept takes pairs scoring at least {floor}, the floor set for this node; "
                           f"{min_score} is below it: judge those pairs one by one",
                           details=[{"field": "min_score", "floor": floor}])
    where = replace(where.check(), unjudged=True, min_score=max(min_score, where.min_score or 0.0)).check()
    pairs = list(_standing(session, actor, where))
    ranks = dict(session.execute(select(Entity.id, Entity.marking_rank).where(
        Entity.id.in_({i for p in pairs for i in (p.left_id, p.right_id)}))).all())
    rows = []
    for pair in pairs:
        marking_rank = max(ranks[pair.left_id], ranks[pair.right_id])  # within the viewer's clearance: it sees both
        rows.append(Judgement(
            kind=pair.kind, left_id=pair.left_id, right_id=pair.right_id, verdict="positive", suggestion_id=pair.id,
            score=pair.score, comment=comment, created_by=actor.user_id, owner_agency=actor.agency,
            owner_country=actor.country, distribution="agency", marking=MARKINGS[marking_rank],
            marking_rank=marking_rank, case_id=None))
    session.add_all(rows)
    session.flush()
    for pair, row in zip(pairs, rows, strict=True):
        audit.record(session, action="resolution.judge", actor=actor,
                     objects=[(pair.left_id, pair.left_agency), (pair.right_id, pair.right_agency)],
                     extra={"verdict": "positive", "judgement": row.id, "bulk": True, "min_score": min_score})
    return BulkAccepted(accepted=len(rows), min_score=min_score, floor=floor, judgements=[r.id for r in rows])


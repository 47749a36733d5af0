"""HTTP routes of resolution under /api/v1/resolution: runs, review queue, judgements, clusters."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from binational.access.policy import require
from binational.errors import NotFound
from binational.resolution import queue, runs, service, worker
from binational.resolution.schemas import (
    BulkAccept,
    BulkAccepted,
    CanonicalQuery,
    ClusterRead,
    JudgementCreate,
    JudgementRead,
    MatchesRead,
    QueueTotals,
    RunCreate,
    RunRead,
    SuggestionPage,
    SuggestionRead,
)
from binational.routing import ActorDep, RowId, SessionDep

router = APIRouter(prefix="/resolution", tags=["resolution"])


@router.post("/runs", status_code=202)
def start_run(body: RunCreate, s: SessionDep, actor: ActorDep) -> RunRead:
    """Start resolution over all data as the system (administrators): answers at once with the run,
    `running`, which a worker of the node takes to its end (follow it at `/runs/{id}`); 409 while
    another run is running."""
    row = runs.start(session=s, actor=actor, engine=body.engine, kinds=body.kinds)
    worker.launch_after_commit(s, row.id)
    return runs.describe(row, actor)


@router.get("/runs/latest")
def latest_run(s: SessionDep, actor: ActorDep) -> RunRead | None:
    """The latest finished run (counts only for administrators)."""
    return service.read_run(session=s, actor=actor)


@router.get("/runs/{run_id}")
def read_run(run_id: Annotated[str, Path(max_length=32)], s: SessionDep, actor: ActorDep) -> RunRead:
    """One run: its status, and for administrators its progress, message and counts."""
    found = service.read_run(session=s, actor=actor, run_id=run_id)
    if found is None:
        raise NotFound("run", run_id, action="resolution.read", reason="no such run")
    return found


Kind = Annotated[str | None, Query(max_length=16, description="person, organisation, address or vehicle")]
Decision = Annotated[str | None, Query(max_length=8, description="match or review")]
Mine = Annotated[bool, Query(description="only pairs with a record of the caller's agency")]
Schema = Annotated[str | None, Query(max_length=32, description="the records' FtM schema (Person, Company ...)")]
MinScore = Annotated[float | None, Query(description="lowest match probability (0 to 1)")]
MaxScore = Annotated[float | None, Query(description="highest match probability (0 to 1)")]


@router.get("/suggestions")
def list_suggestions(
    s: SessionDep, actor: ActorDep, kind: Kind = None, decision: Decision = None,
    unjudged: Annotated[bool, Query(description="only pairs the caller's agency has not judged")] = False,
    mine: Mine = False, schema: Schema = None, min_score: MinScore = None, max_score: MaxScore = None,
    limit: Annotated[int | None, Query(description="page size")] = None,
    cursor: Annotated[str | None, Query(max_length=1000)] = None,
) -> SuggestionPage:
    """Suggested matches of the latest run whose two records the caller may see."""
    items, next_cursor = service.list_suggestions(session=s, actor=actor, kind=kind, decision=decision,
                                                  unjudged=unjudged, limit=limit, cursor=cursor, mine=mine,
                                                  schema=schema, min_score=min_score, max_score=max_score)
    return SuggestionPage(items=items, next_cursor=next_cursor)


@router.get("/suggestions/totals")
def suggestion_totals(s: SessionDep, actor: ActorDep, kind: Kind = None, decision: Decision = None,
                      mine: Mine = False, schema: Schema = None, min_score: MinScore = None,
                      max_score: MaxScore = None) -> QueueTotals:
    """How many pairs the queue lists under these filters, how many the caller's agency has not
    judged, and the floor of a bulk acceptance."""
    where = service.QueueFilter(kind=kind, decision=decision, mine=mine, schema=schema, min_score=min_score,
                                max_score=max_score)
    return queue.totals(session=s, actor=actor, where=where)


@router.post("/suggestions/accept")
def accept_suggestions(body: BulkAccept, s: SessionDep, actor: ActorDep) -> BulkAccepted:
    """Judge positive every pair of the queue (under the filters) scoring at least `min_score` that
    the caller's agency has not judged, one audited judgement a pair; `min_score` below the node's
    floor is 422 and nothing is judged."""
    where = service.QueueFilter(kind=body.kind, mine=body.mine, schema=body.schema_, max_score=body.max_score)
    return queue.accept_above(session=s, actor=actor, min_score=body.min_score, where=where, comment=body.comment)


@router.get("/suggestions/{suggestion_id}")
def read_suggestion(suggestion_id: RowId, s: SessionDep, actor: ActorDep) -> SuggestionRead:
    """One suggestion, both records side by side with the weight of each comparison."""
    return service.read_suggestion(session=s, actor=actor, suggestion_id=suggestion_id)


@router.post("/judgements", status_code=201)
def judge(body: JudgementCreate, s: SessionDep, actor: ActorDep) -> JudgementRead:
    """Append a verdict (positive, negative, unsure, retracted) of the caller's agency on a pair."""
    return service.judge(session=s, actor=actor, data=body)


@router.get("/judgements")
def list_judgements(
    s: SessionDep, actor: ActorDep,
    left_id: Annotated[str, Query(max_length=200)], right_id: Annotated[str, Query(max_length=200)],
) -> list[JudgementRead]:
    """The judgements on a pair that the caller may see, oldest first."""
    return service.list_judgements(session=s, actor=actor, left_id=left_id, right_id=right_id)


@router.get("/entities/{entity_id}/cluster")
def read_cluster(entity_id: str, s: SessionDep, actor: ActorDep) -> ClusterRead:
    """The canonical id of a record and the cluster members the caller may see."""
    return ClusterRead(**service.cluster(session=s, actor=actor, entity_id=entity_id))


@router.get("/entities/{entity_id}/matches")
def read_matches(entity_id: str, s: SessionDep, actor: ActorDep) -> MatchesRead:
    """A record's suggested matches, and hits (agency only) for matches the caller may not see."""
    return service.matches(session=s, actor=actor, entity_id=entity_id)


@router.post("/canonical")
def canonical(body: CanonicalQuery, s: SessionDep, actor: ActorDep) -> dict[str, str]:
    """Map entity ids to canonical ids over what the caller may see (identity when unresolved)."""
    require(actor, "resolution.cluster.read")
    return service.canonical_ids(s, actor, body.entity_ids)

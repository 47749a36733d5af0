"""Pydantic shapes of resolution's API: runs, suggestions, judgements, clusters, hits."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from binational.entities.schemas import EntityRead


class RunCreate(BaseModel):
    """Start a run."""

    model_config = ConfigDict(extra="forbid")
    engine: str = Field("duckdb", description="duckdb (default) or spark")
    kinds: list[str] | None = Field(None, description="person, organisation, address, vehicle (default: all)")


class RunProgress(BaseModel):
    """How far a run got: its current step, steps done of steps in all."""

    step: str
    done: int
    total: int


class RunRead(BaseModel):
    """A run; its message, progress and per-kind counts only for administrators (they count records
    of every agency)."""

    id: str
    engine: str
    status: str = Field(description="running, finished, empty or failed")
    message: str = Field(description="what the run found over all data (administrators only; empty otherwise)")
    started_at: datetime
    finished_at: datetime | None
    summary: dict[str, Any] | None = None
    progress: RunProgress | None = Field(None, description="the worker's progress (administrators only)")


class SuggestionRead(BaseModel):
    """A suggested match, both records as the viewer sees them, with the weight of each comparison."""

    id: int
    run_id: str
    kind: str
    score: float = Field(description="match probability")
    match_weight: float
    decision: str = Field(description="match (above the run's threshold) or review")
    driver: str = Field(description="the comparison that contributed most weight")
    weights: dict[str, list[Any]] = Field(description="comparison -> [level, match weight]")
    left: EntityRead
    right: EntityRead
    verdict: str | None = Field(None, description="standing verdict over the judgements the viewer may see")
    my_verdict: str | None = Field(None, description="the viewer's agency's standing verdict")


class SuggestionPage(BaseModel):
    """A page of suggestions."""

    items: list[SuggestionRead]
    next_cursor: str | None


class JudgementCreate(BaseModel):
    """A verdict on a suggestion, or on two records the judge may see."""

    model_config = ConfigDict(extra="forbid")
    verdict: str = Field(description="positive | negative | unsure | retracted")
    suggestion_id: int | None = None
    left_id: str | None = Field(None, max_length=200)
    right_id: str | None = Field(None, max_length=200)
    comment: str = Field("", max_length=2000)
    distribution: str = Field("national", description="agency or national")
    marking: str | None = Field(None, description="default: the higher marking of the two records")


class JudgementRead(BaseModel):
    """A judgement row."""

    id: int
    kind: str
    left_id: str
    right_id: str
    verdict: str
    suggestion_id: int | None
    score: float | None
    comment: str
    owner_agency: str
    distribution: str
    marking: str
    created_by: int
    created_at: datetime


class Hit(BaseModel):
    """A match held by an agency whose record the viewer may not see: no id, only who to ask."""

    hit: bool = True
    agency: str
    kind: str
    decision: str


class MatchesRead(BaseModel):
    """A record's suggested matches the viewer may see, and hits it may request."""

    entity_id: str
    suggestions: list[SuggestionRead]
    hits: list[Hit]


class ClusterRead(BaseModel):
    """A record's canonical id and the members of its cluster the viewer may see."""

    entity_id: str
    canonical_id: str
    members: list[str]


class CanonicalQuery(BaseModel):
    """Entity ids to map to canonical ids."""

    model_config = ConfigDict(extra="forbid")
    entity_ids: list[str] = Field(max_length=5000)


class QueueTotals(BaseModel):
    """How many pairs a queue holds for the viewer, and the floor of a bulk acceptance."""

    total: int = Field(description="pairs the queue lists under the filters")
    unjudged: int = Field(description="of them, those the viewer's agency has not judged")
    floor: float = Field(description="the lowest score a bulk acceptance may take (resolution_bulk_accept_floor)")


class BulkAccept(BaseModel):
    """Accept every unjudged pair of a queue scoring at least `min_score`."""

    model_config = ConfigDict(extra="forbid")
    min_score: float = Field(description="at least the node's floor (resolution_bulk_accept_floor)")
    kind: str | None = None
    schema_: str | None = Field(None, alias="schema", description="the records' FtM schema")
    mine: bool = Field(False, description="only pairs with a record of the caller's agency")
    max_score: float | None = None
    comment: str = Field("", max_length=2000)


class BulkAccepted(BaseModel):
    """What a bulk acceptance wrote: one positive judgement a pair."""

    accepted: int
    min_score: float
    floor: float
    judgements: list[int]

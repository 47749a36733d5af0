"""Pydantic shapes of networks, analyses and plans in and out of the API."""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class Scope(BaseModel):
    """Which part of the viewer's network: around an entity, of some schemata, link types, agencies, dates."""

    model_config = ConfigDict(extra="forbid")
    entity: str | None = Field(None, description="centre the network on this entity (ego network)")
    depth: int = Field(2, description="ties from the centre (1..3) when `entity` is given")
    schemata: list[str] = Field(default_factory=list, description="only nodes of these schemata, e.g. Person")
    types: list[str] = Field(default_factory=list, description="only these link types, e.g. Call, shared_phone")
    agencies: list[str] = Field(default_factory=list, description="only links recorded by these agencies")
    start: date | None = Field(None, description="time slice: links active on or after this date")
    end: date | None = Field(None, description="time slice: links active on or before this date")
    undated: bool = Field(True, description="in a time slice, keep links without dates (memberships ...)")


class NodeRead(BaseModel):
    id: str
    schema_: str = Field(alias="schema")
    caption: str
    members: list[str]
    agencies: list[str]
    degree: int = 0
    betweenness: float | None = None
    eigenvector: float | None = None
    core: int | None = None
    community: int | None = None

    model_config = ConfigDict(populate_by_name=True)


class EdgeRead(BaseModel):
    source: str
    target: str
    type: str
    weight: int = Field(description="number of links (calls, meetings, payments ...) aggregated")
    agencies: list[str]
    first: date | None
    last: date | None
    records: list[str]
    via: list[str] = Field(description="for shared identifiers: which identifier")


class GraphRead(BaseModel):
    nodes: list[NodeRead]
    edges: list[EdgeRead]
    modularity: float | None = None
    betweenness_exact: bool | None = None


class BrokerRead(BaseModel):
    id: str
    caption: str
    community: int
    bridges: list[int]
    betweenness: float
    participation: float


class CommunitiesRead(BaseModel):
    modularity: float
    sizes: list[int]
    labels: dict[str, int]
    brokers: list[BrokerRead]


class PathRead(BaseModel):
    nodes: list[NodeRead]
    edges: list[EdgeRead]
    length: float | None = Field(description="hops, or the sum of 1/contacts when weighted; null if no path")
    weighted: bool


class PlanRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    scope: Scope = Field(default_factory=Scope)
    budget: int | None = Field(None, description="how many targets to recommend; by default 5 % of the "
                               "nodes that may be targeted (at least 1, at most 25)")
    method: str = Field("hybrid", description="hybrid | betweenness | degree")
    protected: list[str] = Field(default_factory=list, description="entities that must not be targeted")
    ties: int = Field(10, ge=0, le=50, description="re-plans with random tie-breaking, to show how much it moves")
    weighted: bool = Field(False, description="betweenness with 1/contacts as distance")


class ReasonRead(BaseModel):
    code: str = Field(description="broker, shortest_paths, inner_core, hub or separates")
    params: dict[str, Any] = Field(description="communities (broker), k (inner_core), ties (hub)")


class TargetRead(BaseModel):
    step: int
    id: str
    caption: str
    role: str = Field(description="the reasons as one English sentence")
    community: int | None
    bridges: list[int]
    degree: int
    betweenness: float
    core: int
    lcc_after: float = Field(description="largest component, as a fraction of the nodes, after this removal")
    drop: float
    reasons: list[ReasonRead] = Field(default_factory=list, description="why this target, as codes")


class SensitivityRead(BaseModel):
    runs: int
    final_lcc: list[float] = Field(description="min and max over the re-plans")
    robustness: list[float]
    frequency: dict[str, float] = Field(description="node -> share of re-plans that target it")


class PlanRead(BaseModel):
    method: str
    variant: str
    nodes: int
    edges: int
    budget: int
    robustness: float = Field(description="mean largest-component fraction over the removals")
    curve: list[float] = Field(description="largest component fraction after 0..budget removals")
    targets: list[TargetRead]
    sensitivity: SensitivityRead | None
    compare: dict[str, dict[str, float]] = Field(description="every method on the same budget")
    notes: list[str]

"""Pydantic shapes of search results and saved searches in and out of the API."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from binational.entities.schemas import EntityRead


class FacetCount(BaseModel):
    """One value of a facet and how many results have it."""

    value: str
    count: int


class SearchResults(BaseModel):
    """A page of ranked results: entities as the viewer sees them, each one's score, the total number
    of results and their facets (schema, agency, country, marking, month), all over visible values only."""

    items: list[EntityRead]
    scores: dict[str, float]
    total: int
    facets: dict[str, list[FacetCount]]
    next_cursor: str | None


class SavedSearchCreate(BaseModel):
    """A search to keep: its owner is told when a record they may see newly answers it."""

    model_config = ConfigDict(extra="forbid")
    q: str = Field(max_length=200, description="the search text (a name, an alias, an identifier)")
    watch: bool = Field(True, description="notify me when a record I may see newly answers it")


class SavedSearchRead(BaseModel):
    """A saved search of the caller, with how many records it has answered with that the caller may
    still see."""

    id: int
    q: str
    watch: bool
    created_at: datetime
    checked_at: datetime | None
    matches: int

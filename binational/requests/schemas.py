"""Pydantic shapes of discovery, requests and notifications in and out of the API."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class SelectorIn(BaseModel):
    """One selector: a type and a value (a name with `birth_date` for `name_birth`)."""

    model_config = ConfigDict(extra="forbid")
    type: str = Field(description="document | phone | email | vehicle | firearm | name_birth")
    value: str = Field(max_length=500, description="the identifying value, as written anywhere")
    birth_date: str | None = Field(None, max_length=20, description="YYYY-MM-DD, for name_birth")
    country: str | None = Field(None, max_length=2, description="ISO country of a phone number without +")


class DiscoveryIn(BaseModel):
    """A batch of selectors (at most 1,000)."""

    model_config = ConfigDict(extra="forbid")
    selectors: list[SelectorIn]


class Match(BaseModel):
    """A match the caller may see in full."""

    entity_id: str
    schema_: str = Field(alias="schema")
    agency: str
    score: float


class Hit(BaseModel):
    """A match the caller may not see: only that an agency holds something, and a reference to ask about it."""

    hit: bool = True
    agency: str
    hit_ref: str


class SelectorResult(BaseModel):
    """The answer for one selector."""

    index: int
    type: str
    normalised: str
    hit: bool
    matches: list[Match]
    hits: list[Hit]


class DiscoveryOut(BaseModel):
    """The answers, in the order of the selectors."""

    results: list[SelectorResult]


class RequestCreate(BaseModel):
    """A request to another agency."""

    model_config = ConfigDict(extra="forbid")
    type: str = Field("information", description="a registered request type")
    to_agency: str
    subject: str | None = Field(None, max_length=200, description="one line; default: the question's first line")
    question: str = Field(max_length=10_000)
    hit_refs: list[str] = Field(default_factory=list, max_length=1000)
    entity_ids: list[str] = Field(default_factory=list, max_length=1000)
    due: datetime | None = Field(None, description="default: now plus the type's due time")
    marking: str = Field("TLP:AMBER", description="TLP marking of the request itself")


class RequestAnswer(BaseModel):
    """The receiver's answer: entities of its own to release to the requester, and a note."""

    model_config = ConfigDict(extra="forbid")
    entity_ids: list[str] = Field(min_length=1, max_length=1000)
    note: str | None = Field(None, max_length=10_000)
    until: datetime | None = Field(None, description="the release ends then (default: no end)")


class RequestNote(BaseModel):
    """An optional note with a state change (acknowledge, decline, withdraw)."""

    model_config = ConfigDict(extra="forbid")
    note: str | None = Field(None, max_length=10_000)


class EventRead(BaseModel):
    """One state change as a viewer sees it (another agency's users are not named)."""

    from_state: str | None
    to_state: str
    at: datetime
    agency: str
    actor: str | None
    note: str | None


class SelectorAsked(BaseModel):
    """A selector a request asks about: its kind, and to the sender the value it typed."""

    kind: str = Field(description="document | phone | email | vehicle | firearm | name_birth")
    value: str | None = Field(description="as the sender typed it; null to the receiver")


class RequestRead(BaseModel):
    """A request as the sender or the receiver sees it."""

    id: str
    type: str
    label: dict[str, str]
    from_agency: str
    to_agency: str
    other_agency: str = Field(description="the party that is not the caller's agency")
    state: str
    subject: str
    selectors: list[SelectorAsked]
    question: str
    marking: str
    due_at: datetime
    overdue: bool
    created_by: str | None
    created_at: datetime
    updated_at: datetime
    closed_at: datetime | None
    subjects: list[str]
    hit_refs: list[str]
    answer: list[str]
    history: list[EventRead]


class RequestPage(BaseModel):
    """One page of an inbox or outbox."""

    items: list[RequestRead]
    next_cursor: str | None


class RequestTypeRead(BaseModel):
    """A registered request type."""

    name: str
    label: dict[str, str]
    default_due_hours: float
    answer_roles: list[str]
    description: str


class NotificationRead(BaseModel):
    """A notice to the caller about a request of their agency (`request_*`, agencies and state), or
    about a record that newly answers one of their saved searches (`entity_id`, `saved_search_id`)."""

    id: int
    kind: str
    request_id: str | None = None
    request_type: str | None = None
    from_agency: str | None = None
    to_agency: str | None = None
    state: str | None = None
    entity_id: str | None = None
    saved_search_id: int | None = None
    subject: str = Field("", description="the request's subject line (empty for a watchlist notice)")
    created_at: datetime
    read_at: datetime | None


class NotificationPage(BaseModel):
    """One page of the caller's notifications, newest first."""

    items: list[NotificationRead]
    unread: int
    next_cursor: str | None


class DiscoveryNoticeRead(BaseModel):
    """A notice left for the caller's agency about another agency's search of its records."""

    id: int
    kind: str = Field(description="`deconfliction` (a match that answered no hit) or `sweep`")
    from_agency: str = Field(description="the agency that searched")
    entity_ids: list[str] = Field(description="the caller's agency's records concerned")
    selectors: int = Field(description="selectors counted (a sweep: of its shape, in the window)")
    created_at: datetime


class DiscoveryNoticePage(BaseModel):
    """A page of discovery notices, newest first."""

    items: list[DiscoveryNoticeRead]
    next_cursor: str | None

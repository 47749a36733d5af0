"""Pydantic shapes of entities in and out of the API."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field


def _in_utc(moment: datetime) -> datetime:
    try:
        return moment.astimezone(UTC)
    except OverflowError:  # 9999-12-31T23:00-14:00 is past the last day Python holds
        raise ValueError("out of the range of dates") from None


#: A time with its zone (a naive one is refused: it could not be compared with the policy's clock),
#: held in UTC.
Moment = Annotated[AwareDatetime, AfterValidator(_in_utc)]


class EntityCreate(BaseModel):
    """A new FollowTheMoney entity with its policy."""

    model_config = ConfigDict(extra="forbid")
    schema_: str = Field(alias="schema", description="FtM schema name, e.g. Person")
    properties: dict[str, list[str] | str] = Field(default_factory=dict)
    distribution: str = Field("agency", description="agency | national | release")
    release_to: list[str] = Field(default_factory=list, description="partner agencies (with distribution release)")
    marking: str = Field("TLP:AMBER", description="TLP 2.0 marking, not above the author's clearance")
    case_id: str | None = None
    release_until: Moment | None = None


class EntityPatch(BaseModel):
    """Values to add and to remove; added values may carry a stricter policy of their own."""

    model_config = ConfigDict(extra="forbid")
    add: dict[str, list[str] | str] = Field(default_factory=dict)
    remove: dict[str, list[str] | str] = Field(default_factory=dict)
    marking: str | None = Field(None, description="marking of the added values (at least the entity's)")
    distribution: str | None = Field(None, description="`agency` keeps the added values to the owner agency")


@dataclass(slots=True)
class ValueRead:
    """One value as the viewer sees it, with where it came from."""

    prop: str
    value: str
    agency: str
    marking: str
    origin: str | None = None


# Dataclasses rather than pydantic models: a page holds ~500 values, and plain slotted objects that
# orjson writes directly cost a fraction of validated models (benchmarks/access_overhead.py).
@dataclass(slots=True)
class EntityRead:
    """An entity assembled from the statements the viewer may see."""

    id: str
    schema: str
    caption: str
    properties: dict[str, list[str]]
    values: list[ValueRead]
    owner_agency: str
    distribution: str
    marking: str
    case_id: str | None
    created_at: datetime
    updated_at: datetime


@dataclass(slots=True)
class RelatedRead:
    """A record around another: the one to follow (the other party of a relationship, or the linked
    record), how it is related, and the relationship record between them, if any."""

    id: str
    schema: str
    caption: str
    owner_agency: str
    role: str
    via: str | None


@dataclass(slots=True)
class GroupRead:
    """The related records of one kind, counted over those the viewer may see."""

    schema: str
    label: str
    count: int
    items: list[RelatedRead]


@dataclass(slots=True)
class MomentRead:
    """A date of the record (`entity_id` null) or of a related record, with what it is the date of."""

    date: str
    label: str
    entity_id: str | None


@dataclass(slots=True)
class PlaceRead:
    """A point the record or a record linked to it has coordinates for."""

    latitude: float
    longitude: float
    entity_id: str
    caption: str


@dataclass(slots=True)
class ProfileRead:
    """A record with the records around it grouped by kind, its timeline and its places."""

    entity: EntityRead
    groups: list[GroupRead]
    timeline: list[MomentRead]
    places: list[PlaceRead]


class EntityPage(BaseModel):
    """One page of a list, with the cursor of the next page (null on the last)."""

    items: list[EntityRead]
    next_cursor: str | None


class ReleaseCreate(BaseModel):
    """Release an entity to partner agencies, optionally until a date."""

    model_config = ConfigDict(extra="forbid")
    to: list[str] = Field(min_length=1)
    until: Moment | None = None


class ReleaseRead(BaseModel):
    """A release as its owner sees it."""

    id: int
    entity_id: str | None
    case_id: str | None
    to_agency: str
    until: datetime | None
    created_at: datetime
    revoked_at: datetime | None

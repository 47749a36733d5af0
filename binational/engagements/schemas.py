"""Pydantic shapes of engagements, commitments and intake in and out of the API."""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

FORMATS = ("call", "meeting", "visit", "dialogue")
STATUSES = ("open", "in_progress", "met", "missed", "superseded")


class Policy(BaseModel):
    """Who may see the record: the ordinary policy of a shareable record."""

    model_config = ConfigDict(extra="forbid")
    distribution: str = Field("agency", description="agency | national | release")
    release_to: list[str] = Field(default_factory=list, description="partner agencies (with distribution release)")
    marking: str = Field("TLP:AMBER", description="TLP 2.0 marking, not above the author's clearance")


class ParticipantIn(BaseModel):
    """A participant of an engagement as the editor confirmed it."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=200)
    title: str | None = Field(None, max_length=200)
    office: str | None = Field(None, max_length=200)
    country: str | None = Field(None, max_length=2, description="ISO 3166-1 alpha-2")
    entity_id: str | None = Field(None, max_length=200,
                                  description="a Person record the viewer sees that is this participant "
                                              "(one of intake's candidates); none: a new Person is written")


class EngagementCreate(Policy):
    """A new engagement, usually an intake proposal the editor confirmed."""

    name: str = Field(min_length=1, max_length=300)
    date: date
    format: str = Field("call", description="call | meeting | visit | dialogue")
    countries: list[str] = Field(default_factory=list, description="ISO 3166-1 alpha-2 codes")
    topics: list[str] = Field(default_factory=list, description="topic keys of the lexicon")
    summary: str | None = Field(None, max_length=20_000)
    readouts: list[str] = Field(default_factory=list, max_length=10)
    participants: list[ParticipantIn] = Field(default_factory=list, max_length=50)


class CommitmentCreate(Policy):
    """A commitment made at an engagement, tied to an indicator with a target."""

    engagement_id: str = Field(min_length=1, max_length=200)
    name: str = Field(min_length=1, max_length=500, description="what was committed to")
    committed_by: str = Field(min_length=1, max_length=200, description="who committed (person or government)")
    owner_agency: str = Field(min_length=1, max_length=32, description="agency that carries it out")
    due_date: date
    status: str = Field("open", description="open | in_progress | met | missed | superseded")
    notes: str | None = Field(None, max_length=5_000)
    indicator: str | None = Field(None, max_length=100, description="key of a registered indicator")
    target: float | None = Field(None, ge=0, allow_inf_nan=False,
                                  description="monthly figure aimed for, in the indicator's unit (finite, >= 0)")
    unit: str | None = Field(None, max_length=32, description="unit of the target: must be the indicator's")
    country: str | None = Field(None, max_length=2, description="country committing (default: the engagement's)")
    topics: list[str] = Field(default_factory=list, description="default: the engagement's")


class StatusChange(BaseModel):
    """A commitment's new status, with a note."""

    model_config = ConfigDict(extra="forbid")
    status: str
    note: str | None = Field(None, max_length=5_000)


class IntakeIn(BaseModel):
    """The text of a readout to propose an engagement from."""

    model_config = ConfigDict(extra="forbid")
    text: str = Field(min_length=1, max_length=60_000)


class GazetteerPersonIn(BaseModel):
    """An official an administrator adds to the node's gazetteer."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=200)
    surname: str = Field(min_length=1, max_length=200)
    office: str = Field(min_length=1, max_length=32, description="office code of the gazetteer, e.g. MX-SRE")
    title_en: str | None = Field(None, max_length=200)
    title_es: str | None = Field(None, max_length=200)
    forms: list[str] = Field(default_factory=list, max_length=10, description="the name in other scripts")


class Progress(BaseModel):
    """A commitment's progress as the viewer may see it: the indicator's figures, or that it is not shared."""

    indicator: str | None
    shared: bool
    #: the indicator's label key (the registry is no secret; its figures are)
    label: str | None = None
    unit: str | None = None
    target: float | None = None
    better: str | None = None
    series: list[tuple[str, float | None]] = Field(default_factory=list)
    latest: float | None = None
    share_of_target: float | None = None
    on_track: bool | None = None


class CommitmentView(BaseModel):
    """A commitment with its progress."""

    id: str
    name: str
    engagement_id: str | None
    committed_by: str | None
    owner_agency: str | None
    due_date: str | None
    status: str | None
    notes: list[str]
    country: list[str]
    topics: list[str]
    record_owner: str
    progress: Progress


class EngagementView(BaseModel):
    """An engagement with its participants, readouts and commitments, as the viewer may see them."""

    id: str
    name: str
    date: str | None
    format: str | None
    countries: list[str]
    topics: list[str]
    summary: str | None
    #: the summary's language as detected (`unknown` when not told)
    summary_language: str | None
    readouts: list[dict[str, Any]]
    participants: list[dict[str, Any]]
    commitments: list[CommitmentView]
    record_owner: str
    flagged: bool

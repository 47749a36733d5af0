"""What the trade API reads and writes."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class Reason(BaseModel):
    feature: str
    value: Any = None
    contribution: float | None = None  # None, with value, when the viewer may see the feature's name only


class SelectionRow(BaseModel):
    id: int
    reference: str
    agency: str
    date: date
    rank: int | None
    kind: str | None
    score: float | None
    hs_unknown: bool
    reasons: list[Reason]


class ResultRead(BaseModel):
    id: int
    agency: str
    fraud: int
    critical: int
    joint_agency: str | None
    note: str


class DeclarationRead(SelectionRow):
    fields: dict[str, str]
    results: list[ResultRead]


class ResultCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    fraud: Literal[0, 1]
    critical: Literal[0, 1, 2]
    note: str = Field("", max_length=2000)  # service.NOTE_MAX
    joint_agency: str | None = Field(None, max_length=32)

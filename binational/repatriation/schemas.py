"""Pydantic shapes of repatriation requests to the API (answers are the services' allow-listed views)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class CaseFileIn(BaseModel):
    """A detainee's case file, the sending agency's own."""

    model_config = ConfigDict(extra="forbid")
    id: str | None = Field(None, max_length=64)
    name: str = Field(max_length=200)
    sex: str = Field(max_length=1, description="F or M")
    birth_date: dt.date
    nationality: str = Field(max_length=3, description="ISO country code")
    family_id: str | None = Field(None, max_length=64)
    unaccompanied_child: bool = False
    child_screening: dict[str, Any] | None = Field(None, description="the four criteria (true/false) and a rationale")
    needs_medical: bool = False
    medical_clearance_until: dt.date | None = None
    order_type: str | None = Field(None, max_length=32)
    order_final_on: dt.date | None = None
    automatic_stay: bool = False
    fear_claim: bool = False
    protection_claim: str = Field("none", max_length=16, description="none, pending or granted")
    protection_country: str | None = Field(None, max_length=3)
    counsel_of_record: bool = False
    ready_date: dt.date
    priority: int = Field(1, ge=1, le=1000)
    facility: str | None = Field(None, max_length=64, description="the detention facility, by its network id")
    marking: str = Field("TLP:AMBER", max_length=32)


class FactIn(BaseModel):
    """A late fact on a case file."""

    model_config = ConfigDict(extra="forbid")
    fact: str = Field(max_length=32)
    value: Any = None


class MovementIn(BaseModel):
    """A proposed flight or land hand-over."""

    model_config = ConfigDict(extra="forbid")
    arrangement: str = Field(max_length=64)
    mode: str = Field(max_length=8, description="air or land")
    point: str = Field(max_length=64)
    date: dt.date
    start_hour: int = Field(ge=0, le=24)
    end_hour: int = Field(ge=0, le=24)
    capacity: int = Field(ge=1, le=100_000)
    medical_staff: bool = False
    expected: dict[str, int] = Field(default_factory=dict, description="adults, children, unaccompanied_children, "
                                     "vulnerable")
    marking: str = Field("TLP:AMBER", max_length=32)


class ResponseIn(BaseModel):
    """The receiver's answer to a proposal."""

    model_config = ConfigDict(extra="forbid")
    decision: str = Field(max_length=16, description="accept, counter or refuse")
    rule: str | None = Field(None, max_length=32, description="the rule a refusal applies")
    counter: dict[str, Any] | None = Field(None, description="date, start_hour, end_hour, point, capacity")
    note: str | None = Field(None, max_length=2000)


class AssignIn(BaseModel):
    """People of the sender's case files to put on a movement."""

    model_config = ConfigDict(extra="forbid")
    detainee_ids: list[str] = Field(max_length=2000)


class VerifyIn(BaseModel):
    """The consulate's verification of lines (all pending ones when `line_nos` is absent and the
    arrangement verifies by manifest)."""

    model_config = ConfigDict(extra="forbid")
    line_nos: list[int] | None = Field(None, max_length=2000)
    outcome: str = Field(max_length=16, description="verified or rejected")
    document_number: str | None = Field(None, max_length=64)
    valid_until: dt.date | None = None


class StrikeIn(BaseModel):
    """A person pulled from a manifest with a partner-visible code."""

    model_config = ConfigDict(extra="forbid")
    line_no: int = Field(ge=1, le=100_000)
    code: str = Field(max_length=16)


class ReceiptIn(BaseModel):
    """The hand-over receipt."""

    model_config = ConfigDict(extra="forbid")
    counts: dict[str, int]
    receiving_officer: str = Field(max_length=200)
    child_welfare_officer: str | None = Field(None, max_length=200)
    certificates: list[str] = Field(default_factory=list, max_length=5000)
    belongings_returned: bool = False
    hour: int = Field(ge=0, le=23)
    out_of_hours_reason: str | None = Field(None, max_length=2000)


class PlanIn(BaseModel):
    """A planning-board run over an arrangement's accepted movements in a date range."""

    model_config = ConfigDict(extra="forbid")
    arrangement: str = Field(max_length=64)
    date_from: dt.date
    date_to: dt.date
    first_seconds: float = Field(5.0, gt=0, le=60)
    second_seconds: float = Field(10.0, gt=0, le=120)


class NoticeIn(BaseModel):
    """A criminal-interest notice about one person of a manifest, to the prosecutor's liaison."""

    model_config = ConfigDict(extra="forbid")
    line_no: int = Field(ge=1, le=100_000)
    basis: str = Field(max_length=16, description="warrant, conviction or investigation")
    reference: str = Field(max_length=64, description="the warrant, judgment or file number")

"""Shapes of the firearms API: a trace request (ATF Form 3312.1), its view, candidates and results."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field


class TraceCreate(BaseModel):
    """A trace request: Part I priority, Part II crime code, Part IV the requesting officer, Part V the
    firearm's markings, Part VI the possessor, and where and when the firearm was recovered."""

    model_config = ConfigDict(extra="forbid")
    priority: str = Field("routine", description="urgent (due in 24 hours) or routine (due in 5 days)")
    crime_code: str = Field("", description="NCIC crime code (Part II, 2a)")
    officer: str = Field("", description="requesting officer's name (Part IV, 4c)")
    ori: str = Field("", description="the requesting agency's ORI number (Part IV, 4a)")
    possessor: str = Field("", description="the possessor's name (Part VI, 6a)")
    recovery_place: str = Field("", description="where the firearm was recovered")
    recovery_state: str = Field("", description="the Mexican state of the recovery")
    recovered_on: date | None = Field(None, description="the day of the recovery (not in the future)")
    manufacturer: str = Field("", description="Part V 5c")
    model: str = Field("", description="Part V 5f")
    caliber: str = Field("", description="Part V 5e")
    weapon_type: str = Field("", description="Part V 5d: pistol, revolver, rifle, shotgun, machine gun")
    serial: str = Field("", description="Part V 5a, as read: ? for an unreadable character")
    obliterated: bool = Field(False, description="Part V 5b: the serial was obliterated")
    importer: str = Field("", description="Part V 5h")
    country_of_origin: str = Field("", description="Part V 5g")
    marking: str = Field("TLP:AMBER", description="TLP marking of the trace")


class TraceBatch(BaseModel):
    """A batch of trace requests as CSV text with a header (the columns of TraceCreate)."""

    model_config = ConfigDict(extra="forbid")
    csv: str = Field(description="CSV text with a header line")


class Confirm(BaseModel):
    """The record a US-ATF user confirms as the traced firearm."""

    model_config = ConfigDict(extra="forbid")
    sale_id: str

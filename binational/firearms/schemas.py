"""Shapes of the firearms API: a trace request (ATF Form 3312.1), its view, candidates and results."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field


class TraceCreate(BaseModel):
    """A trace request: Part I priority, Part II crime code, Part IV the requesting officer, Part V the
    firearm's markings, Part VI the possessor, and where and when the firearm was recovered."""

    model_config = ConfigDict(extra="forbid")
    priority: str = Field("routine", max_length=8, description="urgent (due in 24 hours) or routine (due in 5 days)")
    crime_code: str = Field("", max_length=16, description="NCIC crime code (Part II, 2a)")
    officer: str = Field("", max_length=200, description="requesting officer's name (Part IV, 4c)")
    ori: str = Field("", max_length=16, description="the requesting agency's ORI number (Part IV, 4a)")
    possessor: str = Field("", max_length=200, description="the possessor's name (Part VI, 6a)")
    recovery_place: str = Field("", max_length=200, description="where the firearm was recovered")
    recovery_state: str = Field("", max_length=64, description="the Mexican state of the recovery")
    recovered_on: date | None = Field(None, description="the day of the recovery (not in the future)")
    manufacturer: str = Field("", max_length=120, description="Part V 5c")
    model: str = Field("", max_length=120, description="Part V 5f")
    caliber: str = Field("", max_length=40, description="Part V 5e")
    weapon_type: str = Field("", max_length=40, description="Part V 5d: pistol, revolver, rifle, shotgun, machine gun")
    serial: str = Field("", max_length=64, description="Part V 5a, as read: ? for an unreadable character")
    obliterated: bool = Field(False, description="Part V 5b: the serial was obliterated")
    importer: str = Field("", max_length=120, description="Part V 5h")
    country_of_origin: str = Field("", max_length=64, description="Part V 5g")
    marking: str = Field("TLP:AMBER", max_length=32, description="TLP marking of the trace")
    recovery: str = Field("", max_length=64, description="the sending agency's number of the recovered firearm "
                                                         "(its recovery_id among the agency's imported recoveries)")


class TraceBatch(BaseModel):
    """A batch of trace requests as CSV text with a header (the columns of TraceCreate)."""

    model_config = ConfigDict(extra="forbid")
    csv: str = Field(description="CSV text with a header line")


class Confirm(BaseModel):
    """The record a US-ATF user confirms as the traced firearm."""

    model_config = ConfigDict(extra="forbid")
    sale_id: str

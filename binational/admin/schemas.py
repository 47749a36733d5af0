"""Pydantic shapes of principals in and out of the API."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class AgencyCreate(BaseModel):
    """A new agency."""

    model_config = ConfigDict(extra="forbid")
    code: str
    country: str = Field(description="ISO 3166-1 alpha-2")
    name: str


class AgencyRead(BaseModel):
    """An agency."""

    code: str
    country: str
    name: str


class UserCreate(BaseModel):
    """A new user."""

    model_config = ConfigDict(extra="forbid")
    username: str
    agency: str
    roles: list[str]
    clearance: str
    password: str | None = None
    email: str | None = Field(None, max_length=254, description="notifications are mailed here (with smtp_host)")


class UserRead(BaseModel):
    """A user as the directory shows it."""

    username: str
    agency: str
    roles: list[str]
    clearance: str
    active: bool


class Me(UserRead):
    """The caller, with its country and capabilities."""

    country: str
    capabilities: list[str]
    cases: list[str]


class GrantRead(BaseModel):
    """Roles and a clearance asked for a user, waiting for a second administrator of its agency."""

    id: int
    username: str
    agency: str
    roles: list[str]
    clearance: str
    state: str
    created_at: datetime


class UserCreated(UserRead):
    """A new user, and what of its request waits for a second administrator."""

    pending_grant: GrantRead | None = None


class TokenCreate(BaseModel):
    """A token request: for the caller itself (`username`, if given, must be the caller's)."""

    model_config = ConfigDict(extra="forbid")
    username: str | None = None
    expires_days: int | None = Field(None, description="lifetime in days; default `token_days`, at most "
                                     "`token_max_days`")


class TokenRead(BaseModel):
    """A token (the secret is only in the answer that creates it)."""

    id: str
    username: str
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    token: str | None = None


class SessionsEnded(BaseModel):
    """The web sessions of a user that an administrator ended."""

    username: str
    ended: list[str] = Field(description="ids of the sessions ended (those already over are not listed)")

"""Tables of principals and sharing: countries, agencies, users, tokens, cases, releases."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from binational.db import Base, UTCDateTime, utcnow


class Country(Base):
    """A partner country (ISO 3166-1 alpha-2)."""

    __tablename__ = "countries"
    code: Mapped[str] = mapped_column(String(2), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))


class Agency(Base):
    """An agency of a country, the unit that owns data (US-CBP, MX-FGR ...)."""

    __tablename__ = "agencies"
    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    country: Mapped[str] = mapped_column(ForeignKey("countries.code"), index=True)
    name: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: the partner node that hosts it, registered from its anchor (`federation trust`); None: this node
    node: Mapped[str | None] = mapped_column(String(255), nullable=True)
    #: when this node stopped trusting that node: nothing more is released to the agency
    node_ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class User(Base):
    """A person who works for one agency, with roles and a clearance (a TLP marking)."""

    __tablename__ = "users"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(100), unique=True)
    agency: Mapped[str] = mapped_column(ForeignKey("agencies.code"), index=True)
    roles: Mapped[str] = mapped_column(String(300))  # comma-separated role names
    clearance: Mapped[str] = mapped_column(String(32))
    password_hash: Mapped[str | None] = mapped_column(String(200), nullable=True)
    #: where notifications are mailed when the node has an SMTP host (`smtp_host`); none: in-app only
    email: Mapped[str | None] = mapped_column(String(254), nullable=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def role_list(self) -> list[str]:
        """The user's roles as a list."""
        return role_names(self.roles)


def role_names(roles: str) -> list[str]:
    """The role names of a user's comma-separated `roles` column."""
    return [r for r in roles.split(",") if r]


class ApiToken(Base):
    """A bearer credential: only its SHA-256 is stored; the secret is shown once."""

    __tablename__ = "api_tokens"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class WebSession(Base):
    """A signed-in browser: only the SHA-256 of the cookie's random secret is stored; `id` names
    the session in audit entries (`session:<id>`) and to administrators."""

    __tablename__ = "web_sessions"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    ended_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    end_reason: Mapped[str | None] = mapped_column(String(32), nullable=True)
    address: Mapped[str | None] = mapped_column(String(64), nullable=True)


class LoginFailure(Base):
    """A failed sign-in, counted by the login throttle: the account as the SHA-256 of the name
    typed (known or not), and the address it came from."""

    __tablename__ = "login_failures"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account: Mapped[str] = mapped_column(String(64), index=True)
    address: Mapped[str] = mapped_column(String(64), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class PendingGrant(Base):
    """Roles or a clearance one administrator asked for a user, waiting for a second one of the agency."""

    __tablename__ = "pending_grants"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    agency: Mapped[str] = mapped_column(ForeignKey("agencies.code"), index=True)
    roles: Mapped[str] = mapped_column(String(300))  # comma-separated roles to add
    clearance: Mapped[str] = mapped_column(String(32))  # the clearance to give
    requested_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: pending, approved or rejected
    state: Mapped[str] = mapped_column(String(16), default="pending")
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class Shareable:
    """Policy columns every shareable row carries (docs/access.md); RLS is forced on these tables."""

    @declared_attr
    def owner_agency(cls) -> Mapped[str]:  # noqa: N805 - SQLAlchemy declared_attr
        return mapped_column(ForeignKey("agencies.code"), index=True)

    owner_country: Mapped[str] = mapped_column(String(2))
    distribution: Mapped[str] = mapped_column(String(16))
    marking: Mapped[str] = mapped_column(String(32))
    marking_rank: Mapped[int] = mapped_column(Integer)

    @declared_attr
    def case_id(cls) -> Mapped[str | None]:  # noqa: N805
        return mapped_column(ForeignKey("cases.id"), nullable=True, index=True)


class Case(Base):
    """A restricted case: rows filed under it are visible only to its members."""

    __tablename__ = "cases"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    title: Mapped[str] = mapped_column(Text)
    owner_agency: Mapped[str] = mapped_column(ForeignKey("agencies.code"), index=True)
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CaseMember(Base):
    """A user admitted to a restricted case."""

    __tablename__ = "case_members"
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Release(Base):
    """The owner's release of an entity or a whole case to one partner agency, maybe until a date."""

    __tablename__ = "releases"
    __table_args__ = (
        UniqueConstraint("entity_id", "case_id", "to_agency", "created_at", name="uq_releases_grant"),
        Index("ix_releases_to_entity", "to_agency", "entity_id"),
        Index("ix_releases_to_case", "to_agency", "case_id"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    owner_agency: Mapped[str] = mapped_column(ForeignKey("agencies.code"))
    entity_id: Mapped[str | None] = mapped_column(ForeignKey("entities.id"), nullable=True)
    case_id: Mapped[str | None] = mapped_column(ForeignKey("cases.id"), nullable=True)
    to_agency: Mapped[str] = mapped_column(ForeignKey("agencies.code"))
    until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    revoked_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)

"""Tables of discovery and requests: issued hit references, requests, their items, history, notifications.

A request row is seen by exactly two agencies, the sender and the receiver; its items, history and
notifications follow it. PostgreSQL row-level security enforces the same (migration 0003).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from binational.db import Base, UTCDateTime, utcnow


class HitRef(Base):
    """An opaque reference to another agency's match, issued to one agency by a discovery call."""

    __tablename__ = "hit_refs"
    ref: Mapped[str] = mapped_column(String(64), primary_key=True)
    caller_agency: Mapped[str] = mapped_column(ForeignKey("agencies.code"), index=True)
    holder_agency: Mapped[str] = mapped_column(ForeignKey("agencies.code"))
    #: the matched entities of the holder, comma-separated; never shown to the caller
    entity_ids: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(16))
    #: the selector as the caller typed it: shown back to the caller's agency only (as this row is)
    selector: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Request(Base):
    """A request from one agency to another, answered on a clock."""

    __tablename__ = "requests"
    __table_args__ = (
        Index("ix_requests_inbox", "to_agency", "created_at"),
        Index("ix_requests_outbox", "from_agency", "created_at"),
    )
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    type: Mapped[str] = mapped_column(String(64))
    from_agency: Mapped[str] = mapped_column(ForeignKey("agencies.code"))
    to_agency: Mapped[str] = mapped_column(ForeignKey("agencies.code"))
    state: Mapped[str] = mapped_column(String(16))
    #: one line saying what the request is about (by default the question's first line)
    subject: Mapped[str] = mapped_column(String(200), server_default="")
    question: Mapped[str] = mapped_column(Text)
    #: the kinds of selector (document, phone ...) of the hits the request asks about, comma-separated
    selector_kinds: Mapped[str] = mapped_column(String(200), server_default="")
    marking: Mapped[str] = mapped_column(String(32))
    marking_rank: Mapped[int] = mapped_column(Integer)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class RequestItem(Base):
    """What a request is about: an entity of the sender's view, or a hit of the receiver's."""

    __tablename__ = "request_items"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[str] = mapped_column(ForeignKey("requests.id"), index=True)
    entity_id: Mapped[str] = mapped_column(ForeignKey("entities.id"))
    #: the hit reference the sender named (null for an entity the sender named directly)
    hit_ref: Mapped[str | None] = mapped_column(ForeignKey("hit_refs.ref"), nullable=True)
    #: `subject` (named by the sender) or `answer` (released by the receiver)
    role: Mapped[str] = mapped_column(String(16))


class RequestEvent(Base):
    """One state change of a request: who, when, from what to what, with an optional note."""

    __tablename__ = "request_events"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[str] = mapped_column(ForeignKey("requests.id"), index=True)
    from_state: Mapped[str | None] = mapped_column(String(16), nullable=True)
    to_state: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    actor_agency: Mapped[str] = mapped_column(ForeignKey("agencies.code"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)


class Notification(Base):
    """An in-app notice to one user about a request of their agency, or about a record that newly
    answers one of their saved searches (`binational.search.watchlists`)."""

    __tablename__ = "notifications"
    # No INSERT ... RETURNING: the sender writes the receiver's notices but may not read them back (RLS).
    __table_args__ = (Index("ix_notifications_user", "user_id", "id"), {"implicit_returning": False})
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    agency: Mapped[str] = mapped_column(ForeignKey("agencies.code"))
    request_id: Mapped[str | None] = mapped_column(ForeignKey("requests.id"), nullable=True)
    entity_id: Mapped[str | None] = mapped_column(ForeignKey("entities.id"), nullable=True)
    saved_search_id: Mapped[int | None] = mapped_column(ForeignKey("saved_searches.id"), nullable=True)
    kind: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class DiscoveryUsage(Base):
    """How many selectors one user searched in one discovery call: what the rate limits count.

    Written and read by the node only (row-level security admits no agency); rows older than a day
    are dropped as the user searches again.
    """

    __tablename__ = "discovery_usage"
    __table_args__ = (Index("ix_discovery_usage_user", "user_id", "at"),
                      Index("ix_discovery_usage_agency", "agency", "at"), {"implicit_returning": False})
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    agency: Mapped[str] = mapped_column(ForeignKey("agencies.code"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    selectors: Mapped[int] = mapped_column(Integer)


class DiscoveryShape(Base):
    """How many selectors of one shape one user searched in one call, and which records they touched:
    what sweep detection counts. A shape is the SHA-256 of a selector with its varying part cut (the
    last characters of an identifier, the birth date of a name); the searched values are not kept.

    Written and read by the node only, like `DiscoveryUsage`.
    """

    __tablename__ = "discovery_shapes"
    __table_args__ = (Index("ix_discovery_shapes_user", "user_id", "shape", "at"), {"implicit_returning": False})
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    agency: Mapped[str] = mapped_column(ForeignKey("agencies.code"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    shape: Mapped[str] = mapped_column(String(64))
    selectors: Mapped[int] = mapped_column(Integer)
    #: JSON list of [entity id, owner agency] of other agencies' records the selectors matched
    touched: Mapped[str] = mapped_column(Text, default="[]")
    #: JSON list of the agencies this row's call told of the sweep
    flagged: Mapped[str] = mapped_column(Text, default="[]")


class DiscoveryNotice(Base):
    """A notice to one agency's supervisors, liaisons and auditors about another agency's search:
    `deconfliction` (it searched a selector matching a record that answers no hit) or `sweep` (it
    searched many selectors of one shape, touching records of the agency). Never shown to the searcher."""

    __tablename__ = "discovery_notices"
    # No RETURNING: the searcher's request writes the notice (as the node) and never reads it back.
    __table_args__ = (Index("ix_discovery_notices_to", "to_agency", "id"), {"implicit_returning": False})
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    to_agency: Mapped[str] = mapped_column(ForeignKey("agencies.code"))
    from_agency: Mapped[str] = mapped_column(ForeignKey("agencies.code"))
    kind: Mapped[str] = mapped_column(String(16))
    #: the records of `to_agency` concerned, comma-separated
    entity_ids: Mapped[str] = mapped_column(Text)
    #: how many selectors (a sweep: of its shape, in the window)
    selectors: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

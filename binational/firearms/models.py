"""Tables of firearms tracing: the US sale records, multiple-sale reports, firearms recovered in Mexico,
and the traces between the two with their candidates and results.

Records (`firearm_sales`, `firearm_multiple_sales`, `firearm_recoveries`) carry the ordinary policy
columns and are filtered by `policy.visible()`. The parts of a trace (`firearm_traces`,
`firearm_trace_candidates`, `firearm_trace_results`) are seen by the tracing agency always and by the
requesting agency once `released_at` is set (`policy.may_see_trace_part` / `visible_trace_parts`).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from binational.access.models import Shareable
from binational.db import Base, UTCDateTime, utcnow


class FirearmSale(Shareable, Base):
    """An acquisition and disposition record: one firearm from its maker through the wholesaler and
    the licensed dealer to its first retail purchaser."""

    __tablename__ = "firearm_sales"
    __table_args__ = (Index("ix_firearm_sales_key", "make_key", "serial_key"),
                      Index("ix_firearm_sales_purchaser", "purchaser_key"))
    id: Mapped[str] = mapped_column(String(80), primary_key=True)
    record_id: Mapped[str] = mapped_column(String(64))
    manufacturer: Mapped[str] = mapped_column(String(120))
    importer: Mapped[str] = mapped_column(String(120), default="")
    wholesaler: Mapped[str] = mapped_column(String(120), default="")
    dealer: Mapped[str] = mapped_column(String(120))
    dealer_state: Mapped[str] = mapped_column(String(2))
    purchaser: Mapped[str] = mapped_column(String(200))
    purchaser_key: Mapped[str] = mapped_column(String(200))
    #: the purchaser's entity, when one is recorded (the network graph's person)
    purchaser_entity_id: Mapped[str | None] = mapped_column(String(200), nullable=True)
    sale_date: Mapped[date] = mapped_column(Date)
    model: Mapped[str] = mapped_column(String(120), default="")
    caliber: Mapped[str] = mapped_column(String(40), default="")
    weapon_type: Mapped[str] = mapped_column(String(40))
    serial: Mapped[str] = mapped_column(String(64))
    make_key: Mapped[str] = mapped_column(String(120))
    serial_key: Mapped[str] = mapped_column(String(64))
    #: unknown make or calibre, kept as given: comma-separated flags
    flags: Mapped[str] = mapped_column(String(120), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class MultipleSale(Shareable, Base):
    """A multiple-sale report: two or more handguns (ATF F 3310.4), or semi-automatic rifles above .22
    with detachable magazines in AZ, CA, NM, TX (F 3310.12), to one buyer within five business days."""

    __tablename__ = "firearm_multiple_sales"
    __table_args__ = (Index("ix_firearm_multiple_sales_purchaser", "purchaser_key"),)
    id: Mapped[str] = mapped_column(String(80), primary_key=True)
    report_id: Mapped[str] = mapped_column(String(64))
    form: Mapped[str] = mapped_column(String(16))
    dealer: Mapped[str] = mapped_column(String(120))
    dealer_state: Mapped[str] = mapped_column(String(2))
    purchaser: Mapped[str] = mapped_column(String(200))
    purchaser_key: Mapped[str] = mapped_column(String(200))
    report_date: Mapped[date] = mapped_column(Date)
    #: the serials sold, comma-separated
    serials: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Recovery(Shareable, Base):
    """A firearm recovered in Mexico, with its markings as read."""

    __tablename__ = "firearm_recoveries"
    # a re-import replaces the recovery of a number the importer sees and adds one only where those
    # of the number are marked above its clearance: one recovery per agency, number and marking
    __table_args__ = (Index("ux_firearm_recoveries_number", "owner_agency", "recovery_id", "marking_rank",
                            unique=True),)
    id: Mapped[str] = mapped_column(String(80), primary_key=True)
    recovery_id: Mapped[str] = mapped_column(String(64))
    seizure: Mapped[str] = mapped_column(String(120), default="")
    place: Mapped[str] = mapped_column(String(200))
    state: Mapped[str] = mapped_column(String(64))
    recovered_on: Mapped[date] = mapped_column(Date)
    possessor: Mapped[str] = mapped_column(String(200), default="")
    manufacturer: Mapped[str] = mapped_column(String(120))
    model: Mapped[str] = mapped_column(String(120), default="")
    caliber: Mapped[str] = mapped_column(String(40), default="")
    weapon_type: Mapped[str] = mapped_column(String(40))
    serial: Mapped[str] = mapped_column(String(64))
    obliterated: Mapped[bool] = mapped_column(Boolean, default=False)
    #: positions (1-based) of the characters restored on an obliterated serial, comma-separated
    restored: Mapped[str] = mapped_column(String(120), default="")
    flags: Mapped[str] = mapped_column(String(120), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class TracePart:
    """Columns of every part of a trace: its two agencies, its marking, and when it was released to
    the requester (never, for what stays with the tracing agency)."""

    from_agency: Mapped[str] = mapped_column(String(32), index=True)
    to_agency: Mapped[str] = mapped_column(String(32), index=True)
    marking_rank: Mapped[int] = mapped_column(Integer)
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class Trace(TracePart, Base):
    """A trace request (ATF Form 3312.1): the request of the workflow and the Part V markings."""

    __tablename__ = "firearm_traces"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    request_id: Mapped[str] = mapped_column(ForeignKey("requests.id"), unique=True)
    #: the requesting agency's recovered firearm the trace was sent for (shown as `may_see_trace_recovery`)
    recovery_id: Mapped[str | None] = mapped_column(ForeignKey("firearm_recoveries.id"), nullable=True, index=True)
    marking: Mapped[str] = mapped_column(String(32))
    priority: Mapped[str] = mapped_column(String(8))
    crime_code: Mapped[str] = mapped_column(String(16))
    officer: Mapped[str] = mapped_column(String(200))
    ori: Mapped[str] = mapped_column(String(16), default="")
    possessor: Mapped[str] = mapped_column(String(200), default="")
    recovery_place: Mapped[str] = mapped_column(String(200))
    recovery_state: Mapped[str] = mapped_column(String(64), default="")
    recovered_on: Mapped[date] = mapped_column(Date)
    manufacturer: Mapped[str] = mapped_column(String(120))
    model: Mapped[str] = mapped_column(String(120))
    caliber: Mapped[str] = mapped_column(String(40))
    weapon_type: Mapped[str] = mapped_column(String(40))
    serial: Mapped[str] = mapped_column(String(64))
    obliterated: Mapped[bool] = mapped_column(Boolean, default=False)
    importer: Mapped[str] = mapped_column(String(120), default="")
    country_of_origin: Mapped[str] = mapped_column(String(64), default="")
    flags: Mapped[str] = mapped_column(String(120), default="")
    #: submitted, candidates (waiting for a US-ATF user to confirm), resolved, no_match
    status: Mapped[str] = mapped_column(String(16), default="submitted")
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class TraceCandidate(TracePart, Base):
    """A ranked candidate record of a trace, for the tracing agency only."""

    __tablename__ = "firearm_trace_candidates"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    trace_id: Mapped[str] = mapped_column(ForeignKey("firearm_traces.id"), index=True)
    sale_id: Mapped[str] = mapped_column(ForeignKey("firearm_sales.id"))
    rank: Mapped[int] = mapped_column(Integer)
    score: Mapped[float] = mapped_column(Float)
    reasons: Mapped[str] = mapped_column(String(400), default="")


class TraceResult(TracePart, Base):
    """What a trace found: the chain of sale, the first retail purchaser and the time-to-crime;
    released to the requester when the trace is answered."""

    __tablename__ = "firearm_trace_results"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    trace_id: Mapped[str] = mapped_column(ForeignKey("firearm_traces.id"), unique=True)
    sale_id: Mapped[str] = mapped_column(ForeignKey("firearm_sales.id"))
    #: exact (make and serial as read) or confirmed (a candidate a US-ATF user confirmed)
    how: Mapped[str] = mapped_column(String(16))
    manufacturer: Mapped[str] = mapped_column(String(120))
    importer: Mapped[str] = mapped_column(String(120), default="")
    wholesaler: Mapped[str] = mapped_column(String(120), default="")
    dealer: Mapped[str] = mapped_column(String(120))
    dealer_state: Mapped[str] = mapped_column(String(2))
    purchaser: Mapped[str] = mapped_column(String(200))
    sale_date: Mapped[date] = mapped_column(Date)
    ttc_days: Mapped[int] = mapped_column(Integer)
    #: the entities released with the answer (the firearm, the purchaser), comma-separated
    entity_ids: Mapped[str] = mapped_column(Text, default="")
    confirmed_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

"""Tables of trade: customs declarations (with their score and place on a selection list) and the
results of inspections. Both carry the policy columns and are read through `policy.visible_trade`;
a row with `distribution` 'joint' is also seen by the partner agency named in `joint_agency` (a joint
inspection's other customs service)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from binational.access.models import Shareable
from binational.db import Base, UTCDateTime, utcnow


class TradeDeclaration(Shareable, Base):
    """One import declaration as its customs service filed it: the data set's columns (as text, in
    `fields`), its score and reasons once scored, and the draw that scored it. Its place on the list
    a viewer sees is computed among the rows that viewer may see (`service.selection_list`)."""

    __tablename__ = "trade_declarations"
    # unique per agency AND marking: a row marked above an importer's clearance must never collide
    # with (and so reveal itself to) what that importer imports
    __table_args__ = (UniqueConstraint("owner_agency", "marking_rank", "reference",
                                       name="uq_trade_declarations_owner_marking_reference"),
                      Index("ix_trade_declarations_owner_day", "owner_agency", "declared_on"))
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reference: Mapped[str] = mapped_column(String(64))
    declared_on: Mapped[date] = mapped_column(Date)
    fields: Mapped[str] = mapped_column(Text)  # JSON: column -> text, as imported
    hs_unknown: Mapped[bool] = mapped_column(Boolean, default=False)
    joint_agency: Mapped[str | None] = mapped_column(String(32), nullable=True)
    score: Mapped[float | None] = mapped_column(Float, nullable=True)
    fraud_probability: Mapped[float | None] = mapped_column(Float, nullable=True)
    critical_probability: Mapped[float | None] = mapped_column(Float, nullable=True)
    reasons: Mapped[str] = mapped_column(Text, default="[]")  # JSON: the features that raised the score
    selection_kind: Mapped[str | None] = mapped_column(String(16), nullable=True)  # score | exploration
    selection_rank: Mapped[int | None] = mapped_column(Integer, nullable=True)  # on its drawer's list
    # JSON of the draw that scored it: id (time), budget, exploration, mode, seed, the drawer's clearance and
    # its model's training scope (who may see the score, `policy.may_see_model_output`)
    draw: Mapped[str | None] = mapped_column(Text, nullable=True)
    # the same draw as a row, whose model's training scope SQL can check (`policy.visible_model_output`)
    draw_id: Mapped[int | None] = mapped_column(ForeignKey("trade_draws.id"), nullable=True, index=True)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class TradeDraw(Base):
    """One draw of a day's selection list by a user of `agency`: the declarations it scored point to
    it (`TradeDeclaration.draw_id`), and its model's training scope is in `trade_draw_scopes`."""

    __tablename__ = "trade_draws"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    agency: Mapped[str] = mapped_column(ForeignKey("agencies.code"))
    clearance_rank: Mapped[int] = mapped_column(Integer)  # its drawer's: no colleague cleared lower reads it
    drawn_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class TradeDrawScope(Base):
    """One row of a draw's model's training scope: the policy columns (`policy.TRADE_SCOPE_FIELDS`)
    of declarations and results the model learned from. Whoever may not see one of them sees nothing
    the draw derived (`policy.visible_model_output`)."""

    __tablename__ = "trade_draw_scopes"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    draw_id: Mapped[int] = mapped_column(ForeignKey("trade_draws.id"), index=True)
    agency: Mapped[str] = mapped_column(ForeignKey("agencies.code"))  # the draw's, for row-level security
    owner_agency: Mapped[str] = mapped_column(String(32))
    owner_country: Mapped[str] = mapped_column(String(2))
    distribution: Mapped[str] = mapped_column(String(16))
    marking_rank: Mapped[int] = mapped_column(Integer)
    case_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    joint_agency: Mapped[str | None] = mapped_column(String(32), nullable=True)


class TradeInspection(Shareable, Base):
    """The outcome of inspecting a declaration, owned by the inspecting agency; a joint inspection's
    result is shared with the partner named in `joint_agency`. Rows are only ever added."""

    __tablename__ = "trade_inspections"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    declaration_id: Mapped[int] = mapped_column(ForeignKey("trade_declarations.id"), index=True)
    fraud: Mapped[int] = mapped_column(Integer)
    critical: Mapped[int] = mapped_column(Integer)  # 0 none, 1 fraud, 2 a threat to public safety
    note: Mapped[str] = mapped_column(Text, default="")
    joint_agency: Mapped[str | None] = mapped_column(String(32), nullable=True)
    inspected_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class TradeFlow(Base):
    """One row of a BTS TransBorder Freight raw table: a month's value (USD), shipping weight (kg)
    and freight charges of exports or imports with Canada or Mexico by mode, for a US state and port
    (table 1), a US state and commodity (table 2) or a port and commodity (table 3). Public statistics:
    any named viewer reads them; only the node writes them."""

    __tablename__ = "trade_flows"
    __table_args__ = (Index("ix_trade_flows_table_month", "source_table", "year", "month"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source_table: Mapped[int] = mapped_column(Integer)
    trade_type: Mapped[str] = mapped_column(String(1))
    us_state: Mapped[str] = mapped_column(String(2), default="")
    port: Mapped[str] = mapped_column(String(4), default="")
    commodity: Mapped[str] = mapped_column(String(2), default="")
    mode: Mapped[str] = mapped_column(String(1))
    mex_state: Mapped[str] = mapped_column(String(2), default="")
    can_province: Mapped[str] = mapped_column(String(2), default="")
    country: Mapped[str] = mapped_column(String(4))
    value: Mapped[int] = mapped_column(BigInteger)
    weight: Mapped[int] = mapped_column(BigInteger)
    freight: Mapped[int] = mapped_column(BigInteger)
    domestic_foreign: Mapped[str] = mapped_column(String(1), default="")
    containerized: Mapped[str] = mapped_column(String(1), default="")
    year: Mapped[int] = mapped_column(Integer)
    month: Mapped[int] = mapped_column(Integer)


class PortWait(Base):
    """One lane type's state at one crossing at one reported time, from a CBP Border Wait Times
    snapshot: status, delay and lanes open. Public information: any named viewer reads it; the node
    writes it. A snapshot imported twice adds nothing (one row per crossing, lane and time)."""

    __tablename__ = "trade_port_waits"
    __table_args__ = (UniqueConstraint("port_number", "lane", "reported_at", name="uq_trade_port_waits_observation"),
                      Index("ix_trade_port_waits_reported_at", "reported_at"))
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    port_number: Mapped[str] = mapped_column(String(6))
    border: Mapped[str] = mapped_column(String(32))
    port_name: Mapped[str] = mapped_column(String(100))
    crossing_name: Mapped[str] = mapped_column(String(100))
    lane: Mapped[str] = mapped_column(String(32))  # commercial_standard, commercial_fast, passenger_standard ...
    reported_at: Mapped[datetime] = mapped_column(DateTime)  # the port's local time, as reported
    port_status: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(32))
    delay_minutes: Mapped[int | None] = mapped_column(Integer, nullable=True)
    lanes_open: Mapped[int | None] = mapped_column(Integer, nullable=True)
    maximum_lanes: Mapped[int | None] = mapped_column(Integer, nullable=True)

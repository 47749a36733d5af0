"""Tables of the flows module: monthly series, their values, the files imported, forecasts and alerts.

A series carries the policy columns (`access.models.Shareable`) and a `public` flag: a series read
from a public statistic (CBP, BTS) is shared with every agency of the node; any other stays within
the ordinary rules (its agency, or its country when `national`). `policy.may_see_series` decides, and
`policy.visible_series` is its SQL twin; values, forecasts and alerts follow their series. PostgreSQL
row-level security enforces the same (migration `flows`).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column

from binational.access.models import Shareable
from binational.db import Base, UTCDateTime, utcnow
from binational.workers import UserRun


class FlowSeries(Shareable, Base):
    """One monthly series: an indicator (encounters, seizures, crossings ...) cut by one dimension."""

    __tablename__ = "flow_series"
    __table_args__ = (
        # one series per key and marking of an agency: a colleague below a marking writes a series of
        # its own, and learns nothing of the one above (migration `flow_series_by_marking`)
        UniqueConstraint("owner_agency", "marking_rank", "key", name="uq_flow_series_owner_rank_key"),
        Index("ix_flow_series_indicator", "indicator", "dimension"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: the series' name in files and the API, e.g. `us-cbp-encounters/aor/El Paso Sector`
    key: Mapped[str] = mapped_column(String(300))
    indicator: Mapped[str] = mapped_column(String(120))
    dimension: Mapped[str] = mapped_column(String(40))
    member: Mapped[str] = mapped_column(String(200))
    unit: Mapped[str] = mapped_column(String(60))
    #: the format it was read from (`cbp-encounters`, `long` ...)
    source: Mapped[str] = mapped_column(String(40))
    public: Mapped[bool] = mapped_column(Boolean, default=False)
    latitude: Mapped[float | None] = mapped_column(Float, nullable=True)
    longitude: Mapped[float | None] = mapped_column(Float, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class FlowValue(Base):
    """A series' value for one month (`year * 12 + month - 1`), from the file that last set it."""

    __tablename__ = "flow_values"
    __table_args__ = (UniqueConstraint("series_id", "month", name="uq_flow_values_series_month"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    series_id: Mapped[int] = mapped_column(ForeignKey("flow_series.id"))
    month: Mapped[int] = mapped_column(Integer)
    value: Mapped[float] = mapped_column(Float)
    import_id: Mapped[int] = mapped_column(ForeignKey("flow_imports.id"))


class FlowImport(Shareable, Base):
    """One file imported: what it added, replaced and left unchanged (its agency's own record)."""

    __tablename__ = "flow_imports"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    file: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64))
    format: Mapped[str] = mapped_column(String(40))
    rows: Mapped[int] = mapped_column(Integer)
    added: Mapped[int] = mapped_column(Integer)
    replaced: Mapped[int] = mapped_column(Integer)
    unchanged: Mapped[int] = mapped_column(Integer)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class FlowForecast(Base):
    """A stored forecast of a series: the model chosen, every candidate's backtest, the months ahead."""

    __tablename__ = "flow_forecasts"
    __table_args__ = (Index("ix_flow_forecasts_series", "series_id", "id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    series_id: Mapped[int] = mapped_column(ForeignKey("flow_series.id"))
    model: Mapped[str] = mapped_column(String(120))
    #: JSON: candidate -> mean absolute scaled error over the backtest origins
    backtest: Mapped[str] = mapped_column(Text)
    first_month: Mapped[int] = mapped_column(Integer)
    #: JSON: {"mean": [...], "lo80": [...], "hi80": [...], "lo95": [...], "hi95": [...]}
    values: Mapped[str] = mapped_column(Text)
    shock_replaced: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class FlowAlert(Base):
    """A month outside its forecast's 95 % interval, or a year-over-year change beyond the threshold."""

    __tablename__ = "flow_alerts"
    __table_args__ = (UniqueConstraint("series_id", "month", "kind", name="uq_flow_alerts_series_month_kind"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    series_id: Mapped[int] = mapped_column(ForeignKey("flow_series.id"))
    month: Mapped[int] = mapped_column(Integer)
    #: `interval` (outside the 95 % interval) or `yoy` (year-over-year change beyond the threshold)
    kind: Mapped[str] = mapped_column(String(16))
    value: Mapped[float] = mapped_column(Float)
    #: the forecast's mean (interval) or the value a year before (yoy)
    expected: Mapped[float] = mapped_column(Float)
    low: Mapped[float | None] = mapped_column(Float, nullable=True)
    high: Mapped[float | None] = mapped_column(Float, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class FlowSubscription(Base):
    """A user's wish to be told of alerts on an indicator (all its series the user may see)."""

    __tablename__ = "flow_subscriptions"
    __table_args__ = (UniqueConstraint("user_id", "indicator", name="uq_flow_subscriptions_user_indicator"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    agency: Mapped[str] = mapped_column(ForeignKey("agencies.code"))
    indicator: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class FlowNotice(Base):
    """An alert told to one subscribed user (in-app), read or not."""

    __tablename__ = "flow_notices"
    __table_args__ = (
        Index("ix_flow_notices_user", "user_id", "id"),
        UniqueConstraint("user_id", "alert_id", name="uq_flow_notices_user_alert"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    agency: Mapped[str] = mapped_column(ForeignKey("agencies.code"))
    alert_id: Mapped[int] = mapped_column(ForeignKey("flow_alerts.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class FlowForecastRun(UserRun, Base):
    """A forecast request worked in the background: who asked for which series, how far its worker got,
    and what it stored (`flows.runs`; `summary`: forecast, skipped, months_needed, horizon and the ids
    of the series forecast). Its starter's own (`policy.may_see_forecast_run`)."""

    __tablename__ = "flow_forecast_runs"
    horizon: Mapped[int] = mapped_column(Integer)
    indicator: Mapped[str | None] = mapped_column(String(120), nullable=True)
    dimension: Mapped[str | None] = mapped_column(String(40), nullable=True)
    #: whether its starter has read its progress while it ran (audited once per run, not per poll)
    progress_read: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

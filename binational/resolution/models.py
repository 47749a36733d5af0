"""Tables of resolution: runs, suggestions (scored candidate pairs) and judgements (append-only edges).

Nothing here changes or merges a source record: a cluster (canonical id) is derived, per viewer,
from the judgements and suggestions it may see.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, String, Text, false, text
from sqlalchemy.orm import Mapped, mapped_column

from binational.access.models import Shareable
from binational.db import Base, UTCDateTime, utcnow


class ResolutionRun(Base):
    """One run of resolution over all data, with the trained model of each kind, and how far its
    worker got (progress and heartbeat, written while it works)."""

    __tablename__ = "resolution_runs"
    __table_args__ = (
        # at most one run works at a time on the node, whichever process started it
        Index("ux_resolution_runs_running", "status", unique=True, sqlite_where=text("status = 'running'"),
              postgresql_where=text("status = 'running'")),
    )
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    engine: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))  # running | finished | failed | empty
    #: JSON list of the kinds the run links
    kinds: Mapped[str] = mapped_column(Text, default="[]")
    progress_step: Mapped[str] = mapped_column(String(64), default="")
    progress_done: Mapped[int] = mapped_column(Integer, default=0)
    progress_total: Mapped[int] = mapped_column(Integer, default=0)
    #: the last time the run's worker said it was alive; a running run silent for long died with its worker
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    message: Mapped[str] = mapped_column(Text, default="")
    started_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    #: JSON: kind -> {records, pairs, matches, model version, thresholds, training notes}
    summary: Mapped[str] = mapped_column(Text, default="{}")
    #: JSON: kind -> the trained Splink settings
    models: Mapped[str] = mapped_column(Text, default="{}")


class Suggestion(Base):
    """A candidate pair of one run: score, weight, the comparison that drove it, each level's weight."""

    __tablename__ = "resolution_suggestions"
    __table_args__ = (
        Index("ix_resolution_suggestions_left", "left_id"),
        Index("ix_resolution_suggestions_right", "right_id"),
        Index("ix_resolution_suggestions_run_kind_score", "run_id", "kind", "score"),
        # the queue's order: a page of a run's suggestions by id reads only its rows (migration 0018)
        Index("ix_resolution_suggestions_run_id", "run_id", "id"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[str] = mapped_column(ForeignKey("resolution_runs.id"))
    kind: Mapped[str] = mapped_column(String(16))
    left_id: Mapped[str] = mapped_column(ForeignKey("entities.id"))
    right_id: Mapped[str] = mapped_column(ForeignKey("entities.id"))
    left_agency: Mapped[str] = mapped_column(String(32))
    right_agency: Mapped[str] = mapped_column(String(32))
    score: Mapped[float] = mapped_column(Float)  # match probability
    match_weight: Mapped[float] = mapped_column(Float)
    decision: Mapped[str] = mapped_column(String(8))  # match | review
    driver: Mapped[str] = mapped_column(String(300))
    weights: Mapped[str] = mapped_column(Text)  # JSON: comparison -> [level, weight]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Judgement(Shareable, Base):
    """An analyst's verdict on a pair: positive, negative, unsure, or retracted (of the agency's
    earlier verdict). Rows are only ever added; the judging agency owns them."""

    __tablename__ = "resolution_judgements"
    __table_args__ = (Index("ix_resolution_judgements_pair", "left_id", "right_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    left_id: Mapped[str] = mapped_column(ForeignKey("entities.id"))
    right_id: Mapped[str] = mapped_column(ForeignKey("entities.id"))
    verdict: Mapped[str] = mapped_column(String(16))
    suggestion_id: Mapped[int | None] = mapped_column(ForeignKey("resolution_suggestions.id"), nullable=True)
    score: Mapped[float | None] = mapped_column(Float, nullable=True)  # the suggestion's score when judged
    comment: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class RecordValues(Base):
    """Of one record of a finished run's suggestions: the values the run could read of it and of the
    Address records it names, summed up as the statement-level rules see them (written with the run:
    `evidence.summarise`). A viewer whom the policy lets see all of them (`policy.sees_every_value`),
    and who sees those addresses, has the run's comparison row for the record: its evidence stands."""

    __tablename__ = "resolution_record_values"
    run_id: Mapped[str] = mapped_column(ForeignKey("resolution_runs.id"), primary_key=True)
    entity_id: Mapped[str] = mapped_column(ForeignKey("entities.id"), primary_key=True)
    #: the highest marking rank among the values (policy.NO_ONE_SEES_ALL: the record or an address it
    #: names had no value the run could read, as when it was deleted before the summary)
    values_rank: Mapped[int] = mapped_column(Integer)
    #: the agency the values kept to their agency belong to (None: none is; policy.KEPT_TO_SEVERAL)
    kept_agency: Mapped[str | None] = mapped_column(String(32), nullable=True)


class RecordAddress(Base):
    """An Address record a record of a run's suggestions names, among the values the run could read."""

    __tablename__ = "resolution_record_addresses"
    run_id: Mapped[str] = mapped_column(ForeignKey("resolution_runs.id"), primary_key=True)
    entity_id: Mapped[str] = mapped_column(ForeignKey("entities.id"), primary_key=True)
    address_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    #: the record is a person and the address's key in its comparison row comes from this address
    #: alone: a viewer who does not see the address has another row (`evidence.fallen_records`)
    sole: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

"""The insert-only audit log: entries, the objects they name, the signed head and checkpoints, and the
queue of committed entries not yet given their place in it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Identity, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from binational.db import Base, UTCDateTime


class AuditEntry(Base):
    """One leaf of the log: canonical JSON (RFC 8785) plus indexed copies of its fields."""

    __tablename__ = "audit_entries"
    __table_args__ = (Index("ix_audit_entries_agency_seq", "actor_agency", "seq"),
                      Index("ix_audit_entries_actor_seq", "actor_id", "seq"))
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    time: Mapped[datetime] = mapped_column(UTCDateTime)
    actor_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    actor_agency: Mapped[str | None] = mapped_column(String(32), nullable=True)
    action: Mapped[str] = mapped_column(String(64), index=True)
    decision: Mapped[str] = mapped_column(String(8))
    entry: Mapped[str] = mapped_column(Text)
    leaf_hash: Mapped[bytes] = mapped_column(LargeBinary(32))


class AuditObjectRef(Base):
    """An object an entry names, with the agency that owns it (for who-saw and auditors' views)."""

    __tablename__ = "audit_object_refs"
    __table_args__ = (
        Index("ix_audit_object_refs_object", "object_id", "seq"),
        Index("ix_audit_object_refs_agency", "object_agency", "seq"),
    )
    seq: Mapped[int] = mapped_column(ForeignKey("audit_entries.seq"), primary_key=True)
    object_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    object_agency: Mapped[str | None] = mapped_column(String(32), nullable=True)


class AuditHead(Base):
    """The single row holding the tree's size, frontier and the signed current head.

    Appenders lock this row, so the chain has one writer at a time.
    """

    __tablename__ = "audit_head"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    size: Mapped[int] = mapped_column(Integer, default=0)
    frontier: Mapped[bytes] = mapped_column(LargeBinary, default=b"")
    root: Mapped[bytes] = mapped_column(LargeBinary(32))
    signature: Mapped[bytes] = mapped_column(LargeBinary(64))
    #: the head's own signature (`signing.seal`), over its size, root and number of checkpoints
    seal: Mapped[bytes | None] = mapped_column(LargeBinary(64), nullable=True)


class AuditCheckpoint(Base):
    """A signed checkpoint (C2SP tlog-checkpoint body) kept every N entries."""

    __tablename__ = "audit_checkpoints"
    size: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    root: Mapped[bytes] = mapped_column(LargeBinary(32))
    signature: Mapped[bytes] = mapped_column(LargeBinary(64))
    time: Mapped[datetime] = mapped_column(UTCDateTime)


class AuditQueued(Base):
    """An entry committed with its request but not yet sequenced into the log (`audit.log.drain`).

    A request's transaction inserts here, without the head lock; the sequencer moves rows into
    `audit_entries` in order of `id`, deleting them in the same transaction. On PostgreSQL only the
    system may read or delete a row (row-level security), so a viewer can add but not withdraw one.
    """

    __tablename__ = "audit_queue"
    # An insert must not ask for its id back: RETURNING reads the row, which a viewer may not.
    __table_args__ = {"implicit_returning": False}
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), Identity(), primary_key=True)
    event: Mapped[str] = mapped_column(Text)

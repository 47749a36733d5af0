"""Tables of the federation: the partner nodes this node trusts, and the digest keys it shares with each.

Both are node-level facts, not agencies' records: node administrators manage them through the
service (which the policy guards and the audit log records); on PostgreSQL any named viewer reads
the partners (a directory, like agencies) and nobody but the system reads or writes the digest keys
(migration 0020).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from binational.db import Base, UTCDateTime, utcnow


class Partner(Base):
    """A partner node, as its verified anchor introduced it; `ended_at` once untrusted."""

    __tablename__ = "federation_partners"
    node_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    endpoint: Mapped[str] = mapped_column(String(500))
    #: the whole signed anchor file, canonical JSON, as verified
    anchor: Mapped[str] = mapped_column(Text)
    anchor_sha256: Mapped[str] = mapped_column(String(64))
    node_key: Mapped[str] = mapped_column(String(300))
    #: the agency codes the partner hosts, comma-separated
    agencies: Mapped[str] = mapped_column(Text)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    trusted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: the user who trusted it; null for the node operator at the command line
    trusted_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    ended_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    #: the highest bundle sequence number of this partner applied here (replays at or below it are refused)
    applied_sequence: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class DigestKey(Base):
    """A key this node shares with one partner for step-1 discovery digests; the newest unretired one
    is current, and a rotation retires the one before."""

    __tablename__ = "federation_digest_keys"
    __table_args__ = (UniqueConstraint("node_id", "key_id", name="uq_federation_digest_keys_node_key"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    node_id: Mapped[str] = mapped_column(ForeignKey("federation_partners.node_id"), index=True)
    key_id: Mapped[int] = mapped_column(Integer)
    secret: Mapped[bytes] = mapped_column(LargeBinary(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

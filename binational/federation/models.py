"""Tables of the federation: the partner nodes this node trusts, and the digest keys it shares with each.

Both are node-level facts, not agencies' records: node administrators manage them through the
service (which the policy guards and the audit log records); on PostgreSQL any named viewer reads
the partners (a directory, like agencies) and nobody but the system reads or writes the digest keys
(migration 0020).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint
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
    #: the highest sequence number (bundle or tombstone) of this partner applied here (replays at or below it
    #: are refused)
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
    #: the highest selector id whose digest under this key is in `federation_digest_index`
    indexed_up_to: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class DigestIndex(Base):
    """The digest of one selector under one partner's digest key: the stored index step-1 queries look
    digests up in (`digests.catch_up` adds the selectors written since the last query)."""

    __tablename__ = "federation_digest_index"
    __table_args__ = (Index("ix_federation_digest_index_lookup", "key_ref", "digest"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: the `federation_digest_keys` row (partner and key) the digest is under
    key_ref: Mapped[int] = mapped_column(ForeignKey("federation_digest_keys.id"))
    digest: Mapped[str] = mapped_column(String(64))
    #: the selector (no foreign key: a purged copy's selectors go, their digests then match nothing)
    selector_id: Mapped[int] = mapped_column(Integer)


class DigestQuery(Base):
    """One step-1 query a partner asked: how many digests, when (its quota counts them)."""

    __tablename__ = "federation_digest_queries"
    __table_args__ = (Index("ix_federation_digest_queries_node_at", "node_id", "at"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    node_id: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    asked: Mapped[int] = mapped_column(Integer)


class Outbox(Base):
    """One signed item this node sends a partner, on that partner's sequence: a release bundle or a
    tombstone ending one. Kept once delivered, with the partner's signed receipt."""

    __tablename__ = "federation_outbox"
    __table_args__ = (UniqueConstraint("partner", "sequence", name="uq_federation_outbox_partner_sequence"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    partner: Mapped[str] = mapped_column(ForeignKey("federation_partners.node_id"), index=True)
    sequence: Mapped[int] = mapped_column(Integer)
    #: `bundle` or `tombstone`
    kind: Mapped[str] = mapped_column(String(16))
    #: the bundle's release id (a tombstone's: the release it ends)
    release_id: Mapped[str] = mapped_column(String(32), index=True)
    #: the local release the bundle carries (null for a tombstone)
    local_release: Mapped[int | None] = mapped_column(ForeignKey("releases.id"), nullable=True, index=True)
    entity_id: Mapped[str | None] = mapped_column(String(200), nullable=True)
    document: Mapped[str] = mapped_column(Text)
    built_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    receipt: Mapped[str | None] = mapped_column(Text, nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    last_error: Mapped[str | None] = mapped_column(String(300), nullable=True)


class Received(Base):
    """One item applied here from a partner, by (partner, sequence), with the signed receipt this
    node answered (answered again, unchanged, when the same item comes twice)."""

    __tablename__ = "federation_received"
    __table_args__ = (UniqueConstraint("partner", "sequence", name="uq_federation_received_partner_sequence"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    partner: Mapped[str] = mapped_column(String(200), index=True)
    sequence: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16))
    release_id: Mapped[str] = mapped_column(String(32), index=True)
    #: the locked copy a bundle made (null for a tombstone)
    entity_id: Mapped[str | None] = mapped_column(String(200), nullable=True, index=True)
    document_sha256: Mapped[str] = mapped_column(String(64))
    receipt: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: when a tombstone or a superseding bundle purged the copy
    purged_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class CosignedCheckpoint(Base):
    """A checkpoint of this node's log handed to its witnesses, with the cosignatures they answered."""

    __tablename__ = "federation_checkpoints"
    size: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    #: the signed note: the node's signature and every witness's cosignature
    note: Mapped[str] = mapped_column(Text)
    cosigned_at: Mapped[datetime] = mapped_column(UTCDateTime)


class WitnessState(Base):
    """The size a witness of this node's log cosigned last (the next consistency proof starts there)."""

    __tablename__ = "federation_witness_state"
    #: the witness's verifier key
    witness: Mapped[str] = mapped_column(String(300), primary_key=True)
    size: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(UTCDateTime)

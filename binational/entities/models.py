"""Entities stored as FollowTheMoney statements, each with its own policy columns."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from binational.access.models import Shareable
from binational.db import Base, UTCDateTime, utcnow

#: the statements ix_statements_reference indexes: live references to other entities
REFERENCE = "prop_type = 'entity' AND deleted_at IS NULL"
#: the statements ix_statements_address_text indexes: address texts (two records of one address)
ADDRESS_TEXT = "prop = 'full' AND length(value) <= 500 AND deleted_at IS NULL"


class Entity(Shareable, Base):
    """The policy envelope of one agency's entity; its values live in `statements`."""

    __tablename__ = "entities"
    __table_args__ = (Index("ix_entities_owner_schema", "owner_agency", "schema"),)
    id: Mapped[str] = mapped_column(String(200), primary_key=True)
    schema: Mapped[str] = mapped_column(String(64), index=True)
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    #: the partner node a locked copy came from (binational.federation.sync); null for this node's records
    origin_node: Mapped[str | None] = mapped_column(String(200), nullable=True)


class Statement(Base):
    """One value of one property of one entity (FtM's Statement fields plus policy columns).

    `distribution` is `inherit` (the entity's) or `agency` (kept to the owner agency even when the
    entity is shared); `marking` may be higher than the entity's. Removing a value sets
    `deleted_at`: nothing acknowledged is lost.
    """

    __tablename__ = "statements"
    __table_args__ = (
        Index("ix_statements_entity_live", "entity_id", "deleted_at"),
        # live references by the entity they name: the links of a party (networks.neighbourhood)
        Index("ix_statements_reference", "value", postgresql_where=text(REFERENCE),
              sqlite_where=text(REFERENCE)),
        Index("ix_statements_address_text", "value", postgresql_where=text(ADDRESS_TEXT),
              sqlite_where=text(ADDRESS_TEXT)),
        # values removed, and values written, in a span of time: what changed since a resolution run
        # read them (resolution.evidence.seen_whole; migration 0026)
        Index("ix_statements_removed", "deleted_at", postgresql_where=text("deleted_at IS NOT NULL"),
              sqlite_where=text("deleted_at IS NOT NULL")),
        Index("ix_statements_created", "created_at"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entity_id: Mapped[str] = mapped_column(ForeignKey("entities.id"))
    schema: Mapped[str] = mapped_column(String(64))
    prop: Mapped[str] = mapped_column(String(64))
    prop_type: Mapped[str] = mapped_column(String(32))
    value: Mapped[str] = mapped_column(Text)
    original_value: Mapped[str | None] = mapped_column(Text, nullable=True)
    lang: Mapped[str | None] = mapped_column(String(8), nullable=True)
    dataset: Mapped[str] = mapped_column(String(32))
    origin: Mapped[str | None] = mapped_column(String(300), nullable=True)
    owner_agency: Mapped[str] = mapped_column(ForeignKey("agencies.code"))
    distribution: Mapped[str] = mapped_column(String(16), default="inherit")
    marking: Mapped[str] = mapped_column(String(32))
    marking_rank: Mapped[int] = mapped_column(Integer)
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class SearchTerm(Base):
    """A normalised word or identifier of a live statement, for prefix search.

    It carries copies of its statement's policy columns (`owner_agency`, `distribution`; `marking_rank`
    is the higher of the value's and the entity's) and of its entity's (`entity_*`, `case_id`), written
    with the term, so that a
    search and PostgreSQL's row-level security decide on the term's own row rather than joining the
    statement and probing the entity for every candidate term (benchmarks/access_overhead.py).
    An entity never changes owner, country, marking or case; `entities.releases` updates
    `entity_distribution` when a release widens it. Removing a value deletes its terms.
    """

    __tablename__ = "search_terms"
    __table_args__ = (
        # On PostgreSQL the policy columns are included, so a search decides on the index alone
        # (an index-only scan) without visiting the table for every candidate term.
        Index("ix_search_terms_term", "term", "entity_id", postgresql_ops={"term": "text_pattern_ops"},
              postgresql_include=["owner_agency", "distribution", "marking_rank", "entity_owner_agency",
                                  "entity_owner_country", "entity_distribution", "case_id"]),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    statement_id: Mapped[int] = mapped_column(ForeignKey("statements.id"), index=True)
    entity_id: Mapped[str] = mapped_column(ForeignKey("entities.id"), index=True)
    term: Mapped[str] = mapped_column(String(200))
    owner_agency: Mapped[str] = mapped_column(String(32))
    distribution: Mapped[str] = mapped_column(String(16))
    marking_rank: Mapped[int] = mapped_column(Integer)
    entity_owner_agency: Mapped[str] = mapped_column(String(32))
    entity_owner_country: Mapped[str] = mapped_column(String(2))
    entity_distribution: Mapped[str] = mapped_column(String(16))
    case_id: Mapped[str | None] = mapped_column(String(64), nullable=True)


class Selector(Base):
    """A normalised identifying value of an entity (see entities.selectors), for hit/no-hit discovery.

    It names the statement(s) it came from: a match shows content only if the viewer may see them.
    """

    __tablename__ = "selectors"
    __table_args__ = (Index("ix_selectors_lookup", "kind", "value"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    #: the normalised value; for name + birth date, the birth date (the exact block)
    value: Mapped[str] = mapped_column(String(200))
    #: for name + birth date, the name's sorted words (compared fuzzily); else null
    detail: Mapped[str | None] = mapped_column(String(200), nullable=True)
    entity_id: Mapped[str] = mapped_column(ForeignKey("entities.id"), index=True)
    statement_id: Mapped[int] = mapped_column(ForeignKey("statements.id"))
    #: the second statement of a pair (the birth date of name + birth date), else null
    statement2_id: Mapped[int | None] = mapped_column(ForeignKey("statements.id"), nullable=True)
    owner_agency: Mapped[str] = mapped_column(ForeignKey("agencies.code"))

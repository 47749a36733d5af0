"""Tables of search: the word index's words, saved searches and the records each has answered with."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from binational.db import Base, UTCDateTime, utcnow


class SearchWord(Base):
    """A distinct word of `search_terms`, kept by a trigger (migration `search_words`) and read into
    each process's word index (`search.similar.WordIndex`); it names no record and no agency."""

    __tablename__ = "search_words"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    word: Mapped[str] = mapped_column(String(200), unique=True)


class SavedSearch(Base):
    """A user's search kept for later; with `watch`, the user is told of records that newly answer it."""

    __tablename__ = "saved_searches"
    __table_args__ = (Index("ix_saved_searches_user", "user_id", "id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    agency: Mapped[str] = mapped_column(ForeignKey("agencies.code"))
    q: Mapped[str] = mapped_column(String(200))
    watch: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class SavedSearchMatch(Base):
    """A record a saved search has answered with (for its user, when it first did): a later check tells
    the user only of records not listed here."""

    __tablename__ = "saved_search_matches"
    __table_args__ = (UniqueConstraint("saved_search_id", "entity_id", name="uq_saved_search_matches"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    saved_search_id: Mapped[int] = mapped_column(ForeignKey("saved_searches.id", ondelete="CASCADE"))
    entity_id: Mapped[str] = mapped_column(ForeignKey("entities.id"))
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

"""The module's one table: officials administrators add to the shipped gazetteer on their node.

Engagements, readouts and commitments themselves are FollowTheMoney entities (schemata `Engagement`
and `Commitment` in binational/vocabulary/) stored as statements under the ordinary policy.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from binational.db import Base, UTCDateTime, utcnow


class GazetteerPerson(Base):
    """A public official of a partner government, added by an administrator: node reference data, as
    agencies are (every named viewer reads it; an administrator writes it as its agency)."""

    __tablename__ = "engagement_gazetteer"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    surname: Mapped[str] = mapped_column(String(200))
    office: Mapped[str] = mapped_column(String(32))
    #: {"en": ..., "es": ...} as JSON
    titles: Mapped[str] = mapped_column(Text, default="{}")
    #: the name in other scripts, as a JSON list
    forms: Mapped[str] = mapped_column(Text, default="[]")
    agency: Mapped[str] = mapped_column(ForeignKey("agencies.code"))
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

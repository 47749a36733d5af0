"""The repatriation module's indicator for commitments (`binational.engagements.indicators`): people
returned per month — the manifest lines that boarded a movement received that month, over the
movements and lines the viewer may see (`access.policy.visible_movements`: the sending and receiving
agencies and the consulate)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from binational.access.policy import Actor, visible_movements
from binational.engagements.indicators import Indicator, Point, bounds, counted, register
from binational.repatriation.models import ManifestLine, Movement


def people_returned(session: Session, actor: Actor, start: date, end: date) -> list[Point]:
    """People handed over per month (by the day their movement was received)."""
    first, after = bounds(start, end)
    rows = session.execute(select(Movement.received_at).join(ManifestLine, ManifestLine.movement_id == Movement.id)
                           .where(visible_movements(actor, Movement), visible_movements(actor, ManifestLine),
                                  ManifestLine.status == "boarded", Movement.received_at.is_not(None),
                                  Movement.received_at >= first, Movement.received_at < after)).scalars()
    return counted((at for at in rows if at is not None), start, end)


register(Indicator(key="repatriation.people_returned", unit="people", label="indicator.repatriation.people_returned",
                   owner="MX-INM", series=people_returned))

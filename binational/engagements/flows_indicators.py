"""The flows module's indicators for commitments: CBP's southwest border encounters and drug seizure
events per month, from the national totals of the series the viewer may see
(`access.policy.visible_series`). The same public file imported by two agencies gives two series
with one key: a month counts once. They live here because engagements sits above flows in the layers."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from binational.access.policy import Actor, visible_series
from binational.engagements.indicators import Indicator, Point, months, register
from binational.flows.forecasting import month_index, month_text
from binational.flows.models import FlowSeries, FlowValue


def _totals(session: Session, actor: Actor, indicator: str, start: date, end: date) -> list[Point]:
    wanted = months(start, end)
    first, last = month_index(wanted[0]), month_index(wanted[-1])
    rows = session.execute(
        select(FlowSeries.key, FlowValue.month, FlowValue.value)
        .join(FlowValue, FlowValue.series_id == FlowSeries.id)
        .where(visible_series(actor, FlowSeries), FlowSeries.indicator == indicator,
               FlowSeries.dimension == "total", FlowValue.month >= first, FlowValue.month <= last))
    once: dict[tuple[str, int], float] = {}
    for key, month, value in rows:
        once[(key, month)] = value
    figures: dict[str, float | None] = dict.fromkeys(wanted)
    for (_key, month), value in once.items():
        text = month_text(month)
        figures[text] = (figures[text] or 0.0) + value
    return list(figures.items())


def encounters(session: Session, actor: Actor, start: date, end: date) -> list[Point]:
    """CBP encounters at the southwest border per month (None for a month no visible series covers)."""
    return _totals(session, actor, "us-cbp-encounters", start, end)


def drug_seizures(session: Session, actor: Actor, start: date, end: date) -> list[Point]:
    """CBP drug seizure events per month (None for a month no visible series covers)."""
    return _totals(session, actor, "us-cbp-drug-seizures", start, end)


# A commitment to secure the border asks for fewer irregular crossings met, not more.
register(Indicator(key="flows.encounters", unit="encounters", label="indicator.flows.encounters",
                   owner="US-CBP", series=encounters, better="lower"))
register(Indicator(key="flows.drug_seizures", unit="events", label="indicator.flows.drug_seizures",
                   owner="US-CBP", series=drug_seizures))

"""Reading the flows module's series: one series (values, calendar and fiscal years, year-over-year,
forecast, alerts), pages of them, their indicators, and their last values for lists and maps.

Keyword-only, `session` and `actor` explicit, never committing; every read is audited in the same
transaction. One series is shown through `access.policy.may_see_flow_series`, lists and counts
through its SQL twin `visible_series`: a hidden series answers exactly as one that does not exist.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from binational import pagination
from binational.access.policy import Actor, may_see_flow_series, require, visible_series
from binational.audit import log as audit
from binational.config import get_settings
from binational.errors import NotFound
from binational.flows.forecasting import month_text
from binational.flows.forecasts import forecast_view, latest_forecast
from binational.flows.models import FlowAlert, FlowSeries, FlowValue


def _hidden(
    series_id: Any, reason: str = "not found", owner: str | None = None, action: str = "flows.read"
) -> NotFound:
    return NotFound("series", str(series_id), reason=reason, action=action, owner=owner)


def load_series(*, session: Session, actor: Actor, series_id: int, action: str = "flows.read") -> FlowSeries:
    """The series if the actor may see it; NotFound (the same as for none) otherwise."""
    require(actor, action)
    series = session.get(FlowSeries, series_id) if isinstance(series_id, int) else None
    if series is None:
        raise _hidden(series_id, action=action)
    decision = may_see_flow_series(actor, series)
    if not decision:
        raise _hidden(series_id, decision.reason, series.owner_agency, action)
    return series


def series_view(series: FlowSeries) -> dict[str, Any]:
    """A series as the API and pages show it (no values)."""
    return {
        "id": series.id,
        "key": series.key,
        "indicator": series.indicator,
        "dimension": series.dimension,
        "member": series.member,
        "unit": series.unit,
        "source": series.source,
        "public": series.public,
        "owner_agency": series.owner_agency,
        "distribution": series.distribution,
        "marking": series.marking,
        "latitude": series.latitude,
        "longitude": series.longitude,
        "updated_at": series.updated_at.isoformat(),
    }


def list_series(
    *,
    session: Session,
    actor: Actor,
    indicator: str | None = None,
    dimension: str | None = None,
    limit: int | None = None,
    cursor: str | None = None,
) -> tuple[list[FlowSeries], str | None, int]:
    """One page of the series the actor may see (filtered), the next cursor, and how many match."""
    require(actor, "flows.list")
    limit = pagination.check_limit(limit, 100, 1000)
    query = select(FlowSeries).where(visible_series(actor, FlowSeries))
    if indicator:
        query = query.where(FlowSeries.indicator == indicator)
    if dimension:
        query = query.where(FlowSeries.dimension == dimension)
    count = session.execute(select(func.count()).select_from(query.subquery())).scalar_one()
    page, following = pagination.keyset(
        session, query, FlowSeries.id, limit=limit, cursor=cursor, secret=get_settings().signing_secret()
    )
    audit.record(
        session,
        action="flows.list",
        actor=actor,
        objects=[],
        extra={"indicator": indicator, "dimension": dimension, "count": count},
    )
    return page, following, count


def indicators(*, session: Session, actor: Actor) -> list[dict[str, Any]]:
    """The indicators and dimensions of the series the actor may see, with their counts."""
    require(actor, "flows.list")
    rows = session.execute(
        select(FlowSeries.indicator, FlowSeries.dimension, func.count())
        .where(visible_series(actor, FlowSeries))
        .group_by(FlowSeries.indicator, FlowSeries.dimension)
        .order_by(FlowSeries.indicator, FlowSeries.dimension)
    ).all()
    audit.record(session, action="flows.list", actor=actor, objects=[], extra={"indicators": len(rows)})
    return [{"indicator": i, "dimension": d, "series": n} for i, d, n in rows]


def values_of(session: Session, series: FlowSeries) -> dict[int, float]:
    """Month -> value of a series already loaded through the policy."""
    return dict(
        session.execute(
            select(FlowValue.month, FlowValue.value).where(FlowValue.series_id == series.id).order_by(FlowValue.month)
        ).all()
    )


def yearly(values: dict[int, float], *, fiscal: bool) -> list[dict[str, Any]]:
    """Sums by calendar year, or by US fiscal year (October to September, named by its end)."""
    sums: dict[int, float] = defaultdict(float)
    months: dict[int, int] = defaultdict(int)
    for month, value in values.items():
        year = month // 12 + (1 if fiscal and month % 12 >= 9 else 0)
        sums[year] += value
        months[year] += 1
    return [{"year": y, "value": sums[y], "months": months[y], "complete": months[y] == 12} for y in sorted(sums)]


def year_over_year(values: dict[int, float]) -> list[dict[str, Any]]:
    """For each month with a value a year before: the change, absolute and relative (None from zero)."""
    out = []
    for month in sorted(values):
        before = values.get(month - 12)
        if before is None:
            continue
        change = values[month] - before
        out.append(
            {
                "month": month_text(month),
                "value": values[month],
                "year_before": before,
                "change": change,
                "ratio": change / before if before else None,
            }
        )
    return out


def read_series(*, session: Session, actor: Actor, series_id: int) -> dict[str, Any]:
    """A series the actor may see: values, calendar and fiscal years, year-over-year, forecast, alerts."""
    series = load_series(session=session, actor=actor, series_id=series_id)
    values = values_of(session, series)
    alerts = (
        session.execute(
            select(FlowAlert).where(FlowAlert.series_id == series.id).order_by(FlowAlert.month.desc(), FlowAlert.kind)
        )
        .scalars()
        .all()
    )
    audit.record(session, action="flows.read", actor=actor, objects=[(f"flow-series:{series.id}", series.owner_agency)])
    return {
        **series_view(series),
        "values": [{"month": month_text(m), "value": v} for m, v in values.items()],
        "calendar_years": yearly(values, fiscal=False),
        "fiscal_years": yearly(values, fiscal=True),
        "year_over_year": year_over_year(values),
        "forecast": forecast_view(latest_forecast(session, series)),
        "alerts": [alert_view(a, series) for a in alerts],
    }


def alert_view(alert: FlowAlert, series: FlowSeries) -> dict[str, Any]:
    """An alert as shown: which series, month, kind, the value against what was expected."""
    return {
        "id": alert.id,
        "series_id": series.id,
        "series": series.key,
        # whose series: any agency may import a public statistic's file, so provenance travels with the alert
        "owner_agency": series.owner_agency,
        "month": month_text(alert.month),
        "kind": alert.kind,
        "value": alert.value,
        "expected": alert.expected,
        "low": alert.low,
        "high": alert.high,
        "created_at": alert.created_at.isoformat(),
    }


def last_values(session: Session, page: list[FlowSeries]) -> dict[int, dict[str, Any]]:
    """Series id -> its last month, that month's value and its change from a year before, for a page of
    series already chosen through the policy (one query, for lists and maps)."""
    out: dict[int, dict[str, Any]] = {x.id: {"last_month": None, "last_value": None, "yoy": None} for x in page}
    if not out:
        return out
    last = (
        select(FlowValue.series_id, func.max(FlowValue.month).label("month"))
        .where(FlowValue.series_id.in_(sorted(out)))
        .group_by(FlowValue.series_id)
        .subquery()
    )
    found: dict[tuple[int, int], float] = {}
    ends: dict[int, int] = {}
    for series_id, end, month, value in session.execute(
        select(FlowValue.series_id, last.c.month, FlowValue.month, FlowValue.value).join(
            last,
            and_(
                FlowValue.series_id == last.c.series_id,
                or_(FlowValue.month == last.c.month, FlowValue.month == last.c.month - 12),
            ),
        )
    ):
        found[(series_id, month)] = value
        ends[series_id] = end
    for series_id, end in ends.items():
        value, before = found[(series_id, end)], found.get((series_id, end - 12))
        out[series_id] = {
            "last_month": month_text(end),
            "last_value": value,
            "yoy": (value - before) / before if before else None,
        }
    return out

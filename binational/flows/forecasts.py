"""Stored forecasts of the flows module: forecast the series a viewer may see and store each with its
backtest, and read a series' newest one back.

Keyword-only, `session` and `actor` explicit, never committing; audited in the same transaction. The
series are chosen through `access.policy.visible_series`.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from binational.access.policy import Actor, require, visible_series
from binational.audit import log as audit
from binational.db import system_context, utcnow
from binational.errors import InvalidInput
from binational.flows.forecasting import month_text
from binational.flows.models import FlowForecast, FlowSeries, FlowValue
from binational.flows.service import chunks


def latest_forecast(session: Session, series: FlowSeries) -> FlowForecast | None:
    """The series' newest stored forecast."""
    return session.execute(
        select(FlowForecast).where(FlowForecast.series_id == series.id).order_by(FlowForecast.id.desc()).limit(1)
    ).scalar_one_or_none()


def forecast_view(forecast: FlowForecast | None) -> dict[str, Any] | None:
    """A stored forecast as rows per month, with its model and backtest."""
    if forecast is None:
        return None
    values = json.loads(forecast.values)
    return {
        "model": forecast.model,
        "backtest": json.loads(forecast.backtest),
        "shock_replaced": forecast.shock_replaced,
        "created_at": forecast.created_at.isoformat(),
        "months": [
            {
                "month": month_text(forecast.first_month + i),
                **{k: values[k][i] for k in ("mean", "lo80", "hi80", "lo95", "hi95")},
            }
            for i in range(len(values["mean"]))
        ],
    }


def chosen_series(*, session: Session, actor: Actor, indicator: str | None = None, dimension: str | None = None,
                  max_series: int | None = None) -> dict[int, FlowSeries]:
    """The series the actor may see (filtered), by id; more than `max_series` is InvalidInput."""
    query = select(FlowSeries).where(visible_series(actor, FlowSeries))
    if indicator:
        query = query.where(FlowSeries.indicator == indicator)
    if dimension:
        query = query.where(FlowSeries.dimension == dimension)
    chosen = {s.id: s for s in session.execute(query.order_by(FlowSeries.id)).scalars()}
    if max_series is not None and len(chosen) > max_series:
        raise InvalidInput(f"{len(chosen)} series chosen, more than the {max_series} one request may forecast; "
                           "narrow it by indicator and dimension, or run `binational flows forecast` on the node",
                           details=[{"field": "indicator", "count": len(chosen), "limit": max_series}])
    return chosen


def store_forecasts(
    *,
    session: Session,
    actor: Actor,
    horizon: int = 12,
    indicator: str | None = None,
    dimension: str | None = None,
    max_series: int | None = None,
    progress: Callable[[int, int], None] | None = None,
    stored: list[int] | None = None,
) -> dict[str, Any]:
    """Forecast every series the actor may see (filtered) from its history, and store each forecast with
    its backtest. Series too short to backtest are skipped and counted; returns what was done. More
    than `max_series` chosen series is InvalidInput, before anything is fitted or written."""
    from binational.flows import forecasting

    require(actor, "flows.forecast")
    chosen = chosen_series(session=session, actor=actor, indicator=indicator, dimension=dimension,
                           max_series=max_series)
    data: dict[str, dict[int, float]] = defaultdict(dict)
    for chunk in chunks(sorted(chosen), 500):
        for series_id, month, value in session.execute(
            select(FlowValue.series_id, FlowValue.month, FlowValue.value).where(FlowValue.series_id.in_(chunk))
        ):
            data[str(series_id)][month] = value
    need = forecasting.needed_months(horizon)
    usable = {k: v for k, v in data.items() if len(forecasting.regular(v)[1]) >= need}
    results = forecasting.forecast(usable, horizon=horizon, progress=progress) if usable else []
    now = utcnow()
    with system_context(session):  # forecasts are the node's computation over what the actor may see
        for f in results:
            session.add(
                FlowForecast(
                    series_id=int(f.series_id),
                    model=f.model,
                    backtest=json.dumps(f.backtest, sort_keys=True),
                    first_month=f.first_month,
                    shock_replaced=f.shock_replaced,
                    created_at=now,
                    values=json.dumps({"mean": f.mean, "lo80": f.lo80, "hi80": f.hi80, "lo95": f.lo95, "hi95": f.hi95}),
                )
            )
        session.flush()
    if stored is not None:  # the ids of the series forecast, for a background run's own record
        stored.extend(int(f.series_id) for f in results)
    summary = {
        "forecast": len(results),
        "skipped": len(chosen) - len(results),
        "months_needed": need,
        "horizon": horizon,
    }
    forecast_objects: list[tuple[str, str | None]] = [
        (f"flow-series:{int(f.series_id)}", chosen[int(f.series_id)].owner_agency) for f in results
    ]
    audit.record(
        session,
        action="flows.forecast",
        actor=actor,
        objects=forecast_objects[:200],
        extra=summary,
    )
    return summary

"""HTTP routes of the flows module: import a file, the series one may see, one series with its years,
year-over-year and forecast, its CSV export, stored forecasts, alerts and one's alert notices."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request, Response
from starlette.concurrency import run_in_threadpool

from binational.flows import alerts, exports, runs, service
from binational.flows import series as flow_series
from binational.routing import ActorDep, RowId, SessionDep

router = APIRouter(prefix="/flows", tags=["flows"])


@router.post(
    "/imports",
    status_code=201,
    openapi_extra={"requestBody": {"required": True, "content": {"text/csv": {"schema": {"type": "string"}}}}},
)
async def import_file(
    request: Request,
    s: SessionDep,
    actor: ActorDep,
    source: Annotated[
        str, Query(min_length=1, max_length=200, description="the file's name, in messages")
    ] = "upload.csv",
    distribution: Annotated[str, Query(max_length=16, description="agency or national (internal series)")] = "agency",
    marking: Annotated[str, Query(max_length=32, description="TLP marking of internal series")] = "TLP:AMBER",
) -> dict[str, Any]:
    """Import a CSV of a known format (the body): how many monthly values it added, replaced and left
    unchanged. A bad row (named with its line and column) imports nothing."""
    body = await request.body()

    def work() -> dict[str, Any]:
        return service.import_file(
            session=s, actor=actor, name=source, data=body, distribution=distribution, marking=marking
        ).as_dict()

    return await run_in_threadpool(work)


@router.get("/indicators")
def list_indicators(s: SessionDep, actor: ActorDep) -> list[dict[str, Any]]:
    """The indicators and dimensions of the series the caller may see, with how many series each."""
    return flow_series.indicators(session=s, actor=actor)


@router.get("/series")
def list_series(
    s: SessionDep,
    actor: ActorDep,
    indicator: Annotated[str | None, Query(max_length=120)] = None,
    dimension: Annotated[str | None, Query(max_length=40)] = None,
    limit: Annotated[int | None, Query(ge=1, le=1000)] = None,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
) -> dict[str, Any]:
    """One page of the series the caller may see, how many match, and the next page's cursor."""
    page, following, count = flow_series.list_series(
        session=s, actor=actor, indicator=indicator, dimension=dimension, limit=limit, cursor=cursor
    )
    return {"items": [flow_series.series_view(x) for x in page], "count": count, "next_cursor": following}


@router.get("/series/{series_id}")
def read_series(series_id: RowId, s: SessionDep, actor: ActorDep) -> dict[str, Any]:
    """A series: monthly values, calendar and fiscal years, year-over-year, its forecast and alerts."""
    return flow_series.read_series(session=s, actor=actor, series_id=series_id)


@router.get("/series/{series_id}/export", response_class=Response, responses={200: {"content": {"text/csv": {}}}})
def export_series(series_id: RowId, s: SessionDep, actor: ActorDep) -> Response:
    """The series' values and forecast as CSV: series,month,value,mean,lo80,hi80,lo95,hi95."""
    return Response(
        exports.export_csv(session=s, actor=actor, series_id=series_id),
        media_type="text/csv",
        headers={"Content-Disposition": f'attachment; filename="series-{series_id}.csv"'},
    )


@router.post("/forecasts", status_code=202)
def start_forecasts(
    s: SessionDep,
    actor: ActorDep,
    horizon: Annotated[int, Query(ge=1, le=24)] = 12,
    indicator: Annotated[str | None, Query(max_length=120)] = None,
    dimension: Annotated[str | None, Query(max_length=40)] = None,
) -> dict[str, Any]:
    """Forecast the series the caller may see (filtered), in the background: answers at once with the
    run, `running` (follow it at `/forecasts/{id}`); 422 past the most one request forecasts, 409
    while one of the caller's runs is running. Each forecast is stored with its backtest."""
    run = runs.start(session=s, actor=actor, horizon=horizon, indicator=indicator, dimension=dimension)
    runs.launch_after_commit(s, run.id)
    return runs.view(s, actor, run)


@router.get("/forecasts/{run_id}")
def read_forecasts(run_id: Annotated[str, Path(max_length=32)], s: SessionDep, actor: ActorDep) -> dict[str, Any]:
    """One's own forecast run: status, progress, summary and the series forecast one may see."""
    return runs.read(session=s, actor=actor, run_id=run_id)


@router.get("/alerts")
def list_alerts(
    s: SessionDep, actor: ActorDep, limit: Annotated[int, Query(ge=1, le=1000)] = 100
) -> list[dict[str, Any]]:
    """The newest alerts on the series the caller may see."""
    return alerts.list_alerts(session=s, actor=actor, limit=limit)


@router.post("/alerts/check")
def check_alerts(
    s: SessionDep, actor: ActorDep, indicator: Annotated[str | None, Query(max_length=120)] = None
) -> list[dict[str, Any]]:
    """Check the series the caller may see for new alerts; they are stored and told to subscribers."""
    return alerts.check(session=s, actor=actor, indicator=indicator)


@router.post("/subscriptions")
def subscribe(
    s: SessionDep, actor: ActorDep, indicator: Annotated[str, Query(min_length=1, max_length=120)]
) -> dict[str, Any]:
    """Subscribe oneself to the alerts of an indicator one may see."""
    return alerts.subscribe(session=s, actor=actor, indicator=indicator)


@router.get("/notices")
def list_notices(s: SessionDep, actor: ActorDep, unread: bool = False) -> list[dict[str, Any]]:
    """One's own alert notices, newest first."""
    return alerts.notices(session=s, actor=actor, unread_only=unread)


@router.post("/notices/read")
def read_notices(s: SessionDep, actor: ActorDep) -> dict[str, int]:
    """Mark one's own unread alert notices read; how many."""
    return {"marked": alerts.mark_read(session=s, actor=actor)}

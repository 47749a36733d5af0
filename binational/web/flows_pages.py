"""The flows pages: the dashboard of the series one may see (filters, a map of ports and sectors,
the newest alerts) and one series' page (Vega-Lite charts of its values with the forecast's fan and
its year-over-year change, CSV and PNG export, fiscal and calendar years)."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import HTMLResponse, Response

from binational.config import get_settings
from binational.errors import DomainError, InvalidInput
from binational.flows import alerts, exports, runs
from binational.flows import series as flow_series
from binational.flows.boundary import BOX, outlines
from binational.routing import RowId, SessionDep
from binational.web import i18n
from binational.web.render import PageActor, field_errors, redirect, render
from binational.web.sessions import check_csrf

router = APIRouter(dependencies=[Depends(check_csrf)], include_in_schema=False)
Filter = Annotated[str, Query(max_length=120)]
RunId = Annotated[str, Path(max_length=32)]
#: months of history the series chart shows before its forecast
SHOWN_MONTHS = 72
#: the dimensions the importers cut series by (each has words in the catalogs: flows.dim_*)
DIMENSIONS = (
    "total",
    "component",
    "region",
    "aor",
    "state",
    "demographic",
    "citizenship",
    "authority",
    "encounter_type",
    "land_filter",
    "drug",
    "port",
    "border",
    "crossing",
    "agency",
    "category",
)


def _chart(lang: str, data: dict[str, Any]) -> dict[str, Any]:
    """Vega-Lite: the monthly values, the forecast's mean and its 80 and 95 % bands."""
    rows: list[dict[str, Any]] = [
        {"month": v["month"], "value": v["value"], "kind": "actual"} for v in data["values"][-SHOWN_MONTHS:]
    ]
    forecast = (data["forecast"] or {}).get("months", [])
    actual, predicted = i18n.translate(lang, "flows.actual"), i18n.translate(lang, "flows.forecast")
    for row in rows:
        row["kind"] = actual
    for f in forecast:
        rows.append(
            {
                "month": f["month"],
                "value": f["mean"],
                "kind": predicted,
                "lo80": f["lo80"],
                "hi80": f["hi80"],
                "lo95": f["lo95"],
                "hi95": f["hi95"],
            }
        )
    x = {"field": "month", "type": "temporal", "title": i18n.translate(lang, "flows.month")}
    y_title = i18n.translate(lang, "flows.value")
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v6.json",
        "width": "container",
        "height": 260,
        "data": {"values": rows},
        "layer": [
            {
                "transform": [{"filter": "isValid(datum.lo95)"}],
                "mark": {"type": "area", "opacity": 0.18},
                "encoding": {
                    "x": x,
                    "y": {"field": "lo95", "type": "quantitative", "title": y_title},
                    "y2": {"field": "hi95"},
                },
            },
            {
                "transform": [{"filter": "isValid(datum.lo80)"}],
                "mark": {"type": "area", "opacity": 0.3},
                "encoding": {"x": x, "y": {"field": "lo80", "type": "quantitative"}, "y2": {"field": "hi80"}},
            },
            {
                "mark": {"type": "line", "point": False},
                "encoding": {
                    "x": x,
                    "y": {"field": "value", "type": "quantitative", "title": y_title},
                    "color": {"field": "kind", "type": "nominal", "title": None},
                    "strokeDash": {"field": "kind", "type": "nominal", "title": None},
                },
            },
        ],
    }


def _yoy_chart(lang: str, data: dict[str, Any]) -> dict[str, Any] | None:
    """Vega-Lite: the year-over-year change of the last three years' months, in percent."""
    rows = [
        {"month": r["month"], "change": round(100 * r["ratio"], 1)}
        for r in data["year_over_year"][-36:]
        if r["ratio"] is not None
    ]
    if not rows:
        return None
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v6.json",
        "width": "container",
        "height": 160,
        "data": {"values": rows},
        "mark": "bar",
        "encoding": {
            "x": {"field": "month", "type": "temporal", "title": i18n.translate(lang, "flows.month")},
            "y": {"field": "change", "type": "quantitative", "title": i18n.translate(lang, "flows.yoy_percent")},
            "color": {"condition": {"test": "datum.change < 0", "value": "#9a3412"}, "value": "#1d4ed8"},
        },
    }


def _map(lang: str, rows: list[dict[str, Any]]) -> dict[str, Any] | None:
    """Vega-Lite: the ports and crossings with coordinates, over the outlines of the two countries and
    their border (Natural Earth 1:110m, shipped as `flows/data/border-110m.geojson`) and a graticule
    of the region (no map tiles)."""
    points = [r for r in rows if r["latitude"] is not None and r["longitude"] is not None]
    if not points:
        return None
    data = [
        {"name": r["member"], "lat": r["latitude"], "lon": r["longitude"], "value": r["last_value"] or 0}
        for r in points
    ]
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v6.json",
        "width": "container",
        "height": 280,
        "projection": {"type": "mercator"},
        "layer": [
            {
                "data": {"graticule": {"extent": [list(BOX[:2]), list(BOX[2:])], "step": [2, 2]}},
                "mark": {"type": "geoshape", "filled": False, "aria": False, "stroke": "#e2e8f0", "strokeWidth": 0.5},
            },
            {
                "data": {"values": [f for f in outlines()["features"] if f["properties"]["kind"] == "country"]},
                "mark": {"type": "geoshape", "aria": False, "fill": "#f1f5f9", "stroke": "#64748b", "strokeWidth": 0.7},
            },
            {
                "data": {"values": [f for f in outlines()["features"] if f["properties"]["kind"] == "border"]},
                "mark": {"type": "geoshape", "filled": False, "aria": False, "stroke": "#b91c1c", "strokeWidth": 1.5},
            },
            {
                "data": {"values": data},
                "mark": {"type": "circle", "opacity": 0.8, "color": "#1d4ed8"},
                "encoding": {
                    "longitude": {"field": "lon", "type": "quantitative"},
                    "latitude": {"field": "lat", "type": "quantitative"},
                    "size": {
                        "field": "value",
                        "type": "quantitative",
                        "title": i18n.translate(lang, "flows.last_value"),
                    },
                },
            },
            {
                "data": {"values": data},
                "mark": {"type": "text", "dy": -10, "fontSize": 10},
                "encoding": {
                    "longitude": {"field": "lon", "type": "quantitative"},
                    "latitude": {"field": "lat", "type": "quantitative"},
                    "text": {"field": "name"},
                },
            },
        ],
    }


def _dashboard(
    request: Request,
    s: SessionDep,
    actor: PageActor,
    *,
    indicator: str,
    dimension: str,
    subscribed: bool = False,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> HTMLResponse:
    lang = i18n.language(request)
    choices = flow_series.indicators(session=s, actor=actor)
    page, _cursor, count = flow_series.list_series(
        session=s, actor=actor, indicator=indicator or None, dimension=dimension or None, limit=200
    )
    latest = flow_series.last_values(s, page)
    rows = [{**flow_series.series_view(x), **latest[x.id]} for x in page]
    return render(
        request,
        "flows/dashboard.html",
        status,
        rows=rows,
        count=count,
        indicator=indicator,
        dimension=dimension,
        indicators=sorted({c["indicator"] for c in choices}),
        dimensions=sorted({c["dimension"] for c in choices if not indicator or c["indicator"] == indicator}),
        map=_map(lang, rows),
        alerts=alerts.list_alerts(session=s, actor=actor, limit=20),
        subscribed=subscribed,
        errors=errors or {},
        dimension_labels={d: i18n.translate(lang, f"flows.dim_{d}") for d in DIMENSIONS},
        forecast_limit=get_settings().flows_forecast_max_series,
    )


@router.get("/flows", response_class=HTMLResponse)
def dashboard(
    request: Request,
    s: SessionDep,
    actor: PageActor,
    indicator: Filter = "",
    dimension: Filter = "",
    subscribed: bool = False,
) -> HTMLResponse:
    """The series the user may see, filtered by indicator and dimension, with a map and the alerts."""
    return _dashboard(request, s, actor, indicator=indicator, dimension=dimension, subscribed=subscribed)


@router.post("/flows/subscriptions", response_model=None)
async def subscribe(request: Request, s: SessionDep, actor: PageActor) -> Response:
    """Subscribe the user to the alerts of the indicator chosen; an indicator the user sees no series of
    is refused on the dashboard, as one that does not exist."""
    form = await request.form()
    indicator = str(form.get("indicator", ""))[:120]
    try:
        alerts.subscribe(session=s, actor=actor, indicator=indicator)
    except DomainError as exc:
        errors = field_errors(i18n.language(request), exc, "indicator")
        return _dashboard(request, s, actor, indicator=indicator, dimension="", errors=errors, status=422)
    return redirect("/flows?" + urlencode({"indicator": indicator, "subscribed": "true"}))


@router.post("/flows/forecasts", response_model=None)
async def start_forecasts(request: Request, s: SessionDep, actor: PageActor) -> Response:
    """Forecast the series shown in the background, then follow the run on its page; too many series, a
    run of one's own still running or a bad horizon is told on the dashboard."""
    form = await request.form()
    indicator = str(form.get("indicator", ""))[:120]
    dimension = str(form.get("dimension", ""))[:40]
    raw = str(form.get("horizon", "12")).strip()
    try:
        if not (raw.isascii() and raw.isdigit() and len(raw) <= 2 and 1 <= int(raw) <= 24):
            raise InvalidInput("the horizon is 1 to 24 months", details=[{"field": "forecast"}])
        run = runs.start(session=s, actor=actor, horizon=int(raw), indicator=indicator or None,
                         dimension=dimension or None)
    except DomainError as exc:
        errors = field_errors(i18n.language(request), exc, "forecast")
        errors.setdefault("forecast", next(iter(errors.values()), ""))
        return _dashboard(request, s, actor, indicator=indicator, dimension=dimension, errors=errors,
                          status=exc.status)
    runs.launch_after_commit(s, run.id)
    return redirect(f"/flows/forecasts/{run.id}")


@router.get("/flows/forecasts/{run_id}", response_class=HTMLResponse)
def forecast_run_page(request: Request, run_id: RunId, s: SessionDep, actor: PageActor) -> HTMLResponse:
    """One's own forecast run, its progress followed by htmx."""
    return render(request, "flows/forecast_run.html", run=runs.read(session=s, actor=actor, run_id=run_id))


@router.get("/flows/forecasts/{run_id}/progress", response_class=HTMLResponse)
def forecast_run_progress(request: Request, run_id: RunId, s: SessionDep, actor: PageActor) -> HTMLResponse:
    """The run's progress, the fragment the run's page polls every second while it runs."""
    return render(request, "flows/forecast_progress.html", run=runs.read(session=s, actor=actor, run_id=run_id))


@router.get("/flows/series/{series_id}", response_class=HTMLResponse)
def series_page(request: Request, series_id: RowId, s: SessionDep, actor: PageActor) -> HTMLResponse:
    """One series: its chart with the forecast's fan, year-over-year chart, years, alerts and exports."""
    lang = i18n.language(request)
    data = flow_series.read_series(session=s, actor=actor, series_id=series_id)
    return render(request, "flows/series.html", series=data, chart=_chart(lang, data), yoy=_yoy_chart(lang, data))


@router.get("/flows/series/{series_id}/export.csv")
def series_csv(series_id: RowId, s: SessionDep, actor: PageActor) -> Response:
    """The series' values and forecast as CSV (the chart's data)."""
    return Response(
        exports.export_csv(session=s, actor=actor, series_id=series_id),
        media_type="text/csv",
        headers={"Content-Disposition": f'attachment; filename="series-{series_id}.csv"'},
    )

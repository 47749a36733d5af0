"""`binational flows`: import monthly indicators, forecast them (from a file, no database needed),
check alerts, and read the series one may see."""

from __future__ import annotations

import csv
import json
import os
import shutil
import sys
from collections import defaultdict
from pathlib import Path
from typing import Annotated, Any

import typer

from binational.clitools import fail, output_file, progress_bar, work
from binational.errors import DomainError

app = typer.Typer(help="Migration, seizure and crossing indicators: import, forecast, alerts.", no_args_is_help=True)
AsUser = Annotated[str, typer.Option("--as", help="act as this user")]


def _read(path: Path) -> bytes:
    if not path.is_file():
        raise fail(f"{path}: no such file")
    return path.read_bytes()


def _bar(label: str) -> tuple[Any, Any]:
    bar = progress_bar(label)
    task = bar.add_task("", total=None)

    def report(done: int, total: int) -> None:
        bar.update(task, completed=done, total=total)

    return bar, report


@app.command("import")
def import_command(
    file: Annotated[Path, typer.Argument(help="a CSV file of a known format (docs/flows.md)")],
    as_user: AsUser,
    as_json: Annotated[bool, typer.Option("--json", help="print one JSON object")] = False,
    distribution: Annotated[str, typer.Option(help="agency | national (internal series only)")] = "agency",
    marking: Annotated[str, typer.Option(help="TLP marking of internal series")] = "TLP:AMBER",
) -> None:
    """Import FILE, its format detected; print how many monthly values it added, replaced and left unchanged."""
    from binational.flows import service

    data = _read(file)
    bar, report = _bar(f"importing {file.name}")
    with bar, work(as_user) as (session, actor):
        assert actor is not None
        result = service.import_file(
            session=session,
            actor=actor,
            name=file.name,
            data=data,
            distribution=distribution,
            marking=marking,
            progress=report,
        )
    if as_json:
        out = result.as_dict()
        typer.echo(json.dumps({k: out[k] for k in ("file", "format", "added", "replaced", "unchanged")}))
        return
    note = f"; replaced {result.replaced} values of the same months with this file's" if result.replaced else ""
    typer.echo(
        f"{result.file} ({result.format}, {result.rows} rows, {result.series} series): added {result.added}, "
        f"replaced {result.replaced}, unchanged {result.unchanged}{note}"
    )


def _long_csv(path: Path) -> dict[str, dict[int, float]]:
    """A long CSV `series_id,month,value` through the importer's own checks."""
    from binational.flows import formats

    parsed = formats.parse(path.name, _read(path))
    if parsed.format != "long":
        raise DomainError(f"{path.name}: a {parsed.format} file; forecast reads the long CSV series_id,month,value")
    data: dict[str, dict[int, float]] = defaultdict(dict)
    for (series_id, month), value in parsed.values.items():
        data[series_id][month] = value
    return dict(data)


@app.command("forecast")
def forecast_command(
    file: Annotated[
        Path | None,
        typer.Argument(help="long CSV series_id,month,value; omit to forecast the database's series (--as)"),
    ] = None,
    horizon: Annotated[int, typer.Option(help="months ahead, 1 to 24")] = 12,
    out: Annotated[
        Path | None, typer.Option(help="write series_id,month,mean,lo80,hi80,lo95,hi95 here (default: standard output)")
    ] = None,
    models: Annotated[
        str | None,
        typer.Option(
            help="candidates, comma-separated (e.g. AutoETS,AutoTheta,AutoETS+AutoTheta); default: the standard set"
        ),
    ] = None,
    as_user: Annotated[str | None, typer.Option("--as", help="store forecasts of the series this user may see")] = None,
    indicator: Annotated[str | None, typer.Option(help="with --as: only this indicator")] = None,
    spark: Annotated[bool, typer.Option(help="fit on Spark (local mode) through statsforecast's backend")] = False,
    windows: Annotated[int, typer.Option(help="backtest origins per series, 1 to 3 (fewer: faster)")] = 3,
    hierarchy: Annotated[
        Path | None,
        typer.Option(help="CSV parent,child: each parent series is the sum of its children; forecasts made to add up"),
    ] = None,
) -> None:
    """Forecast every series H months past its last month, each by the candidate its backtest chose."""
    from binational.flows import forecasting

    if file is None:
        if as_user is None:
            raise fail("give a long CSV file, or --as USER to forecast the database's series")
        from binational.flows import forecasts

        bar, report = _bar("forecasting")
        with bar, work(as_user) as (session, actor):
            assert actor is not None
            summary = forecasts.store_forecasts(
                session=session, actor=actor, horizon=horizon, indicator=indicator, progress=report
            )
        typer.echo(json.dumps(summary))
        return
    try:
        data = _long_csv(file)
        tree = _hierarchy(hierarchy) if hierarchy is not None else {}
        candidates = tuple(m.strip() for m in models.split(",")) if models else forecasting.DEFAULT_CANDIDATES
        forecasting.check_candidates(candidates)
        if not 1 <= horizon <= 24:
            raise DomainError("--horizon: 1 to 24 months")
        if not 1 <= windows <= 3:
            raise DomainError("--windows: 1 to 3")
        engine = _spark() if spark else None
        bar, report = _bar(f"forecasting {len(data)} series")
        with bar:
            results = forecasting.forecast(data, horizon=horizon, candidates=candidates, engine=engine,
                                           windows=windows, combine=min(3, len(candidates)), progress=report)
        results = forecasting.reconcile(results, tree)
    except DomainError as exc:
        raise fail(exc.message) from None
    with output_file(out, newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["series_id", "month", "mean", "lo80", "hi80", "lo95", "hi95"])
        for result in results:
            for row in result.rows():
                writer.writerow([row[0], row[1], *(f"{v:.4f}" for v in row[2:])])
    if out is not None:
        chosen: dict[str, int] = defaultdict(int)
        for result in results:
            chosen[result.model] += 1
        typer.echo(
            f"wrote {sum(len(r.mean) for r in results)} rows for {len(results)} series to {out}; "
            f"models chosen: " + ", ".join(f"{m} {n}" for m, n in sorted(chosen.items(), key=lambda kv: -kv[1]))
        )


def _hierarchy(path: Path) -> dict[str, list[str]]:
    """A hierarchy CSV `parent,child` (one row per child) as parent -> children."""
    lines = _read(path).decode("utf-8-sig").splitlines()
    rows = list(csv.reader(lines))
    if not rows or [c.strip().lower() for c in rows[0]] != ["parent", "child"]:
        raise DomainError(f"{path.name}: line 1: the header must be parent,child")
    tree: dict[str, list[str]] = defaultdict(list)
    for number, row in enumerate(rows[1:], start=2):
        if len(row) != 2 or not row[0].strip() or not row[1].strip():
            raise DomainError(f"{path.name}: line {number}: two fields, parent and child, are needed")
        tree[row[0].strip()].append(row[1].strip())
    return dict(tree)


def _spark() -> Any:
    """A local Spark session (pyspark and java must be present)."""
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise DomainError("--spark needs pyspark (pip install pyspark)") from None
    if shutil.which("java") is None:
        raise DomainError("--spark needs Java (apt-get install openjdk-17-jre-headless)")
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)  # Spark's workers run this Python, with its packages
    return (
        SparkSession.builder.master("local[2]")
        .appName("binational-flows")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .getOrCreate()
    )


@app.command("alerts")
def alerts_command(
    as_user: AsUser,
    indicator: Annotated[str | None, typer.Option(help="only this indicator")] = None,
    subscribe: Annotated[str | None, typer.Option(help="subscribe yourself to this indicator's alerts instead")] = None,
) -> None:
    """Check the series the user may see for new alerts (outside the forecast's 95 % interval, or a
    year-over-year change beyond the threshold), tell subscribers, and print the new alerts as JSON lines."""
    from binational.flows import alerts

    with work(as_user) as (session, actor):
        assert actor is not None
        if subscribe is not None:
            typer.echo(json.dumps(alerts.subscribe(session=session, actor=actor, indicator=subscribe)))
            return
        found = alerts.check(session=session, actor=actor, indicator=indicator)
    sent = alerts.post_webhook(found)
    for alert in found:
        typer.echo(json.dumps(alert, ensure_ascii=False))
    typer.echo(f"{len(found)} new alerts" + (f", {sent} posted to the webhook" if sent else ""), err=True)


@app.command("list")
def list_command(
    as_user: AsUser,
    indicator: Annotated[str | None, typer.Option(help="only this indicator")] = None,
    dimension: Annotated[str | None, typer.Option(help="only this dimension (total, aor, port ...)")] = None,
    limit: Annotated[int, typer.Option(help="at most this many")] = 100,
) -> None:
    """The series the user may see, as JSON lines."""
    from binational.flows import series

    with work(as_user) as (session, actor):
        assert actor is not None
        page, _cursor, count = series.list_series(
            session=session, actor=actor, indicator=indicator, dimension=dimension, limit=limit
        )
        rows = [series.series_view(s) for s in page]
    for row in rows:
        typer.echo(json.dumps(row, ensure_ascii=False))
    typer.echo(f"{len(rows)} of {count} series", err=True)


@app.command("show")
def show_command(series_id: Annotated[int, typer.Argument(help="the series' id")], as_user: AsUser) -> None:
    """One series the user may see: values, years, year-over-year, forecast and alerts, as JSON."""
    from binational.flows import series

    with work(as_user) as (session, actor):
        assert actor is not None
        data = series.read_series(session=session, actor=actor, series_id=series_id)
    typer.echo(json.dumps(data, ensure_ascii=False, indent=1))

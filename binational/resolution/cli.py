"""`binational resolution`: run resolution over the database, or link two FtM files without it."""

from __future__ import annotations

import csv
import json
import time
from pathlib import Path
from typing import Annotated

import typer

from binational.clitools import database, fail, progress_bar, work
from binational.errors import DomainError
from binational.resolution import linkfiles, runs, service, worker

app = typer.Typer(help="Cross-agency entity resolution (Splink).", no_args_is_help=True)
POLL_SECONDS = 0.5
Engine = Annotated[str, typer.Option("--engine", help="duckdb (default) or spark")]


@app.command("run")
def run_command(
    engine: Engine = "duckdb",
    kind: Annotated[list[str] | None, typer.Option("--kind", help="person, organisation, address, vehicle")] = None,
    as_user: Annotated[str | None, typer.Option("--as", help="an administrator (default: the node operator)")] = None,
) -> None:
    """Resolve every agency's records against each other, as the system; store suggestions.

    The run is recorded first (its id is printed at once), then worked here with a progress bar;
    interrupting the command marks the run failed."""
    with work(as_user) as (session, actor):
        run_id = runs.start(session=session, actor=actor, engine=engine, kinds=kind or None).id
    typer.echo(f"run {run_id} started", err=True)
    with progress_bar("resolving") as bar:
        task = bar.add_task("resolve", total=None)

        def report(step: str, done: int, total: int) -> None:
            bar.update(task, description=step, completed=done, total=total)

        worker.execute(database(), run_id, progress=report)
    _print_run(run_id)


@app.command("watch")
def watch_command(
    run_id: Annotated[str | None, typer.Argument(help="a run's id (default: the running run, else the latest)")] = None,
) -> None:
    """Follow a run started elsewhere (the page, the API) with a progress bar until it ends."""
    with progress_bar("resolving") as bar:
        task = bar.add_task("resolve", total=None)
        while True:
            with work() as (session, _actor):
                found = service.read_run(session=session, actor=None, run_id=run_id, current=True)
            if found is None:
                raise fail(f"no run {run_id!r}" if run_id else "resolution has not run yet")
            run_id = found.id
            if found.progress is not None:
                bar.update(task, description=found.progress.step or found.status, completed=found.progress.done,
                           total=found.progress.total or None)
            if found.status != "running":
                break
            time.sleep(POLL_SECONDS)
    _print_run(run_id)


def _print_run(run_id: str) -> None:
    with work() as (session, _actor):
        result = service.read_run(session=session, actor=None, run_id=run_id)
    assert result is not None
    typer.echo(f"run {result.id} {result.status}: {result.message}")
    for name, info in (result.summary or {}).items():
        typer.echo(f"  {name}: {json.dumps(info, sort_keys=True)}")
    if result.status == "failed":
        raise typer.Exit(code=1)


@app.command("link")
def link_command(
    left: Annotated[Path, typer.Argument(help="FtM JSON lines (one entity per line)")],
    right: Annotated[Path, typer.Argument(help="FtM JSON lines to link against LEFT")],
    out: Annotated[Path, typer.Option("--out", help="CSV to write: left_id,right_id,score,decision")],
    engine: Engine = "duckdb",
    threshold: Annotated[float | None, typer.Option(help="match probability for decision=match")] = None,
) -> None:
    """Link two files of FtM entities without the database (a model trained on the two files)."""
    for path in (left, right):
        if not path.is_file():
            raise fail(f"{path}: no such file")
    try:
        rows = linkfiles.link(left, right, engine=engine, threshold=threshold)
    except DomainError as exc:
        raise fail(exc.message) from None
    tmp = out.with_suffix(out.suffix + ".part")
    with tmp.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["left_id", "right_id", "score", "decision"])
        writer.writerows(rows)
    tmp.replace(out)
    typer.echo(f"wrote {len(rows)} pairs to {out}")

"""`binational resolution`: run resolution over the database, or link two FtM files without it."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Annotated

import typer

from binational.clitools import fail, progress_bar, work
from binational.errors import DomainError
from binational.resolution import linkfiles, runs

app = typer.Typer(help="Cross-agency entity resolution (Splink).", no_args_is_help=True)
Engine = Annotated[str, typer.Option("--engine", help="duckdb (default) or spark")]


@app.command("run")
def run_command(
    engine: Engine = "duckdb",
    kind: Annotated[list[str] | None, typer.Option("--kind", help="person, organisation, address, vehicle")] = None,
    as_user: Annotated[str | None, typer.Option("--as", help="an administrator (default: the node operator)")] = None,
) -> None:
    """Resolve every agency's records against each other, as the system; store suggestions."""
    with work(as_user) as (session, actor), progress_bar("resolving") as bar:
        task = bar.add_task("resolve", total=None)

        def report(step: str, done: int, total: int) -> None:
            bar.update(task, description=step, completed=done, total=total)

        result = runs.run(session=session, actor=actor, engine=engine, kinds=kind or None, progress=report)
    typer.echo(f"run {result.id} {result.status}: {result.message}")
    for name, info in (result.summary or {}).items():
        typer.echo(f"  {name}: {json.dumps(info, sort_keys=True)}")


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

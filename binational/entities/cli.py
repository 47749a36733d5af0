"""`binational entities`: import and export FollowTheMoney JSON lines."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from binational.clitools import fail, progress_bar, work
from binational.entities import transfer
from binational.errors import DomainError

app = typer.Typer(help="Import and export FollowTheMoney entities.", no_args_is_help=True)
AsUser = Annotated[str, typer.Option("--as", help="act as this user")]


@app.command("import")
def import_entities(
    file: Annotated[Path, typer.Argument(help="FtM JSON lines, one entity per line")],
    as_user: AsUser,
    distribution: Annotated[str, typer.Option(help="agency | national | release")] = "agency",
    marking: Annotated[str, typer.Option(help="TLP marking")] = "TLP:AMBER",
    release_to: Annotated[list[str] | None, typer.Option("--release-to", help="partner agency (repeat)")] = None,
) -> None:
    """Import a file as the user's agency: every line is checked first; one bad line imports nothing."""
    if not file.is_file():
        raise fail(f"{file}: no such file")
    try:
        with file.open("rb") as fh:
            lines = transfer.read_lines(fh, file.name)
    except DomainError as exc:
        raise fail(exc.message) from None
    policy = transfer.ImportPolicy(distribution=distribution, marking=marking, release_to=tuple(release_to or ()))
    with work(as_user) as (session, actor), progress_bar("importing") as bar:
        assert actor is not None
        task = bar.add_task("import", total=len(lines))
        count = transfer.import_lines(session=session, actor=actor, lines=lines, source=file.name, default=policy,
                                      progress=lambda n: bar.advance(task, n))
    typer.echo(f"imported {count} entities from {file}")


@app.command("export")
def export_entities(
    as_user: AsUser,
    out: Annotated[Path | None, typer.Option(help="file to write (default: standard output)")] = None,
    schema: Annotated[str | None, typer.Option(help="only this schema")] = None,
) -> None:
    """Export the entities the user may see, as FtM JSON lines of the values it may see."""
    tmp = out.with_suffix(out.suffix + ".part") if out is not None else None
    try:
        with work(as_user) as (session, actor):
            assert actor is not None
            if tmp is None:
                count = transfer.write_export(session=session, actor=actor, out=sys.stdout, schema=schema)
            else:
                with tmp.open("w", encoding="utf-8") as fh:
                    count = transfer.write_export(session=session, actor=actor, out=fh, schema=schema)
    except BaseException:
        if tmp is not None:
            tmp.unlink(missing_ok=True)  # nothing is half-written
        raise
    if tmp is not None and out is not None:
        tmp.replace(out)  # only once the export and its audit entry are committed
    typer.echo(f"exported {count} entities", err=True)

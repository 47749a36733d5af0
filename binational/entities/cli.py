"""`binational entities`: import and export FollowTheMoney JSON lines; show one entity as a profile."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from binational.clitools import fail, output_file, progress_bar, work
from binational.entities import transfer
from binational.errors import DomainError

app = typer.Typer(help="Import, export, search and watch FollowTheMoney entities; one as a profile.",
                  no_args_is_help=True)
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
    with output_file(out) as handle, work(as_user) as (session, actor):
        assert actor is not None
        count = transfer.write_export(session=session, actor=actor, out=handle, schema=schema)
    typer.echo(f"exported {count} entities", err=True)


@app.command("profile")
def show_profile(
    entity_id: Annotated[str, typer.Argument(help="the entity's id")],
    as_user: AsUser,
    as_json: Annotated[bool, typer.Option("--json", help="print the API's JSON instead of text")] = False,
) -> None:
    """One entity as the user may see it: its values, the records around it by kind, its timeline and places."""
    import orjson  # here, not at the top: the CLI starts without what its other commands do not need

    from binational.entities import profile

    with work(as_user) as (session, actor):
        assert actor is not None
        found = profile.read(session=session, actor=actor, entity_id=entity_id)
    if as_json:
        typer.echo(orjson.dumps(found, option=orjson.OPT_UTC_Z | orjson.OPT_INDENT_2).decode())
        return
    entity = found.entity
    typer.echo(f"{entity.caption} ({entity.schema}, {entity.owner_agency}, {entity.marking})")
    for fact in profile.facts(entity):
        for value in fact.values:
            typer.echo(f"  {fact.label}: {value.value}  [{value.agency}]")
    for group in found.groups:
        typer.echo(f"{group.label} ({group.count})")
        for item in group.items:
            role = f" — {item.role}" if item.role else ""
            typer.echo(f"  {item.caption}{role}  [{item.owner_agency}] {item.id}")
    if found.timeline:
        typer.echo("Timeline")
        for moment in found.timeline:
            typer.echo(f"  {moment.date}  {moment.label}" + (f"  {moment.entity_id}" if moment.entity_id else ""))
    if found.places:
        typer.echo("Places")
        for place in found.places:
            typer.echo(f"  {place.latitude}, {place.longitude}  {place.caption}")

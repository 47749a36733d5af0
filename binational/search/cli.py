"""`binational entities search`: the ranked search, from the command line."""

from __future__ import annotations

from typing import Annotated

import typer

from binational.clitools import work
from binational.search import service, watchlists


def search(
    q: Annotated[str, typer.Argument(help="a name, alias or identifier, misspelt or not, in any order")],
    as_user: Annotated[str, typer.Option("--as", help="act as this user")],
    schema: Annotated[str | None, typer.Option(help="only this schema")] = None,
    agency: Annotated[str | None, typer.Option(help="only records of this agency")] = None,
    sort: Annotated[str, typer.Option(help="relevance | newest | oldest")] = "relevance",
    limit: Annotated[int, typer.Option(help="how many results to print")] = 20,
) -> None:
    """Search the entities the user may see by name, alias or identifier, best first."""
    with work(as_user) as (session, actor):
        assert actor is not None
        page = service.search(session=session, actor=actor, q=q, sort=sort, limit=limit,
                              filters=service.Filters(schema=schema, agency=agency))
    for entity in page.items:
        score = page.scores[entity.id]
        typer.echo(f"{score:.2f}  {entity.id}  {entity.schema}  {entity.owner_agency}  {entity.caption}")
    typer.echo(f"{page.total} result{'' if page.total == 1 else 's'}")


def watch() -> None:
    """Run every watched saved search as its user and notify the records that newly answer it (for cron)."""
    with work() as (session, _actor):
        told = watchlists.check(session=session)
    typer.echo(f"{told} new match{'' if told == 1 else 'es'} notified")



def _entities_group() -> typer.Typer:
    """`binational entities`: the entities' own commands with `search` and `watch` beside them (the
    entities module sits below search, so search adds its commands to that group)."""
    from binational.entities import cli as entities_cli

    entities_cli.app.command("search")(search)
    entities_cli.app.command("watch")(watch)
    return entities_cli.app


#: the group the root command loads for `binational entities`
entities_app = _entities_group()

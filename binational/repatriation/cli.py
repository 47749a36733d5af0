"""`binational repatriation`: arrangements, movements, the planning board, the offline planner, imports
of the official series, statistics. Bad input is one line on stderr and exit 2, with nothing written."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer
from sqlalchemy.orm import Session

from binational.access.policy import Actor
from binational.clitools import fail, progress_bar, work
from binational.errors import DomainError
from binational.repatriation import board, convoys, manifest, offline, service, statistics, world
from binational.repatriation import imports as importers
from binational.search import models as _saved_searches  # noqa: F401 - a notification's table refers to theirs

app = typer.Typer(help="Repatriation: arrangements, movements, manifests, the planner, official series, statistics.",
                  no_args_is_help=True)
AsUser = Annotated[str, typer.Option("--as", help="act as this user")]


def _print(data: Any) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False, indent=1, default=str))


def _date(value: str, name: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise fail(f"--{name}: {value!r} is not a date (YYYY-MM-DD)") from None


@app.command()
def plan(
    people: Annotated[Path, typer.Option("--people", help="PEOPLE.csv of people who passed every gate")],
    slots: Annotated[Path, typer.Option("--slots", help="SLOTS.csv of accepted slots")],
    out: Annotated[Path, typer.Option("--out", help="PLAN.csv to write: person_id,slot_id")],
    quotas: Annotated[Path | None, typer.Option("--quotas", help="QUOTAS.csv: country,mode,per_week,unit")] = None,
    first_seconds: Annotated[float, typer.Option(help="time box of the first stage")] = 5.0,
    second_seconds: Annotated[float, typer.Option(help="time box of the second stage")] = 30.0,
) -> None:
    """Plan offline on files (no database): the most priority weight moved, then the fewest slots."""
    with progress_bar("planning") as bar:
        task = bar.add_task("planning", total=None)
        try:
            result = offline.write_plan(people, slots, out, quotas=quotas, first_seconds=first_seconds,
                                        second_seconds=second_seconds,
                                        progress=lambda line: bar.update(task, description=line[:60]))
        except DomainError as exc:
            raise fail(exc.message) from None
    _print({"placed": len(result.assignments), "out": str(out),
            "first": {"status": result.first.status, "objective": result.first.objective,
                      "bound": result.first.bound, "gap": result.first.gap},
            "second": {"status": result.second.status, "objective": result.second.objective,
                       "bound": result.second.bound, "gap": result.second.gap}})


@app.command()
def arrangements(as_user: AsUser) -> None:
    """The local arrangements of the user's agency (shipped defaults are marked as assumptions)."""
    with work(as_user) as (session, actor):
        assert actor is not None
        found = service.list_arrangements(session=session, actor=actor)
    _print(found)


@app.command()
def movements(
    as_user: AsUser,
    role: Annotated[str | None, typer.Option(help="sender, receiver or consulate")] = None,
    state: Annotated[str | None, typer.Option(help="only movements in this state")] = None,
) -> None:
    """The movements the user's agency sends, receives or verifies, by date."""
    with work(as_user) as (session, actor):
        assert actor is not None
        found = service.list_movements(session=session, actor=actor, role=role, state=state)
    _print(found)


@app.command()
def show(movement_id: Annotated[str, typer.Argument(help="movement id")], as_user: AsUser) -> None:
    """One movement with its manifest, as the user's agency may see it."""
    with work(as_user) as (session, actor):
        assert actor is not None
        found = service.read(session=session, actor=actor, movement_id=movement_id)
    _print(found)


@app.command("board")
def planning_board(
    arrangement: Annotated[str, typer.Option(help="the arrangement to plan")],
    date_from: Annotated[str, typer.Option("--from", help="first day, YYYY-MM-DD")],
    date_to: Annotated[str, typer.Option("--to", help="last day, YYYY-MM-DD")],
    as_user: AsUser,
    first_seconds: Annotated[float, typer.Option(help="time box of the first stage")] = 5.0,
    second_seconds: Annotated[float, typer.Option(help="time box of the second stage")] = 10.0,
) -> None:
    """The planning board: every gate first, then the planner over the accepted movements of the period."""
    start, end = _date(date_from, "from"), _date(date_to, "to")
    with progress_bar("planning board") as bar, work(as_user) as (session, actor):
        assert actor is not None
        task = bar.add_task("gates and planner", total=None)
        result = board.plan_board(session=session, actor=actor, arrangement=arrangement, date_from=start,
                                  date_to=end, first_seconds=first_seconds, second_seconds=second_seconds,
                                  progress=lambda line: bar.update(task, description=line[:60]))
    _print(result)


@app.command()
def lock(movement_id: Annotated[str, typer.Argument(help="movement id")], as_user: AsUser) -> None:
    """Lock a manifest; refused (exit 2) naming each person and gate that fails (the results are kept)."""
    with work(as_user) as (session, actor):
        assert actor is not None
        outcome = manifest.lock(session=session, actor=actor, movement_id=movement_id)
    if not outcome["locked"]:
        first = outcome["failures"][0]
        raise fail(f"the manifest is not locked: {first['name']} (line {first['line_no']}) fails {first['gate']}"
                   + (f" and {len(outcome['failures']) - 1} more" if len(outcome["failures"]) > 1 else ""))
    _print(outcome)


@app.command()
def convoy(
    movement_id: Annotated[str, typer.Argument(help="movement id (an accepted land hand-over)")],
    as_user: AsUser,
    buses: Annotated[int, typer.Option(help="buses available")],
    seats: Annotated[int, typer.Option(help="seats a bus")],
    depart_hour: Annotated[int, typer.Option(help="the earliest hour a bus leaves its garage")] = 0,
) -> None:
    """Route the buses of a land movement from the detention facilities to the port within its window."""
    with progress_bar("convoy") as bar, work(as_user) as (session, actor):
        assert actor is not None
        task = bar.add_task("routing", total=None)
        result = convoys.convoy_for(session=session, actor=actor, movement_id=movement_id, buses=buses,
                                    seats=seats, depart_hour=depart_hour)
        bar.update(task, completed=1, total=1)
    _print(result)


@app.command("import")
def import_series(
    kind: Annotated[str, typer.Argument(help="khsm (a DHS repatriations sheet as CSV) or ice-air (per-flight)")],
    path: Annotated[Path, typer.Argument(help="the CSV file")],
    as_user: AsUser,
) -> None:
    """Import an official series: every row checked first; a bad row is named and nothing imported."""
    with progress_bar(f"import {path.name}") as bar, work(as_user) as (session, actor):
        assert actor is not None
        task = bar.add_task("rows", total=None)
        result = importers.import_series(session=session, actor=actor, kind=kind, path=path,
                                         progress=lambda done, total: bar.update(task, completed=done, total=total))
    _print(result)


@app.command("statistics")
def stats(
    as_user: AsUser,
    date_from: Annotated[str | None, typer.Option("--from", help="first day")] = None,
    date_to: Annotated[str | None, typer.Option("--to", help="last day")] = None,
    series: Annotated[str | None, typer.Option(help="an imported official series instead")] = None,
) -> None:
    """Statistics of the user's agency's movements, or the totals of an official series."""
    start = _date(date_from, "from") if date_from else None
    end = _date(date_to, "to") if date_to else None
    with work(as_user) as (session, actor):
        assert actor is not None
        if series:
            found: Any = statistics.official_series(session=session, actor=actor, series=series)
        else:
            found = statistics.statistics(session=session, actor=actor, date_from=start, date_to=end)
    _print(found)


def _monday(value: str | None) -> date:
    if value is None:
        return world.monday_for(date.today())
    day = _date(value, "monday")
    if day.weekday() != 0:
        raise fail(f"--monday: {value} is not a Monday")
    return day


@app.command()
def load(
    folder: Annotated[Path, typer.Argument(help="a folder written by `binational scenario generate`")],
    as_user: AsUser,
    monday: Annotated[str | None, typer.Option(help="the Monday of the week (default: the next one far enough)")]
    = None,
) -> None:
    """Open the scenario's case files and propose its week of movements, as the sending agency's user."""
    week = _monday(monday)
    with progress_bar("repatriation load") as bar, work(as_user) as (session, actor):
        assert actor is not None
        task = bar.add_task("case files and movements", total=None)
        result = world.load(session=session, actor=actor, folder=folder, monday=week)
        bar.update(task, completed=1, total=1)
    _print({**result, "monday": week.isoformat()})


@contextmanager
def _as(username: str) -> Iterator[tuple[Session, Actor]]:
    with work(username) as (session, actor):
        assert actor is not None
        yield session, actor


@app.command()
def play(
    sender: Annotated[str, typer.Option(help="a user of the sending agency")] = "ice_supervisor",
    receiver: Annotated[str, typer.Option(help="a user of the receiving agency who may answer")] = "inm_supervisor",
    consulate: Annotated[str, typer.Option(help="a user of the consulate who may answer")] = "sre_supervisor",
    monday: Annotated[str | None, typer.Option(help="the Monday of the loaded week")] = None,
) -> None:
    """The demo's week on a loaded node: accept and counter, plan, verify, lock, board, depart, receive."""
    week = _monday(monday)
    with progress_bar("the week of returns") as bar:
        task = bar.add_task("steps", total=6)
        result = world.play(_as, sender=sender, receiver=receiver, consulate=consulate, monday=week,
                            tell=lambda line: bar.update(task, advance=1, description=line[:60]))
    _print(result)

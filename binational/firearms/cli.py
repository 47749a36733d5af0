"""`binational firearms`: import records, send traces (one or a CSV batch), work the tracing queue,
confirm candidates, read leads, and rank candidates offline from two CSV files."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import ValidationError

from binational.clitools import fail, progress_bar, work
from binational.errors import DomainError

app = typer.Typer(help="Firearms tracing: records, trace requests, the tracing queue, leads, offline candidates.",
                  no_args_is_help=True)
AsUser = Annotated[str, typer.Option("--as", help="act as this user")]


def _tables() -> None:
    """Every table of the platform mapped: a trace's request notifies users, whose notifications name
    saved searches (their models must be known before the first query)."""
    import binational.models  # noqa: F401


def _print(data: Any) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False, indent=1, default=str))


def _text(file: Path) -> str:
    if not file.is_file():
        raise fail(f"{file}: no such file")
    try:
        return file.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise fail(f"{file}: not UTF-8 text") from None


@app.command("import")
def import_records(
    kind: Annotated[str, typer.Argument(help="sales | multiple-sales | recoveries")],
    file: Annotated[Path, typer.Argument(help="CSV file with a header line")],
    as_user: AsUser,
    distribution: Annotated[str, typer.Option(help="agency | national")] = "agency",
    marking: Annotated[str, typer.Option(help="TLP marking of every record")] = "TLP:AMBER",
) -> None:
    """Import records as your agency: all of the file, or (the bad line named) nothing."""
    from binational.firearms import records

    text = _text(file)
    _tables()
    with work(as_user) as (session, actor), progress_bar("importing") as bar:
        assert actor is not None
        task = bar.add_task("import", total=None)
        count = records.import_csv(session=session, actor=actor, kind=kind, text=text, distribution=distribution,
                                   marking=marking, progress=lambda n, total: bar.update(task, completed=n,
                                                                                         total=total))
    typer.echo(f"imported {count} {kind} records")


trace_app = typer.Typer(help="Send trace requests to US-ATF: one, or a CSV batch.", no_args_is_help=True)
app.add_typer(trace_app, name="trace")


@trace_app.command("submit")
def trace_submit(
    as_user: AsUser,
    serial: Annotated[str, typer.Option(help="Part V 5a, ? for an unreadable character")],
    manufacturer: Annotated[str, typer.Option(help="Part V 5c")],
    model: Annotated[str, typer.Option(help="Part V 5f")],
    caliber: Annotated[str, typer.Option(help="Part V 5e")],
    weapon_type: Annotated[str, typer.Option("--type", help="Part V 5d: pistol, revolver, rifle ...")],
    crime_code: Annotated[str, typer.Option(help="NCIC crime code")],
    officer: Annotated[str, typer.Option(help="requesting officer")],
    recovery_place: Annotated[str, typer.Option(help="where it was recovered")],
    recovered_on: Annotated[str, typer.Option(help="day of the recovery, YYYY-MM-DD")],
    recovery_state: Annotated[str, typer.Option(help="Mexican state of the recovery")] = "",
    possessor: Annotated[str, typer.Option(help="the possessor's name")] = "",
    priority: Annotated[str, typer.Option(help="urgent (24 hours) | routine (5 days)")] = "routine",
    obliterated: Annotated[bool, typer.Option(help="the serial was obliterated")] = False,
    recovery: Annotated[str, typer.Option(help="your agency's number of the recovered firearm (recovery_id)")] = "",
) -> None:
    """Send one trace request; prints the trace."""
    from binational.firearms import service
    from binational.firearms.schemas import TraceCreate

    try:
        day = date.fromisoformat(recovered_on)
    except ValueError:
        raise fail(f"--recovered-on: {recovered_on!r} is not a date (YYYY-MM-DD)") from None
    try:
        data = TraceCreate(serial=serial, manufacturer=manufacturer, model=model, caliber=caliber,
                           weapon_type=weapon_type, crime_code=crime_code, officer=officer,
                           recovery_place=recovery_place, recovered_on=day, recovery_state=recovery_state,
                           possessor=possessor, priority=priority, obliterated=obliterated, recovery=recovery)
    except ValidationError as exc:
        err = exc.errors()[0]
        option = "--type" if err["loc"][0] == "weapon_type" else f"--{str(err['loc'][0]).replace('_', '-')}"
        raise fail(f"{option}: {err['msg']}") from None
    _tables()
    with work(as_user) as (session, actor):
        assert actor is not None
        view = service.views(session, actor, [service.submit_trace(session=session, actor=actor, data=data)])[0]
    _print(view)


@trace_app.command("batch")
def trace_batch(
    file: Annotated[Path, typer.Argument(help="CSV of traces (header: the fields of a trace)")],
    as_user: AsUser,
) -> None:
    """Send a CSV batch of traces: one bad line sends none."""
    from binational.firearms import service

    text = _text(file)
    _tables()
    with work(as_user) as (session, actor), progress_bar("sending") as bar:
        assert actor is not None
        task = bar.add_task("send", total=None)
        traces = service.submit_batch(session=session, actor=actor, text=text,
                                      progress=lambda n, total: bar.update(task, completed=n, total=total))
    typer.echo(f"submitted {len(traces)} traces")


@app.command()
def traces(
    as_user: AsUser,
    box: Annotated[str, typer.Option(help="outbox (sent) | queue (to trace)")] = "outbox",
    status: Annotated[str | None, typer.Option(help="submitted | candidates | resolved | no_match | closed")] = None,
    trace_id: Annotated[str | None, typer.Option("--id", help="show this trace only")] = None,
    limit: Annotated[int | None, typer.Option(help="page size")] = None,
    cursor: Annotated[str | None, typer.Option(help="from the previous page")] = None,
) -> None:
    """List your agency's traces (or show one) as JSON."""
    from binational.firearms import service

    _tables()
    with work(as_user) as (session, actor):
        assert actor is not None
        if trace_id:
            _print(service.read_trace(session=session, actor=actor, trace_id=trace_id))
        else:
            _print(service.list_traces(session=session, actor=actor, box=box, status=status, limit=limit,
                                       cursor=cursor)[0])


recoveries_app = typer.Typer(help="The recovered firearms you may see, with the traces sent for them.",
                             no_args_is_help=True)
app.add_typer(recoveries_app, name="recoveries")


@recoveries_app.command("list")
def recoveries_list(
    as_user: AsUser,
    limit: Annotated[int | None, typer.Option(help="page size")] = None,
    cursor: Annotated[str | None, typer.Option(help="from the previous page")] = None,
) -> None:
    """List the recovered firearms you may see, newest imported first, with how many traces you may see
    were sent for each (JSON; the next page's cursor on stderr)."""
    from binational.firearms import service

    _tables()
    with work(as_user) as (session, actor):
        assert actor is not None
        items, next_cursor = service.list_recoveries(session=session, actor=actor, limit=limit, cursor=cursor)
    _print(items)
    if next_cursor:
        typer.echo(f"next page: --cursor {next_cursor}", err=True)


@recoveries_app.command("show")
def recoveries_show(
    recovery_id: Annotated[str, typer.Argument(help="the recovery's id (as the list shows it)")],
    as_user: AsUser,
) -> None:
    """Show one recovered firearm with the traces sent for it that you may see (JSON)."""
    from binational.errors import InvalidInput
    from binational.firearms import service
    from binational.text_input import forbidden_character

    _tables()
    with work(as_user) as (session, actor):
        assert actor is not None
        # as the API's request guard does: PostgreSQL cannot even compare a text holding a NUL
        if reason := forbidden_character(recovery_id):
            raise InvalidInput(f"the recovery's id {reason}", details=[{"field": "recovery_id"}])
        _print(service.read_recovery(session=session, actor=actor, recovery_id=recovery_id))


@app.command()
def queue(
    as_user: AsUser,
    resolve: Annotated[bool, typer.Option(help="resolve the submitted traces first")] = False,
) -> None:
    """The tracing queue: resolve it (exact matches answered, candidates for the rest) and list what waits."""
    from binational.firearms import service

    _tables()
    with work(as_user) as (session, actor):
        assert actor is not None
        if resolve:
            with progress_bar("resolving") as bar:
                task = bar.add_task("resolve", total=None)
                done = service.resolve_queue(session=session, actor=actor,
                                             progress=lambda n, total: bar.update(task, completed=n, total=total))
            typer.echo(f"resolved {done['resolved']}, candidates {done['candidates']}, no match {done['no_match']}, "
                       f"closed {done['closed']}",
                       err=True)
        _print(service.list_traces(session=session, actor=actor, box="queue", status="candidates")[0])


@app.command()
def confirm(
    trace_id: Annotated[str, typer.Argument(help="the trace")],
    sale_id: Annotated[str, typer.Argument(help="the candidate record confirmed")],
    as_user: AsUser,
) -> None:
    """Confirm a candidate record of a trace: the trace is answered and its result released."""
    from binational.firearms import service

    _tables()
    with work(as_user) as (session, actor):
        assert actor is not None
        _print(service.confirm(session=session, actor=actor, trace_id=trace_id, sale_id=sale_id))


@app.command()
def leads(as_user: AsUser) -> None:
    """Time-to-crime, sources, corridors and straw-purchase signals of the traces you may see (JSON)."""
    from binational.firearms import leads as found

    _tables()
    with work(as_user) as (session, actor):
        assert actor is not None
        _print(found.leads(session=session, actor=actor))


@app.command()
def candidates(
    records: Annotated[Path, typer.Option(help="RECORDS.csv: record_id,manufacturer,model,caliber,weapon_type,serial")],
    traces: Annotated[Path, typer.Option(help="TRACES.csv: trace_id,manufacturer,model,caliber,weapon_type,serial")],
    out: Annotated[Path, typer.Option(help="OUT.csv: trace_id,record_id,rank,score")],
    top: Annotated[int, typer.Option(help="at most this many candidates a trace")] = 10,
) -> None:
    """Rank candidate records for each trace, without a database."""
    from binational.firearms import offline

    if top < 1:
        raise fail("--top: at least 1")
    for path in (records, traces):
        if not path.is_file():
            raise fail(f"{path}: no such file")
    try:
        with progress_bar("ranking", quiet=1.0) as bar:
            task = bar.add_task("rank", total=None)
            rows = offline.write_candidates(records, traces, top=top, out=out,
                                            progress=lambda n, total: bar.update(task, completed=n, total=total))
    except DomainError as exc:
        raise fail(exc.message) from None
    typer.echo(f"wrote {rows} candidates to {out}", err=True)

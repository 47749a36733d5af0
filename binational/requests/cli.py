"""`binational discovery` (hit/no-hit on a CSV of selectors) and `binational requests` (the workflow)."""

from __future__ import annotations

import csv
import json
import sys
from datetime import datetime
from pathlib import Path
from typing import IO, Annotated, Any

import typer

from binational.clitools import fail, progress_bar, work
from binational.requests import discovery, notices, notifications, service
from binational.requests.selector_lines import Line, read_lines
from binational.requests.types import TYPES

discovery_app = typer.Typer(help="Hit/no-hit search on selectors across every agency.", no_args_is_help=True)
app = typer.Typer(help="Requests between agencies: send, answer, inbox and outbox.", no_args_is_help=True)
AsUser = Annotated[str, typer.Option("--as", help="act as this user")]
CHUNK = 250


def _read_selectors(file: Path) -> list[Line]:
    """The selectors of a CSV file, header optional, as the discovery page reads them; the first bad line
    is one line on stderr and exit 2, before anything is searched."""
    if not file.is_file():
        raise fail(f"{file}: no such file")
    try:
        lines, errors = read_lines(file.read_text(encoding="utf-8-sig"))
    except UnicodeDecodeError:
        raise fail(f"{file}: not UTF-8 text") from None
    except csv.Error as exc:
        raise fail(f"{file}: not CSV ({exc})") from None
    if errors:
        number, message = errors[0]
        rest = len(errors) - 1
        more = f" ({rest} more bad line{'s' if rest > 1 else ''} after it)" if rest else ""
        raise fail(f"{file} line {number}: {message}{more}; nothing checked")
    if not lines:
        raise fail(f"{file}: no selectors")
    return lines


@discovery_app.command("check")
def check(
    file: Annotated[Path, typer.Argument(help="CSV lines type,value[,birth_date][,country], header optional")],
    as_user: AsUser,
    out: Annotated[Path | None, typer.Option(help="write JSON lines here (default: standard output)")] = None,
) -> None:
    """Check a batch of selectors: full matches you may see, bare hits (with hit_refs) of the others."""
    lines = _read_selectors(file)
    results: list[dict[str, Any]] = []
    with work(as_user) as (session, actor), progress_bar("checking") as bar:
        assert actor is not None
        task = bar.add_task("check", total=len(lines))
        for start in range(0, len(lines), CHUNK):
            chunk = lines[start : start + CHUNK]
            found = discovery.search(session=session, actor=actor, selectors=[line.selector for line in chunk])
            for line, result in zip(chunk, found, strict=True):
                result["index"] += start
                result["line"] = line.number
                results.append(result)
            bar.advance(task, len(chunk))
    _write_lines(results, out)
    seen = sum(1 for r in results if r["matches"])
    held = sum(1 for r in results if r["hits"])
    typer.echo(f"checked {len(results)} selectors: {seen} with matches you may see, {held} held by agencies "
               "you may ask (see hit_ref)", err=True)


@discovery_app.command("notices")
def list_notices(as_user: AsUser, limit: Annotated[int, typer.Option(help="how many, newest first")] = 50) -> None:
    """Deconfliction and sweep notices left for your agency (supervisors, liaisons and auditors)."""
    with work(as_user) as (session, actor):
        assert actor is not None
        items, _cursor = notices.list_notices(session=session, actor=actor, limit=limit)
    _write_lines(items, None)


def _write_lines(items: list[dict[str, Any]], out: Path | None) -> None:
    def dump(fh: IO[str]) -> None:
        for item in items:
            fh.write(json.dumps(item, default=str, ensure_ascii=False) + "\n")

    if out is None:
        dump(sys.stdout)
        return
    tmp = out.with_suffix(out.suffix + ".part")
    with tmp.open("w", encoding="utf-8") as fh:
        dump(fh)
    tmp.replace(out)


def _due(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        due = datetime.fromisoformat(value)
    except ValueError:
        raise fail(f"--due {value!r} is not an ISO date and time (e.g. 2030-01-31T17:00:00+00:00)") from None
    if due.tzinfo is None:
        raise fail(f"--due {value!r} needs a time zone (e.g. +00:00)")
    return due


def _echo(view: dict[str, Any]) -> None:
    typer.echo(json.dumps(view, default=str, ensure_ascii=False, indent=2))


@app.command("send")
def send(
    as_user: AsUser,
    to: Annotated[str, typer.Option("--to", help="the receiving agency, e.g. US-ATF")],
    question: Annotated[str, typer.Option(help="what you ask")],
    type_: Annotated[str, typer.Option("--type", help="request type (see `requests types`)")] = "information",
    hit_ref: Annotated[list[str] | None, typer.Option("--hit-ref", help="a hit_ref from discovery (repeat)")] = None,
    entity: Annotated[list[str] | None, typer.Option("--entity", help="an entity you may see (repeat)")] = None,
    due: Annotated[str | None, typer.Option(help="ISO time with zone; default from the type")] = None,
    marking: Annotated[str, typer.Option(help="TLP marking of the request")] = "TLP:AMBER",
    subject: Annotated[str | None, typer.Option(help="one line for the boxes; default: the question's first line")]
    = None,
) -> None:
    """Send a request to another agency."""
    when = _due(due)
    with work(as_user) as (session, actor):
        assert actor is not None
        request = service.submit(session=session, actor=actor, type=type_, to_agency=to, question=question,
                                 hit_refs=hit_ref or [], entity_ids=entity or [], due=when, marking=marking,
                                 subject=subject)
        view = service.view(session, actor, request)
    _echo(view)


@app.command("list")
def list_requests(
    as_user: AsUser,
    box: Annotated[str, typer.Option(help="inbox or outbox")] = "inbox",
    state: Annotated[str | None, typer.Option(help="only this state")] = None,
    overdue: Annotated[bool, typer.Option("--overdue", help="only open requests past due")] = False,
) -> None:
    """Your agency's inbox or outbox, newest first (one line each)."""
    with work(as_user) as (session, actor):
        assert actor is not None
        items, cursor = service.list_requests(session=session, actor=actor, box=box, state=state, overdue=overdue,
                                              limit=500)
    for item in items:
        flag = "  OVERDUE" if item["overdue"] else ""
        due = f"{item['due_at']:%Y-%m-%d %H:%M}"
        asked = ", ".join(f"{sel['kind']} {sel['value']}" if sel["value"] else sel["kind"] for sel in item["selectors"])
        typer.echo(f"{item['id']}  {item['type']:<12} {item['other_agency']:<8} {item['state']:<12} due {due}{flag}"
                   f"  {item['subject']}" + (f"  [{asked}]" if asked else ""))
    if cursor:
        typer.echo("(more: narrow with --state or --overdue)", err=True)


@app.command("show")
def show(request_id: str, as_user: AsUser) -> None:
    """One request, with its history."""
    with work(as_user) as (session, actor):
        assert actor is not None
        view = service.read(session=session, actor=actor, request_id=request_id)
    _echo(view)


def _transition(name: str, help_text: str) -> None:
    def command(request_id: str, as_user: AsUser,
                note: Annotated[str | None, typer.Option(help="a note with the change")] = None) -> None:
        with work(as_user) as (session, actor):
            assert actor is not None
            request = getattr(service, name)(session=session, actor=actor, request_id=request_id, note=note)
            view = service.view(session, actor, request)
        typer.echo(f"{view['id']} {view['state']}")

    command.__doc__ = help_text
    app.command(name)(command)


_transition("acknowledge", "Acknowledge a request to your agency.")
_transition("decline", "Decline a request to your agency.")
_transition("withdraw", "Withdraw an open request your agency sent.")


@app.command("answer")
def answer(
    request_id: str,
    as_user: AsUser,
    entity: Annotated[list[str], typer.Option("--entity", help="an entity of your agency to release (repeat)")],
    note: Annotated[str | None, typer.Option(help="a note with the answer")] = None,
) -> None:
    """Answer a request to your agency by releasing entities of yours to the sender."""
    with work(as_user) as (session, actor):
        assert actor is not None
        request = service.answer(session=session, actor=actor, request_id=request_id, entity_ids=entity, note=note)
    typer.echo(f"{request.id} answered: released {len(set(entity))} entities to {request.from_agency}")


@app.command("types")
def types() -> None:
    """The registered request types."""
    for t in sorted(TYPES.values(), key=lambda t: t.name):
        hours = t.default_due.total_seconds() / 3600
        typer.echo(f"{t.name:<16} {hours:>6g} h  {', '.join(sorted(t.answer_roles)):<20} {t.label_en} / {t.label_es}")


@app.command("notifications")
def list_notifications(
    as_user: AsUser,
    unread: Annotated[bool, typer.Option("--unread", help="only unread")] = False,
    mark_read: Annotated[bool, typer.Option("--mark-read", help="mark the listed ones read")] = False,
    mark_all_read: Annotated[bool, typer.Option("--mark-all-read", help="mark every unread one read")] = False,
) -> None:
    """Your notifications about requests, newest first."""
    with work(as_user) as (session, actor):
        assert actor is not None
        items, count, _cursor = notifications.list_notifications(session=session, actor=actor, unread_only=unread,
                                                                 limit=500)
        if mark_read:
            for item in items:
                notifications.mark_read(session=session, actor=actor, notification_id=item["id"])
        if mark_all_read:
            notifications.mark_all_read(session=session, actor=actor)
    for item in items:
        mark = " " if item["read_at"] else "*"
        subject = (f"{item['request_id']}  {item['from_agency']} -> {item['to_agency']}  {item['state']}"
                   if item["request_id"] else f"{item['entity_id']}  (saved search {item['saved_search_id']})")
        typer.echo(f"{mark} {item['created_at']:%Y-%m-%d %H:%M}  {item['kind']:<22} {subject}")
    typer.echo(f"{count} unread", err=True)

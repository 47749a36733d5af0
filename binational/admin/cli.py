"""`binational agencies | users | tokens | audit`: the node operator's commands."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy.exc import SQLAlchemyError

from binational.access import service as access
from binational.admin import service, witness_cli
from binational.audit import checkpoints, export
from binational.audit import log as audit_log
from binational.audit import service as audit_service
from binational.audit.service import EntryFilter
from binational.audit.verify import verify
from binational.clitools import database, database_failed, fail, output_file, progress_bar, work
from binational.db import act_as_system
from binational.entities import integrity
from binational.errors import DomainError

agencies = typer.Typer(help="Register and list agencies.", no_args_is_help=True)
users = typer.Typer(help="Create and list users, and end their web sessions.", no_args_is_help=True)
tokens = typer.Typer(help="Issue and revoke API tokens.", no_args_is_help=True)
grants = typer.Typer(help="Approve or reject grants waiting for a second administrator.", no_args_is_help=True)
audit = typer.Typer(help="Verify the audit log, see who read a record, export an auditor's view.",
                    no_args_is_help=True)
console = Console()


@agencies.command("add")
def agencies_add(
    code: str,
    country: Annotated[str, typer.Option(help="ISO 3166-1 alpha-2, e.g. US or MX")],
    name: Annotated[str, typer.Option(help="full name")],
) -> None:
    """Register an agency of a country."""
    with work() as (session, _):
        agency = service.add_agency(session=session, actor=None, code=code, country=country, name=name)
    typer.echo(f"agency {agency.code} ({agency.country}) added")


@agencies.command("list")
def agencies_list() -> None:
    """List agencies."""
    with work() as (session, _):
        table = Table("code", "country", "name")
        for a in access.list_agencies(session=session):
            table.add_row(a.code, a.country, a.name)
    console.print(table)


@users.command("add")
def users_add(
    username: str,
    agency: Annotated[str, typer.Option(help="agency code, e.g. US-CBP")],
    role: Annotated[list[str], typer.Option(help="analyst, supervisor, liaison, auditor, admin or node_admin "
                                                 "(repeat)")],
    clearance: Annotated[str, typer.Option(help="highest TLP marking the user may see")] = "TLP:AMBER",
    password_stdin: Annotated[bool, typer.Option("--password-stdin", help="read a password from stdin")] = False,
    email: Annotated[str | None, typer.Option(help="address that notifications are mailed to (with smtp_host)")]
    = None,
) -> None:
    """Create a user of an agency."""
    password = sys.stdin.readline().rstrip("\n") if password_stdin else None
    with work() as (session, _):
        user = service.add_user(session=session, actor=None, username=username, agency=agency, roles=role,
                                clearance=clearance, password=password, email=email)
    typer.echo(f"user {user.username} of {user.agency} added")


@users.command("list")
def users_list(agency: Annotated[str | None, typer.Option(help="only this agency")] = None) -> None:
    """List users."""
    with work() as (session, _):
        table = Table("username", "agency", "roles", "clearance", "active")
        for u in access.list_users(session=session, agency=agency):
            table.add_row(u.username, u.agency, ", ".join(u.role_list), u.clearance, "yes" if u.active else "no")
    console.print(table)


@users.command("end-sessions")
def users_end_sessions(username: str) -> None:
    """End every web session of a user (its browsers must sign in again)."""
    with work() as (session, _):
        ended = service.end_sessions(session=session, actor=None, username=username)
    typer.echo(f"{len(ended)} web session(s) of {username} ended")


@tokens.command("create")
def tokens_create(
    username: str,
    expires_days: Annotated[int | None, typer.Option(help="lifetime in days (default token_days, at most "
                                                          "token_max_days)")] = None,
) -> None:
    """Issue a token; the secret is printed alone on the last line, once."""
    with work() as (session, _):
        row, secret = service.create_token(session=session, actor=None, username=username, days=expires_days)
    typer.echo(f"token {row.id} for {username}, expires {row.expires_at.date().isoformat()}")
    typer.echo(secret)


@tokens.command("revoke")
def tokens_revoke(token_id: str) -> None:
    """Revoke a token by its id."""
    with work() as (session, _):
        row = service.revoke_token(session=session, actor=None, token_id=token_id)
    typer.echo(f"token {row.id} revoked")


@grants.command("list")
def grants_list() -> None:
    """List the grants (the auditor role, TLP:RED) waiting for a second administrator."""
    with work() as (session, _):
        act_as_system(session)  # the operator sees every agency's
        table = Table("id", "user", "agency", "roles", "clearance", "asked")
        for grant, username in service.list_grants(session=session, actor=None):
            table.add_row(str(grant.id), username, grant.agency, grant.roles.replace(",", ", "), grant.clearance,
                          grant.created_at.date().isoformat())
    console.print(table)


def _decide(grant_id: int, approve: bool, as_user: str | None) -> None:
    with work(as_user) as (session, actor):
        if actor is None:
            act_as_system(session)
        grant = service.decide_grant(session=session, actor=actor, grant_id=grant_id, approve=approve)
    typer.echo(f"grant {grant.id} {grant.state}")


AS_ADMIN = Annotated[str | None, typer.Option("--as", help="decide as this administrator (default: the node "
                                                          "operator)")]


@grants.command("approve")
def grants_approve(grant_id: int, as_user: AS_ADMIN = None) -> None:
    """Approve a pending grant: its user receives the roles and clearance."""
    _decide(grant_id, True, as_user)


@grants.command("reject")
def grants_reject(grant_id: int, as_user: AS_ADMIN = None) -> None:
    """Reject a pending grant."""
    _decide(grant_id, False, as_user)


@audit.command("verify")
def audit_verify(
    witness: Annotated[list[Path] | None, typer.Option(
        "--witness", help="a witness file (`binational audit witness cosign`): fail on a cut-back or fork (repeat)")]
    = None,
) -> None:
    """Recompute every hash and signature, check every statement against the writes the log names, and
    each witness file's cosigned checkpoints against the log; exit 1 naming the first problem (2 for a
    missing or unreadable key or witness file)."""
    db = database()
    files = [(path, _read_witness_file(path)) for path in witness or []]
    try:
        with db.unit_of_work() as session:  # entries still queued by a server join the log first
            audit_log.drain(session, db.settings)
        with db.unit_of_work() as session, progress_bar("verifying") as bar:
            act_as_system(session)
            task = bar.add_task("verify", total=None)
            written = integrity.Collector()
            result = verify(session, db.settings, observe=written.entry,
                            progress=lambda done, total: bar.update(task, completed=done, total=total))
            statements = integrity.check(session, written) if result.ok else None
            problems = [(path, checkpoints.check_witnessed(session, db.settings, data, result.size))
                        for path, data in files] if result.ok else []
    except DomainError as exc:
        raise fail(exc.message) from None
    except SQLAlchemyError as exc:
        raise database_failed(exc) from None
    if not result.ok:
        typer.echo(f"FAILED at entry {result.first_bad}: {result.problem}", err=True)
        raise typer.Exit(code=1)
    if statements is not None:
        where = "" if statements[0] is None else f" at statement {statements[0]}"
        typer.echo(f"FAILED{where}: {statements[1]}", err=True)
        raise typer.Exit(code=1)
    for path, problem in problems:
        if problem is not None:
            typer.echo(f"FAILED against witness file {path}: {problem}", err=True)
            raise typer.Exit(code=1)
    witnessed = f", {len(files)} witness files agree" if files else ""
    typer.echo(f"ok: {result.size} entries, root {result.root}, {result.checkpoints} signed checkpoints{witnessed}")


def _read_witness_file(path: Path) -> str:
    try:
        return path.read_text()
    except (OSError, UnicodeDecodeError) as exc:
        raise fail(f"cannot read witness file {path}: {getattr(exc, 'strerror', None) or exc}") from None


@audit.command("who-saw")
def audit_who_saw(entity_id: str) -> None:
    """List every read of one record."""
    with work() as (session, _):
        items, _cursor = audit_service.who_saw(session=session, actor=None, object_id=entity_id)
        table = Table("seq", "time", "actor", "agency", "action")
        for e in items:
            table.add_row(str(e["seq"]), e["time"], e["actor"], e["agency"] or "", e["action"])
    if not items:
        raise fail(f"no reads of {entity_id!r} in the audit log")
    console.print(table)


def _day(text: str | None, name: str) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise fail(f"--{name} {text!r} is not a date (YYYY-MM-DD); nothing exported") from None


@audit.command("export")
def audit_export(
    as_user: Annotated[str, typer.Option("--as", help="an auditor: the export holds what its agency may read")],
    format: Annotated[str, typer.Option(help="csv or jsonl")] = "jsonl",  # noqa: A002
    out: Annotated[Path | None, typer.Option(help="file to write (default: standard output)")] = None,
    user: Annotated[str | None, typer.Option(help="only entries of this username")] = None,
    action: Annotated[str | None, typer.Option(help="only this action")] = None,
    record: Annotated[str | None, typer.Option(help="only entries naming this record")] = None,
    since: Annotated[str | None, typer.Option(help="first day (UTC), YYYY-MM-DD")] = None,
    until: Annotated[str | None, typer.Option(help="last day (UTC), YYYY-MM-DD, included")] = None,
) -> None:
    """Export the audit entries an auditor may read, filtered, newest first (audited; at most
    `audit_export_max_rows`)."""
    where = EntryFilter(action=action, user=user, object_id=record, since=_day(since, "since"),
                        until=_day(until, "until"))
    with output_file(out, newline="") as handle, work(as_user) as (session, actor):
        assert actor is not None
        plan = export.plan(session=session, actor=actor, where=where, format=format)
        handle.writelines(export.lines(plan, export.rows(session, actor, plan)))
    typer.echo(f"exported {plan.count} audit entries", err=True)


witness_cli.register(audit)

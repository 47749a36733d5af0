"""`binational agencies | users | tokens | audit`: the node operator's commands."""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy.exc import SQLAlchemyError

from binational.access import service as access
from binational.admin import service
from binational.audit import log as audit_log
from binational.audit import service as audit_service
from binational.audit.scope import act_as_system
from binational.audit.verify import verify
from binational.clitools import database, database_failed, fail, progress_bar, work
from binational.errors import DomainError

agencies = typer.Typer(help="Register and list agencies.", no_args_is_help=True)
users = typer.Typer(help="Create and list users.", no_args_is_help=True)
tokens = typer.Typer(help="Issue and revoke API tokens.", no_args_is_help=True)
grants = typer.Typer(help="Approve or reject grants waiting for a second administrator.", no_args_is_help=True)
audit = typer.Typer(help="Verify the audit log and see who read a record.", no_args_is_help=True)
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
) -> None:
    """Create a user of an agency."""
    password = sys.stdin.readline().rstrip("\n") if password_stdin else None
    with work() as (session, _):
        user = service.add_user(session=session, actor=None, username=username, agency=agency, roles=role,
                                clearance=clearance, password=password)
    typer.echo(f"user {user.username} of {user.agency} added")


@users.command("list")
def users_list(agency: Annotated[str | None, typer.Option(help="only this agency")] = None) -> None:
    """List users."""
    with work() as (session, _):
        table = Table("username", "agency", "roles", "clearance", "active")
        for u in access.list_users(session=session, agency=agency):
            table.add_row(u.username, u.agency, ", ".join(u.role_list), u.clearance, "yes" if u.active else "no")
    console.print(table)


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
def audit_verify() -> None:
    """Recompute every hash and signature; exit 1 naming the first entry that does not match (2 for a
    missing or unreadable key)."""
    db = database()
    try:
        with db.unit_of_work() as session:  # entries still queued by a server join the log first
            audit_log.drain(session, db.settings)
        with db.unit_of_work() as session, progress_bar("verifying") as bar:
            act_as_system(session)
            task = bar.add_task("verify", total=None)
            result = verify(session, db.settings, progress=lambda done, total: bar.update(task, completed=done,
                                                                                         total=total))
    except DomainError as exc:
        raise fail(exc.message) from None
    except SQLAlchemyError as exc:
        raise database_failed(exc) from None
    if result.ok:
        typer.echo(f"ok: {result.size} entries, root {result.root}, {result.checkpoints} signed checkpoints")
        return
    typer.echo(f"FAILED at entry {result.first_bad}: {result.problem}", err=True)
    raise typer.Exit(code=1)


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


def register(app: typer.Typer) -> None:
    """Add these command groups to the main command."""
    app.add_typer(agencies, name="agencies")
    app.add_typer(users, name="users")
    app.add_typer(tokens, name="tokens")
    app.add_typer(grants, name="grants")
    app.add_typer(audit, name="audit")

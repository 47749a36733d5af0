"""What every command shares: the node's database, acting as a user, progress bars, one-line errors."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from binational.access import service as access
from binational.access.policy import Actor
from binational.audit.scope import unit_of_work
from binational.config import get_settings
from binational.db import Database, act_as, act_as_system
from binational.errors import DomainError

_db: Database | None = None


def database() -> Database:
    """The node's database (one per process)."""
    global _db
    if _db is None:
        _db = Database(get_settings())
    return _db


def reset_database() -> None:
    """Forget the cached database (settings changed, as in tests and `demo`)."""
    global _db
    if _db is not None:
        _db.dispose()
    _db = None


def fail(message: str) -> typer.Exit:
    """Print one line to stderr and give the exit to raise (code 2)."""
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code=2)


@contextmanager
def work(as_user: str | None = None) -> Iterator[tuple[Session, Actor | None]]:
    """A unit of work acting as `as_user` (or as the node operator); domain errors exit 2."""
    try:
        with unit_of_work(database()) as session:
            act_as_system(session)  # the node operator, until a user is named
            actor = None
            if as_user is not None:
                try:
                    user = access.get_user(session=session, username=as_user)
                except DomainError:
                    raise DomainError(f"unknown user {as_user!r}") from None
                actor = access.actor_for(session=session, user=user)
                act_as(session, actor)
            yield session, actor
    except DomainError as exc:
        raise fail(exc.message) from None
    except SQLAlchemyError as exc:
        raise database_failed(exc) from None


def database_failed(exc: SQLAlchemyError) -> typer.Exit:
    """Print the database's own first line of complaint (unreachable, not initialised ...) to stderr
    and give the exit to raise (code 1: the command was right, the database was not there for it)."""
    cause = getattr(exc, "orig", None) or exc
    first = (str(cause).strip().splitlines() or [type(cause).__name__])[0]
    typer.echo(f"error: database: {first}", err=True)
    return typer.Exit(code=1)


def progress_bar(label: str) -> Progress:
    """A progress bar on stderr (quiet when stderr is not a terminal)."""
    return Progress(
        TextColumn(label), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
        disable=not sys.stderr.isatty(), transient=False,
    )

"""What every command shares: the node's database, acting as a user, progress bars, one-line errors."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from binational.access import service as access
from binational.access.policy import Actor
from binational.audit.scope import unit_of_work
from binational.config import Settings, get_settings
from binational.db import Database, act_as, act_as_system
from binational.errors import DomainError
from binational.progress_lines import ProgressLines
from binational.schema import not_ready

_db: Database | None = None
#: PostgreSQL's SQLSTATE for a database that does not exist (invalid_catalog_name)
MISSING_DATABASE = "3D000"
#: where `binational demo` keeps its database, audit key and secret (relative to the repository root)
DEMO_FOLDER = Path("demo")


def _missing_database(exc: SQLAlchemyError, name: str | None) -> bool:
    """Whether the server refused the connection because the database `name` does not exist (psycopg
    gives no SQLSTATE for an error while connecting: then the server's message tells)."""
    cause = getattr(exc, "orig", None)
    return getattr(cause, "sqlstate", None) == MISSING_DATABASE or f'database "{name}" does not exist' in str(cause)


def use_folder(folder: Path) -> None:
    """Point this process's settings at the node kept in `folder` (as `binational demo` lays it out)."""
    os.environ["BINATIONAL_DATABASE_URL"] = f"sqlite:///{(folder / 'binational.db').resolve()}"
    os.environ["BINATIONAL_AUDIT_KEY_PATH"] = str((folder / "audit.key").resolve())
    os.environ["BINATIONAL_SECRET_KEY_PATH"] = str((folder / "secret.key").resolve())
    get_settings.cache_clear()


def _demo_instead(settings: Settings) -> bool:
    """Whether to use the demo's node: no database was named, there is none at the default place, and
    the current folder holds the demo's (a command run from the repository root after `make demo`)."""
    default = Settings.model_fields["database_url"].default
    return ("BINATIONAL_DATABASE_URL" not in os.environ and settings.database_url == default
            and not Path(make_url(default).database or "").exists()
            and (DEMO_FOLDER / "binational.db").is_file())


def database(*, ready: bool = True) -> Database:
    """The node's database (one per process). With `ready` (every command but `init` and `demo`): the
    demo's when no other is named and the current folder holds it; and one that is missing or not
    migrated is one line on stderr and exit 2 (an empty ./binational.db is never created)."""
    global _db
    if _db is None:
        settings = get_settings()
        if ready and _demo_instead(settings):
            use_folder(DEMO_FOLDER)
            settings = get_settings()
            typer.echo(f"using the demo's database {DEMO_FOLDER / 'binational.db'} "
                       "(set BINATIONAL_DATABASE_URL to use another)", err=True)
        db = Database(settings)
        if ready:
            try:
                problem = not_ready(db.engine)
            except SQLAlchemyError as exc:
                db.dispose()
                if _missing_database(exc, db.engine.url.database):
                    raise fail(f"no database {db.engine.url.database!r} on {db.engine.url.host}: create it, then "
                               "run `binational init`") from None
                raise database_failed(exc) from None
            if problem is not None:
                db.dispose()
                raise fail(problem)
        _db = db
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


def progress_bar(label: str, *, quiet: float = 10.0) -> Progress | ProgressLines:
    """A progress bar on stderr; where stderr is not a terminal (a log), progress lines instead, once
    the work has gone on for `quiet` seconds."""
    if not sys.stderr.isatty():
        return ProgressLines(label, quiet=quiet)
    return Progress(TextColumn(label), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(), transient=False)


@contextmanager
def output_file(out: Path | None, *, newline: str | None = None) -> Iterator[TextIO]:
    """Standard output, or a file written beside `out` and put in its place only when the block ends
    without an error: opened before `work`, it is in place once the export and its audit entry are
    committed, and a failure leaves nothing half-written."""
    if out is None:
        yield sys.stdout
        return
    tmp = out.with_suffix(out.suffix + ".part")
    try:
        with tmp.open("w", encoding="utf-8", newline=newline) as handle:
            yield handle
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    tmp.replace(out)

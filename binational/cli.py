"""The `binational` command: set up a node, serve it, and one sub-command per module."""

from __future__ import annotations

import os
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError

from binational.admin import cli as admin_cli
from binational.clitools import database, fail, reset_database
from binational.config import MissingSecret, get_settings
from binational.entities import cli as entities_cli
from binational.networks import cli as networks_cli
from binational.requests import cli as requests_cli
from binational.resolution import cli as resolution_cli
from binational.scenario import cli as scenario_cli
from binational.schema import upgrade
from binational.search import cli as search_cli

app = typer.Typer(help="binational: information sharing under control between partner agencies.",
                  no_args_is_help=True, pretty_exceptions_enable=False)
admin_cli.register(app)
entities_cli.app.command("search")(search_cli.search)
entities_cli.app.command("watch")(search_cli.watch)
app.add_typer(entities_cli.app, name="entities")
app.add_typer(requests_cli.app, name="requests")
app.add_typer(requests_cli.discovery_app, name="discovery")
app.add_typer(scenario_cli.app, name="scenario")
app.add_typer(resolution_cli.app, name="resolution")
app.add_typer(networks_cli.app, name="networks")


class LogLevel(StrEnum):
    """How much the server logs."""

    debug = "debug"
    info = "info"
    warning = "warning"
    error = "error"


@app.command()
def init() -> None:
    """Create or upgrade the database and create the audit signing key if missing."""
    db = database()
    try:
        upgrade(db.engine, db.settings)
    except Exception as exc:  # a database that cannot be reached or migrated: one clear line
        raise fail(f"cannot initialise {db.engine.url.render_as_string(hide_password=True)}: {exc}") from None
    typer.echo(f"database ready at {db.engine.url.render_as_string(hide_password=True)}; "
               f"audit key {db.settings.audit_key_path}; node secret {db.settings.secret_key_path}")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port to listen on")] = 8000,
    workers: Annotated[int, typer.Option(min=1, max=64, help="worker processes (one per core)")] = 1,
    log_level: Annotated[LogLevel, typer.Option(help="`warning` leaves out the line per request")] = LogLevel.info,
) -> None:
    """Serve the API (and web pages) with uvicorn, in one process or several; refuses to start
    without the node's secret (`binational init` makes it). A taken port is one line and exit 1."""
    from binational import serving

    db = database()
    try:
        db.settings.signing_secret()
    except MissingSecret as exc:
        raise fail(str(exc)) from None
    try:
        code = serving.serve(db, host, port, workers, log_level.value)
    except serving.PortBusy as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None
    if code:
        raise typer.Exit(code)


@app.command()
def demo(
    folder: Annotated[Path, typer.Option(help="folder of the demo database, audit key, secret")] = Path("demo"),
    size: Annotated[str, typer.Option(help="synthetic world: small, medium or large")] = "medium",
    seed: Annotated[int, typer.Option(help="seed of the synthetic world")] = 7,
    host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port to listen on")] = 8000,
    no_serve: Annotated[bool, typer.Option("--no-serve", help="set up and exit")] = False,
) -> None:
    """Create a fresh demo database, fill it with a synthetic binational world, print log-ins, serve."""
    from binational.scenario import demo as scenario_demo

    folder.mkdir(parents=True, exist_ok=True)
    for name in ("binational.db", "binational.db-wal", "binational.db-shm"):
        (folder / name).unlink(missing_ok=True)
    os.environ["BINATIONAL_DATABASE_URL"] = f"sqlite:///{(folder / 'binational.db').resolve()}"
    os.environ["BINATIONAL_AUDIT_KEY_PATH"] = str((folder / "audit.key").resolve())
    os.environ["BINATIONAL_SECRET_KEY_PATH"] = str((folder / "secret.key").resolve())
    get_settings.cache_clear()
    reset_database()
    db = database()
    upgrade(db.engine, db.settings)
    typer.echo(f"audit key {db.settings.audit_key_path}; node secret {db.settings.secret_key_path}")
    scenario_demo.build(db=db, folder=folder, size=size, seed=seed, echo=typer.echo)
    if not no_serve:
        serve(host=host, port=port)


def main() -> None:
    """Entry point of the `binational` console script. A setting that does not validate is one line
    and exit 2, as any other mistake on the command line."""
    try:
        get_settings()
    except ValidationError as exc:
        problem = exc.errors()[0]
        name = "BINATIONAL_" + ".".join(str(part) for part in problem["loc"]).upper()
        typer.echo(f"error: setting {name}: {problem['msg']}", err=True)
        raise SystemExit(2) from None
    app()

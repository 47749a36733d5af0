"""The `binational` command: set up a node, serve it, and one sub-command per module."""

from __future__ import annotations

import importlib
from enum import StrEnum
from pathlib import Path
from typing import Annotated, NamedTuple

import typer
from typer import _click as click  # Typer's own copy of Click, whose classes its groups are made of
from typer.core import TyperGroup


class SubApp(NamedTuple):
    """A command group of a module: where its Typer lives, and the line `binational --help` shows for it."""

    module: str
    attribute: str
    help: str


#: the command groups, imported only when one of them runs: importing them all (FollowTheMoney,
#: networkit, Splink ...) took seconds before `--help` printed a line (benchmarks/cli_start.py)
SUB_APPS: dict[str, SubApp] = {
    "agencies": SubApp("binational.admin.cli", "agencies", "Register and list agencies."),
    "users": SubApp("binational.admin.cli", "users", "Create and list users, and end their web sessions."),
    "tokens": SubApp("binational.admin.cli", "tokens", "Issue and revoke API tokens."),
    "grants": SubApp("binational.admin.cli", "grants", "Approve or reject grants waiting for a second administrator."),
    "audit": SubApp("binational.admin.cli", "audit",
                    "Verify the audit log, see who read a record, export an auditor's view."),
    "entities": SubApp("binational.search.cli", "entities_app",
                       "Import, export, search and watch FollowTheMoney entities; one as a profile."),
    "requests": SubApp("binational.requests.cli", "app", "Requests between agencies: send, answer, inbox and outbox."),
    "discovery": SubApp("binational.requests.cli", "discovery_app",
                        "Hit/no-hit search on selectors across every agency."),
    "scenario": SubApp("binational.scenario.cli", "app",
                       "Seeded synthetic binational world (agencies, users, entities, ground truth)."),
    "resolution": SubApp("binational.resolution.cli", "app", "Cross-agency entity resolution (Splink)."),
    "networks": SubApp("binational.networks.cli", "app",
                       "Network analysis: graph, measures, paths, exports and disruption plans."),
    "firearms": SubApp("binational.firearms.cli", "app",
                       "Firearms tracing: records, trace requests, the tracing queue, leads, offline candidates."),
    "repatriation": SubApp("binational.repatriation.cli", "app",
                           "Repatriation: arrangements, movements, manifests, the planner, official series, "
                           "statistics."),
    "engagements": SubApp("binational.engagements.cli", "app",
                          "Engagements, commitments and their indicators: intake, list, commit, brief."),
    "trade": SubApp("binational.trade.cli", "app", "Trade: cargo risk targeting on customs declarations."),
    "flows": SubApp("binational.flows.cli", "app",
                    "Migration, seizure and crossing indicators: import, forecast, alerts."),
    "federation": SubApp("binational.federation.cli", "app", "Partner nodes: anchors, trust, digest keys."),
    "witness": SubApp("binational.admin.witness_cli", "witnesses",
                      "A witness of partner nodes' logs: init, trust, cosign, serve (C2SP tlog-witness)."),
}


def load_sub_app(name: str) -> click.Command:
    """The click command of the group `name`, importing its module."""
    sub = SUB_APPS[name]
    command = typer.main.get_command(getattr(importlib.import_module(sub.module), sub.attribute))
    command.name = name
    return command


class LazyGroup(TyperGroup):
    """The root command: lists every group by its line in SUB_APPS and imports a group's module only
    when the command line names it."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(dict.fromkeys([*super().list_commands(ctx), *SUB_APPS]))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in SUB_APPS and cmd_name not in self.commands:
            return TyperGroup(name=cmd_name, help=SUB_APPS[cmd_name].help)  # listed in the help, not imported
        return super().get_command(ctx, cmd_name)

    def resolve_command(self, ctx: click.Context, args: list[str]
                        ) -> tuple[str | None, click.Command | None, list[str]]:
        if args and args[0] in SUB_APPS and args[0] not in self.commands:
            self.commands[args[0]] = load_sub_app(args[0])
        return super().resolve_command(ctx, args)


app = typer.Typer(cls=LazyGroup, help="binational: information sharing under control between partner agencies.",
                  no_args_is_help=True, pretty_exceptions_enable=False)


class LogLevel(StrEnum):
    """How much the server logs."""

    debug = "debug"
    info = "info"
    warning = "warning"
    error = "error"


@app.command()
def init() -> None:
    """Create or upgrade the database and create the audit signing key and federation keys if missing."""
    from binational.clitools import database, fail
    from binational.schema import upgrade

    db = database(ready=False)
    try:
        upgrade(db.engine, db.settings)
    except Exception as exc:  # a database that cannot be reached or migrated: one clear line
        raise fail(f"cannot initialise {db.engine.url.render_as_string(hide_password=True)}: {exc}") from None
    typer.echo(f"database ready at {db.engine.url.render_as_string(hide_password=True)}; "
               f"audit key {db.settings.audit_key_path}; node secret {db.settings.secret_key_path}; "
               f"federation keys {db.settings.node_key_path}, {db.settings.witness_key_path}")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port to listen on")] = 8000,
    workers: Annotated[int, typer.Option(min=1, max=64, help="worker processes (one per core)")] = 1,
    log_level: Annotated[LogLevel, typer.Option(help="`warning` leaves out the line per request")] = LogLevel.info,
    federation_tls: Annotated[tuple[Path, Path] | None, typer.Option(
        help="CERT KEY: serve over TLS for partner nodes, admitting only clients whose certificate a trusted "
             "partner's anchor pins")] = None,
) -> None:
    """Serve the API (and web pages) with uvicorn, in one process or several; refuses to start
    without the node's secret (`binational init` makes it). A taken port is one line and exit 1.
    With --federation-tls, the port is for partner nodes (mutual TLS with pinned certificates)."""
    from binational import serving
    from binational.clitools import database, fail
    from binational.config import MissingSecret

    db = database()
    try:
        db.settings.signing_secret()
    except MissingSecret as exc:
        raise fail(str(exc)) from None
    tls = None
    if federation_tls is not None:
        from binational.errors import InvalidInput

        try:
            tls = serving.federation_tls(db, *federation_tls)
        except InvalidInput as exc:
            raise fail(exc.message) from None
    try:
        code = serving.serve(db, host, port, workers, log_level.value, tls)
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
    keep: Annotated[bool, typer.Option("--keep", help="keep the world an earlier run loaded (same size and "
                                       "seed), with what was done on it since")] = False,
    no_serve: Annotated[bool, typer.Option("--no-serve", help="set up and exit")] = False,
    nodes: Annotated[int, typer.Option(min=1, max=2, help="2: a US node and a MX node, each its own database, "
                                       "keys and ports (PORT to PORT+3), one release travelling between them")] = 1,
) -> None:
    """Create a demo database, fill it with a synthetic binational world and a first hour of work on it
    (releases, requests, a resolution run), print log-ins, serve. Without --keep it starts afresh.
    With --nodes 2, two federated nodes instead (in FOLDER/nodes, always afresh)."""
    if nodes == 2:
        from binational.federation import demo as two_nodes

        plan = two_nodes.set_up(folder / "nodes", port, typer.echo)
        if not no_serve:
            raise typer.Exit(two_nodes.serve(folder / "nodes", plan, host, typer.echo))
        return
    from binational.clitools import database, reset_database, use_folder
    from binational.scenario import demo as scenario_demo
    from binational.schema import upgrade

    folder.mkdir(parents=True, exist_ok=True)
    loaded = scenario_demo.kept(folder)
    keeping = keep and loaded == {"size": size, "seed": seed}
    if keep and not keeping:
        typer.echo(f"no {size} world (seed {seed}) kept in {folder}"
                   + (f" (it holds the {loaded['size']} world, seed {loaded['seed']})" if loaded else "")
                   + ": loading one")
    if not keeping:
        scenario_demo.forget(folder)
    use_folder(folder)
    reset_database()
    db = database(ready=False)
    upgrade(db.engine, db.settings)  # a kept database may predate this version's migrations
    typer.echo(f"audit key {db.settings.audit_key_path}; node secret {db.settings.secret_key_path}")
    if keeping:
        typer.echo(f"keeping the {size} world (seed {seed}) loaded in {folder / 'binational.db'}")
        scenario_demo.welcome(db=db, folder=folder, size=size, seed=seed, echo=typer.echo)
    else:
        scenario_demo.build(db=db, folder=folder, size=size, seed=seed, echo=typer.echo)
        from binational.firearms import stock

        stock.load(db=db, world=scenario_demo.world_folder(folder, size, seed), echo=typer.echo)
        from binational.repatriation import world as returns

        week = returns.demo_week(db, scenario_demo.world_folder(folder, size, seed), tell=typer.echo)
        typer.echo(f"a week of returns: {week['returned']} people returned on {week['movements']} movements, "
                   f"{week['held_back']} held back by a safeguard, {week['pulled_at_boarding']} pulled at boarding; "
                   f"sent and received {'reconcile' if week['reconciles'] else 'differ'}")
    if not no_serve:
        serve(host=host, port=port)


def main() -> None:
    """Entry point of the `binational` console script. A setting that does not validate is one line
    and exit 2, as any other mistake on the command line."""
    from pydantic import ValidationError

    from binational.config import get_settings

    try:
        get_settings()
    except ValidationError as exc:
        problem = exc.errors()[0]
        name = "BINATIONAL_" + ".".join(str(part) for part in problem["loc"]).upper()
        typer.echo(f"error: setting {name}: {problem['msg']}", err=True)
        raise SystemExit(2) from None
    app()

"""`binational scenario generate`: write the synthetic binational world to a folder."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import typer

from binational.audit.scope import unit_of_work
from binational.clitools import database, progress_bar
from binational.errors import DomainError
from binational.scenario import generate as generate_world
from binational.scenario import load as loader
from binational.scenario.sizes import SIZES

app = typer.Typer(
    help="Seeded synthetic binational world (agencies, users, entities, ground truth).", no_args_is_help=True
)


@app.callback()
def scenario() -> None:
    """Seeded synthetic binational world (agencies, users, entities, ground truth)."""


def _fail(message: str) -> typer.Exit:
    print(message, file=sys.stderr)
    return typer.Exit(code=2)


@app.command("generate")
def generate_command(
    seed: int = typer.Option(7, help="Seed; the same seed and size give byte-identical output."),
    size: str = typer.Option("small", help=f"One of {', '.join(SIZES)}."),
    out: Path = typer.Option(..., help="Output folder; must not exist or be empty."),
) -> None:
    """Generate the world into OUT (files described in binational/scenario/__init__.py)."""
    if size not in SIZES:
        raise _fail(f"error: unknown size {size!r}; choose one of {', '.join(SIZES)}")
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise _fail(f"error: output folder {out} exists and is not empty")
    started = time.perf_counter()
    with progress_bar(f"generating the {size} world, seed {seed}") as bar:
        task = bar.add_task("", total=None)

        def report(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        manifest = generate_world(seed, size, out, progress=report)
    entities = sum(v for k, v in manifest["files"].items() if k.startswith("entities/"))
    typer.echo(
        f"wrote {entities} entities of {manifest['people']} people and "
        f"{manifest['organisations']} organisations to {out} in {time.perf_counter() - started:.1f} s"
    )


@app.command("load")
def load_command(
    folder: Path = typer.Argument(..., help="A folder written by `binational scenario generate`."),
) -> None:
    """Load a generated world into the node's database: every file checked, all of it or nothing."""
    started = time.perf_counter()
    try:
        world = loader.read_folder(folder)
        node = database()
        with unit_of_work(node) as session, progress_bar("loading") as bar:
            task = bar.add_task("load", total=len(world.users) + world.lines)
            done = loader.load(session=session, folder=world, progress=lambda _what, n: bar.advance(task, n))
        node.analyze()
    except DomainError as exc:
        raise _fail(f"error: {exc.message}; nothing loaded") from None
    typer.echo(
        f"loaded {done.agencies} agencies, {done.users} users and {sum(done.entities.values())} entities "
        f"from {folder} in {time.perf_counter() - started:.1f} s"
    )


@app.command("crossborder")
def crossborder_command(
    out: Path = typer.Option(..., help="Output folder; must not exist or be empty."),
    seed: int = typer.Option(1, help="Seed; the same seed and number of people give byte-identical files."),
    people: int = typer.Option(3000, help="True persons behind the records (1 to 1,000,000)."),
) -> None:
    """Write linked Mexican and US person records with truth (an independent generator, for testing
    resolution on data it was not built on): OUT/mx.jsonl, OUT/us.jsonl, OUT/truth.csv."""
    from binational.scenario import crossborder

    if not 1 <= people <= 1_000_000:
        raise _fail(f"error: --people must be between 1 and 1,000,000, not {people}")
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise _fail(f"error: output folder {out} exists and is not empty")
    made = crossborder.generate(seed, people, out)
    typer.echo(f"wrote {made.mx_records} MX and {made.us_records} US records ({made.true_pairs} true pairs) to {out}")

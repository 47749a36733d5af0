"""`binational trade`: train, score and evaluate cargo risk models on customs declaration files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from binational.audit import log as audit
from binational.clitools import fail, output_file, progress_bar, work
from binational.errors import DomainError
from binational.trade import declarations, risk, service

app = typer.Typer(help="Trade: cargo risk targeting on customs declarations.", no_args_is_help=True)
AsUser = Annotated[str | None, typer.Option("--as", help="act as this user (default: the node operator)")]


def _print(data: Any) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False, indent=1, default=str))


class _Steps:
    """A progress bar over named steps."""

    def __init__(self, label: str, steps: int) -> None:
        self.bar = progress_bar(label, quiet=1.0)
        self.steps = steps
        self.task: Any = None

    def __enter__(self) -> _Steps:
        self.bar.__enter__()
        self.task = self.bar.add_task("reading", total=self.steps)
        return self

    def __exit__(self, *exc: Any) -> None:
        self.bar.__exit__(*exc)

    def __call__(self, step: str) -> None:
        self.bar.update(self.task, advance=1, description=step)


@app.command()
def evaluate(
    train: Annotated[Path, typer.Option(help="inspected declarations of the training period (CSV)")],
    valid: Annotated[Path, typer.Option(help="inspected declarations of the next period, for validation")],
    test: Annotated[Path, typer.Option(help="declarations of the period after, scored and measured")],
    as_user: AsUser = None,
) -> None:
    """Train on TRAIN and VALID only, score TEST, print precision and critical recall at 5 % and 10 % as JSON."""
    try:
        with _Steps("evaluate", 8) as step:
            frames = [declarations.read(p, labels=True) for p in (train, valid, test)]
            result = service.evaluate(*frames, progress=step)
        with work(as_user) as (session, actor):
            audit.record(session, action="trade.evaluate", actor=actor, objects=[],
                         extra={"files": [service.digest(p) for p in (train, valid, test)],
                                **{k: v for k, v in result.items() if k.startswith(("precision", "critical_recall"))}})
    except DomainError as exc:
        raise fail(exc.message) from None
    _print(result)


@app.command("train")
def train_model(
    train: Annotated[Path, typer.Option(help="inspected declarations of the training period (CSV)")],
    valid: Annotated[Path, typer.Option(help="inspected declarations of the next period, for validation")],
    model: Annotated[Path, typer.Option(help="model file to write (JSON)")],
    as_user: AsUser = None,
) -> None:
    """Train a risk model on TRAIN (trees and critical weight chosen on VALID, then refitted on both)."""
    try:
        with _Steps("train", 6) as step:
            frames = [declarations.read(p, labels=True) for p in (train, valid)]
            fitted = risk.train(*frames, progress=step)
        with work(as_user) as (session, actor):
            audit.record(session, action="trade.train", actor=actor, objects=[],
                         extra={"files": [service.digest(p) for p in (train, valid)], "model": model.name,
                                "validation": fitted.info["validation"]})
            fitted.save(model)
    except DomainError as exc:
        raise fail(exc.message) from None
    _print({"model": str(model), "critical_weight": fitted.weight, **fitted.info})


@app.command()
def score(
    model: Annotated[Path, typer.Option(help="model file written by `trade train`")],
    declarations_file: Annotated[Path, typer.Argument(metavar="DECLARATIONS", help="declarations to rank (CSV)")],
    budget: Annotated[float, typer.Option(help="share of the declarations to inspect")] = 0.05,
    exploration: Annotated[float, typer.Option(help="share of the list kept for exploration")] = 0.1,
    mode: Annotated[str, typer.Option(help="exploration: uncertainty | random")] = "uncertainty",
    seed: Annotated[int, typer.Option(help="seed of random exploration")] = 0,
    out: Annotated[Path | None, typer.Option(help="file to write (default: standard output)")] = None,
    as_user: AsUser = None,
) -> None:
    """The selection list of DECLARATIONS, one JSON line per declaration with its reasons."""
    try:
        fitted = risk.RiskModel.load(model)
        with _Steps("score", 2) as step:
            frame = declarations.read(declarations_file, columns=fitted.columns)
            step("scoring")
            ranked = service.rank(fitted, frame, budget=budget, exploration=exploration, mode=mode, seed=seed)
        with output_file(out) as sink, work(as_user) as (session, actor):
            audit.record(session, action="trade.score", actor=actor, objects=[],
                         extra={**service.digest(declarations_file), "model": model.name, "scored": ranked.scored,
                                "selected": len(ranked.rows), "budget": budget, "exploration": exploration})
            for row in ranked.rows:
                sink.write(json.dumps(row, ensure_ascii=False) + "\n")
    except DomainError as exc:
        raise fail(exc.message) from None
    if out is not None:
        typer.echo(f"{len(ranked.rows)} of {ranked.scored} declarations selected, written to {out}", err=True)

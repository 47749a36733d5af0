"""`binational trade`: train, score and evaluate cargo risk models on customs declaration files."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer

from binational.audit import log as audit
from binational.clitools import fail, output_file, progress_bar, work
from binational.errors import DomainError
from binational.trade import bts, declarations, ports, risk, service

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
    model: Annotated[Path, typer.Option(help="model file to write (JSON)")],
    train: Annotated[Path | None, typer.Option(help="inspected declarations of the training period (CSV)")] = None,
    valid: Annotated[Path | None, typer.Option(help="inspected declarations of the next period, for validation")]
    = None,
    as_user: AsUser = None,
) -> None:
    """Train a risk model on TRAIN (trees and critical weight chosen on VALID, then refitted on both); without
    files, on the inspected declarations USER may see (the last fifth of their days validates)."""
    try:
        if (train is None) != (valid is None):
            raise fail("give both --train and --valid, or neither (then --as USER trains on the database)")
        with _Steps("train", 6) as step:
            if train is not None and valid is not None:
                frames = [declarations.read(p, labels=True) for p in (train, valid)]
                sources: list[Any] = [service.digest(p) for p in (train, valid)]
                scope: list[dict[str, Any]] = []  # files are no records of the database
            else:
                if as_user is None:
                    raise fail("give --train and --valid files, or --as USER to train on the database")
                with work(as_user) as (session, actor):
                    assert actor is not None
                    training, scope = service.training_data(session, actor)
                frames = list(service.split_by_date(training))
                sources = ["database"]
            fitted = risk.train(*frames, progress=step)
            fitted.scope = scope
        with work(as_user) as (session, actor):
            audit.record(session, action="trade.train", actor=actor, objects=[],
                         extra={"files": sources, "model": model.name, "validation": fitted.info["validation"]})
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
        if as_user is not None:  # a user gets no score learned from what it may not see
            with work(as_user) as (session, actor):
                assert actor is not None
                service.check_model_scope(actor, fitted, "trade.score")
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


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise fail(f"--day: {value!r} is not a date (YYYY-MM-DD)") from None


def _row(pick: service.Pick) -> dict[str, Any]:
    row = pick.row
    return {"id": row.id, "reference": row.reference, "agency": row.owner_agency,
            "date": row.declared_on.isoformat(), "rank": pick.rank, "kind": pick.kind,
            "score": pick.score, "hs_unknown": row.hs_unknown, "reasons": pick.reasons}


@app.command("import")
def import_file(
    file: Annotated[Path, typer.Argument(help="declarations (CSV, the data set's columns; labels optional)")],
    as_user: Annotated[str, typer.Option("--as", help="act as this user")],
    distribution: Annotated[str, typer.Option(help="agency | national | joint")] = "agency",
    joint_agency: Annotated[str | None, typer.Option(help="the partner of a joint distribution")] = None,
    marking: Annotated[str, typer.Option(help="TLP marking")] = "TLP:AMBER",
) -> None:
    """Import declarations as USER's agency: the whole file or nothing; references already held are skipped."""
    try:
        with _Steps("import", 2) as step:
            frame = declarations.read(file)
            step("storing")
            with work(as_user) as (session, actor):
                assert actor is not None
                counts = service.import_declarations(session, actor, frame, source=service.digest(file),
                                                     distribution=distribution, joint_agency=joint_agency,
                                                     marking=marking)
    except DomainError as exc:
        raise fail(exc.message) from None
    _print(counts)


@app.command("select")
def select_day(
    model: Annotated[Path, typer.Option(help="model file written by `trade train`")],
    day: Annotated[str, typer.Option(help="the day whose declarations are scored, YYYY-MM-DD")],
    as_user: Annotated[str, typer.Option("--as", help="act as this user")],
    budget: Annotated[float, typer.Option(help="share of the declarations to inspect")] = 0.05,
    exploration: Annotated[float, typer.Option(help="share of the list kept for exploration")] = 0.1,
    mode: Annotated[str, typer.Option(help="exploration: uncertainty | random")] = "uncertainty",
) -> None:
    """Score USER's agency's declarations of DAY and draw the day's selection list, with reasons."""
    when = _day(day)
    try:
        fitted = risk.RiskModel.load(model)
        with _Steps("select", 1) as step, work(as_user) as (session, actor):
            assert actor is not None
            step("scoring")
            rows = service.select_day(session, actor, fitted, when, budget=budget, exploration=exploration, mode=mode)
            out = [_row(r) for r in rows]
    except DomainError as exc:
        raise fail(exc.message) from None
    _print(out)


@app.command("list")
def list_day(
    day: Annotated[str, typer.Option(help="YYYY-MM-DD")],
    as_user: Annotated[str, typer.Option("--as", help="act as this user")],
) -> None:
    """The selection list of DAY that USER may see."""
    when = _day(day)
    try:
        with work(as_user) as (session, actor):
            assert actor is not None
            out = [_row(r) for r in service.selection_list(session, actor, when)]
    except DomainError as exc:
        raise fail(exc.message) from None
    _print(out)


@app.command("inspect")
def inspect(
    declaration: Annotated[int, typer.Argument(help="the declaration's id (from `trade list`)")],
    as_user: Annotated[str, typer.Option("--as", help="act as this user")],
    fraud: Annotated[int, typer.Option(help="1 if the inspection found fraud")],
    critical: Annotated[int, typer.Option(help="0 none, 1 fraud, 2 a threat to public safety")],
    note: Annotated[str, typer.Option(help="what was found")] = "",
    joint_agency: Annotated[str | None, typer.Option(help="the partner agency of a joint inspection")] = None,
) -> None:
    """Record an inspection's result (fed back at the next training); a joint one is shared with its partner."""
    try:
        with work(as_user) as (session, actor):
            assert actor is not None
            result = service.record_result(session, actor, declaration, fraud=fraud, critical=critical, note=note,
                                           joint_agency=joint_agency)
            out = {"result": result.id, "declaration": declaration, "distribution": result.distribution}
    except DomainError as exc:
        raise fail(exc.message) from None
    _print(out)


@app.command("show")
def show(
    declaration: Annotated[int, typer.Argument(help="the declaration's id")],
    as_user: Annotated[str, typer.Option("--as", help="act as this user")],
) -> None:
    """One declaration USER may see: its fields, score, reasons and the inspection results USER may see."""
    try:
        with work(as_user) as (session, actor):
            assert actor is not None
            pick, results = service.read_declaration(session, actor, declaration)
            out = {**_row(pick), "fields": json.loads(pick.row.fields),
                   "results": [{"id": r.id, "agency": r.owner_agency, "fraud": r.fraud, "critical": r.critical,
                                "joint_agency": r.joint_agency, "note": r.note} for r in results]}
    except DomainError as exc:
        raise fail(exc.message) from None
    _print(out)


def _flow_files(folder: Path) -> dict[int, Path]:
    found: dict[int, Path] = {}
    for number in (1, 2, 3):
        matches = sorted(folder.glob(f"dot{number}_*.csv"))
        if len(matches) > 1:
            raise fail(f"{folder}: more than one file of table {number} ({', '.join(m.name for m in matches)})")
        if matches:
            found[number] = matches[0]
    if not found:
        raise fail(f"{folder}: no TransBorder table (dot1_MMYY.csv, dot2_..., dot3_...)")
    return found


@app.command("flows")
def import_flows(
    folder: Annotated[Path, typer.Argument(help="folder of raw TransBorder files dot1/2/3_MMYY.csv")],
    codes: Annotated[Path | None, typer.Option(help="folder of the code tables (default: FOLDER/codes)")] = None,
    as_user: AsUser = None,
) -> None:
    """Import BTS TransBorder freight tables 1-3, checked against the code tables; a month imported
    again replaces the earlier rows (nothing is stored if any file is refused)."""
    try:
        with _Steps("flows", 5) as step:
            table_codes = bts.read_codes(codes or folder / "codes")
            files = _flow_files(folder)
            tables = {}
            for number, path in files.items():
                step(f"checking {path.name}")
                tables[number] = bts.read_table(path, number, table_codes)
            step("storing")
            with work(as_user) as (session, actor):
                counts = service.import_flows(session, actor, tables,
                                              source={"files": [service.digest(p) for p in files.values()]})
    except DomainError as exc:
        raise fail(exc.message) from None
    _print(counts)


@app.command("indicators")
def show_indicators(
    as_user: Annotated[str, typer.Option("--as", help="act as this user")],
    country: Annotated[str, typer.Option(help="mexico | canada")] = "mexico",
    year: Annotated[int | None, typer.Option(help="only this year")] = None,
    month: Annotated[int | None, typer.Option(help="only this month (1-12)")] = None,
    codes: Annotated[Path | None, typer.Option(help="folder of the code tables, for names")] = None,
    top: Annotated[int, typer.Option(help="how many ports, commodities, states and corridors")] = 10,
) -> None:
    """Trade with Mexico (or Canada): value and weight by port, mode, commodity and state, trend, corridors."""
    partners = {"mexico": bts.MEXICO, "canada": bts.CANADA}
    if country not in partners:
        raise fail("--country must be mexico or canada")
    if month is not None and not 1 <= month <= 12:
        raise fail("--month must be 1 to 12")
    if not 1 <= top <= 100:
        raise fail("--top must be 1 to 100")
    try:
        names = bts.read_codes(codes) if codes is not None else None
        with work(as_user) as (session, actor):
            assert actor is not None
            out = service.indicators(session, actor, names, country=partners[country], year=year, month=month,
                                     top=top)
    except DomainError as exc:
        raise fail(exc.message) from None
    _print(out)


ports_app = typer.Typer(help="Ports of entry: CBP Border Wait Times snapshots, conditions and history.",
                        no_args_is_help=True)
app.add_typer(ports_app, name="ports")
BORDERS = {"mexican": "Mexican Border", "canadian": "Canadian Border", "all": None}


def _store_snapshot(data: bytes, name: str, source: dict[str, Any], as_user: str | None) -> dict[str, int]:
    observations = ports.parse(data, name)
    with work(as_user) as (session, actor):
        return service.import_waits(session, actor, observations, source=source)


@ports_app.command("import")
def ports_import(
    file: Annotated[Path, typer.Argument(help="a snapshot of the CBP Border Wait Times API (bwtnew JSON)")],
    as_user: AsUser = None,
) -> None:
    """Import a snapshot: one row per crossing, lane type and reported time (again: nothing new)."""
    if not file.is_file():
        raise fail(f"{file}: no such file")
    try:
        counts = _store_snapshot(file.read_bytes(), str(file), service.digest(file), as_user)
    except DomainError as exc:
        raise fail(exc.message) from None
    _print(counts)


@ports_app.command("poll")
def ports_poll(
    once: Annotated[bool, typer.Option(help="poll once and stop")] = False,
) -> None:
    """Poll `wait_times_url` every `wait_times_every` seconds (a setting; empty: polling is off)."""
    import time
    import urllib.error
    import urllib.request

    from binational.config import get_settings
    settings = get_settings()
    url = settings.wait_times_url
    if not url:
        raise fail("no wait_times_url is set (BINATIONAL_WAIT_TIMES_URL): polling is off")
    if not url.startswith(("https://", "http://")):
        raise fail(f"wait_times_url {url!r} is not an http(s) URL")
    while True:
        try:
            with urllib.request.urlopen(url, timeout=30) as answer:  # noqa: S310 - the scheme is checked above
                data = answer.read(ports.MAX_BYTES + 1)
            counts = _store_snapshot(data, url, {"url": url}, None)
            typer.echo(json.dumps({"polled": url, **counts}))
        except (OSError, urllib.error.URLError, DomainError) as exc:
            message = exc.message if isinstance(exc, DomainError) else f"{type(exc).__name__}: {exc}"
            if once:
                raise fail(message) from None
            typer.echo(f"poll failed: {message}", err=True)
        if once:
            return
        time.sleep(settings.wait_times_every)


@ports_app.command("show")
def ports_show(
    as_user: Annotated[str, typer.Option("--as", help="act as this user")],
    crossing: Annotated[str | None, typer.Option(help="one crossing's history (its six-digit port number)")] = None,
    border: Annotated[str, typer.Option(help="mexican | canadian | all")] = "mexican",
) -> None:
    """The latest conditions of every crossing (delays, lanes open per lane type), or one crossing's history."""
    if border not in BORDERS:
        raise fail("--border must be mexican, canadian or all")
    try:
        with work(as_user) as (session, actor):
            assert actor is not None
            out = service.port_conditions(session, actor, border=BORDERS[border], port_number=crossing)
    except DomainError as exc:
        raise fail(exc.message) from None
    _print(out)

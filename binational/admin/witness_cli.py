"""`binational audit checkpoint | consistency | witness ...`: handing the node's signed checkpoints to
witnesses, and running a witness of other nodes' logs (which needs no database)."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy.exc import SQLAlchemyError

from binational.audit import checkpoints, witness
from binational.audit import log as audit_log
from binational.clitools import database, database_failed, fail
from binational.db import act_as_system
from binational.errors import DomainError

witnesses = typer.Typer(help="A witness of partner nodes' logs: init, trust, cosign, serve (C2SP tlog-witness).",
                        no_args_is_help=True)
FOLDER = typer.Option("--dir", help="the witness's folder (its key and what it cosigned)")


def _write(path: Path, text: str) -> None:
    try:
        path.write_text(text)
    except OSError as exc:
        raise fail(f"cannot write {path}: {exc.strerror or exc}") from None


def _read(path: Path) -> str:
    try:
        return path.read_text()
    except (OSError, UnicodeDecodeError) as exc:
        raise fail(f"cannot read {path}: {getattr(exc, 'strerror', None) or exc}") from None


def checkpoint(
    export: Annotated[Path | None, typer.Option("--export", help="write the signed checkpoint (a C2SP note) here")]
    = None,
    old_size: Annotated[int | None, typer.Option("--from", help="also write a consistency proof from this size")]
    = None,
    proof: Annotated[Path | None, typer.Option("--proof", help="where to write the proof (with --from)")] = None,
) -> None:
    """Show the node's latest signed checkpoint and its verifier key; write them for a witness."""
    if (old_size is None) != (proof is None):
        raise fail("--from and --proof go together")
    db = database()
    try:
        with db.unit_of_work() as session:  # entries still queued by a server join the log first
            audit_log.drain(session, db.settings)
        with db.unit_of_work() as session:
            act_as_system(session)
            note = checkpoints.latest(session, db.settings)
            vkey = checkpoints.node_verifier(db.settings).vkey()
            size = checkpoints.size(session)
            hashes = checkpoints.consistency(session, old_size, size)[1] if old_size is not None else None
    except DomainError as exc:
        raise fail(exc.message) from None
    except SQLAlchemyError as exc:
        raise database_failed(exc) from None
    if export is not None:
        _write(export, str(note))
    if proof is not None and hashes is not None and old_size is not None:
        _write(proof, witness.proof_text(old_size, hashes))
    if export is None:
        typer.echo(str(note), nl=False)
    typer.echo(f"checkpoint of {size} entries; node key {vkey}", err=export is None)


def consistency(
    old_size: Annotated[int, typer.Option("--from", help="the size a witness cosigned last")],
    new_size: Annotated[int | None, typer.Option("--to", help="the larger size (the signed head's if left out)")]
    = None,
) -> None:
    """Print the consistency proof from one size of the log to a larger one (`old N`, then base64 hashes)."""
    db = database()
    try:
        with db.unit_of_work() as session:
            act_as_system(session)
            _size, hashes = checkpoints.consistency(session, old_size, new_size)
    except DomainError as exc:
        raise fail(exc.message) from None
    except SQLAlchemyError as exc:
        raise database_failed(exc) from None
    typer.echo(witness.proof_text(old_size, hashes), nl=False)


@witnesses.command("init")
def witness_init(
    name: Annotated[str, typer.Option(help="the witness's key name, e.g. witness.mx-fgr.example")],
    folder: Annotated[Path, FOLDER] = Path("witness"),
) -> None:
    """Create a witness (an Ed25519 key, mode 0600, and an empty state); print its verifier key."""
    try:
        verifier = witness.init(folder, name)
    except DomainError as exc:
        raise fail(exc.message) from None
    typer.echo(verifier.vkey())


@witnesses.command("trust")
def witness_trust(
    vkey: Annotated[str, typer.Argument(help="the node's verifier key (`binational audit checkpoint` prints it)")],
    folder: Annotated[Path, FOLDER] = Path("witness"),
) -> None:
    """Witness a node's log: remember its verifier key, named for its origin."""
    try:
        log = witness.trust(folder, vkey)
    except DomainError as exc:
        raise fail(exc.message) from None
    typer.echo(f"witnessing {log.name}")


@witnesses.command("cosign")
def witness_cosign(
    checkpoint_file: Annotated[Path, typer.Argument(metavar="CHECKPOINT", help="the node's signed checkpoint")],
    proof: Annotated[Path, typer.Option(help="the node's consistency proof from the size cosigned last")],
    folder: Annotated[Path, FOLDER] = Path("witness"),
    out: Annotated[Path | None, typer.Option(help="write the witness file here (else standard output)")] = None,
) -> None:
    """Cosign a checkpoint if its signature and the consistency proof verify; write the witness file
    (this witness's key and the cosigned checkpoint) for `audit verify --witness`. A refusal is one
    line and exit 2, and nothing is remembered."""
    try:
        witness.cosign(folder, _read(checkpoint_file), _read(proof), int(time.time()))
        origin = _read(checkpoint_file).split("\n", 1)[0]
        text = witness.witness_file(folder, origin)
    except DomainError as exc:
        raise fail(exc.message) from None
    if out is not None:
        _write(out, text)
    else:
        sys.stdout.write(text)


@witnesses.command("export")
def witness_export(
    folder: Annotated[Path, FOLDER] = Path("witness"),
    origin: Annotated[str | None, typer.Option(help="only this log")] = None,
) -> None:
    """Print the witness file: this witness's key and the last checkpoint it cosigned of each log."""
    try:
        sys.stdout.write(witness.witness_file(folder, origin))
    except DomainError as exc:
        raise fail(exc.message) from None


def register(audit: typer.Typer) -> None:
    """Add these commands to `binational audit`."""
    audit.command("checkpoint")(checkpoint)
    audit.command("consistency")(consistency)
    audit.add_typer(witnesses, name="witness")


@witnesses.command("serve")
def witness_serve(
    folder: Annotated[Path, FOLDER] = Path("witness"),
    host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port to listen on")] = 8500,
) -> None:
    """Serve the witness over HTTP (C2SP tlog-witness): `POST /add-checkpoint` and
    `GET /<origin SHA-256>/checkpoint`."""
    import uvicorn

    from binational.audit import witness_http

    try:
        served = witness_http.app(folder)
    except DomainError as exc:
        raise fail(exc.message) from None
    uvicorn.run(served, host=host, port=port, log_level="warning")

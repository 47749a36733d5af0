"""`binational federation ...`: this node's anchor, partner nodes, digest keys."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from binational.clitools import fail, output_file, work
from binational.config import get_settings
from binational.db import utcnow
from binational.federation import digests, service

app = typer.Typer(help="Partner nodes: anchors, trust, digest keys.", no_args_is_help=True)


@app.command("anchor")
def anchor(out: Annotated[Path | None, typer.Option(help="file to write (default: standard output)")] = None
           ) -> None:
    """Write this node's signed anchor, to give a partner node's operator with its SHA-256."""
    with output_file(out) as handle, work() as (session, _):
        data = service.write_anchor(session=session, actor=None, settings=get_settings(), now=utcnow())
        handle.write(data.decode() + "\n")
    if out is not None:
        import hashlib

        typer.echo(f"anchor written to {out}; SHA-256 {hashlib.sha256(data).hexdigest()}")


@app.command("trust")
def trust(
    file: Annotated[Path, typer.Argument(help="the partner's anchor file")],
    sha256: Annotated[str | None, typer.Option(help="the hash the partner's operator read out: refuse any other")]
    = None,
) -> None:
    """Verify a partner node's anchor and trust it; prints its SHA-256 to compare out of band."""
    try:
        data = file.read_bytes()
    except OSError as exc:
        raise fail(f"cannot read {file}: {exc.strerror or exc}") from None
    with work() as (session, _):
        found = service.trust(session=session, actor=None, settings=get_settings(), data=data, now=utcnow(),
                              expect_sha256=sha256)
    typer.echo(f"trusted {found.node} ({', '.join(found.agency_codes)}) until {found.expires_at:%Y-%m-%d}; "
               f"SHA-256 {found.sha256}")


@app.command("untrust")
def untrust(node: Annotated[str, typer.Argument(help="the partner's node id")]) -> None:
    """End the trust in a partner node."""
    with work() as (session, _):
        service.untrust(session=session, actor=None, node_id=node, now=utcnow())
    typer.echo(f"untrusted {node}")


@app.command("partners")
def partners(as_json: Annotated[bool, typer.Option("--json", help="JSON lines")] = False) -> None:
    """List partner nodes: id, status, agencies, expiry, the anchor's SHA-256."""
    with work() as (session, _):
        rows = service.partners(session=session, actor=None, now=utcnow())
    for r in rows:
        if as_json:
            typer.echo(json.dumps({"node": r.node_id, "status": r.status, "endpoint": r.endpoint,
                                   "agencies": list(r.agencies), "expires_at": r.expires_at.isoformat(),
                                   "sha256": r.sha256}))
        else:
            typer.echo(f"{r.node_id}\t{r.status}\t{','.join(r.agencies)}\t{r.expires_at:%Y-%m-%d}\t{r.sha256}")


@app.command("digest-key")
def digest_key(
    node: Annotated[str, typer.Argument(help="the partner's node id")],
    stdin: Annotated[bool, typer.Option("--stdin", help="store the key the partner made (`<id>:<base64>` on "
                                        "standard input) instead of making one")] = False,
) -> None:
    """Rotate the key of step-1 discovery digests shared with a partner: make a new one and print it
    once (`<id>:<base64>`, to give the partner's operator), or store the one the partner made."""
    given = sys.stdin.readline().strip() if stdin else None
    with work() as (session, _):
        text = digests.rotate(session=session, actor=None, node_id=node, now=utcnow(), given=given)
    if given is None:
        typer.echo(text)
    else:
        typer.echo(f"digest key {text.split(':', 1)[0]} of {node} stored")


@app.command("push")
def push(
    every: Annotated[float | None, typer.Option(min=1, help="keep pushing, every this many seconds")] = None,
) -> None:
    """Queue the bundles and tombstones the releases call for and send them to partner nodes, in each
    partner's order; prints JSON {"bundles", "tombstones", "sent", "failed"}. A partner that fails keeps
    its queue for the next push."""
    import time

    from binational.federation import sync

    settings = get_settings()
    while True:
        with work() as (session, _):
            collected = sync.collect(session=session, settings=settings, now=utcnow())
        with work() as (session, _):
            pushed = sync.push(session=session, settings=settings, now=utcnow(),
                               transport=sync.tls_transport(settings))
        typer.echo(json.dumps({"bundles": collected.bundles, "tombstones": collected.tombstones,
                               "sent": pushed.sent, "failed": collected.failed + pushed.failed}))
        if every is None:
            return
        time.sleep(every)

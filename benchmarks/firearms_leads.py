"""Straw-purchase flags against the synthetic truth: precision and recall of the leads' flags.

The synthetic world's firearms trade (`binational/scenario/firearms_trade.py`) is loaded into a fresh
SQLite node: US-ATF imports the sale records and multiple-sale reports, MX-FGR sends every recovery
as a trace request in batches, US-ATF resolves its queue (exact serials answered at once) and, as a
hurried analyst would, confirms every trace's first candidate when it scores at least 0.5. The leads
then flag purchasers with two reasons or more. Peers: the single rules an analyst would otherwise
apply, "the same purchaser in two traces or more" and "a time-to-crime under three years". The
network tie (purchaser linked to an organisation) is not counted here: the world's entities are not
loaded, so the figures are what the trace data alone gives.

    python -m benchmarks.firearms_leads [--size small|medium] [--seed 7]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import tempfile
import time
from pathlib import Path

from sqlalchemy import select

from binational.access import service as access
from binational.config import get_settings
from binational.db import Database, act_as, act_as_system
from binational.firearms import leads, records, service
from binational.firearms.models import Trace
from binational.scenario import generate
from binational.schema import upgrade

RESULTS = Path(__file__).parent / "results"
CONFIRM_FLOOR = 0.5
BATCH = 500


def _actor(db: Database, username: str):  # noqa: ANN202
    with db.unit_of_work() as s:
        act_as_system(s)
        return access.actor_for(session=s, user=access.get_user(session=s, username=username))


def _score(flagged: set[str], truth: set[str]) -> dict[str, float | int]:
    hits = len(flagged & truth)
    return {"flagged": len(flagged), "true_positives": hits,
            "precision": round(hits / len(flagged), 3) if flagged else 0.0,
            "recall": round(hits / len(truth), 3) if truth else 0.0}


def run(size: str, seed: int) -> dict[str, object]:
    folder = Path(tempfile.mkdtemp(prefix="firearms-leads-"))
    world = folder / "world"
    start = time.perf_counter()
    generate(seed, size, world)
    # the services read the node's settings: this node's, with room for a prosecutor's whole caseload
    os.environ.update({"BINATIONAL_DATABASE_URL": f"sqlite:///{folder / 'node.db'}",
                       "BINATIONAL_AUDIT_KEY_PATH": str(folder / "audit.key"),
                       "BINATIONAL_SECRET_KEY": "benchmark-secret-of-the-firearms-leads",
                       "BINATIONAL_REQUESTS_PER_USER_HOUR": "10000000"})
    get_settings.cache_clear()
    settings = get_settings()
    db = Database(settings)
    upgrade(db.engine, settings)
    with db.unit_of_work() as s:
        act_as_system(s)
        for code, country, name in (("US-ATF", "US", "ATF"), ("MX-FGR", "MX", "FGR")):
            access.add_agency(session=s, code=code, country=country, name=name)
        access.add_user(session=s, username="tracer", agency="US-ATF", roles=["supervisor"], clearance="TLP:AMBER")
        access.add_user(session=s, username="fiscal", agency="MX-FGR", roles=["analyst"], clearance="TLP:AMBER")
    tracer, fiscal = _actor(db, "tracer"), _actor(db, "fiscal")
    generated = time.perf_counter()
    with db.unit_of_work() as s:
        act_as(s, tracer)
        for kind, name in (("sales", "sales"), ("multiple-sales", "multiple_sales")):
            records.import_csv(session=s, actor=tracer, kind=kind,
                               text=(world / "firearms" / f"{name}.csv").read_text(encoding="utf-8"))
    lines = (world / "firearms" / "traces.csv").read_text(encoding="utf-8").splitlines()
    for first in range(1, len(lines), BATCH):
        with db.unit_of_work() as s:
            act_as(s, fiscal)
            service.submit_batch(session=s, actor=fiscal, text="\n".join([lines[0], *lines[first:first + BATCH]]))
    with db.unit_of_work() as s:
        act_as(s, tracer)
        done = service.resolve_queue(session=s, actor=tracer, limit=len(lines))
    with db.unit_of_work() as s:
        act_as(s, tracer)
        waiting = list(s.execute(select(Trace.id).where(Trace.status == "candidates")).scalars())
    confirmed = 0
    for trace_id in waiting:
        with db.unit_of_work() as s:
            act_as(s, tracer)
            view = service.read_trace(session=s, actor=tracer, trace_id=trace_id)
            best = view["candidates"][0] if view["candidates"] else None
            if best and best["score"] >= CONFIRM_FLOOR:
                service.confirm(session=s, actor=tracer, trace_id=trace_id, sale_id=best["sale_id"])
                confirmed += 1
    worked = time.perf_counter()
    with db.unit_of_work() as s:
        act_as(s, tracer)
        found = leads.leads(session=s, actor=tracer, network=False)
    truth = {row["purchaser"].upper() for row in
             csv.DictReader((world / "truth" / "straw_purchasers.csv").open(encoding="utf-8"))}
    signals = found["signals"]
    flagged = {s["purchaser"].upper() for s in signals if s["flagged"]}

    def having(reason: str) -> set[str]:
        return {s["purchaser"].upper() for s in signals if any(r["reason"] == reason for r in s["reasons"])}

    db.dispose()
    return {
        "size": size, "seed": seed, "traces": len(lines) - 1, "resolution": done, "confirmed": confirmed,
        "results": found["results"], "straw_purchasers": len(truth),
        "ours_two_reasons": _score(flagged, truth),
        "peer_several_traces": _score(having("several_traces"), truth),
        "peer_short_time_to_crime": _score(having("short_time_to_crime"), truth),
        "seconds": {"generate": round(generated - start, 1), "import_trace_confirm": round(worked - generated, 1),
                    "leads": round(time.perf_counter() - worked, 2)},
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=("small", "medium"), default="small")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    result = run(args.size, args.seed)
    print(f"{'rule':28} {'flagged':>8} {'precision':>9} {'recall':>7}")
    for name in ("ours_two_reasons", "peer_several_traces", "peer_short_time_to_crime"):
        row = result[name]
        assert isinstance(row, dict)
        print(f"{name:28} {row['flagged']:>8} {row['precision']:>9.3f} {row['recall']:>7.3f}")
    print(json.dumps({k: v for k, v in result.items() if not k.startswith(("ours", "peer"))}))
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"firearms_leads_{args.size}.json"
    out.write_text(json.dumps(result, indent=1))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()

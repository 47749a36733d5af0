"""What one network or resolution request of an analyst costs on a loaded world (medium: 88,626 entities).

Claim (issue 12): on the medium world, no network or resolution request of a non-administrator takes
more than 3 s of wall time. The world is loaded beforehand (`binational init`, `binational scenario
load --size medium`, `binational resolution run`, see benchmarks/README.md); this script times, in
one process and through the services the API calls, ego networks of seeded random parties at depths 1
to 3 (with their measures, as the API answers them), the whole network (refused past
`network_max_nodes`), a page of suggestions, a record's matches and its cluster, as `cbp_analyst`
and `fgr_analyst`. Writes benchmarks/results/network_neighbourhood.json.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import select

from binational.access import service as access
from binational.access.policy import visible
from binational.audit.scope import act_as
from binational.config import Settings
from binational.db import Database
from binational.entities.models import Entity
from binational.errors import OverLimit
from binational.networks import service as networks
from binational.networks.schemas import Scope
from binational.resolution import service as resolution

RESULTS = Path(__file__).parent / "results"


def _timed(db: Database, username: str, call: Callable[[Any, Any], Any]) -> tuple[float, str]:
    with db.unit_of_work() as s:
        actor = access.actor_for(session=s, user=access.get_user(session=s, username=username))
        act_as(s, actor)
        start = time.perf_counter()
        try:
            call(s, actor)
            outcome = "ok"
        except OverLimit:
            outcome = "refused (422)"
        elapsed = time.perf_counter() - start
        s.rollback()  # measuring, not recording
    return elapsed, outcome


def main(argv: list[str] | None = None) -> int:
    """Time the requests; print a table; write the JSON results."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", default=os.environ.get("BINATIONAL_DATABASE_URL"),
                        help="the loaded world's database (default: BINATIONAL_DATABASE_URL)")
    parser.add_argument("--centres", type=int, default=8, help="random parties per user")
    parser.add_argument("--size", default="medium", help="recorded with the results only")
    args = parser.parse_args(argv)
    if not args.url:
        print("network_neighbourhood: skipped (no --url of a loaded world)")
        return 0
    db = Database(Settings(database_url=args.url))
    rows: list[dict[str, Any]] = []
    rng = random.Random(12)
    for username in ("cbp_analyst", "fgr_analyst"):
        with db.unit_of_work() as s:
            actor = access.actor_for(session=s, user=access.get_user(session=s, username=username))
            act_as(s, actor)
            people = sorted(s.execute(select(Entity.id).where(Entity.schema == "Person", Entity.deleted_at.is_(None),
                                                              visible(actor, Entity))).scalars())
        centres = rng.sample(people, min(args.centres, len(people)))

        def record(name: str, call: Callable[[Any, Any], Any], user: str = username) -> None:
            elapsed, outcome = _timed(db, user, call)
            rows.append({"user": user, "request": name, "seconds": round(elapsed, 3), "outcome": outcome})
            print(f"{user:12} {name:28} {elapsed:7.3f} s  {outcome}")

        record("whole network", lambda s, a: networks.network(session=s, actor=a, scope=Scope()))
        for centre in centres:
            for depth in (1, 2, 3):
                record(f"ego depth {depth}", lambda s, a, c=centre, d=depth: networks.describe(
                    networks.network(session=s, actor=a, scope=Scope(entity=c, depth=d))))
            record("matches", lambda s, a, c=centre: resolution.matches(session=s, actor=a, entity_id=c))
            record("cluster", lambda s, a, c=centre: resolution.cluster(session=s, actor=a, entity_id=c))
        record("suggestions page of 50", lambda s, a: resolution.list_suggestions(session=s, actor=a, limit=50))
    by_request: dict[str, list[float]] = {}
    for row in rows:
        by_request.setdefault(row["request"], []).append(row["seconds"])
    summary = {name: {"n": len(v), "median": round(statistics.median(v), 3), "max": max(v)}
               for name, v in by_request.items()}
    print(json.dumps(summary, indent=1))
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "network_neighbourhood.json").write_text(json.dumps(
        {"size": args.size, "rows": rows, "summary": summary}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

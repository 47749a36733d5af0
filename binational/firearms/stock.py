"""The demo's firearms records: US-ATF's sale records and multiple-sale reports of the synthetic world,
imported as its supervisor, so that MX-FGR can send the world's recoveries as a batch of traces."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from binational.access import service as access
from binational.audit.scope import unit_of_work
from binational.db import Database, act_as, act_as_system
from binational.errors import DomainError
from binational.firearms import records

TRACER = "atf_supervisor"


def load(*, db: Database, world: Path, echo: Callable[[str], None]) -> int:
    """Import the world's `firearms/sales.csv` and `firearms/multiple_sales.csv` as US-ATF's supervisor;
    returns the records imported (none when the world or the user has none)."""
    files = [("sales", world / "firearms" / "sales.csv"), ("multiple-sales", world / "firearms" / "multiple_sales.csv")]
    if not all(path.is_file() for _, path in files):
        return 0
    with unit_of_work(db) as session:
        act_as_system(session)
        try:
            actor = access.actor_for(session=session, user=access.get_user(session=session, username=TRACER))
        except DomainError:
            return 0
        act_as(session, actor)
        count = sum(records.import_csv(session=session, actor=actor, kind=kind, text=path.read_text(encoding="utf-8"))
                    for kind, path in files)
    echo(f"firearms: {count} US-ATF sale records and multiple-sale reports; fgr_analyst can send the "
         f"recoveries of {world / 'firearms' / 'traces.csv'} as a batch at /firearms")
    return count

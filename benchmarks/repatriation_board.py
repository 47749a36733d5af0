"""The planning board end to end, beside the planner alone on the same people and movements.

Claim (issue 15, Safeguards): every person goes through every proposal gate, each result recorded,
before the planner sees anyone, and the planner's assignments go onto the manifests through the gates
again. This measures what that costs around the planner. The board (`repatriation.board.plan_board`)
reads the sender's case files, runs and records the gates, plans, and writes the manifest lines (with
their gate results). Its peer is `repatriation.planner.plan` alone, given the same eligible people and
the same free seats in process, as an optimiser run on a spreadsheet would be.

Data: the scenario's detained people (`binational/scenario/repatriation.py`: the hard cases at their
shares, families of two to four) and its week of six movements, scaled with `--people`, loaded into a
fresh SQLite database through the services; every proposal accepted by the receiver first.

    python -m benchmarks.repatriation_board --people 2000
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from binational.access import service as access
from binational.config import Settings, get_settings
from binational.db import Database, act_as, act_as_system
from binational.repatriation import board, planner, service, world
from binational.repatriation.arrangements import get as arrangement
from binational.scenario import repatriation as scenario
from binational.scenario.sizes import Size
from binational.scenario.world import World
from binational.schema import upgrade

RESULTS = Path(__file__).parent / "results"


def _unit(db: Database, username: str) -> Any:
    from contextlib import contextmanager

    @contextmanager
    def unit():  # noqa: ANN202
        with db.unit_of_work() as s:
            act_as_system(s)
            actor = access.actor_for(session=s, user=access.get_user(session=s, username=username))
            act_as(s, actor)
            yield s, actor
    return unit()


def run(people: int, seed: int) -> dict[str, Any]:
    """Build, load, accept, then time the board and the planner alone."""
    folder = Path(tempfile.mkdtemp(prefix="repatriation-board-"))
    settings = Settings(database_url=f"sqlite:///{folder / 'b.db'}", audit_key_path=folder / "audit.key",
                        secret_key="benchmark-secret-key-0123", environment="test", requests_per_user_hour=10_000)
    os.environ["BINATIONAL_DATABASE_URL"] = settings.database_url
    os.environ["BINATIONAL_SECRET_KEY"] = settings.secret_key
    get_settings.cache_clear()
    db = Database(settings)
    upgrade(db.engine, settings)
    with db.unit_of_work() as s:
        act_as_system(s)
        for code, country in (("US-ICE", "US"), ("MX-INM", "MX"), ("MX-SRE", "MX")):
            access.add_agency(session=s, code=code, country=country, name=code)
        for name, agency, role in (("ice", "US-ICE", "supervisor"), ("inm", "MX-INM", "supervisor")):
            access.add_user(session=s, username=name, agency=agency, roles=[role], clearance="TLP:AMBER")
    out = folder / "world"
    made = World.open(out, seed, Size("bench", people=people * 10, organisations=0, chunk=1000))
    scenario.generate(made, random.Random(seed), None, None)
    monday = world.monday_for(date.today())
    started = time.perf_counter()
    with _unit(db, "ice") as (s, actor):
        loaded = world.load(session=s, actor=actor, folder=out, monday=monday)
    load_s = time.perf_counter() - started
    with _unit(db, "inm") as (s, actor):
        for m in service.list_movements(session=s, actor=actor, role="receiver", state="proposed"):
            service.respond(session=s, actor=actor, movement_id=m["id"], decision="accept")
    end = monday + timedelta(days=6)
    agreed = arrangement("us-mx-2016")
    # the peer: the planner alone on the people the gates admit and the same seats, in process
    with _unit(db, "ice") as (s, actor):
        eligible, _kept = board.eligible(s, actor, agreed, monday, end)
        movements = service.list_movements(session=s, actor=actor, role="sender", state="accepted")
        persons = [planner.Person(id=d.id, family_id=d.family_id, nationality=d.nationality,
                                  ready_date=d.ready_date, priority=d.priority,
                                  unaccompanied_child=d.unaccompanied_child, needs_medical=d.needs_medical)
                   for d in eligible]
        s.rollback()
    slots = [planner.Slot(id=m["id"], mode=m["mode"], point=m["point"], country=m["country"], date=m["date"],
                          start_hour=m["start_hour"], end_hour=m["end_hour"], capacity=m["capacity"],
                          child_welfare=agreed.points[m["point"]].child_welfare,
                          medical=m["medical_staff"] and agreed.points[m["point"]].medical) for m in movements]
    cpu, started = time.process_time(), time.perf_counter()
    alone = planner.plan(persons, slots, first_seconds=5, second_seconds=10)
    peer = {"wall_s": round(time.perf_counter() - started, 2), "cpu_s": round(time.process_time() - cpu, 2),
            "placed": len(alone.assignments)}
    cpu, started = time.process_time(), time.perf_counter()
    with _unit(db, "ice") as (s, actor):
        result = board.plan_board(session=s, actor=actor, arrangement="us-mx-2016", date_from=monday,
                                  date_to=end, first_seconds=5, second_seconds=10)
    ours = {"wall_s": round(time.perf_counter() - started, 2), "cpu_s": round(time.process_time() - cpu, 2),
            "placed": result["placed"], "held_back": len(result["kept_off"]), "eligible": result["eligible"]}
    db.dispose()
    return {"people": loaded["case_files"], "movements": len(slots), "seats": sum(s.capacity for s in slots),
            "load_s": round(load_s, 2), "board": ours, "planner_alone": peer,
            "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                        "load_average": os.getloadavg()}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    result = run(args.people, args.seed)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "repatriation_board.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()

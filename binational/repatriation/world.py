"""The scenario's repatriation files loaded through the services, and the demo's week played on them.

`load` opens the sender's case files of `repatriation/cases.jsonl` and proposes the movements of
`repatriation/movements.jsonl`, dated from the Monday the world is loaded for. `play` is the week of
the issue's story, each step by the user of the side that takes it: MX-INM accepts and counters,
US-ICE plans the week on the planning board, MX-SRE verifies, the lock is refused until counsel is
notified, a stay recorded after the lock pulls a person at boarding, US-ICE routes the buses of the
first land hand-over, MX-INM confirms the arrivals, and both sides' statistics are read.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from binational.access import service as access
from binational.access.policy import Actor
from binational.audit.scope import unit_of_work
from binational.db import Database, act_as, act_as_system
from binational.errors import InvalidInput
from binational.repatriation import board, casefiles, convoys, manifest, service, statistics

Unit = Callable[[str], AbstractContextManager[tuple[Session, Actor]]]


def units_of(db: Database) -> Unit:
    """Units of work on `db`, each acting as the user it is named for."""

    @contextmanager
    def unit(username: str) -> Iterator[tuple[Session, Actor]]:
        with unit_of_work(db) as session:
            act_as_system(session)
            actor = access.actor_for(session=session, user=access.get_user(session=session, username=username))
            act_as(session, actor)
            yield session, actor
    return unit


def demo_week(db: Database, folder: Path, *, sender: str = "ice_supervisor", receiver: str = "inm_supervisor",
              consulate: str = "sre_supervisor", tell: Callable[[str], None] = lambda _line: None) -> dict[str, Any]:
    """The demo's week on a world folder just loaded: the case files and proposals, then `play`."""
    unit, monday = units_of(db), monday_for(date.today())
    with unit(sender) as (session, actor):
        loaded = load(session=session, actor=actor, folder=folder, monday=monday)
    tell(f"{sender}: opened {loaded['case_files']} case files, proposed {loaded['movements']} movements "
         f"for the week of {monday.isoformat()}")
    return play(unit, sender=sender, receiver=receiver, consulate=consulate, monday=monday, tell=tell)


def monday_for(today: date) -> date:
    """The first Monday at least four days ahead: every lead time of the shipped arrangement holds."""
    ahead = (7 - today.weekday()) % 7 or 7
    return today + timedelta(days=ahead if ahead >= 4 else ahead + 7)


def _lines(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    try:
        handle = path.open(encoding="utf-8")
    except OSError:
        raise InvalidInput(f"{path.name}: no such file", details=[{"file": path.name}]) from None
    with handle:
        for number, text in enumerate(handle, start=1):
            if text.strip():
                try:
                    yield number, json.loads(text)
                except ValueError:
                    raise InvalidInput(f"{path.name} line {number}: not JSON", details=[{"line": number}]) from None


def load(*, session: Session, actor: Actor, folder: Path, monday: date) -> dict[str, int]:
    """The case files and proposed movements of a scenario folder, as the sending agency's user."""
    root = folder / "repatriation"
    opened = 0
    for number, raw in _lines(root / "cases.jsonl"):
        try:
            born = monday.replace(year=monday.year - int(raw["age"])) - timedelta(days=40)
            final = raw.get("final_order_days_before")
            clearance = raw.get("medical_clearance_days")
            row = casefiles.create(session=session, actor=actor, data={
                "id": f"{actor.agency.lower()}.{raw['id']}", "name": raw["name"], "sex": raw["sex"],
                "birth_date": born, "nationality": raw["nationality"], "family_id": raw.get("family_id"),
                "unaccompanied_child": raw.get("unaccompanied_child", False),
                "child_screening": raw.get("child_screening"), "needs_medical": raw.get("needs_medical", False),
                "medical_clearance_until": monday + timedelta(days=clearance) if clearance is not None else None,
                "order_type": raw.get("order_type"),
                "order_final_on": monday - timedelta(days=final) if final is not None else None,
                "automatic_stay": raw.get("automatic_stay", False), "fear_claim": raw.get("fear_claim", False),
                "protection_claim": raw.get("protection_claim", "none"),
                "protection_country": raw.get("protection_country"),
                "counsel_of_record": raw.get("counsel_of_record", False),
                "ready_date": monday + timedelta(days=int(raw["ready_in_days"])), "priority": raw.get("priority", 1),
                "facility": raw.get("facility")})
        except (KeyError, TypeError, ValueError) as exc:
            raise InvalidInput(f"cases.jsonl line {number}: {exc}", details=[{"line": number}]) from None
        except InvalidInput as exc:
            raise InvalidInput(f"cases.jsonl line {number}: {exc.message}", details=exc.details) from None
        if raw.get("counsel_notified"):
            casefiles.record_fact(session=session, actor=actor, detainee_id=row.id, fact="counsel_notified",
                                  value=True)
        opened += 1
    proposed = 0
    for number, raw in _lines(root / "movements.jsonl"):
        try:
            service.propose(session=session, actor=actor, arrangement=raw["arrangement"], mode=raw["mode"],
                            point=raw["point"], day=monday + timedelta(days=int(raw["day"])),
                            start_hour=raw["start_hour"], end_hour=raw["end_hour"], capacity=raw["capacity"],
                            medical_staff=raw.get("medical_staff", False),
                            expected={"adults": raw["capacity"]})
        except KeyError as exc:
            raise InvalidInput(f"movements.jsonl line {number}: no {exc}", details=[{"line": number}]) from None
        except InvalidInput as exc:
            raise InvalidInput(f"movements.jsonl line {number}: {exc.message}", details=exc.details) from None
        proposed += 1
    return {"case_files": opened, "movements": proposed}


def play(unit: Unit, *, sender: str, receiver: str, consulate: str, monday: date,
         tell: Callable[[str], None] = lambda _line: None) -> dict[str, Any]:
    """The demo's week, each step in its own unit of work as the user of the side that takes it."""
    week_end = monday + timedelta(days=6)
    with unit(receiver) as (s, actor):
        proposed = service.list_movements(session=s, actor=actor, role="receiver", state="proposed",
                                          date_from=monday, date_to=week_end)
        countered = next((m["id"] for m in proposed if m["mode"] == "land" and m["start_hour"] < 9), None)
        for m in proposed:
            if m["id"] == countered:
                service.respond(session=s, actor=actor, movement_id=m["id"], decision="counter",
                                counter={"start_hour": m["start_hour"] + 1}, note="officers arrive later that day")
            else:
                service.respond(session=s, actor=actor, movement_id=m["id"], decision="accept")
    tell(f"{receiver}: accepted {len(proposed) - (countered is not None)}, countered {int(countered is not None)}")
    with unit(sender) as (s, actor):
        if countered:
            service.accept_counter(session=s, actor=actor, movement_id=countered)
        planned = board.plan_board(session=s, actor=actor, arrangement="us-mx-2016", date_from=monday,
                                   date_to=week_end, first_seconds=5, second_seconds=10)
        live = [m for m in service.list_movements(session=s, actor=actor, role="sender", state="accepted",
                                                  date_from=monday, date_to=week_end)]
        loaded = [m["id"] for m in live if manifest.view(s, actor, service.access_movement(
            s, actor, m["id"], "repatriation.read"))["manifest"]]
        for mid in loaded:
            manifest.request_verification(session=s, actor=actor, movement_id=mid)
    tell(f"{sender}: planned {planned['placed']} of {planned['eligible']} eligible "
         f"({len(planned['kept_off'])} held back by a safeguard) on {len(loaded)} movements")
    with unit(consulate) as (s, actor):
        for mid in loaded:
            view = manifest.view(s, actor, service.access_movement(s, actor, mid, "repatriation.read"))
            for line in view["manifest"]:
                manifest.verify(session=s, actor=actor, movement_id=mid, line_nos=[line["line_no"]],
                                outcome="verified", document_number=f"SRE-{mid[-6:]}-{line['line_no']:04d}",
                                valid_until=week_end + timedelta(days=90))
    tell(f"{consulate}: verified the nationality on {len(loaded)} manifests")
    refusals, pulled = 0, 0
    with unit(sender) as (s, actor):
        for mid in loaded:
            outcome = manifest.lock(session=s, actor=actor, movement_id=mid)
            for failure in outcome["failures"]:
                refusals += 1
                if failure["gate"] == "counsel":  # the officer notifies counsel, then locks again
                    casefiles.record_fact(session=s, actor=actor, detainee_id=failure["detainee_id"],
                                          fact="counsel_notified", value=True)
            if not outcome["locked"]:
                retry = manifest.lock(session=s, actor=actor, movement_id=mid)
                for failure in retry["failures"]:
                    manifest.strike(session=s, actor=actor, movement_id=mid, line_no=failure["line_no"],
                                    code="legal_hold")
                if not retry["locked"]:
                    manifest.lock(session=s, actor=actor, movement_id=mid)
        first = manifest.view(s, actor, service.access_movement(s, actor, loaded[0], "repatriation.read")) \
            if loaded else None
        late = next((li for li in first["manifest"] if li["category"] == "adult" and not li["family_group"]
                     and li["status"] == "listed"), None) if first else None
        if late:  # a stay granted after the lock
            casefiles.record_fact(session=s, actor=actor, detainee_id=late["detainee_id"],
                                  fact="discretionary_stay", value=True)
        buses = None
        for mid in loaded:
            pulled += len(manifest.board(session=s, actor=actor, movement_id=mid)["pulled"])
            view = service.read(session=s, actor=actor, movement_id=mid)
            if buses is None and view["mode"] == "land":  # the buses from the facilities to the port
                aboard = view["counts"]["by_status"].get("boarded", 0)
                buses = convoys.convoy_for(session=s, actor=actor, movement_id=mid, buses=-(-aboard // 45) + 1,
                                           seats=45)
            manifest.depart(session=s, actor=actor, movement_id=mid)
    tell(f"{sender}: {refusals} lock refusals answered; {pulled} pulled at boarding; {len(loaded)} departed"
         + (f"; {buses['on_buses']} of {buses['people']} by bus to {buses['point']} on {len(buses['routes'])} buses"
            if buses else ""))
    with unit(receiver) as (s, actor):
        for mid in loaded:
            view = manifest.view(s, actor, service.access_movement(s, actor, mid, "repatriation.read"))
            got = view["counts"]["by_category"]
            people = got["adults"] + got["children"] + got["unaccompanied_children"]
            manifest.receive(session=s, actor=actor, movement_id=mid, receipt={
                "counts": got, "receiving_officer": "Oficial de guardia", "child_welfare_officer": "DIF",
                "certificates": [f"CR-{mid[-6:]}-{n:04d}" for n in range(people)], "belongings_returned": True,
                "hour": view["start_hour"] + 1})
            manifest.reconcile(session=s, actor=actor, movement_id=mid)
        theirs = statistics.statistics(session=s, actor=actor, date_from=monday, date_to=week_end)
    with unit(sender) as (s, actor):
        ours = statistics.statistics(session=s, actor=actor, date_from=monday, date_to=week_end)
    tell(f"{receiver}: confirmed {theirs['removed']} arrivals; {sender} counts {ours['removed']} returned")
    return {"planned": planned["placed"], "held_back": len(planned["kept_off"]), "movements": len(loaded),
            "lock_refusals": refusals, "pulled_at_boarding": pulled, "returned": ours["removed"],
            "by_bus": buses["on_buses"] if buses else 0,
            "received": sum(r["received"] for r in theirs["reconciliation"]),
            "reconciles": ours["reconciliation"] == theirs["reconciliation"]}

"""Repatriation planner: a two-week plan for 20,000 eligible people over 224 or 280 slots on 2 cores.

Claim (issue 15): the first stage (priority weight moved) within 5 s at no less than 99 % of the bound
of its LP relaxation; the second (fewest slots used) within 10 % of its bound within 30 s. Side by
side in one run: a first-ready-first-served greedy (what a planner does by hand), and the naive
CP-SAT model with one boolean per (person, compatible slot), on a ladder of sizes until it stops
finding solutions. The `quota` scenario is `tight` under weekly route quotas (see QUOTAS), which the
planner holds as constraints and the greedy respects slot by slot.

Land convoys (`--only convoy`): the OR-Tools routing of `convoys.plan_convoy`, at the product's 1 s
and at 5 s, beside a greedy nearest-stop route (each bus in turn drives to the nearest facility it can
still serve and reach the port in time, until full), on seeded networks of detention facilities
around one port: people carried, buses used, minutes driven.

    python -m benchmarks.repatriation [--size small|large] [--only tight|slack|quota|convoy]
"""

from __future__ import annotations

import argparse
import json
import math
import random
import time
from collections import Counter, defaultdict
from collections.abc import Sequence
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from ortools.linear_solver import pywraplp
from ortools.sat.python import cp_model

from binational.repatriation.convoys import Network, Place, plan_convoy
from binational.repatriation.planner import (
    Person,
    Plan,
    Quota,
    Slot,
    allowed,
    groups_of,
    monday_of,
    plan,
    slot_order,
    units_of,
)

RESULTS = Path(__file__).parent / "results"
START = date(2026, 3, 2)  # a Monday
DAYS = 14
#: people in the headline instance, and the naive model's ladder, per size
SIZES = {"small": (2_000, (300, 1_000)), "large": (20_000, (300, 1_000, 3_000, 6_000))}
#: share of people by nationality (Mexico returns most; Mexico itself returns Central Americans)
NATIONALITIES = (("MX", 0.70), ("GT", 0.13), ("HN", 0.11), ("SV", 0.06))
FIRST_SECONDS, SECOND_SECONDS = 5.0, 30.0
WORKERS = 2


#: Mexican border ports per scenario: `tight`, more Mexicans than seats (who goes matters);
#: `slack`, seats to spare (how few slots matters)
PORTS = {"tight": ("TIJ", "NOG", "CJS", "MAM"), "slack": ("TIJ", "MXL", "NOG", "CJS", "NLD", "MAM")}
#: the weekly quotas of the `quota` scenario (on the tight slots): five of the seven interior flights a
#: week to Mexico, land hand-overs to Mexico capped at about three quarters of their seats, ten of the
#: fourteen flights a week to each of Guatemala and Honduras
SCENARIOS = {"tight": "tight", "slack": "slack", "quota": "tight"}


def quotas_for(people: int, scenario: str) -> list[Quota]:
    """The weekly route quotas of a scenario (none but in `quota`), scaled with the people."""
    if scenario != "quota":
        return []
    land = max(10, round(5_000 * people / 20_000))
    return [Quota("MX", "air", 5, "movements"), Quota("MX", "land", land, "persons"),
            Quota("GT", "air", 10, "movements"), Quota("HN", "air", 10, "movements")]


def slots_for(people: int, scenario: str = "tight") -> list[Slot]:
    """Sixteen (tight) or twenty (slack) slots a day for two weeks: a Mexico City interior flight with
    medical staff; four or six border ports each with a daytime window (child-welfare officers; half
    with medical staff) and an evening window; two flights a day to each of Guatemala City, San Pedro
    Sula and San Salvador; and a daytime land hand-over to Guatemala at Ciudad Hidalgo. Seats scale
    with the number of people (20,000: 135 per flight, 120 and 60 per land window)."""
    scale = people / 20_000
    seats = {"flight": max(4, round(135 * scale)), "day": max(4, round(120 * scale)),
             "evening": max(2, round(60 * scale)), "gt-land": max(3, round(100 * scale))}
    out: list[Slot] = []
    for d in range(DAYS):
        day = START + timedelta(days=d)
        out.append(Slot(f"MX-AIR-{d}", "air", "MEX", "MX", day, 9, 14, seats["flight"], False, True))
        for n, port in enumerate(PORTS[scenario]):
            out.append(Slot(f"MX-{port}-D{d}", "land", port, "MX", day, 7, 17, seats["day"], True, n % 2 == 0))
            out.append(Slot(f"MX-{port}-E{d}", "land", port, "MX", day, 18, 22, seats["evening"], False, False))
        for country, point in (("GT", "GUA"), ("HN", "SAP"), ("SV", "SAL")):
            for k, hour in enumerate((8, 14)):
                out.append(Slot(f"{country}-AIR-{d}-{k}", "air", point, country, day, hour, hour + 4,
                                seats["flight"], False, True))
        out.append(Slot(f"GT-LAND-{d}", "land", "CHI", "GT", day, 8, 16, seats["gt-land"], True, False))
    return out


def people_for(n: int, seed: int = 15) -> list[Person]:
    """n eligible people: 15 % of units are families of 2-4 sharing a case priority and ready date;
    2 % of Mexicans and Guatemalans travelling alone are unaccompanied children; 3 % need medical care;
    40 % are ready on the first day (the backlog), the rest through the fortnight; priority 1-3."""
    rng = random.Random(seed)
    codes = [c for c, _ in NATIONALITIES]
    shares = [w for _, w in NATIONALITIES]
    out: list[Person] = []
    family = 0
    while len(out) < n:
        nat = rng.choices(codes, shares)[0]
        ready = START + timedelta(days=0 if rng.random() < 0.4 else rng.randrange(DAYS))
        priority = rng.choices((1, 2, 3), (0.65, 0.25, 0.10))[0]
        if rng.random() < 0.15:
            family += 1
            size = min(rng.choice((2, 2, 3, 3, 4)), n - len(out))
            for _ in range(size):
                out.append(Person(f"P{len(out):06d}", f"F{family:05d}", nat, ready, priority, False,
                                  rng.random() < 0.03))
        else:
            child = nat in ("MX", "GT") and rng.random() < 0.02
            out.append(Person(f"P{len(out):06d}", None, nat, ready, priority, child, rng.random() < 0.03))
    return out


def lp_bound(people: Sequence[Person], slots: Sequence[Slot], quotas: Sequence[Quota] = ()) -> float:
    """The LP relaxation of the first stage (GLOP), on the group model: an upper bound on the priority
    weight any plan can move (the per-person model has the same relaxation). A quota of movements
    relaxes each slot's opened flag to [0, 1], with the planner's two rows on it: no count above its
    bound times the flag, and no load above the capacity times the flag (without the second, a
    fraction of a flight would carry a whole flight's people)."""
    data = groups_of(people, slots, quotas)
    solver = pywraplp.Solver.CreateSolver("GLOP")
    x = [solver.NumVar(0, ub, "") for _k, _s, ub in data.arcs]
    for arcs, most in data.supply:
        solver.Add(sum(x[a] for a in arcs) <= most)
    by_slot = data.by_slot()
    for s, arcs in by_slot.items():
        solver.Add(sum(data.size(data.arcs[a][0]) * x[a] for a in arcs) <= data.slots[s].capacity)
    for unit, members, most in data.quota_rows:
        if unit == "persons":
            solver.Add(sum(data.size(data.arcs[a][0]) * x[a] for s in members for a in by_slot.get(s, ())) <= most)
            continue
        opened = {s: solver.NumVar(0, 1, "") for s in members}
        for s in members:
            for a in by_slot.get(s, ()):
                solver.Add(x[a] <= data.arcs[a][2] * opened[s])
            solver.Add(sum(data.size(data.arcs[a][0]) * x[a] for a in by_slot.get(s, ()))
                       <= data.slots[s].capacity * opened[s])
        solver.Add(sum(opened.values()) <= most)
    solver.Maximize(sum(data.weight(k) * x[a] for a, (k, _s, _ub) in enumerate(data.arcs)))
    if solver.Solve() != pywraplp.Solver.OPTIMAL:
        raise RuntimeError("the LP relaxation did not solve")
    return float(solver.Objective().Value())


def greedy(people: Sequence[Person], slots: Sequence[Slot], quotas: Sequence[Quota] = ()) -> dict[str, str]:
    """First ready, first served: units by ready date, each to the earliest slot it may use with room
    (and, under quotas, whose route and week still has a movement to open or seats to fill)."""
    ordered = sorted(slots, key=slot_order)
    room = {s.id: s.capacity for s in ordered}
    left = {(n, monday_of(s.date)): q.left(monday_of(s.date)) for n, q in enumerate(quotas) for s in slots}
    opened: set[str] = set()
    out: dict[str, str] = {}

    def fits(unit: Any, s: Slot) -> bool:
        for n, q in enumerate(quotas):
            if q.covers(s):
                need = unit.size if q.unit == "persons" else int(s.id not in opened)
                if left[n, monday_of(s.date)] < need:
                    return False
        return True

    for unit in sorted(units_of(people), key=lambda u: (u.ready_date, u.members[0].id)):
        for s in ordered:
            if room[s.id] >= unit.size and allowed(unit, s) and fits(unit, s):
                room[s.id] -= unit.size
                for n, q in enumerate(quotas):
                    if q.covers(s):
                        left[n, monday_of(s.date)] -= unit.size if q.unit == "persons" else int(s.id not in opened)
                opened.add(s.id)
                out.update({m.id: s.id for m in unit.members})
                break
    return out


def naive(people: Sequence[Person], slots: Sequence[Slot], *, first_seconds: float, second_seconds: float
          ) -> dict[str, Any]:
    """The model a user writes first: a boolean per (person, slot the rules allow), family members tied
    slot by slot, the same two lexicographic stages and time limits, the second warm-started."""
    started = time.perf_counter()
    units = {u.members[0].id: u for u in units_of(people)}
    unit_of = {m.id: u for u in units.values() for m in u.members}
    model = cp_model.CpModel()
    y: dict[tuple[str, int], cp_model.IntVar] = {}
    per_slot: dict[int, list[tuple[str, int]]] = defaultdict(list)
    for p in people:
        for s, slot in enumerate(slots):
            if allowed(unit_of[p.id], slot):
                y[p.id, s] = model.new_bool_var("")
                per_slot[s].append((p.id, s))
    for p in people:
        row = [y[p.id, s] for s in range(len(slots)) if (p.id, s) in y]
        if row:
            model.add_at_most_one(row)
    for unit in units.values():
        head = unit.members[0].id
        for m in unit.members[1:]:
            for s in range(len(slots)):
                if (head, s) in y:
                    model.add(y[m.id, s] == y[head, s])
    opened = {s: model.new_bool_var("") for s in per_slot}
    for s, keys in per_slot.items():
        model.add(sum(y[k] for k in keys) <= slots[s].capacity * opened[s])
    priority = {p.id: p.priority for p in people}
    moved = sum(priority[k[0]] * v for k, v in y.items())
    model.maximize(moved)
    built = time.perf_counter() - started
    out: dict[str, Any] = {"people": len(people), "booleans": len(y) + len(opened), "build_s": round(built, 2)}
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = first_seconds
    solver.parameters.num_workers = WORKERS
    t0 = time.perf_counter()
    code = solver.solve(model)
    out["first"] = {"status": solver.status_name(code), "seconds": round(time.perf_counter() - t0, 2)}
    if code not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        # given the whole run's time (both stages') for the first stage alone
        solver = cp_model.CpSolver()
        solver.parameters.max_time_in_seconds = first_seconds + second_seconds
        solver.parameters.num_workers = WORKERS
        t0 = time.perf_counter()
        code = solver.solve(model)
        out["first_given_all_time"] = {"status": solver.status_name(code),
                                       "seconds": round(time.perf_counter() - t0, 2)}
        if code in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            out["first_given_all_time"].update(objective=int(solver.objective_value),
                                               bound=float(solver.best_objective_bound))
        return out
    value = int(solver.objective_value)
    out["first"].update(objective=value, bound=float(solver.best_objective_bound))
    hint = {k: int(solver.value(v)) for k, v in y.items()}
    model.add(moved >= value)
    model.minimize(sum(opened.values()))
    for k, v in y.items():
        model.add_hint(v, hint[k])
    used = {k[1] for k, v in hint.items() if v}
    for s, v in opened.items():
        model.add_hint(v, s in used)
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = second_seconds
    solver.parameters.num_workers = WORKERS
    t0 = time.perf_counter()
    code = solver.solve(model)
    out["second"] = {"status": solver.status_name(code), "seconds": round(time.perf_counter() - t0, 2)}
    if code in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        out["second"].update(objective=int(solver.objective_value), bound=float(solver.best_objective_bound))
    return out


def measures(people: Sequence[Person], slots: Sequence[Slot], assignments: dict[str, str]) -> dict[str, Any]:
    """What a plan achieves: people and weight moved, slots and flights opened, seat use, children,
    families and medical cases placed."""
    by_id = {s.id: s for s in slots}
    used = set(assignments.values())
    families: dict[str, list[Person]] = defaultdict(list)
    for p in people:
        if p.family_id:
            families[p.family_id].append(p)
    seats = sum(by_id[s].capacity for s in used)
    children = [p for p in people if p.unaccompanied_child]
    medical = [p for p in people if p.needs_medical]
    return {
        "people_moved": len(assignments),
        "priority_weight_moved": sum(p.priority for p in people if p.id in assignments),
        "high_priority_moved": sum(1 for p in people if p.priority == 3 and p.id in assignments),
        "slots_used": len(used),
        "flights_opened": sum(1 for s in used if by_id[s].mode == "air"),
        "seat_use": round(len(assignments) / seats, 4) if seats else 0.0,
        "children_placed": f"{sum(1 for p in children if p.id in assignments)}/{len(children)}",
        "families_placed": f"{sum(1 for f in families.values() if f[0].id in assignments)}/{len(families)}",
        "medical_placed": f"{sum(1 for p in medical if p.id in assignments)}/{len(medical)}",
    }


def stage(s: Any) -> dict[str, Any]:
    return {"status": s.status, "objective": s.objective, "bound": s.bound, "gap": round(s.gap, 5),
            "seconds": round(s.seconds, 2)}


def _brief(stage: dict[str, Any] | None, lp: float | None = None) -> str:
    if stage is None:
        return "not run"
    if "objective" not in stage:
        return f"{stage['status']} (no solution) in {stage['seconds']:.1f} s"
    share = f" = {stage['objective'] / lp:.1%} of LP" if lp else f" (bound {stage['bound']:g})"
    return f"{stage['status']} {stage['objective']:g}{share} in {stage['seconds']:.1f} s"


def headline(people: list[Person], slots: list[Slot], scenario: str, quotas: Sequence[Quota] = ()) -> dict[str, Any]:
    """The planner and the greedy on one instance, with the LP bound and whether the targets held."""
    print(f"== {scenario}: {len(people)} people, {len(slots)} slots, {sum(s.capacity for s in slots)} seats, "
          f"{len(quotas)} weekly quotas")
    lp = lp_bound(people, slots, quotas)
    started = time.perf_counter()
    result: Plan = plan(people, slots, quotas=quotas, first_seconds=FIRST_SECONDS, second_seconds=SECOND_SECONDS,
                        workers=WORKERS, progress=print)
    total = time.perf_counter() - started
    t0 = time.perf_counter()
    hand = greedy(people, slots, quotas)
    greedy_s = time.perf_counter() - t0
    report: dict[str, Any] = {
        "quotas": [{"country": q.country, "mode": q.mode, "per_week": q.per_week, "unit": q.unit} for q in quotas],
        "people": len(people), "units": len(units_of(people)), "slots": len(slots),
        "seats": sum(s.capacity for s in slots), "nationalities": dict(Counter(p.nationality for p in people)),
        "lp_bound": lp, "first": stage(result.first), "second": stage(result.second), "total_s": round(total, 2),
        "first_share_of_lp": round(result.first.objective / lp, 5) if lp else 1.0,
        "first_target_met": result.first.seconds <= FIRST_SECONDS + 0.5
        and (not lp or result.first.objective >= 0.99 * lp),
        "second_target_met": result.second.seconds <= SECOND_SECONDS + 0.5 and result.second.gap <= 0.10,
        "planner": measures(people, slots, result.assignments),
        "greedy": {**measures(people, slots, hand), "seconds": round(greedy_s, 3)},
    }
    print(f"{'':>10} | {'moved':>6} | {'weight':>7} | {'prio 3':>6} | {'slots':>5} | {'flights':>7} | "
          f"{'seat use':>8} | {'children':>9} | {'families':>9} | {'medical':>9}")
    for name in ("planner", "greedy"):
        m = report[name]
        print(f"{name:>10} | {m['people_moved']:>6} | {m['priority_weight_moved']:>7} | "
              f"{m['high_priority_moved']:>6} | {m['slots_used']:>5} | {m['flights_opened']:>7} | "
              f"{m['seat_use']:>8.1%} | {m['children_placed']:>9} | {m['families_placed']:>9} | "
              f"{m['medical_placed']:>9}")
    print(f"LP bound {lp:.1f}; first stage {result.first.objective:g} ({report['first_share_of_lp']:.2%} of LP) "
          f"in {result.first.seconds:.1f} s; second {result.second.objective:g} slots, bound "
          f"{result.second.bound:g}, gap {result.second.gap:.1%} in {result.second.seconds:.1f} s", flush=True)
    return report


#: convoy instances per size: (facilities, people, buses); buses of 45 seats leave at 04:00 for a port
#: accepting them 08:00-12:00; facilities up to 250 km away, 15 minutes a pickup; one instance short of buses
CONVOYS = {"small": ((8, 300, 8),), "large": ((10, 300, 8), (25, 1_000, 25), (25, 1_000, 18), (50, 2_500, 60))}
SEATS, DEPART, WINDOW, SERVICE = 45, 4 * 60, (8 * 60, 12 * 60), 15


def convoy_instance(facilities: int, people: int, seed: int = 7) -> tuple[list[str], list[list[int]], dict[str, int]]:
    """Facilities scattered around a port (garage next to it), people spread over them, minutes by road."""
    rng = random.Random(seed)
    port = Place("port", "port", 32.54, -117.03)
    garage = Place("garage", "garage", 32.58, -117.05)
    stops = []
    for n in range(facilities):
        km, bearing = 250 * rng.random() ** 0.7, rng.uniform(0, 2 * math.pi)
        stops.append(Place(f"f{n:02d}", f"f{n:02d}", port.lat + km * math.cos(bearing) / 111,
                           port.lon + km * math.sin(bearing) / 94))
    net = Network("X", "X", True, 1.3, 80, {"garage": garage}, {p.id: p for p in stops}, {"port": (port, "garage")}, {})
    places = [garage, *stops, port]
    travel = [[net.minutes(a, b) for b in places] for a in places]
    weights = [rng.random() for _ in stops]
    waiting: dict[str, int] = Counter(rng.choices([p.id for p in stops], weights=weights, k=people))
    return [p.id for p in stops], travel, dict(waiting)


def greedy_convoy(facilities: Sequence[str], travel: Sequence[Sequence[int]], waiting: dict[str, int],
                  buses: int) -> dict[str, Any]:
    """Nearest stop first: each bus in turn takes the nearest pickup (of at most a busload, as the routing
    model splits them) that still fits its seats and lets it reach the port by the window's end."""
    port = len(facilities) + 1
    left = [(row, name, min(SEATS, waiting.get(name, 0) - k)) for row, name in enumerate(facilities, start=1)
            for k in range(0, waiting.get(name, 0), SEATS)]
    carried, used, driven = 0, 0, 0
    for _bus in range(buses):
        at, clock, load, stops = 0, DEPART, 0, 0
        while True:
            fits = [p for p in left if load + p[2] <= SEATS
                    and clock + travel[at][p[0]] + SERVICE + travel[p[0]][port] <= WINDOW[1]]
            if not fits:
                break
            nearest = min(fits, key=lambda p: travel[at][p[0]])
            left.remove(nearest)
            clock += travel[at][nearest[0]] + SERVICE
            driven += travel[at][nearest[0]]
            at, load, stops = nearest[0], load + nearest[2], stops + 1
        if stops:
            used, carried, driven = used + 1, carried + load, driven + travel[at][port]
    return {"carried": carried, "left_out": sum(p[2] for p in left), "buses_used": used, "minutes_driven": driven}


def convoys(size: str) -> list[dict[str, Any]]:
    """The routing library beside the greedy nearest-stop route on each convoy instance of `size`."""
    rows = []
    print(f"{'facilities':>10} | {'people':>6} | {'buses':>5} | {'method':>12} | {'carried':>7} | {'left':>5} | "
          f"{'used':>4} | {'minutes':>7} | {'time':>6}")
    for facilities, people, buses in CONVOYS[size]:
        names, travel, waiting = convoy_instance(facilities, people)
        row: dict[str, Any] = {"facilities": facilities, "people": people, "buses": buses, "seats": SEATS}
        t0 = time.perf_counter()
        row["greedy"] = {**greedy_convoy(names, travel, waiting, buses), "seconds": round(time.perf_counter() - t0, 3)}
        for seconds in (1.0, 5.0):
            t0 = time.perf_counter()
            got = plan_convoy(facilities=names, travel=travel, waiting=waiting, buses=buses, seats=SEATS,
                              depart_after=DEPART, window=WINDOW, service_minutes=SERVICE, seconds=seconds)
            row[f"routing_{seconds:g}s"] = {"carried": sum(n for r in got.routes for _f, n in r),
                                            "left_out": sum(n for _f, n in got.left_out),
                                            "buses_used": len(got.routes), "minutes_driven": got.minutes_driven,
                                            "seconds": round(time.perf_counter() - t0, 2)}
        for method in ("greedy", "routing_1s", "routing_5s"):
            m = row[method]
            print(f"{facilities:>10} | {people:>6} | {buses:>5} | {method:>12} | {m['carried']:>7} | "
                  f"{m['left_out']:>5} | {m['buses_used']:>4} | {m['minutes_driven']:>7} | {m['seconds']:>5.2f}s",
                  flush=True)
        rows.append(row)
    return rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=tuple(SIZES), default="large")
    parser.add_argument("--skip-naive", action="store_true", help="leave out the naive model's ladder")
    parser.add_argument("--only", choices=(*SCENARIOS, "convoy"),
                        help="one scenario, written to its own file, no naive")
    args = parser.parse_args(argv)
    n, ladder = SIZES[args.size]
    report: dict[str, Any] = {"size": args.size, "days": DAYS, "workers": WORKERS}
    if args.only in (None, "convoy"):
        print("== land convoys: the routing library beside a greedy nearest-stop route")
        report["convoy"] = convoys(args.size)
    for scenario in ([args.only] if args.only in SCENARIOS else [] if args.only else SCENARIOS):
        report[scenario] = headline(people_for(n), slots_for(n, SCENARIOS[scenario]), scenario,
                                    quotas_for(n, scenario))
    if not args.skip_naive and not args.only:
        print("== naive model (tight), the same stages and time limits, against the grouped model")
        report["naive"] = []
        for size in ladder:
            small_people, small_slots = people_for(size), slots_for(size, "tight")
            row = naive(small_people, small_slots, first_seconds=FIRST_SECONDS, second_seconds=SECOND_SECONDS)
            row["lp_bound"] = lp_bound(small_people, small_slots)
            if "objective" in row["first"]:
                row["first"]["share_of_lp"] = round(row["first"]["objective"] / row["lp_bound"], 5)
            ours_small = plan(small_people, small_slots, first_seconds=FIRST_SECONDS, second_seconds=SECOND_SECONDS,
                              workers=WORKERS)
            row["grouped"] = {"first": stage(ours_small.first), "second": stage(ours_small.second),
                              "first_share_of_lp": round(ours_small.first.objective / row["lp_bound"], 5)}
            report["naive"].append(row)
            print(f"{size:>6} people, {row['booleans']:>7} booleans (built {row['build_s']:.1f} s) | naive first "
                  f"{_brief(row['first'], row['lp_bound'])}, given {FIRST_SECONDS + SECOND_SECONDS:g} s "
                  f"{_brief(row.get('first_given_all_time'), row['lp_bound'])}, "
                  f"second {_brief(row.get('second'))} | grouped first "
                  f"{_brief(row['grouped']['first'], row['lp_bound'])}, second {_brief(row['grouped']['second'])}",
                  flush=True)
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / (f"repatriation_{args.size}_{args.only}.json" if args.only else f"repatriation_{args.size}.json")
    out.write_text(json.dumps(report, indent=1, default=str))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()

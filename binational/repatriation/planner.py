"""The return planner: eligible people to accepted slots with OR-Tools CP-SAT, in two stages.

Only people who already passed every safeguard reach this module; it sees nothing but the facts that
decide where a person may travel. The rules are hard constraints, never weights:

- a person goes only to a slot of their nationality's country, on or after their ready date;
- a family (people sharing `family_id`) is one indivisible unit that shares one slot;
- an unaccompanied child goes only by land, to a slot with child-welfare officers, whose hours lie
  within 06:00-18:00;
- a person with medical needs goes only to a medically staffed slot;
- no slot takes more people than its capacity.

Interchangeable people are modelled as groups: a unit (a person alone or a family) is described by
its nationality, ready date, whether it needs a child-welfare daytime land slot, whether it needs a
medical slot, its size and its priority weight (the sum of its members' priorities). One integer
variable per (group, compatible slot) counts how many of the group's units travel in that slot.

Stage 1 maximises the priority weight moved. Stage 2 keeps that weight (the constraint is the stage-1
incumbent, so it holds even when stage 1 ran out of time) and minimises the number of slots used,
warm-started with the stage-1 solution as a complete hint. Each stage is time-boxed and reports its
status, incumbent, bound and relative gap.

Named people are put on seats only after the counts are fixed: units of the same kind (nationality,
needs, size, weight) fill the kind's seats slot by slot in date order, first-ready first, so the
people left behind are the latest ready.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date

from ortools.sat.python import cp_model

from binational.errors import InvalidInput

#: the hours an unaccompanied child may be handed over (start and end of the slot inside them)
CHILD_START_HOUR = 6
CHILD_END_HOUR = 18


@dataclass(frozen=True, slots=True)
class Person:
    id: str
    family_id: str | None
    nationality: str
    ready_date: date
    priority: int
    unaccompanied_child: bool
    needs_medical: bool


@dataclass(frozen=True, slots=True)
class Slot:
    id: str
    mode: str
    point: str
    country: str
    date: date
    start_hour: int
    end_hour: int
    capacity: int
    child_welfare: bool
    medical: bool


@dataclass(frozen=True, slots=True)
class Stage:
    status: str
    objective: float
    bound: float
    gap: float
    seconds: float


@dataclass(frozen=True, slots=True)
class Plan:
    assignments: dict[str, str]
    first: Stage
    second: Stage


@dataclass(frozen=True, slots=True)
class Unit:
    """People who travel together: one person alone, or a whole family."""

    members: tuple[Person, ...]
    nationality: str | None  # None: a family of mixed nationalities, which no slot can take
    ready_date: date
    child: bool
    medical: bool
    weight: int

    @property
    def size(self) -> int:
        return len(self.members)

    @property
    def kind(self) -> tuple[str | None, bool, bool, int, int]:
        """What makes two units interchangeable apart from their ready date."""
        return (self.nationality, self.child, self.medical, self.size, self.weight)

    @property
    def key(self) -> tuple[tuple[str | None, bool, bool, int, int], date]:
        """The group: units with the same key are interchangeable for the model."""
        return (self.kind, self.ready_date)


def units_of(people: Sequence[Person]) -> list[Unit]:
    """People grouped into travelling units (families indivisible), in a stable order."""
    seen: set[str] = set()
    families: dict[str, list[Person]] = defaultdict(list)
    units: list[Unit] = []
    order: list[str] = []
    for person in people:
        if person.id in seen:
            raise InvalidInput(f"person {person.id!r} appears twice")
        seen.add(person.id)
        if person.priority < 1:
            raise InvalidInput(f"person {person.id!r}: priority must be a positive integer")
        if person.family_id:
            if person.family_id not in families:
                order.append(person.family_id)
            families[person.family_id].append(person)
        else:
            units.append(_unit((person,)))
    units.extend(_unit(tuple(families[f])) for f in order)
    return units


def _unit(members: tuple[Person, ...]) -> Unit:
    nationalities = {m.nationality for m in members}
    return Unit(members=tuple(sorted(members, key=lambda m: m.id)),
                nationality=next(iter(nationalities)) if len(nationalities) == 1 else None,
                ready_date=max(m.ready_date for m in members),
                child=any(m.unaccompanied_child for m in members),
                medical=any(m.needs_medical for m in members),
                weight=sum(m.priority for m in members))


def child_allowed(slot: Slot) -> bool:
    """May an unaccompanied child be handed over in this slot?"""
    return (slot.mode == "land" and slot.child_welfare
            and slot.start_hour >= CHILD_START_HOUR and slot.end_hour <= CHILD_END_HOUR)


def allowed(unit: Unit, slot: Slot) -> bool:
    """Every rule a unit must meet to travel in a slot (capacity aside from its own size)."""
    return (unit.nationality is not None and slot.country == unit.nationality
            and slot.date >= unit.ready_date and slot.capacity >= unit.size
            and (not unit.child or child_allowed(slot))
            and (not unit.medical or slot.medical))


def slot_order(slot: Slot) -> tuple[date, int, int, str]:
    return (slot.date, slot.start_hour, slot.end_hour, slot.id)


@dataclass
class Groups:
    """The group model's data: interchangeable units and the slots each group may use."""

    slots: list[Slot]
    keys: list[tuple[tuple[str | None, bool, bool, int, int], date]]
    units: dict[tuple[tuple[str | None, bool, bool, int, int], date], list[Unit]]
    arcs: list[tuple[int, int, int]]  # (group index, slot index, upper bound on units)

    def size(self, g: int) -> int:
        return self.keys[g][0][3]

    def weight(self, g: int) -> int:
        return self.keys[g][0][4]

    def count(self, g: int) -> int:
        return len(self.units[self.keys[g]])


def groups_of(people: Sequence[Person], slots: Sequence[Slot]) -> Groups:
    """Units grouped by kind and ready date, with every (group, slot) pair the rules allow."""
    slot_ids: set[str] = set()
    for slot in slots:
        if slot.id in slot_ids:
            raise InvalidInput(f"slot {slot.id!r} appears twice")
        slot_ids.add(slot.id)
    ordered = sorted(slots, key=slot_order)
    by_key: dict[tuple[tuple[str | None, bool, bool, int, int], date], list[Unit]] = defaultdict(list)
    for unit in units_of(people):
        by_key[unit.key].append(unit)
    keys = sorted(by_key, key=lambda k: (str(k[0]), k[1]))
    arcs = []
    for g, key in enumerate(keys):
        sample = by_key[key][0]
        for s, slot in enumerate(ordered):
            if allowed(sample, slot):
                arcs.append((g, s, min(len(by_key[key]), slot.capacity // sample.size)))
    return Groups(ordered, keys, dict(by_key), arcs)


def _gap(objective: float, bound: float) -> float:
    return abs(bound - objective) / max(abs(bound), 1.0)


def plan(people: Sequence[Person], slots: Sequence[Slot], *, first_seconds: float = 5.0, second_seconds: float = 30.0,
         workers: int = 2, progress: Callable[[str], None] | None = None) -> Plan:
    """Assign people to slots: the most priority weight moved, then the fewest slots used."""
    tell = progress or (lambda _line: None)
    data = groups_of(people, slots)
    tell(f"planning {len(people)} people in {sum(data.count(g) for g in range(len(data.keys)))} units "
         f"over {len(data.slots)} slots: {len(data.keys)} groups, {len(data.arcs)} group-slot pairs")

    model = cp_model.CpModel()
    x = [model.new_int_var(0, ub, f"x{g}_{s}") for g, s, ub in data.arcs]
    by_group: dict[int, list[int]] = defaultdict(list)
    by_slot: dict[int, list[int]] = defaultdict(list)
    for a, (g, s, _ub) in enumerate(data.arcs):
        by_group[g].append(a)
        by_slot[s].append(a)
    for g, arcs in by_group.items():
        model.add(sum(x[a] for a in arcs) <= data.count(g))
    for s, arcs in by_slot.items():
        model.add(sum(data.size(data.arcs[a][0]) * x[a] for a in arcs) <= data.slots[s].capacity)
    moved = sum(data.weight(g) * x[a] for a, (g, _s, _ub) in enumerate(data.arcs))
    model.maximize(moved)

    first, counts = _solve(model, x, first_seconds, workers, "first stage (priority weight moved)", tell)
    if counts is None:  # no solution at all in the time given: nothing moves
        counts = [0] * len(x)
    weight_kept = sum(data.weight(g) * counts[a] for a, (g, _s, _ub) in enumerate(data.arcs))

    used = {data.arcs[a][1] for a in range(len(x)) if counts[a]}
    model.add(moved >= weight_kept)
    opened = {s: model.new_bool_var(f"open{s}") for s in by_slot}
    for s, arcs in by_slot.items():
        model.add(sum(data.size(data.arcs[a][0]) * x[a] for a in arcs) <= data.slots[s].capacity * opened[s])
        for a in arcs:
            model.add(x[a] <= data.arcs[a][2] * opened[s])
    model.minimize(sum(opened.values()))
    for a, var in enumerate(x):
        model.add_hint(var, counts[a])
    for s, var in opened.items():
        model.add_hint(var, s in used)
    second, better = _solve(model, x, second_seconds, workers, "second stage (slots used)", tell)
    if better is not None:
        counts = better
    else:  # stage 2 found nothing in its time: the stage-1 plan stands, with its own slot count
        second = Stage(second.status, float(len(used)), second.bound, _gap(len(used), second.bound), second.seconds)
    assignments = seats(data, counts)
    tell(f"placed {len(assignments)} of {len(people)} people in "
         f"{len(set(assignments.values()))} slots")
    return Plan(assignments, first, second)


def _solve(model: cp_model.CpModel, x: list[cp_model.IntVar], seconds: float, workers: int, label: str,
           tell: Callable[[str], None]) -> tuple[Stage, list[int] | None]:
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(0.01, seconds)
    solver.parameters.num_workers = max(1, workers)
    solver.parameters.random_seed = 0
    tell(f"{label}: solving for at most {seconds:g} s")
    started = time.perf_counter()
    code = solver.solve(model)
    took = time.perf_counter() - started
    status = str(solver.status_name(code))
    if code in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        objective = float(solver.objective_value)
        bound = float(solver.best_objective_bound)
        values = [int(solver.value(v)) for v in x]
    else:
        objective = bound = 0.0
        values = None
    if code == cp_model.OPTIMAL:
        bound = objective
    stage = Stage(status, objective, bound, _gap(objective, bound), took)
    tell(f"{label}: {status}, incumbent {objective:g}, bound {bound:g}, gap {stage.gap:.2%}, {took:.1f} s")
    return stage, values


def seats(data: Groups, counts: Sequence[int]) -> dict[str, str]:
    """Named people on seats once the counts are fixed: for each kind of unit, the slots in date order
    take the earliest-ready units first. Ready dates only ever widen the slots a unit may use, so
    whatever units the counts moved, moving the first-ready instead still meets every rule."""
    need: dict[tuple[str | None, bool, bool, int, int], dict[int, int]] = defaultdict(lambda: defaultdict(int))
    for a, (g, s, _ub) in enumerate(data.arcs):
        if counts[a]:
            need[data.keys[g][0]][s] += counts[a]
    pools: dict[tuple[str | None, bool, bool, int, int], list[Unit]] = defaultdict(list)
    for key, units in data.units.items():
        pools[key[0]].extend(units)
    out: dict[str, str] = {}
    for kind, per_slot in need.items():
        queue = sorted(pools[kind], key=lambda u: (u.ready_date, u.members[0].id))
        taken = 0
        for s in sorted(per_slot):  # slots are already in date order
            slot = data.slots[s]
            for _ in range(per_slot[s]):
                unit = queue[taken]
                taken += 1
                if not allowed(unit, slot):  # pragma: no cover - the counts met the rules
                    raise AssertionError(f"seat assignment broke a rule for slot {slot.id}")
                for member in unit.members:
                    out[member.id] = slot.id
    return out

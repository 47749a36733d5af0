"""The return planner: eligible people to accepted slots with OR-Tools CP-SAT, in two stages.

Only people who already passed every safeguard reach this module; it sees nothing but the facts that
decide where a person may travel. The rules are hard constraints, never weights:

- a person goes only to a slot of their nationality's country, on or after their ready date;
- a family (people sharing `family_id`) is one indivisible unit that shares one slot;
- an unaccompanied child goes only by land, to a slot with child-welfare officers, whose hours lie
  within 06:00-18:00;
- a person with medical needs goes only to a medically staffed slot;
- no slot takes more people than its capacity;
- no route (a mode to a country) takes, in any week from Monday to Sunday, more movements or more
  persons than the arrangement's quota for it (less what other movements of that week already took).

Interchangeable people are modelled as groups, not one by one. A unit (a person alone or a whole
family) is of a kind: nationality, whether it needs a child-welfare daytime land slot, whether it
needs a medical slot, its size and its priority weight (the sum of its members' priorities). One
integer variable per (kind, slot the kind may use) counts the kind's units in that slot; a ready
date only ever widens the slots a unit may use, so one supply row per kind and slot date (its units
in slots up to that date are at most its units ready by then) takes the place of a group per ready
date. A quota of persons is one row over the counts of its route's slots in the week; a quota of
movements needs to know which slots are opened, so those slots get an opened flag from the first
stage on (the second stage gives every slot one). Countries share no people and no slots: each
connected part (slots under one quota's week are held in one part) is its own model, solved one after
the other, smallest first, sharing each stage's time.

Stage 1 maximises the priority weight moved; among plans that move the same weight, it moves the
most people in units that are hardest to place (unaccompanied children, people with medical needs,
families), who can use fewer slots and would otherwise be the ones left waiting. It starts from a
greedy plan. Stage 2 keeps what stage 1 reached (its incumbent, so this holds even when stage 1 ran
out of time) and minimises the number of slots used, warm-started with the stage-1 solution as a
complete hint. Each stage is time-boxed and reports its status, incumbent, bound and relative gap.

Named people are put on seats only after the counts are fixed: the units of a kind fill its seats
slot by slot in date order, first-ready first, so the people left behind are the latest ready.
"""

from __future__ import annotations

import math
import time
from bisect import bisect_right
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from ortools.sat.python import cp_model

from binational.errors import InvalidInput

#: the highest priority accepted (keeps the solver's weighted sums far from integer overflow)
MAX_PRIORITY = 1_000_000
#: the hours an unaccompanied child may be handed over (start and end of the slot inside them)
CHILD_START_HOUR = 6
CHILD_END_HOUR = 18


@dataclass(frozen=True, slots=True)
class Person:
    """Someone who passed every gate; `family_id` None travels alone; `priority` >= 1, higher first."""

    id: str
    family_id: str | None
    nationality: str
    ready_date: date
    priority: int
    unaccompanied_child: bool
    needs_medical: bool


@dataclass(frozen=True, slots=True)
class Slot:
    """An accepted flight or land window: `mode` air or land, hours local 0-24, `capacity` people."""

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
class Quota:
    """At most `per_week` `unit`s (`movements` opened or `persons` placed) by `mode` to `country` in any
    week from Monday to Sunday; `used` what movements the planner does not see already took of it,
    as (Monday, amount) pairs."""

    country: str
    mode: str
    per_week: int
    unit: str
    used: tuple[tuple[date, int], ...] = ()

    def left(self, monday: date) -> int:
        """What is still free in the week starting `monday` (never below zero)."""
        return max(0, self.per_week - sum(n for day, n in self.used if day == monday))

    def covers(self, slot: Slot) -> bool:
        return slot.country == self.country and slot.mode == self.mode


#: the units a quota counts
QUOTA_UNITS = ("movements", "persons")


def monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def check_quotas(quotas: Sequence[Quota]) -> None:
    """InvalidInput for a quota that is not a whole number of movements or persons."""
    for q in quotas:
        if q.unit not in QUOTA_UNITS:
            raise InvalidInput(f"quota {q.country} {q.mode}: unit must be one of {', '.join(QUOTA_UNITS)}")
        if not isinstance(q.per_week, int) or q.per_week < 0 or any(n < 0 for _day, n in q.used):
            raise InvalidInput(f"quota {q.country} {q.mode}: per_week and what is used must be whole numbers >= 0")


@dataclass(frozen=True, slots=True)
class Stage:
    """One stage's result: `status` OPTIMAL (proved) or FEASIBLE (time ran out first); `objective` the
    incumbent (stage 1: priority weight moved; stage 2: slots used), `bound` what the solver proved
    no plan can beat, `gap` their relative difference, `seconds` of wall time."""

    status: str
    objective: float
    bound: float
    gap: float
    seconds: float


@dataclass(frozen=True, slots=True)
class Plan:
    """person id -> slot id for everyone placed, and how each stage ended."""

    assignments: dict[str, str]
    first: Stage
    second: Stage


#: nationality (None: a family of mixed nationalities), child, medical, size, weight
Kind = tuple[str | None, bool, bool, int, int]


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
    def kind(self) -> Kind:
        """What makes two units interchangeable apart from their ready date."""
        return (self.nationality, self.child, self.medical, self.size, self.weight)


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
        if not 1 <= person.priority <= MAX_PRIORITY:
            raise InvalidInput(f"person {person.id!r}: priority must be a whole number from 1 to {MAX_PRIORITY}")
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
    """The group model's data. Units of one kind are interchangeable except for their ready date, and
    a ready date only ever widens the slots a unit may use; so one count per (kind, slot) suffices,
    with one supply row per kind and slot date: the units a kind puts in slots up to a date are at
    most its units ready by then (the marriage condition for nested date windows, which the seat
    assignment meets by taking the first ready first)."""

    slots: list[Slot]
    kinds: list[Kind]
    units: dict[Kind, list[Unit]]
    arcs: list[tuple[int, int, int]]  # (kind index, slot index, upper bound on units)
    supply: list[tuple[list[int], int]]  # (arc indices, most units those arcs may carry together)
    #: one row per quota and week that has slots: (unit, slot indices, what is left of the quota)
    quota_rows: list[tuple[str, list[int], int]] = field(default_factory=list)

    def size(self, k: int) -> int:
        return self.kinds[k][3]

    def weight(self, k: int) -> int:
        return self.kinds[k][4]

    def hard(self, k: int) -> int:
        """People in a unit of kind k if it is hard to place (an unaccompanied child, someone with
        medical needs, a family), else 0."""
        _nationality, child, medical, size, _weight = self.kinds[k]
        return size if child or medical or size > 1 else 0

    def count(self, k: int) -> int:
        return len(self.units[self.kinds[k]])

    def by_slot(self) -> dict[int, list[int]]:
        out: dict[int, list[int]] = defaultdict(list)
        for a, (_k, s, _ub) in enumerate(self.arcs):
            out[s].append(a)
        return out


def groups_of(people: Sequence[Person], slots: Sequence[Slot], quotas: Sequence[Quota] = ()) -> Groups:
    """Units grouped by kind, with every (kind, slot) pair the rules allow, the supply rows and the
    quota rows."""
    check_quotas(quotas)
    slot_ids: set[str] = set()
    for slot in slots:
        if slot.id in slot_ids:
            raise InvalidInput(f"slot {slot.id!r} appears twice")
        slot_ids.add(slot.id)
    ordered = sorted(slots, key=slot_order)
    by_kind: dict[Kind, list[Unit]] = defaultdict(list)
    for unit in units_of(people):
        by_kind[unit.kind].append(unit)
    kinds = sorted(by_kind, key=str)
    arcs: list[tuple[int, int, int]] = []
    supply: list[tuple[list[int], int]] = []
    for k, kind in enumerate(kinds):
        units = by_kind[kind] = sorted(by_kind[kind], key=lambda u: (u.ready_date, u.members[0].id))
        first = units[0]
        ready = [u.ready_date for u in units]
        mine: list[int] = []
        for s, slot in enumerate(ordered):
            if allowed(first, slot):
                available = bisect_right(ready, slot.date)
                mine.append(len(arcs))
                arcs.append((k, s, min(available, slot.capacity // first.size)))
        # one row per slot date: slots come in date order, so each row is a prefix of `mine`
        for n, a in enumerate(mine):
            day = ordered[arcs[a][1]].date
            if n + 1 == len(mine) or ordered[arcs[mine[n + 1]][1]].date != day:
                supply.append((mine[: n + 1], bisect_right(ready, day)))
    rows: list[tuple[str, list[int], int]] = []
    for quota in quotas:
        weeks: dict[date, list[int]] = defaultdict(list)
        for s, slot in enumerate(ordered):
            if quota.covers(slot):
                weeks[monday_of(slot.date)].append(s)
        rows.extend((quota.unit, members, quota.left(monday)) for monday, members in sorted(weeks.items()))
    return Groups(ordered, kinds, dict(by_kind), arcs, supply, rows)


def _gap(objective: float, bound: float) -> float:
    if not math.isfinite(bound):
        return math.inf
    return abs(bound - objective) / max(abs(bound), 1.0)


def greedy_counts(data: Groups) -> list[int]:
    """A first plan to start the first stage from (and to keep if it finds nothing better in its
    time): kinds by priority weight per seat, best first (at equal weight the hard to place first),
    each filling the slots it may use in date order with its units ready by then."""
    counts = [0] * len(data.arcs)
    room = [slot.capacity for slot in data.slots]
    left = [most for _unit, _members, most in data.quota_rows]
    rows_of: dict[int, list[int]] = defaultdict(list)  # slot -> its quota rows
    for r, (_unit, members, _most) in enumerate(data.quota_rows):
        for s in members:
            rows_of[s].append(r)
    opened: set[int] = set()
    by_kind: dict[int, list[int]] = defaultdict(list)
    for a, (k, _s, _ub) in enumerate(data.arcs):
        by_kind[k].append(a)
    for k in sorted(by_kind, key=lambda k: (-data.weight(k) / data.size(k), -data.hard(k), k)):
        ready = [u.ready_date for u in data.units[data.kinds[k]]]
        used = 0
        for a in by_kind[k]:  # arcs of a kind are in slot (date) order
            s = data.arcs[a][1]
            n = min(room[s] // data.size(k), bisect_right(ready, data.slots[s].date) - used)
            for r in rows_of[s]:
                unit = data.quota_rows[r][0]
                if unit == "persons":
                    n = min(n, left[r] // data.size(k))
                elif s not in opened and left[r] < 1:
                    n = 0
            if n > 0:
                counts[a] = n
                room[s] -= n * data.size(k)
                used += n
                for r in rows_of[s]:
                    left[r] -= n * data.size(k) if data.quota_rows[r][0] == "persons" else int(s not in opened)
                opened.add(s)
    return counts


def components(data: Groups) -> list[list[int]]:
    """The arcs split into independent parts (no kind and no slot shared between parts: in practice
    one per country), smallest first."""
    parent = list(range(len(data.kinds) + len(data.slots)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for k, s, _ub in data.arcs:
        parent[root(k)] = root(len(data.kinds) + s)
    for _unit, members, _most in data.quota_rows:  # a quota's week binds its slots together
        for s in members[1:]:
            parent[root(len(data.kinds) + s)] = root(len(data.kinds) + members[0])
    parts: dict[int, list[int]] = defaultdict(list)
    for a, (k, _s, _ub) in enumerate(data.arcs):
        parts[root(k)].append(a)
    return sorted(parts.values(), key=lambda arcs: (len(arcs), arcs[0]))


class _Part:
    """One independent part's CP-SAT model: counts, supply and capacity rows, the weight it moves."""

    def __init__(self, data: Groups, arcs: list[int]) -> None:
        self.data, self.arcs = data, arcs
        local = {a: n for n, a in enumerate(arcs)}
        self.model = cp_model.CpModel()
        self.x = [self.model.new_int_var(0, data.arcs[a][2], f"x{a}") for a in arcs]
        for rows, most in data.supply:
            if rows[0] in local:
                self.model.add(sum(self.x[local[a]] for a in rows) <= most)
        self.by_slot: dict[int, list[int]] = defaultdict(list)
        for n, a in enumerate(arcs):
            self.by_slot[data.arcs[a][1]].append(n)
        for s, members in self.by_slot.items():
            self.model.add(self.load(members) <= data.slots[s].capacity)
        self.opened: dict[int, cp_model.IntVar] = {}
        for unit, slots, most in data.quota_rows:
            mine = [s for s in slots if s in self.by_slot]  # a slot no kind may use stays empty
            if not mine:
                continue
            if unit == "persons":
                self.model.add(sum(self.load(self.by_slot[s]) for s in mine) <= most)
            else:
                self.model.add(sum(self.open(s) for s in mine) <= most)
        self.moved = sum(data.weight(data.arcs[a][0]) * self.x[n] for n, a in enumerate(arcs))
        hard = [data.hard(data.arcs[a][0]) for a in arcs]
        self.hard = sum(h * self.x[n] for n, h in enumerate(hard) if h)
        #: the first stage's objective: weight first, then (below one unit of weight) the people in
        #: hard-to-place units
        self.scale = 1 + sum(h * data.arcs[a][2] for h, a in zip(hard, arcs, strict=True))
        self.first = self.scale * self.moved + self.hard
        self.model.maximize(self.first)
        self.stage = 1
        countries = sorted({data.slots[s].country for s in self.by_slot})
        self.name = f"{'/'.join(countries)}, {len(self.by_slot)} slots"

    def open(self, s: int) -> cp_model.IntVar:
        """Slot s's opened flag (made on first use): no one travels in a slot that is not opened."""
        if s not in self.opened:
            flag = self.opened[s] = self.model.new_bool_var(f"open{s}")
            members = self.by_slot[s]
            self.model.add(self.load(members) <= self.data.slots[s].capacity * flag)
            for n in members:
                self.model.add(self.x[n] <= self.data.arcs[self.arcs[n]][2] * flag)
        return self.opened[s]

    def load(self, members: list[int]) -> cp_model.LinearExprT:
        return sum(self.data.size(self.data.arcs[self.arcs[n]][0]) * self.x[n] for n in members)

    def weight(self, values: Sequence[int]) -> int:
        return sum(self.data.weight(self.data.arcs[a][0]) * values[n] for n, a in enumerate(self.arcs))

    def fewest_slots(self, values: Sequence[int]) -> None:
        """Turn the model into stage 2: keep at least the weight `values` move, open as few slots as
        possible, starting from `values` (a complete hint)."""
        self.model.add(self.first >= self.scale * self.weight(values) + self.hard_moved(values))
        self.stage = 2
        used = {self.data.arcs[self.arcs[n]][1] for n, v in enumerate(values) if v}
        opened = {s: self.open(s) for s in self.by_slot}
        self.model.minimize(sum(opened.values()))
        self.model.clear_hints()
        for n, var in enumerate(self.x):
            self.model.add_hint(var, values[n])
        for s, var in opened.items():
            self.model.add_hint(var, s in used)

    def slots_used(self, values: Sequence[int]) -> int:
        return len({self.data.arcs[self.arcs[n]][1] for n, v in enumerate(values) if v})

    def hard_moved(self, values: Sequence[int]) -> int:
        return sum(self.data.hard(self.data.arcs[a][0]) * values[n] for n, a in enumerate(self.arcs))

    def reading(self, values: Sequence[int], bound: float, proved: bool) -> tuple[float, float, bool]:
        """This stage's incumbent, bound and whether it is proved, from the counts and the solver's
        bound: stage 1 the weight moved (its bound the solver's, less the hard-to-place people),
        stage 2 the slots used."""
        if self.stage == 1:
            value = float(self.weight(values))
            weight_bound = float(math.floor((bound + 1e-6) / self.scale)) if math.isfinite(bound) else bound
            most = value if proved else weight_bound
            return value, most, proved or most == value
        value = float(self.slots_used(values))
        least = value if proved else _bound(bound)
        return value, least, proved or least == value


def plan(people: Sequence[Person], slots: Sequence[Slot], *, quotas: Sequence[Quota] = (), first_seconds: float = 5.0,
         second_seconds: float = 30.0, workers: int = 2, progress: Callable[[str], None] | None = None) -> Plan:
    """Assign people to slots within the routes' weekly `quotas`: the most priority weight moved, then
    the fewest slots used.

    Parts of the problem that share no kind of unit and no slot (countries) are solved one after the
    other, smallest first, each stage's time shared among them by size; time a part leaves unused
    passes on to the next."""
    tell = progress or _silent
    data = groups_of(people, slots, quotas)
    parts = [_Part(data, arcs) for arcs in components(data)]
    tell(f"planning {len(people)} people in {sum(len(u) for u in data.units.values())} units "
         f"over {len(data.slots)} slots: {len(data.kinds)} kinds, {len(data.arcs)} kind-slot pairs, "
         f"{len(parts)} independent parts")
    counts = greedy_counts(data)
    for part in parts:
        for n, a in enumerate(part.arcs):
            part.model.add_hint(part.x[n], counts[a])
        started = {data.arcs[a][1] for a in part.arcs if counts[a]}
        for s, flag in part.opened.items():
            part.model.add_hint(flag, s in started)
    first = _stage(parts, first_seconds, workers, "first stage (priority weight moved)", tell, counts)
    for part in parts:
        part.fewest_slots([counts[a] for a in part.arcs])
    second = _stage(parts, second_seconds, workers, "second stage (slots used)", tell, counts)
    assignments = seats(data, counts)
    tell(f"placed {len(assignments)} of {len(people)} people in "
         f"{len(set(assignments.values()))} slots")
    return Plan(assignments, first, second)


def _bound(value: float) -> float:
    """A proved bound of an integer objective, rid of floating-point noise (infinite when none)."""
    return float(round(value)) if math.isfinite(value) else value


def _silent(_line: str) -> None:
    return None


class _Incumbents(cp_model.CpSolverSolutionCallback):
    """Tells each improved incumbent with the bound so far, at most once every `every` seconds."""

    def __init__(self, label: str, tell: Callable[[str], None], part: _Part, every: float = 2.0) -> None:
        super().__init__()
        self.label, self.tell, self.part, self.every = label, tell, part, every
        self.told = time.perf_counter()

    def on_solution_callback(self) -> None:
        now = time.perf_counter()
        if now - self.told >= self.every:
            self.told = now
            values = [int(self.value(v)) for v in self.part.x]
            value, bound, _proved = self.part.reading(values, self.best_objective_bound, False)
            self.tell(f"{self.label}: incumbent {value:g}, bound {bound:g}, {self.wall_time:.1f} s")


def _stage(parts: list[_Part], seconds: float, workers: int, label: str, tell: Callable[[str], None],
           counts: list[int]) -> Stage:
    """Solve every part's model within `seconds` in all; write the solutions into `counts` (a part
    with no solution keeps its counts); the stage summed over the parts."""
    started = time.perf_counter()
    deadline = started + seconds
    left = sum(len(p.arcs) for p in parts)
    objective = bound = 0.0
    optimal = True
    tell(f"{label}: solving for at most {seconds:g} s")
    progress_on = tell is not _silent
    for part in parts:
        share = max(0.05, (deadline - time.perf_counter()) * len(part.arcs) / left)
        left -= len(part.arcs)
        solver = cp_model.CpSolver()
        solver.parameters.max_time_in_seconds = share
        solver.parameters.num_workers = max(1, workers)
        solver.parameters.random_seed = 0
        code = solver.solve(part.model, _Incumbents(f"{label}, {part.name}", tell, part) if progress_on else None)
        if code in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            values = [int(solver.value(v)) for v in part.x]
            for n, a in enumerate(part.arcs):
                counts[a] = values[n]
        else:  # nothing found in the time: the counts so far stand, bounded by what the solver proved
            values = [counts[a] for a in part.arcs]
        value, found, proved = part.reading(values, solver.best_objective_bound, code == cp_model.OPTIMAL)
        optimal = optimal and proved
        objective += value
        bound += found
        if len(parts) > 1:
            tell(f"{label}, {part.name}: {'OPTIMAL' if proved else solver.status_name(code)}, incumbent {value:g}, "
                 f"bound {found:g}, {solver.wall_time:.1f} s")
    took = time.perf_counter() - started
    stage = Stage("OPTIMAL" if optimal else "FEASIBLE", objective, bound, _gap(objective, bound), took)
    tell(f"{label}: {stage.status}, incumbent {objective:g}, bound {bound:g}, gap {stage.gap:.2%}, {took:.1f} s")
    return stage


#: why a person was left out of a plan, the first that applies
LEFT_OUT = {
    "family_mixed_nationalities": "the family's members hold different nationalities",
    "no_slot_in_country": "no slot to the country of nationality",
    "no_slot_after_ready": "no slot to the country on or after the ready date",
    "family_larger_than_slots": "the family is larger than every slot it may use",
    "no_child_slot": "no daytime land slot with child-welfare officers",
    "no_medical_slot": "no medically staffed slot",
    "seats_taken": "the slots it may use are full, or their route's weekly quota is used, with people of higher "
                   "or equal priority",
}


def left_out(people: Sequence[Person], slots: Sequence[Slot], result: Plan) -> dict[str, str]:
    """For each person the plan leaves behind, the code (a key of LEFT_OUT) of the first reason: the
    rules checked one by one, then `seats_taken` when some slot was allowed but the optimum used its
    seats for others."""
    out: dict[str, str] = {}
    for unit in units_of(people):
        if unit.members[0].id in result.assignments:
            continue
        country = [s for s in slots if s.country == unit.nationality]
        ready = [s for s in country if s.date >= unit.ready_date]
        fits = [s for s in ready if s.capacity >= unit.size]
        child = [s for s in fits if not unit.child or child_allowed(s)]
        medical = [s for s in child if not unit.medical or s.medical]
        reason = ("family_mixed_nationalities" if unit.nationality is None else "no_slot_in_country" if not country
                  else "no_slot_after_ready" if not ready else "family_larger_than_slots" if not fits
                  else "no_child_slot" if not child else "no_medical_slot" if not medical else "seats_taken")
        out.update({m.id: reason for m in unit.members})
    return out


def seats(data: Groups, counts: Sequence[int]) -> dict[str, str]:
    """Named people on seats once the counts are fixed: for each kind of unit, the slots in date order
    take the earliest-ready units first. The supply rows guarantee that enough units are ready for
    every slot, so the first ready always fit."""
    out: dict[str, str] = {}
    taken: Counter[int] = Counter()
    for a, (k, s, _ub) in sorted(enumerate(data.arcs), key=lambda item: (item[1][1], item[1][0])):
        queue = data.units[data.kinds[k]]
        slot = data.slots[s]
        for _ in range(counts[a]):
            unit = queue[taken[k]]
            taken[k] += 1
            if not allowed(unit, slot):  # pragma: no cover - the supply rows rule this out
                raise AssertionError(f"seat assignment broke a rule for slot {slot.id}")
            for member in unit.members:
                out[member.id] = slot.id
    return out

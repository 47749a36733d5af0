"""The planner's rules, checked on what it outputs, and its optimum against brute force on tiny cases."""

from __future__ import annotations

import itertools
import random
from collections import Counter, defaultdict
from collections.abc import Sequence
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from binational.errors import InvalidInput
from binational.repatriation.planner import (
    LEFT_OUT,
    Person,
    Quota,
    Slot,
    allowed,
    greedy_counts,
    groups_of,
    left_out,
    monday_of,
    plan,
    seats,
    units_of,
)

DAY = date(2026, 3, 2)


def person(pid: str, *, family: str | None = None, nat: str = "MX", ready: int = 0, priority: int = 1,
           child: bool = False, medical: bool = False) -> Person:
    return Person(pid, family, nat, DAY + timedelta(days=ready), priority, child, medical)


def slot(sid: str, *, mode: str = "air", country: str = "MX", day: int = 0, hours: tuple[int, int] = (8, 16),
         capacity: int = 10, welfare: bool = False, medical: bool = False) -> Slot:
    return Slot(sid, mode, f"P-{sid}", country, DAY + timedelta(days=day), hours[0], hours[1], capacity, welfare,
                medical)


def broken_rules(people: Sequence[Person], slots: Sequence[Slot], assignments: dict[str, str],
                 quotas: Sequence[Quota] = ()) -> list[str]:
    """Every rule of the planner, checked independently of its code on the output."""
    by_id = {s.id: s for s in slots}
    problems = []
    load: Counter[str] = Counter()
    families: dict[str, set[str | None]] = defaultdict(set)
    for p in people:
        target = assignments.get(p.id)
        if p.family_id:
            families[p.family_id].add(target)
        if target is None:
            continue
        s = by_id[target]
        load[s.id] += 1
        if s.country != p.nationality:
            problems.append(f"{p.id}: country")
        if s.date < p.ready_date:
            problems.append(f"{p.id}: before ready")
        if p.unaccompanied_child and not (s.mode == "land" and s.child_welfare and s.start_hour >= 6
                                          and s.end_hour <= 18):
            problems.append(f"{p.id}: child slot")
        if p.needs_medical and not s.medical:
            problems.append(f"{p.id}: medical")
    problems += [f"{f}: split" for f, targets in families.items() if len(targets) > 1]
    problems += [f"{sid}: over capacity" for sid, n in load.items() if n > by_id[sid].capacity]
    problems += over_quota(slots, load, quotas)
    assert set(assignments) <= {p.id for p in people}
    return problems


def over_quota(slots: Sequence[Slot], load: Counter[str], quotas: Sequence[Quota]) -> list[str]:
    """The quotas a placement (people per slot id) breaks, week by week."""
    found = []
    for q in quotas:
        weeks: dict[date, list[Slot]] = defaultdict(list)
        for s in slots:
            if s.country == q.country and s.mode == q.mode and load[s.id]:
                weeks[s.date - timedelta(days=s.date.weekday())].append(s)
        for monday, used in weeks.items():
            amount = len(used) if q.unit == "movements" else sum(load[s.id] for s in used)
            already = sum(n for day, n in q.used if day == monday)
            if amount + already > q.per_week:
                found.append(f"{q.country} {q.mode} week {monday}: over the quota of {q.unit}")
    return found


def test_nationality_and_ready_date() -> None:
    people = [person("mx"), person("gt", nat="GT"), person("late", ready=3)]
    slots = [slot("mx-0", day=0), slot("gt-1", country="GT", day=1), slot("mx-2", day=2)]
    result = plan(people, slots, first_seconds=2, second_seconds=2)
    assert result.assignments["gt"] == "gt-1"
    assert result.assignments["mx"] in {"mx-0", "mx-2"}
    assert "late" not in result.assignments
    assert not broken_rules(people, slots, result.assignments)


def test_families_travel_together_or_not_at_all() -> None:
    people = [person(f"f{i}", family="F", ready=i % 2) for i in range(3)] + [person("alone")]
    slots = [slot("small", capacity=2, day=1), slot("big", capacity=3, day=0), slot("late", capacity=3, day=1)]
    result = plan(people, slots, first_seconds=2, second_seconds=2)
    assert {result.assignments[f"f{i}"] for i in range(3)} == {"late"}  # ready on day 1, three seats
    assert not broken_rules(people, slots, result.assignments)
    # a family larger than every slot stays behind whole
    result = plan(people, [slot("two", capacity=2)] * 1, first_seconds=2, second_seconds=2)
    assert set(result.assignments) == {"alone"}


def test_family_of_mixed_nationalities_goes_nowhere() -> None:
    people = [person("a", family="F"), person("b", family="F", nat="GT")]
    result = plan(people, [slot("mx"), slot("gt", country="GT")], first_seconds=2, second_seconds=2)
    assert result.assignments == {}


def test_unaccompanied_children_only_daytime_land_with_child_welfare() -> None:
    slots = [
        slot("air", mode="air", welfare=True),
        slot("no-welfare", mode="land"),
        slot("dawn", mode="land", welfare=True, hours=(5, 12)),
        slot("evening", mode="land", welfare=True, hours=(10, 19)),
        slot("night", mode="land", welfare=True, hours=(20, 24)),
    ]
    children = [person(f"c{i}", child=True) for i in range(3)]
    assert plan(children, slots, first_seconds=2, second_seconds=2).assignments == {}
    good = [*slots, slot("day", mode="land", welfare=True, hours=(6, 18), capacity=2)]
    result = plan(children, good, first_seconds=2, second_seconds=2)
    assert set(result.assignments.values()) == {"day"} and len(result.assignments) == 2
    assert not broken_rules(children, good, result.assignments)


def test_a_child_in_a_family_takes_the_family_to_a_child_slot() -> None:
    people = [person("adult", family="F"), person("kid", family="F", child=True)]
    slots = [slot("air", capacity=5), slot("land", mode="land", welfare=True, hours=(7, 17), capacity=2)]
    result = plan(people, slots, first_seconds=2, second_seconds=2)
    assert result.assignments == {"adult": "land", "kid": "land"}


def test_medical_needs_only_on_medical_slots() -> None:
    people = [person("m1", medical=True), person("m2", medical=True), person("p")]
    slots = [slot("plain", capacity=5), slot("med", capacity=1, medical=True)]
    result = plan(people, slots, first_seconds=2, second_seconds=2)
    assert sum(1 for p in ("m1", "m2") if result.assignments.get(p) == "med") == 1
    assert result.assignments.get("p") == "plain"
    assert not broken_rules(people, slots, result.assignments)


def test_capacity_and_priority_decide_who_goes() -> None:
    people = [person(f"p{i}", priority=1 + (i % 3)) for i in range(9)]
    slots = [slot("a", capacity=2), slot("b", capacity=2, day=1)]
    result = plan(people, slots, first_seconds=2, second_seconds=2)
    assert len(result.assignments) == 4
    assert sorted(p.priority for p in people if p.id in result.assignments) == [2, 3, 3, 3]
    assert result.first.objective == 11 and result.first.status == "OPTIMAL" and result.first.gap == 0
    assert not broken_rules(people, slots, result.assignments)


def test_fewest_slots_then_first_ready_first() -> None:
    people = [person("early", ready=0), person("mid", ready=1), person("late", ready=2)]
    slots = [slot(f"s{d}", day=d, capacity=2) for d in range(4)]
    result = plan(people, slots, first_seconds=2, second_seconds=2)
    assert result.second.objective == 2 and result.second.status == "OPTIMAL"
    assert len(set(result.assignments.values())) == 2
    assert not broken_rules(people, slots, result.assignments)
    # two seats for three interchangeable people: the first ready go
    result = plan(people, [slot("only", day=3, capacity=2)], first_seconds=2, second_seconds=2)
    assert set(result.assignments) == {"early", "mid"}


def test_empty_and_infeasible_inputs() -> None:
    empty = plan([], [slot("s")], first_seconds=1, second_seconds=1)
    assert empty.assignments == {} and empty.first.objective == 0 and empty.second.objective == 0
    assert plan([person("a")], [], first_seconds=1, second_seconds=1).assignments == {}
    nowhere = plan([person("a", nat="HN")], [slot("s", country="SV")], first_seconds=1, second_seconds=1)
    assert nowhere.assignments == {} and nowhere.first.status == "OPTIMAL"


def test_duplicates_and_bad_priority_are_refused() -> None:
    with pytest.raises(InvalidInput, match="person 'a' appears twice"):
        plan([person("a"), person("a")], [slot("s")])
    with pytest.raises(InvalidInput, match="slot 's' appears twice"):
        plan([person("a")], [slot("s"), slot("s")])
    with pytest.raises(InvalidInput, match="priority"):
        plan([person("a", priority=0)], [slot("s")])
    with pytest.raises(InvalidInput, match="from 1 to 1000000"):
        plan([person("a", priority=10**7)], [slot("s")])
    top = plan([person("a", priority=10**6), person("b", priority=10**6 - 1)], [slot("s", capacity=1)])
    assert top.assignments == {"a": "s"} and top.first.objective == 10**6


def brute_force(people: list[Person], slots: list[Slot], quotas: Sequence[Quota] = ()) -> tuple[int, int]:
    """Best (weight moved, then fewest slots used) over every placement of every unit."""
    units = units_of(people)
    best = (0, 0)
    for choice in itertools.product([None, *range(len(slots))], repeat=len(units)):
        load = Counter[int]()
        ok = True
        for unit, s in zip(units, choice, strict=True):
            if s is None:
                continue
            if not allowed(unit, slots[s]):
                ok = False
                break
            load[s] += unit.size
        if not ok or any(load[s] > slots[s].capacity for s in load):
            continue
        if over_quota(slots, Counter({slots[s].id: n for s, n in load.items()}), quotas):
            continue
        weight = sum(u.weight for u, s in zip(units, choice, strict=True) if s is not None)
        key = (weight, -len(load))
        if key > (best[0], -best[1]):
            best = (weight, len(load))
    return best


@pytest.mark.parametrize("seed", range(12))
def test_optimum_matches_brute_force_on_tiny_instances(seed: int) -> None:
    rng = random.Random(seed)
    people = []
    for i in range(rng.randint(3, 6)):
        family = rng.choice([None, None, "F1", "F2"])
        people.append(person(f"p{i}", family=family, nat=rng.choice(["MX", "MX", "GT"]) if not family else "MX",
                             ready=rng.randint(0, 2), priority=rng.randint(1, 3), child=rng.random() < 0.15,
                             medical=rng.random() < 0.15))
    slots = [slot(f"s{j}", mode=rng.choice(["air", "land"]), country=rng.choice(["MX", "MX", "GT"]),
                  day=rng.randint(0, 2), hours=rng.choice([(6, 18), (8, 20), (7, 12)]), capacity=rng.randint(1, 4),
                  welfare=rng.random() < 0.6, medical=rng.random() < 0.4) for j in range(rng.randint(1, 3))]
    result = plan(people, slots, first_seconds=2, second_seconds=2)
    assert not broken_rules(people, slots, result.assignments)
    weight = sum(p.priority for p in people if p.id in result.assignments)
    assert (result.first.status, result.second.status) == ("OPTIMAL", "OPTIMAL")
    assert (weight, len(set(result.assignments.values()))) == brute_force(people, slots)
    assert result.first.objective == weight


def test_progress_lines_report_incumbent_bound_and_gap() -> None:
    lines: list[str] = []
    plan([person("a"), person("b", priority=2)], [slot("s", capacity=1)], progress=lines.append,
         first_seconds=1, second_seconds=1)
    assert any("first stage" in line and "bound 2" in line and "gap 0.00%" in line for line in lines)
    assert lines[-1] == "placed 1 of 2 people in 1 slots"


def test_countries_are_planned_as_independent_parts() -> None:
    people = [person(f"mx{i}", priority=2) for i in range(5)] + [person(f"gt{i}", nat="GT") for i in range(4)]
    slots = [slot("mx-a", capacity=3), slot("mx-b", capacity=3, day=1), slot("gt-a", country="GT", capacity=2),
             slot("gt-b", country="GT", capacity=4, day=1), slot("sv", country="SV")]
    lines: list[str] = []
    result = plan(people, slots, first_seconds=2, second_seconds=2, progress=lines.append)
    assert "2 independent parts" in lines[0]
    assert any(line.startswith("second stage (slots used), GT, 2 slots: OPTIMAL") for line in lines)
    assert (result.first.objective, result.second.objective) == (14, 3)
    assert result.assignments["gt0"] == "gt-b" and len(result.assignments) == 9
    assert not broken_rules(people, slots, result.assignments)


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 10**6))
def test_random_plans_keep_every_rule_and_report_what_they_did(seed: int) -> None:
    rng = random.Random(seed)
    people = [person(f"p{i}", family=rng.choice([None] * 4 + [f"F{rng.randrange(4)}"]),
                     nat="MX" if rng.random() < 0.8 else "GT", ready=rng.randrange(4), priority=rng.randint(1, 3),
                     child=rng.random() < 0.1, medical=rng.random() < 0.1) for i in range(rng.randint(0, 40))]
    slots = [slot(f"s{j}", mode=rng.choice(["air", "land"]), country=rng.choice(["MX", "MX", "GT"]),
                  day=rng.randrange(4), hours=rng.choice([(6, 18), (7, 12), (18, 23), (5, 11)]),
                  capacity=rng.randint(1, 8), welfare=rng.random() < 0.5, medical=rng.random() < 0.3)
             for j in range(rng.randint(0, 8))]
    result = plan(people, slots, first_seconds=2, second_seconds=2)
    assert not broken_rules(people, slots, result.assignments)
    assert result.first.objective == sum(p.priority for p in people if p.id in result.assignments)
    assert result.second.objective == len(set(result.assignments.values()))
    assert result.first.objective <= result.first.bound and result.second.objective >= result.second.bound


def test_no_time_at_all_still_gives_a_plan_within_the_rules() -> None:
    rng = random.Random(5)
    people = [person(f"p{i}", family=f"F{i // 3}" if i < 60 else None, nat=rng.choice(["MX", "GT"]),
                     ready=rng.randrange(5), priority=rng.randint(1, 3), child=i > 60 and rng.random() < 0.1,
                     medical=rng.random() < 0.1) for i in range(400)]
    slots = [slot(f"s{j}", mode=rng.choice(["air", "land"]), country=rng.choice(["MX", "GT"]), day=rng.randrange(5),
                  capacity=rng.randint(5, 30), welfare=rng.random() < 0.5, medical=rng.random() < 0.5)
             for j in range(30)]
    data = groups_of(people, slots)
    start = greedy_counts(data)
    assert not broken_rules(people, slots, seats(data, start))
    result = plan(people, slots, first_seconds=0, second_seconds=0)
    assert not broken_rules(people, slots, result.assignments)
    assert result.first.objective == sum(p.priority for p in people if p.id in result.assignments)
    assert result.first.objective >= sum(data.weight(k) * start[a] for a, (k, _s, _ub) in enumerate(data.arcs))


def test_each_person_left_out_has_the_first_reason_that_applies() -> None:
    people = [person("mixed-a", family="M"), person("mixed-b", family="M", nat="GT"), person("hn", nat="HN"),
              person("late", ready=5), person("big-1", family="B"), person("big-2", family="B"),
              person("big-3", family="B"), person("kid", child=True), person("sick", medical=True),
              person("low-1", priority=1), person("low-2", priority=1), person("high", priority=3)]
    slots = [slot("mx", capacity=2, day=1)]
    result = plan(people, slots, first_seconds=1, second_seconds=1)
    reasons = left_out(people, slots, result)
    assert reasons["mixed-a"] == reasons["mixed-b"] == "family_mixed_nationalities"
    assert reasons["hn"] == "no_slot_in_country"
    assert reasons["late"] == "no_slot_after_ready"
    assert reasons["big-1"] == reasons["big-3"] == "family_larger_than_slots"
    assert reasons["kid"] == "no_child_slot"
    assert reasons["sick"] == "no_medical_slot"
    assert result.assignments["high"] == "mx" and len(result.assignments) == 2
    assert {reasons.get("low-1"), reasons.get("low-2")} == {"seats_taken", None}
    assert set(reasons) | set(result.assignments) == {p.id for p in people}
    assert not set(reasons) & set(result.assignments) and set(reasons.values()) <= set(LEFT_OUT)


def test_at_equal_weight_the_hardest_to_place_go_first() -> None:
    people = [person("adult-1"), person("adult-2"), person("kid-1", child=True), person("kid-2", child=True)]
    slots = [slot("day", mode="land", welfare=True, hours=(8, 16), capacity=2)]
    assert set(plan(people, slots, first_seconds=1, second_seconds=1).assignments) == {"kid-1", "kid-2"}
    people = [person("single-1"), person("single-2"), person("sick", medical=True), person("mum", family="F"),
              person("son", family="F")]
    slots = [slot("flight", medical=True, capacity=3)]
    result = plan(people, slots, first_seconds=1, second_seconds=1)
    assert set(result.assignments) == {"sick", "mum", "son"}
    assert result.first.objective == 3 and result.first.bound == 3 and result.first.status == "OPTIMAL"


def test_a_weekly_quota_of_movements_caps_the_slots_opened_in_each_week() -> None:
    # DAY is a Monday: days 0-2 are one week, day 7 the next; two flights a week, one already taken
    people = [person(f"p{i}", priority=3 - i % 3) for i in range(12)]
    slots = [slot(f"a{d}", day=d, capacity=3) for d in range(3)] + [slot("b7", day=7, capacity=3),
                                                                     slot("l0", mode="land", capacity=3)]
    quota = Quota("MX", "air", 2, "movements", used=((monday_of(DAY), 1),))
    result = plan(people, slots, quotas=[quota], first_seconds=2, second_seconds=2)
    assert not broken_rules(people, slots, result.assignments, [quota])
    used = Counter(result.assignments.values())
    assert sum(1 for s in used if s.startswith("a")) == 1 and used["b7"] == 3 and used["l0"] == 3
    assert result.first.status == "OPTIMAL" and len(result.assignments) == 9
    # the greedy plan the first stage starts from keeps the quota too
    data = groups_of(people, slots, [quota])
    counts = greedy_counts(data)
    assert not broken_rules(people, slots, seats(data, counts), [quota])


def test_a_weekly_quota_of_persons_caps_the_people_moved_on_the_route() -> None:
    people = [person(f"p{i}", priority=1 + (i == 5)) for i in range(10)] + [person("g", nat="GT")]
    slots = [slot("l0", mode="land", capacity=6), slot("l1", mode="land", day=1, capacity=6),
             slot("g0", mode="land", country="GT", capacity=6)]
    quota = Quota("MX", "land", 4, "persons")
    result = plan(people, slots, quotas=[quota], first_seconds=2, second_seconds=2)
    assert not broken_rules(people, slots, result.assignments, [quota])
    assert "p5" in result.assignments and result.assignments["g"] == "g0"
    assert len(result.assignments) == 5 and result.first.objective == 6
    assert len({result.assignments[p] for p in result.assignments if p != "g"}) == 1  # then fewest slots
    with pytest.raises(InvalidInput):
        plan(people, slots, quotas=[Quota("MX", "land", 4, "flights")])


@pytest.mark.parametrize("seed", range(8))
def test_optimum_with_quotas_matches_brute_force_on_tiny_instances(seed: int) -> None:
    rng = random.Random(100 + seed)
    people = [person(f"p{i}", family=rng.choice([None, None, "F1"]), ready=rng.randint(0, 8),
                  priority=rng.randint(1, 3)) for i in range(rng.randint(3, 6))]
    slots = [slot(f"s{j}", mode=rng.choice(["air", "land"]), day=rng.choice([0, 1, 7, 8]),
                  capacity=rng.randint(1, 4)) for j in range(rng.randint(2, 3))]
    quotas = [Quota("MX", "air", rng.randint(0, 1), "movements"), Quota("MX", "land", rng.randint(1, 4), "persons")]
    result = plan(people, slots, quotas=quotas, first_seconds=2, second_seconds=2)
    assert not broken_rules(people, slots, result.assignments, quotas)
    weight = sum(p.priority for p in people if p.id in result.assignments)
    assert (weight, len(set(result.assignments.values()))) == brute_force(people, slots, quotas)

"""Detained people awaiting return, and a week of proposed movements, for the repatriation module.

US-ICE's case files of Mexican nationals with final orders, and the hard cases every safeguard must
catch: fear expressed, pending asylum, withholding granted for Mexico, no final order or an automatic
stay, families of two to four (with minors), unaccompanied minors with and without the four-criteria
screening, medical needs with a valid or an expired clearance, counsel of record notified or not. The
week's movements are land hand-overs at the border points and interior flights. Dates are days from
the Monday the world is loaded for (`repatriation.world` turns them into dates), so the files stay
deterministic. `truth/repatriation_cases.csv` says which gate, if any, must keep each person off.
"""

from __future__ import annotations

import json
import random
import zlib
from pathlib import Path
from typing import IO, Any

from binational.scenario.registry import register
from binational.scenario.world import World

FIRST = ("José", "María", "Juan", "Guadalupe", "Luis", "Rosa", "Carlos", "Ana", "Jorge", "Verónica", "Miguel",
         "Leticia", "Francisco", "Patricia", "Alejandro", "Claudia", "Ricardo", "Elena", "Fernando", "Silvia")
LAST = ("Hernández", "García", "Martínez", "López", "González", "Rodríguez", "Pérez", "Sánchez", "Ramírez",
        "Cruz", "Flores", "Gómez", "Morales", "Vázquez", "Reyes", "Jiménez", "Torres", "Díaz", "Gutiérrez", "Ruiz")
SCREENED = {"not_trafficking_victim": True, "no_trafficking_risk": True, "no_credible_fear": True,
            "can_decide_independently": True,
            "rationale": "interviewed with a consular officer; independent decision documented"}
#: (hard case, share of people, the gate that must keep the person off, or "" if eligible)
HARD = (("fear", 0.05, "fear_claim"), ("asylum", 0.04, "protection_claim"),
        ("withholding", 0.02, "protection_claim"), ("no_final_order", 0.03, "final_order"),
        ("medical_expired", 0.01, "medical"), ("medical", 0.03, ""), ("counsel_notified", 0.03, ""),
        ("counsel_pending", 0.02, ""), ("uac_unscreened", 0.01, "unaccompanied_child"),
        ("uac_screened", 0.01, ""))
#: the detention facilities people wait in, by their ids in the shipped US-ICE land network
#: (`repatriation/networks.yaml`); a family waits in one
FACILITIES = ("otay-mesa", "imperial", "adelanto", "eloy", "florence", "el-paso-spc", "otero")
TRUTH = ("case_id", "case", "family_id", "kept_off_by")
#: (day from Monday, mode, point, start, end, share of the week's seats, medical staff, most seats: a
#: flight's, or the point's daily capacity in the shipped arrangement)
SLOTS = ((0, "land", "tijuana-chaparral", 8, 17, 0.2, True, 600), (1, "land", "nogales", 8, 17, 0.15, False, 400),
         (1, "air", "aifa", 9, 14, 0.2, True, 135), (2, "land", "ciudad-juarez", 8, 18, 0.15, True, 500),
         (3, "air", "aifa", 9, 14, 0.2, True, 135), (4, "land", "tijuana-chaparral", 8, 17, 0.1, True, 600))


def _name(rng: random.Random, last: str | None = None) -> str:
    return f"{rng.choice(FIRST)} {last or rng.choice(LAST)} {rng.choice(LAST)}"


def _case(rng: random.Random, ident: str, kind: str, *, family: str | None = None, age: int | None = None,
          last: str | None = None) -> dict[str, Any]:
    age = age if age is not None else rng.randint(18, 60)
    case: dict[str, Any] = {
        "id": ident, "name": _name(rng, last), "sex": rng.choice("FM"), "age": age, "nationality": "MX",
        "family_id": family, "order_type": rng.choice(("expedited_removal", "reinstatement", "final_removal")),
        "final_order_days_before": rng.randint(5, 120), "ready_in_days": rng.randint(-10, 3),
        "priority": rng.choice((1, 1, 1, 2, 3)),
    }
    facts: dict[str, dict[str, Any]] = {
        "fear": {"fear_claim": True}, "asylum": {"protection_claim": "pending"},
        "withholding": {"protection_claim": "granted", "protection_country": "MX"},
        "no_final_order": {"final_order_days_before": None, "automatic_stay": rng.random() < 0.5},
        "medical": {"needs_medical": True, "medical_clearance_days": 30},
        "medical_expired": {"needs_medical": True, "medical_clearance_days": -5},
        "counsel_notified": {"counsel_of_record": True, "counsel_notified": True},
        "counsel_pending": {"counsel_of_record": True},
        "uac_unscreened": {"unaccompanied_child": True, "age": rng.randint(10, 17)},
        "uac_screened": {"unaccompanied_child": True, "age": rng.randint(15, 17), "child_screening": SCREENED},
    }
    case.update(facts.get(kind, {}))
    return case


@register("repatriation")
def generate(world: World, rng: random.Random, _faker_us: Any, _faker_mx: Any) -> None:
    """US-ICE's detained people and a week of proposed movements."""
    total = min(20_000, max(40, world.size.people // 10))
    folder = Path(world.out) / "repatriation"
    folder.mkdir(parents=True, exist_ok=True)
    counter = 0

    def ident() -> str:
        nonlocal counter
        counter += 1
        return f"ice-case-{counter:06d}"

    with (folder / "cases.jsonl").open("w", encoding="utf-8", newline="\n") as cases:
        made = 0
        while made < total:
            if rng.random() < 0.08:  # a family: two to four, with minors
                last, family = rng.choice(LAST), f"fam-{counter + 1:06d}"
                size = rng.randint(2, 4)
                for n in range(size):
                    age = rng.randint(25, 50) if n < 2 else rng.randint(2, 16)
                    _write(world, cases, _case(rng, ident(), "family", family=family, age=age, last=last), "")
                made += size
                continue
            draw, kind, gate = rng.random(), "ordinary", ""
            for name, share, kept in HARD:
                if draw < share:
                    kind, gate = name, kept
                    break
                draw -= share
            _write(world, cases, _case(rng, ident(), kind), gate)
            made += 1
    seats = max(20, int(total * 0.9))
    with (folder / "movements.jsonl").open("w", encoding="utf-8", newline="\n") as movements:
        for day, mode, point, start, end, share, medical, most in SLOTS:
            capacity = min(most, max(10, int(seats * share)))
            movements.write(json.dumps({"day": day, "mode": mode, "point": point, "start_hour": start,
                                        "end_hour": end, "capacity": capacity, "medical_staff": medical,
                                        "arrangement": "us-mx-2016"}, sort_keys=True) + "\n")
    world.counts["repatriation/cases.jsonl"] = counter
    world.counts["repatriation/movements.jsonl"] = len(SLOTS)


def _write(world: World, handle: IO[str], case: dict[str, Any], gate: str) -> None:
    # from the id, not the generator: the rest of the world stays as it was drawn
    case["facility"] = FACILITIES[zlib.crc32((case.get("family_id") or case["id"]).encode()) % len(FACILITIES)]
    handle.write(json.dumps(case, ensure_ascii=False, sort_keys=True) + "\n")
    world.truth("repatriation_cases", TRUTH, (case["id"], case.get("family_id") and "family" or "person",
                                              case.get("family_id"), gate))

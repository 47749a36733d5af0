"""The firearms trade of the synthetic world: US dealers' sale records with their multiple-sale
reports, the trafficked share bought by the organisations' straw purchasers, and the firearms
recovered in Mexico as prosecutors read them (trace requests), with the truth of who bought for whom.

Calibrated to public figures (the headline file of the tracing notes, GAO and ATF):

- about 70 % of the firearms recovered in Mexico and traced are of US origin (GAO-16-223: 73,684 of
  104,850 in 2009-2014; GAO-21-322: 70 % in 2014-2018); the rest trace nowhere in the US records;
- of the US-sourced ones about 40 % were first sold in Texas and a third in Arizona, California and
  New Mexico (ATF data via Mayors Against Illegal Guns, 2010);
- rifles are about 40 % of the recoveries (28 % in 2007, 43 % in 2011, ATF 2012), pistols most of the
  rest, some revolvers (ATF CY2016 report);
- trafficked firearms are recovered quickly: ATF counts under three years from first retail sale as a
  trafficking indicator, and the US average time-to-crime is above six years (6.34 years in 2022, ATF),
  which the few legitimately sold firearms that reach Mexico (stolen or resold) follow;
- two or more handguns to one buyer within five business days, and two or more semi-automatic rifles
  in Arizona, California, New Mexico and Texas, are reported as multiple sales (27 CFR 478.126a; the
  ATF demand letter of July 2011).

Files: `firearms/sales.csv`, `firearms/multiple_sales.csv`, `firearms/traces.csv` (the recoveries as
trace requests of MX-FGR) and the truth `truth/straw_purchasers.csv`, `truth/firearm_traces.csv`. The
size of the world scales the legitimate sales (three per person): millions at the large size.
"""

from __future__ import annotations

import csv
import random
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from binational.scenario.records import person_record
from binational.scenario.registry import register
from binational.scenario.world import World

#: maker, model, calibre, type, serial pattern (L letter, D digit)
MODELS = (
    ("Glock", "19", "9mm", "pistol", "LLLDDD"),
    ("Glock", "17", "9mm", "pistol", "LLLDDD"),
    ("Smith & Wesson", "M&P9", "9mm", "pistol", "LLLDDDD"),
    ("Ruger", "LCP", ".380", "pistol", "DDD-DDDDD"),
    ("Taurus", "G2C", "9mm", "pistol", "LLLDDDDDD"),
    ("Colt", "Government Super", ".38 Super", "pistol", "CSDDDDD"),
    ("Smith & Wesson", "686", ".357", "revolver", "LLLDDDD"),
    ("Colt", "M4 Carbine", "5.56", "rifle", "LEDDDDDD"),
    ("Smith & Wesson", "M&P15", "5.56", "rifle", "TLDDDDD"),
    ("Century Arms", "WASR-10", "7.62x39", "rifle", "LLDDDDDD"),
    ("Ruger", "AR-556", "5.56", "rifle", "DDD-DDDDD"),
    ("Barrett", "M82A1", ".50 BMG", "rifle", "AADDDDD"),
)
RIFLES = [m for m in MODELS if m[3] == "rifle"]
HANDGUNS = [m for m in MODELS if m[3] != "rifle"]
#: where US-sourced firearms recovered in Mexico were first sold (shares, percent)
SOURCE_STATES = {"TX": 40, "AZ": 15, "CA": 12, "NM": 6, "FL": 5, "GA": 4, "IL": 3, "NV": 3, "CO": 3, "OK": 3,
                 "NC": 3, "WA": 3}
RIFLE_REPORT_STATES = ("AZ", "CA", "NM", "TX")
STATE_CODES = {"Texas": "TX", "California": "CA", "Arizona": "AZ", "New Mexico": "NM"}
DEALER_WORDS = ("Guns", "Arms", "Outdoors", "Sporting Goods", "Firearms", "Pawn", "Tactical", "Shooting Supply")
WHOLESALERS = ("Lipsey's", "Davidson's", "Sports South", "RSR Group", "Zanders", "Bill Hicks")
CRIME_CODES = ("5212", "5299", "3599", "0199")
SALES_START, SALES_DAYS = date(2014, 1, 1), 10 * 365
LAST_DAY = date(2025, 6, 30)
#: share of recoveries whose firearm is of US origin (GAO-16-223, GAO-21-322)
US_ORIGIN = 0.70
SALES_HEADER = ("record_id", "manufacturer", "importer", "wholesaler", "dealer", "dealer_state", "purchaser",
                "sale_date", "model", "caliber", "weapon_type", "serial", "purchaser_entity_id")
MULTIPLE_HEADER = ("report_id", "dealer", "dealer_state", "purchaser", "report_date", "weapon_type", "serials")
TRACES_HEADER = ("priority", "crime_code", "officer", "ori", "possessor", "recovery_place", "recovery_state",
                 "recovered_on", "manufacturer", "model", "caliber", "weapon_type", "serial", "obliterated")
LOOKALIKE = {"0": "O", "O": "0", "1": "I", "I": "1", "L": "1", "5": "S", "S": "5", "8": "B", "B": "8",
             "2": "Z", "Z": "2", "6": "G", "G": "6"}


def _serial(rng: random.Random, pattern: str, taken: set[str]) -> str:
    while True:
        serial = "".join(rng.choice("ABCDEFGHJKMNPRTUVWXY") if c == "L" else rng.choice("0123456789") if c == "D"
                         else c for c in pattern)
        if serial not in taken:
            taken.add(serial)
            return serial


def damage(rng: random.Random, serial: str) -> tuple[str, bool]:
    """The serial as an officer reads it: most clean, some with one or two characters unreadable (`?`),
    misread (a look-alike, sometimes anything) or missing; obliterated ones partly restored."""
    r = rng.random()
    obliterated = r > 0.92
    bad = 0 if r < 0.70 else 1 if r < 0.85 else 2
    chars = list(serial)
    for _ in range(bad if not obliterated else rng.randint(2, 3)):
        spots = [i for i, c in enumerate(chars) if c.isalnum()]
        if not spots:
            break
        i = rng.choice(spots)
        kind = rng.random()
        if obliterated or kind < 0.45:
            chars[i] = "?"
        elif kind < 0.80 and chars[i] in LOOKALIKE:
            chars[i] = LOOKALIKE[chars[i]]
        elif kind < 0.92:
            chars[i] = rng.choice("ABCDEFGHJKMNPRTUVWXY0123456789")
        else:
            del chars[i]
    return "".join(chars), obliterated


class _Writer:
    def __init__(self, world: World, name: str, header: tuple[str, ...]) -> None:
        folder: Path = world.out / "firearms"
        folder.mkdir(parents=True, exist_ok=True)
        self.handle = (folder / f"{name}.csv").open("w", encoding="utf-8", newline="")
        self.writer = csv.writer(self.handle, lineterminator="\n")
        self.writer.writerow(header)
        self.world, self.key = world, f"firearms/{name}.csv"

    def row(self, values: tuple[Any, ...]) -> None:
        self.writer.writerow(values)
        self.world.counts[self.key] = self.world.counts.get(self.key, 0) + 1

    def close(self) -> None:
        self.handle.close()


def _business_days_later(day: date, rng: random.Random) -> date:
    later = day + timedelta(days=rng.randint(0, 4))
    return later if later.weekday() < 5 else later + timedelta(days=7 - later.weekday())


def _dealer(rng: random.Random, faker: Any, state: str, dealers: dict[str, list[str]]) -> str:
    known = dealers.setdefault(state, [])
    if len(known) < 6 or rng.random() < 0.05:
        known.append(f"{faker.last_name()} {rng.choice(DEALER_WORDS)}")
    return rng.choice(known)


@register("firearms_trade")
def generate_firearms_trade(world: World, rng: random.Random, faker_us: Any, faker_mx: Any) -> None:
    """Sales, multiple-sale reports, recoveries as trace requests, and their truth."""
    sales, reports, traces = (_Writer(world, "sales", SALES_HEADER), _Writer(world, "multiple_sales", MULTIPLE_HEADER),
                              _Writer(world, "traces", TRACES_HEADER))
    taken: set[str] = set()
    dealers: dict[str, list[str]] = {}
    states, weights = list(SOURCE_STATES), list(SOURCE_STATES.values())
    recovered: list[tuple[tuple[str, ...], str, date, str, str, str]] = []  # model, serial, sold, record, truth...
    n = 0

    def sell(model: tuple[str, ...], state: str, buyer: str, day: date, entity: str = "",
             dealer: str = "") -> tuple[str, str]:
        nonlocal n
        n += 1
        record, serial = f"S{n:08d}", _serial(rng, model[4], taken)
        importer = "Glock Inc" if model[0] == "Glock" else "Century International Arms" \
            if model[0] == "Century Arms" else ""
        shop = dealer or _dealer(rng, faker_us, state, dealers)
        sales.row((record, model[0], importer, rng.choice(WHOLESALERS), shop, state, buyer, day.isoformat(), model[1],
                   model[2], model[3], serial, entity))
        return record, serial

    # legitimate sales: three per person of the world, one or two firearms per buyer
    legit = world.size.people * 3
    k = 0
    while k < legit:
        buyer, state = faker_us.name(), rng.choices(states, weights)[0]
        day = SALES_START + timedelta(days=rng.randrange(SALES_DAYS))
        count = 1 if rng.random() < 0.85 else 2
        handguns = rng.random() < 0.6
        bought, shop = [], _dealer(rng, faker_us, state, dealers)
        for _ in range(count):
            model = rng.choice(HANDGUNS if handguns else RIFLES)
            record, serial = sell(model, state, buyer, _business_days_later(day, rng), dealer=shop)
            bought.append(serial)
            k += 1
            if rng.random() < 0.004:  # stolen or resold, and years later recovered in Mexico
                recovered.append((model, serial, day, record, buyer, ""))
        if count == 2 and (handguns or state in RIFLE_REPORT_STATES):
            reports.row((f"R{n:08d}", shop, state, buyer, day.isoformat(), "handgun" if handguns else "rifle",
                         ";".join(bought)))
    # the trafficked share: the organisations' straw purchasers buy in bursts, near their border state
    for org in world.state.get("organisations", []):
        home = STATE_CODES.get(org.us_state, "TX")
        for straw in org.straw_purchasers:
            name = " ".join(p for p in (straw.given, straw.paterno, straw.materno) if p)
            # the id the record has once loaded (an agency's ids are prefixed with its code, lower case)
            entity = f"us-atf.{person_record(world, rng, 'US-ATF', straw)}"
            world.truth("straw_purchasers", ("purchaser", "person_id", "organisation_id", "record_id"),
                        (name, straw.person_id, org.organisation_id, entity))
            for _ in range(rng.randint(2, 4)):
                state = home if rng.random() < 0.7 else rng.choices(states, weights)[0]
                day = SALES_START + timedelta(days=rng.randrange(SALES_DAYS))
                rifles = rng.random() < 0.45
                bought, shop = [], _dealer(rng, faker_us, state, dealers)
                for _ in range(rng.randint(2, 4)):
                    model = rng.choice(RIFLES if rifles else HANDGUNS)
                    record, serial = sell(model, state, name, _business_days_later(day, rng), entity, shop)
                    bought.append(serial)
                    if rng.random() < 0.75:
                        recovered.append((model, serial, day, record, name, org.state))
                if rng.random() < 0.85 and (not rifles or state in RIFLE_REPORT_STATES):
                    reports.row((f"R{n:08d}", shop, state, name, day.isoformat(), "rifle" if rifles else "handgun",
                                 ";".join(bought)))
    # recoveries in Mexico, read by prosecutors; 30 % are of other origin and trace to no US record
    mx_states = sorted({org.state for org in world.state.get("organisations", [])}) or ["Sonora"]
    foreign = round(len(recovered) * (1 - US_ORIGIN) / US_ORIGIN)
    for _ in range(foreign):
        other: tuple[str, ...] = ("Zastava", "PAP M70", "7.62x39", "rifle", "M70PBDDDDDD") if rng.random() < 0.5 \
            else rng.choice(MODELS)
        recovered.append((other,
                          _serial(rng, "DDDDDDDD", taken), LAST_DAY - timedelta(days=400), "", "", ""))
    rng.shuffle(recovered)
    for made, serial, sold, record, buyer, state in recovered:
        trafficked = bool(state)
        days = int(rng.expovariate(1 / (500 if trafficked else 2300))) + 20
        on = min(sold + timedelta(days=days), LAST_DAY)
        read, obliterated = damage(rng, serial)
        place_state = state or rng.choice(mx_states)
        possessor = faker_mx.name() if rng.random() < 0.8 else ""
        traces.row(("urgent" if rng.random() < 0.2 else "routine", rng.choice(CRIME_CODES), faker_mx.name(),
                    "MXFGR0001", possessor, faker_mx.city(), place_state, on.isoformat(), made[0], made[1],
                    made[2], made[3], read, "yes" if obliterated else "no"))
        world.truth("firearm_traces", ("serial_read", "record_id", "purchaser", "trafficked"),
                    (read, record, buyer, "yes" if trafficked else "no"))
    for writer in (sales, reports, traces):
        writer.close()

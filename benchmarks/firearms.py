"""Firearms tracing: serial candidates for damaged serials, against exact matching and a plain ranker.

The records are generated here (no public file holds dealers' books): makers with their serial
formats (`binational.firearms.serials.FORMATS`), each maker's product lines with models, calibres and
types, and records in *runs* — a case of consecutive serials of one model shipped to one dealer —
spread at random over the maker's serial space, so serials one character apart are common within a
maker and across makers whose formats overlap (Taurus and SIG Sauer, Hi-Point, Colt and Smith &
Wesson, ...). Dealers write makers, calibres and types their own way (`Glock Inc`, `9mm Luger`, `P`).

Traces are recovered guns: records drawn at random, a third of them with the guns of the same run
bought alongside (recovered together); read by an officer: the maker and calibre as written, the
model left empty one time in four; the serial clean (a quarter of traces) or with one or two bad
characters, each unreadable (`?`, 45 %), misread as a look-alike (30 %; a character without
look-alike is then unreadable), misread as any character (10 %) or missing (15 %).

Rankers, in one run on the same traces:

- `exact` — a plain lookup of make and serial as read (what resolves without analysis);
- `plain` — wildcards and look-alikes, then model and type agreement: records of the trace's make
  with a serial of the same length, ranked by misread places, then look-alikes, then agreement of
  model (as written) and type; no calibre, no formats, no missing characters; a scan of the make's
  records per trace, so it runs on the first `--plain-sample` traces (2,000) only;
- `ours` — `binational.firearms.candidates.SerialIndex.rank`, the traces as one batch.

    python benchmarks/firearms.py [--size small|large] [--plain-sample N]

`small`: 200,000 records, 3,000 traces; `large`: 10,000,000 records, 10,000 traces. Also times
`write_candidates` (CSV in, CSV out) on 500,000 records and 3,000 traces. Writes
benchmarks/results/firearms_<size>.json.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from binational.firearms import candidates as cand  # noqa: E402
from binational.firearms import serials  # noqa: E402
from binational.firearms.offline import write_candidates  # noqa: E402

SIZES = {"small": (200_000, 3_000), "medium": (1_000_000, 10_000), "large": (10_000_000, 10_000)}
OFFLINE = (500_000, 3_000)
TOP = 10
LETTERS = np.frombuffer(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ", np.uint8)
DIGITS = np.frombuffer(b"0123456789", np.uint8)

# maker: (share of records, spellings dealers and officers use, lines: (format, share, models))
# a model is (model, calibre, type)
MAKERS: dict[str, tuple[float, tuple[str, ...], tuple[tuple[str, float, tuple[tuple[str, str, str], ...]], ...]]] = {
    "GLOCK": (0.14, ("GLOCK", "Glock", "GLOCK INC", "Glock GmbH"), (
        ("@@@###", 0.5, (("17", "9MM", "PISTOL"), ("19", "9MM", "PISTOL"), ("22", "40 S&W", "PISTOL"),
                         ("26", "9MM", "PISTOL"))),
        ("@@@@###", 0.5, (("19", "9mm Luger", "PISTOL"), ("43X", "9MM", "PISTOL"), ("21", ".45 ACP", "PISTOL"),
                          ("48", "9MM", "PISTOL"), ("17", "9X19", "PISTOL"))))),
    "SMITH & WESSON": (0.13, ("SMITH & WESSON", "S&W", "Smith and Wesson", "SMITH&WESSON"), (
        ("@@@####", 0.7, (("M&P15", "5.56 NATO", "RIFLE"), ("M&P9", "9MM", "PISTOL"), ("SD9VE", "9MM", "PISTOL"),
                          ("M&P Shield", "9MM", "PISTOL"))),
        ("@######", 0.3, (("642", ".38 SPL", "REVOLVER"), ("686", ".357 MAG", "REVOLVER"),
                          ("629", ".44 MAG", "REVOLVER"))))),
    "RUGER": (0.14, ("RUGER", "Sturm, Ruger & Co", "STURM RUGER", "Ruger"), (
        ("########", 1.0, (("AR-556", "5.56X45", "RIFLE"), ("LCP", ".380 ACP", "PISTOL"), ("SR9", "9MM", "PISTOL"),
                           ("10/22", "22 LR", "RIFLE"), ("Mini-14", ".223 REM", "RIFLE"),
                           ("LCR", ".38 SPECIAL", "REVOLVER"), ("EC9s", "9MM", "PISTOL"))),)),
    "COLT": (0.04, ("COLT", "Colt's Mfg", "COLT MFG"), (
        ("LE######", 0.6, (("LE6920", "5.56 NATO", "RIFLE"), ("AR-15A4", ".223", "RIFLE"))),
        ("@######", 0.4, (("Government", ".45 ACP", "PISTOL"), ("Super", "38 SUPER", "PISTOL"),
                          ("Python", ".357", "REVOLVER"))))),
    "SIG SAUER": (0.09, ("SIG SAUER", "Sig", "SIG SAUER INC", "SIGARMS"), (
        ("##@######", 0.6, (("P320", "9MM", "PISTOL"), ("P365", "9MM", "PISTOL"), ("P226", "9MM", "PISTOL"))),
        ("@@@######", 0.4, (("MCX", "5.56", "RIFLE"), ("P229", ".40 S&W", "PISTOL"))))),
    "TAURUS": (0.09, ("TAURUS", "Taurus", "FORJAS TAURUS"), (
        ("@@@######", 0.7, (("G2C", "9MM", "PISTOL"), ("PT92", "9MM", "PISTOL"), ("G3", "9MM", "PISTOL"))),
        ("@@@#####", 0.3, (("605", ".357 MAG", "REVOLVER"), ("Judge", ".45", "REVOLVER"))))),
    "CENTURY ARMS": (0.07, ("CENTURY ARMS", "Century International Arms", "CAI", "ROMARM/CUGIR"), (
        ("####@@####", 0.8, (("WASR-10", "7.62X39", "RIFLE"), ("VSKA", "7.62x39mm", "RIFLE"))),
        ("@@####", 0.2, (("RAS47", "7.62X39", "RIFLE"), ("Micro Draco", "7.62X39", "PISTOL"))))),
    "HI-POINT": (0.04, ("HI-POINT", "Hi Point", "HI POINT FIREARMS"), (
        ("P#######", 0.7, (("C9", "9MM", "PISTOL"), ("CF380", ".380", "PISTOL"))),
        ("@######", 0.3, (("995TS", "9MM", "RIFLE"), ("JHP", ".45 ACP", "PISTOL"))))),
    "KEL-TEC": (0.03, ("KEL-TEC", "Kel Tec", "KELTEC CNC"), (
        ("@@@##", 0.6, (("P3AT", ".380", "PISTOL"), ("PMR30", "22 WMR", "PISTOL"))),
        ("@@@@##", 0.4, (("SUB-2000", "9MM", "RIFLE"), ("KSG", "12 GA", "SHOTGUN"))))),
    "SPRINGFIELD ARMORY": (0.05, ("SPRINGFIELD ARMORY", "Springfield", "HS Produkt"), (
        ("@@######", 1.0, (("XD9", "9MM", "PISTOL"), ("Hellcat", "9MM", "PISTOL"), ("Saint", "5.56", "RIFLE"),
                           ("1911", ".45 ACP", "PISTOL"))),)),
    "BARRETT": (0.005, ("BARRETT", "Barrett Firearms"), (
        ("#####", 1.0, (("M82A1", ".50 BMG", "RIFLE"), ("M95", "50 BMG", "RIFLE"))),)),
    "FN HERSTAL": (0.02, ("FN HERSTAL", "FN", "FNH USA", "FN America"), (
        ("386######", 0.5, (("Five-seveN", "5.7X28", "PISTOL"), ("PS90", "5.7x28mm", "RIFLE"))),
        ("FN######", 0.5, (("FNS-9", "9MM", "PISTOL"), ("FN 509", "9MM", "PISTOL"))))),
    "BERETTA": (0.03, ("BERETTA", "Beretta USA", "PIETRO BERETTA"), (
        ("BER######", 0.7, (("92FS", "9MM", "PISTOL"), ("APX", "9MM", "PISTOL"))),
        ("@#####@", 0.3, (("PX4", ".40 S&W", "PISTOL"), ("Nano", "9MM", "PISTOL"))))),
    "BUSHMASTER": (0.03, ("BUSHMASTER", "Bushmaster Firearms"), (
        ("L######", 0.6, (("XM-15", "5.56 NATO", "RIFLE"),)),
        ("BFI#####", 0.4, (("XM-15", ".223", "RIFLE"), ("ACR", "5.56", "RIFLE"))))),
    "MOSSBERG": (0.03, ("MOSSBERG", "O.F. Mossberg & Sons", "Mossberg"), (
        ("V#######", 0.6, (("500", "12 GA", "SHOTGUN"), ("590", "12 GAUGE", "SHOTGUN"))),
        ("@@######", 0.4, (("MC1sc", "9MM", "PISTOL"), ("715T", "22 LR", "RIFLE"))))),
    "REMINGTON": (0.02, ("REMINGTON", "Remington Arms"), (
        ("@@#####@", 1.0, (("870", "12 GA", "SHOTGUN"), ("700", ".308", "RIFLE"))),)),
    "PALMETTO STATE ARMORY": (0.02, ("PALMETTO STATE ARMORY", "PSA"), (
        ("SCD######", 0.6, (("PA-15", "5.56 NATO", "RIFLE"),)),
        ("@@######", 0.4, (("AK-V", "9MM", "RIFLE"), ("PA-47", "7.62X39", "RIFLE"))))),
    "DPMS": (0.015, ("DPMS", "DPMS Panther Arms"), (
        ("FH######", 1.0, (("A-15", ".223", "RIFLE"), ("LR-308", ".308", "RIFLE"))),)),
}

#: how officers write calibres and types beyond the dealers' spellings
CALIBRE_WRITTEN = {c: aliases for c, aliases in serials.CALIBRES.items()}
TYPE_WRITTEN = {"PISTOL": ("PISTOL", "P", "Pistol", "SEMI-AUTOMATIC PISTOL"), "RIFLE": ("RIFLE", "RI", "Rifle"),
                "REVOLVER": ("REVOLVER", "R", "Revolver"), "SHOTGUN": ("SHOTGUN", "S", "Shotgun")}


# ---------------------------------------------------------------- the records

def records(n: int, seed: int) -> dict[str, np.ndarray]:
    """`n` dealers' records, as columns."""
    rng = np.random.default_rng(seed)
    makes = list(MAKERS)
    shares = np.array([MAKERS[m][0] for m in makes])
    # a few more than asked: serials drawn twice within a maker are one gun, and are dropped
    per_make = rng.multinomial(int(n * 1.04) + 100, shares / shares.sum())
    out: dict[str, list[np.ndarray]] = {k: [] for k in ("make", "spelling", "model", "calibre", "type", "serial",
                                                      "run")}
    run_base = 0
    for m, (make, count) in enumerate(zip(makes, per_make, strict=True)):
        _, spellings, lines = MAKERS[make]
        line_shares = np.array([s for _, s, _ in lines])
        for (fmt, _, models), k in zip(lines, rng.multinomial(count, line_shares / line_shares.sum()), strict=True):
            if not k:
                continue
            codes, run = _line(rng, fmt, int(k))
            out["serial"].append(codes)
            out["run"].append(run + run_base)
            run_base += int(run.max()) + 1
            # one model per run, as a case is shipped
            model_of_run = rng.integers(0, len(models), int(run.max()) + 1)[run]
            out["make"].append(np.full(len(run), m, np.int16))
            out["spelling"].append(_written(rng, len(run), len(spellings)))
            out["model"].append(np.array([models[i][0] for i in range(len(models))], object)[model_of_run])
            out["calibre"].append(np.array([models[i][1] for i in range(len(models))], object)[model_of_run])
            out["type"].append(np.array([models[i][2] for i in range(len(models))], object)[model_of_run])
    cols = {k: np.concatenate(v) for k, v in out.items()}
    # a serial drawn twice within a maker is one gun: keep the first
    width = cols["serial"].shape[1]
    key = np.ascontiguousarray(np.concatenate((cols["make"].astype(np.uint8)[:, None], cols["serial"]), axis=1))
    _, first = np.unique(key.view(f"S{width + 1}").ravel(), return_index=True)
    keep = np.sort(first)
    cols = {k: v[keep] for k, v in cols.items()}
    # shuffle so that record ids say nothing of runs; keep n
    order = rng.permutation(len(keep))[:n]
    cols = {k: v[order] for k, v in cols.items()}
    spelled = np.empty(len(order), object)
    for m, make in enumerate(makes):
        where = cols["make"] == m
        spelled[where] = np.array(MAKERS[make][1], object)[cols["spelling"][where]]
    cols["manufacturer"] = spelled
    cols["serial_text"] = _serial_text(rng, cols["serial"], cols["make"], makes)
    _sales(rng, cols, run_base)
    return cols


# ---------------------------------------------------------------- the evidence beyond the markings

#: dealers' states by share of all retail sales (roughly the states' shares of background checks)
SALES_STATES = {"TX": 9, "CA": 6, "FL": 7, "PA": 5, "OH": 4, "IL": 4, "GA": 3.5, "NC": 3.5, "MI": 3.5, "TN": 3,
                "VA": 3, "AZ": 3, "MO": 2.5, "IN": 2.5, "WA": 2.5, "CO": 2.5, "AL": 2, "OK": 1.5, "NM": 1,
                "NV": 1, "UT": 1.5, "LA": 1.5, "KY": 2, "SC": 2, "MN": 2, "WI": 2, "OR": 1.5, "NY": 2}
#: where firearms recovered in Mexico and traced were first sold (the scenario's public figures)
TRACED_STATES = {"TX": 40, "AZ": 15, "CA": 12, "NM": 6, "FL": 5, "GA": 4, "IL": 3, "NV": 3, "CO": 3, "OK": 3}
#: the Mexican states across the line from each southwest state, and the rest of Mexico
ACROSS = {"TX": ("Tamaulipas", "Nuevo León", "Coahuila", "Chihuahua"), "AZ": ("Sonora",),
          "CA": ("Baja California",), "NM": ("Chihuahua",)}
MX_STATES = ("Tamaulipas", "Nuevo León", "Coahuila", "Chihuahua", "Sonora", "Baja California", "Sinaloa",
             "Jalisco", "Michoacán", "Guerrero", "Ciudad de México", "Estado de México", "Guanajuato",
             "Zacatecas", "Durango", "Veracruz", "Oaxaca", "Chiapas", "Morelos", "Puebla")
FIRST = ("JUAN", "JOSE", "LUIS", "CARLOS", "JESUS", "MIGUEL", "ANGEL", "JORGE", "PEDRO", "RAMON", "JOHN",
         "MICHAEL", "DAVID", "JAMES", "ROBERT", "WILLIAM", "RICHARD", "JOSEPH", "THOMAS", "DANIEL", "MARIA",
         "ANA", "ROSA", "LAURA", "SARAH", "JESSICA", "ASHLEY", "EMILY", "MARK", "PAUL", "KEVIN", "BRIAN",
         "ERIC", "ADAM", "RUBEN", "RAUL", "OSCAR", "HECTOR", "MARIO", "ARTURO")
LAST = ("GARCIA", "MARTINEZ", "HERNANDEZ", "LOPEZ", "GONZALEZ", "RODRIGUEZ", "PEREZ", "SANCHEZ", "RAMIREZ",
        "TORRES", "FLORES", "RIVERA", "GOMEZ", "DIAZ", "REYES", "MORALES", "CRUZ", "ORTIZ", "GUTIERREZ",
        "CHAVEZ", "SMITH", "JOHNSON", "WILLIAMS", "BROWN", "JONES", "MILLER", "DAVIS", "WILSON", "ANDERSON",
        "TAYLOR", "THOMAS", "MOORE", "JACKSON", "MARTIN", "LEE", "THOMPSON", "WHITE", "HARRIS", "CLARK",
        "LEWIS", "ROBINSON", "WALKER", "YOUNG", "ALLEN", "KING", "WRIGHT", "SCOTT", "GREEN", "BAKER", "ADAMS",
        "NELSON", "HILL", "CAMPBELL", "MITCHELL", "ROBERTS", "CARTER", "PHILLIPS", "EVANS", "TURNER", "CASTILLO")
#: sale days are days from 1970-01-01: shipments from 2008 to 2023, recoveries until mid-2026
FIRST_SHIPMENT, LAST_SHIPMENT, LAST_RECOVERY = 13_879, 19_722, 20_634


def name(code: int) -> str:
    """A person's name from its code: first name, middle initial and two surnames (2.3 million
    names: one purchaser's name stands for one person in these books)."""
    first, rest = divmod(int(code), len(LAST) * len(LAST) * 16)
    middle, rest = divmod(rest, len(LAST) * len(LAST))
    last, second = divmod(rest, len(LAST))
    return f"{FIRST[first % len(FIRST)]} {chr(65 + middle)} {LAST[last]} {LAST[second]}"


NAMES = len(FIRST) * len(LAST) * len(LAST) * 16


def _sales(rng: np.random.Generator, cols: dict[str, np.ndarray], runs: int) -> None:
    """Who sold each record, when and to whom: a run (one case) goes to one dealer, in one state, on
    one shipment day; the dealer sells its guns one by one over the following months (exponential,
    mean 150 days), each to a purchaser of its own."""
    states = list(SALES_STATES)
    weights = np.array(list(SALES_STATES.values()), float)
    run_state = rng.choice(len(states), size=runs, p=weights / weights.sum())
    run_day = rng.integers(FIRST_SHIPMENT, LAST_SHIPMENT, runs)
    run = cols["run"]
    cols["state_code"] = run_state[run].astype(np.int16)
    cols["dealer_state"] = np.array(states, object)[cols["state_code"]]
    cols["sale_day"] = (run_day[run] + rng.exponential(150, len(run)).astype(np.int64)).astype(np.int64)
    cols["purchaser_code"] = rng.integers(0, NAMES, len(run))


def _evidence(rng: np.random.Generator, cols: dict[str, np.ndarray], picked: list[list[int]]) -> list[dict[str, str]]:
    """The recovery of each group of traced guns (one gun, or guns of one case recovered together).
    Guns recovered together were bought together: by one purchaser on one day (the records of the
    group are rewritten so). Time to crime is log-normal: median 14 months for trafficked guns (every
    group, half of the single guns), 7 years for the rest (stolen or resold); the recovery is across
    the line from the dealer's state 55 % of the time when the dealer is in the southwest, anywhere
    in Mexico otherwise; the possessor is the purchaser one time in eight (written as a prosecutor
    would: surname first, with a comma), someone else otherwise."""
    out = []
    for group in picked:
        first = group[0]
        for r in group[1:]:
            cols["sale_day"][r] = cols["sale_day"][first]
            cols["purchaser_code"][r] = cols["purchaser_code"][first]
        trafficked = len(group) > 1 or rng.random() < 0.5
        ttc = rng.lognormal(np.log(420 if trafficked else 2_560), 0.9 if trafficked else 0.5)
        recovered = min(int(cols["sale_day"][first] + ttc), LAST_RECOVERY)
        recovered = max(recovered, int(cols["sale_day"][first]))
        us = str(cols["dealer_state"][first])
        if us in ACROSS and rng.random() < 0.55:
            place = ACROSS[us][int(rng.integers(0, len(ACROSS[us])))]
        else:
            place = MX_STATES[int(rng.integers(0, len(MX_STATES)))]
        if rng.random() < 1 / 8:
            first_name, initial, last, second = name(int(cols["purchaser_code"][first])).split()
            possessor = f"{last.title()} {second.title()}, {first_name.title()} {initial}"
        else:
            possessor = name(int(rng.integers(0, NAMES)))
        day = str(np.datetime64(recovered, "D"))
        out += [{"recovered_on": day, "recovery_state": place, "possessor": possessor}] * len(group)
    return out


def _written(rng: np.random.Generator, n: int, choices: int) -> np.ndarray:
    """Which spelling each of n writers uses: the first most often."""
    weights = np.array([0.6] + [0.4 / max(1, choices - 1)] * (choices - 1))[:choices]
    return rng.choice(choices, size=n, p=weights / weights.sum())


def _line(rng: np.random.Generator, fmt: str, k: int) -> tuple[np.ndarray, np.ndarray]:
    """k serials of one format, in runs of consecutive numbers: (codes as ASCII bytes, run of each)."""
    lengths = np.minimum(rng.geometric(1 / 3.0, size=k), 24)
    lengths = lengths[: int(np.searchsorted(np.cumsum(lengths), k)) + 1]
    lengths[-1] -= int(lengths.sum()) - k
    runs = len(lengths)
    tail_end = fmt.rfind("#") + 1
    tail_start = tail_end
    while tail_start > 0 and fmt[tail_start - 1] == "#":
        tail_start -= 1
    digits = tail_end - tail_start
    start_chars = np.zeros((runs, 12), np.uint8)
    for j, f in enumerate(fmt):
        if f == "#":
            start_chars[:, j] = DIGITS[rng.integers(0, 10, runs)]
        elif f == "@":
            start_chars[:, j] = LETTERS[rng.integers(0, 26, runs)]
        else:
            start_chars[:, j] = ord(f)
    run = np.repeat(np.arange(runs), lengths)
    offset = np.arange(k) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    start = rng.integers(0, 10 ** digits - 25, runs)
    number = start[run] + offset
    codes = start_chars[run]
    for j in range(tail_end - 1, tail_start - 1, -1):
        codes[:, j] = DIGITS[number % 10]
        number //= 10
    return codes, run


def _serial_text(rng: np.random.Generator, codes: np.ndarray, make: np.ndarray, makes: list[str]) -> np.ndarray:
    """Serials as dealers write them: Ruger's hyphen after three digits half of the time."""
    text = np.zeros((len(codes), 13), np.uint8)
    text[:, :12] = codes
    ruger = (make == makes.index("RUGER")) & (rng.random(len(codes)) < 0.5)
    text[ruger, 4:13] = codes[ruger, 3:12]
    text[ruger, 3] = ord("-")
    return text.view("S13").ravel()


# ---------------------------------------------------------------- the traces

LOOKS = {c: [d for d in group if d != c] for group in serials.LOOKALIKES for c in group}


def traces(cols: dict[str, np.ndarray], n: int, seed: int) -> list[dict[str, object]]:
    """n traces with their true record and damage (0, 1 or 2 bad characters)."""
    rng = np.random.default_rng(seed + 1)
    makes = list(MAKERS)
    by_run = np.argsort(cols["run"], kind="stable")
    run_starts = np.searchsorted(cols["run"][by_run], np.arange(int(cols["run"].max()) + 2))
    # traced guns come from the states Mexico's traces name, not from where most guns are sold
    share = np.array([TRACED_STATES.get(s, 1.0) / SALES_STATES[s] for s in SALES_STATES])
    weight = share[cols["state_code"]]
    draws = iter(rng.choice(len(weight), size=4 * n, p=weight / weight.sum()).tolist())
    picked: list[int] = []
    groups: list[list[int]] = []
    seen: set[int] = set()
    while len(picked) < n:
        r = int(next(draws))
        if r in seen:
            continue
        group = [r]
        if rng.random() < 1 / 3:       # bought together, recovered together
            run = int(cols["run"][r])
            group += by_run[run_starts[run]:run_starts[run + 1]][:4].tolist()
        kept = []
        for g in group:
            if g not in seen and len(picked) < n:
                seen.add(g)
                picked.append(g)
                kept.append(g)
        groups.append(kept)
    recovery = _evidence(rng, cols, groups)
    out = []
    for k, r in enumerate(picked):
        canonical = makes[int(cols["make"][r])]
        serial = bytes(cols["serial"][r]).rstrip(b"\0").decode()
        damage = int(rng.choice(3, p=(0.25, 0.4, 0.35)))
        read, kinds = _damage(rng, serial, damage)
        spellings = MAKERS[canonical][1]
        make = spellings[int(rng.integers(0, len(spellings)))]
        make = make.upper() if rng.random() < 0.5 else make
        model = "" if rng.random() < 0.25 else str(cols["model"][r])
        calibre_canon = serials.normalise_calibre(str(cols["calibre"][r]))
        aliases = CALIBRE_WRITTEN.get(calibre_canon, (str(cols["calibre"][r]),))
        calibre = "" if rng.random() < 0.1 else aliases[int(rng.integers(0, len(aliases)))]
        kind = str(cols["type"][r])
        typed = TYPE_WRITTEN.get(kind, (kind,))
        out.append({"trace_id": f"T{k:06d}", "manufacturer": make, "model": model, "caliber": calibre,
                    "weapon_type": typed[int(rng.integers(0, len(typed)))], "serial": read, "truth": r,
                    "damage": damage, "kinds": kinds, **recovery[k]})
    return out


def _damage(rng: np.random.Generator, serial: str, bad: int) -> tuple[str, list[str]]:
    chars = list(serial)
    kinds = []
    places = sorted(rng.choice(len(chars), size=bad, replace=False).tolist(), reverse=True)
    for p in places:
        kind = str(rng.choice(["unreadable", "lookalike", "misread", "missing"], p=(0.45, 0.30, 0.10, 0.15)))
        if kind == "lookalike" and chars[p] not in LOOKS:
            kind = "unreadable"
        if kind == "unreadable":
            chars[p] = "?"
        elif kind == "lookalike":
            options = LOOKS[chars[p]]
            chars[p] = options[int(rng.integers(0, len(options)))]
        elif kind == "misread":
            pool = [c for c in "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ" if c != chars[p]]
            chars[p] = pool[int(rng.integers(0, len(pool)))]
        else:
            del chars[p]
        kinds.append(kind)
    return "".join(chars), kinds


# ---------------------------------------------------------------- rankers

def plain_rank(cols: dict[str, np.ndarray], blocks: dict[tuple[int, int], np.ndarray], trace: dict[str, object],
               top: int) -> list[int]:
    """Wildcards and look-alikes, then model and type agreement (see the module's docstring)."""
    make = serials.normalise_make(str(trace["manufacturer"]))
    if make not in MAKERS:
        return []
    read = serials.normalise_serial(str(trace["serial"]))
    rows = blocks.get((list(MAKERS).index(make), len(read)))
    if rows is None or not len(rows):
        return []
    stamped = cols["codes"][rows, : len(read)]
    r = cand._BYTE[np.frombuffer(read.encode(), np.uint8)]
    fold = cols["folded"][rows, : len(read)]
    rf = cand._FOLD[r]
    wild = r == cand.WILD_CODE
    same = stamped == r
    look = ~same & (fold == rf) & ~wild
    miss = ~same & ~look & ~wild
    misses = miss.sum(axis=1)
    near = misses <= 2
    rows, misses, looks = rows[near], misses[near], look[near].sum(axis=1)
    model = str(trace["model"]).upper().replace(" ", "").replace("-", "")
    models = np.array([str(m).upper().replace(" ", "").replace("-", "") for m in cols["model"][rows]])
    kind = serials.normalise_type(str(trace["weapon_type"]))
    kinds = np.array([serials.normalise_type(str(t)) for t in cols["type"][rows]])
    order = np.lexsort((rows, ~(kinds == kind), ~((models == model) & (model != "")), looks, misses))
    return rows[order][:top].tolist()


def exact_rank(cols: dict[str, np.ndarray], exact: dict[tuple[int, bytes], int], trace: dict[str, object]) -> list[int]:
    """A plain lookup of make and serial as read."""
    make = serials.normalise_make(str(trace["manufacturer"]))
    if make not in MAKERS:
        return []
    found = exact.get((list(MAKERS).index(make), serials.normalise_serial(str(trace["serial"])).encode()))
    return [] if found is None else [found]


def scores(found: list[list[int]], wanted: list[dict[str, object]]) -> dict[str, dict[str, float]]:
    """Share of traces whose true record is first, in the top 3 and in the top 10, by damage."""
    out: dict[str, dict[str, float]] = {}
    groups = {"clean": [0], "one_bad": [1], "two_bad": [2], "damaged": [1, 2]}
    for name, damage in groups.items():
        which = [i for i, t in enumerate(wanted) if t["damage"] in damage]
        if not which:
            continue
        ranks = [found[i].index(int(wanted[i]["truth"])) + 1 if int(wanted[i]["truth"]) in found[i] else 0  # type: ignore[call-overload]
                 for i in which]
        out[name] = {f"top{k}": round(sum(1 for r in ranks if 0 < r <= k) / len(ranks), 4) for k in (1, 3, 10)}
        out[name]["n"] = len(ranks)
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", default="small", choices=sorted(SIZES))
    parser.add_argument("--plain-sample", type=int, default=2_000,
                        help="traces the plain ranker is run on (the first of the run's traces)")
    parser.add_argument("--no-offline", action="store_true", help="skip the write_candidates timing")
    parser.add_argument("--seed", type=int, default=14)
    args = parser.parse_args(argv)
    n_records, n_traces = SIZES[args.size]
    result: dict[str, object] = {"size": args.size, "records": n_records, "traces": n_traces}
    started = time.perf_counter()
    cols = records(n_records, args.seed)
    wanted = traces(cols, n_traces, args.seed)
    result["generate_s"] = round(time.perf_counter() - started, 1)
    result["records"] = len(cols["run"])
    print(f"generated {len(cols['run']):,} records and {len(wanted):,} traces in {result['generate_s']} s",
          flush=True)

    started, cpu = time.perf_counter(), time.process_time()
    codes, inverse = np.unique(cols["purchaser_code"], return_inverse=True)
    names = np.array([name(c) for c in codes.tolist()], object)[inverse.reshape(-1)]
    index = cand.SerialIndex.from_columns(np.arange(len(cols["run"])), cols["manufacturer"], cols["model"],
                                          cols["calibre"], cols["type"], cols["serial_text"],
                                          sale_day=cols["sale_day"], dealer_state=cols["dealer_state"],
                                          purchaser=names)
    result["ours_build_s"] = round(time.perf_counter() - started, 1)
    result["ours_build_cpu_s"] = round(time.process_time() - cpu, 1)
    markings = [cand.Marking(str(t["trace_id"]), str(t["manufacturer"]), str(t["model"]), str(t["caliber"]),
                             str(t["weapon_type"]), str(t["serial"]), str(t["recovered_on"]),
                             str(t["recovery_state"]), str(t["possessor"])) for t in wanted]
    started, cpu = time.perf_counter(), time.process_time()
    ranked = index.rank(markings, top=TOP)
    result["ours_rank_s"] = round(time.perf_counter() - started, 1)
    result["ours_rank_cpu_s"] = round(time.process_time() - cpu, 1)
    ours = [[int(c.record_id) for c in found] for found in ranked]
    # the same records and traces without the evidence beyond the markings (sale dates, dealers'
    # states, purchasers; recovery dates, states, possessors): what the markings alone give. A second
    # index: skipped at 10 million records, where two would not fit in memory
    markings_only: list[list[int]] | None = None
    if len(cols["run"]) <= 2_000_000:
        bare_index = cand.SerialIndex.from_columns(np.arange(len(cols["run"])), cols["manufacturer"], cols["model"],
                                                   cols["calibre"], cols["type"], cols["serial_text"])
        bare = [cand.Marking(m.id, m.manufacturer, m.model, m.caliber, m.weapon_type, m.serial) for m in markings]
        markings_only = [[int(c.record_id) for c in found] for found in bare_index.rank(bare, top=TOP)]
        del bare_index
    print(f"ours: index {result['ours_build_s']} s (CPU {result['ours_build_cpu_s']} s), {len(wanted):,} traces "
          f"ranked in {result['ours_rank_s']} s (CPU {result['ours_rank_cpu_s']} s)", flush=True)

    started = time.perf_counter()
    exact: dict[tuple[int, bytes], int] = {}
    serial_bytes = np.ascontiguousarray(cols["serial"]).view("S12").ravel()
    asked = np.array([serials.normalise_serial(str(t["serial"])).encode() for t in wanted], "S12")
    for i in np.flatnonzero(np.isin(serial_bytes, asked)).tolist():
        exact.setdefault((int(cols["make"][i]), bytes(serial_bytes[i])), i)
    result["exact_build_s"] = round(time.perf_counter() - started, 1)
    exact_found = [exact_rank(cols, exact, t) for t in wanted]

    sample = wanted[: args.plain_sample]
    started = time.perf_counter()
    blocks: dict[tuple[int, int], np.ndarray] = {}
    lengths = (cols["serial"] != 0).sum(axis=1)
    key = cols["make"].astype(np.int64) * 64 + lengths
    order = np.argsort(key, kind="stable")
    bounds = np.flatnonzero(np.diff(key[order])) + 1
    for part in np.split(order, bounds):
        if len(part):
            blocks[(int(key[part[0]]) // 64, int(key[part[0]]) % 64)] = part
    cols["codes"] = cand._BYTE[cols["serial"]]
    cols["folded"] = cand._FOLD[cols["codes"]]
    plain_found = [plain_rank(cols, blocks, t, TOP) for t in sample]
    result["plain_rank_s"] = round(time.perf_counter() - started, 1)
    result["plain_traces"] = len(sample)

    result["accuracy"] = {
        "exact": scores(exact_found, wanted),
        "plain": scores(plain_found, sample),
        "ours": scores(ours, wanted),
        **({"ours_markings_only": scores(markings_only, wanted)} if markings_only is not None else {}),
        "ours_on_plain_sample": scores(ours[: len(sample)], sample),
    }
    bad = {}
    for kind in ("unreadable", "lookalike", "misread", "missing"):
        which = [i for i, t in enumerate(wanted) if kind in t["kinds"]]  # type: ignore[operator]
        bad[kind] = scores([ours[i] for i in which], [wanted[i] for i in which]).get("damaged", {})
    result["ours_by_kind"] = bad
    # a true record second only by the order of records among equal scores: nothing in the markings
    # tells it from the first (mostly the last digit of a run of consecutive serials unreadable)
    tied = {}
    for label, damage in (("one_bad", 1), ("two_bad", 2)):
        which = [i for i, t in enumerate(wanted) if t["damage"] == damage]
        lost = [i for i in which if ours[i][:1] != [wanted[i]["truth"]] and any(
            int(c.record_id) == wanted[i]["truth"] and c.score == ranked[i][0].score for c in ranked[i])]
        tied[label] = round(len(lost) / len(which), 4) if which else 0.0
    result["ours_true_record_tied_first_but_not_first"] = tied
    print(f"{'ranker':<20} {'clean@1':>8} {'1bad@1':>8} {'2bad@3':>8} {'damaged@10':>11}")
    for ranker in result["accuracy"]:  # type: ignore[attr-defined]
        acc = result["accuracy"][ranker]  # type: ignore[index]
        print(f"{ranker:<20} {acc['clean']['top1']:>8} {acc['one_bad']['top1']:>8} {acc['two_bad']['top3']:>8} "
              f"{acc['damaged']['top10']:>11}")

    if not args.no_offline:
        result["offline"] = offline(args.seed)
        print(f"write_candidates: {OFFLINE[1]:,} traces against {OFFLINE[0]:,} records in "
              f"{result['offline']['seconds']} s (CPU {result['offline']['cpu_seconds']} s)",  # type: ignore[index]
              flush=True)
    out = Path(__file__).parent / "results" / f"firearms_{args.size}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {out}")


def offline(seed: int) -> dict[str, float]:
    """Time `write_candidates` end to end: CSV files in, CSV file out."""
    n_records, n_traces = OFFLINE
    cols = records(n_records, seed + 7)
    wanted = traces(cols, n_traces, seed + 7)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        with (folder / "records.csv").open("w", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(("record_id", "manufacturer", "model", "caliber", "weapon_type", "serial", "dealer",
                             "dealer_state", "sale_date", "purchaser"))
            days = cols["sale_day"].astype("datetime64[D]").astype(str)
            for i in range(len(cols["run"])):
                writer.writerow((f"R{i}", cols["manufacturer"][i], cols["model"][i], cols["calibre"][i],
                                 cols["type"][i], cols["serial_text"][i].decode(), f"FFL-{int(cols['run'][i]) % 997}",
                                 cols["dealer_state"][i], days[i], name(int(cols["purchaser_code"][i]))))
        with (folder / "traces.csv").open("w", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(("trace_id", "manufacturer", "model", "caliber", "weapon_type", "serial", "recovered_on",
                             "recovery_state", "possessor"))
            for t in wanted:
                writer.writerow((t["trace_id"], t["manufacturer"], t["model"], t["caliber"], t["weapon_type"],
                                 t["serial"], t["recovered_on"], t["recovery_state"], t["possessor"]))
        started, cpu = time.perf_counter(), time.process_time()
        rows = write_candidates(folder / "records.csv", folder / "traces.csv", top=TOP, out=folder / "out.csv")
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
        first = {}
        with (folder / "out.csv").open() as handle:
            for row in csv.DictReader(handle):
                if row["rank"] == "1":
                    first[row["trace_id"]] = row["record_id"]
    right = sum(1 for t in wanted if first.get(str(t["trace_id"])) == f"R{t['truth']}")
    return {"seconds": round(seconds, 1), "cpu_seconds": round(cpu, 1), "rows": rows,
            "first_right": round(right / len(wanted), 4)}


if __name__ == "__main__":
    main()

"""A second, independent generator of linked Mexican and US person records, with ground truth.

It shares nothing with the world generator (`binational.scenario.generate`): its own name lists
(`crossborder_names.json`), its own population (Zipf surnames, siblings, twins, fathers and sons who
share a name) and its own error model. A Mexican agency's record is mostly clean, with the CURP on
most; a US agency's record carries what US forms do to Mexican names: one surname or both, hyphens,
concatenations, the order of the surnames swapped, particles dropped or fused, nicknames and English
forms of the given name, the second given name dropped or moved to the middle name, no accents,
typing errors, transpositions, OCR-like confusions, day and month swapped in the birth date, a field
or two missing, and the CURP only now and then. Everything is drawn from one seeded rng, so a seed
and a number of people give byte-identical files.

Output: `mx.jsonl` and `us.jsonl` (FollowTheMoney Person entities), `truth.csv` (record id, side,
true person id). The pairs to find are the (mx, us) records of the same true person.
"""

from __future__ import annotations

import csv
import json
import random
import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from pathlib import Path
from typing import Any

NAMES_FILE = Path(__file__).with_name("crossborder_names.json")
_CURP_ALPHABET = "0123456789ABCDEFGHIJKLMNÑOPQRSTUVWXYZ"
_KEYBOARD_NEIGHBOURS = {
    "A": "SQZ", "B": "VNG", "C": "XVD", "D": "SFE", "E": "WRD", "F": "DGR", "G": "FHT", "H": "GJY",
    "I": "UOK", "J": "HKU", "K": "JLI", "L": "KO", "M": "NJ", "N": "BMH", "O": "IPL", "P": "OL",
    "Q": "WA", "R": "ETF", "S": "ADW", "T": "RYG", "U": "YIJ", "V": "CBF", "W": "QES", "X": "ZCS",
    "Y": "TUH", "Z": "XAS",
}
#: letters a scanner confuses (both directions are listed where they occur)
_OCR = (("RN", "M"), ("M", "RN"), ("CL", "D"), ("D", "CL"), ("LI", "H"), ("I", "L"), ("L", "I"),
        ("E", "F"), ("C", "G"), ("G", "C"), ("U", "V"), ("O", "Q"), ("N", "H"), ("VV", "W"))
#: spellings a clerk writes for a sound heard: Spanish letters that sound alike
_SOUNDS = (("Z", "S"), ("S", "Z"), ("V", "B"), ("B", "V"), ("LL", "Y"), ("Y", "LL"), ("X", "J"),
           ("GE", "JE"), ("GI", "JI"), ("CE", "SE"), ("CI", "SI"), ("QU", "K"), ("Y", "I"), ("I", "Y"))
_PARTICLE_WORDS = {"DE", "DEL", "LA", "LAS", "LOS"}


@cache
def names() -> dict[str, Any]:
    """The generator's name lists (shipped with it, written for it)."""
    data: dict[str, Any] = json.loads(NAMES_FILE.read_text(encoding="utf-8"))
    return data


@dataclass(frozen=True)
class TruePerson:
    """One real person behind the records."""

    person_id: str
    anglo: bool
    female: bool
    givens: tuple[str, ...]
    paterno: str
    materno: str
    born: date
    state: str
    curp: str | None
    passport: str | None
    phone_mx: str | None
    phone_us: str | None


def ascii_upper(text: str) -> str:
    """Upper case without accents (Ñ to N), as most US systems keep a name."""
    decomposed = unicodedata.normalize("NFKD", text.upper())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def curp_of(paterno: str, materno: str, givens: tuple[str, ...], born: date, female: bool, state: str,
            differentiator: int) -> str:
    """A well-formed CURP with its check digit (RENAPO's rules for initials and inner consonants)."""

    def core(name: str) -> str:
        words = [w for w in ascii_upper(name).replace("-", " ").split() if w not in _PARTICLE_WORDS]
        return (words[0] if words else "X").replace("Ñ", "X")

    def inner(word: str, vowels: bool) -> str:
        wanted = "AEIOU" if vowels else "BCDFGHJKLMNPQRSTVWXYZ"
        return next((c for c in word[1:] if c in wanted), "X")

    pat, mat = core(paterno), core(materno) if materno else "X"
    given = core(givens[1] if len(givens) > 1 and ascii_upper(givens[0]) in ("JOSE", "MARIA") else givens[0])
    first17 = (pat[0] + inner(pat, True) + mat[0] + given[0] + born.strftime("%y%m%d") + ("M" if female else "H")
               + state + inner(pat, False) + (inner(mat, False) if materno else "X") + inner(given, False)
               + (str(differentiator % 10) if born.year < 2000 else "ABCDEFGHIJ"[differentiator % 10]))
    total = sum(_CURP_ALPHABET.index(c) * (18 - i) for i, c in enumerate(first17))
    return first17 + str((10 - total % 10) % 10)


def _zipf(rng: random.Random, items: list[str], exponent: float = 0.9) -> str:
    weights = [1 / (rank + 1) ** exponent for rank in range(len(items))]
    return rng.choices(items, weights)[0]


def _phone(rng: random.Random, codes: list[str], country: str) -> str:
    code = rng.choice(codes)
    subscriber = [rng.randrange(10) for _ in range(10 - len(code))]
    if subscriber[0] < 2:  # no exchange starts with 0 or 1
        subscriber[0] += 2
    digits = code + "".join(map(str, subscriber))
    return f"+{'52' if country == 'mx' else '1'}{digits}"


def _givens(rng: random.Random, female: bool, lists: dict[str, Any]) -> tuple[str, ...]:
    pool = lists["given_female" if female else "given_male"]
    if rng.random() < 0.35:
        first = rng.choice(lists["compound_first_female" if female else "compound_first_male"])
        return (first, rng.choice([g for g in pool if g != first]))
    return (_zipf(rng, pool, 0.7),)


def population(rng: random.Random, people: int) -> list[TruePerson]:
    """`people` true persons: Mexicans (with siblings, twins, and sons named after their fathers) and a
    tenth of Anglo US citizens; identifiers unique, names drawn with Zipf-like frequencies."""
    lists = names()
    surnames = lists["surnames"]
    out: list[TruePerson] = []
    states = list(lists["states"].items())
    while len(out) < people:
        pid = f"P{len(out):06d}"
        female = rng.random() < 0.45
        anglo = rng.random() < 0.1
        relative = out[rng.randrange(len(out))] if out and rng.random() < 0.22 else None
        if anglo:
            givens: tuple[str, ...] = (rng.choice(lists["anglo_given_female" if female else "anglo_given_male"]),)
            paterno, materno = rng.choice(lists["anglo_surnames"]), ""
            born = date(1950, 1, 1) + timedelta(days=rng.randrange(20_000))
            state = ""
        elif relative is not None and not relative.anglo:
            kind = rng.random()
            paterno, materno, state = relative.paterno, relative.materno, relative.state
            givens = _givens(rng, female, lists)
            if kind < 0.05:  # a twin: same surnames and birth date, another given name
                born = relative.born
                while givens[0] == relative.givens[0]:
                    givens = _givens(rng, female, lists)
            elif kind < 0.25 and not relative.female and relative.born.year < 1985:  # a son named after his
                female, givens = False, relative.givens  # father, of another mother
                materno = _zipf(rng, surnames)
                born = relative.born + timedelta(days=rng.randrange(18 * 365, 23 * 365))
            else:  # a sibling
                born = relative.born + timedelta(days=rng.choice((-1, 1)) * rng.randrange(300, 15 * 365))
        else:
            givens = _givens(rng, female, lists)
            paterno = (rng.choice(lists["particle_surnames"]) if rng.random() < 0.05 else _zipf(rng, surnames))
            materno = (rng.choice(lists["particle_surnames"]) if rng.random() < 0.04 else _zipf(rng, surnames))
            born = date(1950, 1, 1) + timedelta(days=rng.randrange(20_000))
            state = rng.choice(states)[1]
        if born > date(2008, 12, 31):  # too young for the records: an older sibling instead
            born -= timedelta(days=rng.randrange(20 * 365, 30 * 365))
        curp = None if anglo else curp_of(paterno, materno, givens, born, female, state, rng.randrange(10))
        passport = (f"{rng.choice('GN')}{rng.randrange(10**8):08d}" if not anglo and rng.random() < 0.45
                    else f"{rng.randrange(10**8, 10**9)}" if anglo and rng.random() < 0.7 else None)
        phone_mx = _phone(rng, lists["mx_area_codes"], "mx") if not anglo or rng.random() < 0.2 else None
        phone_us = _phone(rng, lists["us_area_codes"], "us") if anglo or rng.random() < 0.5 else None
        out.append(TruePerson(pid, anglo, female, givens, paterno, materno, born, state, curp, passport,
                              phone_mx, phone_us))
    return out


# --- errors ------------------------------------------------------------------------------------


def typo(rng: random.Random, word: str) -> str:
    """One keystroke wrong: a neighbouring key, a letter dropped or doubled."""
    letters = [i for i, c in enumerate(word) if c.isalpha()]
    if len(letters) < 3:
        return word
    i = rng.choice(letters[1:])
    kind = rng.random()
    if kind < 0.45:
        near = _KEYBOARD_NEIGHBOURS.get(ascii_upper(word[i]), "")
        if near:
            sub = rng.choice(near)
            return word[:i] + (sub if word[i].isupper() else sub.lower()) + word[i + 1:]
    if kind < 0.75:
        return word[:i] + word[i + 1:]
    return word[:i] + word[i] + word[i:]


def transpose(rng: random.Random, word: str) -> str:
    """Two adjacent letters swapped."""
    if len(word) < 4:
        return word
    i = rng.randrange(1, len(word) - 1)
    return word[:i] + word[i + 1] + word[i] + word[i + 2:]


def _replace_one(rng: random.Random, word: str, table: tuple[tuple[str, str], ...]) -> str:
    upper = word.upper()
    options = [(a, b) for a, b in table if a in upper[1:]]
    if not options:
        return word
    a, b = rng.choice(options)
    at = upper.index(a, 1)
    out = upper[:at] + b + upper[at + len(a):]
    return out if word.isupper() else out.capitalize()


def ocr(rng: random.Random, word: str) -> str:
    """A scanner's misreading of one letter group (rn/m, cl/d, E/F ...)."""
    return _replace_one(rng, word, _OCR)


def sounds_like(rng: random.Random, word: str) -> str:
    """A spelling a clerk might write for what they heard (Z/S, V/B, LL/Y, X/J, CE/SE ...)."""
    return _replace_one(rng, word, _SOUNDS)


def garble(rng: random.Random, word: str, rate: float) -> str:
    """With probability `rate`, one error of one kind (typo, transposition, OCR, sound) in `word`."""
    if rng.random() >= rate:
        return word
    kind = rng.choices((typo, transpose, ocr, sounds_like), (0.45, 0.2, 0.15, 0.2))[0]
    return kind(rng, word)


def date_error(rng: random.Random, born: date) -> date:
    """A birth date as a clerk might get it wrong: day and month swapped (a day of 12 or less, most
    often), the tens digit of the day mistyped, or the year off by one or by ten. A slip that would
    make no date (the 30th of February) leaves the date as it was."""
    kind = rng.random()
    try:
        if kind < 0.6 and born.day <= 12 and born.day != born.month:
            return born.replace(month=born.day, day=born.month)
        if kind < 0.8:
            tens = rng.choice([d for d in (0, 1, 2) if d != born.day // 10])
            return born.replace(day=born.day % 10 + 10 * tens)
        return born.replace(year=born.year + rng.choice((-1, 1, -10, 10)))
    except ValueError:
        return born


# --- records -----------------------------------------------------------------------------------


def _surnames_mx(person: TruePerson) -> str:
    return f"{person.paterno} {person.materno}".strip()


def _surnames_us(rng: random.Random, person: TruePerson) -> str:
    pat, mat = person.paterno, person.materno

    def particle(s: str) -> str:
        if " " not in s or s.split()[0].upper() not in ("DE", "DEL"):
            return s
        roll = rng.random()
        return s.replace(" ", "") if roll < 0.35 else s.split()[-1] if roll < 0.65 else s

    pat, mat = particle(pat), particle(mat) if mat else ""
    if not mat:
        return pat
    form = rng.choices(("paterno", "both", "hyphen", "joined", "materno", "swapped"),
                       (0.34, 0.36, 0.12, 0.05, 0.04, 0.09))[0]
    return {"paterno": pat, "both": f"{pat} {mat}", "hyphen": f"{pat}-{mat}", "joined": f"{pat}{mat}",
            "materno": mat, "swapped": f"{mat} {pat}"}[form]


def _givens_us(rng: random.Random, person: TruePerson) -> tuple[str, str]:
    lists = names()
    first, *rest = person.givens
    roll = rng.random()
    if not person.anglo and roll < 0.08 and first in lists["hypocorisms"]:
        first = rng.choice(lists["hypocorisms"][first])
    elif not person.anglo and roll < 0.12 and first in lists["english_forms"]:
        first = lists["english_forms"][first]
    if not rest:
        return first, ""
    form = rng.random()
    if form < 0.4:
        return first, ""
    if form < 0.7:
        return first, rest[0]
    return f"{first} {rest[0]}", ""


def _with_missing(rng: random.Random, props: dict[str, list[str]], optional: tuple[str, ...], weights: tuple[float, ...]
                  ) -> dict[str, list[str]]:
    drop = rng.choices((0, 1, 2), weights)[0]
    for key in rng.sample([k for k in optional if k in props], min(drop, len([k for k in optional if k in props]))):
        del props[key]
    return props


def mx_record(rng: random.Random, person: TruePerson) -> dict[str, list[str]]:
    """A Mexican agency's record: full names with accents, CURP on most, a few slips."""
    upper = rng.random() < 0.4
    case = (lambda s: s.upper()) if upper else (lambda s: s)
    given = " ".join(garble(rng, g, 0.02) for g in person.givens)
    surnames = " ".join(garble(rng, s, 0.02) for s in _surnames_mx(person).split())
    props: dict[str, list[str]] = {}
    if rng.random() < 0.05:
        props["name"] = [case(f"{given} {surnames}")]
    else:
        props["firstName"], props["lastName"] = [case(given)], [case(surnames)]
    born = date_error(rng, person.born) if rng.random() < 0.02 else person.born
    props["birthDate"] = [born.isoformat()]
    state = next((k for k, v in names()["states"].items() if v == person.state), "")
    if state and rng.random() < 0.8:
        props["birthPlace"] = [state]
    props["gender"] = ["female" if person.female else "male"]
    if person.curp and rng.random() < 0.88:
        props["idNumber"] = [garble(rng, person.curp, 0.03)]
    if person.passport and rng.random() < 0.5:
        props["passportNumber"] = [person.passport]
    if person.phone_mx and rng.random() < 0.6:
        props["phone"] = [person.phone_mx]
    props["nationality"] = ["us" if person.anglo else "mx"]
    if rng.random() < 0.02:
        del props["birthDate"]
    return _with_missing(rng, props, ("gender", "birthPlace", "phone", "passportNumber"), (0.8, 0.17, 0.03))


def us_record(rng: random.Random, person: TruePerson) -> dict[str, list[str]]:
    """A US agency's record: no accents, surnames as US forms keep them, nicknames, date slips."""
    first, middle = _givens_us(rng, person)
    last = _surnames_us(rng, person)
    first = " ".join(garble(rng, w, 0.05) for w in first.split())
    last = " ".join(garble(rng, w, 0.07) for w in last.split())
    case = ascii_upper if rng.random() < 0.85 else (lambda s: ascii_upper(s).title())
    props: dict[str, list[str]] = {}
    roll = rng.random()
    if roll < 0.05:  # one name field, surnames first
        props["name"] = [case(f"{last}, {first} {middle}".strip())]
    elif roll < 0.07:  # the given name typed into the surname field and back
        props["firstName"], props["lastName"] = [case(last)], [case(first)]
    else:
        props["firstName"], props["lastName"] = [case(first)], [case(last)]
        if middle:
            props["middleName"] = [case(middle)]
    born = date_error(rng, person.born) if rng.random() < 0.13 else person.born
    props["birthDate"] = [born.isoformat()]
    props["gender"] = ["female" if person.female else "male"]
    if person.curp and rng.random() < 0.07:
        props["idNumber"] = [person.curp]
    if person.passport and rng.random() < 0.4:
        props["passportNumber"] = [garble(rng, person.passport, 0.03)]
    phone = person.phone_us if person.phone_us and (rng.random() < 0.7 or not person.phone_mx) else person.phone_mx
    if phone and rng.random() < 0.45:
        # as typed: with spaces after the country and area codes, or run together
        props["phone"] = [f"{phone[:-10]} {phone[-10:-7]} {phone[-7:-4]} {phone[-4:]}" if rng.random() < 0.5 else phone]
    if not person.anglo and rng.random() < 0.2:
        state = next((k for k, v in names()["states"].items() if v == person.state), "")
        props["birthPlace"] = [ascii_upper(state)] if state else []
    props["nationality"] = ["us" if person.anglo else "mx"]
    if rng.random() < 0.04:
        del props["birthDate"]
    return _with_missing(rng, props, ("gender", "phone", "passportNumber", "middleName", "birthPlace"),
                         (0.6, 0.3, 0.1))


@dataclass(frozen=True)
class CrossBorderSet:
    """Where a generated set was written, and its size."""

    mx: Path
    us: Path
    truth: Path
    mx_records: int
    us_records: int
    true_pairs: int


def generate(seed: int, people: int, out: Path) -> CrossBorderSet:
    """Write `mx.jsonl`, `us.jsonl` and `truth.csv` for `people` true persons into `out`."""
    rng = random.Random(f"crossborder:{seed}")  # noqa: S311 - synthetic data, not crypto
    persons = population(rng, people)
    sides: dict[str, list[tuple[str, dict[str, list[str]]]]] = {"mx": [], "us": []}
    for person in persons:
        in_mx = rng.random() < (0.45 if person.anglo else 0.8)
        in_us = rng.random() < (0.9 if person.anglo else 0.6)
        if in_mx:
            sides["mx"].append((person.person_id, mx_record(rng, person)))
        if in_us:
            sides["us"].append((person.person_id, us_record(rng, person)))
    out.mkdir(parents=True, exist_ok=True)
    truth_rows: list[tuple[str, str, str]] = []
    for side, records in sides.items():
        rng.shuffle(records)
        with (out / f"{side}.jsonl").open("w", encoding="utf-8") as fh:
            for n, (pid, props) in enumerate(records):
                record_id = f"{side}-{n:06d}"
                fh.write(json.dumps({"id": record_id, "schema": "Person", "properties": props},
                                    ensure_ascii=False, sort_keys=True) + "\n")
                truth_rows.append((record_id, side, pid))
    with (out / "truth.csv").open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["record_id", "side", "person_id"])
        writer.writerows(truth_rows)
    mx_people = {pid for pid, _ in sides["mx"]}
    pairs = sum(1 for pid, _ in sides["us"] if pid in mx_people)
    return CrossBorderSet(out / "mx.jsonl", out / "us.jsonl", out / "truth.csv", len(sides["mx"]), len(sides["us"]),
                          pairs)

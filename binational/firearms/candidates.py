"""Rank acquisition records against a trace's markings: exact matches, and candidates for serials
that were read with unreadable (`?`), misread or missing characters.

Candidates are found through keys of the folded serial (look-alikes made one character, see
`serials.fold`) within the normalised maker: the serial itself and every serial with one character
deleted, on both sides, so one substitution, one missing or one extra character meet on a key;
unreadable characters are expanded over the characters the maker's format allows at that place.
Candidates are then scored by a weighted alignment of the serial as read against the record's
(a look-alike costs little, less when the maker's format says the character read cannot be there;
an unreadable character a little; anything else much) and by agreement of model, calibre and type.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from binational.firearms import serials

WILD = serials.WILDCARD


@dataclass(frozen=True, slots=True)
class Marking:
    """A firearm's markings: a dealer's record, or a recovered gun as read (`?` = unreadable)."""

    id: str
    manufacturer: str
    model: str
    caliber: str
    weapon_type: str
    serial: str


@dataclass(frozen=True, slots=True)
class Candidate:
    """A record that may be the traced firearm: score in [0, 1], reasons short English codes."""

    record_id: str
    score: float
    reasons: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Normal:
    """A marking's normal forms."""

    make: str
    model: str
    caliber: str
    weapon_type: str
    serial: str


def normal(m: Marking) -> Normal:
    make = serials.normalise_make(m.manufacturer)
    return Normal(make, serials.normalise_model(m.model, make), serials.normalise_calibre(m.caliber),
                  serials.normalise_type(m.weapon_type), serials.normalise_serial(m.serial))


# ---------------------------------------------------------------- serial alignment

#: costs of the alignment of a serial as read against a record's serial
COST_WILD = 0.15          # an unreadable character
COST_LOOKALIKE = 0.35     # a look-alike read for the stamped character
COST_LOOKALIKE_FORMAT = 0.08  # ... where the maker's format rules out the character read
COST_SUBSTITUTE = 1.0     # any other character read
COST_SUBSTITUTE_FORMAT = 0.8  # ... where the format rules out the character read
COST_MISSING = 0.9        # a stamped character not read at all
COST_EXTRA = 1.2          # a character read that is not stamped


def _allowed(pos: serials.Position | None, c: str) -> bool:
    if pos is None:
        return True
    if pos.literal:
        return c == pos.literal
    return (pos.digit and c.isdigit()) or (pos.letter and c.isalpha())


def serial_cost(read: str, stamped: str, make: str) -> tuple[float, tuple[str, ...]]:
    """The cheapest alignment of `read` (may hold `?`) against `stamped`, and what it used."""
    positions = serials.format_positions(make, len(stamped))
    n, m = len(read), len(stamped)
    inf = math.inf
    # cost[i][j]: read[:i] against stamped[:j]; how[i][j]: the step that reached it
    cost = [[inf] * (m + 1) for _ in range(n + 1)]
    how: list[list[str]] = [[""] * (m + 1) for _ in range(n + 1)]
    cost[0][0] = 0.0
    for i in range(n + 1):
        for j in range(m + 1):
            here = cost[i][j]
            if here == inf:
                continue
            if i < n and j < m:
                r, s = read[i], stamped[j]
                pos = positions[j] if positions else None
                if r == s:
                    step, why = 0.0, ""
                elif r == WILD:
                    step, why = COST_WILD, "unreadable"
                elif serials.lookalike(r, s):
                    step = COST_LOOKALIKE_FORMAT if not _allowed(pos, r) else COST_LOOKALIKE
                    why = "lookalike"
                else:
                    step = COST_SUBSTITUTE_FORMAT if not _allowed(pos, r) else COST_SUBSTITUTE
                    why = "misread"
                if here + step < cost[i + 1][j + 1]:
                    cost[i + 1][j + 1], how[i + 1][j + 1] = here + step, why or "="
            if j < m and here + COST_MISSING < cost[i][j + 1]:
                cost[i][j + 1], how[i][j + 1] = here + COST_MISSING, "missing"
            if i < n and here + COST_EXTRA < cost[i + 1][j]:
                cost[i + 1][j], how[i + 1][j] = here + COST_EXTRA, "extra"
    steps = []
    i, j = n, m
    while i or j:
        move = how[i][j]
        if move != "=":
            steps.append(move)
        if move in ("=", "unreadable", "lookalike", "misread"):
            i, j = i - 1, j - 1
        elif move == "missing":
            j -= 1
        else:
            i -= 1
    return cost[n][m], tuple(sorted(set(steps)))


# ---------------------------------------------------------------- attributes

#: factors for the agreement of model, calibre and type: (agree, unknown, disagree)
MODEL_FACTORS = (1.0, 0.8, 0.45)
CALIBRE_FACTORS = (1.0, 0.85, 0.5)
TYPE_FACTORS = (1.0, 0.9, 0.5)


def attribute_factor(trace: Normal, record: Normal) -> tuple[float, tuple[str, ...]]:
    """How much model, calibre and type agree, and the reasons."""
    factor, reasons = 1.0, []
    pairs = (
        ("model", serials.models_agree(trace.model, record.model), trace.model and record.model, MODEL_FACTORS),
        ("caliber", trace.caliber == record.caliber, trace.caliber and record.caliber, CALIBRE_FACTORS),
        ("type", trace.weapon_type == record.weapon_type, trace.weapon_type and record.weapon_type, TYPE_FACTORS),
    )
    for name, agree, known, (yes, unknown, no) in pairs:
        if not known:
            factor *= unknown
        elif agree:
            factor *= yes
            reasons.append(f"{name}_agrees")
        else:
            factor *= no
            reasons.append(f"{name}_differs")
    return factor, tuple(reasons)


def score(trace: Normal, record: Normal) -> Candidate | None:
    """The candidate a record makes for a trace, with its reasons (None if the serials are too far)."""
    cost, steps = serial_cost(trace.serial, record.serial, record.make)
    if cost > 2.5:
        return None
    factor, reasons = attribute_factor(trace, record)
    fit = serials.fits_format(record.make, trace.serial) if WILD not in trace.serial else None
    head = ("serial_exact",) if cost == 0 else tuple(f"serial_{s}" for s in steps)
    return Candidate("", math.exp(-2.0 * cost) * factor, head + reasons + (("format_broken",) if fit is False
                                                                          else ()))


# ---------------------------------------------------------------- the index

class SerialIndex:
    """Acquisition records by normalised maker and folded serial, for exact lookups and candidates."""

    def __init__(self, records: Iterable[Marking]) -> None:
        self._ids: list[str] = []
        self._normal: list[Normal] = []
        self._exact: dict[tuple[str, str], list[int]] = {}
        self._keys: dict[tuple[str, str], list[int]] = {}
        self._makes: set[str] = set()
        for record in records:
            n = normal(record)
            k = len(self._ids)
            self._ids.append(record.id)
            self._normal.append(n)
            self._makes.add(n.make)
            self._exact.setdefault((n.make, n.serial), []).append(k)
            for key in _neighbourhood(serials.fold(n.serial)):
                self._keys.setdefault((n.make, key), []).append(k)

    def __len__(self) -> int:
        return len(self._ids)

    def exact(self, trace: Marking) -> list[str]:
        """Ids of records with the trace's normalised maker and serial (none for a serial with `?`)."""
        n = normal(trace)
        if WILD in n.serial or not n.serial:
            return []
        return [self._ids[k] for k in self._exact.get((n.make, n.serial), [])]

    def candidates(self, trace: Marking, top: int = 10) -> list[Candidate]:
        """At most `top` records ranked best first for the trace's markings."""
        if top <= 0:
            return []
        n = normal(trace)
        if not n.serial.strip(WILD):
            return []
        makes = [n.make] if n.make in self._makes else sorted(self._makes)
        found: set[int] = set()
        for make in makes:
            for variant in _expansions(serials.fold(n.serial), make):
                for key in _neighbourhood(variant):
                    found.update(self._keys.get((make, key), ()))
        scored = []
        for k in found:
            c = score(n, self._normal[k])
            if c is not None:
                if self._normal[k].make != n.make:
                    c = Candidate("", c.score * 0.5, c.reasons + ("make_differs",))
                scored.append(Candidate(self._ids[k], round(min(1.0, c.score), 6), c.reasons))
        scored.sort(key=lambda c: (-c.score, c.record_id))
        return scored[:top]


def _neighbourhood(folded: str) -> set[str]:
    """The serial and the serials with one character deleted."""
    return {folded} | {folded[:i] + folded[i + 1:] for i in range(len(folded))}


#: at most this many unreadable characters are expanded; more are looked up by deleting them
MAX_EXPANDED = 2


def _expansions(folded: str, make: str) -> list[str]:
    """The folded serial with its unreadable characters replaced by every character the maker's
    format allows there (any folded character when the format does not say); beyond
    `MAX_EXPANDED` unreadable characters the rest are deleted."""
    holes = [i for i, c in enumerate(folded) if c == WILD]
    if not holes:
        return [folded]
    positions = serials.format_positions(make, len(folded))
    if len(holes) > MAX_EXPANDED:
        folded = "".join(c for c in folded[: holes[MAX_EXPANDED]] + folded[holes[MAX_EXPANDED]:].replace(WILD, ""))
        holes = holes[:MAX_EXPANDED]
        positions = None
    choices = []
    for i in holes:
        pos = positions[i] if positions else None
        chars = serials.FOLDED_ALPHABET if pos is None else "".join(
            sorted({serials.fold(c) for c in serials.FOLDED_ALPHABET + "OILSBZG" if _allowed(pos, c)}))
        choices.append(chars)
    out = [folded]
    for i, chars in zip(holes, choices, strict=True):
        out = [v[:i] + c + v[i + 1:] for v in out for c in chars]
    return out

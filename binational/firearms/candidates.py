"""Rank acquisition records against a trace's markings: exact matches, and candidates for serials
that were read with unreadable (`?`), misread or missing characters.

The index holds the records as arrays (no Python object per record): the serial as character
codes, and codes of the normalised maker, model, calibre and type. Candidates meet a trace on keys
of the *folded* serial (each look-alike group made one character, see `serials.fold`) within the
normalised maker: the serial itself and the serial with any one character deleted, on both sides,
so that one character misread as anything, one missing or one extra character still meet. An
unreadable character is expanded over the characters the maker's format allows at that place.
When nothing explains a trace with at most one such error, each place of the serial is expanded in
turn (and a character inserted at each place), which finds serials two errors away.

Candidates are scored by the cheapest alignment of the serial as read against the record's: an
unreadable character costs little, a look-alike little and less still where the maker's format
rules out the character read (a `B` where a Glock stamps digits is an `8`), anything else a lot;
and by the agreement of model, calibre and type, compared in normal form (`9X19` is `9MM`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from binational.firearms import serials

WILD = serials.WILDCARD

U8 = npt.NDArray[np.uint8]
I64 = npt.NDArray[np.int64]
U64 = npt.NDArray[np.uint64]
F32 = npt.NDArray[np.float32]
Column = Sequence[str] | npt.NDArray[np.generic]


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


# ---------------------------------------------------------------- character codes

#: code 0 pads a serial; 1..36 are digits and letters; WILD_CODE an unreadable character
ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
WILD_CODE = len(ALPHABET) + 1
NCODES = WILD_CODE + 1
#: longest serial kept (characters beyond are dropped: no maker stamps more)
WIDTH = 20


def _code(c: str) -> int:
    return ALPHABET.index(c) + 1


_BYTE = np.zeros(256, np.uint8)
for _i, _c in enumerate(ALPHABET):
    _BYTE[ord(_c)] = _BYTE[ord(_c.lower())] = _i + 1
_BYTE[ord(WILD)] = WILD_CODE
_FOLD = np.arange(NCODES, dtype=np.uint8)
for _c in "OILSBZG":
    _FOLD[_code(_c)] = _code(serials.fold(_c))
_IS_DIGIT = np.zeros(NCODES, bool)
_IS_DIGIT[1:11] = True
_IS_LETTER = np.zeros(NCODES, bool)
_IS_LETTER[11:37] = True
_LOOKALIKE = (_FOLD[:, None] == _FOLD[None, :]) & (np.arange(NCODES)[:, None] != np.arange(NCODES)[None, :])
_LOOKALIKE[0, :] = _LOOKALIKE[:, 0] = _LOOKALIKE[WILD_CODE, :] = _LOOKALIKE[:, WILD_CODE] = False


def encode(values: Column) -> tuple[U8, U8]:
    """Serials as a (n, WIDTH) matrix of codes, left-aligned, with their lengths: upper case, spaces,
    hyphens and any character outside the alphabet dropped (callers validate the input first)."""
    if isinstance(values, np.ndarray) and values.dtype.kind == "S":
        raw = values
    else:
        try:
            raw = np.array(values, dtype=f"S{WIDTH + 8}") if len(values) else np.zeros(0, f"S{WIDTH + 8}")
        except UnicodeEncodeError:
            raw = np.array([str(v).encode("ascii", "ignore") for v in values], dtype=f"S{WIDTH + 8}")
    width = raw.dtype.itemsize
    codes = _BYTE[np.frombuffer(raw.tobytes(), np.uint8).reshape(len(raw), width)] if len(raw) else np.zeros(
        (0, width), np.uint8)
    order = np.argsort(codes == 0, axis=1, kind="stable")
    codes = np.take_along_axis(codes, order, axis=1)
    if codes.shape[1] < WIDTH:
        codes = np.pad(codes, ((0, 0), (0, WIDTH - codes.shape[1])))
    codes = np.ascontiguousarray(codes[:, :WIDTH])
    return codes, (codes != 0).sum(axis=1).astype(np.uint8)


def decode(row: U8) -> str:
    """A code row back to the serial (normalised)."""
    return "".join("?" if c == WILD_CODE else ALPHABET[c - 1] for c in row if c)


# ---------------------------------------------------------------- keys

_P = np.uint64(0x100000001B3)
_SEED = np.uint64(0xCBF29CE484222325)


def _keys(make: U64, codes: U8, length: U8, skip: int | None) -> U64:
    """A 64-bit key per row of the folded serial within the maker, with the character at `skip`
    deleted (none when `skip` is None); rows shorter than `skip` + 1 get a key nobody has."""
    folded = _FOLD[codes]
    with np.errstate(over="ignore"):
        h = (make.astype(np.uint64) + _SEED) * _P
        for j in range(codes.shape[1]):
            if j == skip:
                continue
            use = j < length
            if not use.any():
                break
            h = np.where(use, (h ^ folded[:, j].astype(np.uint64)) * _P, h)
    if skip is not None:
        h = np.where(length > skip, h, np.uint64(0))
    return h


def _neighbourhood(make: U64, codes: U8, length: U8, rows: I64) -> tuple[U64, I64]:
    """Keys of the folded serials and of each with one character deleted, with the row of each."""
    keys, owners = [_keys(make, codes, length, None)], [rows]
    for j in range(int(length.max(initial=0))):
        has = length > j
        keys.append(_keys(make[has], codes[has], length[has], j))
        owners.append(rows[has])
    return np.concatenate(keys), np.concatenate(owners)


# ---------------------------------------------------------------- formats

def _format_tables(makes: list[str]) -> tuple[dict[tuple[int, int], int], U8, U8, U8]:
    """For each (maker code, length) with a format: an id, and per id and place whether a digit or
    a letter may stand there and the one code a format fixes there (0: none). Id 0 allows anything."""
    ids: dict[tuple[int, int], int] = {}
    digit, letter, literal = [np.ones(WIDTH, np.uint8)], [np.ones(WIDTH, np.uint8)], [np.zeros(WIDTH, np.uint8)]
    for m, make in enumerate(makes):
        for length in sorted({len(f) for f in serials.FORMATS.get(make, ())}):
            positions = serials.format_positions(make, length)
            if positions is None or length > WIDTH:
                continue
            ids[(m, length)] = len(digit)
            d, le, li = np.zeros(WIDTH, np.uint8), np.zeros(WIDTH, np.uint8), np.zeros(WIDTH, np.uint8)
            for j, pos in enumerate(positions):
                d[j], le[j] = pos.digit, pos.letter
                li[j] = _code(pos.literal) if pos.literal else 0
            digit.append(d)
            letter.append(le)
            literal.append(li)
    return ids, np.array(digit, np.uint8), np.array(letter, np.uint8), np.array(literal, np.uint8)


# ---------------------------------------------------------------- scoring

#: costs of the alignment of a serial as read against a record's serial
COST_WILD = 0.15              # an unreadable character
COST_LOOKALIKE = 0.35         # a look-alike read for the stamped character
COST_LOOKALIKE_FORMAT = 0.05  # ... where the maker's format rules out the character read
COST_SUBSTITUTE = 1.0         # any other character read
COST_SUBSTITUTE_FORMAT = 0.8  # ... where the format rules out the character read
COST_MISSING = 0.9            # a stamped character not read at all
COST_EXTRA = 1.1              # a character read that is not stamped
#: a candidate further than this is not one
MAX_COST = 2.6
#: a trace whose best candidate costs more is searched again two errors away
SECOND_LOOK = 0.75

#: factors for the agreement of model, calibre and type: (agree, unknown, disagree)
MODEL_FACTORS = (1.0, 0.8, 0.4)
CALIBRE_FACTORS = (1.0, 0.85, 0.45)
TYPE_FACTORS = (1.0, 0.9, 0.45)
#: factor for a record of another maker than the trace's (only when the trace's maker is unknown)
OTHER_MAKE = 0.5
SCALE = 2.0
#: a trace whose one best candidate costs at most this names its record for the rest of the batch
ANCHOR_COST = 0.1
#: factor for a record another trace of the batch names (a gun is recovered once)
CLAIMED = 0.35
#: factor for a record in the run of consecutive serials of another trace's record
RUN_MATE = 1.35

_KINDS = ("unreadable", "lookalike", "misread", "missing", "extra")


#: widest drift between the places of the read and the stamped serial an alignment may take: three
#: missing or extra characters cost more than `MAX_COST` already
BAND = 2


def _substitution_tables() -> tuple[npt.NDArray[np.float32], U8]:
    """Cost of reading code r for stamped code s, by whether the format allows r at the place
    (`[r, s, allowed]`), and the kind of step as a bit (`[r, s]`)."""
    cost = np.zeros((NCODES, NCODES, 2), np.float32)
    bits = np.zeros((NCODES, NCODES), np.uint8)
    for r in range(NCODES):
        for s in range(NCODES):
            if r == s:
                continue
            if r == WILD_CODE:
                cost[r, s] = COST_WILD
                bits[r, s] = 1
            elif _LOOKALIKE[r, s]:
                cost[r, s] = (COST_LOOKALIKE_FORMAT, COST_LOOKALIKE)
                bits[r, s] = 2
            else:
                cost[r, s] = (COST_SUBSTITUTE_FORMAT, COST_SUBSTITUTE)
                bits[r, s] = 4
    return cost, bits


def align(read: U8, read_len: U8, stamped: U8, stamped_len: U8, fmt: I64,
          digit: U8, letter: U8, literal: U8) -> tuple[F32, U8]:
    """The cheapest alignment of each read serial against its stamped serial (rows pairwise), and a
    bit per kind of step it used (`_KINDS`). Alignments costing more than `MAX_COST` may come out
    dearer than they are (the table is filled within `BAND` of its diagonal only)."""
    n = len(read)
    wr = int(read_len.max(initial=0))
    ws = int(stamped_len.max(initial=0))
    inf = np.float32(99.0)
    rows = np.arange(n)
    sub_cost, sub_bits = _SUB_COST, _SUB_BITS
    first = np.full(ws + 1, inf, np.float32)
    first[: BAND + 1] = np.arange(min(BAND, ws) + 1, dtype=np.float32) * np.float32(COST_MISSING)
    prev = np.repeat(first[None, :], n, 0)
    prev_bits = np.repeat(np.where(np.arange(ws + 1) > 0, 8, 0).astype(np.uint8)[None, :], n, 0)
    final = np.where(read_len == 0, prev[rows, stamped_len], inf).astype(np.float32)
    final_bits = np.where(read_len == 0, prev_bits[rows, stamped_len], 0).astype(np.uint8)
    allowed_d = digit[fmt].astype(bool)
    allowed_l = letter[fmt].astype(bool)
    fixed = literal[fmt]
    extra, missing = np.float32(COST_EXTRA), np.float32(COST_MISSING)
    for i in range(1, wr + 1):
        r = read[:, i - 1]
        cur = np.full_like(prev, inf)
        cur_bits = np.zeros_like(prev_bits)
        if i <= BAND:
            cur[:, 0] = prev[:, 0] + extra
            cur_bits[:, 0] = prev_bits[:, 0] | 16
        r_digit, r_letter = _IS_DIGIT[r], _IS_LETTER[r]
        for j in range(max(1, i - BAND), min(ws, i + BAND) + 1):
            s = stamped[:, j - 1]
            fx = fixed[:, j - 1]
            allowed = np.where(fx > 0, r == fx, (allowed_d[:, j - 1] & r_digit) | (allowed_l[:, j - 1] & r_letter))
            diag = prev[:, j - 1] + sub_cost[r, s, allowed.view(np.uint8)]
            up = prev[:, j] + extra
            left = cur[:, j - 1] + missing
            best = np.minimum(diag, np.minimum(up, left))
            cur[:, j] = best
            cur_bits[:, j] = np.where(best == diag, prev_bits[:, j - 1] | sub_bits[r, s],
                                      np.where(best == up, prev_bits[:, j] | 16, cur_bits[:, j - 1] | 8))
        done = read_len == i
        final = np.where(done, cur[rows, stamped_len], final)
        final_bits = np.where(done, cur_bits[rows, stamped_len], final_bits)
        prev, prev_bits = cur, cur_bits
    return final.astype(np.float32), final_bits.astype(np.uint8)


_SUB_COST, _SUB_BITS = _substitution_tables()


def _factor(agree: npt.NDArray[np.bool_], known: npt.NDArray[np.bool_],
            factors: tuple[float, float, float]) -> F32:
    yes, unknown, no = factors
    return np.where(known, np.where(agree, yes, no), unknown).astype(np.float32)


# ---------------------------------------------------------------- the index

@dataclass(frozen=True, slots=True)
class _Traces:
    """A batch of traces as arrays: codes in the index's vocabularies (maker -1: one it does not know)."""

    make: I64
    model: I64
    calibre: I64
    type: I64
    codes: U8
    length: U8
    #: the index's model words and those of the batch no record has
    model_words: list[str]


class _Vocabulary:
    """Strings to small codes; code 0 is the empty string (unknown)."""

    def __init__(self) -> None:
        self.words: list[str] = [""]
        self.codes: dict[str, int] = {"": 0}

    def code(self, word: str) -> int:
        found = self.codes.get(word)
        if found is None:
            found = self.codes[word] = len(self.words)
            self.words.append(word)
        return found

    def encode(self, raw: Column, normalise: Callable[[str], str]) -> I64:
        """Codes of the normalised values, normalising each distinct raw value once."""
        values, uniques = _factorize(raw)
        table = np.array([self.code(normalise(str(u))) for u in uniques] or [0], np.int64)
        return table[values] if len(values) else np.zeros(0, np.int64)


def _factorize(raw: Column) -> tuple[I64, list[Any]]:
    """Codes of each value and the distinct values, in order of first appearance."""
    values, uniques = pd.factorize(np.asarray(raw, dtype=object), use_na_sentinel=False)
    return values.astype(np.int64), list(uniques)


class SerialIndex:
    """Acquisition records by normalised maker and folded serial, for exact lookups and candidates."""

    def __init__(self, records: Iterable[Marking]) -> None:
        rows = list(records)
        self._build([r.id for r in rows], [r.manufacturer for r in rows], [r.model for r in rows],
                    [r.caliber for r in rows], [r.weapon_type for r in rows], [r.serial for r in rows])

    @classmethod
    def from_columns(cls, ids: Column, manufacturer: Column, model: Column, caliber: Column, weapon_type: Column,
                     serial: Column) -> SerialIndex:
        """The index of records given as columns (lists or numpy arrays of strings, or of bytes for
        the serial): for millions of records, where one object per record would not fit."""
        index = cls.__new__(cls)
        index._build(ids, manufacturer, model, caliber, weapon_type, serial)
        return index

    def _build(self, ids: Column, manufacturer: Column, model: Column, caliber: Column, weapon_type: Column,
               serial: Column) -> None:
        self._ids = ids
        self.makes, self.models, self.calibres, self.types = _Vocabulary(), _Vocabulary(), _Vocabulary(), _Vocabulary()
        self._make = self.makes.encode(manufacturer, serials.normalise_make)
        # a model is normalised within its maker (`Glock 19` → `19`): each distinct pair once
        make_raw, make_uniques = _factorize(manufacturer)
        model_raw, model_uniques = _factorize(model)
        pair, pair_uniques = _factorize(make_raw * (len(model_uniques) + 1) + model_raw)
        width = len(model_uniques) + 1
        table = np.array([self.models.code(_model_of(f"{make_uniques[u // width]}\x00{model_uniques[u % width]}"))
                          for u in map(int, pair_uniques)] or [0], np.int64)
        self._model = table[pair] if len(pair) else np.zeros(0, np.int64)
        self._calibre = self.calibres.encode(caliber, serials.normalise_calibre)
        self._type = self.types.encode(weapon_type, serials.normalise_type)
        self._codes, self._length = encode(serial)
        self._record_makes = len(self.makes.words)
        self._formats, self._digit, self._letter, self._literal = _format_tables(self.makes.words)
        keys, owners = _neighbourhood(self._make.astype(np.uint64), self._codes, self._length,
                                      np.arange(len(self._make), dtype=np.int64))
        order = np.argsort(keys)
        keys = keys[order]
        self._owners = owners[order].astype(np.int32 if len(self._make) < 2**31 else np.int64)
        del owners, order
        # distinct keys, and where each one's records start in `_owners`
        new = np.empty(len(keys), bool)
        new[:1] = True
        np.not_equal(keys[1:], keys[:-1], out=new[1:])
        self._keys = keys[new]
        self._starts = np.append(np.flatnonzero(new), len(keys)).astype(np.int64)
        del keys, new
        self._fmt = self._format_ids(self._make, self._length)
        self._choice_cache: dict[tuple[int, int], U8] = {}
        # makes by how many records they have, for traces whose maker is unknown
        counts = np.bincount(self._make, minlength=self._record_makes)
        self._makes_by_size = [m for m in np.argsort(-counts, kind="stable").tolist() if counts[m]]

    def _format_ids(self, make: I64, length: U8) -> I64:
        out = np.zeros(len(make), np.int64)
        for (m, n), fid in self._formats.items():
            out[(make == m) & (length == n)] = fid
        return out

    def __len__(self) -> int:
        return len(self._make)

    # ------------------------------------------------------------ lookups

    def _lookup(self, keys: U64, owners: I64) -> tuple[I64, I64]:
        """(query row, record) for every record sharing a key with a query row."""
        if not len(keys):
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
        order = np.argsort(keys)
        keys, owners = keys[order], owners[order]
        at = np.minimum(np.searchsorted(self._keys, keys), max(len(self._keys) - 1, 0))
        hit = self._keys[at] == keys if len(self._keys) else np.zeros(len(keys), bool)
        at, owners = at[hit], owners[hit]
        lo = self._starts[at]
        n = self._starts[at + 1] - lo
        total = int(n.sum())
        if not total:
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
        starts = np.repeat(lo - np.concatenate(([0], np.cumsum(n)[:-1])), n)
        at = starts + np.arange(total)
        return np.repeat(owners, n), self._owners[at].astype(np.int64)

    def _trace_columns(self, traces: Sequence[Marking]) -> _Traces:
        make = np.array([self.makes.codes.get(serials.normalise_make(t.manufacturer), -1) for t in traces],
                        np.int64)
        codes, length = encode([serials.normalise_serial(t.serial) for t in traces])
        # words no record has get codes past the index's own, in a list of this batch (the index
        # itself is never changed by a query, so that threads may share it)
        model_words = list(self.models.words)
        extra: dict[str, int] = {}

        def model_code(word: str) -> int:
            found = self.models.codes.get(word)
            if found is None:
                found = extra.setdefault(word, len(model_words))
                if found == len(model_words):
                    model_words.append(word)
            return found

        def other_code(vocabulary: _Vocabulary, word: str) -> int:
            return vocabulary.codes.get(word, -1 if word else 0)

        return _Traces(
            make=make,
            model=np.array([model_code(_model_of(f"{t.manufacturer}\x00{t.model}")) for t in traces], np.int64),
            calibre=np.array([other_code(self.calibres, serials.normalise_calibre(t.caliber)) for t in traces],
                             np.int64),
            type=np.array([other_code(self.types, serials.normalise_type(t.weapon_type)) for t in traces], np.int64),
            codes=codes,
            length=length,
            model_words=model_words,
        )

    def exact(self, trace: Marking) -> list[str]:
        """Ids of records with the trace's normalised maker and serial (none for a serial with `?`)."""
        t = self._trace_columns([trace])
        make = int(t.make[0])
        if make < 0 or not int(t.length[0]) or (t.codes[0] == WILD_CODE).any():
            return []
        keys = _keys(t.make.astype(np.uint64), t.codes, t.length, None)
        _, recs = self._lookup(keys, np.zeros(1, np.int64))
        same = (self._length[recs] == t.length[0]) & (self._make[recs] == make) & (
            self._codes[recs] == t.codes[0]).all(axis=1)
        return [str(self._ids[k]) for k in sorted(recs[same].tolist())]

    def candidates(self, trace: Marking, top: int = 10) -> list[Candidate]:
        """At most `top` records ranked best first for the trace's markings."""
        return self.rank([trace], top=top)[0]

    def rank(self, traces: Sequence[Marking], top: int = 10) -> list[list[Candidate]]:
        """`candidates` for many traces at once (one pass of array operations for the batch)."""
        if top <= 0 or not traces:
            return [[] for _ in traces]
        t = self._trace_columns(traces)
        trace_of, rec, cost, bits = self._pairs(t)
        claimed, mate = self._batch_context(trace_of, rec, cost, len(traces))
        return self._ranked(t, trace_of, rec, cost, bits, top, len(traces), claimed, mate)

    def _pairs(self, t: _Traces) -> tuple[I64, I64, F32, U8]:
        """Every (trace, record) within reach, with the alignment's cost and kinds of step."""
        trace_of, rec, cost, bits = self._score(t, *self._first_look(t))
        best = np.full(len(t.make), np.inf)
        np.minimum.at(best, trace_of, cost)
        again = np.flatnonzero(best > SECOND_LOOK)
        if len(again):
            t2, r2, c2, b2 = self._score(t, *self._second_look(t, again))
            trace_of, rec = np.concatenate((trace_of, t2)), np.concatenate((rec, r2))
            cost, bits = np.concatenate((cost, c2)), np.concatenate((bits, b2))
            _, first = np.unique(trace_of * (len(self._make) + 1) + rec, return_index=True)
            trace_of, rec, cost, bits = trace_of[first], rec[first], cost[first], bits[first]
        return trace_of, rec, cost, bits

    def _run_keys(self, rec: I64) -> U64:
        """A key of the records' run block: maker, length and all but the last two characters
        (a case of consecutive serials shares it); 0 for serials too short to tell."""
        length = self._length[rec]
        short = np.maximum(length.astype(np.int64) - 2, 0).astype(np.uint8)
        keys = _keys(self._make[rec].astype(np.uint64) * np.uint64(64) + length.astype(np.uint64),
                     self._codes[rec], short, None)
        return np.where(length > 4, keys, np.uint64(0))

    def _batch_context(self, trace_of: I64, rec: I64, cost: F32, n: int) -> tuple[
            npt.NDArray[np.bool_], npt.NDArray[np.bool_]]:
        """What the other traces of the batch say of each pair. A trace read cleanly enough to
        name one record (its *anchor*) claims that record: a gun is recovered once, so the record is
        unlikely for another trace of the batch (`claimed`). Guns recovered together were often
        bought together, in a run of consecutive serials: a record in the run block of another
        trace's anchor is likelier (`mate`)."""
        none = np.zeros(len(rec), bool)
        if n < 2 or not len(rec):
            return none, none
        sure = cost <= ANCHOR_COST
        per_trace = np.bincount(trace_of[sure], minlength=n)
        anchored = sure & (per_trace[trace_of] == 1)
        a_trace, a_rec = trace_of[anchored], rec[anchored]
        if not len(a_rec):
            return none, none
        # a record anchored by two traces (the same gun traced twice) claims nothing
        recs, counts = np.unique(a_rec, return_counts=True)
        single = recs[counts == 1]
        claimed = none
        if len(single):
            owner = np.full(len(single), -1, np.int64)
            at = np.minimum(np.searchsorted(single, a_rec), len(single) - 1)
            ok = single[at] == a_rec
            owner[at[ok]] = a_trace[ok]
            pos = np.minimum(np.searchsorted(single, rec), len(single) - 1)
            claimed = (single[pos] == rec) & (owner[pos] != trace_of)
        # run blocks touched by anchors, and by which trace
        a_keys = self._run_keys(a_rec)
        own = np.zeros(n, np.uint64)
        own[a_trace] = a_keys
        keys_sorted = np.sort(a_keys[a_keys != 0])
        r_keys = self._run_keys(rec)
        count = np.searchsorted(keys_sorted, r_keys, "right") - np.searchsorted(keys_sorted, r_keys, "left")
        count = count - ((own[trace_of] == r_keys) & (r_keys != 0))
        mate = (count > 0) & (r_keys != 0) & ~claimed & (cost > 0)
        return claimed, mate

    # ------------------------------------------------------------ candidate generation

    def _makes_for(self, make: int) -> list[int]:
        return [make] if make > 0 else self._makes_by_size[:64]

    def _first_look(self, t: _Traces) -> tuple[I64, I64]:
        """Pairs (trace, record) meeting on a key: the trace's serial with its unreadable characters
        expanded, itself and with one character deleted, against the records' keys."""
        rows, makes, owners = [], [], []
        for k in range(len(t.make)):
            codes, n = t.codes[k], int(t.length[k])
            if n == 0 or (codes[:n] == WILD_CODE).all():
                continue
            for make in self._makes_for(int(t.make[k])):
                variants = self._expand(make, codes, n)
                rows.append(variants)
                makes.append(np.full(len(variants), make, np.int64))
                owners.append(np.full(len(variants), k, np.int64))
        return self._meet(rows, makes, owners)

    def _second_look(self, t: _Traces, which: I64) -> tuple[I64, I64]:
        """Pairs for traces two errors away (with no unreadable character): each place replaced in
        turn, and a character inserted at each place, then the first look's keys."""
        rows, makes, owners = [], [], []
        for k in which.tolist():
            codes, n = t.codes[k], int(t.length[k])
            # an unreadable character and one more error were within the first look's reach
            if n == 0 or n >= WIDTH or (codes[:n] == WILD_CODE).any():
                continue
            for make in self._makes_for(int(t.make[k]))[:8]:
                v = self._one_more(make, codes, n)
                rows.append(v)
                makes.append(np.full(len(v), make, np.int64))
                owners.append(np.full(len(v), k, np.int64))
        return self._meet(rows, makes, owners)

    def _meet(self, rows: list[U8], makes: list[I64], owners: list[I64]) -> tuple[I64, I64]:
        if not rows:
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
        codes = np.concatenate(rows)
        make = np.concatenate(makes)
        owner = np.concatenate(owners)
        length = (codes != 0).sum(axis=1).astype(np.uint8)
        keys, who = _neighbourhood(make.astype(np.uint64), codes, length, owner)
        trace_of, rec = self._lookup(keys, who)
        _, first = np.unique(trace_of * (len(self._make) + 1) + rec, return_index=True)
        return trace_of[first], rec[first]

    def _expand(self, make: int, codes: U8, n: int, limit: int = 2) -> U8:
        """Rows of the serial with its unreadable characters replaced by each folded character the
        maker's format allows there; beyond `limit` unreadable characters, the rest are dropped."""
        holes = np.flatnonzero(codes[:n] == WILD_CODE)
        if not len(holes):
            return codes[None, :]
        if len(holes) > limit:
            keep = np.ones(WIDTH, bool)
            keep[holes[limit:]] = False
            codes = np.concatenate((codes[keep], np.zeros(WIDTH - int(keep.sum()), np.uint8)))
            n -= len(holes) - limit
            holes = holes[:limit]
        fid = self._formats.get((make, n), 0)
        if fid and not self._fits(fid, codes, n):
            # a serial that does not fit the format of its length lost or gained a character, or
            # holds a misread one: the format says nothing of its places
            fid = 0
        out = codes[None, :]
        for j in holes.tolist():
            choices = self._choices(fid, j)
            out = out.repeat(len(choices), axis=0)
            out[:, j] = np.tile(choices, len(out) // len(choices))
        return out

    def _fits(self, fid: int, codes: U8, n: int) -> bool:
        """Whether the readable characters of a serial fit format `fid`."""
        c = codes[:n]
        readable = c != WILD_CODE
        fixed = self._literal[fid, :n]
        ok = np.where(fixed > 0, c == fixed,
                      (self._digit[fid, :n].astype(bool) & _IS_DIGIT[c])
                      | (self._letter[fid, :n].astype(bool) & _IS_LETTER[c]))
        return bool((ok | ~readable).all())

    def _choices(self, fid: int, j: int) -> U8:
        """The folded characters format `fid` allows at place `j`."""
        found = self._choice_cache.get((fid, j))
        if found is None:
            fixed = self._literal[fid, j]
            if fixed:
                found = np.array([_FOLD[fixed]], np.uint8)
            else:
                ok = (self._digit[fid, j] & _IS_DIGIT) | (self._letter[fid, j] & _IS_LETTER)
                found = np.unique(_FOLD[np.flatnonzero(ok[:WILD_CODE])]).astype(np.uint8)
            self._choice_cache[(fid, j)] = found
        return found

    def _one_more(self, make: int, codes: U8, n: int) -> U8:
        """Rows of the serial with each place in turn replaced by each character the format allows
        there, and with each character the format allows inserted at each place."""
        fid = self._formats.get((make, n), 0)
        fid_longer = self._formats.get((make, n + 1), 0)
        parts = []
        for j in range(n):
            if codes[j] == WILD_CODE:
                continue
            choices = self._choices(fid, j)
            rows = np.repeat(codes[None, :], len(choices), axis=0)
            rows[:, j] = choices
            parts.append(rows)
        if n < WIDTH:
            for j in range(n + 1):
                choices = self._choices(fid_longer, j)
                rows = np.zeros((len(choices), WIDTH), np.uint8)
                rows[:, :j] = codes[:j]
                rows[:, j] = choices
                rows[:, j + 1:n + 1] = codes[j:n]
                parts.append(rows)
        return np.concatenate(parts) if parts else np.zeros((0, WIDTH), np.uint8)

    # ------------------------------------------------------------ scoring

    def _score(self, t: _Traces, trace_of: I64, rec: I64) -> tuple[I64, I64, F32, U8]:
        if not len(trace_of):
            return trace_of, rec, np.zeros(0, np.float32), np.zeros(0, np.uint8)
        cost, bits = align(t.codes[trace_of], t.length[trace_of], self._codes[rec], self._length[rec],
                           self._fmt[rec], self._digit, self._letter, self._literal)
        near = cost <= MAX_COST
        return trace_of[near], rec[near], cost[near], bits[near]

    def _ranked(self, t: _Traces, trace_of: I64, rec: I64, cost: F32, bits: U8, top: int, n: int,
                claimed: npt.NDArray[np.bool_], mate: npt.NDArray[np.bool_]) -> list[list[Candidate]]:
        tm, rm = t.model[trace_of], self._model[rec]
        agree_model = _models_agree(t.model_words, tm, rm)
        tc, rc = t.calibre[trace_of], self._calibre[rec]
        ty, ry = t.type[trace_of], self._type[rec]
        factor = (_factor(agree_model, (tm > 0) & (rm > 0), MODEL_FACTORS)
                  * _factor(tc == rc, (tc != 0) & (rc > 0), CALIBRE_FACTORS)
                  * _factor(ty == ry, (ty != 0) & (ry > 0), TYPE_FACTORS))
        other = self._make[rec] != t.make[trace_of]
        factor = np.where(other, factor * np.float32(OTHER_MAKE), factor)
        factor = np.where(claimed, factor * np.float32(CLAIMED), factor)
        factor = np.where(mate, factor * np.float32(RUN_MATE), factor)
        score = np.exp(-SCALE * cost.astype(np.float64)) * factor
        # only a serial read exactly scores 1
        score = np.round(np.where(cost > 0, np.minimum(score, 0.99), np.minimum(score, 1.0)), 6)
        order = np.lexsort((rec, -score, trace_of))
        # per pair: 0 unknown, 1 agrees, 2 differs
        mod = np.where((tm > 0) & (rm > 0), np.where(agree_model, 1, 2), 0)[order]
        cal = np.where((tc != 0) & (rc > 0), np.where(tc == rc, 1, 2), 0)[order]
        typ = np.where((ty != 0) & (ry > 0), np.where(ty == ry, 1, 2), 0)[order]
        trace_of, rec, score = trace_of[order], rec[order], score[order]
        bits, cost, other = bits[order], cost[order], other[order]
        claimed, mate = claimed[order], mate[order]
        starts = np.searchsorted(trace_of, np.arange(n + 1))
        out: list[list[Candidate]] = []
        for k in range(n):
            found = []
            for i in range(int(starts[k]), min(int(starts[k + 1]), int(starts[k]) + top)):
                reasons: list[str] = ["serial_exact"] if cost[i] == 0 else [
                    f"serial_{kind}" for b, kind in enumerate(_KINDS) if bits[i] >> b & 1]
                for name, state in (("model", mod[i]), ("caliber", cal[i]), ("type", typ[i])):
                    if state:
                        reasons.append(f"{name}_{'agrees' if state == 1 else 'differs'}")
                if other[i]:
                    reasons.append("make_differs")
                if claimed[i]:
                    reasons.append("claimed_by_other_trace")
                if mate[i]:
                    reasons.append("run_with_other_trace")
                found.append(Candidate(str(self._ids[int(rec[i])]), float(score[i]), tuple(reasons)))
            out.append(found)
        return out


def _model_of(pair: str) -> str:
    make, _, model = pair.partition("\x00")
    return serials.normalise_model(model, serials.normalise_make(make))


def _models_agree(words: list[str], a: I64, b: I64) -> npt.NDArray[np.bool_]:
    """Whether each pair of model codes names one model (`serials.models_agree`), deciding each
    distinct pair once."""
    if not len(a):
        return np.zeros(0, bool)
    pair = a * (len(words) + 1) + b
    uniques, inverse = np.unique(pair, return_inverse=True)
    decided = np.array([serials.models_agree(words[int(u) // (len(words) + 1)], words[int(u) % (len(words) + 1)])
                        for u in uniques], bool)
    return decided[inverse.reshape(-1)]

"""Rank acquisition records against a trace's markings: exact matches, and candidates for serials
that were read with unreadable (`?`), misread or missing characters. This module is the index and
the search for candidates; `alignment` holds the serial codes, keys and the alignment's costs,
`batch` the scores and the batch's context.

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
and by the agreement of model, calibre and type, compared in normal form (`9X19` is `9MM`); then by
the evidence beyond the markings where records and traces carry it (`evidence`: sale date against
recovery, dealer's state against the recovery's, purchaser against possessor).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from binational.firearms import batch, evidence, serials
from binational.firearms.alignment import (  # noqa: F401 - the codes are this module's interface too
    _BYTE,
    _FOLD,
    _IS_DIGIT,
    _IS_LETTER,
    ALPHABET,
    F32,
    I64,
    MAX_COST,
    SECOND_LOOK,
    U8,
    U64,
    WIDTH,
    WILD,
    WILD_CODE,
    Column,
    _format_tables,
    _keys,
    _neighbourhood,
    align,
    decode,
    encode,
)
from binational.firearms.batch import Candidate, _model_of, _Traces


@dataclass(frozen=True, slots=True)
class Marking:
    """A firearm's markings: a dealer's record, or a recovered gun as read (`?` = unreadable); and
    the evidence beyond them, each optional: for a record its sale date (ISO), dealer's state and
    first retail purchaser; for a trace its recovery date, recovery state and possessor."""

    id: str
    manufacturer: str
    model: str
    caliber: str
    weapon_type: str
    serial: str
    date: str = ""
    state: str = ""
    person: str = ""


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
                    [r.caliber for r in rows], [r.weapon_type for r in rows], [r.serial for r in rows],
                    np.array([evidence.day(r.date) for r in rows], np.int64), [r.state for r in rows],
                    [r.person for r in rows])

    @classmethod
    def from_columns(cls, ids: Column, manufacturer: Column, model: Column, caliber: Column, weapon_type: Column,
                     serial: Column, *, sale_day: I64 | None = None, dealer_state: Column | None = None,
                     purchaser: Column | None = None) -> SerialIndex:
        """The index of records given as columns (lists or numpy arrays of strings, or of bytes for
        the serial): for millions of records, where one object per record would not fit. The
        evidence columns are optional: sale days from 1970-01-01 (`evidence.UNKNOWN_DAY` unknown),
        dealers' states, first retail purchasers."""
        index = cls.__new__(cls)
        index._build(ids, manufacturer, model, caliber, weapon_type, serial, sale_day, dealer_state, purchaser)
        return index

    def _build(self, ids: Column, manufacturer: Column, model: Column, caliber: Column, weapon_type: Column,
               serial: Column, sale_day: I64 | None = None, dealer_state: Column | None = None,
               purchaser: Column | None = None) -> None:
        self._ids = ids
        n = len(ids)
        self.states, self.persons = _Vocabulary(), _Vocabulary()
        self._day = (np.asarray(sale_day, np.int32) if sale_day is not None
                     else np.full(n, evidence.UNKNOWN_DAY, np.int32))
        self._state = (self.states.encode(dealer_state, evidence.us_state) if dealer_state is not None
                       else np.zeros(n, np.int64)).astype(np.int16)
        self._person = (self.persons.encode(purchaser, evidence.person_key) if purchaser is not None
                        else np.zeros(n, np.int64)).astype(np.int32)
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

        seizures: dict[tuple[int, str, str], int] = {}
        seizure = np.zeros(len(traces), np.int64)
        for k, tr in enumerate(traces):
            place, who = evidence.us_state(tr.state), evidence.person_key(tr.person)
            if tr.date.strip() and place and who:
                seizure[k] = seizures.setdefault((evidence.day(tr.date), place, who), len(seizures) + 1)
        return _Traces(
            make=make,
            model=np.array([model_code(_model_of(f"{t.manufacturer}\x00{t.model}")) for t in traces], np.int64),
            calibre=np.array([other_code(self.calibres, serials.normalise_calibre(t.caliber)) for t in traces],
                             np.int64),
            type=np.array([other_code(self.types, serials.normalise_type(t.weapon_type)) for t in traces], np.int64),
            codes=codes,
            length=length,
            model_words=model_words,
            day=np.array([evidence.day(t.date) for t in traces], np.int64),
            state=[t.state for t in traces],
            person=np.array([self.persons.codes.get(evidence.person_key(t.person), -1 if t.person.strip() else 0)
                             for t in traces], np.int64),
            seizure=seizure,
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
        # a firearm is never recovered before its first retail sale
        sold, found = self._day[rec].astype(np.int64), t.day[trace_of]
        possible = (sold == evidence.UNKNOWN_DAY) | (found == evidence.UNKNOWN_DAY) | (sold <= found)
        trace_of, rec, cost, bits = trace_of[possible], rec[possible], cost[possible], bits[possible]
        claimed, mate, bought = batch.context(self, trace_of, rec, cost, len(traces))
        return batch.ranked(self, t, trace_of, rec, cost, bits, top, len(traces), claimed, mate, bought)

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

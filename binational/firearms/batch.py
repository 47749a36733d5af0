"""Ranking a batch of traces: the candidates' scores from the alignment's cost, the agreement of
model, calibre and type, the evidence beyond the markings (`evidence`), and what the other traces of
the batch say (a record another trace names cleanly is claimed; a record in the run of, or bought by
the purchaser of, another trace's record is likelier)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from binational.firearms import evidence, serials
from binational.firearms.alignment import _KINDS, F32, I64, U8, U64, _keys
from binational.firearms.evidence import F64

if TYPE_CHECKING:
    from binational.firearms.candidates import SerialIndex

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
#: factor for a record bought by the first retail purchaser of another trace's record
BOUGHT_WITH = 1.35
#: the weight of "none of its candidates" for a trace in the batch's joint reading (a third of the
#: firearms traced from Mexico have no US record; a good candidate weighs 0.5 to 1)
NO_RECORD = 0.05
#: rounds of the batch's joint reading (`joint`), and the factor below which a candidate is
#: said to fit another trace (`fits_other_trace`)
JOINT_ROUNDS = 12
WANTED = 0.5


def _factor(agree: npt.NDArray[np.bool_], known: npt.NDArray[np.bool_],
            factors: tuple[float, float, float]) -> F32:
    yes, unknown, no = factors
    return np.where(known, np.where(agree, yes, no), unknown).astype(np.float32)


@dataclass(frozen=True, slots=True)
class Candidate:
    """A record that may be the traced firearm: score in [0, 1], reasons short English codes."""

    record_id: str
    score: float
    reasons: tuple[str, ...]


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
    #: recovery day (`evidence.UNKNOWN_DAY` unknown), recovery state as written, possessor's code
    #: among the index's purchasers (0 none given, -1 a name no record has)
    day: I64
    state: list[str]
    person: I64
    #: the seizure: traces recovered together (one day, one place, one possessor) share a code
    #: above 0; 0 where any of the three is unknown
    seizure: I64


def run_keys(index: SerialIndex, rec: I64) -> U64:
    """A key of the records' run block: maker, length and all but the last two characters
    (a case of consecutive serials shares it); 0 for serials too short to tell."""
    length = index._length[rec]
    short = np.maximum(length.astype(np.int64) - 2, 0).astype(np.uint8)
    keys = _keys(index._make[rec].astype(np.uint64) * np.uint64(64) + length.astype(np.uint64),
                 index._codes[rec], short, None)
    return np.where(length > 4, keys, np.uint64(0))


def context(index: SerialIndex, trace_of: I64, rec: I64, cost: F32, n: int) -> tuple[
        npt.NDArray[np.bool_], npt.NDArray[np.bool_], npt.NDArray[np.bool_]]:
    """What the other traces of the batch say of each pair. A trace read cleanly enough to
    name one record (its *anchor*) claims that record: a gun is recovered once, so the record is
    unlikely for another trace of the batch (`claimed`). Guns recovered together were often
    bought together, in a run of consecutive serials: a record in the run block of another
    trace's anchor is likelier (`mate`), and so is a record the purchaser of another trace's
    anchor bought (`bought`: a straw purchaser's guns travel together)."""
    none = np.zeros(len(rec), bool)
    if n < 2 or not len(rec):
        return none, none, none
    sure = cost <= ANCHOR_COST
    per_trace = np.bincount(trace_of[sure], minlength=n)
    anchored = sure & (per_trace[trace_of] == 1)
    a_trace, a_rec = trace_of[anchored], rec[anchored]
    if not len(a_rec):
        return none, none, none
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
    a_keys = run_keys(index, a_rec)
    own = np.zeros(n, np.uint64)
    own[a_trace] = a_keys
    keys_sorted = np.sort(a_keys[a_keys != 0])
    r_keys = run_keys(index, rec)
    count = np.searchsorted(keys_sorted, r_keys, "right") - np.searchsorted(keys_sorted, r_keys, "left")
    count = count - ((own[trace_of] == r_keys) & (r_keys != 0))
    mate = (count > 0) & (r_keys != 0) & ~claimed & (cost > 0)
    bought = _shared(index._person[a_rec].astype(np.int64), a_trace, index._person[rec].astype(np.int64),
                          trace_of, n) & ~claimed & (cost > 0)
    return claimed, mate, bought


def _shared(a_keys: I64, a_trace: I64, r_keys: I64, trace_of: I64, n: int) -> npt.NDArray[np.bool_]:
    """Whether each pair's key (non-zero) is the key of another trace's anchor."""
    own = np.zeros(n, np.int64)
    own[a_trace] = a_keys
    keys_sorted = np.sort(a_keys[a_keys != 0])
    count = np.searchsorted(keys_sorted, r_keys, "right") - np.searchsorted(keys_sorted, r_keys, "left")
    count = count - ((own[trace_of] == r_keys) & (r_keys != 0))
    return (count > 0) & (r_keys != 0)


def _shares(trace_of: I64, raw: F64, n: int) -> F64:
    """Each pair's share of its trace's weight, beside "none of them" (`NO_RECORD`)."""
    total = np.bincount(trace_of, weights=raw, minlength=n) + NO_RECORD
    return raw / total[trace_of]


def seized_with(index: SerialIndex, t: _Traces, trace_of: I64, rec: I64, raw: F64, n: int) -> F64:
    """For each pair, how likely the record's purchaser bought another firearm of the trace's
    seizure (0 to 1): the share of its weight each other trace of the seizure gives that
    purchaser's records, summed. A straw purchaser's firearms are bought together and recovered
    together, so a purchaser whom the other guns of a seizure point at, even through damaged
    serials, most likely bought this one too."""
    out = np.zeros(len(rec))
    person = index._person[rec].astype(np.int64)
    seizure = t.seizure[trace_of]
    use = (person > 0) & (seizure > 0)
    if not use.any():
        return out
    share = _shares(trace_of, raw, n)[use]
    width = int(person.max()) + 1
    # what each trace gives each purchaser (several of a purchaser's records add up), then each seizure
    own_key = trace_of[use] * width + person[use]
    owns, own_at = np.unique(own_key, return_inverse=True)
    own = np.bincount(own_at, weights=share)
    seized_key = t.seizure[owns // width] * width + owns % width
    _, seized_at = np.unique(seized_key, return_inverse=True)
    seized = np.bincount(seized_at, weights=own)
    others = seized[seized_at] - own
    out[use] = np.minimum(others[own_at], 1.0)
    return out


def joint(trace_of: I64, rec: I64, raw: F64, n: int) -> F64:
    """A factor for each pair from reading the batch's traces together: one firearm is recovered
    once, so a record that other traces of the batch need (most often the guns of one case
    recovered together, each read with a damaged serial) is less likely for this one, and the
    trace's other candidates likelier. Each trace is one of its candidates or none (weighed
    `NO_RECORD`), each record the firearm of at most one trace; the chance of each pair under both
    rules is estimated by belief propagation over the matchings of traces to records (sum-product,
    `JOINT_ROUNDS` rounds, damped), and the factor is that chance over the pair's chance alone."""
    if n < 2 or not len(rec):
        return np.ones(len(rec))
    _, at = np.unique(rec, return_inverse=True)
    records = int(at.max()) + 1
    alone = _shares(trace_of, raw, n)
    # a: how much trace k wants record r (odds, against its other options); take: how free r is for
    # k (1 when no other trace wants it)
    take = np.ones(len(rec))
    want = np.zeros(len(rec))
    for _ in range(JOINT_ROUNDS):
        offered = raw * take
        rest = (np.bincount(trace_of, weights=offered, minlength=n) + NO_RECORD)[trace_of] - offered
        want = 0.5 * want + 0.5 * raw / np.maximum(rest, 1e-12)
        others = np.bincount(at, weights=want, minlength=records)[at] - want
        take = 1.0 / (1.0 + np.maximum(others, 0.0))
    return _shares(trace_of, raw * take, n) / np.maximum(alone, 1e-300)


def ranked(index: SerialIndex, t: _Traces, trace_of: I64, rec: I64, cost: F32, bits: U8, top: int, n: int,
            claimed: npt.NDArray[np.bool_], mate: npt.NDArray[np.bool_],
            bought: npt.NDArray[np.bool_]) -> list[list[Candidate]]:
    tm, rm = t.model[trace_of], index._model[rec]
    agree_model = _models_agree(t.model_words, tm, rm)
    tc, rc = t.calibre[trace_of], index._calibre[rec]
    ty, ry = t.type[trace_of], index._type[rec]
    factor = (_factor(agree_model, (tm > 0) & (rm > 0), MODEL_FACTORS)
              * _factor(tc == rc, (tc != 0) & (rc > 0), CALIBRE_FACTORS)
              * _factor(ty == ry, (ty != 0) & (ry > 0), TYPE_FACTORS))
    other = index._make[rec] != t.make[trace_of]
    factor = np.where(other, factor * np.float32(OTHER_MAKE), factor)
    factor = np.where(claimed, factor * np.float32(CLAIMED), factor)
    factor = np.where(mate, factor * np.float32(RUN_MATE), factor)
    factor = np.where(bought, factor * np.float32(BOUGHT_WITH), factor)
    # the evidence beyond the markings (`evidence`): small factors that order near-equal records
    ttc = evidence.ttc_factor(index._day[rec].astype(np.int64), t.day[trace_of])
    corridor = evidence.corridor_table(index.states.words, t.state)[trace_of, index._state[rec]]
    tp, rp = t.person[trace_of], index._person[rec]
    same_person = (tp > 0) & (tp == rp)
    # only where a record of the trace was bought by its possessor do the trace's other records lose
    possessed = np.bincount(trace_of[same_person], minlength=n) > 0
    name_factor = np.where(possessed[trace_of] & ~same_person, 1.0 - evidence.WEIGHT_NAME, 1.0)
    raw = np.exp(-SCALE * cost.astype(np.float64)) * factor * ttc * corridor * name_factor
    # the batch read jointly: the purchaser the other guns of a seizure point at, and one record
    # for one trace; neither moves a serial read exactly
    seized = np.where(bought | claimed | (cost == 0), 0.0, seized_with(index, t, trace_of, rec, raw, n))
    raw = raw * (1.0 + (BOUGHT_WITH - 1.0) * seized)
    bought = bought | (seized >= 0.5)
    shared = np.where(cost > 0, joint(trace_of, rec, raw, n), 1.0)
    raw = raw * shared
    wanted = (shared < WANTED) & ~claimed
    # only a serial read exactly scores 1; the order is that of the scores before the cap
    score = np.round(np.where(cost > 0, np.minimum(raw, 0.99), np.minimum(raw, 1.0)), 6)
    order = np.lexsort((rec, -np.round(raw, 9), trace_of))
    # per pair: 0 unknown, 1 agrees, 2 differs
    mod = np.where((tm > 0) & (rm > 0), np.where(agree_model, 1, 2), 0)[order]
    cal = np.where((tc != 0) & (rc > 0), np.where(tc == rc, 1, 2), 0)[order]
    typ = np.where((ty != 0) & (ry > 0), np.where(ty == ry, 1, 2), 0)[order]
    trace_of, rec, score = trace_of[order], rec[order], score[order]
    bits, cost, other = bits[order], cost[order], other[order]
    claimed, mate, bought, same_person = claimed[order], mate[order], bought[order], same_person[order]
    wanted = wanted[order]
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
            if wanted[i]:
                reasons.append("fits_other_trace")
            if mate[i]:
                reasons.append("run_with_other_trace")
            if bought[i]:
                reasons.append("bought_with_other_trace")
            if same_person[i]:
                reasons.append("possessor_is_purchaser")
            found.append(Candidate(str(index._ids[int(rec[i])]), float(score[i]), tuple(reasons)))
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

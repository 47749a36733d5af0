"""Serials as arrays of character codes, and how far a serial as read is from a stamped one.

Codes: each serial a row of `WIDTH` codes (1..36 digits and letters, `WILD_CODE` an unreadable
character, 0 padding); look-alike groups (O/0, I/1/L, S/5, B/8, Z/2, G/6) fold to one code. Keys: a
64-bit hash of the folded serial within its maker, itself and with each one character deleted, so
that serials one error apart share a key. Formats: per maker and length, which places take a digit,
a letter or a fixed character. Alignment: the cheapest edit of the serial as read into the stamped
one, an unreadable character costing little, a look-alike little and less still where the maker's
format rules out the character read, anything else a lot.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from binational.firearms import serials

U8 = npt.NDArray[np.uint8]
I64 = npt.NDArray[np.int64]
U64 = npt.NDArray[np.uint64]
F32 = npt.NDArray[np.float32]
Column = Sequence[str] | npt.NDArray[np.generic]
WILD = serials.WILDCARD


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

"""What each write wrote, in its audit entry, and the check of the live statements against the log.

A write (create, update, import) hashes the statement rows it inserts or changes, every column
including the policy ones (`owner_agency`, `distribution`, `marking`, `marking_rank`) and `deleted_at`,
each row as RFC 8785 canonical JSON, in order of id: its audit entry carries
`extra.statements = {"ids": [[first, last], ...], "sha256": <hex>}`, and, for a write of at most
`ROW_DIGESTS` rows (any write through the API), `"rows"`: each row's own SHA-256, cut to 8 bytes, so that
verify can name which row changed (the whole hash is what a forger must match; the short ones only
point). `binational audit verify` then reads every statement once, in order of id, recomputes each
entry's hashes from the rows as they now are (a row an entry wrote and a later entry removed is taken as
it was, without its `deleted_at`), and names the first statement that was changed, added without an
entry or deleted without one (of a large import's changed rows, it names the range the import wrote).
"""

from __future__ import annotations

import hashlib
import heapq
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import select
from sqlalchemy.orm import Session

from binational.audit.log import canonical_json
from binational.entities.models import Statement

#: a write of at most this many rows lists each row's short hash in its entry
ROW_DIGESTS = 64
#: every column of a statement, by name
COLUMNS = tuple(column.name for column in Statement.__table__.columns)
TIMES = ("created_at", "deleted_at")


def _time_text(value: datetime) -> str:
    return orjson.dumps(value).decode()[1:-1]


def row_json(row: Mapping[str, Any]) -> bytes:
    """One statement row as canonical JSON; its times in UTC, as orjson writes them (RFC 3339, with
    microseconds unless there are none)."""
    return _encode({name: row.get(name) for name in COLUMNS})


def _encode(plain: dict[str, Any]) -> bytes:
    """`row_json` of a dict holding exactly the columns (its times may be changed to UTC in place)."""
    for name in TIMES:
        value = plain[name]
        if value is not None and value.utcoffset():
            plain[name] = value.astimezone(UTC)
    # A row holds texts, small integers, nulls and times under ASCII keys: orjson writes those byte for
    # byte as RFC 8785 does (log.canonical_json) in a fraction of the time of checking that it may;
    # what it refuses (a lone surrogate) goes the long way, its times written as orjson writes them.
    try:
        return orjson.dumps(plain, option=orjson.OPT_SORT_KEYS)
    except orjson.JSONEncodeError:
        return canonical_json({k: _time_text(v) if isinstance(v, datetime) else v for k, v in plain.items()})


def short_digest(data: bytes) -> str:
    """The first 8 bytes of a row's SHA-256, in hex: enough to point at a changed row."""
    return hashlib.sha256(data).hexdigest()[:16]


def orm_row(statement: Statement) -> dict[str, Any]:
    """The columns of a statement object, as a row."""
    return {name: getattr(statement, name) for name in COLUMNS}


@dataclass
class Written:
    """The statement rows one write wrote, hashed as they come (they must come in order of id)."""

    _hash: Any = field(default_factory=hashlib.sha256)
    _ranges: list[list[int]] = field(default_factory=list)
    _rows: list[str] | None = field(default_factory=list)

    def add(self, rows: Iterable[Mapping[str, Any]]) -> None:
        """Hash rows (each with its `id`), in order of id, after those added before."""
        for row in rows:
            sid = row["id"]
            if self._ranges and sid <= self._ranges[-1][1]:
                raise ValueError(f"statement {sid} written out of order")
            if self._ranges and sid == self._ranges[-1][1] + 1:
                self._ranges[-1][1] = sid
            else:
                self._ranges.append([sid, sid])
            data = row_json(row)
            self._hash.update(data)
            if self._rows is not None:
                self._rows.append(short_digest(data))
                if len(self._rows) > ROW_DIGESTS:
                    self._rows = None

    def extra(self) -> dict[str, Any]:
        """What the write's audit entry carries (in its `extra`), or nothing if it wrote no statement."""
        if not self._ranges:
            return {}
        written: dict[str, Any] = {"ids": [list(r) for r in self._ranges], "sha256": self._hash.hexdigest()}
        if self._rows is not None:
            written["rows"] = self._rows
        return {"statements": written}


@dataclass
class _Entry:
    seq: int
    sha256: str
    ranges: list[tuple[int, int]]
    open_ranges: int
    rows: list[str] | None = None
    hash: Any = field(default_factory=hashlib.sha256)
    seen: int = 0

    def take(self, sid: int, data: bytes) -> str | None:
        """Hash the next row this entry wrote; why it does not match the entry's own hash of it, if so."""
        self.hash.update(data)
        self.seen += 1
        if self.rows is not None and (self.seen > len(self.rows) or short_digest(data) != self.rows[self.seen - 1]):
            return f"statement {sid} no longer matches what entry {self.seq} wrote (changed in the database)"
        return None


@dataclass
class Collector:
    """The writes the audit log names, gathered while `audit.verify` walks it (`entry` is its observer)."""

    entries: list[_Entry] = field(default_factory=list)
    malformed: int | None = None

    def entry(self, seq: int, body: dict[str, Any]) -> None:
        """Note the statements an entry says it wrote."""
        extra = body.get("extra")
        written = extra.get("statements") if isinstance(extra, dict) else None
        if written is None:
            return
        try:
            ranges = [(int(a), int(b)) for a, b in written["ids"]]
            sha = str(written["sha256"])
            rows = [str(r) for r in written["rows"]] if "rows" in written else None
        except (KeyError, TypeError, ValueError):
            ranges, sha, rows = [], "", None
        if not ranges or any(a > b for a, b in ranges):
            if self.malformed is None:
                self.malformed = seq
            return
        self.entries.append(_Entry(seq, sha, ranges, len(ranges), rows))


@dataclass(order=True)
class _Open:
    """A range of ids an entry wrote, while the walk of statements is inside it."""

    last: int
    first: int
    next: int = field(compare=False)
    entry: _Entry = field(compare=False)


def check(session: Session, collected: Collector) -> tuple[int | None, str] | None:
    """Compare the live statements with what the log says was written; return the first statement
    that does not match (its id, or None when an entry is at fault) and why, or None. One pass over
    the statements in order of id, holding only the ranges of ids the pass is inside."""
    if collected.malformed is not None:
        return None, f"entry {collected.malformed} names the statements it wrote in a form that cannot be read"
    starts = sorted(((first, last, e) for e in collected.entries for first, last in e.ranges),
                    key=lambda t: (t[0], t[2].seq))
    # how many entries wrote each id is told by the ranges open at it; a row written by more than one
    # was removed (or changed) by the later ones: the earlier ones wrote it live
    active: list[_Open] = []
    position = 0

    def close_until(sid: int | None) -> tuple[int | None, str] | None:
        while active and (sid is None or active[0].last < sid):
            closing = heapq.heappop(active)
            if closing.next <= closing.last:
                return closing.next, f"statement {closing.next} was deleted without an audit entry " \
                                     f"(entry {closing.entry.seq} wrote it)"
            closing.entry.open_ranges -= 1
            if closing.entry.open_ranges == 0 and closing.entry.hash.hexdigest() != closing.entry.sha256:
                a, b = closing.entry.ranges[0][0], closing.entry.ranges[-1][1]
                which = f"statement {a}" if a == b else f"one of statements {a} to {b}"
                return a, f"{which} no longer matches what entry {closing.entry.seq} wrote (changed in the database)"
        return None

    query = select(*[Statement.__table__.c[name] for name in COLUMNS]).order_by(Statement.id)
    # Core rows, not the ORM's: the walk is linear, and the ORM's bookkeeping per row cost more than it
    for values in session.connection().execute(query.execution_options(yield_per=5000)):
        row = dict(zip(COLUMNS, values, strict=True))
        sid = row["id"]
        while position < len(starts) and starts[position][0] <= sid:
            first, last, entry = starts[position]
            heapq.heappush(active, _Open(last, first, first, entry))
            position += 1
        problem = close_until(sid)  # ranges wholly before this row, some perhaps never met: deleted
        if problem:
            return problem
        covering = active if len(active) < 2 else sorted(active, key=lambda r: r.entry.seq)
        if not covering:
            return sid, f"statement {sid} was written without an audit entry"
        for r in covering:
            if r.next < sid:
                return r.next, f"statement {r.next} was deleted without an audit entry (entry {r.entry.seq} wrote it)"
            r.next = sid + 1
        as_written = _encode({**row, "deleted_at": None}) if len(covering) > 1 else b""
        for r in covering:
            why = r.entry.take(sid, as_written if r is not covering[-1] else _encode(row))
            if why:
                return sid, why
    problem = close_until(None)
    if problem:
        return problem
    if position < len(starts):
        first, _last, entry = starts[position]
        return first, f"statement {first} was deleted without an audit entry (entry {entry.seq} wrote it)"
    return None

"""Rank candidates for a file of traces against a file of acquisition records, without the database
(`binational firearms candidates`): the tracing centre's offline run over a dealer's books."""

from __future__ import annotations

import csv
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

from binational.errors import InvalidInput
from binational.firearms import evidence, serials
from binational.firearms.candidates import Marking, SerialIndex

RECORD_COLUMNS = ("record_id", "manufacturer", "model", "caliber", "weapon_type", "serial")
TRACE_COLUMNS = ("trace_id", "manufacturer", "model", "caliber", "weapon_type", "serial")
OUT_COLUMNS = ("trace_id", "record_id", "rank", "score")
#: optional columns of evidence beyond the markings (`evidence`): a date, a state, a person
RECORD_EVIDENCE = ("sale_date", "dealer_state", "purchaser")
TRACE_EVIDENCE = ("recovered_on", "recovery_state", "possessor")
#: traces ranked together (and read as one batch: see `SerialIndex.rank`)
CHUNK = 5_000


def read_markings(path: Path, columns: tuple[str, ...], *, wildcard: bool,
                  optional: tuple[str, str, str] = ("", "", "")) -> Iterator[Marking]:
    """The markings of a CSV file with (at least) `columns`; the first is the id. A missing column,
    an empty id or serial, or a serial with a character outside the allowed set names the file, the
    line and the field. The `optional` columns (a date, a state, a person), where the file has them,
    give the marking's evidence; a date that is not YYYY-MM-DD names its line and field too."""
    try:
        handle = path.open(encoding="utf-8", newline="")
    except OSError as exc:
        raise InvalidInput(f"{path}: cannot read ({exc.strerror})") from None
    with handle:
        reader = csv.reader(handle)
        try:
            header = next(reader, None)
            if header is None:
                raise InvalidInput(f"{path} line 1: empty file, expected the header {','.join(columns)}")
            header = [h.strip().lstrip("\ufeff") for h in header]
            missing = [c for c in columns if c not in header]
            if missing:
                raise InvalidInput(f"{path} line 1 field {missing[0]}: missing column (expected {','.join(columns)})")
            where = [header.index(c) for c in columns]
            extra = [header.index(c) if c and c in header else -1 for c in optional]
            for row in reader:
                if not any(cell.strip() for cell in row):
                    continue
                line = reader.line_num
                if len(row) < len(header):
                    field = header[len(row)]
                    raise InvalidInput(f"{path} line {line} field {field}: missing value "
                                       f"({len(row)} of {len(header)} columns)")
                values = [row[i].strip() for i in where]
                if not values[0]:
                    raise InvalidInput(f"{path} line {line} field {columns[0]}: empty")
                serial = values[5]
                if not serials.normalise_serial(serial):
                    raise InvalidInput(f"{path} line {line} field serial: empty")
                bad = serials.bad_serial_character(serial, wildcard=wildcard)
                if bad is not None:
                    allowed = "letters, digits, spaces, hyphens" + (" and ?" if wildcard else "")
                    raise InvalidInput(f"{path} line {line} field serial: character {bad!r} not allowed "
                                       f"(only {allowed})")
                more = [row[i].strip() if i >= 0 else "" for i in extra]
                try:
                    evidence.day(more[0])
                except ValueError:
                    raise InvalidInput(f"{path} line {line} field {optional[0]}: {more[0]!r} is not a date "
                                       f"(YYYY-MM-DD)") from None
                yield Marking(*values, *more)
        except UnicodeDecodeError:
            raise InvalidInput(f"{path} line {reader.line_num + 1}: not UTF-8 text") from None
        except csv.Error as exc:
            raise InvalidInput(f"{path} line {reader.line_num}: not valid CSV ({exc})") from None


def write_candidates(records: Path, traces: Path, *, top: int, out: Path,
                     progress: Callable[[int, int], None] | None = None) -> int:
    """Write OUT.csv `trace_id,record_id,rank,score`: at most `top` candidates per trace, rank 1
    best, in the traces' order; return the number of rows written. The traces of the file are
    ranked as batches of `CHUNK` (guns recovered together tell about each other). Bad input in
    either file writes nothing (the file appears only when complete)."""
    if top < 1:
        raise InvalidInput(f"--top must be at least 1, not {top}")
    wanted = list(read_markings(traces, TRACE_COLUMNS, wildcard=True, optional=TRACE_EVIDENCE))
    index = SerialIndex(read_markings(records, RECORD_COLUMNS, wildcard=False, optional=RECORD_EVIDENCE))
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent)
    rows = 0
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(OUT_COLUMNS)
            if progress is not None:
                progress(0, len(wanted))
            for start in range(0, len(wanted), CHUNK):
                chunk = wanted[start:start + CHUNK]
                for trace, found in zip(chunk, index.rank(chunk, top=top), strict=True):
                    for rank, candidate in enumerate(found, start=1):
                        writer.writerow((trace.id, candidate.record_id, rank, f"{candidate.score:.6f}"))
                        rows += 1
                if progress is not None:
                    progress(start + len(chunk), len(wanted))
        os.replace(tmp, out)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return rows

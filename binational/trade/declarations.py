"""Customs import declarations read from CSV, checked before anything uses them.

The columns are those of the customs declaration data sets (Jeong et al. 2022): one row per
declaration, its date, office, parties, goods (HS6 code), countries, tax, mass and value, and, for
inspected declarations, the two labels `Fraud` (0/1) and `Critical Fraud` (0 none, 1 fraud, 2 a
threat to public safety). A file is taken whole or not at all: the first bad line is named with its
field and nothing of the file is used. An HS code whose chapter is not in the Harmonized System is
kept and flagged (`hs_unknown`), not refused.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd

from binational.errors import InvalidInput

#: the columns of a declaration, in the order of the data set's files
COLUMNS = [
    "Declaration ID", "Date", "Office ID", "Process Type", "Import Type", "Import Use", "Payment Type",
    "Mode of Transport", "Declarant ID", "Importer ID", "Seller ID", "Courier ID", "HS6 Code",
    "Country of Departure", "Country of Origin", "Tax Rate", "Tax Type", "Country of Origin Indicator",
    "Net Mass", "Item Price",
]
#: the inspection's outcome, present on inspected (labelled) declarations
LABELS = ["Fraud", "Critical Fraud"]
#: columns that may be empty (no seller named, no courier)
OPTIONAL = {"Seller ID", "Courier ID"}
NUMERIC = ["Tax Rate", "Net Mass", "Item Price"]
#: the longest declaration reference the database keeps (`TradeDeclaration.reference`)
REFERENCE_MAX = 64
#: the Harmonized System's chapters (01-97; 77 is reserved)
HS_CHAPTERS = frozenset(range(1, 98)) - {77}


class DeclarationError(InvalidInput):
    """A declaration file that cannot be used as it is; nothing of it was used."""


def _where(name: str, row: int, column: str, why: str) -> DeclarationError:
    return DeclarationError(f"{name}: line {row + 2}: field {column!r}: {why}",
                            details=[{"line": row + 2, "field": column, "problem": why}])


def check_header(header: list[str], name: str, *, columns: list[str] | None = None, labels: bool | None = None
                 ) -> bool:
    """Refuse a header that is not `columns` (default: COLUMNS), optionally followed by the labels;
    `labels` True requires them, False forbids nothing but ignores them. Whether the labels are there."""
    expected = columns or COLUMNS
    has_labels = header[len(expected):] == LABELS
    body = header[:len(expected)] if has_labels else header
    if body != expected:
        missing = [c for c in expected if c not in body]
        extra = [c for c in body if c not in expected and c not in LABELS]
        if missing:
            raise DeclarationError(f"{name}: header: missing column {missing[0]!r}")
        if extra:
            raise DeclarationError(f"{name}: header: unknown column {extra[0]!r}")
        raise DeclarationError(f"{name}: header: columns out of order; expected {', '.join(expected)}")
    if labels and not has_labels:
        raise DeclarationError(f"{name}: header: missing column {'Fraud'!r} (an inspected file carries "
                               f"{' and '.join(LABELS)})")
    return has_labels


def parse(text: str | bytes, name: str = "declarations", *, columns: list[str] | None = None,
          labels: bool | None = None) -> pd.DataFrame:
    """The declarations of a CSV text, checked: raw text columns kept for identifiers, `date`,
    numeric columns as floats, labels as ints when present, and the flag `hs_unknown`."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise DeclarationError(f"{name}: not UTF-8 text") from None
    if not text.strip():
        raise DeclarationError(f"{name}: empty file (no header)")
    if "\x00" in text:  # the CSV reader would cut the field short at it, silently
        line = text.count("\n", 0, text.index("\x00")) + 1
        raise DeclarationError(f"{name}: line {line}: a NUL character", details=[{"line": line, "problem": "NUL"}])
    try:
        frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, na_filter=False)
    except (pd.errors.ParserError, ValueError) as exc:
        raise DeclarationError(f"{name}: not a CSV file of declarations ({str(exc).splitlines()[0]})") from None
    has_labels = check_header([str(c) for c in frame.columns], name, columns=columns, labels=labels)
    return _check(frame, name, has_labels)


def read(path: Path, *, columns: list[str] | None = None, labels: bool | None = None) -> pd.DataFrame:
    """The declarations of a CSV file (see `parse`)."""
    if not path.is_file():
        raise DeclarationError(f"{path}: no such file")
    return parse(path.read_bytes(), str(path), columns=columns, labels=labels)


def _first(mask: np.ndarray) -> int | None:
    hits = np.flatnonzero(mask)
    return int(hits[0]) if len(hits) else None


def _check(frame: pd.DataFrame, name: str, has_labels: bool) -> pd.DataFrame:
    frame = frame.reset_index(drop=True)
    for column in frame.columns:
        frame[column] = frame[column].str.strip()
    for column in COLUMNS:
        if column in OPTIONAL:
            continue
        row = _first((frame[column] == "").to_numpy())
        if row is not None:
            raise _where(name, row, column, "required, empty")
    dates = pd.to_datetime(frame["Date"], format="%Y-%m-%d", errors="coerce")
    row = _first(dates.isna().to_numpy())
    if row is not None:
        raise _where(name, row, "Date", f"{frame['Date'][row]!r} is not a date (YYYY-MM-DD)")
    for column in NUMERIC:
        values = pd.to_numeric(frame[column], errors="coerce")
        bad = values.isna().to_numpy() | ~np.isfinite(values.to_numpy(dtype=float, na_value=np.nan))
        row = _first(bad)
        if row is not None:
            raise _where(name, row, column, f"{frame[column][row]!r} is not a number")
        row = _first((values < 0).to_numpy())
        if row is not None:
            raise _where(name, row, column, f"{frame[column][row]} is negative")
        frame["num_" + column] = values.astype(float)
    hs = frame["HS6 Code"]
    row = _first(~hs.str.fullmatch(r"\d{5,6}").to_numpy(dtype=bool))
    if row is not None:
        raise _where(name, row, "HS6 Code", f"{hs[row]!r} is not an HS6 code (six digits)")
    hs = hs.str.zfill(6)
    frame["HS6 Code"] = hs
    frame["hs_unknown"] = ~hs.str[:2].astype(int).isin(HS_CHAPTERS)
    ids = frame["Declaration ID"]
    row = _first((ids.str.len() > REFERENCE_MAX).to_numpy())
    if row is not None:
        raise _where(name, row, "Declaration ID", f"longer than {REFERENCE_MAX} characters")
    row = _first(ids.str.contains(r"[\x00-\x1f\x7f]", regex=True).to_numpy(dtype=bool))
    if row is not None:
        raise _where(name, row, "Declaration ID", "holds a control character")
    row = _first(ids.duplicated().to_numpy())
    if row is not None:
        raise _where(name, row, "Declaration ID", f"{frame['Declaration ID'][row]!r} appears twice")
    if has_labels:
        fraud = frame["Fraud"]
        row = _first(~fraud.isin(["0", "1"]).to_numpy())
        if row is not None:
            raise _where(name, row, "Fraud", f"{fraud[row]!r} is not 0 or 1")
        critical = frame["Critical Fraud"]
        row = _first(~critical.isin(["0", "1", "2"]).to_numpy())
        if row is not None:
            raise _where(name, row, "Critical Fraud", f"{critical[row]!r} is not 0, 1 or 2")
        row = _first(((fraud == "0") != (critical == "0")).to_numpy())
        if row is not None:
            raise _where(name, row, "Critical Fraud", "contradicts Fraud (fraud is exactly Critical Fraud 1 or 2)")
        frame["Fraud"] = fraud.astype(int)
        frame["Critical Fraud"] = critical.astype(int)
    frame["date"] = dates
    return frame.sort_values("date", kind="stable").reset_index(drop=True)

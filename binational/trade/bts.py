"""BTS TransBorder Freight raw files: tables 1-3 with their code tables, checked, stored and summed.

Table 1 is US state × port, table 2 US state × commodity, table 3 port × commodity; each row is one
month's value (USD), shipping weight (kg) and freight charges of exports (`TRDTYPE` 1) or imports (2)
by one mode of transport with Canada (`COUNTRY` 1220) or Mexico (2010). The code tables (trade type,
mode, port, US state, Mexican state, Canadian province, country, commodity) are read from a folder of
CSV files, one per sheet of the BTS code workbook. A file whose header differs from its table's, or
a row with an unknown code, a number that is not a whole non-negative number or a month out of range,
is refused naming its line and field, and nothing of the batch is stored. Importing a month again
replaces that month's rows of that table: the import is idempotent.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from binational.errors import InvalidInput

HEADERS = {
    1: ["TRDTYPE", "USASTATE", "DEPE", "DISAGMOT", "MEXSTATE", "CANPROV", "COUNTRY", "VALUE", "SHIPWT",
        "FREIGHT_CHARGES", "DF", "CONTCODE", "MONTH", "YEAR"],
    2: ["TRDTYPE", "USASTATE", "COMMODITY2", "DISAGMOT", "MEXSTATE", "CANPROV", "COUNTRY", "VALUE", "SHIPWT",
        "FREIGHT_CHARGES", "DF", "CONTCODE", "MONTH", "YEAR"],
    3: ["TRDTYPE", "DEPE", "COMMODITY2", "DISAGMOT", "COUNTRY", "VALUE", "SHIPWT", "FREIGHT_CHARGES", "DF",
        "CONTCODE", "MONTH", "YEAR"],
}
CODE_FILES = {"trade_type": "trade_type.csv", "mode": "mode_of_transportation.csv", "port": "port.csv",
              "us_state": "us_state.csv", "mexican_state": "mexican_state.csv",
              "canadian_province": "canadian_province.csv", "country": "country.csv",
              "commodity": "commodity_classification.csv"}
#: which code table checks which column
#: (a port only by its form, NNNN or a district NNXX: the published port table misses some of each)
CHECKED = {"TRDTYPE": "trade_type", "DISAGMOT": "mode", "DEPE": "port", "USASTATE": "us_state",
           "COUNTRY": "country", "COMMODITY2": "commodity"}
NUMBERS = ("VALUE", "SHIPWT", "FREIGHT_CHARGES")
MEXICO, CANADA = "2010", "1220"


class FlowError(InvalidInput):
    """A TransBorder file or code table that cannot be used; nothing of the batch was stored."""


@dataclass
class Codes:
    """The code tables: per kind, code -> name."""

    tables: dict[str, dict[str, str]]

    def name(self, kind: str, code: str) -> str:
        """The name of a code; a port missing from the table by its district's name and its code."""
        code = _norm(kind, code)
        if code in self.tables[kind]:
            return self.tables[kind][code]
        if kind == "port" and code[:2] + "XX" in self.tables[kind]:
            return f"{self.tables[kind][code[:2] + 'XX']} ({code})"
        return code


def _norm(kind: str, code: str) -> str:
    """Codes as the raw files write them: commodities on two digits, ports on four."""
    code = code.strip()
    if kind == "commodity" and code.isdigit():
        return code.zfill(2)
    return code


def read_codes(folder: Path) -> Codes:
    """The eight code tables of `folder`; a missing table or an empty one is refused."""
    tables: dict[str, dict[str, str]] = {}
    for kind, file in CODE_FILES.items():
        path = folder / file
        if not path.is_file():
            raise FlowError(f"{path}: code table missing")
        rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
        if len(rows) < 2:
            raise FlowError(f"{path}: no codes")
        table: dict[str, str] = {}
        for row in rows[1:]:
            if kind == "port":  # District code, Port code, Port name: a district (01XX) stands for its ports
                if len(row) >= 3 and (row[1].strip() or row[0].strip()):
                    table[row[1].strip() or row[0].strip()] = row[2].strip()
            elif len(row) >= 2 and row[0].strip():
                table[_norm(kind, row[0])] = row[1].strip()
        tables[kind] = table
    return Codes(tables)


def read_table(path: Path, table: int, codes: Codes) -> pd.DataFrame:
    """One raw TransBorder file of `table` (1, 2 or 3), checked against the code tables."""
    if not path.is_file():
        raise FlowError(f"{path}: no such file")
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError:
        raise FlowError(f"{path}: not UTF-8 text") from None
    frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    header = [str(c) for c in frame.columns]
    if header != HEADERS[table]:
        missing = [c for c in HEADERS[table] if c not in header]
        extra = [c for c in header if c not in HEADERS[table]]
        what = (f"missing column {missing[0]!r}" if missing else f"unknown column {extra[0]!r}" if extra
                else "columns out of order")
        raise FlowError(f"{path}: header: {what} (table {table} is {','.join(HEADERS[table])})")
    for column in frame.columns:
        frame[column] = frame[column].str.strip()
    for column, kind in CHECKED.items():
        if column not in frame.columns:
            continue
        values = frame[column].map(lambda v, k=kind: _norm(k, v))
        if kind == "port":  # the code table lacks some ports and districts: kept, named by their code
            unknown = ~values.str.fullmatch(r"\d{2}(\d{2}|XX)")
        else:
            unknown = ~values.isin(codes.tables[kind].keys())
        if unknown.any():
            row = int(unknown.to_numpy().nonzero()[0][0])
            raise FlowError(f"{path}: line {row + 2}: field {column!r}: unknown {kind.replace('_', ' ')} code "
                            f"{frame[column][row]!r}")
        frame[column] = values
    for column in NUMBERS:
        bad = ~frame[column].str.fullmatch(r"\d+")
        if bad.any():
            row = int(bad.to_numpy().nonzero()[0][0])
            raise FlowError(f"{path}: line {row + 2}: field {column!r}: {frame[column][row]!r} is not a whole "
                            "non-negative number")
        frame[column] = frame[column].astype("int64")
    for column, low, high in (("MONTH", 1, 12), ("YEAR", 1990, 2100)):
        numbers = pd.to_numeric(frame[column], errors="coerce")
        bad = numbers.isna() | (numbers < low) | (numbers > high)
        if bad.any():
            row = int(bad.to_numpy().nonzero()[0][0])
            raise FlowError(f"{path}: line {row + 2}: field {column!r}: {frame[column][row]!r} is not a "
                            f"{column.lower()} ({low}-{high})")
        frame[column] = numbers.astype(int)
    return frame

"""The public formats the flows importer reads, detected by their header, every row validated.

Each reader turns a file into monthly series: one per indicator and value of each dimension the
format carries (and a total), summed over the other dimensions. A file with a missing or renamed
column, a count that is not a number, an unknown month, two fiscal years in one row or a truncated
row raises `BadFile`, naming the file, line and column: nothing of that file is imported.

Formats (docs/flows.md):

- `cbp-encounters`: CBP's Nationwide / Southwest Land Border Encounters (Fiscal Year, possibly
  "2025 (FYTD)", Month (abbv), Component, Land Border Region, Area of Responsibility or State,
  Demographic, Citizenship, Title of Authority, Encounter Type, Encounter Count);
- `cbp-drug-seizures`: CBP's Drug Seizure Statistics (FY, Month (abbv), Component, Region, Land Filter,
  Area of Responsibility, Drug Type, Count of Event, Sum Qty (lbs));
- `bts-crossings`: BTS Border Crossing Entry Data (Port Name, State, Port Code, Border, Date, Measure,
  Value, Latitude, Longitude);
- `port-mode-crossings`: monthly northbound crossings by port and mode (ID, Year, Month, Region, POE,
  Crossing, Modes, Northbound Crossing);
- `mx-events`: the layout of our own for Mexican agencies' records (Dependencia, Mes, Indicador,
  Entidad, Punto, Nacionalidad, Categoria, Cantidad, Unidad);
- `long`: `series_id,month,value` with month `YYYY-MM`.
"""

from __future__ import annotations

import csv
import io
import re
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from binational.errors import InvalidInput
from binational.flows.forecasting import month_index

MONTHS = {
    name: i
    for i, name in enumerate(("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"))
}
#: the longest text accepted in any cell (names of places and series are short)
MAX_CELL = 200


class BadFile(InvalidInput):
    """A file the importer refuses, naming where; nothing of it is imported."""

    code = "invalid_file"


@dataclass(frozen=True)
class SeriesInfo:
    """What a series counts and how it is cut: indicator, dimension and its member, unit, place."""

    indicator: str
    dimension: str
    member: str
    unit: str
    source: str
    public: bool
    latitude: float | None = None
    longitude: float | None = None


@dataclass
class Parsed:
    """A file read: its format, its series and their monthly values, and how many rows it had."""

    format: str
    rows: int = 0
    series: dict[str, SeriesInfo] = field(default_factory=dict)
    values: dict[tuple[str, int], float] = field(default_factory=lambda: defaultdict(float))


def normal(header: str) -> str:
    """A column name as the readers know it: lower case, runs of other characters as `_`."""
    return re.sub(r"[^a-z0-9]+", "_", header.strip().lstrip("\ufeff").lower()).strip("_")


@dataclass(frozen=True)
class Format:
    """A format: its name, the columns it needs, and the reader of its rows."""

    name: str
    required: tuple[str, ...]
    read: Callable[[Reader], None]
    #: alternatives: at least one of each group must be present
    either: tuple[tuple[str, ...], ...] = ()
    #: the country whose official sources publish the format's public statistics ('' when it makes none)
    country: str = ""


class Reader:
    """Rows of one file, with the position and the error helpers its format's reader uses."""

    def __init__(self, name: str, text: str, header: list[str], rows: Iterator[list[str]], parsed: Parsed) -> None:
        self.name = name
        self.header = header
        self.index = {normal(h): i for i, h in enumerate(header)}
        self._rows = rows
        self.parsed = parsed
        self.line = 1
        self._ids: dict[tuple[str, str, str], str] = {}

    def fail(self, column: str | None, problem: str) -> BadFile:
        """The refusal naming this file, line and (header spelling of) column."""
        where = f"{self.name} line {self.line}"
        if column is not None:
            where += f" column {self.header[self.index[column]]!r}" if column in self.index else f" column {column!r}"
        return BadFile(
            f"{where}: {problem}; nothing imported",
            details=[{"file": self.name, "line": self.line, "column": column, "problem": problem}],
        )

    def rows(self) -> Iterator[list[str]]:
        """Every data row, checked for its number of fields and the length of its cells."""
        width = len(self.header)
        reader = self._rows
        while True:
            try:
                row = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                raise self.fail(None, f"not valid CSV ({exc}); is the file truncated?") from None
            self.line += 1
            if not row or row == [""]:
                continue
            if len(row) != width:
                raise self.fail(
                    None,
                    f"{len(row)} fields where the header has {width}"
                    + ("; is the file truncated?" if len(row) < width else ""),
                )
            for cell in row:
                if len(cell) > MAX_CELL:
                    raise self.fail(None, f"a value longer than {MAX_CELL} characters")
            self.parsed.rows += 1
            yield row

    def number(self, row: list[str], column: str) -> float:
        """A count or quantity: digits, commas between thousands, a decimal point; not negative."""
        text = row[self.index[column]].strip().replace(",", "")
        try:
            value = float(text)
        except ValueError:
            raise self.fail(column, f"{text!r} is not a number") from None
        if not value >= 0 or value == float("inf"):
            raise self.fail(column, f"{text!r} is not a count (negative or infinite)")
        return value

    def text(self, row: list[str], column: str) -> str:
        """A non-empty label."""
        value = row[self.index[column]].strip()
        if not value or any(ord(c) < 32 for c in value):
            raise self.fail(column, "empty or with control characters")
        return value

    def add(
        self,
        indicator: str,
        unit: str,
        month: int,
        value: float,
        cuts: list[tuple[str, str]],
        *,
        public: bool,
        where: tuple[float, float] | None = None,
    ) -> None:
        """Add `value` to the indicator's total and to each (dimension, member) series."""
        for dimension, member in (("total", ""), *cuts):
            key = (indicator, dimension, member)
            series_id = self._ids.get(key)
            if series_id is None:
                series_id = f"{indicator}/{dimension}/{member}" if member else f"{indicator}/{dimension}"
                self._ids[key] = series_id
                lat, lon = where if where and dimension in ("port", "crossing") else (None, None)
                self.parsed.series[series_id] = SeriesInfo(
                    indicator, dimension, member, unit, self.parsed.format, public, lat, lon
                )
            self.parsed.values[(series_id, month)] += value


def fiscal_year(reader: Reader, row: list[str], column: str, cache: dict[str, int]) -> int:
    """`2024`, `FY2024`, `FY24` or `2025 (FYTD)` as a year."""
    raw = row[reader.index[column]]
    year = cache.get(raw)
    if year is None:
        match = re.fullmatch(r"\s*(?:FY\s*)?(\d{4}|\d{2})\s*(?:\(\s*FYTD\s*\))?\s*", raw, re.IGNORECASE)
        if not match:
            raise reader.fail(column, f"{raw!r} is not a fiscal year")
        year = int(match.group(1))
        year = year + 2000 if year < 100 else year
        if not 1990 <= year <= 2100:
            raise reader.fail(column, f"{raw!r} is not a fiscal year")
        cache[raw] = year
    return year


def fiscal_month(reader: Reader, row: list[str], fy: int, column: str) -> int:
    """The calendar month of a month abbreviation in fiscal year `fy` (October opens the year)."""
    raw = row[reader.index[column]].strip().upper()[:3]
    month = MONTHS.get(raw)
    if month is None:
        raise reader.fail(column, f"{row[reader.index[column]]!r} is not a month")
    return (fy - 1 if month >= 9 else fy) * 12 + month


def _grouping_year(reader: Reader, row: list[str], fy: int) -> None:
    """A `Month Grouping` naming a fiscal year must name the row's."""
    if "month_grouping" in reader.index:
        raw = row[reader.index["month_grouping"]]
        match = re.search(r"(\d{4})", raw)
        if match and int(match.group(1)) != fy:
            raise reader.fail(
                "month_grouping", f"{raw!r} names another fiscal year than {fy}: two fiscal years in one row"
            )


def read_encounters(reader: Reader) -> None:
    years: dict[str, int] = {}
    place = "area_of_responsibility" if "area_of_responsibility" in reader.index else "state"
    dims = (
        ("component", "component"),
        ("land_border_region", "region"),
        (place, "aor" if place != "state" else "state"),
        ("demographic", "demographic"),
        ("citizenship", "citizenship"),
        ("title_of_authority", "authority"),
        ("encounter_type", "encounter_type"),
    )
    for row in reader.rows():
        fy = fiscal_year(reader, row, "fiscal_year", years)
        _grouping_year(reader, row, fy)
        month = fiscal_month(reader, row, fy, "month_abbv")
        count = reader.number(row, "encounter_count")
        reader.add(
            "us-cbp-encounters",
            "encounters",
            month,
            count,
            [(name, reader.text(row, col)) for col, name in dims],
            public=True,
        )


def read_seizures(reader: Reader) -> None:
    years: dict[str, int] = {}
    dims = (
        ("component", "component"),
        ("region", "region"),
        ("land_filter", "land_filter"),
        ("area_of_responsibility", "aor"),
        ("drug_type", "drug"),
    )
    for row in reader.rows():
        fy = fiscal_year(reader, row, "fy", years)
        month = fiscal_month(reader, row, fy, "month_abbv")
        events = reader.number(row, "count_of_event")
        pounds = reader.number(row, "sum_qty_lbs")
        cuts = [(name, reader.text(row, col).rstrip("*").strip() or reader.text(row, col)) for col, name in dims]
        reader.add("us-cbp-drug-seizures", "events", month, events, cuts, public=True)
        reader.add("us-cbp-drug-seizure-weight", "lbs", month, pounds, cuts, public=True)


_BTS_DATE = (
    (re.compile(r"([A-Za-z]{3})[a-z]*[ -](\d{4})"), lambda m: int(m[2]) * 12 + MONTHS.get(m[1].upper(), -99)),
    (re.compile(r"(\d{1,2})/\d{1,2}/(\d{4})(?: .*)?"), lambda m: int(m[2]) * 12 + int(m[1]) - 1),
    (re.compile(r"(\d{4})-(\d{2})(?:-\d{2}(?:T.*)?)?"), lambda m: int(m[1]) * 12 + int(m[2]) - 1),
)


def _bts_month(reader: Reader, row: list[str], cache: dict[str, int]) -> int:
    raw = row[reader.index["date"]]
    month = cache.get(raw)
    if month is None:
        for pattern, value in _BTS_DATE:
            match = pattern.fullmatch(raw.strip())
            if match:
                month = value(match)
                break
        if (
            month is None
            or not 1990 * 12 <= month < 2100 * 12
            or (match and pattern is _BTS_DATE[1][0] and not 1 <= int(match[1]) <= 12)
        ):
            raise reader.fail("date", f"{raw!r} is not a month")
        cache[raw] = month
    return month


def _coordinate(reader: Reader, row: list[str], column: str, bound: float) -> float | None:
    raw = row[reader.index[column]].strip() if column in reader.index else ""
    if not raw:
        return None
    try:
        value = float(raw)
    except ValueError:
        raise reader.fail(column, f"{raw!r} is not a coordinate") from None
    if not -bound <= value <= bound:
        raise reader.fail(column, f"{raw!r} is not a coordinate")
    return value


def read_bts(reader: Reader) -> None:
    dates: dict[str, int] = {}
    for row in reader.rows():
        month = _bts_month(reader, row, dates)
        value = reader.number(row, "value")
        measure = reader.text(row, "measure")
        port = f"{reader.text(row, 'port_name')} ({reader.text(row, 'port_code')})"
        lat, lon = _coordinate(reader, row, "latitude", 90), _coordinate(reader, row, "longitude", 180)
        slug = re.sub(r"[^a-z0-9]+", "-", measure.lower()).strip("-")
        reader.add(
            f"bts-crossings-{slug}",
            measure,
            month,
            value,
            [("port", port), ("state", reader.text(row, "state")), ("border", reader.text(row, "border"))],
            public=True,
            where=(lat, lon) if lat is not None and lon is not None else None,
        )


def read_port_modes(reader: Reader) -> None:
    for row in reader.rows():
        year, month_no = row[reader.index["year"]].strip(), row[reader.index["month"]].strip()
        if not (year.isdigit() and 1990 <= int(year) <= 2100):
            raise reader.fail("year", f"{year!r} is not a year")
        if not (month_no.isdigit() and 1 <= int(month_no) <= 12):
            raise reader.fail("month", f"{month_no!r} is not a month")
        ident = row[reader.index["id"]].strip()
        if "id" in reader.index and ident[:4].isdigit() and not ident.startswith(f"{year}-{int(month_no):02d}-"):
            raise reader.fail("id", f"{ident!r} names another month than {year}-{int(month_no):02d}")
        value = reader.number(row, "northbound_crossing")
        mode = reader.text(row, "modes")
        slug = re.sub(r"[^a-z0-9]+", "-", mode.lower()).strip("-")
        reader.add(
            f"crossings-{slug}",
            mode,
            int(year) * 12 + int(month_no) - 1,
            value,
            [
                ("crossing", f"{reader.text(row, 'poe')} – {reader.text(row, 'crossing')}"),
                ("port", reader.text(row, "poe")),
                ("region", reader.text(row, "region")),
            ],
            public=True,
        )


def _month(reader: Reader, row: list[str], column: str, cache: dict[str, int]) -> int:
    raw = row[reader.index[column]]
    month = cache.get(raw)
    if month is None:
        try:
            month = month_index(raw.strip())
        except ValueError:
            raise reader.fail(column, f"{raw!r} is not a month (YYYY-MM)") from None
        cache[raw] = month
    return month


MX_INDICATORS = {
    "eventos": ("mx-events", "eventos"),
    "aseguramientos": ("mx-seizures", "eventos"),
    "cantidad_asegurada": ("mx-seizure-weight", "kg"),
}


def read_mx(reader: Reader) -> None:
    months: dict[str, int] = {}
    for row in reader.rows():
        month = _month(reader, row, "mes", months)
        agency = reader.text(row, "dependencia").upper()
        if not re.fullmatch(r"MX-[A-Z0-9]{2,16}", agency):
            raise reader.fail("dependencia", f"{agency!r} is not a Mexican agency code (MX-...)")
        kind = normal(reader.text(row, "indicador"))
        if kind not in MX_INDICATORS:
            raise reader.fail("indicador", f"{kind!r} is not one of {', '.join(MX_INDICATORS)}")
        indicator, unit = MX_INDICATORS[kind]
        cuts = [("agency", agency), ("state", reader.text(row, "entidad"))]
        for column, name in (("punto", "port"), ("nacionalidad", "citizenship"), ("categoria", "category")):
            value = row[reader.index[column]].strip()
            if value:
                cuts.append((name, value))
        reader.add(
            indicator,
            row[reader.index["unidad"]].strip() or unit,
            month,
            reader.number(row, "cantidad"),
            cuts,
            public=False,
        )


def read_long(reader: Reader) -> None:
    months: dict[str, int] = {}
    for row in reader.rows():
        series_id = reader.text(row, "series_id")
        month = _month(reader, row, "month", months)
        key = (series_id, month)
        if key in reader.parsed.values:
            raise reader.fail("month", f"a second value for {series_id} in {row[reader.index['month']]}")
        if series_id not in reader.parsed.series:
            reader.parsed.series[series_id] = SeriesInfo(series_id, "total", "", "", "long", False)
        reader.parsed.values[key] = reader.number(row, "value")


FORMATS = (
    Format(
        "cbp-encounters",
        (
            "fiscal_year",
            "month_abbv",
            "component",
            "land_border_region",
            "demographic",
            "citizenship",
            "title_of_authority",
            "encounter_type",
            "encounter_count",
        ),
        read_encounters,
        either=(("area_of_responsibility", "state"),),
        country="US",
    ),
    Format(
        "cbp-drug-seizures",
        (
            "fy",
            "month_abbv",
            "component",
            "region",
            "land_filter",
            "area_of_responsibility",
            "drug_type",
            "count_of_event",
            "sum_qty_lbs",
        ),
        read_seizures,
        country="US",
    ),
    Format("bts-crossings", ("port_name", "state", "port_code", "border", "date", "measure", "value"), read_bts,
           country="US"),
    Format(
        "port-mode-crossings",
        ("id", "year", "month", "region", "poe", "crossing", "modes", "northbound_crossing"),
        read_port_modes,
        country="US",
    ),
    Format(
        "mx-events",
        ("dependencia", "mes", "indicador", "entidad", "punto", "nacionalidad", "categoria", "cantidad", "unidad"),
        read_mx,
    ),
    Format("long", ("series_id", "month", "value"), read_long),
)


def source_country(name: str) -> str:
    """The country whose official sources publish format `name`'s public statistics ('' for none)."""
    return next(f.country for f in FORMATS if f.name == name)


def detect(name: str, header: list[str]) -> Format:
    """The format whose columns the header holds; BadFile naming the first missing column of the
    closest format when none fits."""
    have = {normal(h) for h in header}
    dupes = sorted({normal(h) for h in header if sum(normal(x) == normal(h) for x in header) > 1})
    if dupes:
        raise BadFile(f"{name} line 1: column {dupes[0]!r} appears twice; nothing imported")

    def missing(fmt: Format) -> list[str]:
        out = [c for c in fmt.required if c not in have]
        out += [" or ".join(group) for group in fmt.either if not have.intersection(group)]
        return out

    best = min(FORMATS, key=lambda f: (len(missing(f)) / (len(f.required) + len(f.either)), f.name))
    gaps = missing(best)
    if not gaps:
        return best
    if len(gaps) * 2 > len(best.required):
        raise BadFile(
            f"{name} line 1: the header is none of the known formats "
            f"({', '.join(f.name for f in FORMATS)}); nothing imported"
        )
    raise BadFile(
        f"{name} line 1: the {best.name} header lacks column {gaps[0]!r} (missing or renamed); nothing imported",
        details=[{"file": name, "line": 1, "column": gaps[0], "problem": "missing column"}],
    )


def parse(name: str, data: bytes) -> Parsed:
    """Read a whole file (bytes, UTF-8 with or without a BOM) into its series; BadFile if anything is wrong."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise BadFile(f"{name}: not UTF-8 text (byte {exc.start}); nothing imported") from None
    if "\x00" in text:
        raise BadFile(f"{name}: a NUL character; nothing imported")
    rows = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(rows)
    except (StopIteration, csv.Error):
        raise BadFile(f"{name}: empty file; nothing imported") from None
    fmt = detect(name, header)
    parsed = Parsed(format=fmt.name)
    reader = Reader(name, text, header, rows, parsed)
    fmt.read(reader)
    if not parsed.rows:
        raise BadFile(f"{name}: a header and no rows; nothing imported")
    if not text.endswith(("\n", "\r")):
        # a file cut mid-row can still split into whole fields: the missing line end tells
        raise BadFile(f"{name} line {reader.line}: the last line has no end; is the file truncated? nothing imported")
    return parsed

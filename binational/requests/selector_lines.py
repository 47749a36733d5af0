"""Selectors written as CSV lines, as the discovery page and `binational discovery check` take them:
`type,value[,birth_date][,country]`, with or without the header line `type,value,birth_date,country`
(with a header, columns may come in any order). Blank lines are skipped; each line keeps its number
in the text, so that an error or a result names the line the user wrote.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from binational.errors import InvalidInput
from binational.requests import discovery

COLUMNS = ("type", "value", "birth_date", "country")


@dataclass
class Line:
    """One selector as typed, with the line of the text or file it came from."""

    number: int
    selector: dict[str, str | None]


def read_lines(text: str) -> tuple[list[Line], list[tuple[int, str]]]:
    """The selectors of CSV text (header optional) and the errors per line (line number, English message).

    Raises `csv.Error` for text that is not CSV at all (a NUL byte, an unclosed quote at the end)."""
    reader = csv.reader(io.StringIO(text))
    columns: tuple[str, ...] = COLUMNS
    lines: list[Line] = []
    errors: list[tuple[int, str]] = []
    first = True
    for row in reader:
        cells = [c.strip() for c in row]
        if not any(cells):
            continue
        if first and {"type", "value"} <= {c.lower() for c in cells}:
            columns = tuple(c.lower() for c in cells)
            first = False
            continue
        first = False
        selector: dict[str, str | None] = {c: None for c in COLUMNS}
        for name, cell in zip(columns, cells, strict=False):
            if name in selector:
                selector[name] = cell or None
        try:
            discovery.parse([selector])
        except InvalidInput as exc:
            errors.append((reader.line_num, exc.message.removeprefix("selector 0: ")))
            continue
        lines.append(Line(reader.line_num, selector))
    return lines, errors

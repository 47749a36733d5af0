"""Outside networks: a plain CSV edge list `source,target[,weight]`, header optional."""

from __future__ import annotations

import csv
import io
import math

from binational.errors import InvalidInput
from binational.networks.engine import Simple

HEADER_WORDS = {"source", "target", "from", "to", "src", "dst", "weight", "u", "v", "node1", "node2"}


def parse(text: str, *, name: str = "edges") -> tuple[list[str], Simple]:
    """Node ids as given (in order of first appearance) and the graph; a bad line names its number."""
    labels: dict[str, int] = {}
    pairs: list[tuple[int, int, float]] = []
    for number, row in enumerate(csv.reader(io.StringIO(text)), start=1):
        if not row or (len(row) == 1 and not row[0].strip()) or row[0].lstrip().startswith("#"):
            continue
        cells = [c.strip() for c in row]
        if number == 1 and {c.lower() for c in cells[:2]} <= HEADER_WORDS:
            continue
        if len(cells) not in (2, 3) or not cells[0] or not cells[1]:
            raise InvalidInput(f"{name} line {number}: expected source,target[,weight], got {len(cells)} field(s)",
                               details=[{"line": number}])
        weight = 1.0
        if len(cells) == 3 and cells[2]:
            try:
                weight = float(cells[2])
            except ValueError:
                raise InvalidInput(f"{name} line {number}: weight {cells[2]!r} is not a number",
                                   details=[{"line": number, "field": "weight"}]) from None
            if not math.isfinite(weight) or weight <= 0:
                raise InvalidInput(f"{name} line {number}: weight must be a positive number",
                                   details=[{"line": number, "field": "weight"}])
        u = labels.setdefault(cells[0], len(labels))
        v = labels.setdefault(cells[1], len(labels))
        pairs.append((u, v, weight))
    if not labels:
        raise InvalidInput(f"{name}: no edges")
    return list(labels), Simple.build(len(labels), pairs)

"""Link two files of FtM entities against each other, without the database (screening a list)."""

from __future__ import annotations

import json
from pathlib import Path

from binational.errors import InvalidInput
from binational.resolution.engine import get_engine
from binational.resolution.features import Record, rows_by_kind
from binational.resolution.splink_model import load

LEFT, RIGHT = "left", "right"


def read(path: Path, side: str) -> list[Record]:
    """The entities of a JSON-lines file; a bad line names the file and line, and nothing is linked."""
    out = []
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise InvalidInput(f"{path}: not UTF-8 text") from None
    for n, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InvalidInput(f"{path} line {n}: not valid JSON ({exc.msg})") from None
        if not isinstance(data, dict) or not isinstance(data.get("id"), str) or not isinstance(data.get("schema"), str):
            raise InvalidInput(f"{path} line {n}: an entity needs a string `id` and `schema`")
        props = data.get("properties") or {}
        if not isinstance(props, dict) or not all(isinstance(v, list) for v in props.values()):
            raise InvalidInput(f"{path} line {n}: `properties` maps names to lists of values")
        out.append(Record(f"{side}:{data['id']}", data["schema"], side,
                          {k: [str(x) for x in v] for k, v in props.items()}))
    return out


def link(left: Path, right: Path, *, engine: str = "duckdb", threshold: float | None = None
         ) -> list[tuple[str, str, float, str]]:
    """(left_id, right_id, score, decision) for every candidate pair across the files, over every
    kind present in both; decision is `match` at or above the threshold, else `review`."""
    records = read(left, LEFT) + read(right, RIGHT)
    chosen = get_engine(engine)
    out: list[tuple[str, str, float, str]] = []
    for kind, rows in rows_by_kind(records).items():
        if {r["source_dataset"] for r in rows} != {LEFT, RIGHT}:
            continue
        model = load(kind)
        cut = model.thresholds["match_probability"] if threshold is None else threshold
        for pair in chosen.link(rows, model).pairs:
            if pair.left_agency == pair.right_agency or pair.probability < model.thresholds["review_probability"]:
                continue
            a, b = (pair.left_id, pair.right_id) if pair.left_agency == LEFT else (pair.right_id, pair.left_id)
            out.append((a.split(":", 1)[1], b.split(":", 1)[1], round(pair.probability, 6),
                        "match" if pair.probability >= cut else "review"))
    if not out and not records:
        raise InvalidInput("both files are empty: nothing to link")
    return sorted(out, key=lambda r: (-r[2], r[0], r[1]))

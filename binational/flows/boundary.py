"""The border map's outlines: the United States (lower 48) and Mexico, and the land border between them.

`data/border-110m.geojson` is made from Natural Earth's 1:110m countries (public domain; the TopoJSON
of the world-atlas packages) by `python -m binational.flows.boundary COUNTRIES-110M.JSON`: the two
countries' rings inside the map's box, and the border as the arcs the two countries share, coordinates
rounded to 0.01°, a few KB.
"""

from __future__ import annotations

import json
import sys
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

#: ISO 3166-1 numeric ids of the two countries in Natural Earth's TopoJSON
COUNTRIES = {"840": "US", "484": "MX"}
#: the map's box (west, south, east, north): Alaska and Hawaii stay out
BOX = (-125.0, 14.0, -66.0, 50.0)


def _arcs(topology: dict[str, Any]) -> list[list[tuple[float, float]]]:
    """The topology's arcs as lon/lat points (quantized arcs are delta-encoded integers)."""
    transform = topology.get("transform")
    out = []
    for arc in topology["arcs"]:
        points, x, y = [], 0, 0
        for position in arc:
            if transform:
                x, y = x + position[0], y + position[1]
                (sx, sy), (tx, ty) = transform["scale"], transform["translate"]
                points.append((x * sx + tx, y * sy + ty))
            else:
                points.append((position[0], position[1]))
        out.append(points)
    return out


def _ring(arcs: list[list[tuple[float, float]]], indexes: list[int]) -> list[tuple[float, float]]:
    ring: list[tuple[float, float]] = []
    for index in indexes:
        points = arcs[index] if index >= 0 else arcs[~index][::-1]  # ~i: arc i reversed
        ring.extend(points if not ring else points[1:])
    return ring


def _inside(ring: list[tuple[float, float]]) -> bool:
    west, south, east, north = BOX
    return all(west <= x <= east and south <= y <= north for x, y in ring)


def _round(points: list[tuple[float, float]]) -> list[list[float]]:
    out: list[list[float]] = []
    for x, y in points:
        point = [round(x, 2), round(y, 2)]
        if not out or out[-1] != point:
            out.append(point)
    return out


def build(topology: dict[str, Any]) -> dict[str, Any]:
    """The GeoJSON of the two countries and their shared border, from Natural Earth's TopoJSON."""
    arcs = _arcs(topology)
    features: list[dict[str, Any]] = []
    used: dict[str, set[int]] = {}
    for geometry in topology["objects"]["countries"]["geometries"]:
        code = COUNTRIES.get(str(geometry.get("id")))
        if code is None:
            continue
        polygons = geometry["arcs"] if geometry["type"] == "MultiPolygon" else [geometry["arcs"]]
        kept = []
        for polygon in polygons:
            rings = [_ring(arcs, ring) for ring in polygon]
            if rings and _inside(rings[0]):
                kept.append([_round(r) for r in rings])
                used[code] = used.get(code, set()) | {i if i >= 0 else ~i for ring in polygon for i in ring}
        features.append({"type": "Feature", "properties": {"country": code, "kind": "country"},
                         "geometry": {"type": "MultiPolygon", "coordinates": kept}})
    shared = sorted(used.get("US", set()) & used.get("MX", set()))
    features.append({"type": "Feature", "properties": {"country": "US-MX", "kind": "border"},
                     "geometry": {"type": "MultiLineString", "coordinates": [_round(arcs[i]) for i in shared]}})
    return {"type": "FeatureCollection", "features": features}


@lru_cache(maxsize=1)
def outlines() -> dict[str, Any]:
    """The shipped outlines (`data/border-110m.geojson`)."""
    text = resources.files("binational.flows").joinpath("data", "border-110m.geojson").read_text(encoding="utf-8")
    return json.loads(text)


if __name__ == "__main__":
    source = json.loads(Path(sys.argv[1]).read_text(encoding="utf-8"))
    target = Path(__file__).with_name("data") / "border-110m.geojson"
    target.write_text(json.dumps(build(source), separators=(",", ":")) + "\n", encoding="utf-8")
    print(f"{target}: {target.stat().st_size} bytes")

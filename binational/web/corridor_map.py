"""A map of firearms corridors, drawn offline: each purchase state joined to each recovery state by a
line as wide as the number of traced firearms, on a latitude/longitude frame of the two countries.

No tile server is reachable from a node, so the map is an SVG drawn from the states' approximate
centres; a state the table does not know is left off the map (the table beside it lists every one).
"""

from __future__ import annotations

from dataclasses import dataclass

WIDTH, HEIGHT, MARGIN = 520, 340, 16
WEST, EAST, SOUTH, NORTH = -125.0, -84.0, 14.0, 45.0
#: approximate centres (latitude, longitude) of US states by code and Mexican states by name
CENTRES: dict[str, tuple[float, float]] = {
    "AZ": (34.3, -111.7), "CA": (37.2, -119.5), "NM": (34.4, -106.1), "TX": (31.1, -99.3), "NV": (39.3, -116.6),
    "CO": (39.0, -105.5), "OK": (35.6, -97.5), "FL": (28.6, -82.4), "GA": (32.7, -83.4), "IL": (40.0, -89.2),
    "NC": (35.5, -79.4), "WA": (47.4, -120.5), "UT": (39.3, -111.7), "LA": (31.0, -92.0), "KS": (38.5, -98.4),
    "Baja California": (30.6, -115.1), "Sonora": (29.6, -110.9), "Chihuahua": (28.8, -106.1),
    "Coahuila": (27.3, -102.0), "Nuevo León": (25.6, -99.9), "Tamaulipas": (24.3, -98.6),
    "Sinaloa": (25.0, -107.5), "Durango": (24.9, -104.9), "Zacatecas": (23.3, -102.7), "Jalisco": (20.6, -103.6),
    "Michoacán": (19.2, -101.9), "Guerrero": (17.6, -99.9), "Ciudad de México": (19.4, -99.1),
    "Estado de México": (19.4, -99.7), "Guanajuato": (21.0, -101.3), "Veracruz": (19.2, -96.2),
    "Oaxaca": (17.1, -96.7), "Chiapas": (16.7, -92.6), "Baja California Sur": (25.9, -111.6),
}


@dataclass(frozen=True)
class Corridor:
    """One line of the map: from the purchase state to the recovery state, and its width."""

    x1: float
    y1: float
    x2: float
    y2: float
    width: float
    source: str
    target: str
    count: int


@dataclass(frozen=True)
class Stop:
    """A state on the map and where its name goes."""

    x: float
    y: float
    name: str


@dataclass(frozen=True)
class CorridorMap:
    """The drawing: its size, the corridors and the states they join."""

    width: int
    height: int
    corridors: list[Corridor]
    stops: list[Stop]


def _xy(state: str) -> tuple[float, float] | None:
    centre = CENTRES.get(state)
    if centre is None:
        return None
    lat, lon = centre
    x = MARGIN + (lon - WEST) / (EAST - WEST) * (WIDTH - 2 * MARGIN)
    y = MARGIN + (NORTH - lat) / (NORTH - SOUTH) * (HEIGHT - 2 * MARGIN)
    return round(x, 1), round(y, 1)


def draw(corridors: list[dict[str, object]]) -> CorridorMap | None:
    """The map of the leads' corridors (`from_state`, `to_state`, `count`), or None when none is placed."""
    lines, stops = [], {}
    top = max((int(str(c["count"])) for c in corridors), default=1)
    for c in corridors:
        source, target, count = str(c["from_state"]), str(c["to_state"]), int(str(c["count"]))
        a, b = _xy(source), _xy(target)
        if a is None or b is None:
            continue
        lines.append(Corridor(a[0], a[1], b[0], b[1], round(1 + 7 * count / top, 1), source, target, count))
        stops[source], stops[target] = Stop(a[0], a[1], source), Stop(b[0], b[1], target)
    if not lines:
        return None
    return CorridorMap(WIDTH, HEIGHT, lines, sorted(stops.values(), key=lambda s: s.name))

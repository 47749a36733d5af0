"""A small map of a record's places, drawn offline: the points on a latitude/longitude frame.

No tile server is reachable from a node, so the map is an SVG drawn from the coordinates alone: an
equirectangular frame around the points with a graticule at round degrees, and one pin per place.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from binational.entities.profile import Place

WIDTH, HEIGHT, MARGIN = 320, 200, 24
#: the smallest span of the frame, in degrees: a single point still shows its region
MIN_SPAN = 2.0
#: graticule steps, in degrees, from which the one giving two to five lines is taken
STEPS = (0.5, 1, 2, 5, 10, 20, 30, 45, 90)


@dataclass(frozen=True)
class Pin:
    """One place at its position in the drawing."""

    x: float
    y: float
    place: Place


@dataclass(frozen=True)
class Line:
    """A meridian (`vertical`) or parallel of the graticule: its position and its degree."""

    at: float
    degree: float
    vertical: bool


@dataclass(frozen=True)
class PointMap:
    """The drawing: its size, the graticule and the pins."""

    width: int
    height: int
    margin: int
    lines: list[Line]
    pins: list[Pin]


def _span(low: float, high: float, limit: float) -> tuple[float, float]:
    middle, half = (low + high) / 2, max(high - low, MIN_SPAN) / 2 * 1.2
    return max(middle - half, -limit), min(middle + half, limit)


def _step(span: float) -> float:
    return next((s for s in STEPS if span / s <= 5), STEPS[-1])


def draw(places: list[Place]) -> PointMap | None:
    """The map of `places`, or None when there are none."""
    if not places:
        return None
    south, north = _span(min(p.latitude for p in places), max(p.latitude for p in places), 90)
    west, east = _span(min(p.longitude for p in places), max(p.longitude for p in places), 180)
    inner_w, inner_h = WIDTH - 2 * MARGIN, HEIGHT - 2 * MARGIN

    def x(lon: float) -> float:
        return round(MARGIN + (lon - west) / (east - west) * inner_w, 1)

    def y(lat: float) -> float:
        return round(MARGIN + (north - lat) / (north - south) * inner_h, 1)

    lines = []
    step = _step(east - west)
    lon = math.ceil(west / step) * step
    while lon <= east:
        lines.append(Line(x(lon), lon, True))
        lon += step
    step = _step(north - south)
    lat = math.ceil(south / step) * step
    while lat <= north:
        lines.append(Line(y(lat), lat, False))
        lat += step
    pins = [Pin(x(p.longitude), y(p.latitude), p) for p in places]
    return PointMap(WIDTH, HEIGHT, MARGIN, lines, pins)

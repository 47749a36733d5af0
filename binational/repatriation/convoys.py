"""Land convoys to a port within its hand-over window, with the OR-Tools routing library.

Buses leave one garage, collect people at detention facilities and drive to the receiving port,
where each must arrive inside the accepted window. A facility's people are split into pickups of at
most a busload, and each pickup travels on one bus. The routes minimise the
minutes driven; a pickup that no bus can make within the window and capacities is left out, and
said so, rather than breaking a rule: a penalty far above any route's length makes the solver drop
as few people as it can.

The garages, facilities, ports and minutes are the sending agency's own land network
(`networks.yaml`, or the file of the `repatriation_networks` setting); `convoy_for` routes the people
listed on one of its land movements from the facility each case file names. Both are the sender's
alone (`policy.may_plan_convoy`).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from ortools.constraint_solver import pywrapcp, routing_enums_pb2
from sqlalchemy import select
from sqlalchemy.orm import Session

from binational.access.actions import Action, register
from binational.access.policy import Actor, may_plan_convoy, visible_case_files
from binational.audit import log as audit
from binational.config import get_settings
from binational.errors import InvalidInput, NotFound
from binational.repatriation.models import Detainee, ManifestLine
from binational.repatriation.service import access_movement, lines_of

register(Action("repatriation.convoy", "record.view",
                "route the buses of a land movement from the detention facilities to the port (sender only)"))

SHIPPED = Path(__file__).with_name("networks.yaml")
#: movements whose listed people are still to be driven to the port
CONVOY_STATES = ("accepted", "locked", "boarded")
MAX_BUSES, MAX_SEATS = 50, 100


@dataclass(frozen=True, slots=True)
class Convoy:
    """Each bus's pickups in order with its arrival at the port (minutes after midnight), and the
    facilities (with their people) no bus could take within the window."""

    routes: list[list[tuple[str, int]]]
    arrivals: list[int]
    left_out: list[tuple[str, int]]
    minutes_driven: int


def plan_convoy(*, facilities: Sequence[str], travel: Sequence[Sequence[int]], waiting: dict[str, int],
                buses: int, seats: int, depart_after: int, window: tuple[int, int], service_minutes: int = 15,
                seconds: float = 5.0) -> Convoy:
    """Route `buses` of `seats` from the garage (row 0 of `travel`) through the facilities (rows 1..n,
    named by `facilities`) to the port (the last row), leaving no earlier than `depart_after` and
    arriving within `window` (minutes after midnight). `travel[i][j]` is minutes from i to j."""
    n = len(facilities)
    if len(travel) != n + 2 or any(len(row) != n + 2 for row in travel):
        raise InvalidInput("the travel matrix has a row and a column for the garage, each facility and the port")
    if any(m < 0 for row in travel for m in row):
        raise InvalidInput("travel minutes are never negative")
    if buses < 1 or seats < 1 or not 0 <= depart_after <= window[0] <= window[1] <= 24 * 60:
        raise InvalidInput("buses and seats are positive; the departure is before a window within the day")
    unknown = set(waiting) - set(facilities)
    if unknown:
        raise InvalidInput(f"unknown facility {sorted(unknown)[0]!r}")
    pickups: list[tuple[int, str, int]] = []  # (matrix row, facility, people)
    for row, name in enumerate(facilities, start=1):
        remaining = waiting.get(name, 0)
        while remaining > 0:
            pickups.append((row, name, min(remaining, seats)))
            remaining -= seats
    if not pickups:
        return Convoy([], [], [], 0)
    garage, port = 0, len(pickups) + 1
    rows = [0, *(p[0] for p in pickups), n + 1]  # node -> matrix row
    manager = pywrapcp.RoutingIndexManager(len(rows), buses, [garage] * buses, [port] * buses)
    routing = pywrapcp.RoutingModel(manager)

    def minutes(i: int, j: int) -> int:
        a, b = manager.IndexToNode(i), manager.IndexToNode(j)
        service = service_minutes if 0 < a < port else 0
        return int(travel[rows[a]][rows[b]]) + service

    transit = routing.RegisterTransitCallback(minutes)
    routing.SetArcCostEvaluatorOfAllVehicles(transit)
    routing.AddDimension(transit, 24 * 60, 24 * 60, False, "time")
    time = routing.GetDimensionOrDie("time")
    load = routing.RegisterUnaryTransitCallback(
        lambda i: pickups[manager.IndexToNode(i) - 1][2] if 0 < manager.IndexToNode(i) < port else 0)
    routing.AddDimensionWithVehicleCapacity(load, 0, [seats] * buses, True, "seats")
    penalty = 1_000_000
    for node in range(1, port):
        routing.AddDisjunction([manager.NodeToIndex(node)], penalty * pickups[node - 1][2])
    for bus in range(buses):
        time.CumulVar(routing.Start(bus)).SetRange(depart_after, window[1])
        time.CumulVar(routing.End(bus)).SetRange(window[0], window[1])
        routing.SetVehicleUsedWhenEmpty(False, bus)
    params = pywrapcp.DefaultRoutingSearchParameters()
    params.first_solution_strategy = routing_enums_pb2.FirstSolutionStrategy.PATH_CHEAPEST_ARC
    params.local_search_metaheuristic = routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
    params.time_limit.FromMilliseconds(int(seconds * 1000))
    solution = routing.SolveWithParameters(params)
    if solution is None:
        return Convoy([], [], [(p[1], p[2]) for p in pickups], 0)
    routes, arrivals, served, driven = [], [], set(), 0
    for bus in range(buses):
        index, stops = routing.Start(bus), []
        while not routing.IsEnd(index):
            node = manager.IndexToNode(index)
            if 0 < node < port:
                stops.append((pickups[node - 1][1], pickups[node - 1][2]))
                served.add(node)
            nxt = solution.Value(routing.NextVar(index))
            driven += travel[rows[node]][rows[manager.IndexToNode(nxt)]]
            index = nxt
        if stops:
            routes.append(stops)
            arrivals.append(solution.Min(time.CumulVar(index)))
    left = [(pickups[node - 1][1], pickups[node - 1][2]) for node in range(1, port) if node not in served]
    return Convoy(routes, arrivals, left, driven)


@dataclass(frozen=True, slots=True)
class Place:
    """A garage, a detention facility or a receiving port, where it is."""

    id: str
    name: str
    lat: float
    lon: float


@dataclass(frozen=True, slots=True)
class Network:
    """A sending agency's land network: its garages, facilities and ports (by the arrangements' point
    ids, each with the garage its buses leave from), and the minutes between two places."""

    agency: str
    title: str
    assumptions: bool
    road_factor: float
    km_per_hour: float
    garages: dict[str, Place]
    facilities: dict[str, Place]
    ports: dict[str, tuple[Place, str]]
    measured: dict[frozenset[str], int]

    def minutes(self, a: Place, b: Place) -> int:
        """Minutes from `a` to `b`: the measured figure, else the great-circle distance times the road
        factor at the network's speed."""
        if a.id == b.id:
            return 0
        known = self.measured.get(frozenset((a.id, b.id)))
        if known is not None:
            return known
        la, lb = math.radians(a.lat), math.radians(b.lat)
        h = math.sin((lb - la) / 2) ** 2 + math.cos(la) * math.cos(lb) * math.sin(math.radians(b.lon - a.lon) / 2) ** 2
        km = 2 * 6371.0 * math.asin(math.sqrt(h))
        return math.ceil(km * self.road_factor / self.km_per_hour * 60)


def _bad(where: str, field: str, why: str) -> InvalidInput:
    return InvalidInput(f"network {where}: {field} {why}", details=[{"field": field, "network": where}])


def _listed(where: str, item: dict[str, Any], field: str) -> list[Any]:
    found = item.get(field) or []
    if not isinstance(found, list):
        raise _bad(where, field, "must be a list")
    return found


def _place(where: str, field: str, raw: Any) -> Place:
    if not isinstance(raw, dict):
        raise _bad(where, field, "must be a list of mappings")
    ident, name = raw.get("id", raw.get("point")), raw.get("name", raw.get("point"))
    if not isinstance(ident, str) or not ident or not isinstance(name, str) or not name:
        raise _bad(where, f"{field}.id", "must be a text")
    lat, lon = raw.get("lat"), raw.get("lon")
    if not (isinstance(lat, int | float) and isinstance(lon, int | float)) or isinstance(lat, bool) \
            or isinstance(lon, bool) or not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise _bad(f"{where}/{ident}", "lat/lon", "must be degrees")
    return Place(ident, name, float(lat), float(lon))


def parse_networks(raw: Any) -> dict[str, Network]:
    """The networks of a parsed YAML document, by agency, checked field by field."""
    items = raw.get("networks") if isinstance(raw, dict) else None
    if not isinstance(items, list):
        raise _bad("file", "networks", "must be a list")
    found: dict[str, Network] = {}
    for item in items:
        agency = item.get("agency") if isinstance(item, dict) else None
        if not isinstance(agency, str) or not agency or agency in found:
            raise _bad("file", "agency", "must name each agency once")
        factor, speed = item.get("road_factor", 1.0), item.get("km_per_hour")
        if not isinstance(factor, int | float) or isinstance(factor, bool) or not 1 <= factor <= 3:
            raise _bad(agency, "road_factor", "must be from 1 to 3")
        if not isinstance(speed, int | float) or isinstance(speed, bool) or not 10 <= speed <= 130:
            raise _bad(agency, "km_per_hour", "must be from 10 to 130")
        garages = {p.id: p for p in (_place(agency, "garages", g) for g in _listed(agency, item, "garages"))}
        facilities = {p.id: p for p in (_place(agency, "facilities", f) for f in _listed(agency, item, "facilities"))}
        ports: dict[str, tuple[Place, str]] = {}
        for raw_port in _listed(agency, item, "ports"):
            port = _place(agency, "ports", raw_port)
            if not isinstance(raw_port.get("garage"), str) or raw_port["garage"] not in garages:
                raise _bad(f"{agency}/{port.id}", "garage", "must be one of the network's garages")
            ports[port.id] = (port, raw_port["garage"])
        if not facilities or not ports:
            raise _bad(agency, "facilities", "and ports must each list at least one place")
        places = set(garages) | set(facilities) | set(ports)
        measured = {}
        for m in _listed(agency, item, "minutes"):
            ends = (m.get("from"), m.get("to")) if isinstance(m, dict) else (None, None)
            if not all(isinstance(end, str) and end in places for end in ends) \
                    or not isinstance(m.get("minutes"), int) or isinstance(m["minutes"], bool) \
                    or not 0 <= m["minutes"] <= 24 * 60:
                raise _bad(agency, "minutes", "need a from and a to among the places and whole minutes up to a day")
            measured[frozenset((m["from"], m["to"]))] = m["minutes"]
        found[agency] = Network(agency=agency, title=str(item.get("title") or agency),
                                assumptions=bool(item.get("assumptions")), road_factor=float(factor),
                                km_per_hour=float(speed), garages=garages, facilities=facilities, ports=ports,
                                measured=measured)
    return found


def networks(path: Path | None = None) -> dict[str, Network]:
    """The networks of `path`, of the node's setting, or the shipped defaults."""
    return _load(str(path or get_settings().repatriation_networks or SHIPPED))


@lru_cache(maxsize=8)
def _load(path: str) -> dict[str, Network]:
    try:
        return parse_networks(yaml.safe_load(Path(path).read_text(encoding="utf-8")))
    except OSError as exc:
        raise InvalidInput(f"cannot read the networks file {path}: {exc.strerror}",
                           details=[{"field": "networks"}]) from None
    except yaml.YAMLError as exc:
        raise InvalidInput(f"the networks file {path} is not YAML: {exc}", details=[{"field": "networks"}]) from None


def _whole(value: Any, name: str, low: int, high: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise InvalidInput(f"{name} must be a whole number from {low} to {high}", details=[{"field": name}])
    return value


def _clock(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def convoy_for(*, session: Session, actor: Actor, movement_id: str, buses: Any, seats: Any,
               depart_hour: Any = 0, seconds: float | None = None) -> dict[str, Any]:
    """The buses of a land movement of the actor's agency: who each picks up where, in what order, and
    when it reaches the port inside the accepted window; and who no bus can take, with the reason.
    Anyone else, the movement's partners included, gets NotFound, as for a movement that does not exist."""
    movement = access_movement(session, actor, movement_id, "repatriation.convoy")
    decision = may_plan_convoy(actor, from_agency=movement.from_agency, marking_rank=movement.marking_rank)
    if not decision:
        raise NotFound("movement", movement_id, reason=decision.reason, action="repatriation.convoy",
                       owner=movement.from_agency)
    # read only once the policy has passed: a partner learns nothing of how the sender keeps its network
    network = networks().get(movement.from_agency)
    if network is None:
        raise InvalidInput(f"the land networks list none for {movement.from_agency}",
                           details=[{"field": "networks"}])
    buses, seats = _whole(buses, "buses", 1, MAX_BUSES), _whole(seats, "seats", 1, MAX_SEATS)
    depart_hour = _whole(depart_hour, "depart_hour", 0, 23)
    if movement.mode != "land" or movement.state not in CONVOY_STATES:
        raise InvalidInput(f"buses are routed for an accepted land movement, not a {movement.state} "
                           f"{movement.mode} one", details=[{"field": "movement"}])
    if movement.point not in network.ports:
        raise InvalidInput(f"the network of {network.agency} has no place for the port {movement.point}",
                           details=[{"field": "point"}])
    window = (movement.start_hour * 60, movement.end_hour * 60)
    if depart_hour * 60 > window[0]:
        raise InvalidInput(f"the buses leave by the time the window opens ({_clock(window[0])})",
                           details=[{"field": "depart_hour"}])
    travelling = [li for li in lines_of(session, movement) if li.status in ("listed", "boarded")]
    facility_of = {ident: where for ident, where in session.execute(
        select(Detainee.id, Detainee.facility).where(Detainee.id.in_([li.detainee_id for li in travelling]),
                                                     visible_case_files(actor, Detainee)))}
    # a family's members next to each other, so a pickup splits as few families as it can
    by_facility: dict[str, list[ManifestLine]] = defaultdict(list)
    left_out: list[dict[str, Any]] = []
    for li in sorted(travelling, key=lambda li: (li.family_group or "~", li.line_no)):
        where = facility_of.get(li.detainee_id)
        if where in network.facilities:
            by_facility[where].append(li)
    unplaced = [li for li in travelling if facility_of.get(li.detainee_id) not in network.facilities]
    if unplaced:
        left_out.append({"facility": None, "reason": "no_facility", "lines": [li.line_no for li in unplaced]})
    port, garage_id = network.ports[movement.point]
    stops = [network.facilities[f] for f in sorted(by_facility)]
    places = [network.garages[garage_id], *stops, port]
    travel = [[network.minutes(a, b) for b in places] for a in places]
    convoy = plan_convoy(facilities=[p.id for p in stops], travel=travel,
                         waiting={f: len(lines) for f, lines in by_facility.items()}, buses=buses, seats=seats,
                         depart_after=depart_hour * 60, window=window,
                         seconds=seconds if seconds is not None else get_settings().repatriation_convoy_seconds)
    queue = {f: [li.line_no for li in lines] for f, lines in by_facility.items()}

    def take(facility: str, people: int) -> list[int]:
        taken, queue[facility] = queue[facility][:people], queue[facility][people:]
        return taken

    routes = [{"bus": n, "arrival": _clock(arrival), "people": sum(k for _f, k in route),
               "stops": [{"facility": f, "name": network.facilities[f].name, "lines": take(f, k)} for f, k in route]}
              for n, (route, arrival) in enumerate(zip(convoy.routes, convoy.arrivals, strict=True), start=1)]
    for facility, people in convoy.left_out:
        left_out.append({"facility": facility, "reason": "no_bus_in_time", "lines": take(facility, people)})
    result = {"movement": movement.id, "point": movement.point, "date": movement.date.isoformat(),
              "window": [_clock(window[0]), _clock(window[1])], "buses": buses, "seats": seats,
              "network": network.title, "assumptions": network.assumptions, "garage": places[0].name,
              "routes": routes, "left_out": left_out, "minutes_driven": convoy.minutes_driven,
              "people": len(travelling), "on_buses": sum(k for route in convoy.routes for _f, k in route)}
    audit.record(session, action="repatriation.convoy", actor=actor, objects=[(movement.id, movement.from_agency)],
                 extra={"buses": len(routes), "people": result["on_buses"],
                        "left_out": sum(len(o["lines"]) for o in left_out)})
    return result

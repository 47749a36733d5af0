"""Land convoys to a port within its hand-over window, with the OR-Tools routing library.

Buses leave one garage, collect people at detention facilities and drive to the receiving port,
where each must arrive inside the accepted window. A facility's people are split into pickups of at
most a busload, and each pickup travels on one bus. The routes minimise the
minutes driven; a pickup that no bus can make within the window and capacities is left out, and
said so, rather than breaking a rule: a penalty far above any route's length makes the solver drop
as few people as it can.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ortools.constraint_solver import pywrapcp, routing_enums_pb2

from binational.errors import InvalidInput


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
        left = waiting.get(name, 0)
        while left > 0:
            pickups.append((row, name, min(left, seats)))
            left -= seats
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

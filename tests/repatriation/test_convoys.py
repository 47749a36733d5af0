"""Land convoys with the OR-Tools routing library: every bus within its seats and arriving inside the
port's window, every person either on a bus or named as left out, never both."""

from __future__ import annotations

import pytest

from binational.errors import InvalidInput
from binational.repatriation.convoys import plan_convoy

#: garage, facilities A, B, C, port: minutes between them
TRAVEL = [[0, 30, 60, 90, 120], [30, 0, 40, 70, 100], [60, 40, 0, 50, 60], [90, 70, 50, 0, 30],
          [120, 100, 60, 30, 0]]
WAITING = {"A": 30, "B": 50, "C": 20}


def _check(convoy, seats: int, window: tuple[int, int]) -> None:
    for stops, arrival in zip(convoy.routes, convoy.arrivals, strict=True):
        assert sum(n for _f, n in stops) <= seats
        assert window[0] <= arrival <= window[1]
    carried = {}
    for _f, n in [s for stops in convoy.routes for s in stops] + convoy.left_out:
        carried[_f] = carried.get(_f, 0) + n
    assert carried == WAITING


def test_buses_collect_everyone_within_seats_and_window() -> None:
    convoy = plan_convoy(facilities=["A", "B", "C"], travel=TRAVEL, waiting=WAITING, buses=3, seats=45,
                         depart_after=6 * 60, window=(8 * 60, 9 * 60), seconds=0.3)
    _check(convoy, 45, (8 * 60, 9 * 60))
    assert convoy.left_out == [] and len(convoy.routes) == 3


def test_what_no_bus_can_take_is_left_out_not_squeezed_in() -> None:
    convoy = plan_convoy(facilities=["A", "B", "C"], travel=TRAVEL, waiting=WAITING, buses=1, seats=45,
                         depart_after=6 * 60, window=(8 * 60, 9 * 60), seconds=0.3)
    _check(convoy, 45, (8 * 60, 9 * 60))
    assert sum(n for _f, n in convoy.left_out) == 100 - 45
    # a window the garage cannot reach in time: nobody goes, everybody is named
    late = plan_convoy(facilities=["A", "B", "C"], travel=TRAVEL, waiting=WAITING, buses=2, seats=45,
                       depart_after=8 * 60, window=(8 * 60, 8 * 60 + 30), seconds=0.3)
    assert late.routes == [] and sum(n for _f, n in late.left_out) == 100


def test_bad_input_is_refused() -> None:
    with pytest.raises(InvalidInput):
        plan_convoy(facilities=["A"], travel=TRAVEL, waiting={"A": 1}, buses=1, seats=1, depart_after=0,
                    window=(60, 120))
    with pytest.raises(InvalidInput):
        plan_convoy(facilities=["A", "B", "C"], travel=TRAVEL, waiting={"Z": 1}, buses=1, seats=1, depart_after=0,
                    window=(60, 120))

"""The SQLite lock wait a request's budget sets: bounded by what is left, and few distinct texts."""

import re

from binational import budget
from binational.budget import SQLITE_LOCK_WAIT_MS, Budget


def _wait_for(seconds: float) -> int:
    token = budget.current.set(Budget(seconds))
    try:
        match = re.fullmatch(r"PRAGMA busy_timeout = (\d+)", budget.sqlite_lock_wait_sql())
    finally:
        budget.current.reset(token)
    assert match
    return int(match[1])


def test_the_wait_never_passes_the_budget_and_takes_few_texts():
    """Python's SQLite driver caches statements by text: a text per millisecond of budget left
    pushed every query out of its cache."""
    budgets = [n / 1000 for n in range(5, 40_000, 7)]
    waits = [_wait_for(s) for s in budgets]
    assert all(1 <= w <= s * 1000 for w, s in zip(waits, budgets, strict=True))
    assert all(w * 2.5 >= min(s * 1000, SQLITE_LOCK_WAIT_MS) for w, s in zip(waits, budgets, strict=True))
    assert len(set(waits)) <= 16
    assert _wait_for(0) == SQLITE_LOCK_WAIT_MS  # no bound: the usual wait

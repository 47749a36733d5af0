"""The first two appends to an empty audit log, concurrently: both land, one after the other."""

from __future__ import annotations

import threading
import time

from binational.access import service as access
from binational.audit import log
from binational.audit.verify import verify
from binational.db import act_as_system


def test_concurrent_first_appends_both_land(db, settings):
    with db.unit_of_work() as s:
        actor = access.actor_for(session=s, user=access.get_user(session=s, username="us_analyst"))
    started = threading.Event()
    errors: list[BaseException] = []

    def first() -> None:
        try:
            with db.unit_of_work() as s:
                log.record(s, action="me.read", actor=actor)
                log.flush(s, settings)  # creates the head row and holds it, uncommitted
                started.set()
                time.sleep(0.3)
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)
            started.set()

    def second() -> None:
        started.wait(5)
        try:
            with db.unit_of_work() as s:
                log.record(s, action="agency.list", actor=actor)
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert errors == []
    with db.unit_of_work() as s:
        act_as_system(s)
        result = verify(s, settings)
    assert result.ok and result.size == 2

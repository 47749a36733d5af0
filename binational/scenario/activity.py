"""The demo's first hour of work, done through the services as the demo's users, so that no page of a
fresh demo starts empty: releases between US-CBP and MX-FGR both ways, requests between them in each
state (answered, acknowledged, waiting), and a finished resolution run with suggestions to review.

Every step goes through the same service, policy and audit log as a user's request would.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from binational.access import service as access
from binational.access.policy import Actor
from binational.audit.scope import unit_of_work
from binational.db import Database, act_as, act_as_system
from binational.entities.models import Entity
from binational.entities.releases import release_entity
from binational.requests import service as requests
from binational.resolution import runs
from binational.resolution.engine import Progress

#: the two agencies of the README's story, and who works for each in the demo
US, MX = "US-CBP", "MX-FGR"
ANALYST = {US: "cbp_analyst", MX: "fgr_analyst"}
SUPERVISOR = {US: "cbp_supervisor", MX: "fgr_supervisor"}
#: people each agency releases to the other (one more for US-CBP: the answer to a request)
RELEASED = 3


@dataclass
class Activity:
    """What the demo did: entities released each way, requests by state, the resolution run."""

    released: dict[str, list[str]]
    requests: dict[str, str]
    run_status: str
    run_message: str


@contextmanager
def _as(db: Database, username: str) -> Iterator[tuple[Session, Actor]]:
    with unit_of_work(db) as session:
        act_as_system(session)  # to find the user, as the command line does
        actor = access.actor_for(session=session, user=access.get_user(session=session, username=username))
        act_as(session, actor)
        yield session, actor


def _people_kept_at_home(db: Database, agency: str, count: int) -> list[str]:
    """The first `count` people `agency` keeps to itself that its analyst may release (within an
    analyst's clearance, in no restricted case), by id: the same ones for the same world."""
    with unit_of_work(db) as session:
        act_as_system(session)
        return list(session.execute(
            select(Entity.id).where(Entity.owner_agency == agency, Entity.schema == "Person",
                                    Entity.distribution == "agency", Entity.case_id.is_(None),
                                    Entity.deleted_at.is_(None), Entity.marking.in_(("TLP:GREEN", "TLP:AMBER")))
            .order_by(Entity.id).limit(count)).scalars())


def play(db: Database, *, progress: Progress | None = None) -> Activity:
    """Release, ask and answer between US-CBP and MX-FGR, then run resolution as the node operator;
    the planner's statistics refreshed after it (`Database.analyze`)."""
    people = {US: _people_kept_at_home(db, US, RELEASED + 1), MX: _people_kept_at_home(db, MX, RELEASED)}
    released: dict[str, list[str]] = {US: people[US][:RELEASED], MX: people[MX]}
    for agency, partner in ((US, MX), (MX, US)):
        with _as(db, ANALYST[agency]) as (session, actor):
            for entity_id in released[agency]:
                release_entity(session=session, actor=actor, entity_id=entity_id, to=[partner])
    states: dict[str, str] = {}
    if released[US] and released[MX] and len(people[US]) > RELEASED:
        with _as(db, ANALYST[MX]) as (session, actor):
            answered = requests.submit(session=session, actor=actor, type="information", to_agency=US,
                                       question="Has this person crossed at San Ysidro in the last year?",
                                       entity_ids=[released[US][0]]).id
        with _as(db, SUPERVISOR[US]) as (session, actor):
            requests.acknowledge(session=session, actor=actor, request_id=answered)
            requests.answer(session=session, actor=actor, request_id=answered, entity_ids=[people[US][RELEASED]],
                            note="One crossing; the travel companion is attached.")
        with _as(db, ANALYST[US]) as (session, actor):
            acknowledged = requests.submit(session=session, actor=actor, type="information", to_agency=MX,
                                           question="Is this person known to an open investigation?",
                                           entity_ids=[released[MX][0]]).id
            waiting = requests.submit(session=session, actor=actor, type="information", to_agency=MX,
                                      question="Which addresses do you hold for this person?",
                                      entity_ids=[released[MX][-1]]).id
        with _as(db, SUPERVISOR[MX]) as (session, actor):
            requests.acknowledge(session=session, actor=actor, request_id=acknowledged)
        states = {answered: "answered", acknowledged: "acknowledged", waiting: "submitted"}
    with unit_of_work(db) as session:
        act_as_system(session)  # the node operator, as `binational resolution run` without --as
        run = runs.run(session=session, actor=None, progress=progress)
    db.analyze()  # the run's suggestions and the releases, before the first page reads them
    return Activity(released=released, requests=states, run_status=run.status, run_message=run.message)

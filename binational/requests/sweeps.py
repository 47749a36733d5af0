"""Sweeps: many selectors of one shape from one user, told to the agencies whose records they touched.

A shape is a selector with its varying part cut: an identifier without its last characters, an
e-mail address without the last characters of its local part, a name without its birth date. A
user who searches `discovery_sweep_selectors` selectors of one shape within `discovery_sweep_minutes`
(in one call or across calls) is sweeping: guessing a value it does not know. Each agency whose records
the sweep's selectors matched is told once per sweep (`notices`); the searcher is told nothing.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from binational.access.policy import Actor
from binational.config import get_settings
from binational.requests.models import DiscoveryShape

#: characters cut from the end of an identifier: a sweep guesses the last digits
VARYING = 3


@dataclass(frozen=True)
class Sweep:
    """A sweep to tell one agency about: its records touched and the selectors of the shape counted."""

    shape: str
    to_agency: str
    entity_ids: tuple[str, ...]
    selectors: int


def shape_of(kind: str, key: str, words: tuple[str, ...] = ()) -> str:
    """The SHA-256 of a normalised selector with its varying part cut."""
    if kind == "name_birth":
        text = "name_birth|" + " ".join(words)
    elif kind == "email" and "@" in key:
        local, domain = key.rsplit("@", 1)
        text = f"email|{local[:-VARYING]}@{domain}"
    else:
        text = f"{kind}|{key[:-VARYING]}"
    return hashlib.sha256(text.encode()).hexdigest()


def observe(session: Session, actor: Actor, selectors: list[tuple[str, str, set[tuple[str, str]]]],
            now: datetime) -> list[Sweep]:
    """Count a call's selectors (shape, digest, records of other agencies matched) and return the
    sweeps to tell. Runs in the system context: the counts are the node's, never the searcher's."""
    settings = get_settings()
    since = now - timedelta(minutes=settings.discovery_sweep_minutes)
    session.execute(delete(DiscoveryShape).where(DiscoveryShape.user_id == actor.user_id,
                                                 DiscoveryShape.at <= since))
    groups: dict[str, tuple[set[str], set[tuple[str, str]]]] = {}
    for shape, digest, touched in selectors:
        digests, records = groups.setdefault(shape, (set(), set()))
        digests.add(digest)
        records |= touched
    earlier = session.execute(
        select(DiscoveryShape.shape, DiscoveryShape.selectors, DiscoveryShape.touched, DiscoveryShape.flagged)
        .where(DiscoveryShape.user_id == actor.user_id, DiscoveryShape.at > since,
               DiscoveryShape.shape.in_(sorted(groups)))
    ).all()
    before: dict[str, tuple[int, set[tuple[str, str]], set[str]]] = {}
    for shape, count, touched_json, flagged in earlier:
        total, records, told = before.get(shape, (0, set(), set()))
        records |= {(e, a) for e, a in json.loads(touched_json)}
        before[shape] = (total + count, records, told | set(json.loads(flagged)))
    sweeps: list[Sweep] = []
    rows = []
    for shape, (digests, records) in sorted(groups.items()):
        total, old_records, told = before.get(shape, (0, set(), set()))
        total += len(digests)
        flag: list[str] = []
        if total >= settings.discovery_sweep_selectors:
            everything = records | old_records
            flag = sorted({agency for _e, agency in everything} - told)
            sweeps += [Sweep(shape, agency, tuple(sorted(e for e, a in everything if a == agency)), total)
                       for agency in flag]
        rows.append({"user_id": actor.user_id, "agency": actor.agency, "at": now, "shape": shape,
                     "selectors": len(digests), "touched": json.dumps(sorted(records)), "flagged": json.dumps(flag)})
    session.execute(insert(DiscoveryShape), rows)
    return sweeps

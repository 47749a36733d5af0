"""The demo's readouts taken in through intake: an Arabic readout of a call and a Spanish readout of a
visit, our own text about two invented officials (`data/demo/`), as a liaison would paste them.

An administrator first adds the two officials to the node's gazetteer with their Latin names only, so
the Arabic spelling of their names is matched by transliteration. Then, for each readout, the
recording user asks intake for its proposal and confirms it as an editor would: the participants the
gazetteer knows (each one an existing Person record the recorder already sees when intake proposes
one, so the second engagement involves the people of the first), the countries and topics found.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from importlib import resources

from binational.access import service as access
from binational.audit.scope import unit_of_work
from binational.db import Database, act_as
from binational.engagements import service
from binational.engagements.schemas import EngagementCreate, GazetteerPersonIn, ParticipantIn

OFFICIALS = (
    GazetteerPersonIn(name="Daniel Whitaker", surname="Whitaker", office="US-DOS",
                      title_en="Deputy Secretary of State", title_es="subsecretario de Estado"),
    GazetteerPersonIn(name="Mariana Ochoa Villaseñor", surname="Ochoa Villaseñor", office="MX-SRE",
                      title_en="Secretary of Foreign Affairs", title_es="secretaria de Relaciones Exteriores"),
)
#: file, format, date and name of each engagement
READOUTS = (
    ("readout-ar.txt", "call", date(2025, 11, 14), "Llamada Whitaker – Ochoa"),
    ("readout-es.txt", "visit", date(2025, 11, 27), "Visita de Whitaker a la Ciudad de México"),
)
#: an intake candidate the demo's editor confirms without a second look
SURE = 0.95


def readout(name: str) -> str:
    """The text of one of the demo's readouts."""
    return resources.files("binational.engagements").joinpath("data", "demo", name).read_text(encoding="utf-8")


def load(db: Database, echo: Callable[[str], None], *, recorder: str = "sre_analyst", admin: str = "admin",
         release_to: tuple[str, ...] = ("US-ICE", "US-CBP")) -> list[str]:
    """Add the officials, then take in and record each readout as `recorder`; the engagements' ids."""
    with unit_of_work(db) as session:
        actor = access.actor_for(session=session, user=access.get_user(session=session, username=admin))
        act_as(session, actor)
        known = {p.name for p in service.gazetteer(session=session).people}
        for official in OFFICIALS:
            if official.name not in known:
                service.add_official(session=session, actor=actor, data=official)
    created = []
    for file, fmt, when, name in READOUTS:
        text = readout(file)
        with unit_of_work(db) as session:
            actor = access.actor_for(session=session, user=access.get_user(session=session, username=recorder))
            act_as(session, actor)
            proposal = service.propose(session=session, actor=actor, text=text, display="es")
            people = [ParticipantIn(name=p.name, title=p.title, office=p.office, country=p.country,
                                    entity_id=next((c["id"] for c in p.candidates if c["score"] >= SURE), None))
                      for p in proposal.participants if p.known]
            engagement = service.create_engagement(session=session, actor=actor, data=EngagementCreate(
                name=name, date=when, format=fmt, countries=proposal.countries, topics=proposal.topics,
                readouts=[text], participants=people, distribution="release", release_to=list(release_to),
                marking="TLP:GREEN"))
            created.append(engagement.id)
        echo(f"engagements: the {proposal.language} readout {file} taken in, {len(people)} participants, "
             f"topics {', '.join(proposal.topics)} (/engagements/{engagement.id})")
    return created

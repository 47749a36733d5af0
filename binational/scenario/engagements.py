"""A year of bilateral engagements and the commitments made at them, tied to the registered indicators.

Each month brings calls, meetings, visits or dialogues between invented officials of the real offices of
the gazetteer (no real person is in the world: `truth/officials.csv` lists them, as an administrator
would add them to a node's gazetteer), recorded by
US-ICE (released to MX-INM and MX-SRE) or by MX-SRE (released to its US partners), each with a short
readout written from the engagement's own facts: in English for the US records, in Spanish for the
Mexican ones. One to three commitments follow each engagement, tied to an indicator suited to one of
its topics, with a target in the indicator's unit, a due date and a status that fits the date.
`truth/engagements.csv` keeps, per engagement, its participants and topics (what intake should find).
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from binational.engagements import gazetteer, indicators
from binational.scenario.registry import register
from binational.scenario.world import EXTRA_SCHEMATA, Policy, World
from binational.vocabulary import model

# The world checks values against the stock FollowTheMoney model; these schemata are the overlay's.
for _schema in ("Engagement", "Commitment"):
    _props = model.schemata[_schema].properties
    EXTRA_SCHEMATA.setdefault(_schema, {name: prop.type.name for name, prop in _props.items()})

YEAR = 2025
#: engagements a month, by the world's size
PER_MONTH = {"small": 2, "medium": 4, "large": 8}
#: who records the engagements, and the partners each releases them to
RECORDERS = {"US-ICE": ("MX-INM", "MX-SRE"), "MX-SRE": ("US-CBP", "US-ICE")}
FORMATS = ("call", "meeting", "visit", "dialogue")
#: the indicators a topic's commitment is tied to, with a range of monthly targets
TIED = {
    "border_security": ("discovery.hits", (5, 40)),
    "organised_crime": ("networks.plans", (1, 4)),
    "drug_trafficking": ("resolution.accepted", (10, 60)),
    "arms_trafficking": ("resolution.accepted", (5, 30)),
    "migration_returns": ("requests.answered", (10, 80)),
    "trade_investment": ("requests.answer_hours", (24, 72)),
    "human_smuggling": ("requests.answered", (5, 30)),
}
#: what each topic's commitment says, in English and Spanish
PLEDGES = {
    "border_security": ("Share hits on border crossings within the month",
                        "Compartir las coincidencias de cruces fronterizos en el mes"),
    "organised_crime": ("Plan the dismantling of the networks identified",
                        "Planear la desarticulación de las redes identificadas"),
    "drug_trafficking": ("Resolve the records of drug trafficking suspects",
                         "Resolver los registros de presuntos narcotraficantes"),
    "arms_trafficking": ("Match the records of seized firearms across agencies",
                         "Cotejar los registros de armas aseguradas entre instituciones"),
    "migration_returns": ("Answer the partner's requests on returns",
                          "Responder las solicitudes de la contraparte sobre retornos"),
    "trade_investment": ("Answer customs requests within three days",
                         "Responder las solicitudes aduaneras en tres días"),
    "human_smuggling": ("Answer requests on human smuggling cases",
                        "Responder las solicitudes sobre tráfico de personas"),
}
#: a sentence per topic for the readouts, in English and Spanish
SAYINGS = {
    "border_security": ("They reviewed security at the shared border and its ports of entry.",
                        "Revisaron la seguridad en la frontera común y sus puertos de entrada."),
    "organised_crime": ("They agreed to dismantle the criminal networks operating on both sides.",
                        "Acordaron desmantelar las redes criminales que operan en ambos lados."),
    "drug_trafficking": ("Both sides discussed fentanyl seizures and the cartels behind them.",
                         "Ambas partes abordaron los aseguramientos de fentanilo y los cárteles detrás de ellos."),
    "arms_trafficking": ("They addressed the trafficking of firearms southbound.",
                         "Trataron el tráfico de armas de fuego hacia el sur."),
    "migration_returns": ("They discussed migration and the schedule of return flights.",
                          "Conversaron sobre la migración y el calendario de vuelos de retorno."),
    "trade_investment": ("They looked at trade, tariffs and new investment.",
                         "Examinaron el comercio, los aranceles y nuevas inversiones."),
    "human_smuggling": ("They reviewed cases of human smuggling along the routes north.",
                        "Revisaron casos de tráfico de personas en las rutas hacia el norte."),
}


def _readout(language: str, fmt: str, people: list[gazetteer.Official], offices: dict[str, gazetteer.Office],
             topics: list[str], when: date) -> str:
    names = [f"{(p.titles.get(language) or p.titles.get('en', '')).strip()} {p.name}".strip() for p in people]
    if language == "es":
        head = {"call": "sostuvieron una llamada", "meeting": "se reunieron", "visit": "encabezaron una visita",
                "dialogue": "participaron en un diálogo"}[fmt]
        opening = f"El {when.isoformat()}, {', '.join(names[:-1])} y {names[-1]} {head}."
    else:
        head = {"call": "held a call", "meeting": "met", "visit": "led a visit",
                "dialogue": "took part in a dialogue"}[fmt]
        opening = f"On {when.isoformat()}, {', '.join(names[:-1])} and {names[-1]} {head}."
    index = 1 if language == "es" else 0
    return " ".join([opening, *(SAYINGS[t][index] for t in topics)])


#: offices of the invented officials, with their titles in English and Spanish
POSTS = {
    "US": (("US-DOS", "Deputy Secretary of State", "subsecretario de Estado"),
           ("US-DHS", "Secretary of Homeland Security", "secretario de Seguridad Nacional"),
           ("US-DOJ", "Attorney General", "fiscal general"),
           ("US-USTR", "Trade Representative", "representante comercial")),
    "MX": (("MX-SRE", "Secretary of Foreign Affairs", "secretario de Relaciones Exteriores"),
           ("MX-SSPC", "Secretary of Security", "secretario de Seguridad"),
           ("MX-SE", "Secretary of Economy", "secretario de Economía"),
           ("MX-FGR", "Attorney General", "fiscal general de la República")),
}


def _officials(world: World, faker_us, faker_mx) -> dict[str, list[gazetteer.Official]]:  # noqa: ANN001
    """Invented officials for the real offices, written to `truth/officials.csv`."""
    out: dict[str, list[gazetteer.Official]] = {}
    for country, faker in (("US", faker_us), ("MX", faker_mx)):
        out[country] = []
        for office, title_en, title_es in POSTS[country]:
            given, surname = faker.first_name(), faker.last_name()
            person = gazetteer.Official(name=f"{given} {surname}", surname=surname, office=office,
                                        titles={"en": title_en, "es": title_es})
            out[country].append(person)
            world.truth("officials", ("name", "surname", "office", "title_en", "title_es"),
                        (person.name, surname, office, title_en, title_es))
    return out


@register("engagements")
def generate_engagements(world: World, rng: random.Random, faker_us, faker_mx) -> None:  # noqa: ANN001
    found = gazetteer.shipped()
    by_country = _officials(world, faker_us, faker_mx)
    keys = {i.key: i for i in indicators.registered()}
    per_month = PER_MONTH.get(world.size.name, 2)
    for month in range(1, 13):
        for _ in range(per_month):
            recorder = rng.choice(sorted(RECORDERS))
            policy = Policy("release", RECORDERS[recorder], "TLP:GREEN")
            language = "en" if recorder.startswith("US") else "es"
            when = date(YEAR, month, rng.randint(1, 28))
            fmt = rng.choice(FORMATS)
            people = [rng.choice(by_country["US"]), rng.choice(by_country["MX"])]
            if rng.random() < 0.3:
                extra = rng.choice(by_country[rng.choice(("US", "MX"))])
                people += [extra] if extra not in people else []
            topics = sorted(rng.sample(sorted(TIED), rng.randint(1, 3)))
            name = (f"{'Llamada' if language == 'es' else 'Call'} {people[0].surname} – {people[1].surname}"
                    if fmt == "call" else f"{fmt.capitalize()} {people[0].surname} – {people[1].surname}")
            engagement = world.emit(recorder, "Engagement", {
                "name": [name], "date": [when.isoformat()], "format": [fmt], "country": ["us", "mx"],
                "themes": topics,
                # named, not recorded as people: the world's person records are its ground truth's
                "peopleMentioned": [p.name for p in people],
                "readout": [_readout(language, fmt, people, found.offices, topics, when)],
                "readoutLanguage": [language]}, policy, "engagement")
            world.truth("engagements", ("engagement_id", "recorder", "participants", "topics"),
                        (engagement, recorder, "|".join(p.name for p in people), "|".join(topics)))
            for topic in rng.sample(topics, rng.randint(1, len(topics))):
                key, (low, high) = TIED[topic]
                indicator = keys[key]
                due = when + timedelta(days=rng.randint(90, 270))
                status = rng.choice(("open", "in_progress")) if due > date(YEAR, 12, 31) else \
                    rng.choice(("met", "missed", "in_progress", "superseded"))
                owner = rng.choice(sorted({recorder, *RECORDERS[recorder]}))
                world.emit(recorder, "Commitment", {
                    "name": [PLEDGES[topic][1 if language == "es" else 0]], "engagement": [engagement],
                    "committedBy": [rng.choice(people).name], "responsibleAgency": [owner],
                    "dueDate": [due.isoformat()], "status": [status], "themes": [topic],
                    "country": [rng.choice(("us", "mx"))], "indicator": [key],
                    "target": [str(rng.randint(low, high))], "targetUnit": [indicator.unit]}, policy, "commitment")

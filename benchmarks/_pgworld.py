"""A large binational world bulk-loaded into a fresh PostgreSQL database, for the access benchmark.

The database is migrated with `binational.schema.upgrade`; agencies, users and tokens go through the
access service (as `binational` itself would create them); entities, statements, search terms,
releases and cases are written with COPY, because inserting a million statements through the API
would take hours. Values are FollowTheMoney-clean, and search terms come from
`binational.entities.terms`, so the rows are exactly what the API would have written.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Any

import psycopg
from faker import Faker
from sqlalchemy import create_engine, text

from binational.access import service as access
from binational.access.markings import RANK
from binational.config import Settings
from binational.db import Database, act_as_system
from binational.entities.terms import terms_of
from binational.schema import upgrade
from binational.vocabulary import model

AGENCIES = [
    ("US-CBP", "US", "U.S. Customs and Border Protection", 0.22),
    ("US-ATF", "US", "Bureau of Alcohol, Tobacco, Firearms and Explosives", 0.10),
    ("US-ICE", "US", "U.S. Immigration and Customs Enforcement", 0.18),
    ("MX-FGR", "MX", "Fiscalía General de la República", 0.16),
    ("MX-INM", "MX", "Instituto Nacional de Migración", 0.16),
    ("MX-ANAM", "MX", "Agencia Nacional de Aduanas de México", 0.12),
    ("MX-SRE", "MX", "Secretaría de Relaciones Exteriores", 0.06),
]
#: the partner-agency analyst the benchmark reads as
VIEWER = "bench_mx_fgr"
VIEWER_AGENCY = "MX-FGR"
DISTRIBUTIONS = (("agency", 0.40), ("national", 0.30), ("release", 0.30))
MARKING_MIX = (("TLP:CLEAR", 0.10), ("TLP:GREEN", 0.30), ("TLP:AMBER", 0.45), ("TLP:AMBER+STRICT", 0.10),
               ("TLP:RED", 0.05))
SCHEMATA = (("Person", 0.55), ("Company", 0.15), ("Vehicle", 0.15), ("Address", 0.15))
NOW = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)


@dataclass
class Loaded:
    """What the benchmark needs to know about the loaded world."""

    url: str
    entities: int = 0
    statements: int = 0
    terms: int = 0
    releases: int = 0
    cases: int = 0
    seconds: float = 0.0
    tokens: dict[str, str] = field(default_factory=dict)
    surnames: list[str] = field(default_factory=list)


def _pick(rng: random.Random, mix: tuple[tuple[str, float], ...]) -> str:
    return rng.choices([k for k, _ in mix], weights=[w for _, w in mix])[0]


@lru_cache(maxsize=200_000)
def _terms(prop_type: str, value: str) -> tuple[str, ...]:
    return tuple(terms_of(prop_type, value))


class Pools:
    """Name, street and city pools from Faker's US and Mexican locales, drawn from at random."""

    def __init__(self, seed: int) -> None:
        us, mx = Faker("en_US"), Faker("es_MX")
        us.seed_instance(seed)
        mx.seed_instance(seed + 1)
        self.first = sorted({f.first_name() for f in (us, mx) for _ in range(1500)})
        self.last = sorted({f.last_name() for f in (us, mx) for _ in range(1500)})
        self.company = sorted({f.company() for f in (us, mx) for _ in range(2000)})
        self.street = sorted({f.street_address() for f in (us, mx) for _ in range(1500)})
        self.city = sorted({f.city() for f in (us, mx) for _ in range(400)})
        self.state = sorted({f.state() for f in (us, mx) for _ in range(200)})
        self.models = ["Ford F-150", "Chevrolet Silverado", "Nissan Tsuru", "Toyota Hilux", "Dodge Ram",
                       "Volkswagen Jetta", "Freightliner Cascadia", "Kenworth T680", "Honda Civic"]


def _values(schema: str, rng: random.Random, pools: Pools, n: int) -> list[tuple[str, str]]:
    """(property, value) pairs of one entity of `schema`."""
    country = rng.choice(("us", "mx", "mx", "gt", "hn", "sv"))
    phone = f"+{rng.choice(('1915', '1956', '52656', '52899'))}{rng.randrange(10**6, 10**7)}"
    if schema == "Person":
        first, last, last2 = rng.choice(pools.first), rng.choice(pools.last), rng.choice(pools.last)
        birth = date(1950, 1, 1) + timedelta(days=rng.randrange(20000))
        out = [("name", f"{first} {last} {last2}"), ("firstName", first), ("lastName", last),
               ("birthDate", birth.isoformat()), ("nationality", country), ("gender", rng.choice(("male", "female"))),
               ("idNumber", f"{country.upper()}{rng.randrange(10**8, 10**9)}"), ("phone", phone),
               ("email", f"{first.lower()}.{last.lower()}{n}@example.org".replace(" ", "")),
               ("address", f"{rng.choice(pools.street)}, {rng.choice(pools.city)}")]
        if rng.random() < 0.5:
            out.append(("passportNumber", f"P{rng.randrange(10**7, 10**8)}"))
        return out
    if schema == "Company":
        return [("name", rng.choice(pools.company)), ("jurisdiction", country),
                ("registrationNumber", f"RN-{rng.randrange(10**6, 10**7)}"),
                ("taxNumber", f"{rng.randrange(10**8, 10**9)}"), ("address", rng.choice(pools.street)),
                ("phone", phone), ("email", f"info{n}@example.com"),
                ("incorporationDate", (date(1980, 1, 1) + timedelta(days=rng.randrange(15000))).isoformat()),
                ("sector", rng.choice(("logistics", "import-export", "retail", "transport", "construction")))]
    if schema == "Vehicle":
        letters = "ABCDEFGHJKLMNPRSTUVWXYZ"
        plate = f"{rng.choice(letters)}{rng.choice(letters)}{rng.randrange(1000, 9999)}"
        mdl = rng.choice(pools.models)
        return [("name", f"{mdl} {plate}"), ("registrationNumber", plate), ("model", mdl),
                ("type", rng.choice(("car", "truck", "pickup"))), ("country", country),
                ("buildDate", str(rng.randrange(1995, 2025)))]
    city = rng.choice(pools.city)
    street = rng.choice(pools.street)
    return [("full", f"{street}, {city}"), ("street", street), ("city", city),
            ("postalCode", f"{rng.randrange(10000, 99999)}"), ("country", country), ("state", rng.choice(pools.state))]


def create_database(admin_url: str, name: str) -> str:
    """Drop and create database `name`; return its SQLAlchemy URL."""
    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return admin_url.rsplit("/", 1)[0] + f"/{name}"


def _principals(settings: Settings) -> tuple[dict[str, int], dict[str, str]]:
    """Agencies, one analyst per agency (plus the viewer) and their tokens; return user ids and tokens."""
    db = Database(settings)
    users: dict[str, int] = {}
    tokens: dict[str, str] = {}
    with db.unit_of_work() as s:
        act_as_system(s)  # the node operator
        for code, country, name, _ in AGENCIES:
            access.add_agency(session=s, code=code, country=country, name=name)
        for code, *_ in AGENCIES:
            user = access.add_user(session=s, username=f"bench_{code.lower().replace('-', '_')}", agency=code,
                                   roles=["analyst"], clearance="TLP:AMBER")
            _, secret = access.create_token(session=s, user=user, days=30)
            users[code] = user.id
            tokens[user.username] = secret
    db.engine.dispose()
    return users, tokens


def load(settings: Settings, *, entities: int, seed: int = 11, echo: Any = print) -> Loaded:
    """Migrate the (empty) database of `settings` and fill it with `entities` entities."""
    started = time.perf_counter()
    engine = create_engine(settings.database_url)
    upgrade(engine, settings)
    engine.dispose()
    users, tokens = _principals(settings)
    rng = random.Random(seed)  # noqa: S311 - synthetic data
    pools = Pools(seed)
    loaded = Loaded(url=settings.database_url, tokens=tokens, surnames=pools.last)
    codes = [a[0] for a in AGENCIES]
    weights = [a[3] for a in AGENCIES]
    country = {a[0]: a[1] for a in AGENCIES}
    partners = {c: [p for p in codes if country[p] != country[c]] for c in codes}
    props = {s: model.get(s).properties for s, _ in SCHEMATA}  # type: ignore[union-attr]
    viewer_id = users[VIEWER_AGENCY]

    # Restricted cases: a few per agency; the viewer belongs to two (one of its own, one of US-CBP's
    # that US-CBP released to MX-FGR as a whole).
    cases = [(f"case-{code.lower()}-{i}", code) for code in codes for i in range(3)]
    viewer_cases = {"case-mx-fgr-0", "case-us-cbp-0"}
    dsn = settings.database_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(dsn) as conn:
        conn.execute("SET session_replication_role = replica")  # consistent by construction: skip FK triggers
        with conn.cursor() as cur:
            with cur.copy("COPY cases (id, title, owner_agency, created_by, created_at) FROM STDIN") as cp:
                for cid, code in cases:
                    cp.write_row((cid, f"Operation {cid}", code, users[code], NOW))
            with cur.copy("COPY case_members (case_id, user_id, added_at) FROM STDIN") as cp:
                for cid in sorted(viewer_cases):
                    cp.write_row((cid, viewer_id, NOW))
            release_rows: list[tuple[Any, ...]] = [
                ("US-CBP", None, "case-us-cbp-0", "MX-FGR", None, users["US-CBP"], NOW, None, None)
            ]
            stmt_id = 0
            stmt_rows: list[tuple[Any, ...]] = []
            term_rows: list[tuple[Any, ...]] = []
            with cur.copy(
                "COPY entities (id, schema, owner_agency, owner_country, distribution, marking, marking_rank,"
                " case_id, created_by, created_at, updated_at) FROM STDIN"
            ) as ent_cp:
                for n in range(entities):
                    owner = rng.choices(codes, weights=weights)[0]
                    schema = _pick(rng, SCHEMATA)
                    dist = _pick(rng, DISTRIBUTIONS)
                    marking = _pick(rng, MARKING_MIX)
                    case_id = f"case-{owner.lower()}-{rng.randrange(3)}" if rng.random() < 0.03 else None
                    eid = f"{owner.lower()}.{rng.getrandbits(128):032x}"
                    created = NOW - timedelta(minutes=rng.randrange(500_000))
                    ent_cp.write_row((eid, schema, owner, country[owner], dist, marking, RANK[marking], case_id,
                                      users[owner], created, created))
                    released_to: list[str] = []
                    if dist != "agency" and (dist == "release" or rng.random() < 0.2):
                        released_to = rng.sample(partners[owner], k=rng.choice((1, 1, 2, 3)))
                        for to in released_to:
                            roll = rng.random()
                            until = NOW - timedelta(days=5) if roll < 0.05 else (
                                NOW + timedelta(days=400) if roll < 0.3 else None)
                            revoked = NOW - timedelta(days=1) if 0.05 <= roll < 0.1 else None
                            release_rows.append((owner, eid, None, to, until, users[owner], created, revoked,
                                                 users[owner] if revoked else None))
                    for prop, value in _values(schema, rng, pools, n):
                        stmt_id += 1
                        ptype = props[schema][prop].type.name
                        hidden = rng.random() < 0.05
                        smark = "TLP:RED" if hidden and rng.random() < 0.5 else marking
                        stmt_rows.append((stmt_id, eid, schema, prop, ptype, value, value, None, owner, "bench",
                                          owner, "agency" if hidden else "inherit", smark, RANK[smark],
                                          users[owner], created))
                        stmt_dist = "agency" if hidden else "inherit"
                        term_rank = max(RANK[smark], RANK[marking])
                        term_rows.extend((stmt_id, eid, term, owner, stmt_dist, term_rank, owner, country[owner],
                                          dist, case_id) for term in _terms(ptype, value))
                    if (n + 1) % 10_000 == 0:
                        echo(f"  generated {n + 1:,} entities, {stmt_id:,} statements")
            with cur.copy(
                "COPY statements (id, entity_id, schema, prop, prop_type, value, original_value, lang, dataset,"
                " origin, owner_agency, distribution, marking, marking_rank, created_by, created_at) FROM STDIN"
            ) as cp:
                for row in stmt_rows:
                    cp.write_row(row)
            with cur.copy("COPY search_terms (statement_id, entity_id, term, owner_agency, distribution, marking_rank,"
                          " entity_owner_agency, entity_owner_country, entity_distribution, case_id) FROM STDIN") as cp:
                for row in term_rows:
                    cp.write_row(row)
            with cur.copy(
                "COPY releases (owner_agency, entity_id, case_id, to_agency, until, created_by, created_at,"
                " revoked_at, revoked_by) FROM STDIN"
            ) as cp:
                for row in release_rows:
                    cp.write_row(row)
            cur.execute("SELECT setval('statements_id_seq', %s)", (stmt_id,))
        conn.commit()
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
        # Write the load's pages out now, rather than in a checkpoint during the measurements.
        conn.execute("CHECKPOINT")
    loaded.entities, loaded.statements, loaded.terms = entities, stmt_id, len(term_rows)
    loaded.releases, loaded.cases = len(release_rows), len(cases)
    loaded.seconds = time.perf_counter() - started
    return loaded


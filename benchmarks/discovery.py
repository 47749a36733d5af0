"""Hit/no-hit discovery at scale: a batch of 1,000 selectors and single selectors against a million
selectors held by seven agencies, through `binational.requests.discovery`, next to a plain indexed
SQL lookup of the same selectors, in one run on one PostgreSQL database.

A fresh database (`binational_bench_discovery`) is migrated; agencies and users go through the access
service; entities, their statements and the selectors `binational.entities.selectors` derives from
them are written with COPY in chunks. Then, as a US-CBP analyst, batches (one third hits) and single
selectors are answered by the service in a unit of work (normalising, matching as the system,
per-viewer visibility, name scoring, hit_ref issue, the audit append and the commit), and by the peer:
`SELECT ... FROM selectors WHERE (kind, value) IN (...)` through psycopg on normalised keys, no policy.

    python -m benchmarks.discovery --size small     # 50,000 selectors, about a minute
    python -m benchmarks.discovery --size large     # 1,000,000 selectors
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg

from benchmarks import _pgworld
from binational.access import service as access
from binational.access.markings import RANK
from binational.audit.scope import act_as, unit_of_work
from binational.config import Settings, get_settings
from binational.db import Database
from binational.entities.selectors import key_of, name_birth_key
from binational.requests import discovery

SIZES = {"small": {"selectors": 50_000, "batches": 5, "singles": 200},
         "large": {"selectors": 1_000_000, "batches": 10, "singles": 400}}
BATCH = 1000
CHUNK = 20_000  # entities per COPY round
TARGET_BATCH_S = 1.0
TARGET_SINGLE_P99_MS = 20.0
VIEWER = "bench_us_cbp"
NOW = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)
ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results" / "discovery.json"
LETTERS = "ABCDEFGHJKLMNPRSTUVWXYZ"
VIN_CHARS = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789"


def _messy(value: str, rng: random.Random) -> str:
    """A value as an analyst might type it: lower case, dashes, spaces."""
    if rng.random() < 0.5:
        value = value.lower()
    if len(value) > 4 and rng.random() < 0.5:
        cut = rng.randrange(2, len(value) - 1)
        value = f"{value[:cut]}-{value[cut:]}"
    return value


class World:
    """Generates entities of seven agencies with identifying values, and keeps a sample to search for."""

    def __init__(self, seed: int, users: dict[str, int]) -> None:
        self.rng = random.Random(seed)  # noqa: S311 - synthetic data
        self.users = users
        pools = _pgworld.Pools(seed)
        self.first, self.last = pools.first, pools.last
        self.codes = [a[0] for a in _pgworld.AGENCIES]
        self.weights = [a[3] for a in _pgworld.AGENCIES]
        self.country = {a[0]: a[1] for a in _pgworld.AGENCIES}
        self.partners = {c: [p for p in self.codes if self.country[p] != self.country[c]] for c in self.codes}
        self.sample: list[dict[str, Any]] = []
        self.statement_id = 0
        self.selectors = 0
        self.kinds: dict[str, int] = {}

    def _values(self, schema: str) -> list[tuple[str, str, str]]:
        """(property, type, value) of one entity."""
        rng = self.rng
        if schema == "Person":
            first, last, last2 = rng.choice(self.first), rng.choice(self.last), rng.choice(self.last)
            birth = date(1950, 1, 1) + timedelta(days=rng.randrange(20000))
            out = [("name", "name", f"{first} {last} {last2}"), ("birthDate", "date", birth.isoformat()),
                   ("idNumber", "identifier", f"{rng.choice(('MX', 'US', 'GT'))}{rng.randrange(10**8, 10**9)}")]
            if rng.random() < 0.5:
                out.append(("passportNumber", "identifier", f"G{rng.randrange(10**7, 10**8)}"))
            if rng.random() < 0.7:
                area = rng.choice(("1915", "1956", "1520", "52656", "52664"))
                out.append(("phone", "phone", f"+{area}{rng.randrange(2 * 10**6, 10**7)}"))
            if rng.random() < 0.4:
                out.append(("email", "email", f"{first.lower()}.{last.lower()}{rng.randrange(10**6)}@example.org"
                            .replace(" ", "")))
            return out
        if schema == "Vehicle":
            plate = f"{rng.choice(LETTERS)}{rng.choice(LETTERS)}{rng.choice(LETTERS)}{rng.randrange(1000, 9999)}"
            out = [("registrationNumber", "identifier", plate)]
            if rng.random() < 0.6:
                out.append(("registrationNumber", "identifier", "".join(rng.choices(VIN_CHARS, k=17))))
            return out
        serial = f"{rng.choice(('TCA', 'DRG', 'FN', 'KR'))}{rng.randrange(10**6, 10**8)}"
        return [("serialNumber", "identifier", serial),
                ("model", "string", rng.choice(("AK-47", "AR-15", "Barrett .50", "Glock 19")))]

    def entity(self, n: int) -> tuple[tuple[Any, ...], list[tuple[Any, ...]], list[tuple[Any, ...]],
                                      list[tuple[Any, ...]]]:
        """Rows of one entity: the entity, its statements, its selectors, its releases."""
        rng = self.rng
        owner = rng.choices(self.codes, weights=self.weights)[0]
        schema = rng.choices(("Person", "Vehicle", "Firearm"), weights=(0.6, 0.25, 0.15))[0]
        dist = rng.choices(("agency", "national", "release"), weights=(0.6, 0.2, 0.2))[0]
        marking = rng.choices(("TLP:GREEN", "TLP:AMBER", "TLP:RED"), weights=(0.2, 0.7, 0.1))[0]
        eid = f"{owner.lower()}.b{n:09d}"
        user = self.users[owner]
        entity = (eid, schema, owner, self.country[owner], dist, marking, RANK[marking], None, user, NOW, NOW)
        releases = []
        if dist == "release":
            for to in rng.sample(self.partners[owner], k=rng.choice((1, 2))):
                releases.append((owner, eid, None, to, None, user, NOW, None, None))
        statements, selectors, ids = [], [], {}
        for prop, ptype, value in self._values(schema):
            self.statement_id += 1
            ids.setdefault(prop, []).append((self.statement_id, value))
            hidden = rng.random() < 0.03
            statements.append((self.statement_id, eid, schema, prop, ptype, value, None, None, owner, "bench", owner,
                               "agency" if hidden else "inherit", marking, RANK[marking], user, NOW))
            kind = {"idNumber": "document", "passportNumber": "document", "phone": "phone", "email": "email",
                    "registrationNumber": "vehicle", "serialNumber": "firearm"}.get(prop)
            if kind:
                selectors.append((kind, key_of(kind, value), None, eid, self.statement_id, None, owner))
                self._keep(kind, value, None)
        if schema == "Person":
            (name_id, name), (birth_id, birth) = ids["name"][0], ids["birthDate"][0]
            day, words = name_birth_key(name, birth)
            selectors.append(("name_birth", day, words, eid, name_id, birth_id, owner))
            self._keep("name_birth", name, birth)
        self.selectors += len(selectors)
        for s in selectors:
            self.kinds[s[0]] = self.kinds.get(s[0], 0) + 1
        return entity, statements, selectors, releases

    def _keep(self, kind: str, value: str, birth: str | None) -> None:
        # Reservoir sample of what the world holds: the hits the benchmark searches for.
        item = {"type": kind, "value": _messy(value, self.rng) if kind in ("document", "vehicle", "firearm") else value}
        if birth:
            item["birth_date"] = birth
        if len(self.sample) < 20_000:
            self.sample.append(item)
        else:
            j = self.rng.randrange(self.selectors + 1)
            if j < 20_000:
                self.sample[j] = item

    def miss(self) -> dict[str, Any]:
        """A selector nobody holds, of a random kind."""
        rng = self.rng
        kind = rng.choice(("document", "document", "phone", "email", "vehicle", "firearm", "name_birth"))
        if kind == "name_birth":
            return {"type": kind, "value": f"Zacarías Quintanilla {rng.choice(self.last)}",
                    "birth_date": (date(1950, 1, 1) + timedelta(days=rng.randrange(20000))).isoformat()}
        value = {"document": f"ZZ{rng.randrange(10**8)}", "phone": f"+1212{rng.randrange(2 * 10**6, 10**7)}",
                 "email": f"nobody{rng.randrange(10**9)}@nowhere.example", "vehicle": f"QQQ{rng.randrange(10**5)}",
                 "firearm": f"NOPE{rng.randrange(10**8)}"}[kind]
        return {"type": kind, "value": value}

    def batch(self, size: int) -> list[dict[str, Any]]:
        """`size` selectors, one third of them held somewhere, shuffled."""
        hits = self.rng.sample(self.sample, size // 3)
        out = hits + [self.miss() for _ in range(size - len(hits))]
        self.rng.shuffle(out)
        return out


def load(settings: Settings, selectors: int, echo: Any = print) -> tuple[World, dict[str, Any]]:
    """Migrate, create principals, and COPY entities, statements, selectors and releases."""
    started = time.perf_counter()
    from sqlalchemy import create_engine

    from binational.schema import upgrade

    engine = create_engine(settings.database_url)
    upgrade(engine, settings)
    engine.dispose()
    users, _tokens = _pgworld._principals(settings)
    world = World(7, users)
    dsn = settings.database_url.replace("postgresql+psycopg://", "postgresql://")
    entities = releases = 0
    with psycopg.connect(dsn) as conn:
        conn.execute("SET session_replication_role = replica")  # consistent by construction: skip FK triggers
        with conn.cursor() as cur:
            while world.selectors < selectors:
                rows: dict[str, list[tuple[Any, ...]]] = {"e": [], "s": [], "x": [], "r": []}
                for _ in range(CHUNK):
                    if world.selectors >= selectors:
                        break
                    e, s, x, r = world.entity(entities)
                    entities += 1
                    rows["e"].append(e)
                    rows["s"] += s
                    rows["x"] += x
                    rows["r"] += r
                releases += len(rows["r"])
                for sql, key in [
                    ("COPY entities (id, schema, owner_agency, owner_country, distribution, marking, marking_rank,"
                     " case_id, created_by, created_at, updated_at) FROM STDIN", "e"),
                    ("COPY statements (id, entity_id, schema, prop, prop_type, value, original_value, lang, dataset,"
                     " origin, owner_agency, distribution, marking, marking_rank, created_by, created_at)"
                     " FROM STDIN", "s"),
                    ("COPY selectors (kind, value, detail, entity_id, statement_id, statement2_id, owner_agency)"
                     " FROM STDIN", "x"),
                    ("COPY releases (owner_agency, entity_id, case_id, to_agency, until, created_by, created_at,"
                     " revoked_at, revoked_by) FROM STDIN", "r"),
                ]:
                    with cur.copy(sql) as cp:
                        for row in rows[key]:
                            cp.write_row(row)
                echo(f"  loaded {entities:,} entities, {world.statement_id:,} statements, "
                     f"{world.selectors:,} selectors")
            cur.execute("SELECT setval('statements_id_seq', %s)", (world.statement_id,))
        conn.commit()
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
    counts = {"entities": entities, "statements": world.statement_id, "selectors": world.selectors,
              "releases": releases, "selectors_by_kind": dict(sorted(world.kinds.items())),
              "load_seconds": round(time.perf_counter() - started, 1)}
    return world, counts


def _peer_keys(batch: list[dict[str, Any]]) -> tuple[list[str], list[str]]:
    kinds, values = [], []
    for q in discovery.parse(batch):
        kinds.append(q.kind)
        values.append(q.key)
    return kinds, values


PEER_SQL = ("SELECT kind, value, detail, entity_id, owner_agency FROM selectors "
            "WHERE (kind, value) IN (SELECT * FROM unnest(%s::text[], %s::text[]))")


def _ms(seconds: list[float]) -> dict[str, float]:
    ordered = sorted(seconds)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    return {"p50_ms": round(statistics.median(ordered) * 1000, 2), "p99_ms": round(p99 * 1000, 2),
            "max_ms": round(ordered[-1] * 1000, 2), "mean_ms": round(statistics.fmean(ordered) * 1000, 2)}


def measure(settings: Settings, world: World, batches: int, singles: int) -> dict[str, Any]:
    """Time the service and the peer on the same batches and single selectors."""
    db = Database(settings)
    with db.unit_of_work() as s:
        actor = access.actor_for(session=s, user=access.get_user(session=s, username=VIEWER))
    dsn = settings.database_url.replace("postgresql+psycopg://", "postgresql://")
    peer = psycopg.connect(dsn, autocommit=True)

    def ours(batch: list[dict[str, Any]]) -> tuple[float, list[dict[str, Any]]]:
        started = time.perf_counter()
        with unit_of_work(db) as session:
            act_as(session, actor)
            results = discovery.search(session=session, actor=actor, selectors=batch)
        return time.perf_counter() - started, results

    def theirs(batch: list[dict[str, Any]]) -> tuple[float, int]:
        kinds, values = _peer_keys(batch)  # normalised outside the clock: the peer only looks up
        started = time.perf_counter()
        rows = peer.execute(PEER_SQL, (kinds, values)).fetchall()
        return time.perf_counter() - started, len(rows)

    for batch in (world.batch(BATCH) for _ in range(2)):  # warm-up: caches, plans, pool
        ours(batch)
        theirs(batch)
    ours_batch, peer_batch, answered = [], [], {"hit": 0, "visible": 0, "hidden": 0}
    for _ in range(batches):
        batch = world.batch(BATCH)
        seconds, results = ours(batch)
        ours_batch.append(seconds)
        peer_batch.append(theirs(batch)[0])
        answered["hit"] += sum(r["hit"] for r in results)
        answered["visible"] += sum(bool(r["matches"]) for r in results)
        answered["hidden"] += sum(bool(r["hits"]) for r in results)
    ours_single, peer_single = [], []
    for selector in world.batch(singles):
        ours_single.append(ours([selector])[0])
        peer_single.append(theirs([selector])[0])
    peer.close()
    db.engine.dispose()
    report = {
        "batch": {"ours": _ms(ours_batch), "peer": _ms(peer_batch)},
        "single": {"ours": _ms(ours_single), "peer": _ms(peer_single)},
        "answered": {k: round(v / batches / BATCH, 3) for k, v in answered.items()},
    }
    report["ratio"] = {
        "batch_p50": round(report["batch"]["ours"]["p50_ms"] / report["batch"]["peer"]["p50_ms"], 1),
        "single_p50": round(report["single"]["ours"]["p50_ms"] / report["single"]["peer"]["p50_ms"], 1),
    }
    report["targets"] = {
        "batch_under_1s": report["batch"]["ours"]["max_ms"] < TARGET_BATCH_S * 1000,
        "single_p99_under_20ms": report["single"]["ours"]["p99_ms"] < TARGET_SINGLE_P99_MS,
    }
    return report


def print_table(report: dict[str, Any]) -> None:
    """The figures as a small table."""
    print(f"\n{report['counts']['selectors']:,} selectors of {report['counts']['entities']:,} entities, "
          f"seven agencies; viewer {VIEWER}")
    print(f"{'':<22}{'p50 ms':>10}{'p99 ms':>10}{'max ms':>10}")
    for what in ("batch", "single"):
        for who in ("ours", "peer"):
            m = report[what][who]
            label = f"{what} ({BATCH})" if what == "batch" else what
            print(f"{label + ' ' + who:<22}{m['p50_ms']:>10}{m['p99_ms']:>10}{m['max_ms']:>10}")
    print(f"ratio ours/peer: batch {report['ratio']['batch_p50']}x, single {report['ratio']['single_p50']}x")
    print(f"answered per selector: {report['answered']}")
    print(f"targets: {report['targets']}")


def main(argv: list[str] | None = None) -> None:
    """Command line: `python -m benchmarks.discovery --size small|large`."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--size", choices=sorted(SIZES), default="small")
    parser.add_argument("--admin-url", default=os.environ.get(
        "BINATIONAL_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"))
    parser.add_argument("--database", default="binational_bench_discovery")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = parser.parse_args(argv)
    size = SIZES[args.size]
    url = _pgworld.create_database(args.admin_url, args.database)
    key = Path(os.environ.get("TMPDIR", "/tmp")) / f"{args.database}.key"  # noqa: S108
    settings = Settings(database_url=url, audit_key_path=key, environment="test", secret_key="benchmark-secret-disc")
    # One analyst's batches back to back go far past a partner's limits (and its sweep threshold):
    # the benchmark times the search, so the node it runs has limits no batch reaches.
    os.environ.update({f"BINATIONAL_{name}": "1000000000" for name in (
        "DISCOVERY_USER_PER_MINUTE", "DISCOVERY_USER_PER_DAY", "DISCOVERY_AGENCY_PER_DAY")})
    get_settings.cache_clear()
    try:
        print(f"loading {size['selectors']:,} selectors into {args.database} ...", flush=True)
        world, counts = load(settings, size["selectors"])
        report = {"name": "discovery", "size": args.size, "counts": counts,
                  "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
                  **measure(settings, world, size["batches"], size["singles"])}
    finally:
        if not args.keep:
            from sqlalchemy import create_engine, text

            engine = create_engine(args.admin_url, isolation_level="AUTOCOMMIT")
            with engine.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{args.database}" WITH (FORCE)'))
            engine.dispose()
    print_table(report)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2) + "\n")
    print(f"\nwrote {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()

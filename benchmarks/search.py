"""Search that finds people: recall of the right person in the top 10 and latency, our ranked search
(`binational.search`) next to today's exact and prefix search of the entity list, in one run, on the
synthetic world loaded into SQLite and into PostgreSQL.

The world is generated (or read with --world) and loaded through `scenario load`'s own path. Queries
come from the truth (`truth/people.csv`): a true person's name with one typing error, two, the second
surname dropped, the order swapped (surnames first) or the accents removed. The viewer is the
supervisor (TLP:RED clearance) of the agency holding one of the person's records; a query is answered
when any record of that person is among the first ten results. Each search runs as a request does:
its own unit of work, audited and committed; the clock covers all of it.

    python -m benchmarks.search                       # medium world, both databases
    python -m benchmarks.search --size small --databases sqlite
    python -m benchmarks.search --workdir /var/tmp/bench-search               # keep what it loads ...
    python -m benchmarks.search --workdir /var/tmp/bench-search --skip-load   # ... and measure it again
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import random
import statistics
import tempfile
import time
import unicodedata
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text

from binational.access import service as access
from binational.access.policy import Actor
from binational.audit.scope import act_as, unit_of_work
from binational.config import Settings, get_settings
from binational.db import Database
from binational.entities import service as entities
from binational.scenario import generate
from binational.scenario import load as loader
from binational.schema import upgrade
from binational.search import service as search

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results" / "search.json"
PG_ADMIN_URL = os.environ.get("BINATIONAL_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
PG_DATABASE = "binational_bench_search"
KINDS = ("one_typo", "two_typos", "dropped_second_surname", "swapped_order", "no_accents")
TOP = 10
LETTERS = "abcdefghijklmnopqrstuvwxyz"


def _plain(text_: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text_) if not unicodedata.combining(c))


def _typo(word: str, rng: random.Random) -> str:
    """One typing error: a letter replaced, dropped, doubled or two neighbours swapped."""
    i = rng.randrange(len(word))
    kind = rng.choice(("replace", "drop", "insert", "swap"))
    if kind == "replace":
        return word[:i] + rng.choice(LETTERS) + word[i + 1:]
    if kind == "drop":
        return word[:i] + word[i + 1:]
    if kind == "insert":
        return word[:i] + rng.choice(LETTERS) + word[i:]
    i = min(i, len(word) - 2)
    return word[:i] + word[i + 1] + word[i] + word[i + 2:]


def _with_typos(name: str, count: int, rng: random.Random) -> str:
    words = name.split()
    long_words = [i for i, w in enumerate(words) if len(w) >= 4] or list(range(len(words)))
    for i in rng.sample(long_words, min(count, len(long_words))) if count <= len(long_words) else \
            [rng.choice(long_words) for _ in range(count)]:
        words[i] = _typo(words[i], rng)
    return " ".join(words)


def queries(world: Path, count: int, seed: int = 13) -> list[dict[str, Any]]:
    """`count` queries of each kind: text, kind, the person sought and the viewer's agency."""
    rng = random.Random(seed)
    people = {row["person_id"]: row for row in csv.DictReader((world / "truth" / "people.csv").open())}
    records: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for row in csv.DictReader((world / "truth" / "persons.csv").open()):
        records[row["person_id"]].append((row["agency"], row["record_id"]))
    sought = sorted(p for p in records if p in people)
    out = []
    for kind in KINDS:
        pool = sought
        if kind == "dropped_second_surname":
            pool = [p for p in sought if people[p]["materno"]]
        elif kind == "no_accents":
            pool = [p for p in sought if _plain(_name(people[p])) != _name(people[p])]
        for person in rng.sample(pool, min(count, len(pool))):
            row = people[person]
            name = _name(row)
            if kind == "one_typo":
                q = _with_typos(name, 1, rng)
            elif kind == "two_typos":
                q = _with_typos(name, 2, rng)
            elif kind == "dropped_second_surname":
                q = f"{row['given']} {row['paterno']}"
            elif kind == "swapped_order":
                q = " ".join(x for x in (row["paterno"], row["materno"], row["given"]) if x)
            else:
                q = _plain(name)
            agency = rng.choice(records[person])[0]
            out.append({"kind": kind, "q": q, "person": person, "agency": agency})
    return out


def _name(row: dict[str, str]) -> str:
    return " ".join(x for x in (row["given"], row["paterno"], row["materno"]) if x)


def _settings(url: str, folder: Path) -> Settings:
    return Settings(database_url=url, audit_key_path=folder / "audit.key", secret_key_path=folder / "secret.key",
                    environment="test", secret_key="bench-search-secret", request_budget_ms=600_000,
                    statement_timeout_ms=600_000, user_requests_per_minute=0)


def _fresh(backend: str, folder: Path) -> Settings:
    if backend == "sqlite":
        (folder / "search.db").unlink(missing_ok=True)
        return _settings(f"sqlite:///{folder / 'search.db'}", folder)
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{PG_DATABASE}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{PG_DATABASE}"'))
    admin.dispose()
    return _settings(PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{PG_DATABASE}", folder)


def load_world(settings: Settings, world: Path) -> tuple[Database, float]:
    """Migrate a fresh database and load the world into it; the seconds it took."""
    os.environ["BINATIONAL_DATABASE_URL"] = settings.database_url
    os.environ["BINATIONAL_SECRET_KEY"] = settings.secret_key
    get_settings.cache_clear()
    started = time.perf_counter()
    db = Database(settings)
    upgrade(db.engine, settings)
    folder = loader.read_folder(world)
    with unit_of_work(db) as session:
        loader.load(session=session, folder=folder)
    if db.engine.dialect.name == "postgresql":
        with db.engine.begin() as conn:
            conn.execute(text("ANALYZE"))
    return db, time.perf_counter() - started


def _reused(backend: str, folder: Path) -> Settings:
    if backend == "sqlite":
        return _settings(f"sqlite:///{folder / 'search.db'}", folder)
    return _settings(PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{PG_DATABASE}", folder)


def _reuse(settings: Settings) -> Database:
    """A database an earlier run loaded, migrated to the current schema."""
    os.environ["BINATIONAL_DATABASE_URL"] = settings.database_url
    os.environ["BINATIONAL_SECRET_KEY"] = settings.secret_key
    get_settings.cache_clear()
    db = Database(settings)
    upgrade(db.engine, settings)
    return db


def _ms(seconds: list[float]) -> dict[str, float]:
    ordered = sorted(seconds)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {"p50_ms": round(statistics.median(ordered) * 1000, 1), "p95_ms": round(p95 * 1000, 1),
            "max_ms": round(ordered[-1] * 1000, 1)}


def measure(db: Database, world: Path, asked: list[dict[str, Any]]) -> dict[str, Any]:
    """Recall in the top ten and latency of each method over the same queries."""
    person_of = {}
    for row in csv.DictReader((world / "truth" / "persons.csv").open()):
        person_of[f"{row['agency'].lower()}.{row['record_id']}"] = row["person_id"]
    settings = get_settings()
    actors: dict[str, Actor] = {}
    with db.unit_of_work() as s:
        for agency in sorted({a["agency"] for a in asked}):
            username = f"{agency.split('-', 1)[1].lower()}_supervisor"
            actors[agency] = access.actor_for(session=s, user=access.get_user(session=s, username=username))

    def ours(actor: Actor, q: str) -> list[str]:
        with unit_of_work(db) as session:
            act_as(session, actor)
            return [e.id for e in search.search(session=session, actor=actor, q=q, limit=TOP).items]

    def listed(prefix_chars: int) -> Callable[[Actor, str], list[str]]:
        def run(actor: Actor, q: str) -> list[str]:
            settings.search_prefix_chars = prefix_chars
            with unit_of_work(db) as session:
                act_as(session, actor)
                return [e.id for e in entities.list_entities(session=session, actor=actor, q=q, limit=TOP)[0]]
        return run

    methods = {"ours": ours, "prefix": listed(3), "exact": listed(1000)}
    out: dict[str, Any] = {}
    for name, method in methods.items():
        for item in asked[:20]:  # warm-up: caches, plans, the pool
            method(actors[item["agency"]], item["q"])
        found: dict[str, list[bool]] = defaultdict(list)
        seconds = []
        for item in asked:
            started = time.perf_counter()
            ids = method(actors[item["agency"]], item["q"])
            seconds.append(time.perf_counter() - started)
            found[item["kind"]].append(any(person_of.get(i) == item["person"] for i in ids))
        out[name] = {"recall_at_10": {k: round(sum(v) / len(v), 3) for k, v in found.items()},
                     "recall_at_10_all": round(sum(sum(v) for v in found.values()) / len(asked), 3),
                     "latency": _ms(seconds)}
    settings.search_prefix_chars = 3
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", default="medium", choices=("small", "medium", "large"))
    parser.add_argument("--world", type=Path, help="an already generated world of that size")
    parser.add_argument("--databases", nargs="+", default=["sqlite", "postgresql"], choices=("sqlite", "postgresql"))
    parser.add_argument("--queries", type=int, default=100, help="queries of each kind")
    parser.add_argument("--workdir", type=Path,
                        help="keep the world, the SQLite file and the keys here (not in a temporary folder)")
    parser.add_argument("--skip-load", action="store_true",
                        help="measure the databases an earlier run with the same --workdir loaded")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        work = args.workdir or Path(tmp)
        world = args.world or work / "world"
        if not (world / "truth").is_dir():
            generate(7, args.size, world)
        asked = queries(world, args.queries)
        results: dict[str, Any] = {
            "size": args.size, "queries": len(asked), "per_kind": dict.fromkeys(KINDS, 0), "top": TOP,
            "goal": {"recall_at_10": 0.95, "p95_ms": 200},
            "machine": {"python": platform.python_version(), "cpus": os.cpu_count(),
                        "load_average": os.getloadavg()[0]},
        }
        for item in asked:
            results["per_kind"][item["kind"]] += 1
        for backend in args.databases:
            folder = work / backend
            folder.mkdir(exist_ok=True)
            if args.skip_load:
                db, load_s = _reuse(_reused(backend, folder)), 0.0
            else:
                db, load_s = load_world(_fresh(backend, folder), world)
                print(f"{backend}: loaded in {load_s:.0f} s", flush=True)
            results[backend] = {"load_s": round(load_s, 1), **measure(db, world, asked)}
            db.dispose()
            print(json.dumps(results[backend], indent=1), flush=True)
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    _table(results, args.databases)


def _table(results: dict[str, Any], backends: list[str]) -> None:
    print(f"{'database':<11}{'method':<8}" + "".join(f"{k:>24}" for k in KINDS) + f"{'all':>8}{'p95 ms':>9}")
    for backend in backends:
        for method in ("ours", "prefix", "exact"):
            r = results[backend][method]
            print(f"{backend:<11}{method:<8}" + "".join(f"{r['recall_at_10'].get(k, 0):>24.3f}" for k in KINDS)
                  + f"{r['recall_at_10_all']:>8.3f}{r['latency']['p95_ms']:>9.1f}")


if __name__ == "__main__":
    main()

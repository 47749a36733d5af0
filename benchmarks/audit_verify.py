"""What `binational audit verify` costs once it checks the live statements against the log: the walk of
the log, the walk of the statements, and a witness file's check, on SQLite.

Entities are imported through `entities.transfer.import_lines` as an analyst of US-CBP, in files of
10,000 (one audit entry each, as an import writes), and a few hundred single-entity creates and
updates through the service (one entry each, with each row's short hash), then the log is verified.

    python -m benchmarks.audit_verify [--size small|large]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import func, select  # noqa: E402

from binational.access import service as access  # noqa: E402
from binational.audit import checkpoints, witness  # noqa: E402
from binational.audit.verify import verify  # noqa: E402
from binational.config import Settings  # noqa: E402
from binational.db import Database, act_as, act_as_system  # noqa: E402
from binational.entities import integrity, service, transfer  # noqa: E402
from binational.entities.models import Statement  # noqa: E402
from binational.entities.schemas import EntityCreate, EntityPatch  # noqa: E402
from binational.schema import upgrade  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "audit_verify.json"
SIZES = {"small": 10_000, "large": 100_000}
FILE = 10_000
SINGLES = 300


def _line(i: int) -> str:
    return json.dumps({"id": f"p{i}", "schema": "Person", "properties": {
        "name": [f"Persona {i} Ejemplo"], "birthDate": [f"19{50 + i % 50}-0{1 + i % 9}-1{i % 9}"],
        "passportNumber": [f"G{i:08d}"], "nationality": ["mx"], "phone": [f"+1 202 555 {i % 10000:04d}"]}})


def load(db: Database, size: int) -> dict[str, float]:
    """Import `size` entities and make `SINGLES` creates and updates; return the seconds each took."""
    with db.unit_of_work() as s:
        access.add_agency(session=s, code="US-CBP", country="US", name="U.S. Customs and Border Protection")
        access.add_user(session=s, username="bench", agency="US-CBP", roles=["analyst"], clearance="TLP:AMBER")
    started = time.perf_counter()
    for start in range(0, size, FILE):
        with db.unit_of_work() as s:
            actor = access.actor_for(session=s, user=access.get_user(session=s, username="bench"))
            act_as(s, actor)
            transfer.import_lines(session=s, actor=actor, source=f"file{start}",
                                  lines=[_line(i) for i in range(start, min(size, start + FILE))])
    imported = time.perf_counter() - started
    started = time.perf_counter()
    for i in range(SINGLES):
        with db.unit_of_work() as s:
            actor = access.actor_for(session=s, user=access.get_user(session=s, username="bench"))
            act_as(s, actor)
            made = service.create(session=s, actor=actor, data=EntityCreate.model_validate(
                {"schema": "Person", "properties": {"name": [f"Single {i}"], "passportNumber": [f"S{i:07d}"]}}))
            service.update(session=s, actor=actor, entity_id=made.id, patch=EntityPatch(
                remove={"passportNumber": [f"S{i:07d}"]}, add={"passportNumber": [f"T{i:07d}"]}))
    return {"import_s": round(imported, 2), "singles_s": round(time.perf_counter() - started, 2)}


def measure(db: Database, folder: Path) -> dict[str, object]:
    """Time the log walk, the statements walk and a witness file's check."""
    with db.unit_of_work() as s:
        act_as_system(s)
        written = integrity.Collector()
        started = time.perf_counter()
        result = verify(s, db.settings)
        log_only = time.perf_counter() - started
        started = time.perf_counter()
        result = verify(s, db.settings, observe=written.entry)
        observed = time.perf_counter() - started
        started = time.perf_counter()
        problem = integrity.check(s, written)
        statements = time.perf_counter() - started
        count = s.execute(select(func.count()).select_from(Statement)).scalar_one()
        witness.init(folder, "witness.bench")
        witness.trust(folder, checkpoints.node_verifier(db.settings).vkey())
        note = checkpoints.latest(s, db.settings)
        witness.cosign(folder, str(note), witness.proof_text(0, []), int(time.time()))
        started = time.perf_counter()
        witnessed = checkpoints.check_witnessed(s, db.settings, witness.witness_file(folder), result.size)
        witness_s = time.perf_counter() - started
    assert result.ok and problem is None and witnessed is None, (result, problem, witnessed)
    return {"entries": result.size, "statements": count, "log_walk_s": round(log_only, 2),
            "log_walk_observed_s": round(observed, 2), "statements_walk_s": round(statements, 2),
            "witness_check_s": round(witness_s, 2)}


def main(argv: list[str] | None = None) -> None:
    """Command line: `python -m benchmarks.audit_verify --size small|large`."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--size", choices=sorted(SIZES), default="small")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        settings = Settings(database_url=f"sqlite:///{folder / 'bench.db'}", audit_key_path=folder / "audit.key",
                            environment="test", secret_key="benchmark-secret-audit")
        db = Database(settings)
        upgrade(db.engine, settings)
        report: dict[str, object] = {"name": "audit_verify", "size": args.size, "entities": SIZES[args.size],
                                     "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
                                     **load(db, SIZES[args.size]), **measure(db, folder / "witness")}
        db.engine.dispose()
    for key, value in report.items():
        print(f"{key:24} {value}")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()

"""What federation's signed formats cost, in memory: a release bundle of many statements signed and
verified, and step-1 discovery of 1,000 keyed digests against a node's selectors.

- `bundle`: `bundles.sign` (RFC 8785 canonical JSON, Ed25519) and `bundles.verify` (parse, shape,
  signature, header checks) of one entity with N statements; the peer is the same payload written
  and read as plain, unsigned JSON (orjson), what a transfer with no signature would cost.
- `digests`: the keyed digests (HMAC-SHA-256) of M normalised selectors, as the holder indexes them
  under a partner's key, then 1,000 asked digests answered (lookup, and a handle for each hit); the
  peer is the same with a plain SHA-256, the design that is refused (enumerable), to show the key
  costs next to nothing.

- `end_to_end`: two nodes, two SQLite databases, and a witness: a US-CBP entity of N statements
  released to MX-FGR, then `sync.collect` (built and signed as the releasing user), `sync.push` (the
  US log's checkpoint cosigned by the witness, the bundle's tlog-proof) through `sync.receive` on the
  MX node's database (verify with the proof, apply as a locked copy, signed receipt, both sides
  audited) and the MX analyst's read of the copy; the peer is the same release inside one node (both
  agencies in one database, as before federation) and the same read there. Then `steady`: one more
  release of a small record (10 statements) pushed the same way, as a notice would start it, with
  the US log grown by the first (and filled beforehand with L entries, a node that has worked a
  while). No network: the HTTP hops are left out.

    python -m benchmarks.federation [--size small|large] [--no-read]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import secrets
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("BINATIONAL_SECRET_KEY", secrets.token_urlsafe(32))

import orjson  # noqa: E402
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey  # noqa: E402

from binational.audit.notes import COSIGNATURE, ED25519, Verifier  # noqa: E402
from binational.federation import anchors, bundles, digests  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "federation.json"
SIZES = {"small": {"statements": 10_000, "selectors": 100_000, "log": 100_000},
         "large": {"statements": 100_000, "selectors": 1_000_000, "log": 1_000_000}}
ASKED = 1_000
US, MX = "us.binational/cbp", "mx.binational/fgr"


def _anchor(key: Ed25519PrivateKey, now: datetime) -> anchors.Anchor:
    other = Ed25519PrivateKey.generate()
    data = anchors.make(key=key, node=US, endpoint="https://us.example.org/federation",
                        witness_key=Verifier(US, COSIGNATURE, other.public_key()),
                        audit_key=Verifier(US, ED25519, other.public_key()),
                        agencies=[{"code": "US-CBP", "country": "US", "name": "CBP"}], witnesses=[],
                        issued_at=now, expires_at=now + timedelta(days=30))
    return anchors.verify(data, now=now)


def bundle(statements: int) -> dict[str, float]:
    now = datetime.now(UTC)
    key = Ed25519PrivateKey.generate()
    anchor = _anchor(key, now)
    header = {"format": bundles.FORMAT, "release_id": secrets.token_hex(16), "sender": US, "sequence": 1,
              "owner": "US-CBP", "recipient": {"agency": "MX-FGR", "node": MX}, "marking": "TLP:AMBER",
              "purpose": "benchmark", "issued_at": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
              "expires_at": (now + timedelta(days=7)).strftime("%Y-%m-%dT%H:%M:%SZ"), "supersedes": None}
    entity = {"id": "us-cbp.bench", "schema": "Person", "statements": [
        {"prop": "phone" if i % 2 else "alias", "value": f"+1520555{i:07d}" if i % 2 else f"Persona Ejemplo {i}",
         "lang": None, "marking": "TLP:GREEN"} for i in range(statements)]}
    me = bundles.Recipient(MX, frozenset({"MX-FGR"}), 0)
    t0 = time.perf_counter()
    data = bundles.sign(key, header, entity)
    t1 = time.perf_counter()
    verified = bundles.verify(data, anchor, now, me)
    t2 = time.perf_counter()
    assert len(verified.statements) == statements
    plain = orjson.dumps({"header": header, "entity": entity})
    t3 = time.perf_counter()
    assert len(orjson.loads(plain)["entity"]["statements"]) == statements
    t4 = time.perf_counter()
    return {"statements": statements, "bytes": len(data), "sign_s": t1 - t0, "verify_s": t2 - t1,
            "peer_unsigned_write_s": t3 - t2, "peer_unsigned_read_s": t4 - t3}


def _asked(i: int, selectors: int) -> str:
    """Every other asked selector is held, the rest are not."""
    return f"G{i * 7 + (selectors if i % 2 else 0):08d}"


def discovery(selectors: int) -> dict[str, float]:
    secret = secrets.token_bytes(32)
    values = [("document", f"G{i:08d}") for i in range(selectors)]
    t0 = time.perf_counter()
    held = {digests.digest(secret, kind, value): {(f"e{i}", "US-CBP")} for i, (kind, value) in enumerate(values)}
    t1 = time.perf_counter()
    asked = [digests.digest(secret, "document", _asked(i, selectors)) for i in range(ASKED)]
    t2 = time.perf_counter()
    answers = [(d, d in held, digests.new_handle(MX, 1, d) if d in held else None) for d in asked]
    t3 = time.perf_counter()
    hits = sum(1 for _d, hit, _h in answers if hit)
    plain = {hashlib.sha256(f"{k}\n{v}".encode()).hexdigest(): {(f"e{i}", "US-CBP")}
             for i, (k, v) in enumerate(values)}
    t4 = time.perf_counter()
    plain_asked = [hashlib.sha256(f"document\n{_asked(i, selectors)}".encode()).hexdigest() for i in range(ASKED)]
    plain_hits = sum(1 for d in plain_asked if d in plain)
    t5 = time.perf_counter()
    assert hits == plain_hits
    return {"selectors": selectors, "asked": ASKED, "hits": hits, "index_s": t1 - t0, "ask_s": t2 - t1,
            "answer_s": t3 - t2, "peer_plain_index_s": t4 - t3, "peer_plain_answer_s": t5 - t4}


def _node(folder: Path, name: str, node_id: str, country: str, **extra: Any) -> tuple[Any, Any]:
    from binational.access import service as access
    from binational.config import Settings
    from binational.db import Database, act_as_system
    from binational.schema import upgrade

    (folder / name).mkdir()
    settings = Settings(database_url=f"sqlite:///{folder / name}/node.db", audit_key_path=folder / name / "audit.key",
                        secret_key=secrets.token_urlsafe(32), federation_node_id=node_id,
                        federation_endpoint="http://127.0.0.1:9/", node_country=country,
                        request_budget_ms=600_000, statement_timeout_ms=600_000, **extra)
    db = Database(settings)
    upgrade(db.engine, settings)
    with db.unit_of_work() as s:
        act_as_system(s)
        access.add_agency(session=s, code="US-CBP", country="US", name="CBP")
        access.add_agency(session=s, code="MX-FGR", country="MX", name="FGR")
        access.add_user(session=s, username="us_analyst", agency="US-CBP", roles=["analyst"], clearance="TLP:AMBER")
        access.add_user(session=s, username="mx_analyst", agency="MX-FGR", roles=["analyst"], clearance="TLP:AMBER")
    return settings, db


def _as(s: Any, username: str) -> Any:
    from binational.access import service as access
    from binational.db import act_as, act_as_system

    act_as_system(s)
    actor = access.actor_for(session=s, user=access.get_user(session=s, username=username))
    act_as(s, actor)
    return actor


def _released_entity(db: Any, statements: int) -> tuple[str, float]:
    """A US-CBP person of `statements` values, then its release to MX-FGR (timed)."""
    from binational.db import utcnow
    from binational.entities import releases
    from binational.entities.integrity import Written
    from binational.entities.models import Entity
    from binational.entities.service import insert_statements

    entity_id = f"us-cbp.{secrets.token_hex(16)}"
    with db.unit_of_work() as s:
        actor = _as(s, "us_analyst")
        s.add(Entity(id=entity_id, schema="Person", owner_agency="US-CBP", owner_country="US", distribution="release",
                     marking="TLP:GREEN", marking_rank=1, created_by=actor.user_id))
        s.flush()
        now = utcnow()
        rows = [{"entity_id": entity_id, "schema": "Person", "prop": "phone" if i % 2 else "alias",
                 "prop_type": "phone" if i % 2 else "name",
                 "value": f"+1520555{i:07d}" if i % 2 else f"Persona Ejemplo {i}", "original_value": None,
                 "lang": None, "dataset": "US-CBP", "origin": "benchmark", "owner_agency": "US-CBP",
                 "distribution": "inherit", "marking": "TLP:GREEN", "marking_rank": 1, "created_by": actor.user_id,
                 "created_at": now} for i in range(statements)]
        insert_statements(s, rows, Written())
    t0 = time.perf_counter()
    with db.unit_of_work() as s:
        releases.release_entity(session=s, actor=_as(s, "us_analyst"), entity_id=entity_id, to=["MX-FGR"], until=None)
    return entity_id, time.perf_counter() - t0


def _read(db: Any, entity_id: str) -> tuple[int, float]:
    from binational.entities.service import read

    t0 = time.perf_counter()
    with db.unit_of_work() as s:
        found = read(session=s, actor=_as(s, "mx_analyst"), entity_id=entity_id)
    return sum(len(v) for v in found.properties.values()), time.perf_counter() - t0


def _grow_log(db: Any, settings: Any, entries: int) -> None:
    """`entries` more entries in the node's audit log (a node that has worked a while)."""
    from binational.audit import log as audit
    from binational.db import act_as_system

    for start in range(0, entries, 20_000):
        with db.unit_of_work() as s:
            act_as_system(s)
            for i in range(start, min(entries, start + 20_000)):
                audit.record(s, action="entity.view", actor=None, objects=[(f"us-cbp.bench{i}", "US-CBP")])
            audit.flush(s, settings)


def end_to_end(statements: int, log_entries: int, read: bool = True) -> dict[str, float]:
    import tempfile

    from binational.audit import checkpoints, witness
    from binational.db import act_as_system, utcnow
    from binational.federation import service, sync

    folder = Path(tempfile.mkdtemp(prefix="bench-federation-"))
    w = witness.init(folder / "witness", "witness.example/bench")
    us, us_db = _node(folder, "us", US, "US", federation_witnesses=[w.vkey()],
                      federation_witness_urls={w.name: "http://witness.test"})
    mx, mx_db = _node(folder, "mx", MX, "MX")  # requires one witness (the default)
    witness.trust(folder / "witness", checkpoints.node_verifier(us).vkey())
    _grow_log(us_db, us, log_entries)

    def cosign(_url: str, body: str) -> tuple[int, str]:
        try:
            return 200, witness.add_checkpoint(folder / "witness", body, int(time.time()))
        except witness.Refusal as exc:
            return exc.status, str(exc.size) if exc.status == 409 and exc.size is not None else exc.message
    with us_db.unit_of_work() as s:
        act_as_system(s)
        us_anchor = service.write_anchor(session=s, actor=None, settings=us, now=utcnow())
    with mx_db.unit_of_work() as s:
        act_as_system(s)
        mx_anchor = service.write_anchor(session=s, actor=None, settings=mx, now=utcnow())
        service.trust(session=s, actor=None, settings=mx, data=us_anchor, now=utcnow())
    with us_db.unit_of_work() as s:
        act_as_system(s)
        service.trust(session=s, actor=None, settings=us, data=mx_anchor, now=utcnow())

    def deliver(_partner: Any, data: bytes) -> tuple[int, bytes]:
        with mx_db.unit_of_work() as s:
            act_as_system(s)
            out = sync.receive(session=s, settings=mx, data=data, now=utcnow())
        return (200, out.receipt) if out.receipt is not None else (422, b"refused")

    def release_and_push(n: int) -> tuple[str, float, float, float]:
        entity_id, release_s = _released_entity(us_db, n)
        t0 = time.perf_counter()
        with us_db.unit_of_work() as s:
            act_as_system(s)
            collected = sync.collect(session=s, settings=us, now=utcnow())
        t1 = time.perf_counter()
        with us_db.unit_of_work() as s:
            act_as_system(s)
            pushed = sync.push(session=s, settings=us, now=utcnow(), transport=deliver, witness_transport=cosign)
        t2 = time.perf_counter()
        assert collected.bundles == 1 and pushed.sent == 1, (collected, pushed)
        return entity_id, release_s, t1 - t0, t2 - t1

    entity_id, release_s, build_s, push_s = release_and_push(statements)
    values, read_s = _read(mx_db, entity_id) if read else (statements, 0.0)
    assert values == statements, values
    small_id, _small_release_s, small_build_s, small_push_s = release_and_push(10)
    assert _read(mx_db, small_id)[0] == 10
    with us_db.unit_of_work() as s:
        act_as_system(s)
        log_size = checkpoints.size(s)
    # the peer: the same release inside one node, read there
    peer_id, peer_release_s = _released_entity(us_db, statements)
    peer_values, peer_read_s = _read(us_db, peer_id) if read else (statements, 0.0)
    assert peer_values == statements
    return {"statements": statements, "release_s": release_s, "build_sign_s": build_s,
            "cosign_send_verify_apply_s": push_s, "read_copy_s": read_s,
            "total_s": release_s + build_s + push_s + read_s, "peer_release_s": peer_release_s,
            "peer_read_s": peer_read_s, "peer_total_s": peer_release_s + peer_read_s,
            "steady_build_s": small_build_s, "steady_push_s": small_push_s,
            "steady_s": small_build_s + small_push_s, "us_log_entries": log_size}


def main(argv: list[str] | None = None) -> int:
    """Run both measures at `--size`, print them, write benchmarks/results/federation.json."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=sorted(SIZES), default="small")
    parser.add_argument("--no-read", action="store_true",
                        help="leave out reading the copy and the peer's record (an entity of N values is read slowly)")
    args = parser.parse_args(argv)
    size = SIZES[args.size]
    report = {"size": args.size, "machine": platform.platform(), "cpus": os.cpu_count(),
              "bundle": bundle(size["statements"]), "digests": discovery(size["selectors"]),
              "end_to_end": end_to_end(size["statements"], size["log"], read=not args.no_read)}
    b, d = report["bundle"], report["digests"]
    print(f"bundle of {b['statements']:,} statements ({b['bytes']:,} bytes): sign {b['sign_s']:.2f} s, "
          f"verify {b['verify_s']:.2f} s | unsigned JSON write {b['peer_unsigned_write_s']:.3f} s, "
          f"read {b['peer_unsigned_read_s']:.3f} s")
    print(f"digests: index {d['selectors']:,} selectors {d['index_s']:.2f} s (plain SHA-256 "
          f"{d['peer_plain_index_s']:.2f} s); {d['asked']:,} asked: digests {d['ask_s']:.3f} s, answer "
          f"{d['answer_s']:.3f} s with {d['hits']} hits (plain {d['peer_plain_answer_s']:.3f} s)")
    e = report["end_to_end"]
    print(f"end to end, {e['statements']:,} statements: release {e['release_s']:.2f} s, build and sign "
          f"{e['build_sign_s']:.2f} s, cosign, send, verify and apply {e['cosign_send_verify_apply_s']:.2f} s, "
          f"read the copy {e['read_copy_s']:.2f} s: {e['total_s']:.2f} s | inside one node: release "
          f"{e['peer_release_s']:.2f} s, read {e['peer_read_s']:.2f} s: {e['peer_total_s']:.2f} s")
    print(f"steady state: one more release of 10 statements, collect {e['steady_build_s']:.3f} s + cosign, "
          f"send, verify and apply {e['steady_push_s']:.3f} s = {e['steady_s']:.3f} s "
          f"(US log of {e['us_log_entries']:,} entries)")
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

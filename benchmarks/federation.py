"""What federation's signed formats cost, in memory: a release bundle of many statements signed and
verified, and step-1 discovery of 1,000 keyed digests against a node's selectors.

- `bundle`: `bundles.sign` (RFC 8785 canonical JSON, Ed25519) and `bundles.verify` (parse, shape,
  signature, header checks) of one entity with N statements; the peer is the same payload written
  and read as plain, unsigned JSON (orjson), what a transfer with no signature would cost.
- `digests`: the keyed digests (HMAC-SHA-256) of M normalised selectors, as the holder indexes them
  under a partner's key, then 1,000 asked digests answered (lookup, and a handle for each hit); the
  peer is the same with a plain SHA-256, the design that is refused (enumerable), to show the key
  costs next to nothing.

No database and no network (federation endpoints do not exist yet): the figures are the formats'
own floor.

    python -m benchmarks.federation [--size small|large]
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

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("BINATIONAL_SECRET_KEY", secrets.token_urlsafe(32))

import orjson  # noqa: E402
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey  # noqa: E402

from binational.audit.notes import COSIGNATURE, ED25519, Verifier  # noqa: E402
from binational.federation import anchors, bundles, digests  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "federation.json"
SIZES = {"small": {"statements": 10_000, "selectors": 100_000},
         "large": {"statements": 100_000, "selectors": 1_000_000}}
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


def main(argv: list[str] | None = None) -> int:
    """Run both measures at `--size`, print them, write benchmarks/results/federation.json."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=sorted(SIZES), default="small")
    args = parser.parse_args(argv)
    size = SIZES[args.size]
    report = {"size": args.size, "machine": platform.platform(), "cpus": os.cpu_count(),
              "bundle": bundle(size["statements"]), "digests": discovery(size["selectors"])}
    b, d = report["bundle"], report["digests"]
    print(f"bundle of {b['statements']:,} statements ({b['bytes']:,} bytes): sign {b['sign_s']:.2f} s, "
          f"verify {b['verify_s']:.2f} s | unsigned JSON write {b['peer_unsigned_write_s']:.3f} s, "
          f"read {b['peer_unsigned_read_s']:.3f} s")
    print(f"digests: index {d['selectors']:,} selectors {d['index_s']:.2f} s (plain SHA-256 "
          f"{d['peer_plain_index_s']:.2f} s); {d['asked']:,} asked: digests {d['ask_s']:.3f} s, answer "
          f"{d['answer_s']:.3f} s with {d['hits']} hits (plain {d['peer_plain_answer_s']:.3f} s)")
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Readout intake: participants and topics found in readouts against their truth, ours beside a peer.

The readouts are the synthetic world's year of engagements (English and Spanish, each naming invented
officials the node's gazetteer holds, `truth/engagements.csv`) and, when the public data is present,
the Arabic news report of a US–Mexico call (two participants, five topics at least). The peer is what
one would otherwise write with the libraries at hand: the text in ASCII with rigour's transliteration,
each gazetteer name looked for as a window of words with rigour's Levenshtein similarity (0.8 and up),
and each lexicon entry looked for as a lower-case substring of the text.

    python -m benchmarks.engagements_intake [--size small|large]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import tempfile
import time
from pathlib import Path

from rigour.text import ascii_text, levenshtein_similarity

from binational.engagements.gazetteer import Gazetteer, Official, lexicon, shipped
from binational.engagements.intake import propose
from binational.scenario import generate

RESULTS = Path(__file__).parent / "results"
ARABIC_TRUTH = ({"Christopher Landau", "Juan Ramón de la Fuente"},
                {"border_security", "migration_returns", "drug_trafficking", "arms_trafficking", "trade_investment"})


def corpus(size: str) -> tuple[list[tuple[str, set[str], set[str]]], Gazetteer]:
    """(text, participants, topics) of every readout, and the gazetteer with the world's officials."""
    items: list[tuple[str, set[str], set[str]]] = []
    officials: list[Official] = []
    with tempfile.TemporaryDirectory() as tmp:
        for seed in ((7,) if size == "small" else (7, 8, 9, 10)):
            out = Path(tmp) / str(seed)
            generate(seed, "small", out)
            with (out / "truth" / "officials.csv").open(encoding="utf-8", newline="") as handle:
                officials += [Official(name=r["name"], surname=r["surname"], office=r["office"],
                                       titles={"en": r["title_en"], "es": r["title_es"]}, added=True)
                              for r in csv.DictReader(handle)]
            with (out / "truth" / "engagements.csv").open(encoding="utf-8", newline="") as handle:
                truth = {r["engagement_id"]: r for r in csv.DictReader(handle)}
            for path in sorted((out / "entities").glob("*.jsonl")):
                for line in path.read_text(encoding="utf-8").splitlines():
                    entity = json.loads(line)
                    if entity["schema"] == "Engagement":
                        row = truth[entity["id"]]
                        items.append((entity["properties"]["readout"][0], set(row["participants"].split("|")),
                                      set(row["topics"].split("|"))))
    arabic = Path(os.environ.get("BINATIONAL_PUBLIC_DATA", "../shared/data")) / "engagements" / "readout-ar.txt"
    if arabic.is_file():
        items.append((arabic.read_text(encoding="utf-8"), *ARABIC_TRUTH))
    return items, shipped().with_people(officials)


def peer(text: str, gazetteer: Gazetteer) -> tuple[set[str], set[str]]:
    """Participants and topics as a plain transliterate-and-compare approach finds them."""
    plain = ascii_text(text).lower()
    words = plain.split()
    found = set()
    for person in gazetteer.people:
        for form in (person.name, *person.forms):
            target = ascii_text(form).lower()
            n = len(target.split())
            if any(levenshtein_similarity(" ".join(words[i:i + n]), target) >= 0.8
                   for i in range(len(words) - n + 1)):
                found.add(person.name)
                break
    topics = {key for key, entries in lexicon()["topics"].items()
              if any(ascii_text(entry).lower() in plain for lang in entries.values() for entry in lang)}
    return found, topics


def score(found: list[set[str]], truth: list[set[str]]) -> dict[str, float]:
    hits = sum(len(f & t) for f, t in zip(found, truth, strict=True))
    proposed = sum(len(f) for f in found)
    wanted = sum(len(t) for t in truth)
    return {"precision": round(hits / proposed, 3) if proposed else 0.0, "recall": round(hits / wanted, 3)}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=("small", "large"), default="large")
    args = parser.parse_args(argv)
    items, gazetteer = corpus(args.size)
    results: dict[str, dict[str, object]] = {}
    for name, run in (("ours", lambda t: _ours(t, gazetteer)), ("peer", lambda t: peer(t, gazetteer))):
        start = time.perf_counter()
        answers = [run(text) for text, _, _ in items]
        seconds = time.perf_counter() - start
        arabic = answers[-1] if len(items) and items[-1][1] == ARABIC_TRUTH[0] else None
        results[name] = {
            "participants": score([a[0] for a in answers], [i[1] for i in items]),
            "topics": score([a[1] for a in answers], [i[2] for i in items]),
            "ms_per_readout": round(1000 * seconds / len(items), 2),
            "arabic_participants": sorted(arabic[0]) if arabic else None,
        }
    print(f"{len(items)} readouts, {len(gazetteer.people)} officials in the gazetteer")
    print(f"{'':6} {'people P':>8} {'people R':>8} {'topics P':>8} {'topics R':>8} {'ms/readout':>10}  Arabic report")
    for name, r in results.items():
        p, t = r["participants"], r["topics"]
        print(f"{name:6} {p['precision']:8} {p['recall']:8} {t['precision']:8} {t['recall']:8} "  # type: ignore[index]
              f"{r['ms_per_readout']:10}  {r['arabic_participants']}")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "engagements_intake.json").write_text(json.dumps(
        {"size": args.size, "readouts": len(items), "results": results}, ensure_ascii=False, indent=1))


def _ours(text: str, gazetteer: Gazetteer) -> tuple[set[str], set[str]]:
    proposal = propose(text, gazetteer)
    return {p.name for p in proposal.participants if p.known}, set(proposal.topics)


if __name__ == "__main__":
    main()

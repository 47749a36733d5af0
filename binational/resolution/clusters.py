"""Clusters from edges, and thresholds from a labelled sample: the two derivations of resolution.

A pair is linked when a visible judgement says so, or when the latest run scored it as a match and
no visible judgement says otherwise. Per pair, each agency's latest verdict counts (a retraction
withdraws it); one negative verdict outweighs any positive one. The canonical id of a cluster is
its smallest member id, so it is stable, readable and the same for everyone who sees the cluster.
"""

from __future__ import annotations

from collections.abc import Iterable


def stances(rows: Iterable[tuple[str, str, str, str]]) -> dict[tuple[str, str], dict[str, str]]:
    """(left, right, agency, verdict) rows in time order -> pair -> agency -> standing verdict."""
    out: dict[tuple[str, str], dict[str, str]] = {}
    for left, right, agency, verdict in rows:
        pair = out.setdefault((left, right), {})
        if verdict == "retracted":
            pair.pop(agency, None)
        else:
            pair[agency] = verdict
    return out


def pair_verdict(agencies: dict[str, str]) -> str | None:
    """The standing verdict on a pair: negative beats positive beats unsure; None if no stance."""
    values = set(agencies.values())
    for verdict in ("negative", "positive", "unsure"):
        if verdict in values:
            return verdict
    return None


def linked_edges(auto: Iterable[tuple[str, str]], judged: dict[tuple[str, str], dict[str, str]]
                 ) -> list[tuple[str, str]]:
    """The edges clusters are built from: positive verdicts, and automatic matches nobody refuted."""
    edges = [pair for pair, agencies in judged.items() if pair_verdict(agencies) == "positive"]
    edges += [pair for pair in auto if pair_verdict(judged.get(pair, {})) not in ("negative", "unsure")]
    return edges


def components(edges: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Union-find over edges: member id -> canonical id (the smallest id of its component)."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in edges:
        ra, rb = find(a), find(b)
        if ra != rb:
            if rb < ra:
                ra, rb = rb, ra
            parent[rb] = ra
    return {x: find(x) for x in parent}


def calibrate(labelled: list[tuple[float, bool]], default: float, *, minimum: int = 10) -> tuple[float, str]:
    """The match threshold that maximises F1 on labelled (score, is_match) pairs, and where it came
    from; the model's default until there are `minimum` labels of each class."""
    positives = sum(1 for _, y in labelled if y)
    negatives = len(labelled) - positives
    if positives < minimum or negatives < minimum:
        return default, f"model default ({positives} positive, {negatives} negative labels; {minimum} of each needed)"
    best, best_f1 = default, -1.0
    for threshold in sorted({s for s, _ in labelled}):
        tp = sum(1 for s, y in labelled if y and s >= threshold)
        fp = sum(1 for s, y in labelled if not y and s >= threshold)
        fn = positives - tp
        f1 = 2 * tp / (2 * tp + fp + fn) if tp else 0.0
        if f1 > best_f1:
            best, best_f1 = threshold, f1
    return best, f"calibrated on {len(labelled)} judged pairs (F1 {best_f1:.3f})"

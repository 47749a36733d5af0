"""Disruption planning: which k nodes, removed in which order, fragment a network most.

Methods (all adaptive: they look at the graph as it is after each removal):

- `degree`: highest degree first (HDA), a lazy heap; fast on any size.
- `betweenness`: highest betweenness first (HBA), exact up to `engine.EXACT_BETWEENNESS_LIMIT`
  nodes (after a removal only the pieces of its component are recomputed), estimated beyond
  (recomputed after each 1 % of the nodes); with `weighted`, shortest paths
  use 1/contacts as distance. The strongest simple baseline on real covert networks.
- `hybrid` (recommended): the attack above (betweenness on small graphs, degree on large ones) run
  until no component is larger than 1 % of the nodes; greedy reinsertion then puts back every
  removed node that is not needed to keep it so; the remaining set is ordered two ways (adaptive
  betweenness within the set, and the reverse of a smallest-component-first reinsertion); the exact
  curves of those orders and of the plain attack are compared, and the order with the lowest
  robustness over the budget is kept. Its robustness is therefore never above the plain attack's.

Quality is measured with the largest-connected-component (LCC) curve, computed exactly by
union-find in reverse, and the robustness R = mean LCC fraction over the removals.
"""

from __future__ import annotations

import heapq
import math
import random
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field

from binational.networks import engine
from binational.networks.engine import Simple

METHODS = ("hybrid", "betweenness", "degree")
#: the component size (as a fraction of the nodes) the hybrid method dismantles down to
TARGET_FRACTION = 0.01


@dataclass
class Plan:
    """A removal order, the LCC size after 0..k removals, and the robustness over those removals."""

    method: str
    n: int
    order: list[int]
    lcc: list[int]
    variant: str = ""
    notes: list[str] = field(default_factory=list)

    @property
    def curve(self) -> list[float]:
        """LCC as a fraction of all nodes, after 0, 1, ... k removals."""
        return [size / self.n for size in self.lcc] if self.n else []

    @property
    def robustness(self) -> float:
        """Mean LCC fraction over the removals (Schneider's R when the order covers every node)."""
        if not self.order or not self.n:
            return self.lcc[0] / self.n if self.n else 0.0
        return sum(self.lcc[1:]) / (len(self.order) * self.n)


class _Components:
    """Union-find with component sizes."""

    def __init__(self, n: int) -> None:
        self.parent = list(range(n))
        self.size = [1] * n

    def find(self, u: int) -> int:
        parent = self.parent
        while parent[u] != u:
            parent[u] = parent[parent[u]]
            u = parent[u]
        return u

    def union(self, u: int, v: int) -> int:
        ru, rv = self.find(u), self.find(v)
        if ru == rv:
            return self.size[ru]
        if self.size[ru] < self.size[rv]:
            ru, rv = rv, ru
        self.parent[rv] = ru
        self.size[ru] += self.size[rv]
        return self.size[ru]


def lcc_sizes(graph: Simple, order: Sequence[int], adj: list[list[int]] | None = None) -> list[int]:
    """The LCC size after removing 0, 1, ... len(order) nodes of `order`, exactly, in O(m α(n))."""
    adj = adj if adj is not None else graph.adjacency()
    present = [True] * graph.n
    for u in order:
        present[u] = False
    comp = _Components(graph.n)
    largest = 1 if any(present) else 0
    for u, v in graph.edges:
        if present[u] and present[v]:
            largest = max(largest, comp.union(u, v))
    sizes = [largest]
    for u in reversed(order):
        present[u] = True
        largest = max(largest, 1)
        for v in adj[u]:
            if present[v]:
                largest = max(largest, comp.union(u, v))
        sizes.append(largest)
    sizes.reverse()
    return sizes


def ranks(n: int, seed: int | None) -> list[int]:
    """Tie-breaking ranks: input order without a seed, a seeded random permutation with one."""
    order = list(range(n))
    if seed is not None:
        random.Random(seed).shuffle(order)  # noqa: S311 - tie-breaking, not secrecy
    rank = [0] * n
    for position, u in enumerate(order):
        rank[u] = position
    return rank


def adaptive_degree(graph: Simple, k: int, *, protected: Collection[int] = (), rank: Sequence[int] | None = None,
                    among: Collection[int] | None = None, adj: list[list[int]] | None = None,
                    gone: Collection[int] = ()) -> list[int]:
    """Remove the node of highest current degree, k times (ties: lower rank first); `gone` are already out."""
    adj = adj if adj is not None else graph.adjacency()
    rank = rank if rank is not None else range(graph.n)
    removed = [False] * graph.n
    for u in gone:
        removed[u] = True
    allowed = set(range(graph.n)) if among is None else set(among)
    allowed.difference_update(protected)
    allowed.difference_update(gone)
    degree = [sum(not removed[v] for v in a) for a in adj] if gone else [len(a) for a in adj]
    heap = [(-degree[u], rank[u], u) for u in allowed]
    heapq.heapify(heap)
    order: list[int] = []
    while heap and len(order) < k:
        d, _r, u = heapq.heappop(heap)
        if removed[u]:
            continue
        if -d != degree[u]:
            heapq.heappush(heap, (-degree[u], rank[u], u))
            continue
        removed[u] = True
        order.append(u)
        for v in adj[u]:
            if not removed[v]:
                degree[v] -= 1
                if v in allowed:
                    heapq.heappush(heap, (-degree[v], rank[v], v))
    return order


def adaptive_betweenness(graph: Simple, k: int, *, protected: Collection[int] = (),
                         rank: Sequence[int] | None = None, among: Collection[int] | None = None,
                         weighted: bool = False, stop_at: int = 0) -> list[int]:
    """Remove the node of highest current betweenness, k times (ties: higher degree, then lower rank).

    Stops early once the LCC is at most `stop_at` nodes (when given) or no edge is left.
    """
    rank = rank if rank is not None else range(graph.n)
    exact = graph.n <= engine.EXACT_BETWEENNESS_LIMIT
    batch = 1 if exact else max(1, graph.n // 100)
    allowed = set(range(graph.n)) if among is None else set(among)
    allowed.difference_update(protected)
    shrinking = engine.Shrinking(graph, weighted=weighted, exact=exact)
    adj = graph.adjacency()
    degree = [len(a) for a in adj]
    gone = [False] * graph.n
    order: list[int] = []
    while len(order) < k and allowed:
        scores = shrinking.betweenness()
        largest = shrinking.largest() if exact else _largest(graph, order, adj)
        if stop_at and largest <= stop_at:
            break
        if max(scores[u] for u in allowed) <= 0 and among is None:  # only cliques left: degree decides
            order.extend(adaptive_degree(graph, k - len(order), protected=protected, rank=rank, adj=adj, gone=order))
            if stop_at:
                sizes = lcc_sizes(graph, order, adj)
                order = order[: next(i for i, size in enumerate(sizes) if size <= stop_at or i == len(order))]
            break
        if batch == 1:
            top = max(scores[u] for u in allowed)
            tied = [u for u in allowed if scores[u] >= top - 1e-9 * max(1.0, top)]
            take = [min(tied, key=lambda u: (-degree[u], rank[u]))]
        else:
            ranked = sorted(allowed, key=lambda u: (-round(scores[u], 9), -degree[u], rank[u]))
            take = ranked[: min(batch, k - len(order))]
        order.extend(take)
        allowed.difference_update(take)
        shrinking.remove(take)
        for u in take:
            gone[u] = True
            for v in adj[u]:
                degree[v] -= not gone[v]
    return order


def _largest(graph: Simple, removed: Sequence[int], adj: list[list[int]]) -> int:
    return lcc_sizes(graph, removed, adj)[-1] if removed else lcc_sizes(graph, [], adj)[0]


def reinsert(graph: Simple, removed: Sequence[int], limit: int, adj: list[list[int]] | None = None,
             rank: Sequence[int] | None = None) -> tuple[list[int], list[int]]:
    """Put back removed nodes while no component grows beyond `limit`, smallest resulting component first.

    Returns the nodes still removed and the order in which the others were put back. Costs only
    grow as components merge, so a lazy heap of stale lower bounds finds the true minimum.
    """
    adj = adj if adj is not None else graph.adjacency()
    rank = rank if rank is not None else range(graph.n)
    out = set(removed)
    comp = _Components(graph.n)
    for u, v in graph.edges:
        if u not in out and v not in out:
            comp.union(u, v)

    def cost(u: int) -> tuple[int, int]:
        roots = {comp.find(v) for v in adj[u] if v not in out}
        return 1 + sum(comp.size[r] for r in roots), len(roots)

    heap = [(*cost(u), rank[u], u) for u in out]
    heapq.heapify(heap)
    back: list[int] = []
    while heap:
        size, joins, r, u = heapq.heappop(heap)
        now = cost(u)
        if now != (size, joins):
            heapq.heappush(heap, (*now, r, u))
            continue
        if size > limit:
            break
        out.discard(u)
        back.append(u)
        for v in adj[u]:
            if v not in out:
                comp.union(u, v)
    still = [u for u in removed if u in out]
    return still, back


def reinsert_pass(graph: Simple, removed: Sequence[int], limit: int, adj: list[list[int]]) -> list[int]:
    """One pass of reinsertion for large graphs: last removed first, put back if no component
    grows beyond `limit`. Linear in the edges; returns the nodes still removed, in attack order."""
    out = set(removed)
    comp = _Components(graph.n)
    for u, v in graph.edges:
        if u not in out and v not in out:
            comp.union(u, v)
    for u in reversed(removed):
        roots = {comp.find(v) for v in adj[u] if v not in out}
        if 1 + sum(comp.size[r] for r in roots) <= limit:
            out.discard(u)
            for r in roots:
                comp.union(u, r)
    return [u for u in removed if u in out]


def reverse_greedy(graph: Simple, nodes: Sequence[int], adj: list[list[int]] | None = None,
                   rank: Sequence[int] | None = None) -> list[int]:
    """Order `nodes` for removal: the reverse of putting them back smallest-component-first."""
    _still, back = reinsert(graph, nodes, graph.n + 1, adj, rank)
    return list(reversed(back))


def _hybrid(graph: Simple, k: int, protected: Collection[int], rank: Sequence[int], weighted: bool) -> Plan:
    adj = graph.adjacency()
    if graph.n > engine.EXACT_BETWEENNESS_LIMIT:
        return _hybrid_large(graph, k, protected, rank, adj)
    limit = max(1, int(TARGET_FRACTION * graph.n))
    attack = adaptive_betweenness(graph, graph.n, protected=protected, rank=rank, weighted=weighted, stop_at=limit)
    core, _back = reinsert(graph, attack, limit, adj, rank)
    candidates = {
        "reverse-greedy": reverse_greedy(graph, core, adj, rank),
        "betweenness-within-set": adaptive_betweenness(graph, len(core), protected=protected, rank=rank,
                                                       among=core, weighted=weighted),
        "plain-attack": attack if len(attack) >= k else adaptive_betweenness(
            graph, k, protected=protected, rank=rank, weighted=weighted),
    }
    best: Plan | None = None
    for name, order in candidates.items():
        order = _fill(graph, order, k, protected, rank, adj)
        candidate = Plan("hybrid", graph.n, order, lcc_sizes(graph, order, adj), variant=name)
        if best is None or _better(candidate, best):
            best = candidate
    assert best is not None
    polished = polish(graph, best.order, adj)
    if polished != best.order:
        best = Plan("hybrid", graph.n, polished, lcc_sizes(graph, polished, adj), variant=best.variant + "+swaps")
    best.notes.append(f"dismantling set of {len(core)} nodes (from {len(attack)} before reinsertion) "
                      f"leaves no component above {limit} nodes")
    return best


def polish(graph: Simple, order: list[int], adj: list[list[int]], passes: int = 3) -> list[int]:
    """Swap neighbours in the order wherever that lowers the LCC between them; R can only go down.

    Swapping positions i and i+1 changes only the LCC after i+1 removals, so each accepted swap
    lowers the curve at one point and leaves the rest as it was.
    """
    order = list(order)
    sizes = lcc_sizes(graph, order, adj)
    for _ in range(passes):
        changed = False
        for i in range(len(order) - 1):
            if sizes[i + 1] <= 2:
                break
            trial = order[:i] + [order[i + 1]]
            size = lcc_sizes(graph, trial, adj)[-1]
            if size < sizes[i + 1]:
                order[i], order[i + 1] = order[i + 1], order[i]
                sizes[i + 1] = size
                changed = True
        if not changed:
            break
    return order


def _hybrid_large(graph: Simple, k: int, protected: Collection[int], rank: Sequence[int],
                  adj: list[list[int]]) -> Plan:
    """Large graphs: adaptive degree to the budget, then rounds of linear reinsertion (nodes whose
    return would not grow the largest component) and refilling the freed budget by adaptive degree."""
    plain = adaptive_degree(graph, k, protected=protected, rank=rank, adj=adj)
    best = Plan("hybrid", graph.n, plain, lcc_sizes(graph, plain, adj), variant="plain-attack")
    order = plain
    for _round in range(3):
        core = reinsert_pass(graph, order, lcc_sizes(graph, order, adj)[-1], adj)
        if len(core) == len(order):
            break
        order = core + adaptive_degree(graph, k - len(core), protected=protected, rank=rank, adj=adj, gone=core)
        candidate = Plan("hybrid", graph.n, order, lcc_sizes(graph, order, adj), variant="degree+reinsertion")
        if _better(candidate, best):
            best = candidate
    return best


def _better(a: Plan, b: Plan) -> bool:
    """Lower robustness wins; within rounding, the smaller final LCC."""
    if abs(a.robustness - b.robustness) > 1e-12:
        return a.robustness < b.robustness
    return a.lcc[-1] < b.lcc[-1]


def _fill(graph: Simple, order: list[int], k: int, protected: Collection[int], rank: Sequence[int],
          adj: list[list[int]]) -> list[int]:
    """Cut an order to k nodes, or extend it to k by adaptive degree on what is left."""
    if len(order) >= k:
        return order[:k]
    more = adaptive_degree(graph, k - len(order), protected=protected, rank=rank, adj=adj, gone=order)
    return order + more


#: the share of the targetable nodes a plan targets when no budget is given, and the most it targets then
DEFAULT_BUDGET_SHARE = 0.05
DEFAULT_BUDGET_MAX = 25


def default_budget(targetable: int) -> int:
    """The budget of a plan that names none: 5 % of the nodes that may be targeted, between 1 and 25
    (and never more than there are)."""
    return min(targetable, DEFAULT_BUDGET_MAX, max(1, math.ceil(DEFAULT_BUDGET_SHARE * targetable)))


def plan(graph: Simple, budget: int, *, method: str = "hybrid", protected: Collection[int] = (),
         seed: int | None = None, weighted: bool = False) -> Plan:
    """A removal order of `budget` nodes (never a protected one) by `method`, with its LCC curve."""
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; choose one of {', '.join(METHODS)}")
    targetable = graph.n - len(set(protected))
    if budget < 0 or budget > targetable:
        raise ValueError(f"budget {budget} is outside 0..{targetable} (targetable nodes)")
    rank = ranks(graph.n, seed)
    if method == "hybrid":
        return _hybrid(graph, budget, protected, rank, weighted)
    adj = graph.adjacency()
    if method == "degree":
        order = adaptive_degree(graph, budget, protected=protected, rank=rank, adj=adj)
    else:
        order = adaptive_betweenness(graph, budget, protected=protected, rank=rank, weighted=weighted)
    return Plan(method, graph.n, order, lcc_sizes(graph, order, adj))


@dataclass
class Sensitivity:
    """How much a plan moves when ties break differently."""

    runs: int
    final_lcc: tuple[float, float]
    robustness: tuple[float, float]
    #: node -> share of the runs whose plan contains it
    frequency: dict[int, float]


def tie_sensitivity(graph: Simple, budget: int, *, method: str = "hybrid", protected: Collection[int] = (),
                    runs: int = 10, weighted: bool = False) -> Sensitivity:
    """Re-plan with `runs` random tie-breakings and report the spread of the outcome."""
    finals, rs = [], []
    counts: dict[int, int] = {}
    for seed in range(1, runs + 1):
        p = plan(graph, budget, method=method, protected=protected, seed=seed, weighted=weighted)
        finals.append(p.curve[-1])
        rs.append(p.robustness)
        for u in p.order:
            counts[u] = counts.get(u, 0) + 1
    return Sensitivity(
        runs=runs,
        final_lcc=(min(finals), max(finals)),
        robustness=(min(rs), max(rs)),
        frequency={u: c / runs for u, c in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))},
    )


def first_below(plan_: Plan, fraction: float) -> float:
    """The fraction of nodes removed when the LCC first falls to `fraction` of the nodes (inf if never)."""
    for removed, size in enumerate(plan_.lcc):
        if size <= fraction * plan_.n:
            return removed / plan_.n
    return math.inf

"""The adapter of the graph engine (networkit, MIT): the only module that imports it.

Everything else works on `Simple`, a plain undirected graph of nodes 0..n-1 with positive edge
weights, and asks this module for the numbers. Swapping the engine means rewriting this file only.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from binational.lazy_imports import on_first_use

if TYPE_CHECKING:
    import networkit as nk
else:
    nk = on_first_use("networkit")  # seconds to load: only graph measures pay them

#: above this many nodes, betweenness is estimated from sampled sources instead of computed exactly
EXACT_BETWEENNESS_LIMIT = 5000
#: sampled sources of the estimate (each one shortest-path search over the whole graph)
SAMPLED_SOURCES = 32
#: below this many edges a computation runs on one thread: starting a parallel region costs more
#: than the work, and far more while other processes hold the cores (OpenMP's threads spin-wait)
PARALLEL_EDGES = 100_000


@dataclass
class Simple:
    """An undirected simple graph on nodes 0..n-1; `weights[(u, v)]` (u < v) counts contacts."""

    n: int
    edges: list[tuple[int, int]] = field(default_factory=list)
    weights: list[float] = field(default_factory=list)

    @classmethod
    def build(cls, n: int, pairs: Iterable[tuple[int, int, float]]) -> Simple:
        """Merge parallel edges (their weights add up) and drop self-loops."""
        merged: dict[tuple[int, int], float] = {}
        for u, v, w in pairs:
            if u == v:
                continue
            key = (u, v) if u < v else (v, u)
            merged[key] = merged.get(key, 0.0) + w
        return cls(n, list(merged), list(merged.values()))

    def adjacency(self) -> list[list[int]]:
        """Neighbour lists."""
        adj: list[list[int]] = [[] for _ in range(self.n)]
        for u, v in self.edges:
            adj[u].append(v)
            adj[v].append(u)
        return adj


def _nk(graph: Simple, *, weighted: bool = False, distance: bool = False) -> nk.Graph:
    """A networkit graph; with `distance`, an edge's weight is 1/contacts (frequent contact = close)."""
    g = nk.Graph(graph.n, weighted=weighted or distance, directed=False)
    for (u, v), w in zip(graph.edges, graph.weights, strict=True):
        if distance:
            g.addEdge(u, v, 1.0 / w)
        elif weighted:
            g.addEdge(u, v, w)
        else:
            g.addEdge(u, v)
    return g


def configure(*, seed: int, threads: int | None = None) -> None:
    """Seed the engine's random choices (Leiden, sampling) for reproducible answers."""
    nk.setSeed(seed, False)
    if threads:
        nk.setNumberOfThreads(threads)


@contextmanager
def threads_for(edges: int) -> Iterator[None]:
    """Run the engine on one thread inside this block when the graph has fewer than `PARALLEL_EDGES` edges."""
    if edges >= PARALLEL_EDGES:
        yield
        return
    threads = nk.getMaxNumberOfThreads()
    nk.setNumberOfThreads(1)
    try:
        yield
    finally:
        nk.setNumberOfThreads(threads)


def betweenness(graph: Simple, *, weighted: bool = False, exact: bool | None = None) -> tuple[list[float], bool]:
    """Normalised betweenness of every node, and whether it is exact.

    With `weighted`, shortest paths use 1/contacts as distance. Beyond `EXACT_BETWEENNESS_LIMIT`
    nodes the scores are estimated from `SAMPLED_SOURCES` random sources (Brandes & Pich); KADABRA's
    error guarantee needs too many samples on dense graphs of that size.
    """
    exact = graph.n <= EXACT_BETWEENNESS_LIMIT if exact is None else exact
    weighted = weighted and any(w != 1 for w in graph.weights)  # equal weights: plain BFS is the same, faster
    g = _nk(graph, distance=weighted)
    algo = nk.centrality.Betweenness(g, normalized=True) if exact else \
        nk.centrality.EstimateBetweenness(g, SAMPLED_SOURCES, True, True)
    with threads_for(len(graph.edges)):
        algo.run()
    # normalising divides by (n-1)(n-2): a graph of two nodes would give NaN where no path passes through
    return [x if math.isfinite(x) else 0.0 for x in algo.scores()], exact


def eigenvector(graph: Simple) -> list[float]:
    """Eigenvector centrality (2-norm); zero for a graph without edges."""
    if not graph.edges:
        return [0.0] * graph.n
    g = _nk(graph, weighted=True)
    algo = nk.centrality.EigenvectorCentrality(g, tol=1e-9)
    with threads_for(len(graph.edges)):
        algo.run()
    return [abs(x) for x in algo.scores()]


def core_numbers(graph: Simple) -> list[int]:
    """The k-core number of every node."""
    g = _nk(graph)
    algo = nk.centrality.CoreDecomposition(g)
    with threads_for(len(graph.edges)):
        algo.run()
    return [int(x) for x in algo.scores()]


def leiden(graph: Simple, *, resolution: float = 1.0, seed: int = 7) -> tuple[list[int], float]:
    """Communities by Leiden (modularity), as a label per node, and the modularity reached.

    One thread and a fixed seed: the same graph gives the same communities every time.
    """
    if not graph.edges:
        return list(range(graph.n)), 0.0
    threads = nk.getMaxNumberOfThreads()
    configure(seed=seed, threads=1)
    g = _nk(graph, weighted=True)
    algo = nk.community.ParallelLeiden(g, randomize=True, iterations=3, gamma=resolution)
    try:
        algo.run()
        partition = algo.getPartition()
        # still on one thread: on a small graph the parallel count of modularity costs more than Leiden
        quality = float(nk.community.Modularity().getQuality(partition, g))
    finally:
        nk.setNumberOfThreads(threads)
    labels = [int(partition.subsetOf(u)) for u in range(graph.n)]
    return labels, quality


def shortest_path(graph: Simple, source: int, target: int, *, weighted: bool) -> tuple[list[int], float]:
    """One shortest path and its length (hops, or the sum of 1/contacts when `weighted`); [] if none."""
    g = _nk(graph, distance=weighted)
    algo = nk.distance.BidirectionalDijkstra(g, source, target, True) if weighted else \
        nk.distance.BidirectionalBFS(g, source, target, True)
    with threads_for(len(graph.edges)):
        algo.run()
    path = [int(x) for x in algo.getPath()]
    dist = float(algo.getDistance())
    if math.isinf(dist) or dist > 1e300:
        return [], math.inf
    return [source, *path, target], dist


class Shrinking:
    """A graph nodes are removed from, with the betweenness of every node kept current (adaptive attacks).

    Exact: removing nodes changes shortest paths only inside their own components, so only the
    pieces those components fall into are recomputed, each on its own, and a piece of one or two
    nodes has no node between two others. Estimated (`exact=False`): the whole remaining graph
    from sampled sources after each removal, in parallel.
    """

    def __init__(self, graph: Simple, *, weighted: bool = False, exact: bool = True) -> None:
        self.n = graph.n
        self.exact = exact
        self.scores = [0.0] * graph.n
        if not exact:
            self.g = _nk(graph, distance=weighted)
            return
        self.adj = graph.adjacency()
        self.distance: dict[tuple[int, int], float] | None = None
        if weighted:
            self.distance = {(min(u, v), max(u, v)): 1.0 / w
                             for (u, v), w in zip(graph.edges, graph.weights, strict=True)}
        self.present = [True] * graph.n
        #: the piece (connected component of what is left) of every node, by the piece's label
        self.piece = [-1] * graph.n
        self.sizes: dict[int, int] = {}
        self.labels = 0
        self._recount(range(graph.n))

    def remove(self, nodes: Sequence[int]) -> None:
        """Remove nodes and their edges, and bring the scores up to date."""
        if not self.exact:
            for u in nodes:
                if self.g.hasNode(u):
                    self.g.removeNode(u)
            return
        touched: list[int] = []
        for u in nodes:
            if self.present[u]:
                self.present[u] = False
                self.scores[u] = 0.0
                touched.extend(self.adj[u])
                label = self.piece[u]
                self.sizes[label] -= 1
                if not self.sizes[label]:
                    del self.sizes[label]
        self._recount(v for v in touched if self.present[v])

    def largest(self) -> int:
        """The size of the largest piece left (exact mode)."""
        return max(self.sizes.values(), default=0)

    def betweenness(self) -> list[float]:
        """Raw betweenness of every node id (removed nodes score 0)."""
        if self.exact:
            return self.scores
        if self.g.numberOfEdges() == 0:
            return [0.0] * self.n
        algo = nk.centrality.EstimateBetweenness(self.g, SAMPLED_SOURCES, False, True)
        with threads_for(self.g.numberOfEdges()):
            algo.run()
        scores = list(algo.scores())
        return scores + [0.0] * (self.n - len(scores))

    def _recount(self, starts: Iterable[int]) -> None:
        """Relabel the pieces reached from `starts` and recompute their scores."""
        starts = list(starts)
        for start in starts:  # the pieces they were in are split up anew
            self.sizes.pop(self.piece[start], None)
        pieces: list[list[int]] = []
        seen: set[int] = set()
        for start in starts:
            if start in seen:
                continue
            seen.add(start)
            piece, frontier = [start], [start]
            while frontier:
                u = frontier.pop()
                for v in self.adj[u]:
                    if self.present[v] and v not in seen:
                        seen.add(v)
                        piece.append(v)
                        frontier.append(v)
            label = self.labels = self.labels + 1
            for u in piece:
                self.piece[u] = label
            self.sizes[label] = len(piece)
            pieces.append(piece)
        for piece in pieces:
            self._score(piece)

    def _score(self, piece: list[int]) -> None:
        if len(piece) < 3:
            for u in piece:
                self.scores[u] = 0.0
            return
        index = {u: i for i, u in enumerate(piece)}
        g = nk.Graph(len(piece), weighted=self.distance is not None, directed=False)
        for u in piece:
            for v in self.adj[u]:
                if u < v and v in index:
                    if self.distance is None:
                        g.addEdge(index[u], index[v])
                    else:
                        g.addEdge(index[u], index[v], self.distance[(u, v)])
        algo = nk.centrality.Betweenness(g, normalized=False)
        with threads_for(g.numberOfEdges()):
            algo.run()
        for u, score in zip(piece, algo.scores(), strict=True):
            self.scores[u] = score

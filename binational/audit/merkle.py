"""RFC 6962 Merkle tree hashing over a compact frontier, so appends and roots cost O(log n), and the
consistency proofs between two sizes of a tree (RFC 9162 §2.1.4)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable


def leaf_hash(entry: bytes) -> bytes:
    """`SHA-256(0x00 || entry)`."""
    return hashlib.sha256(b"\x00" + entry).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """`SHA-256(0x01 || left || right)`."""
    return hashlib.sha256(b"\x01" + left + right).digest()


EMPTY_ROOT = hashlib.sha256(b"").digest()

#: the tree head of the leaves `start` to `end`
Subtree = Callable[[int, int], bytes]


def append(frontier: list[bytes], size: int, leaf: bytes) -> list[bytes]:
    """Add one leaf to the frontier of a tree of `size` leaves; return the new frontier.

    The frontier holds the roots of the perfect subtrees the tree decomposes into, largest first
    (one per set bit of `size`).
    """
    frontier = list(frontier)
    node = leaf
    n = size
    while n & 1:
        node = node_hash(frontier.pop(), node)
        n >>= 1
    frontier.append(node)
    return frontier


def root(frontier: list[bytes]) -> bytes:
    """The RFC 6962 tree head of the tree the frontier describes."""
    if not frontier:
        return EMPTY_ROOT
    node = frontier[-1]
    for left in reversed(frontier[:-1]):
        node = node_hash(left, node)
    return node


def root_of(leaves: list[bytes]) -> bytes:
    """The RFC 6962 tree head of a list of leaf hashes, by the recursive definition (for tests)."""
    if not leaves:
        return EMPTY_ROOT
    if len(leaves) == 1:
        return leaves[0]
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return node_hash(root_of(leaves[:k]), root_of(leaves[k:]))


def _largest_power_below(n: int) -> int:
    """The largest power of two smaller than `n` (n > 1): where RFC 6962 splits a tree of n leaves."""
    return 1 << ((n - 1).bit_length() - 1)


def subtree_root(leaves: list[bytes], start: int, end: int) -> bytes:
    """The RFC 6962 tree head of `leaves[start:end]`, in one pass over them (a frontier, not recursion)."""
    frontier: list[bytes] = []
    for size, leaf in enumerate(leaves[start:end]):
        frontier = append(frontier, size, leaf)
    return root(frontier)


def consistency_proof(leaves: list[bytes], old_size: int) -> list[bytes]:
    """The RFC 9162 §2.1.4.1 consistency proof from the tree of the first `old_size` leaves to the tree
    of all of them (empty when `old_size` is 0 or the whole tree). Each leaf is hashed once."""
    return consistency_path(len(leaves), old_size, lambda start, end: subtree_root(leaves, start, end))


def consistency_path(size: int, old_size: int, subtree: Subtree) -> list[bytes]:
    """`consistency_proof` from `old_size` to `size`, with `subtree(start, end)` giving the tree head of
    the leaves `start` to `end` (a list of leaves, or a `Tree`)."""
    if not 0 <= old_size <= size:
        raise ValueError(f"no proof from size {old_size} to size {size}")
    if old_size in (0, size):
        return []
    proof: list[bytes] = []
    # SUBPROOF(m, D[start:end], complete), walked down iteratively; the hashes are gathered from the
    # leaves upwards and reversed at the end, as the definition prepends the deeper ones.
    start, end, m, complete = 0, size, old_size, True
    while m != end - start:
        k = _largest_power_below(end - start)
        if m <= k:
            proof.append(subtree(start + k, end))
            end = start + k
        else:
            proof.append(subtree(start, start + k))
            start, m, complete = start + k, m - k, False
    if not complete:
        proof.append(subtree(start, end))
    proof.reverse()
    return proof


def verify_consistency(old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: list[bytes]) -> bool:
    """Whether `proof` shows that the tree (`new_size`, `new_root`) extends the tree (`old_size`,
    `old_root`), by RFC 9162 §2.1.4.2. The empty tree is consistent with every tree (and needs no
    proof); a tree is consistent with itself only if the roots are equal."""
    if old_size < 0 or old_size > new_size:
        return False
    if old_size == 0:
        return not proof and old_root == EMPTY_ROOT
    if old_size == new_size:
        return not proof and old_root == new_root
    if not proof:
        return False
    path = list(proof)
    if old_size & (old_size - 1) == 0:  # a perfect tree: its root is the first node of the path
        path.insert(0, old_root)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for node in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(node, fr)
            sr = node_hash(node, sr)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, node)
        fn >>= 1
        sn >>= 1
    return fr == old_root and sr == new_root and sn == 0


def roots_at(leaves: list[bytes], sizes: set[int]) -> dict[int, bytes]:
    """The tree heads of the first `size` leaves for each of `sizes` (at most the number of leaves), in
    one pass."""
    found = {0: EMPTY_ROOT} if 0 in sizes else {}
    frontier: list[bytes] = []
    for size, leaf in enumerate(leaves):
        frontier = append(frontier, size, leaf)
        if size + 1 in sizes:
            found[size + 1] = root(frontier)
    return found


def inclusion_proof(leaves: list[bytes], index: int) -> list[bytes]:
    """The RFC 9162 §2.1.3.1 inclusion proof of leaf `index` in the tree of all `leaves`, from the
    leaf's sibling up to the root's child. Each leaf is hashed once."""
    return inclusion_path(len(leaves), index, lambda start, end: subtree_root(leaves, start, end))


def inclusion_path(size: int, index: int, subtree: Subtree) -> list[bytes]:
    """`inclusion_proof` of leaf `index` in the tree of `size` leaves, with `subtree` as in
    `consistency_path`."""
    if not 0 <= index < size:
        raise ValueError(f"no leaf {index} in a tree of {size}")
    proof: list[bytes] = []
    # PATH(m, D[start:end]) walked down; the siblings are gathered from the root down and reversed.
    start, end, m = 0, size, index
    while end - start > 1:
        k = _largest_power_below(end - start)
        if m < k:
            proof.append(subtree(start + k, end))
            end = start + k
        else:
            proof.append(subtree(start, start + k))
            start, m = start + k, m - k
    proof.reverse()
    return proof


class Tree:
    """A log's leaf hashes and the roots of all its aligned perfect subtrees, kept in memory: an append
    costs O(1) hashes amortised, and the tree head of any prefix, an inclusion proof or a consistency
    proof O(log² n), with no pass over the leaves. About 64 bytes a leaf."""

    def __init__(self) -> None:
        #: levels[h] holds, 32 bytes each, the roots of leaves [i·2^h, (i+1)·2^h) for every whole one
        self.levels: list[bytearray] = [bytearray()]

    @property
    def size(self) -> int:
        """How many leaves the tree holds."""
        return len(self.levels[0]) // 32

    def append(self, leaf: bytes) -> None:
        """Add one leaf hash."""
        self.levels[0] += leaf
        h = 0
        while (len(self.levels[h]) // 32) % 2 == 0:
            if len(self.levels) == h + 1:
                self.levels.append(bytearray())
            level = self.levels[h]
            self.levels[h + 1] += node_hash(bytes(level[-64:-32]), bytes(level[-32:]))
            h += 1

    def _node(self, height: int, i: int) -> bytes:
        return bytes(self.levels[height][i * 32:(i + 1) * 32])

    def subtree(self, start: int, end: int) -> bytes:
        """The tree head of leaves `start` to `end` (`start` a multiple of the largest power of two
        below `end - start`, as in every proof's recursion)."""
        if not 0 <= start < end <= self.size:
            raise ValueError(f"no leaves {start} to {end} in a tree of {self.size}")
        nodes = []
        while start < end:
            n = end - start
            k = n if n & (n - 1) == 0 else _largest_power_below(n)
            if start % k:
                raise ValueError(f"leaves {start} to {end} are not a subtree of the log")
            nodes.append(self._node(k.bit_length() - 1, start // k))
            start += k
        node = nodes[-1]
        for left in reversed(nodes[:-1]):
            node = node_hash(left, node)
        return node

    def root(self, size: int) -> bytes:
        """The tree head of the first `size` leaves."""
        if size == 0:
            return EMPTY_ROOT
        # the prefix splits into perfect subtrees, largest first: one per set bit of `size`
        nodes, start = [], 0
        for height in range(size.bit_length() - 1, -1, -1):
            if size >> height & 1:
                nodes.append(self._node(height, start >> height))
                start += 1 << height
        node = nodes[-1]
        for left in reversed(nodes[:-1]):
            node = node_hash(left, node)
        return node

    def inclusion_proof(self, index: int, size: int) -> list[bytes]:
        """The inclusion proof of leaf `index` in the tree of the first `size` leaves."""
        return inclusion_path(size, index, self.subtree)

    def consistency_proof(self, old_size: int, size: int) -> list[bytes]:
        """The consistency proof from the first `old_size` leaves to the first `size`."""
        return consistency_path(size, old_size, self.subtree)


def verify_inclusion(index: int, size: int, leaf: bytes, root_hash: bytes, proof: list[bytes]) -> bool:
    """Whether `proof` shows leaf hash `leaf` at `index` in the tree (`size`, `root_hash`), by RFC 9162
    §2.1.3.2."""
    if not 0 <= index < size:
        return False
    fn, sn, node = index, size - 1, leaf
    for sibling in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            node = node_hash(sibling, node)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            node = node_hash(node, sibling)
        fn >>= 1
        sn >>= 1
    return sn == 0 and node == root_hash

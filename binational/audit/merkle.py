"""RFC 6962 Merkle tree hashing over a compact frontier, so appends and roots cost O(log n)."""

from __future__ import annotations

import hashlib


def leaf_hash(entry: bytes) -> bytes:
    """`SHA-256(0x00 || entry)`."""
    return hashlib.sha256(b"\x00" + entry).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """`SHA-256(0x01 || left || right)`."""
    return hashlib.sha256(b"\x01" + left + right).digest()


EMPTY_ROOT = hashlib.sha256(b"").digest()


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

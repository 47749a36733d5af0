"""Merkle inclusion proofs (RFC 6962 §2.1.1, RFC 9162 §2.1.3): the audit paths the RFC draws for its
seven-leaf tree, the recursive definition for every leaf of every size up to 40, and refusals of an
altered proof, leaf, index or root, and a size the path cannot
reach (the size itself is bound by the checkpoint's signature)."""

from __future__ import annotations

from binational.audit import merkle

LEAVES = [merkle.leaf_hash(f"entry {i}".encode()) for i in range(40)]


def path(m: int, leaves: list[bytes]) -> list[bytes]:
    """PATH of RFC 6962 §2.1.1, by the recursive definition."""
    n = len(leaves)
    if n == 1:
        return []
    k = 1 << ((n - 1).bit_length() - 1)
    if m < k:
        return [*path(m, leaves[:k]), merkle.root_of(leaves[k:])]
    return [*path(m - k, leaves[k:]), merkle.root_of(leaves[:k])]


def test_the_rfc_audit_paths_of_its_seven_leaf_tree():
    d = LEAVES[:7]
    h = merkle.node_hash
    a, b, c, dd, e, f = d[0], d[1], d[2], d[3], d[4], d[5]
    g, hh, i, j = h(a, b), h(c, dd), h(e, f), d[6]
    k, kl = h(g, hh), h(i, j)
    assert merkle.inclusion_proof(d, 0) == [b, hh, kl]
    assert merkle.inclusion_proof(d, 3) == [c, g, kl]
    assert merkle.inclusion_proof(d, 4) == [f, j, k]
    assert merkle.inclusion_proof(d, 6) == [i, k]


def test_every_leaf_of_every_size_matches_the_definition_and_verifies():
    for size in range(1, len(LEAVES) + 1):
        leaves = LEAVES[:size]
        root = merkle.root_of(leaves)
        for index in range(size):
            proof = merkle.inclusion_proof(leaves, index)
            assert proof == path(index, leaves)
            assert merkle.verify_inclusion(index, size, leaves[index], root, proof)


def test_an_altered_proof_leaf_index_size_or_root_is_refused():
    leaves = LEAVES[:23]
    root = merkle.root_of(leaves)
    for index in (0, 7, 16, 22):
        proof = merkle.inclusion_proof(leaves, index)
        leaf = leaves[index]
        assert not merkle.verify_inclusion(index, 23, LEAVES[30], root, proof)  # another entry
        assert not merkle.verify_inclusion((index + 1) % 23, 23, leaf, root, proof)
        assert not merkle.verify_inclusion(index, 64, leaf, root, proof)  # a size the path does not walk
        assert not merkle.verify_inclusion(index, 23, leaf, merkle.root_of(LEAVES[:22]), proof)
        assert not merkle.verify_inclusion(index, 23, leaf, root, proof[:-1])
        assert not merkle.verify_inclusion(index, 23, leaf, root, [*proof, proof[0]])
        for at in range(len(proof)):
            bent = [*proof[:at], bytes(32), *proof[at + 1:]]
            assert not merkle.verify_inclusion(index, 23, leaf, root, bent)
    assert not merkle.verify_inclusion(23, 23, leaves[0], root, [])
    assert not merkle.verify_inclusion(-1, 23, leaves[0], root, [])
    assert merkle.verify_inclusion(0, 1, leaves[0], leaves[0], [])


def test_the_kept_tree_gives_the_same_heads_and_proofs_as_the_leaves():
    tree = merkle.Tree()
    for size, leaf in enumerate(LEAVES, start=1):
        tree.append(leaf)
        leaves = LEAVES[:size]
        assert tree.root(size) == merkle.root_of(leaves)
        for index in range(size):
            assert tree.inclusion_proof(index, size) == merkle.inclusion_proof(leaves, index)
    for size in range(1, len(LEAVES) + 1):  # every prefix of the whole tree, and proofs between them
        assert tree.root(size) == merkle.root_of(LEAVES[:size])
        for old in range(size + 1):
            assert tree.consistency_proof(old, size) == merkle.consistency_proof(LEAVES[:size], old)

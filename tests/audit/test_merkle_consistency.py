"""Merkle consistency proofs (RFC 6962 §2.1.2, RFC 9162 §2.1.4): the proofs the RFC draws for its
seven-leaf tree, the recursive definition for every pair of sizes up to 70, and refusals of every
altered proof, root or size."""

from __future__ import annotations

import hashlib

from hypothesis import given
from hypothesis import strategies as st

from binational.audit import merkle

LEAVES = [merkle.leaf_hash(f"entry {i}".encode()) for i in range(71)]


def mth(leaves: list[bytes]) -> bytes:
    """MTH of RFC 6962 §2.1, written out again."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return leaves[0]
    k = 1 << ((len(leaves) - 1).bit_length() - 1)
    return merkle.node_hash(mth(leaves[:k]), mth(leaves[k:]))


def subproof(m: int, leaves: list[bytes], complete: bool) -> list[bytes]:
    """SUBPROOF of RFC 6962 §2.1.2, by the recursive definition."""
    n = len(leaves)
    if m == n:
        return [] if complete else [mth(leaves)]
    k = 1 << ((n - 1).bit_length() - 1)
    if m <= k:
        return subproof(m, leaves[:k], complete) + [mth(leaves[k:])]
    return subproof(m - k, leaves[k:], False) + [mth(leaves[:k])]


def test_the_rfc_example_tree_of_seven_leaves() -> None:
    # RFC 6962 §2.1.3 names the leaves of d0..d6 a, b, c, d, e, f, j and the inner nodes g, h, i, k, l
    d = LEAVES[:7]
    a, b, c, dd, e, f, j = d
    g, h, i = merkle.node_hash(a, b), merkle.node_hash(c, dd), merkle.node_hash(e, f)
    k, l_ = merkle.node_hash(g, h), merkle.node_hash(i, j)
    expected = {3: [c, dd, g, l_], 4: [l_], 6: [i, j, k]}
    for m, proof in expected.items():
        assert merkle.consistency_proof(d, m) == proof
        assert merkle.verify_consistency(m, 7, mth(d[:m]), mth(d), proof)


def test_every_pair_of_sizes_up_to_70_matches_the_definition_and_verifies() -> None:
    for n in range(1, 71):
        root = mth(LEAVES[:n])
        for m in range(0, n + 1):
            proof = merkle.consistency_proof(LEAVES[:n], m)
            assert proof == ([] if m == 0 else subproof(m, LEAVES[:n], True)), (m, n)
            assert len(proof) <= 2 * n.bit_length()
            assert merkle.verify_consistency(m, n, mth(LEAVES[:m]), root, proof), (m, n)


def test_subtree_root_is_the_tree_head_of_the_range() -> None:
    for start in range(0, 20):
        for end in range(start, 25):
            assert merkle.subtree_root(LEAVES, start, end) == mth(LEAVES[start:end])


@given(st.integers(1, 70), st.data())
def test_an_altered_proof_root_or_size_is_refused(n: int, data: st.DataObject) -> None:
    m = data.draw(st.integers(1, n))
    leaves = LEAVES[:n]
    old_root, new_root = mth(leaves[:m]), mth(leaves)
    proof = merkle.consistency_proof(leaves, m)
    other = merkle.leaf_hash(b"forged")
    assert not merkle.verify_consistency(m, n, other, new_root, proof)
    assert not merkle.verify_consistency(m, n, old_root, other, proof)
    if proof:
        at = data.draw(st.integers(0, len(proof) - 1))
        changed = proof[:at] + [other] + proof[at + 1 :]
        assert not merkle.verify_consistency(m, n, old_root, new_root, changed)
        assert not merkle.verify_consistency(m, n, old_root, new_root, proof[:-1])
        assert not merkle.verify_consistency(m, n, old_root, new_root, proof + [other])
    if m < n:
        assert not merkle.verify_consistency(m, n, old_root, new_root, [])
        # the proof of one pair of sizes proves nothing for another
        assert not merkle.verify_consistency(m, n + 1, old_root, mth(LEAVES[: n + 1]), proof)
    assert not merkle.verify_consistency(n + 1, n, old_root, new_root, proof)


def test_a_fork_at_the_same_size_and_the_empty_tree() -> None:
    assert merkle.verify_consistency(5, 5, mth(LEAVES[:5]), mth(LEAVES[:5]), [])
    assert not merkle.verify_consistency(5, 5, mth(LEAVES[:5]), mth(LEAVES[1:6]), [])
    assert merkle.verify_consistency(0, 9, merkle.EMPTY_ROOT, mth(LEAVES[:9]), [])
    assert not merkle.verify_consistency(0, 9, merkle.EMPTY_ROOT, mth(LEAVES[:9]), [LEAVES[0]])

"""Witness policies (C2SP tlog-policy) and offline proofs (C2SP tlog-proof). Attacks: a quorum short
by one, a forged cosignature (another key under a witness's name), a cosignature dated in the
future, a checkpoint signed by a key the policy does not know, a proof for another entry, a proof
against another size; and malformed policies and proofs named by line."""

from __future__ import annotations

import time

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from binational.audit import merkle, notes, proofs, quorum, signing
from binational.errors import InvalidInput

ORIGIN = "us.binational/cbp"
LOG = Ed25519PrivateKey.generate()
WITNESSES = {name: Ed25519PrivateKey.generate() for name in ("X1", "X2", "X3", "Y1")}
ENTRIES = [f'{{"seq":{i}}}'.encode() for i in range(13)]
LEAVES = [merkle.leaf_hash(e) for e in ENTRIES]
NOW = int(time.time())


def vkey(name: str) -> str:
    return notes.Verifier(f"w.example/{name}", notes.COSIGNATURE, WITNESSES[name].public_key()).vkey()


POLICY_TEXT = f"""# two of the X witnesses and the Y one
log {notes.Verifier(ORIGIN, notes.ED25519, LOG.public_key()).vkey()}
witness X1 {vkey("X1")}
witness X2 {vkey("X2")} https://x2.example/
\twitness X3 {vkey("X3")}
group X 2 X1 X2 X3
witness Y1 {vkey("Y1")}
group both all X Y1
quorum both
"""


def checkpoint(size: int, *cosigners: str, at: int = NOW, log: Ed25519PrivateKey = LOG) -> notes.Note:
    text = signing.checkpoint_text(ORIGIN, size, merkle.root_of(LEAVES[:size])).decode()
    note = notes.Note(text, (notes.sign(log, ORIGIN, text),))
    for name in cosigners:
        note = note.with_signature(notes.cosign(WITNESSES[name], f"w.example/{name}", text, at))
    return note


def test_a_policy_is_parsed_and_its_quorum_counts_groups():
    policy = quorum.parse(POLICY_TEXT)
    assert set(policy.witnesses) == {"X1", "X2", "X3", "Y1"} and policy.quorum == "both"
    assert policy.witnesses["X2"].url == "https://x2.example/"
    assert quorum.met(policy, {"X1", "X3", "Y1"})
    assert not quorum.met(policy, {"X1", "X2", "X3"})  # no Y
    assert not quorum.met(policy, {"X1", "Y1"})  # short by one
    assert quorum.parse(policy.text()).text() == policy.text()
    assert quorum.met(quorum.parse("quorum none\n"), set())


@pytest.mark.parametrize(("text", "line"), [
    ("witness A {X1}\nwitness A {X2}\nquorum A\n", 2),
    ("witness A {X1}\nwitness B {X1}\nquorum A\n", 2),
    ("group G any A\nquorum G\n", 1),
    ("witness A {X1}\ngroup G 2 A\nquorum G\n", 2),
    ("witness A {X1}\ngroup G 0 A\nquorum G\n", 2),
    ("witness A {X1}\ngroup G any A A\nquorum G\n", 2),
    ("witness A {X1}\nquorum B\n", 2),
    ("witness A {X1}\nquorum A\nquorum A\n", 3),
    ("witness A {X1}\nfrobnicate\nquorum A\n", 2),
    ("witness A {X1}\x00\nquorum A\n", 1),
])
def test_a_malformed_policy_is_refused_naming_its_line(text, line):
    with pytest.raises(InvalidInput) as caught:
        quorum.parse(text.format(X1=vkey("X1"), X2=vkey("X2")))
    assert f"line {line}" in caught.value.message


def test_no_quorum_line_is_refused():
    with pytest.raises(InvalidInput, match="no quorum"):
        quorum.parse(f"witness A {vkey('X1')}\n")


def test_the_quorum_holds_only_with_genuine_cosignatures_from_now():
    policy = quorum.parse(POLICY_TEXT)
    assert quorum.check(policy, checkpoint(9, "X1", "X2", "Y1"), now=NOW, max_future=600).size == 9
    with pytest.raises(InvalidInput, match="quorum"):  # short by one
        quorum.check(policy, checkpoint(9, "X1", "Y1"), now=NOW, max_future=600)
    forged = checkpoint(9, "X1", "Y1")
    impostor = Ed25519PrivateKey.generate()
    line = notes.cosign(impostor, "w.example/X2", forged.text, NOW)
    key_id = notes.Verifier("w.example/X2", notes.COSIGNATURE, WITNESSES["X2"].public_key()).key_id
    forged = forged.with_signature(notes.Signature(line.name, key_id, line.signature))
    with pytest.raises(InvalidInput, match="quorum"):  # X2's name and key id, another key's signature
        quorum.check(policy, forged, now=NOW, max_future=600)
    with pytest.raises(InvalidInput, match="quorum"):  # X3 cosigned an hour ahead of this clock
        quorum.check(policy, checkpoint(9, "X1", "Y1").with_signature(
            notes.cosign(WITNESSES["X3"], "w.example/X3", checkpoint(9).text, NOW + 3600)), now=NOW, max_future=600)
    with pytest.raises(InvalidInput, match="not signed by a log"):
        quorum.check(policy, checkpoint(9, "X1", "X2", "Y1", log=Ed25519PrivateKey.generate()), now=NOW,
                     max_future=600)


def test_a_proof_proves_its_entry_only_against_a_cosigned_checkpoint():
    policy = quorum.parse(POLICY_TEXT)
    note = checkpoint(13, "X1", "X2", "Y1")
    text = proofs.write(index=5, hashes=merkle.inclusion_proof(LEAVES, 5), checkpoint=note, extra=ENTRIES[5])
    proof = proofs.parse(text)
    assert proof.extra == ENTRIES[5] and proof.index == 5
    assert proofs.verify(proof, merkle.leaf_hash(proof.extra), policy, now=NOW, max_future=600).size == 13
    with pytest.raises(InvalidInput, match="not in the log"):  # the proof of entry 5 for entry 6
        proofs.verify(proof, LEAVES[6], policy, now=NOW, max_future=600)
    moved = proofs.parse(text.replace("index 5", "index 6"))
    with pytest.raises(InvalidInput, match="not in the log"):
        proofs.verify(moved, LEAVES[6], policy, now=NOW, max_future=600)
    short = proofs.parse(proofs.write(index=5, hashes=merkle.inclusion_proof(LEAVES, 5), extra=ENTRIES[5],
                                      checkpoint=checkpoint(13, "X1", "Y1")))
    with pytest.raises(InvalidInput, match="quorum"):
        proofs.verify(short, LEAVES[5], policy, now=NOW, max_future=600)


@pytest.mark.parametrize("bad", ["", "c2sp.org/tlog-proof@v2\nindex 1\n\n", "c2sp.org/tlog-proof@v1\nindex 01\n\n",
                                 "c2sp.org/tlog-proof@v1\nextra !!\nindex 1\n\n", "c2sp.org/tlog-proof@v1\n\n",
                                 "c2sp.org/tlog-proof@v1\nindex 1\nAAAA\n\n"])
def test_a_malformed_proof_is_refused(bad):
    with pytest.raises(InvalidInput):
        proofs.parse(bad + str(checkpoint(3)))


def test_attack_a_split_view_makes_no_quorum_even_with_every_cosignature_gathered():
    """The log shows X1 and X3 one tree and Y1 another of the same size: each view is cosigned, but
    neither by the whole quorum, and a cosignature moved from one view to the other does not verify."""
    policy = quorum.parse(POLICY_TEXT)
    seen = checkpoint(13, "X1", "X3")
    text = signing.checkpoint_text(ORIGIN, 13, merkle.root_of([*LEAVES[:12], merkle.leaf_hash(b"{}")])).decode()
    other = notes.Note(text, (notes.sign(LOG, ORIGIN, text), notes.cosign(WITNESSES["Y1"], "w.example/Y1", text, NOW)))
    for view in (seen, other):
        with pytest.raises(InvalidInput, match="quorum"):
            quorum.check(policy, view, now=NOW, max_future=900)
    merged = notes.Note(seen.text, (*seen.signatures, *(s for s in other.signatures if s.name == "w.example/Y1")))
    assert quorum.cosigners(policy, merged, NOW, 900) == {"X1", "X3"}
    with pytest.raises(InvalidInput, match="quorum"):
        quorum.check(policy, merged, now=NOW, max_future=900)


def test_attack_a_witness_key_reused_as_the_log_key_is_refused_and_signs_nothing_it_is_not():
    log_vkey = notes.Verifier(ORIGIN, notes.ED25519, LOG.public_key()).vkey()
    as_witness = notes.Verifier("w.example/log", notes.COSIGNATURE, LOG.public_key()).vkey()
    with pytest.raises(InvalidInput, match="line 2: a key listed twice"):
        quorum.parse(f"log {log_vkey}\nwitness L {as_witness}\nquorum L\n")
    # nor does the log's own signature pass for a cosignature of its key (another message, another type)
    policy = quorum.Policy(logs=[notes.parse_vkey(log_vkey, notes.ED25519)],
                           witnesses={"L": quorum.Witness("L", notes.parse_vkey(as_witness, notes.COSIGNATURE))},
                           quorum="L")
    note = checkpoint(13)
    forged = notes.Note(note.text, (*note.signatures, notes.Signature(
        "w.example/log", policy.witnesses["L"].key.key_id, NOW.to_bytes(8, "big") + note.signatures[0].signature)))
    assert quorum.cosigners(policy, forged, NOW, 900) == set()


def test_a_cosignature_from_the_past_counts_and_one_past_the_window_ahead_does_not():
    policy = quorum.parse(POLICY_TEXT)
    quorum.check(policy, checkpoint(13, "X1", "X2", "Y1", at=1), now=NOW, max_future=900)
    with pytest.raises(InvalidInput, match="quorum"):
        quorum.check(policy, checkpoint(13, "X1", "X2", "Y1", at=NOW + 901), now=NOW, max_future=900)
    with pytest.raises(InvalidInput, match="quorum"):
        quorum.check(policy, checkpoint(13, "X1", "X2", "Y1", at=2**63 - 1), now=NOW, max_future=900)

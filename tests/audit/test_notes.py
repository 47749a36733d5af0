"""Signed notes, verifier keys and cosignatures (C2SP signed-note, tlog-cosignature): the
specification's own example verifies; what is altered, unknown or malformed does not."""

from __future__ import annotations

import base64

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from binational.audit import merkle, notes, signing
from binational.errors import InvalidInput

# The example of C2SP signed-note: a verifier key and the note it verifies.
SPEC_VKEY = "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k"
SPEC_NOTE = ("This is an example message.\n\n\u2014 example.com/foo Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7"
             "Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n")


def test_the_specification_example_verifies_and_an_altered_text_does_not() -> None:
    verifier = notes.parse_vkey(SPEC_VKEY, notes.ED25519)
    assert verifier.vkey() == SPEC_VKEY
    note = notes.parse_note(SPEC_NOTE)
    assert str(note) == SPEC_NOTE
    assert notes.check(note, verifier) is True
    assert notes.check(notes.Note("This is an altered message.\n", note.signatures), verifier) is False
    other = notes.Verifier("example.com/bar", notes.ED25519, verifier.key)
    assert notes.check(note, other) is None  # another key's name: ignored, not failed


def test_a_cosignature_is_timestamped_and_bound_to_the_checkpoint() -> None:
    key = Ed25519PrivateKey.generate()
    witness = notes.Verifier("witness.example/w1", notes.COSIGNATURE, key.public_key())
    text = signing.checkpoint_text("binational.local", 3, merkle.EMPTY_ROOT).decode()
    node_key = Ed25519PrivateKey.generate()
    note = notes.Note(text, (notes.sign(node_key, "binational.local", text),))
    cosigned = notes.parse_note(str(note.with_signature(notes.cosign(key, witness.name, text, 1_700_000_000))))
    assert notes.check(cosigned, witness) is True
    assert notes.cosignature_time(cosigned, witness) == 1_700_000_000
    assert notes.check(cosigned, notes.Verifier("binational.local", notes.ED25519, node_key.public_key())) is True
    # the same key as a plain note signer is another key id: the cosignature does not count for it
    assert notes.check(cosigned, notes.Verifier(witness.name, notes.ED25519, key.public_key())) is None
    line = cosigned.signatures[-1]
    later = notes.Signature(line.name, line.key_id, (1_700_000_001).to_bytes(8, "big") + line.signature[8:])
    assert notes.check(notes.Note(text, (later,)), witness) is False
    cp = notes.parse_checkpoint(text)
    assert (cp.origin, cp.size, cp.root) == ("binational.local", 3, merkle.EMPTY_ROOT)


@pytest.mark.parametrize("bad", [
    "no signatures\n",
    "text\n\n",
    "text\n\nnot a signature line\n",
    "text\n\n\u2014 name not-base64!\n",
    "text\x07\n\n\u2014 name AAAAAAAA\n",
    "text\n\n\u2014 na+me AAAAAAAA\n",
])
def test_a_malformed_note_is_refused(bad: str) -> None:
    with pytest.raises(InvalidInput):
        notes.parse_note(bad)


@pytest.mark.parametrize("text", [
    "origin\n01\n" + base64.b64encode(merkle.EMPTY_ROOT).decode() + "\n",
    "origin\n-1\n" + base64.b64encode(merkle.EMPTY_ROOT).decode() + "\n",
    "origin\n1\n" + base64.b64encode(b"short").decode() + "\n",
    "origin\n1\n",
    "\n1\n" + base64.b64encode(merkle.EMPTY_ROOT).decode() + "\n",
])
def test_a_malformed_checkpoint_is_refused(text: str) -> None:
    with pytest.raises(InvalidInput):
        notes.parse_checkpoint(text)


def test_a_verifier_key_of_the_wrong_kind_or_id_is_refused() -> None:
    with pytest.raises(InvalidInput, match="type 0x04"):
        notes.parse_vkey(SPEC_VKEY, notes.COSIGNATURE)
    with pytest.raises(InvalidInput, match="id does not match"):
        notes.parse_vkey(SPEC_VKEY.replace("+530d903a+", "+530d903b+"), notes.ED25519)

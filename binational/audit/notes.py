"""Signed notes (C2SP signed-note), the checkpoints they carry (C2SP tlog-checkpoint) and the
witnesses' Ed25519 cosignatures on them (C2SP tlog-cosignature, `cosignature/v1`).

A note is a text ending in a newline, a blank line, and signature lines `— <key name> <base64(key id ||
signature)>`. A verifier key (vkey) is `<name>+<hex key id>+<base64(type || public key)>`. The node signs
with type 0x01 (plain Ed25519 over the text); a witness cosigns with type 0x04 (Ed25519 over a header,
a time line and the text), so the same note carries both.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import struct
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from binational.errors import InvalidInput

ED25519 = 0x01
COSIGNATURE = 0x04
DASH = "\u2014"
#: More signatures than this make a note refused (the spec asks to accept at least 16).
MAX_SIGNATURES = 64


def _b64decode(text: str, what: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidInput(f"{what} is not base64") from None


def check_name(name: str) -> str:
    """A key name or origin: not empty, no spaces, no plus, no control characters."""
    if not name or any(ch.isspace() or ch == "+" or ord(ch) < 0x20 for ch in name):
        raise InvalidInput(f"{name!r} is not a key name: it must be non-empty, without spaces or '+'")
    return name


def raw_public(key: Ed25519PublicKey) -> bytes:
    """The 32 bytes of an Ed25519 public key (RFC 8032)."""
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def key_id(name: str, kind: int, key: Ed25519PublicKey) -> bytes:
    """`SHA-256(name || 0x0A || type || public key)[:4]`."""
    return hashlib.sha256(name.encode() + b"\n" + bytes([kind]) + raw_public(key)).digest()[:4]


@dataclass(frozen=True)
class Verifier:
    """A named public key of one signature type (0x01 a log's, 0x04 a witness's)."""

    name: str
    kind: int
    key: Ed25519PublicKey

    @property
    def key_id(self) -> bytes:
        return key_id(self.name, self.kind, self.key)

    def vkey(self) -> str:
        """The verifier key as text."""
        material = base64.b64encode(bytes([self.kind]) + raw_public(self.key)).decode()
        return f"{self.name}+{self.key_id.hex()}+{material}"


def parse_vkey(text: str, kind: int) -> Verifier:
    """A verifier key of signature type `kind`; InvalidInput naming what is wrong."""
    parts = text.strip().split("+", 2)  # the base64 key may hold a plus itself
    if len(parts) != 3:
        raise InvalidInput("a verifier key is <name>+<key id>+<base64 key>")
    name, hex_id, material = parts
    check_name(name)
    raw = _b64decode(material, "the verifier key")
    if len(raw) != 33 or raw[0] != kind:
        raise InvalidInput(f"the verifier key is not an Ed25519 key of type 0x{kind:02x}")
    verifier = Verifier(name, kind, Ed25519PublicKey.from_public_bytes(raw[1:]))
    if verifier.key_id.hex() != hex_id:
        raise InvalidInput("the verifier key's id does not match its name and key")
    return verifier


@dataclass(frozen=True)
class Signature:
    """One signature line of a note."""

    name: str
    key_id: bytes
    signature: bytes

    def line(self) -> str:
        return f"{DASH} {self.name} {base64.b64encode(self.key_id + self.signature).decode()}\n"


@dataclass(frozen=True)
class Note:
    """A note's text (with its final newline) and its signature lines."""

    text: str
    signatures: tuple[Signature, ...]

    def __str__(self) -> str:
        return self.text + "\n" + "".join(s.line() for s in self.signatures)

    def with_signature(self, signature: Signature) -> Note:
        """The note with one more signature line (replacing one by the same key)."""
        kept = tuple(s for s in self.signatures if (s.name, s.key_id) != (signature.name, signature.key_id))
        return Note(self.text, (*kept, signature))


def parse_note(data: str) -> Note:
    """A signed note; InvalidInput if it is not one (the signatures are not checked here)."""
    if any(ord(ch) < 0x20 and ch != "\n" for ch in data):
        raise InvalidInput("a signed note holds no control characters but newlines")
    cut = data.rfind("\n\n")
    if cut < 0 or not data.endswith("\n"):
        raise InvalidInput("a signed note is a text, a blank line and signature lines, each ending in a newline")
    text, lines = data[: cut + 1], data[cut + 2 :].splitlines()
    if not lines:
        raise InvalidInput("the note has no signature")
    if len(lines) > MAX_SIGNATURES:
        raise InvalidInput(f"the note has more than {MAX_SIGNATURES} signatures")
    signatures = []
    for line in lines:
        parts = line.split(" ")
        if len(parts) != 3 or parts[0] != DASH:
            raise InvalidInput(f"not a signature line: {line[:80]!r}")
        raw = _b64decode(parts[2], "a signature")
        if len(raw) < 5:
            raise InvalidInput("a signature is too short")
        signatures.append(Signature(check_name(parts[1]), raw[:4], raw[4:]))
    return Note(text, tuple(signatures))


def _signed_by(note: Note, verifier: Verifier) -> list[Signature]:
    return [s for s in note.signatures if s.name == verifier.name and s.key_id == verifier.key_id]


def cosigned_message(text: str, timestamp: int) -> bytes:
    """What a `cosignature/v1` signs: the header line, the time line and the checkpoint text."""
    return f"cosignature/v1\ntime {timestamp}\n".encode() + text.encode()


def check(note: Note, verifier: Verifier) -> bool | None:
    """Whether the note is signed by `verifier` (None: no line of that key; False: a line of that key
    does not verify). A cosignature's time is not checked here (see `cosignature_time`)."""
    lines = _signed_by(note, verifier)
    if not lines:
        return None
    for line in lines:
        try:
            if verifier.kind == ED25519:
                verifier.key.verify(line.signature, note.text.encode())
            else:
                if len(line.signature) != 8 + 64:
                    return False
                (timestamp,) = struct.unpack(">Q", line.signature[:8])
                verifier.key.verify(line.signature[8:], cosigned_message(note.text, timestamp))
        except InvalidSignature:
            return False
    return True


def cosignature_time(note: Note, verifier: Verifier) -> int | None:
    """The time (POSIX seconds) of the witness's cosignature on the note, if it has one."""
    for line in _signed_by(note, verifier):
        if len(line.signature) == 72:
            return int(struct.unpack(">Q", line.signature[:8])[0])
    return None


def sign(key: Ed25519PrivateKey, name: str, text: str) -> Signature:
    """The node's signature (type 0x01) on a note text."""
    return Signature(name, key_id(name, ED25519, key.public_key()), key.sign(text.encode()))


def cosign(key: Ed25519PrivateKey, name: str, text: str, timestamp: int) -> Signature:
    """A witness's `cosignature/v1` (type 0x04) on a checkpoint text at `timestamp`."""
    if not 0 < timestamp < 2**63:
        raise InvalidInput("a cosignature's time is a positive POSIX time")
    signature = key.sign(cosigned_message(text, timestamp))
    return Signature(name, key_id(name, COSIGNATURE, key.public_key()), struct.pack(">Q", timestamp) + signature)


@dataclass(frozen=True)
class Checkpoint:
    """The first three lines of a checkpoint's text: origin, tree size, root hash."""

    origin: str
    size: int
    root: bytes


def parse_checkpoint(text: str) -> Checkpoint:
    """The checkpoint a note text holds; InvalidInput if it is not one."""
    lines = text.split("\n")
    if len(lines) < 4 or lines[-1] != "" or any(not line for line in lines[:-1]):
        raise InvalidInput("a checkpoint is an origin, a tree size and a root hash, each on a line of its own")
    origin, size_text, root_text = lines[:3]
    if not size_text.isascii() or not size_text.isdigit() or (size_text != "0" and size_text.startswith("0")):
        raise InvalidInput("a checkpoint's tree size is a decimal number without leading zeroes")
    root = _b64decode(root_text, "the checkpoint's root hash")
    if len(root) != 32:
        raise InvalidInput("a checkpoint's root hash is 32 bytes")
    if not origin:
        raise InvalidInput("a checkpoint's origin is not empty")
    return Checkpoint(origin, int(size_text), root)

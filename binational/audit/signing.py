"""The node's Ed25519 key and the checkpoint text it signs (C2SP tlog-checkpoint body)."""

from __future__ import annotations

import base64
import os
from functools import lru_cache
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from binational.errors import InvalidInput


def create_key(path: Path) -> bool:
    """Create the signing key at `path` unless it exists; return whether one was created."""
    if path.exists():
        return False
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(pem)
    return True


@lru_cache(maxsize=8)
def load_key(path: Path) -> Ed25519PrivateKey:
    """The private key at `path` (read once per process)."""
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except FileNotFoundError:
        raise InvalidInput(f"audit signing key {path} is missing: run `binational init`") from None
    except (ValueError, TypeError, OSError) as exc:  # not PEM, encrypted, unreadable
        raise InvalidInput(f"audit signing key {path} cannot be read: {exc}") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise InvalidInput(f"audit signing key {path} is not an Ed25519 key")
    return key


def checkpoint_text(origin: str, size: int, root: bytes) -> bytes:
    """The signed body: origin line, tree size, base64 root hash, each ending in a newline."""
    return f"{origin}\n{size}\n{base64.b64encode(root).decode()}\n".encode()


def sign(path: Path, origin: str, size: int, root: bytes) -> bytes:
    """Sign a checkpoint with the node's key."""
    return load_key(path).sign(checkpoint_text(origin, size, root))


def seal_text(origin: str, size: int, root: bytes, checkpoints: int) -> bytes:
    """What the head's seal signs: unlike a checkpoint, it names itself the head and counts the
    checkpoints kept, so a checkpoint's signature cannot stand in for it (a log cut back to a
    checkpoint) and a checkpoint cannot be removed unseen."""
    return b"binational audit head\n" + checkpoint_text(origin, size, root) + f"{checkpoints} checkpoints\n".encode()


def seal(path: Path, origin: str, size: int, root: bytes, checkpoints: int) -> bytes:
    """Seal the head with the node's key."""
    return load_key(path).sign(seal_text(origin, size, root, checkpoints))


def check_seal(public_key: Ed25519PublicKey, origin: str, size: int, root: bytes, checkpoints: int,
               signature: bytes | None) -> bool:
    """Whether `signature` seals the head (origin, size, root, number of checkpoints)."""
    try:
        public_key.verify(signature or b"", seal_text(origin, size, root, checkpoints))
    except InvalidSignature:
        return False
    return True


def check(public_key: Ed25519PublicKey, origin: str, size: int, root: bytes, signature: bytes) -> bool:
    """Whether `signature` signs the checkpoint (origin, size, root)."""
    try:
        public_key.verify(signature, checkpoint_text(origin, size, root))
    except InvalidSignature:
        return False
    return True

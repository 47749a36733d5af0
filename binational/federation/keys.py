"""The node's federation identity: its id, written like an origin, and its two Ed25519 keys.

The node key signs the node's anchor and its release bundles; the witness key cosigns partners'
checkpoints. Both are made by `binational init` beside the audit key (`audit.signing.create_key`,
mode 0600) and are separate from it and from each other, so one can be rotated or lost without the
others. Public keys travel as C2SP verifier keys (`audit.notes`): a name, a key id, the key.
"""

from __future__ import annotations

import re
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from binational.audit.notes import COSIGNATURE, ED25519, Verifier
from binational.audit.signing import load_key
from binational.config import Settings
from binational.errors import InvalidInput

_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
#: `us.binational/cbp`: a dotted lower-case host name of two labels or more, then path segments
NODE_ID = re.compile(rf"^{_LABEL}(?:\.{_LABEL})+(?:/[a-z0-9][a-z0-9._-]{{0,62}})*$")
MAX_NODE_ID = 200


def check_node_id(node_id: object) -> str:
    """A node id as written in anchors and bundles, or InvalidInput saying what it must look like."""
    if not isinstance(node_id, str) or len(node_id) > MAX_NODE_ID or not NODE_ID.match(node_id):
        raise InvalidInput(f"{str(node_id)[:80]!r} is not a node id: write it like an origin, lower case, "
                           "e.g. us.binational/cbp", details=[{"field": "node"}])
    return node_id


def node_id(settings: Settings) -> str:
    """This node's id, from `federation_node_id`; InvalidInput when it is unset or malformed."""
    if not settings.federation_node_id:
        raise InvalidInput("this node has no federation id: set BINATIONAL_FEDERATION_NODE_ID "
                           "(e.g. us.binational/cbp)", details=[{"field": "federation_node_id"}])
    return check_node_id(settings.federation_node_id)


def _load(path: Path, what: str) -> Ed25519PrivateKey:
    try:
        return load_key(path)
    except InvalidInput as exc:  # its message names the audit key; this one is the federation's
        raise InvalidInput(exc.message.replace("audit signing key", what)) from None


def node_key(settings: Settings) -> Ed25519PrivateKey:
    """The node key (signs anchors and bundles); InvalidInput naming the file when missing."""
    return _load(settings.node_key_path, "federation node key")


def witness_key(settings: Settings) -> Ed25519PrivateKey:
    """The witness key (cosigns partners' checkpoints)."""
    return _load(settings.witness_key_path, "federation witness key")


def node_verifier(name: str, key: Ed25519PrivateKey) -> Verifier:
    """The verifier key of a node key (plain Ed25519 signatures, type 0x01)."""
    return Verifier(name, ED25519, key.public_key())


def witness_verifier(name: str, key: Ed25519PrivateKey) -> Verifier:
    """The verifier key of a witness key (cosignatures, type 0x04)."""
    return Verifier(name, COSIGNATURE, key.public_key())

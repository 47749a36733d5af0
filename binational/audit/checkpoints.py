"""The node's side of witnessing: its latest signed checkpoint as a C2SP signed note, consistency
proofs between two sizes of its log, and the check of a witness's cosigned checkpoints against the log
as it now is (`binational audit verify --witness`)."""

from __future__ import annotations

import threading

from sqlalchemy import select
from sqlalchemy.orm import Session

from binational.audit import merkle, notes, signing, witness
from binational.audit.models import AuditEntry, AuditHead
from binational.config import Settings
from binational.errors import InvalidInput


def node_verifier(settings: Settings) -> notes.Verifier:
    """The node's verifier key: its checkpoints' signer, named for the log's origin (`node_name`)."""
    key = signing.load_key(settings.audit_key_path).public_key()
    return notes.Verifier(notes.check_name(settings.node_name), notes.ED25519, key)


def _head(session: Session) -> AuditHead | None:
    return session.execute(select(AuditHead).where(AuditHead.id == 1)
                           .execution_options(populate_existing=True)).scalar_one_or_none()


def size(session: Session) -> int:
    """The size of the signed head (0 for a log never written)."""
    head = _head(session)
    return head.size if head is not None else 0


def latest(session: Session, settings: Settings) -> notes.Note:
    """The signed head as a checkpoint note, with the signature the head row keeps (an empty log's
    checkpoint is signed afresh). The signature is not checked here: a witness checks it."""
    verifier = node_verifier(settings)
    head = _head(session)
    if head is None or head.size == 0:
        text = signing.checkpoint_text(settings.node_name, 0, merkle.EMPTY_ROOT).decode()
        return notes.Note(text, (notes.sign(signing.load_key(settings.audit_key_path), verifier.name, text),))
    text = signing.checkpoint_text(settings.node_name, head.size, head.root).decode()
    return notes.Note(text, (notes.Signature(verifier.name, verifier.key_id, head.signature),))


def leaves(session: Session, count: int) -> list[bytes]:
    """The leaf hashes of the first `count` entries, in order."""
    rows = session.execute(select(AuditEntry.seq, AuditEntry.leaf_hash).where(AuditEntry.seq < count)
                           .order_by(AuditEntry.seq).execution_options(yield_per=20000))
    found: list[bytes] = []
    for seq, leaf in rows:
        if seq != len(found):
            raise InvalidInput(f"the log has no entry {len(found)}: run `binational audit verify`")
        found.append(leaf)
    if len(found) != count:
        raise InvalidInput(f"the log has {len(found)} entries, not {count}: run `binational audit verify`")
    return found


#: the log's tree per database, kept between calls (`tree`)
_TREES: dict[str, merkle.Tree] = {}
_TREES_LOCK = threading.Lock()


def tree(session: Session, size: int, root: bytes) -> merkle.Tree:
    """The log's Merkle tree, holding at least its first `size` leaves, whose head there is `root`. It is
    kept in memory between calls (one per database), so only the entries appended since the last call
    are read; a kept tree that does not make `root` (another database at the same address) is read
    afresh. Refused if the log's entries do not make `root`."""
    key = str(session.get_bind().engine.url)
    with _TREES_LOCK:
        for kept in (_TREES.get(key), None):
            found = kept if kept is not None else merkle.Tree()
            if found.size < size:
                rows = session.execute(select(AuditEntry.seq, AuditEntry.leaf_hash)
                                       .where(AuditEntry.seq >= found.size, AuditEntry.seq < size)
                                       .order_by(AuditEntry.seq).execution_options(yield_per=20000))
                for seq, leaf in rows:
                    if seq != found.size:
                        raise InvalidInput(f"the log has no entry {found.size}: run `binational audit verify`")
                    found.append(leaf)
                if found.size < size:
                    raise InvalidInput(f"the log has {found.size} entries, not {size}: run `binational audit verify`")
            if found.root(size) == root:
                _TREES[key] = found
                return found
    raise InvalidInput(f"the log's entries do not make the root of its checkpoint at size {size}: "
                       "run `binational audit verify`")


def consistency(session: Session, old_size: int, new_size: int | None = None) -> tuple[int, list[bytes]]:
    """The consistency proof from `old_size` to `new_size` (the signed head's size if left out); return
    the new size and the proof. Refused if the sizes are out of order or beyond the signed head, or if
    the log's entries do not make the signed head's root."""
    head = _head(session)
    top = head.size if head is not None else 0
    new_size = top if new_size is None else new_size
    if not 0 <= old_size <= new_size <= top:
        raise InvalidInput(f"a proof goes from a size to a larger one, up to the signed head's {top}")
    if head is None or top == 0:
        return new_size, []
    return new_size, tree(session, top, head.root).consistency_proof(old_size, new_size)


def check_witnessed(session: Session, settings: Settings, data: str, log_size: int) -> str | None:
    """The first problem of a witness file against this node's log of `log_size` verified entries, in
    one line, or None: a cosignature or the node's signature that does not verify, a checkpoint of
    another log, a log now smaller than a cosigned checkpoint (cut back) or with another root at its
    size (forked, or rewritten and re-signed)."""
    wit, cosigned = witness.parse_witness_file(data)
    node = node_verifier(settings)
    checkpoints = []
    for note in cosigned:
        cp = notes.parse_checkpoint(note.text)
        if cp.origin != node.name:
            return f"witness {wit.name} cosigned a checkpoint of {cp.origin}, not of this node ({node.name})"
        if not notes.check(note, wit):
            return f"witness {wit.name}'s cosignature on size {cp.size} does not verify"
        if not notes.check(note, node):
            return f"the checkpoint of size {cp.size} that {wit.name} cosigned is not signed by this node's key"
        checkpoints.append(cp)
    wanted = [cp for cp in checkpoints if cp.size <= log_size]
    roots = merkle.roots_at(leaves(session, max((cp.size for cp in wanted), default=0)), {cp.size for cp in wanted})
    for cp in sorted(checkpoints, key=lambda c: c.size):
        if cp.size > log_size:
            return (f"cut back: witness {wit.name} cosigned {cp.size} entries, the log has {log_size}: "
                    f"entries {log_size} to {cp.size - 1} are gone")
        if roots[cp.size] != cp.root:
            return (f"forked: at size {cp.size} the log's root is not the one witness {wit.name} cosigned: "
                    "the log was rewritten and re-signed")
    return None

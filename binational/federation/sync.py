"""Sync between nodes: the sender's outbox pushed to partners, the receiver applying what arrives.

Sender. `collect` turns the state of the releases into signed items on each partner's sequence: a
bundle for a live release of an entity to an agency a partner hosts (built as the user who released
it, so it carries only what `bundles.build` lets leave), a new bundle superseding the last when the
entity changed since, and a tombstone when the release was revoked or expired or the partner
untrusted. `push` sends each partner's undelivered items in sequence order and keeps the partner's
signed receipt; a failure stops that partner's queue (nothing is sent out of order) and the next
push tries again.

Receiver. `receive` verifies one item against the sender's trusted anchor and applies it: a bundle
becomes a locked copy (an entity owned by the foreign agency, released to the recipient agency
only, created by an inactive user of that agency that no one signs in as); a tombstone or a
superseding bundle purges the copy's values. Items apply in the sender's order, idempotently by
(sender, sequence): the same bytes again get the same receipt, other bytes at a used number are a
replay, and a number past the next is a gap. A refusal writes nothing but its audit entry.
"""

from __future__ import annotations

import ssl
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import httpx
import orjson
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from binational.access import service as access
from binational.access.actions import Action, register
from binational.access.markings import RANK
from binational.access.models import Agency, Country, Release, User
from binational.audit import log as audit
from binational.config import Settings
from binational.db import act_as, system_context
from binational.entities.integrity import Written
from binational.entities.models import Entity, SearchTerm, Selector, Statement
from binational.entities.service import insert_statements, namespace
from binational.errors import DomainError
from binational.federation import anchors, bundles, items, keys, refusals, witnessing
from binational.federation.models import Outbox, Partner, Received
from binational.federation.service import hosted_agencies
from binational.vocabulary import model

for _name, _text in (
    ("federation.send", "(the node) push a signed bundle or tombstone to a partner node and keep its receipt"),
    ("federation.receive", "(a partner node) deliver a signed bundle or tombstone, applied here as a locked copy"),
):
    register(Action(_name, "", _text))

#: how long a bundle of a release without an end date stays valid at the receiver before a new one
BUNDLE_DAYS = 365
#: seconds a partner has to answer one item
TIMEOUT = 10.0
#: where a partner takes items
PATH = "/federation/v1/items"
#: where a partner answers step-1 queries
DIGESTS_PATH = "/federation/v1/digests"


# --- sender ------------------------------------------------------------------------------------------------


@dataclass
class Collected:
    """What `collect` queued."""

    bundles: int = 0
    tombstones: int = 0
    failed: list[str] = field(default_factory=list)


def _next_sequence(session: Session, partner: str) -> int:
    return int(session.scalar(select(func.max(Outbox.sequence)).where(Outbox.partner == partner)) or 0) + 1


def _queue(session: Session, *, partner: str, kind: str, release_id: str, local_release: int | None,
           entity_id: str | None, data: bytes, now: datetime) -> None:
    session.add(Outbox(partner=partner, sequence=_sequence_of(data), kind=kind, release_id=release_id,
                       local_release=local_release, entity_id=entity_id, document=data.decode(), built_at=now,
                       attempts=0))
    session.flush()
    witnessing.record_queued(session, data, {"partner": partner, "sequence": _sequence_of(data), "kind": kind,
                                             "release_id": release_id})


def _sequence_of(data: bytes) -> int:
    doc = orjson.loads(data)
    return int(doc["bundle"]["header"]["sequence"] if "bundle" in doc else doc["tombstone"]["sequence"])


def collect(*, session: Session, settings: Settings, now: datetime) -> Collected:
    """Queue the bundles and tombstones the releases call for (see the module's text); run as the node.
    Each bundle is built and audited as the user who made the release."""
    me = keys.node_id(settings)
    key = keys.node_key(settings)
    done = Collected()
    partners = session.scalars(select(Partner)).all()
    for partner in partners:
        live = partner.ended_at is None and partner.expires_at > now
        agencies = partner.agencies.split(",")
        releases = session.scalars(select(Release).where(Release.to_agency.in_(agencies),
                                                         Release.entity_id.is_not(None)).order_by(Release.id)).all()
        for release in releases:
            last = session.scalars(select(Outbox).where(Outbox.local_release == release.id)
                                   .order_by(Outbox.sequence.desc()).limit(1)).first()
            active = live and release.revoked_at is None and (release.until is None or release.until > now)
            if last is not None and last.kind == "bundle" and not active:
                reason = "untrusted" if not live else "revoked"
                data = items.tombstone(key, sender=me, sequence=_next_sequence(session, partner.node_id),
                                       release_id=last.release_id, recipient_node=partner.node_id, reason=reason,
                                       now=now)
                _queue(session, partner=partner.node_id, kind="tombstone", release_id=last.release_id,
                       local_release=release.id, entity_id=release.entity_id, data=data, now=now)
                done.tombstones += 1
                continue
            if not active:
                continue
            entity = session.get(Entity, release.entity_id)
            if entity is None or entity.deleted_at is not None:
                continue
            if last is not None and last.kind == "bundle" and entity.updated_at <= last.built_at:
                continue  # sent, and unchanged since
            supersedes = last.release_id if last is not None and last.kind == "bundle" else None
            try:
                data = _build_as_releaser(session, settings, key, me, partner, release, now, supersedes)
            except DomainError as exc:
                done.failed.append(f"release {release.id}: {exc.message}")
                continue
            header = bundles_header(data)
            _queue(session, partner=partner.node_id, kind="bundle", release_id=header["release_id"],
                   local_release=release.id, entity_id=release.entity_id, data=data, now=now)
            done.bundles += 1
    return done


def bundles_header(data: bytes) -> dict[str, Any]:
    """The header of a bundle this node built (its own bytes: no verification needed)."""
    header: dict[str, Any] = orjson.loads(data)["bundle"]["header"]
    return header


def _build_as_releaser(session: Session, settings: Settings, key: Any, me: str, partner: Partner,
                       release: Release, now: datetime, supersedes: str | None) -> bytes:
    user = session.get(User, release.created_by)
    if user is None or not user.active:
        raise DomainError("the user who released it is no longer active")
    actor = access.actor_for(session=session, user=user)
    country = next(a["country"] for a in anchors.verify(partner.anchor.encode(), now=now).agencies
                   if a["code"] == release.to_agency)
    act_as(session, actor)
    try:
        return bundles.build(
            session=session, actor=actor, key=key, sender=me, entity_id=str(release.entity_id),
            recipient_agency=release.to_agency, recipient_node=partner.node_id, recipient_country=country,
            clearance=settings.federation_release_clearance, purpose=f"release {release.id}",
            expires_at=release.until or now + timedelta(days=BUNDLE_DAYS),
            sequence=_next_sequence_system(session, partner.node_id), now=now, supersedes=supersedes)
    finally:
        from binational.db import act_as_system

        act_as_system(session)


def _next_sequence_system(session: Session, partner: str) -> int:
    with system_context(session):
        return _next_sequence(session, partner)


#: sends one item's bytes to a partner and returns (status, body); raises httpx.HTTPError when unreachable
Transport = Callable[[Partner, bytes], tuple[int, bytes]]


def tls_transport(settings: Settings, path: str = PATH) -> Transport:
    """POST to the partner's endpoint; over https, only to the certificate its anchor pins, presenting
    this node's own certificate (mutual TLS)."""

    def send(partner: Partner, data: bytes) -> tuple[int, bytes]:
        anchor = anchors.verify(partner.anchor.encode(), now=partner.expires_at - timedelta(seconds=1))
        verify: ssl.SSLContext | bool = True
        if anchor.endpoint.startswith("https:"):
            if anchor.tls_certificate is None:
                raise httpx.ConnectError(f"{partner.node_id} pins no certificate: refusing to send over TLS")
            context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cadata=anchor.tls_certificate)
            if settings.federation_tls_cert_path and settings.federation_tls_key_path:
                context.load_cert_chain(settings.federation_tls_cert_path, settings.federation_tls_key_path)
            verify = context
        with httpx.Client(verify=verify, timeout=TIMEOUT) as client:
            r = client.post(anchor.endpoint.rstrip("/") + path, content=data,
                            headers={"Content-Type": "application/json"})
        return r.status_code, r.content

    return send


@dataclass
class Pushed:
    """What `push` did: items acknowledged by a receipt, and failures (the partner and why)."""

    sent: int = 0
    failed: list[str] = field(default_factory=list)
    cosigned: witnessing.Cosigned | None = None


def push(*, session: Session, settings: Settings, now: datetime, transport: Transport,
         witness_transport: witnessing.WitnessTransport = witnessing.http_transport) -> Pushed:
    """Send each partner's undelivered items in sequence order; keep each receipt; audited. A bundle
    first gets its proof (`witnessing.prove`), after the log's latest checkpoint was handed to the
    witnesses (`witnessing.cosign`); one without a checkpoint its witnesses all cosigned waits. A
    partner that fails (unreachable, refusing, answering a receipt that does not verify, a bundle
    waiting for its witnesses) keeps the rest of its queue for the next push."""
    me = keys.node_id(settings)
    done = Pushed()
    waiting = session.scalars(select(Outbox.id).where(Outbox.delivered_at.is_(None)).limit(1)).first()
    if waiting is not None:
        done.cosigned = witnessing.cosign(session=session, settings=settings, now=now, transport=witness_transport)
    for partner in session.scalars(select(Partner).order_by(Partner.node_id)).all():
        queue = session.scalars(select(Outbox).where(Outbox.partner == partner.node_id,
                                                     Outbox.delivered_at.is_(None))
                                .order_by(Outbox.sequence)).all()
        if not queue:
            continue
        anchor = anchors.verify(partner.anchor.encode(), now=min(now, partner.expires_at - timedelta(seconds=1)))
        for item in queue:
            data = item.document.encode()
            error = None
            # the proof is attached before the first attempt only: the bytes a partner may have applied never change
            if item.attempts == 0 and witnessing.split(data)[1] is None:
                proved = witnessing.prove(session, settings, data, now)
                if proved is None and item.kind == "tombstone":
                    proved = data  # a revocation never waits for a witness: it goes without a proof
                elif proved is None:
                    error = "waiting: no checkpoint covering it is cosigned by every witness of this node"
                    item.last_error = error
                    audit.record(session, action="federation.send", actor=None, decision="deny", reason=error,
                                 objects=[(f"node:{partner.node_id}", None)],
                                 extra={"sequence": item.sequence, "kind": item.kind, "release_id": item.release_id})
                    done.failed.append(f"{partner.node_id} #{item.sequence}: {error}")
                    break
                item.document, data = proved.decode(), proved
            try:
                status, body = transport(partner, data)
                if status != 200:
                    error = f"answered {status}: {body[:200].decode(errors='replace')}"
                else:
                    items.verify_receipt(body, key=anchor.node_key, node=partner.node_id, sender=me, item=data)
            except httpx.HTTPError as exc:
                error = f"unreachable: {str(exc)[:200] or type(exc).__name__}"
            except bundles.Refused as exc:
                error = exc.message
            item.attempts += 1
            if error is not None:
                item.last_error = error[:300]
                audit.record(session, action="federation.send", actor=None, decision="deny", reason=error[:300],
                             objects=[(f"node:{partner.node_id}", None)],
                             extra={"sequence": item.sequence, "kind": item.kind, "release_id": item.release_id})
                done.failed.append(f"{partner.node_id} #{item.sequence}: {error}")
                break
            item.delivered_at, item.receipt, item.last_error = now, body.decode(), None
            audit.record(session, action="federation.send", actor=None,
                         objects=[(f"node:{partner.node_id}", None)],
                         extra={"sequence": item.sequence, "kind": item.kind, "release_id": item.release_id,
                                "entity": item.entity_id})
            done.sent += 1
        session.flush()
    return done


# --- receiver ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    """What `receive` answers: the signed receipt, or the refusal (already audited)."""

    receipt: bytes | None
    refused: bundles.Refused | None = None


def receive(*, session: Session, settings: Settings, data: bytes, now: datetime,
            tally: refusals.Tally | None = None) -> Outcome:
    """Verify and apply one item from a partner (see the module's text); run as the node. A refusal is
    audited with its reason and nothing else is written (with a `tally`, unauthenticated refusals past
    its number a minute are only counted)."""
    if tally is not None:
        refusals.record_left_out(session, tally, now)
    try:
        return _apply(session, settings, data, now)
    except bundles.Refused as exc:
        left_out = tally.admit("items", exc.reason, now, signed=exc.signed) if tally is not None else 0
        if left_out is not None:
            audit.record(session, action="federation.receive", actor=None, decision="deny", reason=exc.reason,
                         extra={"sender": _claimed(data), "message": exc.message[:300], "sha256": items.sha256(data),
                                **({"left_out": left_out} if left_out else {})})
        return Outcome(None, exc)


def _claimed(data: bytes) -> str | None:
    try:
        return items.sender_of(data)[:200]
    except bundles.Refused:
        return None


def _apply(session: Session, settings: Settings, data: bytes, now: datetime) -> Outcome:
    me = keys.node_id(settings)
    kind = items.kind_of(data)
    sender = items.sender_of(data)
    # the sender's row locked first: deliveries of one partner apply one after the other (on PostgreSQL a
    # second delivery of the same number waits, then finds it applied: the same receipt, or a replay)
    partner = session.get(Partner, sender, with_for_update=True)
    if partner is None or partner.ended_at is not None or partner.expires_at <= now:
        raise bundles.Refused("sender", f"{sender[:200]} is not a trusted partner of {me}")
    anchor = anchors.verify(partner.anchor.encode(), now=now)
    sequence = _sequence_of_unverified(data)
    seen = session.scalars(select(Received).where(Received.partner == sender, Received.sequence == sequence)).first()
    if seen is not None and seen.document_sha256 == items.sha256(data):
        audit.record(session, action="federation.receive", actor=None, objects=[(f"node:{sender}", None)],
                     extra={"sequence": sequence, "kind": kind, "release_id": seen.release_id, "again": True})
        return Outcome(seen.receipt.encode())
    if kind == "bundle":
        me_as = bundles.Recipient(node=me, agencies=frozenset(a["code"] for a in hosted_agencies(session, settings)),
                                  applied_sequence=partner.applied_sequence)
        plain, proof = witnessing.split(data)
        bundle = bundles.verify(plain, anchor, now, me_as)
        with bundles.signed_part():
            _in_order(bundle.sequence, partner)
            # the proof is checked last, after every check of the bundle's content; in a savepoint, so that a
            # refusal leaves nothing of the copy behind
            with session.begin_nested():
                status = _apply_bundle(session, anchor, bundle, now)
                witnessing.check_proof(plain, proof, anchor, settings, now)
        release_id, entity_id = str(bundle.header["release_id"]), str(bundle.entity["id"])
        objects: list[tuple[str, str | None]] = [(entity_id, str(bundle.header["owner"]))]
    else:
        plain, proof = witnessing.split(data)
        stone = items.verify_tombstone(plain, key=anchor.node_key, sender=sender, me=me)
        with bundles.signed_part():
            if stone.sequence <= partner.applied_sequence:
                raise bundles.Refused("replay", f"sequence {stone.sequence} of {sender} is already applied")
            _in_order(stone.sequence, partner)
        # A revocation applies whatever its proof says (it only removes): a proof that fails is kept
        # as evidence in the log, not a reason to keep the copy.
        proved = "none"
        if proof is not None:
            try:
                witnessing.check_proof(plain, proof, anchor, settings, now)
                proved = "verified"
            except bundles.Refused as exc:
                proved = f"refused: {exc.message}"[:300]
        purged = _purge_release(session, sender, stone.release_id, now)
        status, release_id, entity_id = ("purged" if purged else "nothing"), stone.release_id, purged or ""
        objects = [(f"node:{sender}", None)]
        if purged:
            objects.append((purged, None))
    receipt = items.receipt(keys.node_key(settings), node=me, sender=sender, sequence=sequence,
                            release_id=release_id, kind=kind, item=data, status=status, now=now)
    partner.applied_sequence = sequence
    session.add(Received(partner=sender, sequence=sequence, kind=kind, release_id=release_id,
                         entity_id=(entity_id or None) if kind == "bundle" else None,
                         document_sha256=items.sha256(data), receipt=receipt.decode(), received_at=now))
    session.flush()
    audit.record(session, action="federation.receive", actor=None, objects=objects,
                 extra={"sender": sender, "sequence": sequence, "kind": kind, "release_id": release_id,
                        "status": status, **({"proof": proved} if kind == "tombstone" else {})})
    return Outcome(receipt)


#: past any sequence a real partner reaches, and within every database's integer column
MAX_SEQUENCE = 2**31 - 1


def _sequence_of_unverified(data: bytes) -> int:
    try:
        doc = orjson.loads(data)
        sequence = doc["bundle"]["header"]["sequence"] if "bundle" in doc else doc["tombstone"]["sequence"]
    except (KeyError, TypeError, ValueError):
        raise bundles.Refused("malformed", "no sequence number") from None
    if not isinstance(sequence, int) or isinstance(sequence, bool) or not 1 <= sequence <= MAX_SEQUENCE:
        raise bundles.Refused("malformed", "the sequence number is not a positive integer")
    return sequence


def _in_order(sequence: int, partner: Partner) -> None:
    if sequence != partner.applied_sequence + 1:
        raise bundles.Refused("gap", f"sequence {sequence} of {partner.node_id} follows "
                                     f"{partner.applied_sequence}: items {partner.applied_sequence + 1} to "
                                     f"{sequence - 1} are missing")


def _federation_user(session: Session, agency: str, sender: str) -> int:
    """The inactive local user a foreign agency's locked copies are created by (one per agency and node)."""
    name = f"{agency.lower()}@{sender}"[:100]
    found = session.scalar(select(User.id).where(User.username == name))
    if found is not None:
        return int(found)
    user = User(username=name, agency=agency, roles="", clearance="TLP:CLEAR", password_hash=None, active=False)
    session.add(user)
    session.flush()
    return int(user.id)


def _ensure_agency(session: Session, anchor: anchors.Anchor, code: str) -> str:
    """The owner agency as the sender's anchor names it, registered here if it is not; its country."""
    named = next(a for a in anchor.agencies if a["code"] == code)
    if session.get(Country, named["country"]) is None:
        session.add(Country(code=named["country"], name=named["country"]))
        session.flush()
    if session.get(Agency, code) is None:
        session.add(Agency(code=code, country=named["country"], name=named["name"]))
        session.flush()
    return named["country"]


def _apply_bundle(session: Session, anchor: anchors.Anchor, bundle: bundles.Bundle, now: datetime) -> str:
    header, body = bundle.header, bundle.entity
    owner, recipient = str(header["owner"]), str(header["recipient"]["agency"])
    schema = model.get(body["schema"]) if isinstance(body["schema"], str) else None
    entity_id = body["id"]
    if schema is None or not isinstance(entity_id, str) or not entity_id or len(entity_id) > 200:
        raise bundles.Refused("malformed", "unknown schema or entity id")
    rows = []
    for s in bundle.statements:
        prop = schema.get(s["prop"]) if isinstance(s["prop"], str) else None
        if prop is None or not isinstance(s["value"], str) or not s["value"] or len(s["value"]) > 65_536 \
                or s["marking"] not in RANK or not (s["lang"] is None or isinstance(s["lang"], str)
                                                    and 0 < len(s["lang"]) <= 8):
            raise bundles.Refused("malformed", f"a statement of {entity_id[:200]} is out of shape")
        if RANK[s["marking"]] > RANK[header["marking"]]:
            raise bundles.Refused("malformed", "a value is marked above the bundle")
        rows.append((prop, s))
    if not entity_id.startswith(f"{namespace(owner)}."):
        # ids never collide across agencies: one in a local agency's namespace would squat its import's ids
        raise bundles.Refused("owner", f"{entity_id[:200]} is not an id of {owner[:50]}")
    existing = session.get(Entity, entity_id)
    if existing is not None and existing.origin_node != anchor.node:
        # a record of this node, or a copy another partner sent: only its own origin replaces it
        raise bundles.Refused("owner", f"{entity_id[:200]} is not a copy {anchor.node} sent")
    supersedes = header["supersedes"]
    if isinstance(supersedes, str):
        _purge_release(session, anchor.node, supersedes, now)
    if existing is not None:
        _purge_entity(session, entity_id, now)
    country = _ensure_agency(session, anchor, owner)
    creator = _federation_user(session, owner, anchor.node)
    marking = str(header["marking"])
    if existing is None:
        session.add(Entity(id=entity_id, schema=schema.name, owner_agency=owner, owner_country=country,
                           distribution="release", marking=marking, marking_rank=RANK[marking], case_id=None,
                           created_by=creator, created_at=now, updated_at=now, origin_node=anchor.node))
    else:
        existing.deleted_at, existing.updated_at = None, now
        existing.marking, existing.marking_rank = marking, RANK[marking]
        existing.owner_agency, existing.owner_country = owner, country
    session.flush()
    origin = f"federation:{anchor.node}:{header['release_id']}"
    statements = [
        {"entity_id": entity_id, "schema": schema.name, "prop": prop.name, "prop_type": prop.type.name,
         "value": s["value"], "original_value": None, "lang": s["lang"], "dataset": owner, "origin": origin,
         "owner_agency": owner, "distribution": "inherit", "marking": s["marking"], "marking_rank": RANK[s["marking"]],
         "created_by": creator, "created_at": now}
        for prop, s in rows
    ]
    insert_statements(session, statements, Written())
    until = bundles._parse_time(header["expires_at"], "expires_at")
    session.add(Release(owner_agency=owner, entity_id=entity_id, case_id=None, to_agency=recipient, until=until,
                        created_by=creator, created_at=now))
    session.flush()
    return "applied"


def _purge_release(session: Session, sender: str, release_id: str, now: datetime) -> str | None:
    """Purge the copy release `release_id` of `sender` made, if it still stands; the entity's id, or None."""
    row = session.scalars(select(Received).where(Received.partner == sender, Received.release_id == release_id,
                                                 Received.kind == "bundle", Received.purged_at.is_(None))).first()
    if row is None or row.entity_id is None:
        return None
    row.purged_at = now
    _purge_entity(session, row.entity_id, now)
    return row.entity_id


def _purge_entity(session: Session, entity_id: str, now: datetime) -> None:
    """Delete a copy's values, search terms and selectors, end its local releases and mark it deleted;
    the bare row (id, schema) stays, since local requests may name it."""
    for received in session.scalars(select(Received).where(Received.entity_id == entity_id,
                                                           Received.purged_at.is_(None))):
        received.purged_at = now
    session.execute(delete(SearchTerm).where(SearchTerm.entity_id == entity_id))
    session.execute(delete(Selector).where(Selector.entity_id == entity_id))
    session.execute(delete(Statement).where(Statement.entity_id == entity_id))
    for release in session.scalars(select(Release).where(Release.entity_id == entity_id, Release.revoked_at.is_(None))):
        release.revoked_at = now
    entity = session.get(Entity, entity_id)
    if entity is not None:
        entity.deleted_at = now
    session.flush()


def self_signed(host: str = "127.0.0.1") -> tuple[bytes, bytes]:
    """A fresh self-signed certificate and its key (PEM) for `host`, to pin in an anchor."""
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)])
    start = datetime.now().astimezone()
    try:
        alt: x509.GeneralName = x509.IPAddress(ipaddress.ip_address(host))
    except ValueError:
        alt = x509.DNSName(host)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(start - timedelta(minutes=5))
            .not_valid_after(start + timedelta(days=365))
            .add_extension(x509.SubjectAlternativeName([alt]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, content_commitment=False,
                                         key_encipherment=False, data_encipherment=False, key_agreement=True,
                                         crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
            .sign(key, hashes.SHA256()))
    return (cert.public_bytes(serialization.Encoding.PEM),
            key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                              serialization.NoEncryption()))


def pinned_certificates(session: Session, now: datetime) -> str:
    """The PEM certificates the trusted partners' anchors pin, one after the other (the server's
    client-certificate trust list)."""
    out = []
    for partner in session.scalars(select(Partner).where(Partner.ended_at.is_(None), Partner.expires_at > now)):
        cert = anchors.verify(partner.anchor.encode(), now=now).tls_certificate
        if cert:
            out.append(cert)
    return "".join(out)


"""Partner nodes: writing this node's anchor, trusting a partner's, untrusting it, listing them.

Node administrators only (`policy.may_manage_federation`; the node operator at the command line);
every call leaves one audit entry in the same transaction, naming the partner and the anchor's
hash, never its keys. Rows are written as the system, after the policy decided.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from binational.access import names
from binational.access.actions import Action, register
from binational.access.models import Agency
from binational.access.policy import Actor, can, live_and_visible, may_manage_federation, require, visible
from binational.access.service import ensure_country
from binational.audit import log as audit
from binational.audit.notes import ED25519, Verifier
from binational.audit.signing import load_key
from binational.config import Settings
from binational.db import system_context
from binational.entities.models import Entity
from binational.errors import Conflict, Forbidden, InvalidInput, NotFound
from binational.federation import anchors, keys
from binational.federation.models import DigestQuery, Outbox, Partner, Received

for _name, _text in (
    ("federation.anchor", "write this node's signed anchor for partner nodes (node administrators)"),
    ("federation.trust", "trust a partner node by its signed anchor, or renew it (node administrators)"),
    ("federation.untrust", "end the trust in a partner node (node administrators)"),
    ("federation.partners", "list the partner nodes and their anchors' hashes (node administrators)"),
    ("federation.status", "see what this node sent partner nodes and received from them, with receipts, "
     "overdue revocations and step-1 queries (node administrators)"),
):
    register(Action(_name, "agency.manage", _text))
register(Action("federation.copies", "record.view",
                "list the locked copies partner nodes released to one's agency (those one may read)"))


def _allow(actor: Actor | None, action: str) -> None:
    decision = may_manage_federation(actor)
    if not decision:
        raise Forbidden(f"{action}: {decision.reason}", action=action)


def _hosted_here(code: str, country: str, settings: Settings) -> bool:
    """Whether an agency registered as this node's (`Agency.node` None) is one its anchor names."""
    if settings.federation_hosted_agencies:
        return code in settings.federation_hosted_agencies
    return not settings.node_country or country == settings.node_country.upper()


def hosted_agencies(session: Session, settings: Settings) -> list[dict[str, str]]:
    """The agencies this node hosts, as its anchor lists them (see `federation_hosted_agencies`): never one
    a partner node hosts."""
    rows = session.execute(select(Agency.code, Agency.country, Agency.name).where(Agency.node.is_(None))
                           .order_by(Agency.code)).all()
    if settings.federation_hosted_agencies:
        unknown = set(settings.federation_hosted_agencies) - {r.code for r in rows}
        if unknown:
            raise InvalidInput(f"federation_hosted_agencies names agencies not registered here: "
                               f"{', '.join(sorted(unknown))}", details=[{"field": "federation_hosted_agencies"}])
    rows = [r for r in rows if _hosted_here(r.code, r.country, settings)]
    if not rows:
        raise InvalidInput("this node hosts no agency to name in its anchor", details=[{"field": "agencies"}])
    return [{"code": r.code, "country": r.country, "name": r.name} for r in rows]


def write_anchor(*, session: Session, actor: Actor | None, settings: Settings, now: datetime) -> bytes:
    """This node's anchor, signed by its node key, valid `federation_anchor_days` from `now`; audited."""
    _allow(actor, "federation.anchor")
    node = keys.node_id(settings)
    if not settings.federation_endpoint:
        raise InvalidInput("this node has no federation endpoint: set BINATIONAL_FEDERATION_ENDPOINT",
                           details=[{"field": "federation_endpoint"}])
    cert = None
    if settings.federation_tls_cert_path is not None:
        try:
            cert = settings.federation_tls_cert_path.read_text(encoding="ascii")
        except (OSError, UnicodeDecodeError) as exc:
            raise InvalidInput(f"cannot read federation_tls_cert_path: {exc}") from None
    with system_context(session):
        agencies = hosted_agencies(session, settings)
    data = anchors.make(
        key=keys.node_key(settings), node=node, endpoint=settings.federation_endpoint,
        witness_key=keys.witness_verifier(node, keys.witness_key(settings)),
        audit_key=Verifier(settings.node_name, ED25519, load_key(settings.audit_key_path).public_key()),
        agencies=agencies, witnesses=settings.federation_witnesses, issued_at=now,
        expires_at=now + timedelta(days=settings.federation_anchor_days), tls_certificate=cert,
    )
    audit.record(session, action="federation.anchor", actor=actor, objects=[(f"node:{node}", None)],
                 extra={"sha256": anchors.verify(data, now=now).sha256})
    return data


def trust(*, session: Session, actor: Actor | None, settings: Settings, data: bytes, now: datetime,
          expect_sha256: str | None = None) -> anchors.Anchor:
    """Verify a partner's anchor and trust it (a renewal replaces the one before); audited. Refused,
    with nothing written: a bad signature or shape, an expired anchor, this node's own, a hash other
    than `expect_sha256`, an agency this node or another partner hosts (or hosted: never taken over)."""
    _allow(actor, "federation.trust")
    anchor = anchors.verify(data, now=now)
    if expect_sha256 is not None and anchor.sha256 != expect_sha256.strip().lower():
        raise InvalidInput(f"anchor refused: its SHA-256 is {anchor.sha256}, not the one expected",
                           details=[{"field": "sha256"}])
    if settings.federation_node_id and anchor.node == settings.federation_node_id:
        raise InvalidInput("anchor refused: it is this node's own", details=[{"field": "node"}])
    with system_context(session):
        others = session.scalars(select(Partner).where(Partner.ended_at.is_(None),
                                                       Partner.node_id != anchor.node)).all()
        for other in others:
            shared = set(anchor.agency_codes) & set(other.agencies.split(","))
            if shared:
                raise Conflict(f"anchor refused: {', '.join(sorted(shared))} already hosted by {other.node_id}")
        # an agency this node hosts, or one another node hosted (even one no longer trusted: the releases
        # made to it must never reach another node), is never taken over
        claimed = session.scalars(select(Agency).where(Agency.code.in_(anchor.agency_codes))).all()
        own = sorted(a.code for a in claimed if a.node is None and _hosted_here(a.code, a.country, settings))
        if own:
            raise Conflict(f"anchor refused: {', '.join(own)} hosted by this node")
        elsewhere = sorted(f"{a.code} ({a.node})" for a in claimed if a.node not in (None, anchor.node))
        if elsewhere:
            raise Conflict(f"anchor refused: {', '.join(elsewhere)} hosted by another node")
        _register_agencies(session, anchor, now)
        row = session.get(Partner, anchor.node)
        fields = {"endpoint": anchor.endpoint, "anchor": anchor.document.decode(), "anchor_sha256": anchor.sha256,
                  "node_key": anchor.node_key.vkey(), "agencies": ",".join(anchor.agency_codes),
                  "expires_at": anchor.expires_at, "trusted_at": now,
                  "trusted_by": actor.user_id if actor else None, "ended_at": None, "ended_by": None}
        renewed = row is not None
        if row is None:
            session.add(Partner(node_id=anchor.node, applied_sequence=0, **fields))
        else:
            for name, value in fields.items():
                setattr(row, name, value)
        session.flush()
    audit.record(session, action="federation.trust", actor=actor, objects=[(f"node:{anchor.node}", None)],
                 extra={"sha256": anchor.sha256, "renewed": renewed, "agencies": list(anchor.agency_codes)})
    return anchor


def _register_agencies(session: Session, anchor: anchors.Anchor, now: datetime) -> None:
    """The agencies the anchor names, registered here as hosted by its node (so the release forms offer
    them and a release to them travels); those the node hosted before and no longer names end."""
    named = {a["code"]: a for a in anchor.agencies}
    for code, a in named.items():  # all checked before any is written
        if names.agency_code(code, field="agencies", where="anchor refused: ") != code:
            raise InvalidInput(f"anchor refused: agency code {code!r} is not upper-case",
                               details=[{"field": "agencies"}])
        if a["country"] != a["country"].strip().upper():
            raise InvalidInput(f"anchor refused: country {a['country']!r} is not an upper-case ISO code",
                               details=[{"field": "agencies"}])
    for code, a in named.items():
        ensure_country(session=session, code=a["country"])
        agency = session.get(Agency, code)
        if agency is None:
            session.add(Agency(code=code, country=a["country"], name=a["name"], node=anchor.node))
        else:
            agency.node, agency.node_ended_at = anchor.node, None
    for agency in session.scalars(select(Agency).where(Agency.node == anchor.node, Agency.node_ended_at.is_(None),
                                                       Agency.code.not_in(list(named)))):
        agency.node_ended_at = now
    session.flush()


def untrust(*, session: Session, actor: Actor | None, node_id: str, now: datetime) -> None:
    """End the trust in a partner node; audited. An unknown or already untrusted node is NotFound."""
    _allow(actor, "federation.untrust")
    with system_context(session):
        row = session.get(Partner, node_id) if isinstance(node_id, str) else None
        if row is None or row.ended_at is not None:
            raise NotFound("partner node", str(node_id)[:200], action="federation.untrust")
        row.ended_at = now
        row.ended_by = actor.user_id if actor else None
        for agency in session.scalars(select(Agency).where(Agency.node == node_id, Agency.node_ended_at.is_(None))):
            agency.node_ended_at = now
        session.flush()
    audit.record(session, action="federation.untrust", actor=actor, objects=[(f"node:{node_id}", None)],
                 extra={"sha256": row.anchor_sha256})


@dataclass(frozen=True)
class PartnerView:
    """One partner node as listed."""

    node_id: str
    endpoint: str
    agencies: tuple[str, ...]
    sha256: str
    trusted_at: datetime
    expires_at: datetime
    status: str  # trusted, expired or ended


def partners(*, session: Session, actor: Actor | None, now: datetime) -> list[PartnerView]:
    """Every partner node ever trusted, with its status; audited."""
    _allow(actor, "federation.partners")
    views = _partner_views(session, now)
    audit.record(session, action="federation.partners", actor=actor, extra={"count": len(views)})
    return views


def _partner_views(session: Session, now: datetime) -> list[PartnerView]:
    with system_context(session):
        rows = session.scalars(select(Partner).order_by(Partner.node_id)).all()
    return [PartnerView(r.node_id, r.endpoint, tuple(r.agencies.split(",")), r.anchor_sha256, r.trusted_at,
                        r.expires_at, "ended" if r.ended_at else "expired" if r.expires_at <= now else "trusted")
            for r in rows]


def active_partner(session: Session, node_id: str, now: datetime) -> Partner:
    """The trusted, unexpired partner `node_id` (read as the system), or NotFound."""
    with system_context(session):
        row = session.get(Partner, node_id) if isinstance(node_id, str) else None
    if row is None or row.ended_at is not None or row.expires_at <= now:
        raise NotFound("partner node", str(node_id)[:200])
    return row


@dataclass(frozen=True)
class SentView:
    """One item of the outbox: `entity` only when the viewer may see the record, `overdue` for a
    tombstone not acknowledged within `federation_receipt_overdue_hours`."""

    partner: str
    sequence: int
    kind: str
    release_id: str
    entity: str | None
    built_at: datetime
    delivered_at: datetime | None
    attempts: int
    last_error: str | None
    overdue: bool


@dataclass(frozen=True)
class ReceivedView:
    """One item applied from a partner: `entity` (the locked copy) only when the viewer may see it."""

    partner: str
    sequence: int
    kind: str
    release_id: str
    entity: str | None
    received_at: datetime
    purged_at: datetime | None


@dataclass(frozen=True)
class Status:
    """The federation page of node administrators: partners, the newest items sent and received, the
    revocations waiting for a receipt, and each partner's step-1 digests asked in the last hour and day."""

    partners: list[PartnerView]
    sent: list[SentView]
    received: list[ReceivedView]
    overdue: list[SentView]
    digests: dict[str, tuple[int, int]]


def _seen(session: Session, actor: Actor, ids: set[str], now: datetime) -> dict[str, str]:
    """Of the entity ids `ids`, those `actor` may list as a reader of records (`entity.list`, and
    visible), with their owner agencies: any other stays unnamed on the page."""
    if not ids or not can(actor, "entity.list"):
        return {}
    return {str(r.id): str(r.owner_agency) for r in session.execute(
        select(Entity.id, Entity.owner_agency).where(Entity.id.in_(ids), visible(actor, Entity, now=now)))}


def status(*, session: Session, actor: Actor, settings: Settings, now: datetime, limit: int = 100) -> Status:
    """What the node sent and received, newest first (`limit` of each), for node administrators;
    audited. A record is named only to who may see it under the ordinary policy."""
    _allow(actor, "federation.status")
    views = _partner_views(session, now)
    late = now - timedelta(hours=settings.federation_receipt_overdue_hours)
    with system_context(session):
        sent = session.scalars(select(Outbox).order_by(Outbox.built_at.desc(), Outbox.id.desc()).limit(limit)).all()
        overdue = session.scalars(select(Outbox).where(Outbox.kind == "tombstone", Outbox.delivered_at.is_(None),
                                                       Outbox.built_at <= late).order_by(Outbox.built_at)).all()
        received = session.scalars(select(Received).order_by(Received.received_at.desc(), Received.id.desc())
                                   .limit(limit)).all()
        asked: dict[str, tuple[int, int]] = {}
        for since, slot in ((now - timedelta(days=1), 1), (now - timedelta(hours=1), 0)):
            for node, count in session.execute(select(DigestQuery.node_id, func.sum(DigestQuery.asked))
                                               .where(DigestQuery.at > since).group_by(DigestQuery.node_id)):
                hour, day = asked.get(node, (0, 0))
                asked[node] = (int(count), day) if slot == 0 else (hour, int(count))
    ids = {r.entity_id for r in (*sent, *overdue) if r.entity_id} | {r.entity_id for r in received if r.entity_id}
    named = _seen(session, actor, ids, now)

    def sent_view(r: Outbox) -> SentView:
        return SentView(r.partner, r.sequence, r.kind, r.release_id, r.entity_id if r.entity_id in named else None,
                        r.built_at, r.delivered_at, r.attempts, r.last_error,
                        r.kind == "tombstone" and r.delivered_at is None and r.built_at <= late)

    # the records named on the page, for their holders' auditors (as any list of records)
    audit.record(session, action="federation.status", actor=actor, objects=sorted(named.items()),
                 extra={"partners": len(views), "sent": len(sent), "received": len(received),
                        "overdue": len(overdue)})
    return Status(views, [sent_view(r) for r in sent],
                  [ReceivedView(r.partner, r.sequence, r.kind, r.release_id,
                                r.entity_id if r.entity_id in named else None, r.received_at, r.purged_at)
                   for r in received],
                  [sent_view(r) for r in overdue], asked)


@dataclass(frozen=True)
class CopyView:
    """A locked copy a partner node released to the viewer's agency."""

    entity: str
    schema: str
    owner_agency: str
    origin_node: str
    received_at: datetime


def copies(*, session: Session, actor: Actor, now: datetime, limit: int = 200) -> list[CopyView]:
    """The live locked copies `actor` may read (the ordinary policy: released to the actor's agency,
    within its clearance), newest first; audited naming them for their holders' auditors."""
    require(actor, "federation.copies")
    rows = session.execute(select(Entity.id, Entity.schema, Entity.owner_agency, Entity.origin_node,
                                  Entity.created_at)
                           .where(Entity.origin_node.is_not(None), live_and_visible(actor, Entity))
                           .order_by(Entity.created_at.desc(), Entity.id).limit(limit)).all()
    audit.record(session, action="federation.copies", actor=actor, objects=[(r.id, r.owner_agency) for r in rows],
                 extra={"count": len(rows)})
    return [CopyView(r.id, r.schema, r.owner_agency, str(r.origin_node), r.created_at) for r in rows]

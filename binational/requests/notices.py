"""Discovery notices: what one agency is told about another agency's searches of its records.

Two kinds: `deconfliction` (agency X searched a selector matching your record that answers no hit:
TLP:RED, or in a restricted case; you decide whether to reach out) and `sweep` (agency X searched
many selectors of one shape, and they touched your records). Each is written as the node, audited
with an entry only the holder's auditors see (`access.policy.HOLDERS_ONLY`), and read by the
holder's supervisors, liaisons and auditors (`policy.may_read_discovery_notices`).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from binational import pagination
from binational.access.actions import Action, register
from binational.access.policy import Actor, discovery_notices_for
from binational.audit import log as audit
from binational.config import get_settings
from binational.requests.models import DiscoveryNotice

KINDS = ("deconfliction", "sweep")
#: the audit action of each kind of notice
AUDIT_ACTIONS = {"deconfliction": "discovery.withheld", "sweep": "discovery.sweep"}

register(Action("discovery.notice.list", "",
                "list the deconfliction and sweep notices left for one's agency (supervisors, liaisons, auditors)"))


def leave(session: Session, actor: Actor, *, kind: str, to_agency: str, entity_ids: list[str], selectors: int,
          digests: list[str], now: Any) -> None:
    """Leave a notice for `to_agency` about `actor`'s search and audit it (call in the system context)."""
    session.execute(insert(DiscoveryNotice), [{"to_agency": to_agency, "from_agency": actor.agency, "kind": kind,
                                               "entity_ids": ",".join(entity_ids), "selectors": selectors,
                                               "created_at": now}])
    audit.record(session, action=AUDIT_ACTIONS[kind], actor=actor,
                 objects=[(eid, to_agency) for eid in entity_ids],
                 extra={"to_agency": to_agency, "selectors": selectors, "sha256": digests})


def list_notices(*, session: Session, actor: Actor, limit: int | None = None, cursor: str | None = None
                 ) -> tuple[list[dict[str, Any]], str | None]:
    """The notices left for the actor's agency, newest first (none for a role that may not read them)."""
    settings = get_settings()
    limit = pagination.check_limit(limit, settings.page_size, settings.max_page_size)
    query = select(DiscoveryNotice).where(discovery_notices_for(actor, DiscoveryNotice))
    page, next_cursor = pagination.keyset(session, query, DiscoveryNotice.id, limit=limit, cursor=cursor,
                                          secret=settings.signing_secret(), descending=True)
    items = [{"id": n.id, "kind": n.kind, "from_agency": n.from_agency, "entity_ids": n.entity_ids.split(","),
              "selectors": n.selectors, "created_at": n.created_at} for n in page]
    audit.record(session, action="discovery.notice.list", actor=actor,
                 objects=[(eid, actor.agency) for item in items for eid in item["entity_ids"]],
                 extra={"page": len(items)})
    return items, next_cursor

"""Roles and the capabilities they grant, declared as data."""

from __future__ import annotations

from binational.errors import InvalidInput

#: Capabilities every action needs one of; see binational.access.actions.
CAPABILITIES: dict[str, str] = {
    "record.view": "read records the policy lets the user see",
    "record.create": "create records owned by the user's agency",
    "record.edit": "change or delete records owned by the user's agency",
    "release.approve": "release the agency's records to partner agencies, and revoke releases",
    "request.create": "send requests to other agencies",
    "request.answer": "answer requests addressed to the agency",
    "case.manage": "create restricted cases and manage their members",
    "audit.read": "read the audit log of the agency",
    "admin": "manage the users of one's agency, approve their grants and revoke their tokens",
    "agency.manage": "register agencies of the node's country (or federation)",
}

ROLES: dict[str, frozenset[str]] = {
    "analyst": frozenset(
        {"record.view", "record.create", "record.edit", "release.approve", "request.create", "case.manage"}
    ),
    "supervisor": frozenset(
        {"record.view", "record.create", "record.edit", "release.approve", "request.create",
         "request.answer", "case.manage"}
    ),
    "liaison": frozenset({"record.view", "request.create", "request.answer", "release.approve"}),
    "auditor": frozenset({"audit.read"}),
    "admin": frozenset({"admin"}),
    # Node-wide: no agency administrator holds it, and only the node operator grants it.
    "node_admin": frozenset({"agency.manage"}),
}


def capabilities_of(roles: list[str] | tuple[str, ...] | frozenset[str]) -> frozenset[str]:
    """The union of the capabilities of the given roles."""
    caps: set[str] = set()
    for role in roles:
        caps |= ROLES.get(role, frozenset())
    return frozenset(caps)


def check_roles(roles: list[str]) -> list[str]:
    """Return the roles if they are all known, else raise InvalidInput."""
    unknown = [r for r in roles if r not in ROLES]
    if unknown or not roles:
        raise InvalidInput(
            f"unknown role {', '.join(unknown) or '(none)'}", details=[{"field": "roles", "allowed": sorted(ROLES)}]
        )
    return roles

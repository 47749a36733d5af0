"""Every action of the platform, declared once as data; docs/access.md documents each one."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Action:
    """One thing a user can do: the capability it needs and whether it touches a shareable record."""

    name: str
    capability: str
    description: str
    #: the action reads or changes one record, so the record must be visible to the actor
    on_record: bool = False
    #: the action changes a record, so the actor's agency must own it
    owner_only: bool = False


_ACTIONS = [
    Action("me.read", "", "read one's own profile"),
    Action("entity.create", "record.create", "create an entity owned by one's agency"),
    Action("entity.read", "record.view", "read one entity, assembled from the statements one may see", True),
    Action("entity.list", "record.view", "list and search entities one may see"),
    Action("entity.update", "record.edit", "add or remove values of an entity one's agency owns", True, True),
    Action("entity.delete", "record.edit", "tombstone an entity one's agency owns", True, True),
    Action("entity.import", "record.create", "import FollowTheMoney JSON lines as one's agency"),
    Action("entity.export", "record.view", "export the entities one may see (a list or search) as FtM or CSV"),
    Action("release.create", "release.approve", "release an entity one's agency owns to a partner agency", True, True),
    Action("release.list", "record.view", "list the releases of an entity one's agency owns", True, True),
    Action("release.revoke", "release.approve", "revoke a release of one's agency", True, True),
    Action("case.create", "case.manage", "open a restricted case"),
    Action("case.member.add", "case.manage", "admit a user to a restricted case of one's agency"),
    Action("audit.read", "audit.read", "read the audit entries of one's agency and about its records"),
    Action("audit.verify", "audit.read", "recompute the audit log's Merkle tree and check its signatures"),
    Action("audit.who_saw", "audit.read", "list every read of one record of one's agency"),
    Action("entity.readers", "", "see who read a record of one's agency (its auditors and supervisors)"),
    Action("audit.checkpoint", "audit.read", "fetch the log's signed checkpoint and a consistency proof for a witness"),
    Action("audit.status", "audit.read", "read the size and root of the audit log and its last checkpoint"),
    Action("agency.create", "agency.manage", "register an agency of the node's country (or federation)"),
    Action("agency.list", "", "list agencies"),
    Action("user.create", "admin", "create a user of one's agency, up to one's own clearance"),
    Action("user.list", "admin", "list the users of one's agency"),
    Action("grant.list", "admin", "list the grants of one's agency waiting for a second administrator"),
    Action("grant.approve", "admin", "approve a grant another administrator of one's agency asked for"),
    Action("grant.reject", "admin", "reject a grant of one's agency waiting for approval"),
    Action("token.create", "", "issue an API token for oneself"),
    Action("token.list", "", "list one's own API tokens, or (administrators) those of one's agency's users"),
    Action("token.revoke", "", "revoke one's own API token, or (administrators) one of one's agency's users"),
    Action("auth.login", "", "sign in with a password or a token"),
    Action("auth.logout", "", "sign out, ending one's web session"),
    Action("session.end", "admin", "end the web sessions of a user of one's agency"),
    Action("request.limited", "", "(refused) a request past one's cap of requests a minute; recorded once per spell"),
]

ACTIONS: dict[str, Action] = {action.name: action for action in _ACTIONS}


def register(action: Action) -> Action:
    """Declare a module's action (domain modules add their own at import)."""
    if action.name in ACTIONS and ACTIONS[action.name] != action:
        raise ValueError(f"action {action.name} declared twice")
    ACTIONS[action.name] = action
    return action

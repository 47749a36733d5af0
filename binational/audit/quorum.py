"""Witness policies (C2SP tlog-policy): which logs are known, which witnesses, and the quorum of
cosignatures that makes a checkpoint final.

A policy is a line file: `log <vkey> [<url>]`, `witness <name> <vkey> [<url>]`, `group <name>
<all|any|k> <member>...` (members named on earlier lines), and one `quorum <name>` (or `quorum
none`). A checkpoint meets the policy when a known log signed it and the quorum's witnesses (or
groups, each with at least k of its members) cosigned it, each cosignature verified.

Pure functions: no database, no clock (the caller passes `now`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from binational.audit import notes
from binational.errors import InvalidInput

#: C2SP asks implementations to hold at least 32 of each; more is refused
MAX_ENTRIES = 64


@dataclass(frozen=True)
class Witness:
    """A witness of the policy: its name there, its cosignature key, where it takes checkpoints."""

    name: str
    key: notes.Verifier
    url: str | None = None


@dataclass
class Policy:
    """A parsed policy."""

    logs: list[notes.Verifier] = field(default_factory=list)
    witnesses: dict[str, Witness] = field(default_factory=dict)
    #: group name -> (threshold, members)
    groups: dict[str, tuple[int, tuple[str, ...]]] = field(default_factory=dict)
    quorum: str = "none"

    def text(self) -> str:
        """The policy as its file holds it."""
        lines = [f"log {log.vkey()}" for log in self.logs]
        lines += [f"witness {w.name} {w.key.vkey()}" + (f" {w.url}" if w.url else "") for w in self.witnesses.values()]
        lines += [f"group {name} {k} {' '.join(members)}" for name, (k, members) in self.groups.items()]
        return "\n".join([*lines, f"quorum {self.quorum}"]) + "\n"


def _bad(line_no: int, message: str) -> InvalidInput:
    return InvalidInput(f"policy line {line_no}: {message}", details=[{"field": "policy", "line": line_no}])


def parse(text: str) -> Policy:
    """The policy a tlog-policy file holds; InvalidInput naming the line and what is wrong."""
    policy = Policy()
    quorum = None
    keys: set[bytes] = set()
    for no, raw in enumerate(text.split("\n"), start=1):
        if any((ord(ch) < 0x20 and ch != "\t") or ord(ch) == 0x7F for ch in raw):
            raise _bad(no, "control characters other than tab")
        words = raw.replace("\t", " ").split()
        if not words or words[0].startswith("#"):
            continue
        kind, args = words[0], words[1:]
        if kind == "log" and len(args) in (1, 2):
            log = notes.parse_vkey(args[0], notes.ED25519)
            if notes.raw_public(log.key) in keys:
                raise _bad(no, "a key listed twice")
            keys.add(notes.raw_public(log.key))
            policy.logs.append(log)
        elif kind == "witness" and len(args) in (2, 3):
            name = args[0]
            if name == "none" or name in policy.witnesses or name in policy.groups:
                raise _bad(no, f"the name {name!r} is taken")
            key = notes.parse_vkey(args[1], notes.COSIGNATURE)
            if notes.raw_public(key.key) in keys:
                raise _bad(no, "a key listed twice")
            keys.add(notes.raw_public(key.key))
            policy.witnesses[name] = Witness(name, key, args[2] if len(args) == 3 else None)
        elif kind == "group" and len(args) >= 3:
            name, threshold, members = args[0], args[1], tuple(args[2:])
            if name == "none" or name in policy.witnesses or name in policy.groups:
                raise _bad(no, f"the name {name!r} is taken")
            if len(set(members)) != len(members):
                raise _bad(no, "a member listed twice")
            unknown = [m for m in members if m not in policy.witnesses and m not in policy.groups]
            if unknown:
                raise _bad(no, f"{unknown[0]!r} is not defined on an earlier line")
            if threshold == "all":
                k = len(members)
            elif threshold == "any":
                k = 1
            elif threshold.isascii() and threshold.isdigit() and not threshold.startswith("0") \
                    and 1 <= int(threshold) <= len(members):
                k = int(threshold)
            else:
                raise _bad(no, "the threshold is all, any or a number from 1 to the number of members")
            policy.groups[name] = (k, members)
        elif kind == "quorum" and len(args) == 1:
            if quorum is not None:
                raise _bad(no, "a second quorum line")
            if args[0] != "none" and args[0] not in policy.witnesses and args[0] not in policy.groups:
                raise _bad(no, f"{args[0]!r} is not defined on an earlier line")
            quorum = args[0]
        else:
            raise _bad(no, f"not a policy line: {raw.strip()[:80]!r}")
        if len(policy.logs) > MAX_ENTRIES or len(policy.witnesses) > MAX_ENTRIES or len(policy.groups) > MAX_ENTRIES:
            raise _bad(no, f"more than {MAX_ENTRIES} logs, witnesses or groups")
    if quorum is None:
        raise InvalidInput("the policy has no quorum line", details=[{"field": "policy"}])
    policy.quorum = quorum
    return policy


def cosigners(policy: Policy, note: notes.Note, now: int, max_future: int) -> set[str]:
    """The names of the policy's witnesses whose cosignature on `note` verifies and is not more than
    `max_future` seconds ahead of `now` (POSIX seconds)."""
    found = set()
    for witness in policy.witnesses.values():
        when = notes.cosignature_time(note, witness.key)
        if notes.check(note, witness.key) and when is not None and when <= now + max_future:
            found.add(witness.name)
    return found


def met(policy: Policy, cosigned: set[str]) -> bool:
    """Whether the witnesses `cosigned` make the policy's quorum."""
    def holds(name: str) -> bool:
        if name == "none":
            return True
        if name in policy.witnesses:
            return name in cosigned
        k, members = policy.groups[name]
        return sum(holds(m) for m in members) >= k

    return holds(policy.quorum)


def check(policy: Policy, note: notes.Note, *, now: int, max_future: int) -> notes.Checkpoint:
    """The checkpoint of `note` if a log of the policy signed it and its cosignatures make the quorum;
    InvalidInput saying which is missing."""
    cp = notes.parse_checkpoint(note.text)
    logs = [log for log in policy.logs if log.name == cp.origin]
    if not any(notes.check(note, log) for log in logs):
        raise InvalidInput(f"the checkpoint of {cp.origin[:200]} is not signed by a log the policy knows",
                           details=[{"field": "checkpoint", "reason": "log"}])
    cosigned = cosigners(policy, note, now, max_future)
    if not met(policy, cosigned):
        raise InvalidInput(f"the checkpoint's cosignatures ({', '.join(sorted(cosigned)) or 'none'}) do not make "
                           f"the quorum {policy.quorum}", details=[{"field": "checkpoint", "reason": "quorum"}])
    return cp

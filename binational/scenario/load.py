"""Load a generated world into a node: agencies, users, then each agency's entities, all or nothing.

Everything goes through the ordinary paths: agencies and users through the audited admin service,
entities through `entities.transfer.import_lines` acting as a user of the owning agency, so the
policy checks and the audit log apply as for any import. The caller gives one session: the whole
folder is one transaction, so a bad line anywhere names its file and line and loads nothing.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.orm import Session

from binational.access import service as access
from binational.access.markings import RANK
from binational.access.models import Agency, User
from binational.access.roles import capabilities_of
from binational.admin import service as admin
from binational.db import act_as, act_as_system
from binational.entities import transfer
from binational.errors import Conflict, InvalidInput
from binational.flows import service as flows

#: what `progress` is told: (what is being done, how many more units are done)
Progress = Callable[[str, int], None]

AGENCY_HEADER = ["code", "country", "name"]
USER_HEADER = ["username", "agency", "roles", "clearance", "password"]


@dataclass
class Folder:
    """The checked directory files of a world folder and the entity files to import."""

    root: Path
    agencies: list[dict[str, str]]
    users: list[dict[str, str]]
    entity_files: list[Path]
    lines: int = 0


@dataclass
class Loaded:
    """What a load wrote."""

    agencies: int = 0
    users: int = 0
    entities: dict[str, int] = field(default_factory=dict)
    #: monthly series of the flows module (files under flows/<AGENCY>/)
    series: int = 0


def _rows(path: Path, header: list[str]) -> list[dict[str, str]]:
    if not path.is_file():
        raise InvalidInput(f"{path.name}: no such file in the world folder", details=[{"file": path.name}])
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        if reader.fieldnames != header:
            raise InvalidInput(f"{path.name} line 1: expected the columns {','.join(header)}",
                               details=[{"file": path.name, "line": 1}])
        return list(reader)


def read_folder(root: Path) -> Folder:
    """Read and check the directory files of a world folder (nothing is written)."""
    if not root.is_dir():
        raise InvalidInput(f"{root}: not a folder")
    agencies = _rows(root / "agencies.csv", AGENCY_HEADER)
    users = _rows(root / "users.csv", USER_HEADER)
    codes = [a["code"] for a in agencies]
    if not codes:
        raise InvalidInput("agencies.csv: no agencies", details=[{"file": "agencies.csv"}])
    files = sorted((root / "entities").glob("*.jsonl"))
    for path in files:
        if path.stem not in codes:
            raise InvalidInput(f"entities/{path.name}: no agency {path.stem} in agencies.csv",
                               details=[{"file": f"entities/{path.name}"}])
    folder = Folder(root, agencies, users, files)
    for path in files:
        with path.open("rb") as handle:
            folder.lines += sum(1 for _ in handle)
    return folder


def home_agency(folder: Folder) -> str:
    """The agency of users listed without one (the node administrator): the first US agency."""
    us = [a["code"] for a in folder.agencies if a["country"].upper() == "US"]
    return (us or [folder.agencies[0]["code"]])[0]


def _importer(session: Session, code: str) -> User:
    """The user of `code` who creates records with the highest clearance (so every marking fits)."""
    best: User | None = None
    for user in access.list_users(session=session, agency=code):
        if "record.create" in capabilities_of(user.role_list) and (
            best is None or RANK[user.clearance] > RANK[best.clearance]
        ):
            best = user
    if best is None:
        raise InvalidInput(f"users.csv: agency {code} has no user who may create records",
                           details=[{"file": "users.csv"}])
    return best


def load(*, session: Session, folder: Folder, progress: Progress | None = None) -> Loaded:
    """Write a read world folder in the session's transaction; the first error raises, naming its line."""
    done = Loaded()
    act_as_system(session)  # the node operator, as on the command line, until an agency's user imports
    for n, row in enumerate(folder.agencies, start=2):
        known = session.get(Agency, row["code"])
        if known is not None and known.country == row["country"].upper():
            continue  # the node knows this agency already: the world's records join it
        try:
            admin.add_agency(session=session, actor=None, code=row["code"], country=row["country"].upper(),
                             name=row["name"])
        except (InvalidInput, Conflict) as exc:
            raise InvalidInput(f"agencies.csv line {n}: {exc.message}", details=exc.details) from None
        done.agencies += 1
    home = home_agency(folder)
    # argon2 is slow on purpose: hash in a worker thread (it releases the GIL) while entities import.
    pool = ThreadPoolExecutor(max_workers=1)
    try:
        hashes: dict[int, tuple[User, Future[str]]] = {}
        for n, row in enumerate(folder.users, start=2):
            roles = [r for r in row["roles"].split(";") if r]
            try:
                user = admin.add_user(session=session, actor=None, username=row["username"],
                                      agency=row["agency"] or home, roles=roles, clearance=row["clearance"])
            except (InvalidInput, Conflict) as exc:
                raise InvalidInput(f"users.csv line {n}: {exc.message}", details=exc.details) from None
            if row["password"]:
                hashes[n] = (user, pool.submit(access.hash_password, row["password"]))
            done.users += 1
        for path in folder.entity_files:
            _import(session, path, done, progress)
        for path in sorted((folder.root / "flows").glob("*/*.csv")):
            _import_flows(session, path, done)
        for n, (user, future) in hashes.items():
            try:
                access.set_password_hash(session=session, user=user, password_hash=future.result())
            except InvalidInput as exc:
                raise InvalidInput(f"users.csv line {n}: {exc.message}", details=exc.details) from None
            if progress:
                progress("users", 1)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)  # on an error, hashes not yet begun are dropped
    session.info.pop("actor", None)
    return done


def _import_flows(session: Session, path: Path, done: Loaded) -> None:
    """Import one file of monthly series as its agency's importer (the folder is the agency's code)."""
    act_as_system(session)
    actor = access.actor_for(session=session, user=_importer(session, path.parent.name))
    act_as(session, actor)
    result = flows.import_file(session=session, actor=actor, name=f"flows/{path.parent.name}/{path.name}",
                               data=path.read_bytes())
    done.series += result.series


def _import(session: Session, path: Path, done: Loaded, progress: Progress | None) -> None:
    """Import one agency's file as its importer, through the ordinary import path."""
    act_as_system(session)  # the node operator picks the importer among any agency's users
    actor = access.actor_for(session=session, user=_importer(session, path.stem))
    act_as(session, actor)
    with path.open(encoding="utf-8") as handle:
        done.entities[path.stem] = transfer.import_lines(
            session=session, actor=actor, lines=handle, source=f"entities/{path.name}",
            progress=(lambda k: progress(path.stem, k)) if progress else None,
        )

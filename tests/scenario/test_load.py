"""Loading a generated world: through the ordinary import, all of a folder or nothing of it."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from binational.access import service as access
from binational.access.models import Agency, Release, User
from binational.audit.models import AuditEntry
from binational.cli import app
from binational.db import act_as_system
from binational.entities.models import Entity
from binational.scenario import generate
from tests.conftest import sequence_audit

#: the users the test keeps: an importer per agency (hashing all 45 demo passwords takes too long)
KEEP_ROLES = {"supervisor", "admin"}


@pytest.fixture(scope="module")
def small_world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("world") / "small"
    generate(7, "small", out)
    users = out / "users.csv"
    with users.open(encoding="utf-8", newline="") as handle:
        rows = [r for r in csv.DictReader(handle) if r["roles"] in KEEP_ROLES]
    for row in rows:  # the test node has an `admin` of its own
        row["username"] = "world_admin" if row["username"] == "admin" else row["username"]
    with users.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return out


def _count(db, model) -> int:
    sequence_audit(db)
    with db.session() as s:
        act_as_system(s)
        return s.execute(select(func.count()).select_from(model)).scalar_one()


def test_load_writes_every_entity_through_the_import(settings, db, small_world: Path):
    agencies_before = _count(db, Agency)
    result = CliRunner().invoke(app, ["scenario", "load", str(small_world)])
    assert result.exit_code == 0, result.output
    lines = {p.stem: len(p.read_text(encoding="utf-8").splitlines()) for p in (small_world / "entities").glob("*")}
    with db.session() as s:
        act_as_system(s)
        owned = dict(s.execute(select(Entity.owner_agency, func.count()).group_by(Entity.owner_agency)).all())
        assert {code: owned.get(code, 0) for code in lines} == lines
        # five of the eleven agencies are in the test node already
        assert s.execute(select(func.count()).select_from(Agency)).scalar_one() == agencies_before + 6
        # release blocks name partner agencies of the other country
        pairs = s.execute(select(Release.owner_agency, Release.to_agency)).all()
        assert pairs and all(owner[:2] != to[:2] for owner, to in pairs)
        imports = s.execute(select(AuditEntry.actor_agency).where(AuditEntry.action == "entity.import")).scalars()
        assert sorted(imports) == sorted(lines)
        admin = s.execute(select(User).where(User.username == "world_admin")).scalar_one()
        assert admin.agency == "US-CBP"
        assert access.check_password(session=s, username="fgr_supervisor", password="demo-fgr_supervisor")
    assert f"{sum(lines.values())} entities" in result.output
    # every statement the world wrote is vouched for by its import's entry
    verified = CliRunner().invoke(app, ["audit", "verify"])
    assert verified.exit_code == 0 and verified.output.startswith("ok: "), verified.output


def test_a_broken_line_names_its_file_and_line_and_loads_nothing(settings, db, small_world: Path, tmp_path: Path):
    broken = tmp_path / "broken"
    shutil.copytree(small_world, broken)
    target = broken / "entities" / "MX-INM.jsonl"
    lines = target.read_text(encoding="utf-8").splitlines()
    lines[4] = lines[4].replace('"schema": "', '"schema": "Nonsense')
    target.write_text("\n".join(lines) + "\n", encoding="utf-8")
    before = (_count(db, Agency), _count(db, User), _count(db, Entity), _count(db, AuditEntry))
    result = CliRunner().invoke(app, ["scenario", "load", str(broken)])
    assert result.exit_code == 2
    assert "entities/MX-INM.jsonl line 5: unknown schema" in result.output
    assert (_count(db, Agency), _count(db, User), _count(db, Entity), _count(db, AuditEntry)) == before


def test_a_missing_directory_file_is_refused(settings, tmp_path: Path):
    (tmp_path / "entities").mkdir()
    result = CliRunner().invoke(app, ["scenario", "load", str(tmp_path)])
    assert result.exit_code == 2 and "agencies.csv: no such file" in result.output

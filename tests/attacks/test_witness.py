"""Attacks on the audit log that one node cannot catch alone, and on the data the log vouches for.

The attacker holds the node's database (the owner's rights: triggers can be switched off) and the
audit key kept beside it. Against the live data: a statement's value, marking or distribution edited in
the database, a statement inserted or deleted without an entry: `audit verify` names it. Against the
log: cut back to an earlier size and re-signed with the node's key, or forked (the same size with
another history) — plain `verify` passes, `verify --witness` fails; the witness refuses a smaller size,
a fork, and a proof that does not verify.
"""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from typer.testing import CliRunner

from binational.access import service as access
from binational.audit import log, merkle, signing
from binational.audit.models import AuditCheckpoint, AuditEntry
from binational.cli import app
from binational.clitools import reset_database
from tests.conftest import sequence_audit

AUDIT_TABLES = ("audit_entries", "audit_object_refs", "audit_checkpoints", "audit_head")


def cli(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.output


def as_owner(db, sql: str, **params) -> None:
    """What the database's owner may do: anything, triggers switched off first on PostgreSQL."""
    with db.engine.begin() as conn:
        if db.settings.is_postgres:
            for table in (*AUDIT_TABLES, "statements"):
                conn.execute(text(f"ALTER TABLE {table} DISABLE TRIGGER ALL"))
        conn.execute(text(sql), params)


def reads(db, username: str, count: int, tag: str) -> None:
    """`count` entries of one of the cast reading records (the log grows)."""
    with db.unit_of_work() as s:
        actor = access.actor_for(session=s, user=access.get_user(session=s, username=username))
        for i in range(count):
            log.record(s, action="entity.read", actor=actor, objects=[(f"us-cbp.{tag}{i}", "US-CBP")])


def cut_back(db, size: int) -> None:
    """Cut the log back to `size` entries and sign and seal the head afresh with the key beside the node."""
    with db.engine.connect() as conn:
        leaves = list(conn.execute(select(AuditEntry.leaf_hash).where(AuditEntry.seq < size)
                                   .order_by(AuditEntry.seq)).scalars())
    frontier: list[bytes] = []
    for n, leaf in enumerate(leaves):
        frontier = merkle.append(frontier, n, leaf)
    root = merkle.root(frontier)
    settings = db.settings
    signature = signing.sign(settings.audit_key_path, settings.node_name, size, root)
    as_owner(db, "DELETE FROM audit_object_refs WHERE seq >= :n", n=size)
    as_owner(db, "DELETE FROM audit_entries WHERE seq >= :n", n=size)
    as_owner(db, "DELETE FROM audit_checkpoints WHERE size > :n", n=size)
    with db.engine.connect() as conn:
        kept = conn.execute(select(func.count()).select_from(AuditCheckpoint)).scalar_one()
    seal = signing.seal(settings.audit_key_path, settings.node_name, size, root, kept)
    as_owner(db, "UPDATE audit_head SET size = :n, frontier = :f, root = :r, signature = :s, seal = :seal",
             n=size, f=b"".join(frontier), r=root, s=signature, seal=seal)


@pytest.fixture
def node(settings, db, tmp_path: Path):
    """The node's database with a witness that trusts its key (a partner's, in its own folder)."""
    reset_database()
    folder = tmp_path / "witness"
    code, out = cli("audit", "witness", "init", "--name", "witness.mx-fgr.example", "--dir", str(folder))
    assert code == 0, out
    code, out = cli("audit", "checkpoint")
    assert code == 0, out
    vkey = out.rsplit("node key ", 1)[1].strip()
    assert vkey.startswith(settings.node_name + "+")
    code, out = cli("audit", "witness", "trust", vkey, "--dir", str(folder))
    assert code == 0 and "witnessing" in out, out
    return db, folder


def hand_to_witness(folder: Path, tmp_path: Path, old: int, tag: str) -> tuple[int, str, Path]:
    """Export the node's checkpoint with a proof from `old`, and have the witness cosign it."""
    note, proof, out_file = tmp_path / f"{tag}.note", tmp_path / f"{tag}.proof", tmp_path / f"{tag}.witness"
    code, out = cli("audit", "checkpoint", "--export", str(note), "--from", str(old), "--proof", str(proof))
    assert code == 0, out
    code, out = cli("audit", "witness", "cosign", str(note), "--proof", str(proof), "--dir", str(folder),
                    "--out", str(out_file))
    return code, out, out_file


def test_the_checkpoint_is_a_c2sp_signed_note(node, settings, tmp_path):
    db, _folder = node
    reads(db, "us_analyst", 3, "n")
    code, out = cli("audit", "checkpoint", "--export", str(tmp_path / "cp"))
    assert code == 0, out
    origin, size, root, blank, signature, end = (tmp_path / "cp").read_text().split("\n")
    assert (origin, blank, end) == (settings.node_name, "", "")
    assert int(size) >= 3 and len(base64.b64decode(root)) == 32
    dash, name, sig = signature.split(" ")
    raw = base64.b64decode(sig)
    assert (dash, name, len(raw)) == ("\u2014", settings.node_name, 4 + 64)


def test_a_cut_back_and_re_signed_log_passes_plain_verify_but_not_the_witness(node, tmp_path):
    db, folder = node
    reads(db, "us_analyst", 10, "a")
    code, out, first = hand_to_witness(folder, tmp_path, 0, "first")
    assert code == 0, out
    cosigned_at = int(first.read_text().split("\n")[3])  # vkey, blank, origin, size
    reads(db, "mx_analyst", 12, "b")
    code, out, second = hand_to_witness(folder, tmp_path, cosigned_at, "second")
    assert code == 0, out
    code, out = cli("audit", "verify", "--witness", str(first), "--witness", str(second))
    assert code == 0 and "2 witness files agree" in out, out

    # the operator cuts the log back to the first cosigned size and signs the head with the node's key
    cut_back(db, cosigned_at)
    code, out = cli("audit", "verify")
    assert code == 0, out  # one node alone cannot tell
    code, out = cli("audit", "verify", "--witness", str(first))
    assert code == 0, out  # the first checkpoint is still in the log
    code, out = cli("audit", "verify", "--witness", str(second))
    assert code == 1 and "cut back" in out and str(second) in out, out

    # ... and writes a new history over the cut, past the size the witness cosigned: a fork
    reads(db, "us_auditor", 20, "c")
    code, out = cli("audit", "verify")
    assert code == 0, out
    code, out = cli("audit", "verify", "--witness", str(second))
    assert code == 1 and "forked" in out, out
    assert len([line for line in out.splitlines() if line.strip()]) == 1, out

    # the witness refuses the forked log: at a larger size the proof from what it cosigned cannot verify
    code, out, _ = hand_to_witness(folder, tmp_path, cosigned_at + 12, "forked")
    assert code == 2 and "refused" in out and "does not verify" in out, out


def test_the_witness_refuses_a_fork_a_smaller_size_and_an_inconsistent_proof(node, tmp_path, settings):
    db, folder = node
    reads(db, "us_analyst", 8, "a")
    code, out, first = hand_to_witness(folder, tmp_path, 0, "first")
    assert code == 0, out
    size = int(first.read_text().split("\n")[3])

    # a fork: the same size, another root
    cut_back(db, size - 2)
    reads(db, "mx_analyst", 2, "x")
    code, out, _ = hand_to_witness(folder, tmp_path, size, "fork")
    assert code == 2 and "refused: a fork" in out, out
    # a smaller size: the log was cut back
    cut_back(db, size - 2)
    code, out, _ = hand_to_witness(folder, tmp_path, 0, "smaller")
    assert code == 2 and "refused" in out and "cut back" in out, out

    # a checkpoint that the node's key did not sign
    note = (tmp_path / "first.note").read_text().replace(f"\n{size}\n", f"\n{size + 1}\n")
    (tmp_path / "forged.note").write_text(note)
    (tmp_path / "empty.proof").write_text(f"old {size}\n")
    code, out = cli("audit", "witness", "cosign", str(tmp_path / "forged.note"), "--proof",
                    str(tmp_path / "empty.proof"), "--dir", str(folder))
    assert code == 2 and "does not verify" in out, out


def test_the_witness_refuses_a_proof_that_does_not_verify(node, tmp_path):
    db, folder = node
    reads(db, "us_analyst", 7, "a")
    code, out, first = hand_to_witness(folder, tmp_path, 0, "first")
    assert code == 0, out
    size = int(first.read_text().split("\n")[3])
    reads(db, "us_analyst", 9, "b")
    note, proof = tmp_path / "next.note", tmp_path / "next.proof"
    code, out = cli("audit", "checkpoint", "--export", str(note), "--from", str(size), "--proof", str(proof))
    assert code == 0, out
    lines = proof.read_text().splitlines()
    assert lines[0] == f"old {size}" and len(lines) > 1
    for bad in (
        [lines[0], base64.b64encode(b"\x07" * 32).decode(), *lines[2:]],  # one hash changed
        lines[:-1],  # one hash left out
        [f"old {size - 1}", *lines[1:]],  # from a size the witness did not cosign
    ):
        (tmp_path / "bad.proof").write_text("\n".join(bad) + "\n")
        code, out = cli("audit", "witness", "cosign", str(note), "--proof", str(tmp_path / "bad.proof"),
                        "--dir", str(folder))
        assert code == 2 and out.startswith("error: refused") and len(out.splitlines()) == 1, out
    # nothing was remembered: the right proof is still taken
    code, out = cli("audit", "witness", "cosign", str(note), "--proof", str(proof), "--dir", str(folder))
    assert code == 0 and "\u2014 witness.mx-fgr.example " in out, out


def test_a_witness_file_of_another_witness_or_forged_cosignature_fails(node, tmp_path):
    db, folder = node
    reads(db, "us_analyst", 4, "a")
    code, out, first = hand_to_witness(folder, tmp_path, 0, "first")
    assert code == 0, out
    data = first.read_text()
    vkey, rest = data.split("\n", 1)
    code, out = cli("audit", "witness", "init", "--name", "witness.mx-fgr.example", "--dir", str(tmp_path / "other"))
    assert code == 0, out
    (tmp_path / "swapped").write_text(out.strip() + "\n" + rest)  # same name, another key: the line is not its
    code, out = cli("audit", "verify", "--witness", str(tmp_path / "swapped"))
    assert code == 1 and "cosignature" in out and "does not verify" in out, out
    code, out = cli("audit", "verify", "--witness", str(tmp_path / "missing"))
    assert code == 2 and "cannot read witness file" in out, out
    (tmp_path / "junk").write_text("not a witness file\n")
    code, out = cli("audit", "verify", "--witness", str(tmp_path / "junk"))
    assert code == 2 and out.startswith("error: ") and len(out.splitlines()) == 1, out


API = "/api/v1/entities"


def statements_of(db, entity_id: str) -> list:
    with db.engine.connect() as conn:
        return list(conn.execute(text("SELECT id, prop, value, marking, distribution, deleted_at FROM statements "
                                      "WHERE entity_id = :e ORDER BY id"), {"e": entity_id}))


@pytest.fixture
def records(settings, db, client, cast, tmp_path):
    """Records two partner agencies wrote through the API, one changed since (a value removed, one
    added, kept to the agency), and one imported line: every kind of write. The log verifies."""
    reset_database()
    us, mx = cast["us_analyst"], cast["mx_analyst"]
    person = client.post(API, headers=us.headers, json={
        "schema": "Person", "properties": {"name": ["Ana Torres"], "birthDate": ["1980-02-03"],
                                           "passportNumber": ["G1234567"], "nationality": ["mx"]},
        "distribution": "release", "release_to": ["MX-FGR"]}).json()["id"]
    other = client.post(API, headers=mx.headers, json={
        "schema": "Person", "properties": {"name": ["Luis Ortega"]}, "marking": "TLP:AMBER"}).json()["id"]
    changed = client.patch(f"{API}/{person}", headers=us.headers, json={
        "remove": {"passportNumber": ["G1234567"]}, "add": {"passportNumber": ["G7654321"]},
        "distribution": "agency"})
    assert changed.status_code == 200, changed.text
    lines = tmp_path / "import.jsonl"
    lines.write_text('{"id": "p9", "schema": "Person", "properties": {"name": ["Marta Ruiz"], '
                     '"phone": ["+1 202 555 0143"]}}\n'
                     '{"id": "p10", "schema": "Person", "properties": {"name": ["Rosa Diaz"]}}\n')
    code, out = cli("entities", "import", str(lines), "--as", "mx_analyst")
    assert code == 0, out
    sequence_audit(db)
    code, out = cli("audit", "verify")
    assert code == 0, out
    return db, person, other


def verify_names(statement: int) -> str:
    code, out = cli("audit", "verify")
    assert code == 1 and f"FAILED at statement {statement}:" in out and len(out.splitlines()) == 1, out
    return out


@pytest.mark.parametrize("column, value", [
    ("value", "G0000000"),                 # the value itself
    ("marking", "TLP:CLEAR"),               # its marking lowered
    ("distribution", "inherit"),           # a value kept to the agency shared with the entity
    ("owner_agency", "MX-FGR"),             # handed to another agency
])
def test_a_statement_edited_in_the_database_is_named(records, column, value):
    db, person, _other = records
    live = [s for s in statements_of(db, person) if s.prop == "passportNumber" and s.deleted_at is None]
    assert len(live) == 1
    victim = live[0].id
    as_owner(db, f"UPDATE statements SET {column} = :v WHERE id = :i", v=value, i=victim)
    out = verify_names(victim)
    assert "changed in the database" in out


def test_a_removed_value_brought_back_or_a_value_removed_without_an_entry_is_named(records):
    db, person, other = records
    removed = [s for s in statements_of(db, person) if s.deleted_at is not None]
    assert len(removed) == 1
    as_owner(db, "UPDATE statements SET deleted_at = NULL WHERE id = :i", i=removed[0].id)
    assert "changed in the database" in verify_names(removed[0].id)
    as_owner(db, "UPDATE statements SET deleted_at = :t WHERE id = :i", t=log.utcnow(), i=removed[0].id)
    assert "changed in the database" in verify_names(removed[0].id)  # another time than the entry's


def test_a_statement_inserted_without_an_entry_is_named(records):
    db, person, _other = records
    with db.engine.connect() as conn:
        template = conn.execute(text("SELECT * FROM statements WHERE entity_id = :e ORDER BY id LIMIT 1"),
                                {"e": person}).mappings().one()
        top = conn.execute(text("SELECT max(id) FROM statements")).scalar_one()
    row = {**template, "id": top + 1, "prop": "notes", "prop_type": "string", "value": "planted"}
    names = ", ".join(row)
    as_owner(db, f"INSERT INTO statements ({names}) VALUES ({', '.join(':' + n for n in row)})", **row)
    out = verify_names(top + 1)
    assert "written without an audit entry" in out
    # slipped between two written rows: named as well
    as_owner(db, "DELETE FROM statements WHERE id = :i", i=top + 1)
    assert cli("audit", "verify")[0] == 0


def test_a_statement_deleted_without_an_entry_is_named(records):
    db, person, other = records
    for entity in (other, person):  # the last row of all, then one in the middle
        victim = statements_of(db, entity)[0].id
        as_owner(db, "DELETE FROM search_terms WHERE statement_id = :i", i=victim)
        as_owner(db, "DELETE FROM selectors WHERE statement_id = :i OR statement2_id = :i", i=victim)
        as_owner(db, "DELETE FROM statements WHERE id = :i", i=victim)
        out = verify_names(victim)
        assert "deleted without an audit entry" in out

"""The foundation end to end: a US analyst records and releases; the MX analyst sees just that."""


def test_release_reaches_partner_and_nothing_else(client, cast):
    us, mx = cast["us_analyst"], cast["mx_analyst"]
    shared = client.post("/api/v1/entities", headers=us.headers, json={
        "schema": "Person", "properties": {"name": ["José María López"], "phone": ["+19155551234"]},
        "distribution": "release", "release_to": ["MX-FGR"], "marking": "TLP:AMBER"})
    assert shared.status_code == 201, shared.text
    kept = client.post("/api/v1/entities", headers=us.headers, json={
        "schema": "Vehicle", "properties": {"registrationNumber": ["ABC1234"]}})
    assert kept.status_code == 201
    seen = client.get("/api/v1/entities", headers=mx.headers).json()["items"]
    assert [e["id"] for e in seen] == [shared.json()["id"]]
    r = client.get(f"/api/v1/entities/{kept.json()['id']}", headers=mx.headers)
    assert r.status_code == 404, r.text


def test_every_answer_names_its_request_and_the_audit_entry_carries_it(client, cast, db):
    from sqlalchemy import select

    from binational.audit.models import AuditEntry
    from binational.db import act_as_system
    from tests.conftest import sequence_audit

    us = cast["us_analyst"]
    made = client.post("/api/v1/entities", headers=us.headers, json={
        "schema": "Person", "properties": {"name": ["Ana Ruiz"]}})
    missing = client.get("/api/v1/entities/us-cbp.nothing", headers=us.headers)
    assert missing.status_code == 404
    # the guards in front of the routes answer with an id too (a body too large, a NUL in a field)
    too_large = client.post("/api/v1/entities", headers={**us.headers, "Content-Type": "application/json"},
                            content=b"[" + b"0," * 2_000_000 + b"0]")
    refused = client.post("/api/v1/entities", headers=us.headers, json={
        "schema": "Person", "properties": {"name": ["Ana\u0000Ruiz"]}})
    assert (too_large.status_code, refused.status_code) == (413, 422)
    for response in (made, missing, too_large, refused):
        rid = response.headers["X-Request-ID"]
        assert len(rid) == 32 and int(rid, 16) >= 0
    sequence_audit(db)
    with db.session() as s:
        act_as_system(s)
        entries = [e for e in s.execute(select(AuditEntry.entry)).scalars()]
    assert any(made.headers["X-Request-ID"] in e and "entity.create" in e for e in entries)
    assert any(missing.headers["X-Request-ID"] in e and '"decision":"deny"' in e for e in entries)


def test_serving_keeps_start_up_objects_out_of_full_collections(settings, db):
    import gc

    from fastapi.testclient import TestClient

    from binational.app import create_app

    with TestClient(create_app(settings, db)):
        assert gc.get_freeze_count() > 10_000
    assert gc.get_freeze_count() == 0


def test_an_answer_is_sent_only_after_its_unit_of_work_committed(settings, db, cast):
    """A commit that fails (a lost connection, a serialization failure) answers 500, never a 201
    naming an entity that was not stored nor a read that was not audited."""
    from fastapi.testclient import TestClient
    from sqlalchemy import event, func, select
    from sqlalchemy.orm import Session

    from binational.app import create_app
    from binational.audit.models import AuditEntry
    from binational.db import act_as_system
    from binational.entities.models import Entity
    from tests.conftest import sequence_audit

    def counts() -> tuple[int, int]:
        sequence_audit(db)
        with db.unit_of_work() as s:
            act_as_system(s)
            return (s.execute(select(func.count()).select_from(Entity)).scalar_one(),
                    s.execute(select(func.count()).select_from(AuditEntry)).scalar_one())

    def refuse(_session: Session) -> None:
        raise RuntimeError("the database went away at commit")

    before = counts()
    headers = cast["us_analyst"].headers
    with TestClient(create_app(settings, db), raise_server_exceptions=False) as client:
        event.listen(Session, "before_commit", refuse)
        try:
            made = client.post("/api/v1/entities", headers=headers,
                               json={"schema": "Person", "properties": {"name": ["Never Stored"]}})
            me = client.get("/api/v1/me", headers=headers)
        finally:
            event.remove(Session, "before_commit", refuse)
    assert made.status_code == 500 and made.json()["error"]["code"] == "internal_error", made.text
    assert me.status_code == 500
    assert counts() == before


def test_analyze_keeps_the_planners_statistics(db):
    """`Database.analyze` commits what it gathers: on SQLite the engine opens its own transaction even
    under AUTOCOMMIT, and statistics rolled back with it left the planner reading every entity."""
    from sqlalchemy import text

    db.analyze()
    with db.engine.connect() as connection:
        query = ("SELECT reltuples >= 0 FROM pg_class WHERE relname = 'entities'"  # -1 until first analyzed
                 if db.settings.is_postgres else "SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'")
        analyzed = connection.execute(text(query)).scalar()
    assert analyzed

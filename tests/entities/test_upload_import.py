"""Importing a file through the page and the API: the command line's all-or-nothing importer, its
own size limit, and nothing written when one line is bad."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from binational.app import create_app
from binational.audit.models import AuditEntry
from binational.db import act_as_system
from binational.entities.models import Entity
from tests.conftest import sequence_audit
from tests.web.conftest import sign_in


def _lines(*people: tuple[str, str]) -> bytes:
    return "".join(json.dumps({"id": key, "schema": "Person", "properties": {"name": [name]}}) + "\n"
                   for key, name in people).encode()


def _entities(db) -> int:
    with db.session() as s:
        act_as_system(s)
        return s.execute(select(func.count()).select_from(Entity)).scalar_one()


def test_the_page_imports_a_file_for_the_agency_and_its_partner_sees_what_was_released(client, cast, db):
    csrf = sign_in(client, "us_analyst")
    page = client.get("/entities/import")
    assert page.status_code == 200 and 'enctype="multipart/form-data"' in page.text and "import.js" in page.text
    r = client.post("/entities/import", data={"csrf": csrf, "distribution": "release", "marking": "TLP:GREEN",
                                               "release_to": "MX-FGR"},
                    files={"file": ("people.jsonl", _lines(("p1", "Ana Ruiz"), ("p2", "Luis Mora")))})
    assert r.status_code == 200 and "Imported 2 entities from people.jsonl." in r.text
    seen = client.get("/api/v1/entities?q=ruiz", headers=cast["mx_analyst"].headers).json()["items"]
    assert [e["id"] for e in seen] == ["us-cbp.p1"]
    assert client.get("/api/v1/entities?q=ruiz", headers=cast["outsider"].headers).json()["items"] == []
    sequence_audit(db)
    with db.session() as s:
        act_as_system(s)
        entry = s.execute(select(AuditEntry.entry).where(AuditEntry.action == "entity.import")).scalar_one()
    assert "us-cbp.p2" in entry and "people.jsonl" in entry


def test_one_bad_line_imports_nothing_and_is_named_in_english_and_spanish(client, cast, db):
    csrf = sign_in(client, "us_analyst")
    before = _entities(db)
    bad = _lines(("p1", "Ana Ruiz")) + b'{"id": "p2", "schema": "Person", "properties": {"birthDate": ["1979-13-45"]}}'
    r = client.post("/entities/import", data={"csrf": csrf}, files={"file": ("bad.jsonl", bad)},
                    headers={"Accept-Language": "es"})
    assert r.status_code == 422 and "bad.jsonl, línea 2: «1979-13-45» no es un valor válido" in r.text
    assert "No se importó nada del archivo." in r.text
    missing = client.post("/entities/import", data={"csrf": csrf})
    assert missing.status_code == 422 and "This field is required" in missing.text
    above = client.post("/entities/import", data={"csrf": csrf, "marking": "TLP:RED"},
                        files={"file": ("a.jsonl", _lines(("p3", "Eva Luna")))})
    assert above.status_code == 422
    api = client.post("/api/v1/entities/import?source=bad.jsonl", content=bad, headers={
        **cast["us_analyst"].headers, "Content-Type": "application/x-ndjson"})
    assert api.status_code == 422 and api.json()["error"]["message"].startswith("bad.jsonl line 2: ")
    assert _entities(db) == before
    client.cookies.clear()
    signed_out = client.get("/entities/import", follow_redirects=False)
    assert signed_out.status_code == 303 and signed_out.headers["location"].startswith("/login")


def test_the_api_imports_with_its_own_size_limit(settings, db, cast):
    small = settings.model_copy(update={"max_body_bytes": 1000, "import_max_bytes": 5000})
    body = _lines(*((f"q{i}", f"Persona Número {i}") for i in range(40)))
    assert 1000 < len(body) < 5000
    with TestClient(create_app(small, db)) as client:
        us = {**cast["us_analyst"].headers, "Content-Type": "application/x-ndjson"}
        done = client.post("/api/v1/entities/import?distribution=agency", content=body, headers=us)
        assert done.status_code == 201 and done.json() == {"imported": 40}
        again = client.post("/api/v1/entities/import", content=body, headers=us)
        assert again.status_code == 422 and "exists already" in again.json()["error"]["message"]
        too_big = client.post("/api/v1/entities/import", content=body * 3, headers=us)
        assert too_big.status_code == 413 and too_big.json()["error"]["code"] == "payload_too_large"
        other = client.post("/api/v1/entities", headers=cast["us_analyst"].headers, json={
            "schema": "Person", "properties": {"name": ["x" * 1200]}})
        assert other.status_code == 413
    assert _entities(db) == 40

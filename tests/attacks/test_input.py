"""Bad input and errors, as a hostile caller tries them: texts no database can store, bodies that are
not JSON, a database that goes away or fills its disk, and an importer fed to exhaust it.

Every refusal is a 4xx in the one error shape naming the field (or one `error:` line and exit 2),
nothing is written, and a handled error never closes the caller's connection.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import uvicorn
from sqlalchemy import event, text
from typer.testing import CliRunner

from binational.app import create_app
from binational.cli import app as cli_app
from binational.clitools import reset_database

BACKEND = os.environ.get("BINATIONAL_TEST_DATABASE", "sqlite")
PG_ADMIN_URL = os.environ.get("BINATIONAL_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
TABLES = ("entities", "statements", "releases", "agencies", "users", "api_tokens", "audit_entries")
WRITES = ("entities", "statements", "releases", "agencies", "users", "api_tokens")
#: U+0000 and a lone surrogate, as a JSON text carries them (escaped)
BAD_TEXTS = {"nul": "Ana\u0000Ruiz", "surrogate": "Ana\ud800Ruiz"}


def counts(db, tables=WRITES) -> dict[str, int]:
    with db.engine.connect() as conn:
        return {t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one() for t in tables}  # noqa: S608


def assert_error(r, status: int, code: str) -> dict[str, Any]:
    assert r.status_code == status, (r.status_code, r.text[:300])
    body = r.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "details"}, body
    assert body["error"]["code"] == code, body
    return body["error"]


def raw_json(body: Any) -> bytes:
    """JSON as a client writes it: a lone surrogate escaped (`\\ud800`), as JSON allows."""
    return json.dumps(body, ensure_ascii=True).encode()


def _fields(error: dict[str, Any]) -> set[str]:
    return {d.get("field") for d in error["details"]}


def _resolve(doc: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = doc["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def _operations(doc: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            yield method.upper(), path, op


def _fill(path: str, value: str = "1") -> str:
    return re.sub(r"\{[^}]+\}", value, path)


def test_nul_and_lone_surrogates_are_refused_on_every_route(client, cast, db):
    """Every operation of the OpenAPI document, with each bad text in each path id, each query
    parameter and each body field: 422 naming the field, nothing written (on PostgreSQL a NUL was a 500)."""
    doc = client.get("/api/v1/openapi.json").json()
    who = cast["outsider"].headers
    before = counts(db)
    tried = 0
    for method, path, op in _operations(doc):
        params = op.get("parameters", [])
        for kind, bad in BAD_TEXTS.items():
            for p in params:
                if p["in"] == "path":
                    # a path is percent-encoded UTF-8, which has no lone surrogate: NUL only
                    url = path.replace("{" + p["name"] + "}", "x%00y")
                    r = client.request(method, _fill(url), headers=who)
                    assert "path" in _fields(assert_error(r, 422, "invalid_input")), (method, path)
                    tried += 1
                elif p["in"] == "query" and kind == "nul":
                    r = client.request(method, _fill(path), headers=who, params={p["name"]: bad})
                    assert f"query.{p['name']}" in _fields(assert_error(r, 422, "invalid_input")), (method, path)
                    tried += 1
            if "requestBody" in op and "text/csv" in op["requestBody"]["content"]:
                # a CSV file (the flows import): the bad text in a value of its one row, as the client's bytes
                csv_text = f"series_id,month,value\nseries-{bad},2024-01,5\n".encode("utf-8", "surrogatepass")
                r = client.request(method, _fill(path), headers={**who, "content-type": "text/csv"}, content=csv_text)
                assert r.status_code == 422 and set(r.json()["error"]) == {"code", "message", "details"}, \
                    (method, path, r.text[:300])
                tried += 1
            elif "requestBody" in op and "application/json" not in op["requestBody"]["content"]:
                # a file of FtM JSON lines (the import): the bad text in a value of a line
                line = raw_json({"id": "p1", "schema": "Person", "properties": {"name": [bad]}})
                r = client.request(method, _fill(path), headers={**who, "content-type": "application/x-ndjson"},
                                   content=line)
                assert "properties.name" in str(assert_error(r, 422, "invalid_input")["details"]), (method, path)
                tried += 1
            elif "requestBody" in op:
                schema = _resolve(doc, op["requestBody"]["content"]["application/json"]["schema"])
                for name in schema.get("properties", {}) or {"x": {}}:
                    r = client.request(method, _fill(path), headers={**who, "content-type": "application/json"},
                                       content=raw_json({name: bad}))
                    assert name in _fields(assert_error(r, 422, "invalid_input")), (method, path, name)
                    tried += 1
    assert tried > 150
    assert counts(db) == before


def test_a_partner_cannot_store_a_bad_text_in_an_entity_a_release_or_a_form(client, cast, db):
    us, mx = cast["us_analyst"].headers, cast["mx_analyst"].headers
    ident = client.post("/api/v1/entities", headers=us,
                        json={"schema": "Person", "properties": {"name": ["Lía Mora"]}}).json()["id"]
    before = counts(db)
    json_headers = {**us, "content-type": "application/json"}
    for bad in BAD_TEXTS.values():
        r = client.post("/api/v1/entities", headers=json_headers,
                        content=raw_json({"schema": "Person", "properties": {"name": [bad]}}))
        assert "properties.name.0" in _fields(assert_error(r, 422, "invalid_input"))
        r = client.patch(f"/api/v1/entities/{ident}", headers=json_headers, content=raw_json({"add": {"alias": [bad]}}))
        assert "add.alias.0" in _fields(assert_error(r, 422, "invalid_input"))
        r = client.post(f"/api/v1/entities/{ident}/releases", headers=json_headers, content=raw_json({"to": [bad]}))
        assert "to.0" in _fields(assert_error(r, 422, "invalid_input"))
        # a key of the body, not only a value
        r = client.post("/api/v1/entities", headers=json_headers,
                        content=raw_json({"schema": "Person", "properties": {bad: ["x"]}}))
        assert_error(r, 422, "invalid_input")
    # the mx analyst probes the US record's id with a NUL: refused before any lookup, like any path
    assert_error(client.get(f"/api/v1/entities/{ident}%00", headers=mx), 422, "invalid_input")
    # web forms: urlencoded and multipart
    r = client.post("/login", data={"username": "us_analyst\x00", "password": "x"})
    assert "form.username" in _fields(assert_error(r, 422, "invalid_input"))
    r = client.post("/login", files={"username": (None, "us\x00analyst"), "password": (None, "x")})
    assert "form.username" in _fields(assert_error(r, 422, "invalid_input"))
    # a percent-encoded surrogate cannot survive UTF-8 decoding: it is an ordinary miss, not a crash
    assert client.get("/api/v1/entities/%ED%A0%80", headers=mx).status_code == 404
    assert client.get("/api/v1/entities", headers=mx, params={"q": "\udcff".encode("utf-8", "surrogatepass")}
                      ).status_code < 500
    assert counts(db) == before


def test_bodies_that_are_not_json_are_malformed_json(client, cast, db):
    """Deep, invalid UTF-8, huge numbers, NaN, nesting past the limit: `400 malformed_json`, not
    FastAPI's `http_error` or a 500."""
    headers = {**cast["mx_analyst"].headers, "content-type": "application/json"}
    before = counts(db)
    bodies = [
        b"[" * 100_000 + b"]" * 100_000,
        b'{"schema": "Person", "properties": ' + b'{"a": ' * 5_000 + b"1" + b"}" * 5_001,
        b'{"schema": "Person", "properties": {"name": ["\xff\xfe"]}}',
        b'{"schema": "Person", "properties": {}, "marking": ' + b"9" * 5_000 + b"}",
        b'{"schema": "Person", "properties": {}, "marking": NaN}',
        b'{"schema": "Person", "properties": {"name": ["a"]}, "x": ' + b"[" * 40 + b"]" * 40 + b"}",
        b'{"schema": "Person", ',
    ]
    for body in bodies:
        for url in ("/api/v1/entities", "/api/v1/discovery"):
            error = assert_error(client.post(url, headers=headers, content=body), 400, "malformed_json")
            assert "JSON" in error["message"]
    # without a content type FastAPI reads the body as JSON too
    r = client.post("/api/v1/entities", headers=cast["mx_analyst"].headers, content=b"[" * 100_000)
    assert_error(r, 400, "malformed_json")
    assert counts(db) == before


def test_the_api_caps_values_per_property_and_value_length(client, cast, db):
    """One Person with 39,001 aliases under the body limit held a worker for 80 s: the cap refuses it
    before any value is cleaned."""
    us = cast["us_analyst"].headers
    ident = client.post("/api/v1/entities", headers=us,
                        json={"schema": "Person", "properties": {"name": ["Lía Mora"]}}).json()["id"]
    before = counts(db)
    many = [f"Alias {i}" for i in range(39_001)]
    r = client.post("/api/v1/entities", headers=us, json={"schema": "Person", "properties": {"name": ["A"],
                                                                                           "alias": many}})
    error = assert_error(r, 422, "invalid_input")
    assert "properties.alias" in _fields(error) and "1000" in error["message"]
    error = assert_error(client.patch(f"/api/v1/entities/{ident}", headers=us, json={"add": {"alias": many[:1001]}}),
                         422, "invalid_input")
    assert "properties.alias" in _fields(error)
    error = assert_error(client.patch(f"/api/v1/entities/{ident}", headers=us, json={"add": {"alias": ["x" * 65_537]}}),
                         422, "invalid_input")
    assert "properties.alias" in _fields(error)
    assert counts(db) == before


# --- a database that goes away -------------------------------------------------------------------


@contextmanager
def serving(app) -> Iterator[int]:
    """The app served by uvicorn on 127.0.0.1 in a thread; yields the port."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, lifespan="off", log_level="critical", timeout_keep_alive=60))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    assert server.started
    try:
        yield port
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        sock.close()


class KeptAlive:
    """One HTTP/1.1 connection; `get` fails if the server closed it."""

    def __init__(self, port: int, token: str) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.headers = {"Authorization": f"Bearer {token}", "Connection": "keep-alive"}
        self.sock: socket.socket | None = None

    def request(self, method: str, path: str, body: Any = None) -> tuple[int, dict[str, str], Any]:
        headers = dict(self.headers)
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["content-type"] = "application/json"
        self.conn.request(method, path, body=data, headers=headers)
        if self.sock is None:
            self.sock = self.conn.sock
        assert self.conn.sock is self.sock, "the connection was reopened"
        r = self.conn.getresponse()
        payload = json.loads(r.read())
        assert r.getheader("connection", "").lower() != "close"
        assert self.conn.sock is self.sock, "the server closed the connection"
        return r.status, {k.lower(): v for k, v in r.getheaders()}, payload


def assert_unavailable(status: int, headers: dict[str, str], body: Any) -> None:
    assert status == 503, (status, body)
    assert headers["retry-after"].isdigit() and int(headers["retry-after"]) > 0
    assert set(body["error"]) == {"code", "message", "details"} and body["error"]["code"] == "unavailable"
    assert body["error"]["details"] == [{"retry_after": int(headers["retry-after"])}]


def _pg(sql: str) -> None:
    from sqlalchemy import create_engine

    engine = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(sql))
    engine.dispose()


@contextmanager
def database_gone(settings, db) -> Iterator[None]:
    """The database out of reach: PostgreSQL refuses connections and ends the open ones; SQLite's file
    is replaced by a folder it cannot open."""
    if BACKEND == "postgresql":
        name = settings.database_url.rsplit("/", 1)[1]
        _pg(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
        _pg(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'")  # noqa: S608
        try:
            yield
        finally:
            _pg(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
    else:
        path = settings.database_url.removeprefix("sqlite:///")
        db.engine.dispose()  # the last connection closed writes the WAL back into the file
        shutil.move(path, path + ".away")
        os.mkdir(path)
        try:
            yield
        finally:
            os.rmdir(path)
            shutil.move(path + ".away", path)


def test_a_lost_database_answers_503_and_keeps_the_connection(settings, db, cast):
    """1,015 answers of 500 and as many connection resets when the database went away: now 503 with
    Retry-After in the error shape, on the same kept-alive connection, and the node answers again
    when the database is back."""
    with serving(create_app(settings, db)) as port:
        mx = KeptAlive(port, cast["mx_analyst"].token)
        assert mx.request("GET", "/api/v1/me")[0] == 200
        with database_gone(settings, db):
            for _ in range(3):
                assert_unavailable(*mx.request("GET", "/api/v1/me"))
            assert_unavailable(*mx.request("POST", "/api/v1/entities",
                                           {"schema": "Person", "properties": {"name": ["Lía Mora"]}}))
        for _ in range(3):  # the pool may hand out a connection that died with the database once more
            status, _headers, body = mx.request("GET", "/api/v1/me")
            if status == 200:
                break
            assert_unavailable(status, _headers, body)
        assert status == 200 and body["username"] == "mx_analyst"


def test_an_unexpected_error_answers_500_and_keeps_the_connection(settings, db, cast):
    """An error no handler takes is a 500 in the error shape with the request's id, and the kept-alive
    connection still answers the next request (Starlette's own handler re-raised it to the server,
    which closed the connection)."""
    app = create_app(settings, db)

    def broken() -> None:
        raise RuntimeError("a bug")

    app.add_api_route("/api/v1/broken", broken)
    with serving(app) as port:
        us = KeptAlive(port, cast["us_analyst"].token)
        assert us.request("GET", "/api/v1/me")[0] == 200
        status, headers, body = us.request("GET", "/api/v1/broken")
        assert status == 500 and body["error"]["code"] == "internal_error" and "bug" not in json.dumps(body)
        assert re.fullmatch(r"[0-9a-f]{32}", headers["x-request-id"])
        assert us.request("GET", "/api/v1/me")[0] == 200


@pytest.mark.skipif(BACKEND != "sqlite", reason="SQLite's own page limit stands in for a full disk")
def test_a_full_disk_answers_in_the_error_shape_and_the_next_read_is_answered(settings, db, cast):
    """With SQLite on a full disk the failing write was a clean 500, but the next read's audit entry
    failed at commit and its error reached the server: no HTTP answer at all. SQLite's page limit
    (`max_page_count`) fails writes as a full disk does (SQLITE_FULL)."""
    limit = {"pages": 1}

    @event.listens_for(db.engine, "connect")
    def _full(dbapi_connection, _record) -> None:
        dbapi_connection.execute(f"PRAGMA max_page_count = {limit['pages']}")

    before = counts(db)
    db.engine.dispose()
    big = {"schema": "Person", "properties": {"name": ["Lía Mora"], "alias": [f"{i:05d} " + "x" * 400
                                                                              for i in range(1000)]}}
    with serving(create_app(settings, db)) as port:
        us = KeptAlive(port, cast["us_analyst"].token)
        assert_unavailable(*us.request("POST", "/api/v1/entities", big))
        status, headers, body = us.request("GET", "/api/v1/me")
        assert status == 200 or (status == 503 and body["error"]["code"] == "unavailable"), body
        limit["pages"] = 2**30
        db.engine.dispose()
        assert us.request("GET", "/api/v1/me")[0] == 200
    event.remove(db.engine, "connect", _full)
    assert counts(db) == before


# --- the importer -------------------------------------------------------------------------------


def _import(path) -> Any:
    return CliRunner().invoke(cli_app, ["entities", "import", str(path), "--as", "us_analyst"])


def test_the_importer_refuses_each_exhausting_line_by_number(settings, db, tmp_path):
    """A 1e6-deep line, a 5,000-digit number and a lone surrogate exited 1 with a traceback; a 4.7 MB
    line of 300,000 aliases took 1.1 GB. Each is now one `error:` line naming the line (and field),
    exit 2, and nothing of the file is written."""
    reset_database()
    before = counts(db, TABLES)
    good = json.dumps({"id": "p1", "schema": "Person", "properties": {"name": ["Line One"]}})
    person = {"id": "p2", "schema": "Person"}
    bad_lines = {
        "deep": ("[" * 1_000_000 + "]" * 1_000_000, ["line 2"]),  # 2 MB: the line limit refuses it unread
        "deep-short": ("[" * 100_000 + "]" * 100_000, ["line 2", "nested too deeply"]),
        "nested": (json.dumps({**person, "properties": {"name": ["x"]}, "x": [[[[[[[[[[1]]]]]]]]]]}),
                   ["line 2", "nested"]),
        "number": ('{"id": "p2", "schema": "Person", "properties": {}, "n": ' + "9" * 5_000 + "}",
                   ["line 2", "not valid JSON"]),
        "surrogate": (json.dumps({**person, "properties": {"name": ["Ana\ud800"]}}), ["line 2", "properties.name.0",
                                                                                     "surrogate"]),
        "nul": (json.dumps({**person, "properties": {"name": ["Ana\u0000"]}}), ["line 2", "properties.name.0", "NUL"]),
        "long": (json.dumps({**person, "properties": {"alias": [f"Alias number {i}" for i in range(300_000)]}}),
                 ["line 2", "longer than 1048576 bytes"]),
        "values": (json.dumps({**person, "properties": {"alias": [f"Alias {i}" for i in range(1001)]}}),
                   ["line 2", "alias", "at most 1000"]),
    }
    for name, (line, needles) in bad_lines.items():
        path = tmp_path / f"{name}.jsonl"
        path.write_text(f"{good}\n{line}\n{good.replace('p1', 'p3')}\n", encoding="utf-8")
        result = _import(path)
        assert result.exit_code == 2, (name, result.exit_code, result.output[-500:])
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith(f"error: {name}.jsonl line 2:"), (name, lines)
        for needle in needles:
            assert needle in lines[0], (name, needle, lines[0])
        assert len(lines[0]) < 300, name
    assert counts(db, TABLES) == before


def test_the_document_lists_every_error_and_other_methods_are_405(client, cast):
    """Every operation lists the error statuses it can answer, in the one error shape (FastAPI's own
    validation shape, never sent, is gone); TRACE and other methods are 405 in the error shape."""
    doc = client.get("/api/v1/openapi.json").json()
    assert "HTTPValidationError" not in json.dumps(doc)
    for method, path, op in _operations(doc):
        expected = {"401", "403", "404", "413", "422", "429", "503"} | ({"400"} if "requestBody" in op else set())
        assert expected <= set(op["responses"]), (method, path, sorted(op["responses"]))
        for status in expected:
            answer = op["responses"][status]["content"]["application/json"]["schema"]
            assert answer == {"$ref": "#/components/schemas/Error"}, (method, path, status)
        assert "Retry-After" in op["responses"]["503"]["headers"]
    for method in ("TRACE", "OPTIONS", "PROPFIND"):
        r = client.request(method, "/api/v1/entities", headers=cast["outsider"].headers)
        assert_error(r, 405, "method_not_allowed")
        assert "GET" in r.headers["allow"]


def test_two_content_types_cannot_carry_a_nul_past_the_guard(client, cast):
    """The guard and the route must read one body the same way: a second Content-Type is refused."""
    us = cast["us_analyst"]
    body = json.dumps({"schema": "Person", "properties": {"name": ["Ana Ruiz"], "notes": ["a\u0000b"]},
                       "distribution": "agency"})
    headers = [*us.headers.items(), ("content-type", "application/json"), ("content-type", "text/plain")]
    r = client.post("/api/v1/entities", headers=headers, content=body)
    assert r.status_code == 400 and r.json()["error"]["code"] == "bad_request", r.text

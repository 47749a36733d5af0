"""Bad input: a clear 4xx in the one error shape (or one `error:` line and exit 2), and nothing written."""

from __future__ import annotations

import json
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import text, update
from typer.testing import CliRunner

from binational.access.models import ApiToken
from binational.app import create_app
from binational.cli import app
from binational.clitools import reset_database
from binational.db import act_as_system, utcnow

API = "/api/v1/entities"
TABLES = ("entities", "statements", "releases", "search_terms", "agencies", "users", "api_tokens", "cases")


def counts(db) -> dict[str, int]:
    """Rows of every table a bad request could have written to (as the owner: no row-level security)."""
    with db.engine.connect() as conn:
        return {t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one() for t in TABLES}  # noqa: S608


def assert_error(r, status: int, code: str | None = None) -> dict:
    assert r.status_code == status, r.text
    body = r.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "details"}, body
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    assert isinstance(body["error"]["details"], list)
    if code:
        assert body["error"]["code"] == code, body
    return body["error"]


PERSON = {"schema": "Person", "properties": {"name": ["Valid Name"]}}
BAD_BODIES = [
    ({**PERSON, "schema": "Unicorn"}, 422, "schema"),
    ({**PERSON, "schema": "Thing"}, 422, "schema"),  # abstract
    ({**PERSON, "properties": {"wingspan": ["2 m"]}}, 422, "properties.wingspan"),
    ({**PERSON, "properties": {"name": ["A"], "birthDate": ["1979-13-45"]}}, 422, "properties.birthDate"),
    ({**PERSON, "properties": {"name": ["A"], "nationality": ["Atlantis"]}}, 422, "properties.nationality"),
    ({**PERSON, "properties": {"name": [""]}}, 422, "properties.name"),
    ({**PERSON, "properties": {"name": [5]}}, 422, "properties.name.list[str].0"),
    ({**PERSON, "properties": 5}, 422, "properties"),
    ({**PERSON, "distribution": "world"}, 422, "distribution"),
    ({**PERSON, "distribution": "release", "release_to": ["MX-NOPE"]}, 422, "release_to"),
    ({**PERSON, "distribution": "release", "release_to": []}, 422, "release_to"),
    ({**PERSON, "distribution": "release", "release_to": ["US-CBP"]}, 422, "release_to"),
    ({**PERSON, "marking": "TLP:RED"}, 422, "marking"),  # above us_analyst's TLP:AMBER
    ({**PERSON, "marking": "SECRET"}, 422, "marking"),
    ({**PERSON, "case_id": "no-such-case"}, 422, "case_id"),
    ({**PERSON, "colour": "blue"}, 422, "colour"),  # unknown top-level field: FastAPI's 422, same shape
    ({"properties": {"name": ["No Schema"]}}, 422, "schema"),
    ({**PERSON, "properties": {"name": ["A"], "parent": ["mx-fgr.doesnotexist"]}}, 422, "properties.parent"),
]


def test_bad_api_input_is_refused_and_writes_nothing(client, cast, db):
    us = cast["us_analyst"]
    ok = client.post(API, headers=us.headers, json=PERSON)
    assert ok.status_code == 201
    ident = ok.json()["id"]
    before = counts(db)
    for body, status, field in BAD_BODIES:
        error = assert_error(client.post(API, headers=us.headers, json=body), status)
        assert field in {d.get("field") for d in error["details"]}, (body, error)
    error = assert_error(client.post(API, headers={**us.headers, "content-type": "application/json"},
                                     content=b'{"schema": "Person", '), 400, "malformed_json")
    assert "JSON" in error["message"]
    assert_error(client.post(API, headers={**us.headers, "content-type": "application/json"}, content=b"[1, 2]"), 422)
    patches = [
        ({"add": {"birthDate": ["1979-13-45"]}}, "properties.birthDate"),
        ({"add": {"wingspan": ["2 m"]}}, "properties.wingspan"),
        ({"add": {"alias": ["x"]}, "marking": "TLP:RED"}, "marking"),
        ({"add": {"alias": ["x"]}, "marking": "TLP:CLEAR"}, "marking"),  # below the entity's marking
        ({"add": {"alias": ["x"]}, "distribution": "national"}, "distribution"),
        ({}, "add"),
        ({"remove": {"name": ["Never There"]}}, "remove.name"),
        ({"add": {"alias": ["x"]}, "extra": 1}, "extra"),
    ]
    for body, field in patches:
        error = assert_error(client.patch(f"{API}/{ident}", headers=us.headers, json=body), 422)
        assert field in {d.get("field") for d in error["details"]}, (body, error)
    for body in ({"to": ["MX-NOPE"]}, {"to": []}, {"to": ["US-CBP"]},
                 {"to": ["MX-FGR"], "until": "2001-01-01T00:00:00Z"}, {"to": ["MX-FGR"], "until": "yesterday"}):
        assert_error(client.post(f"{API}/{ident}/releases", headers=us.headers, json=body), 422)
    for query in ({"limit": 0}, {"limit": 501}, {"limit": "ten"}, {"cursor": "not-a-cursor"}, {"schema": "Unicorn"},
                  {"q": "!!!"}, {"q": "x" * 201}):
        assert_error(client.get(API, headers=us.headers, params=query), 422)
    # a cursor issued by the server, then tampered with
    for _ in range(3):
        client.post(API, headers=us.headers, json=PERSON)
    before = counts(db)
    cursor = client.get(API, headers=us.headers, params={"limit": 1}).json()["next_cursor"]
    assert cursor
    flipped = cursor[:-3] + ("A" if cursor[-3] != "A" else "B") + cursor[-2:]
    for bad in (flipped, cursor + "x", cursor[4:], "e30"):
        error = assert_error(client.get(API, headers=us.headers, params={"limit": 1, "cursor": bad}), 422,
                             "invalid_input")
        assert error["details"][0]["field"] == "cursor"
    assert_error(client.get("/api/v1/audit", headers=cast["us_auditor"].headers, params={"cursor": flipped}), 422)
    assert client.get(API, headers=us.headers, params={"limit": 1, "cursor": cursor}).status_code == 200
    assert counts(db) == before
    assert_error(client.get("/api/v1/nowhere", headers=us.headers), 404, "not_found")
    assert_error(client.put(API, headers=us.headers, json=PERSON), 405, "method_not_allowed")


def test_ids_and_times_out_of_range_are_bad_input_not_a_crash(client, cast, db):
    """Ids past the database's integers, times without a zone or past the last day, a release that
    ends in the past: 422 in the one shape, nothing written."""
    us = cast["us_analyst"].headers
    person = client.post(API, headers=us, json={"schema": "Person", "properties": {"name": ["Lía Mora"]}}).json()["id"]
    before = counts(db)
    for method, path in (("DELETE", "/api/v1/releases/99999999999999999999"), ("DELETE", "/api/v1/releases/0"),
                         ("POST", "/api/v1/notifications/99999999999999999999/read"),
                         ("GET", "/api/v1/resolution/suggestions/99999999999999999999")):
        assert_error(client.request(method, path, headers=us), 422, "invalid_input")
    for until in ("2030-01-01T00:00:00", "9999-12-31T23:00:00-14:00"):
        assert_error(client.post(f"{API}/{person}/releases", headers=us, json={"to": ["MX-FGR"], "until": until}),
                     422, "invalid_input")
        assert_error(client.post(API, headers=us, json={
            "schema": "Person", "properties": {"name": ["X"]}, "distribution": "release", "release_to": ["MX-FGR"],
            "release_until": until}), 422, "invalid_input")
    past = client.post(API, headers=us, json={"schema": "Person", "properties": {"name": ["X"]},
                                              "distribution": "release", "release_to": ["MX-FGR"],
                                              "release_until": "2000-01-01T00:00:00Z"})
    assert assert_error(past, 422, "invalid_input")["details"] == [{"field": "release_until"}]
    assert counts(db) == before


def test_credentials_are_checked(client, cast, db):
    us = cast["us_analyst"]
    before = counts(db)
    for headers in ({}, {"Authorization": "Basic dXM6cHc="}, {"Authorization": "Bearer "},
                    {"Authorization": "Bearer bnt_0000_nope"}):
        error = assert_error(client.post(API, headers=headers, json=PERSON), 401, "unauthenticated")
        assert "token" in error["message"] or "sign in" in error["message"]
        assert client.get("/api/v1/me", headers=headers).status_code == 401
    token_id = us.token.split("_")[1]
    with db.unit_of_work() as s:
        act_as_system(s)
        s.execute(update(ApiToken).where(ApiToken.id == token_id).values(expires_at=utcnow() - timedelta(seconds=1)))
    error = assert_error(client.get("/api/v1/me", headers=us.headers), 401, "unauthenticated")
    assert error["message"] == "invalid or expired token"
    mx = cast["mx_analyst"]
    result = CliRunner().invoke(app, ["tokens", "revoke", mx.token.split("_")[1]])
    assert result.exit_code == 0, result.output
    error = assert_error(client.post(API, headers=mx.headers, json=PERSON), 401)
    assert error["message"] == "invalid or expired token"
    assert counts(db) == {**before, "api_tokens": before["api_tokens"]}
    assert client.get("/api/v1/me", headers=cast["mx_inm"].headers).status_code == 200


def test_body_limit_with_and_without_content_length(settings, db, cast):
    small = settings.model_copy(update={"max_body_bytes": 2048})
    us = cast["us_analyst"]
    with TestClient(create_app(small, db)) as client:
        before = counts(db)
        big = json.dumps({**PERSON, "properties": {"name": ["N" * 4000]}}).encode()
        headers = {**us.headers, "content-type": "application/json"}
        assert_error(client.post(API, headers=headers, content=big), 413, "payload_too_large")

        def chunks():
            for i in range(0, len(big), 512):
                yield big[i : i + 512]

        r = client.post(API, headers=headers, content=chunks())
        assert_error(r, 413, "payload_too_large")
        assert counts(db) == before
        fits = json.dumps({**PERSON, "properties": {"name": ["N" * 1000]}}).encode()
        assert client.post(API, headers=headers, content=fits).status_code == 201
        assert client.post(API, headers=headers, content=iter([fits[:500], fits[500:]])).status_code == 201


def test_sql_and_html_lookalikes_are_stored_literally(client, cast):
    us = cast["us_analyst"]
    texts = ["'; DROP TABLE entities; --", "<script>alert(1)</script>", "Robert\"); DELETE FROM statements;--",
             "%_\\ 100% _x_", "José ¿Quién? 北京"]
    r = client.post(API, headers=us.headers, json={"schema": "Person", "properties": {"name": texts}})
    assert r.status_code == 201, r.text
    ident = r.json()["id"]
    got = client.get(f"{API}/{ident}", headers=us.headers)
    assert sorted(got.json()["properties"]["name"]) == sorted(texts)
    assert "<script>alert(1)</script>" in got.text
    assert got.headers["content-type"] == "application/json"
    assert [e["id"] for e in client.get(API, headers=us.headers, params={"q": "drop table"}).json()["items"]] == [ident]
    # LIKE wildcards in a search are text, not patterns
    assert client.get(API, headers=us.headers, params={"q": "%"}).status_code == 422
    assert client.get(API, headers=us.headers, params={"q": "_x_"}).json()["items"] != []
    assert client.get(API, headers=us.headers).json()["items"][0]["id"] == ident


def _cli(args, stdin=None):
    result = CliRunner().invoke(app, args, input=stdin)
    return result


def assert_cli_error(result, *needles):
    assert result.exit_code == 2, (result.exit_code, result.output)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])
    return lines[0]


def test_cli_mistakes_print_one_line_and_exit_2(settings, db, tmp_path):
    reset_database()
    before = counts(db)
    assert_cli_error(_cli(["agencies", "add", "US-NEW", "--country", "XX", "--name", "New"]), "country")
    assert_cli_error(_cli(["agencies", "add", "bad code!", "--country", "US", "--name", "New"]), "agency code")
    assert_cli_error(_cli(["agencies", "add", "US-CBP", "--country", "US", "--name", "Again"]), "exists")
    assert_cli_error(_cli(["users", "add", "newbie", "--agency", "US-NOPE", "--role", "analyst"]), "US-NOPE")
    assert_cli_error(_cli(["users", "add", "newbie", "--agency", "US-CBP", "--role", "wizard"]), "role")
    assert_cli_error(_cli(["users", "add", "newbie", "--agency", "US-CBP", "--role", "analyst",
                           "--clearance", "TOP-SECRET"]), "marking")
    assert_cli_error(_cli(["users", "add", "newbie", "--agency", "US-CBP", "--role", "analyst", "--password-stdin"],
                          "short\n"), "password")
    assert_cli_error(_cli(["users", "add", "us_analyst", "--agency", "US-CBP", "--role", "analyst"]), "exists")
    assert_cli_error(_cli(["tokens", "create", "nobody"]), "nobody")
    assert_cli_error(_cli(["tokens", "create", "us_analyst", "--expires-days", "0"]), "lifetime")
    assert_cli_error(_cli(["tokens", "revoke", "ffffffffffffffff"]), "token")
    assert_cli_error(_cli(["entities", "export", "--as", "nobody"]), "nobody")
    assert_cli_error(_cli(["entities", "export", "--as", "us_analyst", "--schema", "Unicorn"]), "Unicorn")
    missing = str(tmp_path / "missing.jsonl")
    assert_cli_error(_cli(["entities", "import", missing, "--as", "us_analyst"]), "no such file")
    (tmp_path / "latin1.jsonl").write_bytes("caf\xe9".encode("latin-1"))
    assert_cli_error(_cli(["entities", "import", str(tmp_path / "latin1.jsonl"), "--as", "us_analyst"]), "UTF-8")
    assert counts(db) == before
    # an export that fails half-way leaves neither the file nor a `.part` behind
    out = tmp_path / "out.jsonl"
    assert_cli_error(_cli(["entities", "export", "--as", "us_analyst", "--schema", "Unicorn", "--out", str(out)]))
    assert list(tmp_path.glob("out.jsonl*")) == []


GOOD = {"id": "p1", "schema": "Person", "properties": {"name": ["Line One"]}}
BAD_LINES = [
    ({"id": "p9", "schema": "Person", "properties": {"birthDate": ["1979-13-45"]}}, "birthDate", "1979-13-45"),
    ({"id": "p9", "schema": "Unicorn", "properties": {}}, "schema", "Unicorn"),
    ({"id": "p9", "schema": "Person", "properties": {"wingspan": ["2"]}}, "wingspan", "unknown property"),
    ({"id": "p9", "schema": "Person", "properties": {"nationality": ["Atlantis"]}}, "nationality", "Atlantis"),
    ({"id": "bad id!", "schema": "Person", "properties": {}}, "id", "not a valid entity id"),
    ({"id": "p1", "schema": "Person", "properties": {}}, "id", "twice"),
    ({"id": "p9", "schema": "Person", "properties": {"parent": ["p404"]}}, "parent", "not found"),
    ({"id": "p9", "schema": "Person", "properties": {}, "binational": {"marking": "TLP:RED"}}, "marking", "clearance"),
    ({"id": "p9", "schema": "Person", "properties": {}, "binational": {"distribution": "release",
                                                                      "release_to": ["MX-NOPE"]}}, "MX-NOPE", "agency"),
    ("{not json", "JSON", "not valid"),
    # policy values of the wrong kind: named with the line, never a crash
    ({"id": "p9", "schema": "Person", "properties": {}, "binational": {"release_to": [{"a": 1}]}}, "release_to"),
    ({"id": "p9", "schema": "Person", "properties": {}, "binational": {"marking": ["TLP:RED"]}}, "marking"),
    ({"id": "p9", "schema": "Person", "properties": {}, "binational": {"marking": 5}}, "marking"),
    ({"id": "p9", "schema": "Person", "properties": {}, "binational": {"case_id": ["c"]}}, "case_id"),
    ({"id": "p9", "schema": "Person", "properties": {}, "binational": {"distribution": ["agency"]}}, "distribution"),
]


def test_import_with_one_bad_line_names_it_and_imports_nothing(settings, db, tmp_path):
    reset_database()
    before = counts(db)
    filler = [json.dumps({"id": f"f{i}", "schema": "Person", "properties": {"name": [f"Filler {i}"]}})
              for i in range(5)]
    for n, (bad, *needles) in enumerate(BAD_LINES):
        lines = [json.dumps(GOOD), *filler[: n % 5]]
        lines.append(bad if isinstance(bad, str) else json.dumps(bad))
        lines.append(json.dumps({"id": "last", "schema": "Person", "properties": {"name": ["After"]}}))
        path = tmp_path / f"people{n}.jsonl"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        line = assert_cli_error(_cli(["entities", "import", str(path), "--as", "us_analyst"]),
                                f"people{n}.jsonl line {len(lines) - 1}:", *needles)
        assert "Traceback" not in line
    assert counts(db) == before
    # an id that exists already (also one the importer cannot see) is a line error, not a crash
    path = tmp_path / "good.jsonl"
    path.write_text(json.dumps(GOOD) + "\n", encoding="utf-8")
    result = _cli(["entities", "import", str(path), "--as", "us_supervisor", "--marking", "TLP:RED"])
    assert result.exit_code == 0, result.output
    again = tmp_path / "again.jsonl"
    again.write_text(json.dumps({**GOOD, "id": "p0"}) + "\n" + json.dumps(GOOD) + "\n", encoding="utf-8")
    after_first = counts(db)
    assert_cli_error(_cli(["entities", "import", str(again), "--as", "us_supervisor"]), "again.jsonl line 2", "exists")
    assert_cli_error(_cli(["entities", "import", str(again), "--as", "us_analyst"]), "again.jsonl line 2", "exists")
    assert counts(db) == after_first


def test_a_text_holding_a_line_separator_is_one_line_of_the_file(settings, db, tmp_path):
    """JSON may hold U+2028 and U+0085 raw inside a text; they do not end a line of the file."""
    reset_database()
    path = tmp_path / "separators.jsonl"
    person = {"id": "sep", "schema": "Person", "properties": {"name": ["Ana\u2028Ruiz\u0085Soto"]}}
    path.write_text(json.dumps(person, ensure_ascii=False) + "\r\n" + json.dumps(GOOD) + "\n", encoding="utf-8")
    result = _cli(["entities", "import", str(path), "--as", "us_analyst"])
    assert result.exit_code == 0 and "imported 2 entities" in result.output, result.output


def test_a_setting_that_does_not_validate_is_one_line_and_exit_2(tmp_path):
    import os
    import subprocess
    import sys

    env = {**os.environ, "BINATIONAL_DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}",
           "BINATIONAL_CHECKPOINT_EVERY": "0"}
    done = subprocess.run([sys.executable, "-c", "from binational.cli import main; main()", "agencies", "list"],  # noqa: S603
                          env=env, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 2, done.stderr
    assert done.stderr.strip().splitlines() == [
        "error: setting BINATIONAL_CHECKPOINT_EVERY: Input should be greater than or equal to 1"]


def test_a_database_or_key_that_is_not_there_is_one_line(tmp_path):
    """No database, or one not initialised, and a missing or unreadable audit key: one line, exit 2."""
    import os
    import subprocess
    import sys

    def run(*args: str, **env: str) -> tuple[int, list[str]]:
        done = subprocess.run([sys.executable, "-c", "from binational.cli import main; main()", *args],  # noqa: S603
                              env={**os.environ, **env}, capture_output=True, text=True, timeout=120, check=False)
        return done.returncode, done.stderr.strip().splitlines()

    db = f"sqlite:///{tmp_path / 'fresh.db'}"
    code, err = run("users", "list", BINATIONAL_DATABASE_URL=db)
    assert code == 2 and len(err) == 1 and err[0].startswith("error: no database at ") and "binational init" in err[0]
    assert not (tmp_path / "fresh.db").exists()  # never an empty database made by the asking
    (tmp_path / "fresh.db").touch()
    code, err = run("users", "list", BINATIONAL_DATABASE_URL=db)
    assert code == 2 and len(err) == 1 and "is not initialised: run `binational init`" in err[0], err
    key = tmp_path / "audit.pem"
    assert run("init", BINATIONAL_DATABASE_URL=db, BINATIONAL_AUDIT_KEY_PATH=str(key))[0] == 0
    code, err = run("audit", "verify", BINATIONAL_DATABASE_URL=db, BINATIONAL_AUDIT_KEY_PATH=str(tmp_path / "none.pem"))
    assert code == 2 and len(err) == 1 and "audit signing key" in err[0] and "missing" in err[0], err
    (tmp_path / "bad.pem").write_text("not a key\n")
    code, err = run("audit", "verify", BINATIONAL_DATABASE_URL=db, BINATIONAL_AUDIT_KEY_PATH=str(tmp_path / "bad.pem"))
    assert code == 2 and len(err) == 1 and "cannot be read" in err[0], err


def test_an_audit_filter_longer_than_any_action_is_refused(client, cast):
    r = client.get("/api/v1/audit", headers=cast["us_auditor"].headers, params={"action": "x" * 65})
    assert_error(r, 422, "invalid_input")

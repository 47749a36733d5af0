"""No derived output shows what a viewer may not see: values, search, export, audit views, the
user directory, error messages; releases end when revoked or expired and never spread onward."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import update
from typer.testing import CliRunner

from binational.access import service as access
from binational.access.models import Release
from binational.cli import app
from binational.db import act_as, act_as_system, utcnow

API = "/api/v1/entities"


def _post(client, member, **body):
    r = client.post(API, headers=member.headers, json=body)
    assert r.status_code == 201, r.text
    return r.json()["id"]


def _search(client, member, q):
    r = client.get(API, params={"q": q}, headers=member.headers)
    assert r.status_code == 200, r.text
    return [e["id"] for e in r.json()["items"]]


def test_hidden_values_stay_out_of_reads_search_and_export(client, cast):
    us, boss, mx = cast["us_analyst"], cast["us_supervisor"], cast["mx_analyst"]
    shared = _post(client, us, schema="Person", properties={"name": ["Ramona Quintero"], "phone": ["+15205550101"]},
                   distribution="release", release_to=["MX-FGR"])
    kept = _post(client, us, schema="Person", properties={"name": ["Ulises Kept"]})
    # a value kept to the owner agency, and a value above the partner's clearance, on the shared entity
    r = client.patch(f"{API}/{shared}", headers=us.headers,
                     json={"add": {"alias": ["Zacarias Hidden"], "passportNumber": ["G77001"]},
                           "distribution": "agency"})
    assert r.status_code == 200, r.text
    r = client.patch(f"{API}/{shared}", headers=boss.headers,
                     json={"add": {"alias": ["Wenceslao Redline"]}, "marking": "TLP:RED"})
    assert r.status_code == 200, r.text

    seen = client.get(f"{API}/{shared}", headers=mx.headers).json()
    assert seen["properties"] == {"name": ["Ramona Quintero"], "phone": ["+15205550101"]}
    assert {v["agency"] for v in seen["values"]} == {"US-CBP"}
    assert "Zacarias" not in json.dumps(seen) and "G77001" not in json.dumps(seen)
    # the owner agency's analyst sees the agency-only values, not the RED one; the supervisor sees all
    assert client.get(f"{API}/{shared}", headers=us.headers).json()["properties"]["alias"] == ["Zacarias Hidden"]
    assert sorted(client.get(f"{API}/{shared}", headers=boss.headers).json()["properties"]["alias"]) == [
        "Wenceslao Redline", "Zacarias Hidden"]

    for q in ("Zacarias", "zacarias hidden", "G77001", "g-77001", "Wenceslao", "Ulises", "Kept"):
        assert _search(client, mx, q) == [], q
    assert _search(client, mx, "Ramona") == [shared]
    assert _search(client, mx, "+1 520 555 0101") == [shared]
    assert _search(client, us, "Zacarias") == [shared]
    assert _search(client, us, "Wenceslao") == []
    assert _search(client, boss, "Wenceslao") == [shared]
    assert _search(client, us, "Kept") == [kept]

    runner = CliRunner()
    result = runner.invoke(app, ["entities", "export", "--as", "mx_analyst"])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert lines == [{"id": shared, "schema": "Person",
                      "properties": {"name": ["Ramona Quintero"], "phone": ["+15205550101"]}}]
    assert "exported 1 entities" in result.stderr
    # PATCH `remove` of a value the viewer cannot see answers like a value that never existed
    hidden = client.patch(f"{API}/{shared}", headers=us.headers, json={"remove": {"alias": ["Wenceslao Redline"]}})
    never = client.patch(f"{API}/{shared}", headers=us.headers, json={"remove": {"alias": ["Nobody Atall"]}})
    assert hidden.status_code == never.status_code == 422
    assert hidden.json()["error"]["message"].replace("Wenceslao Redline", "X") == \
        never.json()["error"]["message"].replace("Nobody Atall", "X")
    assert sorted(client.get(f"{API}/{shared}", headers=boss.headers).json()["properties"]["alias"]) == [
        "Wenceslao Redline", "Zacarias Hidden"]


def test_audit_views_and_directories_show_only_ones_own(client, cast, db):
    us, mx = cast["us_analyst"], cast["mx_analyst"]
    secret = _post(client, us, schema="Person", properties={"name": ["Solo Cbp"]})
    client.get(f"{API}/{secret}", headers=us.headers)
    shared = _post(client, us, schema="Person", properties={"name": ["Both Sides"]},
                   distribution="release", release_to=["MX-FGR"])
    theirs = _post(client, mx, schema="Person", properties={"name": ["Fgr Own"]},
                   distribution="release", release_to=["US-CBP"])
    assert client.get(f"{API}/{theirs}", headers=us.headers).status_code == 200
    assert client.get(f"{API}/{shared}", headers=mx.headers).status_code == 200
    assert client.get(f"{API}/{secret}", headers=mx.headers).status_code == 404  # a denial about a US record
    never = f"us-cbp.{uuid.uuid4().hex}"
    assert client.get(f"{API}/{never}", headers=mx.headers).status_code == 404
    assert client.get(API, headers=us.headers).status_code == 200  # lists secret, shared, theirs

    items = client.get("/api/v1/audit?limit=500", headers=cast["mx_auditor"].headers).json()["items"]
    assert items, "the MX auditor sees its agency's entries"
    for item in items:
        assert secret not in item["objects"] or (item["agency"] == "MX-FGR" and item["decision"] == "deny"), item
        assert set(item) == {"seq", "time", "actor", "agency", "action", "objects", "decision", "reason",
                             "request_id"}
        if item["agency"] != "MX-FGR":  # another agency's entry: shown only for MX-FGR's own records
            assert item["objects"] and all(o == theirs for o in item["objects"]), item
    denials = [i for i in items if i["decision"] == "deny"]
    # the refusal of a hidden US record reads exactly like the refusal of a record that never existed
    assert sorted((d["reason"], d["action"]) for d in denials) == [("not found", "entity.read")] * 2
    assert "not released" not in json.dumps(items)
    # the US auditor sees the MX reads of the shared record, not the MX analyst's other work
    us_items = client.get("/api/v1/audit?limit=500", headers=cast["us_auditor"].headers).json()["items"]
    for item in us_items:
        if item["agency"] == "MX-FGR":
            assert item["objects"] and set(item["objects"]) <= {shared, secret}, item
    assert theirs not in {o for i in us_items if i["agency"] == "MX-FGR" for o in i["objects"]}

    # who-saw: only for one's own records; another agency's record answers like a missing one
    mine = client.get(f"/api/v1/audit/who-saw/{shared}", headers=cast["us_auditor"].headers)
    assert mine.status_code == 200
    assert {(i["actor"], i["action"]) for i in mine.json()["items"]} >= {("mx_analyst", "entity.read")}
    hidden = client.get(f"/api/v1/audit/who-saw/{secret}", headers=cast["mx_auditor"].headers)
    missing = client.get(f"/api/v1/audit/who-saw/{never}", headers=cast["mx_auditor"].headers)
    assert hidden.status_code == missing.status_code == 404
    assert hidden.content.replace(secret.encode(), b"X") == missing.content.replace(never.encode(), b"X")
    assert client.get("/api/v1/audit", headers=mx.headers).status_code == 403  # analysts are not auditors

    # the operator's who-saw lists every read of one record, from the command line
    result = CliRunner().invoke(app, ["audit", "who-saw", shared])
    assert result.exit_code == 0 and "mx_analyst" in result.stdout and "entity.read" in result.stdout
    result = CliRunner().invoke(app, ["audit", "who-saw", never])
    assert result.exit_code == 2 and result.stderr.startswith("error: no reads")

    # error messages: a reference to a hidden record, or to another agency's case, reads like a missing one
    for field, hidden_value, missing_value in (("parent", secret, never), ("case", None, None)):
        if field == "parent":
            body = {"schema": "Person", "properties": {"name": ["Ref Test"], "parent": [hidden_value]}}
            other = {"schema": "Person", "properties": {"name": ["Ref Test"], "parent": [missing_value]}}
        else:
            with db.unit_of_work() as s:
                owner = access.actor_for(session=s, user=access.get_user(session=s, username="us_analyst"))
                act_as(s, owner)
                access.create_case(session=s, actor=owner, case_id="cbp-case", title="CBP only")
            hidden_value, missing_value = "cbp-case", "zzz-case"
            body = {"schema": "Person", "properties": {"name": ["Ref Test"]}, "case_id": hidden_value}
            other = {"schema": "Person", "properties": {"name": ["Ref Test"]}, "case_id": missing_value}
        a = client.post(API, headers=mx.headers, json=body)
        b = client.post(API, headers=mx.headers, json=other)
        assert a.status_code == b.status_code == 422, (a.text, b.text)
        assert a.content.replace(hidden_value.encode(), b"X") == b.content.replace(missing_value.encode(), b"X")

    # the user directory: an administrator sees its own agency's users only
    with db.unit_of_work() as s:
        act_as_system(s)  # the node operator
        user = access.add_user(session=s, username="mx_admin", agency="MX-FGR", roles=["admin"], clearance="TLP:AMBER")
        _row, token = access.create_token(session=s, user=user, days=1)
    us_users = client.get("/api/v1/users", headers=cast["admin"].headers).json()
    assert {u["agency"] for u in us_users} == {"US-CBP"}
    assert {u["username"] for u in us_users} >= {"us_analyst", "admin"}
    mx_users = client.get("/api/v1/users", headers={"Authorization": f"Bearer {token}"}).json()
    assert {u["username"] for u in mx_users} == {"mx_analyst", "mx_auditor", "mx_admin"}
    assert client.get("/api/v1/users", headers=us.headers).status_code == 403


def test_releases_end_when_revoked_or_expired_and_never_spread(client, cast, db):
    us, mx, inm = cast["us_analyst"], cast["mx_analyst"], cast["mx_inm"]
    ident = _post(client, us, schema="Person", properties={"name": ["Teodoro Shared"]})
    assert client.get(f"{API}/{ident}", headers=mx.headers).status_code == 404
    until = (utcnow() + timedelta(days=5)).isoformat()
    r = client.post(f"{API}/{ident}/releases", headers=us.headers, json={"to": ["MX-FGR"], "until": until})
    assert r.status_code == 201, r.text
    release_id = r.json()[0]["id"]
    assert client.get(f"{API}/{ident}", headers=mx.headers).status_code == 200
    assert _search(client, mx, "Teodoro") == [ident]

    # the recipient sees it but may not re-release, change, delete or list its releases: 403
    for method, suffix, body in [("POST", "/releases", {"to": ["MX-INM"]}), ("PATCH", "", {"add": {"alias": ["x y"]}}),
                                 ("DELETE", "", None), ("GET", "/releases", None)]:
        r = client.request(method, f"{API}/{ident}{suffix}", headers=mx.headers, json=body)
        assert r.status_code == 403, (method, suffix, r.text)
        assert r.json()["error"]["code"] == "forbidden"
    # nor revoke the owner's release (not its own: like a release that does not exist)
    hidden = client.delete(f"/api/v1/releases/{release_id}", headers=mx.headers)
    never = client.delete("/api/v1/releases/999999", headers=mx.headers)
    assert hidden.status_code == never.status_code == 404
    assert hidden.content.replace(str(release_id).encode(), b"X") == never.content.replace(b"999999", b"X")
    assert client.get(f"{API}/{ident}", headers=inm.headers).status_code == 404
    assert client.get(f"{API}/{ident}", headers=us.headers).json()["properties"] == {"name": ["Teodoro Shared"]}

    # revocation takes effect at once: read, list, search
    r = client.delete(f"/api/v1/releases/{release_id}", headers=us.headers)
    assert r.status_code == 200 and r.json()["revoked_at"] is not None
    assert client.get(f"{API}/{ident}", headers=mx.headers).status_code == 404
    assert ident not in {e["id"] for e in client.get(API, headers=mx.headers).json()["items"]}
    assert _search(client, mx, "Teodoro") == []

    # a new release, then its `until` passes
    r = client.post(f"{API}/{ident}/releases", headers=us.headers, json={"to": ["MX-FGR"], "until": until})
    assert client.get(f"{API}/{ident}", headers=mx.headers).status_code == 200
    with db.unit_of_work() as s:
        act_as_system(s)  # the clock, not an agency, ends the release
        s.execute(update(Release).where(Release.id == r.json()[0]["id"]).values(until=utcnow() - timedelta(seconds=1)))
    assert client.get(f"{API}/{ident}", headers=mx.headers).status_code == 404
    assert _search(client, mx, "Teodoro") == []
    assert client.post(f"{API}/{ident}/releases", headers=us.headers,
                       json={"to": ["MX-FGR"], "until": (utcnow() - timedelta(days=1)).isoformat()}).status_code == 422
    listed = client.get(f"{API}/{ident}/releases", headers=us.headers).json()
    assert [(x["to_agency"], x["revoked_at"] is not None) for x in listed] == [("MX-FGR", True), ("MX-FGR", False)]


def test_search_follows_a_release_that_widens_an_entity_and_forgets_a_removed_value(client, cast):
    """Search terms carry their entity's distribution and exist only for live values (SearchTerm)."""
    us, mx = cast["us_analyst"], cast["mx_analyst"]
    kept = _post(client, us, schema="Person", properties={"name": ["Leocadio Widened"], "alias": ["Fulgencio Gone"]})
    assert _search(client, mx, "Leocadio") == []
    r = client.post(f"{API}/{kept}/releases", headers=us.headers, json={"to": ["MX-FGR"]})
    assert r.status_code == 201, r.text
    assert _search(client, mx, "Leocadio") == [kept]
    assert _search(client, mx, "Fulgencio") == [kept]
    r = client.patch(f"{API}/{kept}", headers=us.headers, json={"remove": {"alias": ["Fulgencio Gone"]}})
    assert r.status_code == 200, r.text
    assert _search(client, mx, "Fulgencio") == _search(client, us, "Fulgencio") == []
    assert _search(client, us, "Leocadio") == [kept]


def test_a_release_widens_the_terms_of_values_above_the_releasers_clearance_too(client, cast):
    """The release updates every term of the entity, not only those row-level security shows the releaser."""
    us, boss, outsider = cast["us_analyst"], cast["us_supervisor"], cast["outsider"]
    kept = _post(client, us, schema="Person", properties={"name": ["Quentin Widened"]}, marking="TLP:GREEN")
    r = client.patch(f"{API}/{kept}", headers=boss.headers, json={"add": {"alias": ["Zanzibarwolf"]},
                                                                  "marking": "TLP:RED"})
    assert r.status_code == 200, r.text
    r = client.post(f"{API}/{kept}/releases", headers=us.headers, json={"to": ["GT-PNC"]})
    assert r.status_code == 201, r.text
    assert "Zanzibarwolf" in client.get(f"{API}/{kept}", headers=outsider.headers).json()["properties"]["alias"]
    assert _search(client, outsider, "zanzibarwolf") == _search(client, outsider, "quentin") == [kept]


def test_concurrent_edits_and_a_release_of_one_entity_all_succeed(client, cast, db, settings):
    """Edits lock the entity before its terms, as a release does: no deadlock between them."""
    import threading

    from binational.audit.scope import unit_of_work
    from binational.entities import releases, service
    from binational.entities.schemas import EntityPatch

    if not settings.is_postgres:
        pytest.skip("SQLite runs one writing transaction at a time")
    us = cast["us_analyst"]
    kept = _post(client, us, schema="Person", properties={"name": ["Concurrent Edits"], "alias": ["Gone Soon"]})
    with db.unit_of_work() as s:
        actor = access.actor_for(session=s, user=access.get_user(session=s, username="us_analyst"))
    errors: list[str] = []
    barrier = threading.Barrier(5)

    def edit(n: int) -> None:
        try:
            barrier.wait()
            for i in range(4):
                with unit_of_work(db) as s:
                    act_as(s, actor)
                    change = {"add": {"alias": [f"Alias {n} {i}"]}}
                    if n == 0 and i == 0:
                        change["remove"] = {"alias": ["Gone Soon"]}
                    service.update(session=s, actor=actor, entity_id=kept, patch=EntityPatch.model_validate(change))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(repr(exc))

    def release() -> None:
        try:
            barrier.wait()
            with unit_of_work(db) as s:
                act_as(s, actor)
                releases.release_entity(session=s, actor=actor, entity_id=kept, to=["MX-FGR"])
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(repr(exc))

    threads = [threading.Thread(target=edit, args=(n,)) for n in range(4)] + [threading.Thread(target=release)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(_search(client, cast["mx_analyst"], "alias")) == 1  # every added value searchable by the partner


def test_a_reference_to_a_record_the_viewer_may_not_see_is_left_out(client, cast):
    """A released passport whose holder is kept to US-CBP: MX-FGR sees the passport but not the id of
    its holder (that the record exists, and whose it is), in a read, a list or a search; nor once the
    holder's own release is revoked."""
    us, mx = cast["us_analyst"], cast["mx_analyst"]
    holder = _post(client, us, schema="Person", properties={"name": ["Rosa Ibarra Luna"]})
    passport = _post(client, us, schema="Passport", properties={"holder": [holder], "number": ["P4455667"]},
                     distribution="release", release_to=["MX-FGR"])
    assert client.get(f"{API}/{passport}", headers=us.headers).json()["properties"]["holder"] == [holder]
    read = client.get(f"{API}/{passport}", headers=mx.headers).json()
    assert read["properties"] == {"number": ["P4455667"]} and holder not in json.dumps(read)
    page = client.get(API, headers=mx.headers, params={"schema": "Passport", "limit": 100}).json()
    assert passport in json.dumps(page) and holder not in json.dumps(page)
    r = client.post(f"{API}/{holder}/releases", headers=us.headers, json={"to": ["MX-FGR"]})
    assert r.status_code == 201, r.text
    assert client.get(f"{API}/{passport}", headers=mx.headers).json()["properties"]["holder"] == [holder]
    assert client.delete(f"/api/v1/releases/{r.json()[0]['id']}", headers=us.headers).status_code in (200, 204)
    assert holder not in json.dumps(client.get(f"{API}/{passport}", headers=mx.headers).json())

"""Attacks on trade: a partner agency's analyst, a same-country agency and an outsider try to see
another agency's declarations, scores, selection lists and inspection results.

US-CBP imports its declarations and draws a day's selection list; MX-FGR imports the same file as
its own. Nobody but US-CBP sees US-CBP's list, a declaration or its score; reading or inspecting one
by a guessed id answers exactly as an id that does not exist, and the refusal is audited. A joint
inspection's result (with MX-FGR) is shared with MX-FGR alone, with the declaration it is about;
MX-FGR's retraining then learns from it, and from nothing else of US-CBP's.
"""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from binational.audit.models import AuditEntry
from binational.cli import app
from binational.db import act_as_system
from binational.trade import declarations
from tests.conftest import sequence_audit
from tests.trade import worlds
from tests.web.conftest import csrf_of, sign_in

declaration_files, model_file = worlds.declaration_files, worlds.model_file  # the fixtures of tests/trade

runner = CliRunner()


def _run(*args: str) -> tuple[int, object, str]:
    r = runner.invoke(app, ["trade", *args])
    return r.exit_code, json.loads(r.stdout) if r.exit_code == 0 else None, r.stderr


@pytest.fixture
def stocked(settings, db, declaration_files, model_file):  # noqa: F811 - the fixtures above
    test = declaration_files["test"]
    for user in ("us_analyst", "mx_analyst"):
        code, out, err = _run("import", str(test), "--as", user)
        assert code == 0, err
    frame = declarations.read(test)
    day = str(frame["date"].value_counts().idxmax().date())
    code, chosen, err = _run("select", "--model", str(model_file), "--day", day, "--as", "us_analyst",
                             "--budget", "0.2", "--exploration", "0")
    assert code == 0, err
    return day, chosen


def test_only_the_owner_sees_its_selection_list(stocked):
    day, chosen = stocked
    assert chosen and all(r["agency"] == "US-CBP" and r["reasons"] and r["score"] is not None for r in chosen)
    code, mine, _ = _run("list", "--day", day, "--as", "us_supervisor")
    assert code == 0 and [r["id"] for r in mine] == [r["id"] for r in chosen]
    for user in ("mx_analyst", "us_atf", "mx_inm", "outsider"):
        code, seen, err = _run("list", "--day", day, "--as", user)
        assert code == 0 and seen == [], (user, err)


def test_a_guessed_id_answers_as_one_that_does_not_exist(stocked, db):
    _day, chosen = stocked
    target = chosen[0]["id"]
    for user in ("mx_analyst", "us_atf", "outsider"):
        code, _, err = _run("show", str(target), "--as", user)
        missing_code, _, missing = _run("show", "99999999", "--as", user)
        assert code == missing_code == 2
        assert err.replace(str(target), "N") == missing.replace("99999999", "N"), user
        code, _, err = _run("inspect", str(target), "--as", user, "--fraud", "1", "--critical", "1")
        assert code == 2 and "not found" in err
    sequence_audit(db)
    with db.session() as session:
        act_as_system(session)
        denials = session.scalars(select(AuditEntry).where(AuditEntry.action.in_(("trade.read", "trade.inspect")),
                                                           AuditEntry.decision == "deny")).all()
    assert len(denials) >= 6
    code, shown, _ = _run("show", str(target), "--as", "us_analyst")
    assert code == 0 and shown["results"] and all(r["agency"] == "US-CBP" for r in shown["results"])


def test_a_joint_result_reaches_its_partner_only(stocked, tmp_path):
    day, chosen = stocked
    target = chosen[0]["id"]
    code, out, err = _run("inspect", str(target), "--as", "us_analyst", "--fraud", "1", "--critical", "2",
                          "--joint-agency", "MX-FGR", "--note", "joint inspection at the port")
    assert code == 0 and out["distribution"] == "joint", err
    code, shown, _ = _run("show", str(target), "--as", "mx_analyst")
    assert code == 0 and [r["critical"] for r in shown["results"]] == [2]  # the joint result, not CBP's own
    code, seen, _ = _run("list", "--day", day, "--as", "mx_analyst")
    assert [r["id"] for r in seen] == [target]
    for user in ("us_atf", "mx_inm", "outsider"):
        assert _run("show", str(target), "--as", user)[0] == 2
    code, out, err = _run("train", "--model", str(tmp_path / "mx.json"), "--as", "mx_analyst")
    assert code == 0, err
    assert out["train_rows"] + out["valid_rows"] == 801  # its own 800 and the joint one


def test_bad_results_write_nothing(stocked):
    _day, chosen = stocked
    target = str(chosen[0]["id"])
    for args in (("--fraud", "0", "--critical", "2"), ("--fraud", "3", "--critical", "0"),
                 ("--fraud", "1", "--critical", "1", "--joint-agency", "XX-NONE")):
        code, _, err = _run("inspect", target, "--as", "us_analyst", *args)
        assert code == 2 and len(err.strip().splitlines()) == 1
    code, shown, _ = _run("show", target, "--as", "us_analyst")
    assert len(shown["results"]) == 1  # the imported one only


def test_raw_sql_as_a_partner_reads_no_other_agencys_trade_rows(stocked, db, settings):
    if not settings.database_url.startswith("postgresql"):
        pytest.skip("row-level security is PostgreSQL's")
    from sqlalchemy import text

    from binational.access import service as access
    from binational.db import act_as
    with db.session() as s:
        act_as(s, access.actor_for(session=s, user=access.get_user(session=s, username="mx_analyst")))
        for table in ("trade_declarations", "trade_inspections"):
            owners = set(s.execute(text(f"SELECT DISTINCT owner_agency FROM {table}")).scalars())  # noqa: S608
            assert owners == {"MX-FGR"}, table
        assert s.execute(text("UPDATE trade_declarations SET score = 1 WHERE owner_agency = 'US-CBP'")).rowcount == 0
        s.rollback()


def _stocked_listed(client, cast, day):
    """The id of US-CBP's first pick on `day`, through the API."""
    listed = client.get(f"/api/v1/trade/selection?day={day}", headers=cast["us_analyst"].headers).json()
    return listed[0]["id"]


def test_the_api_answers_a_hidden_declaration_byte_for_byte_as_a_missing_one(stocked, client, cast):
    day, _chosen = stocked
    target = _stocked_listed(client, cast, day)
    missing = "99999999"
    for user in ("mx_analyst", "us_atf", "mx_inm", "outsider"):
        headers = cast[user].headers
        for method, suffix, body in (("GET", "", None), ("POST", "/results", {"fraud": 1, "critical": 1}),
                                     ("POST", "/results", {"fraud": 0, "critical": 2}),
                                     ("POST", "/results", {"fraud": 1, "critical": 1, "joint_agency": "XX-NONE"})):
            theirs = client.request(method, f"/api/v1/trade/declarations/{target}{suffix}", headers=headers, json=body)
            none = client.request(method, f"/api/v1/trade/declarations/{missing}{suffix}", headers=headers, json=body)
            assert theirs.status_code == none.status_code, (user, method, suffix, body)
            assert theirs.status_code in (404, 422), (user, theirs.text)
            same = (theirs.content.replace(str(target).encode(), b"<id>")
                    == none.content.replace(missing.encode(), b"<id>"))
            assert same, (user, method, suffix, theirs.text, none.text)
    shown = client.get(f"/api/v1/trade/declarations/{target}", headers=cast["us_analyst"].headers).json()
    assert all(r["agency"] == "US-CBP" for r in shown["results"])  # no partner wrote a result


def test_the_result_form_answers_a_hidden_declaration_as_a_missing_one(stocked, client, cast):
    day, _chosen = stocked
    target = str(_stocked_listed(client, cast, day))
    missing = "99999999"
    for user in ("mx_analyst",):  # the cast's users who sign in on the web
        client.cookies.clear()
        token = sign_in(client, user)
        for data in ({"outcome": "critical", "note": "x"}, {"note": "x"}, {"outcome": "fraud", "joint_agency": "XX"}):
            theirs = client.post(f"/trade/declarations/{target}/inspect", data={"csrf": token, **data},
                                 follow_redirects=False)
            none = client.post(f"/trade/declarations/{missing}/inspect", data={"csrf": token, **data},
                               follow_redirects=False)
            assert theirs.status_code == none.status_code == 404, (user, data, theirs.status_code)
            assert theirs.content.replace(target.encode(), b"<id>") == none.content.replace(missing.encode(), b"<id>")
    client.cookies.clear()
    sign_in(client, "us_analyst")
    page = client.get(f"/trade/declarations/{target}")
    r = client.post(f"/trade/declarations/{target}/inspect", data={"outcome": "critical"}, follow_redirects=False)
    assert r.status_code in (400, 403), r.status_code  # no CSRF token: refused
    r = client.post(f"/trade/declarations/{target}/inspect",
                    data={"csrf": csrf_of(page.text), "outcome": "none", "note": "n" * 2001})
    assert r.status_code == 422 and 'id="e-note"' in r.text  # a note past its limit is refused, not cut
    shown = client.get(f"/api/v1/trade/declarations/{target}", headers=cast["us_analyst"].headers).json()
    assert len(shown["results"]) == 1  # the imported result only: nothing above was written


def test_a_partners_read_of_a_joint_declaration_shows_in_the_owners_who_saw(stocked, client, cast):
    day, _chosen = stocked
    target = _stocked_listed(client, cast, day)
    r = client.post(f"/api/v1/trade/declarations/{target}/results", headers=cast["us_analyst"].headers,
                    json={"fraud": 1, "critical": 1, "joint_agency": "MX-FGR"})
    assert r.status_code == 201, r.text
    assert client.get(f"/api/v1/trade/declarations/{target}", headers=cast["mx_analyst"].headers).status_code == 200
    assert client.get(f"/api/v1/trade/selection?day={day}", headers=cast["mx_analyst"].headers).json()
    saw = client.get(f"/api/v1/audit/who-saw/trade_declaration:{target}", headers=cast["us_auditor"].headers)
    assert saw.status_code == 200, saw.text
    readers = {(e["actor"], e["action"]) for e in saw.json()["items"]}
    assert {("mx_analyst", "trade.read"), ("mx_analyst", "trade.list")} <= readers, readers
    # the partner's auditor may not ask who saw US-CBP's declaration: the ordinary 404
    theirs = client.get(f"/api/v1/audit/who-saw/trade_declaration:{target}", headers=cast["mx_auditor"].headers)
    assert theirs.status_code == 404


def test_a_partners_guess_is_named_as_the_declaration_in_the_owners_log(stocked, client, cast):
    day, _chosen = stocked
    target = _stocked_listed(client, cast, day)
    assert client.get(f"/api/v1/trade/declarations/{target}", headers=cast["mx_analyst"].headers).status_code == 404
    found = client.get(f"/api/v1/audit?object_id=trade_declaration:{target}&action=trade.read",
                       headers=cast["us_auditor"].headers)
    assert found.status_code == 200, found.text
    denied = [e for e in found.json()["items"] if e["decision"] == "deny"]
    assert [(e["actor"], e["objects"]) for e in denied] == [("mx_analyst", [f"trade_declaration:{target}"])]

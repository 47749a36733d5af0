"""Recovered firearms: a re-import replaces the agency's recoveries of the same numbers in place (so a
trace keeps its link and the number stays linkable), one file naming a number twice is bad input; the
list and the command line show only the recoveries one may see, each with the traces sent for it that
one may see. Attacks first: US-ATF and a third country list nothing and read the 404 of a recovery
that never existed."""

from __future__ import annotations

import json

from sqlalchemy import func, select
from typer.testing import CliRunner

from binational.cli import app
from binational.db import act_as_system
from binational.firearms.models import Recovery
from tests.firearms.conftest import API, get
from tests.firearms.test_recovery_link import RECOVERIES, TRACE

runner = CliRunner()


def _import(client, member, text: str = RECOVERIES, **extra: str):  # noqa: ANN001, ANN202
    return client.post(f"{API}/firearms/records", headers=member.headers,
                       json={"kind": "recoveries", "csv": text, **extra})


def _rows(db, number: str) -> list[Recovery]:  # noqa: ANN001
    with db.unit_of_work() as s:
        act_as_system(s)
        found = list(s.execute(select(Recovery).where(Recovery.recovery_id == number)).scalars())
        s.expunge_all()
        return found


def test_a_reimport_keeps_the_link_and_the_number_linkable(client, db, cast, stocked):
    mx = cast["mx_analyst"]
    assert _import(client, mx).status_code == 201
    first = client.post(f"{API}/firearms/traces", headers=mx.headers, json={**TRACE, "recovery": "FGR-0001"})
    assert first.status_code == 201, first.text
    recovery_id = first.json()["recovery"]["id"]
    # the same file again, the place corrected: the same record, updated, still linked
    again = _import(client, mx, RECOVERIES.replace("Culiacán", "Culiacán Rosales"))
    assert again.status_code == 201 and again.json() == {"imported": 2}
    rows = _rows(db, "FGR-0001")
    assert [r.id for r in rows] == [recovery_id] and rows[0].place == "Culiacán Rosales"
    shown = get(client, mx, f"/firearms/recoveries/{recovery_id}").json()
    assert shown["place"] == "Culiacán Rosales" and [t["id"] for t in shown["traces"]] == [first.json()["id"]]
    # and another trace may still name it
    second = client.post(f"{API}/firearms/traces", headers=mx.headers, json={**TRACE, "recovery": "FGR-0001"})
    assert second.status_code == 201, second.text
    assert second.json()["recovery"]["id"] == recovery_id


def test_a_file_naming_a_number_twice_imports_nothing(client, db, cast, counts):
    mx = cast["mx_analyst"]
    before = counts()
    twice = RECOVERIES + RECOVERIES.splitlines()[1].replace("BKLM123", "BKLM999") + "\n"
    r = _import(client, mx, twice)
    assert r.status_code == 422 and r.json()["error"]["details"][0] == {"line": 4, "field": "recovery_id"}
    assert counts() == before


def test_another_agency_importing_the_same_number_has_its_own_record(client, db, cast):
    mx, inm = cast["mx_analyst"], cast["mx_inm"]
    assert _import(client, mx).status_code == 201   # national: MX-INM sees MX-FGR's recoveries
    assert _import(client, inm).status_code == 201
    rows = _rows(db, "FGR-0001")
    assert sorted(r.owner_agency for r in rows) == ["MX-FGR", "MX-INM"]
    with db.unit_of_work() as s:
        act_as_system(s)
        assert s.scalar(select(func.count()).select_from(Recovery)) == 4


def test_the_list_shows_only_what_one_may_see(client, db, cast, stocked):
    mx, inm = cast["mx_analyst"], cast["mx_inm"]
    assert _import(client, mx, distribution="agency").status_code == 201
    trace = client.post(f"{API}/firearms/traces", headers=mx.headers, json={**TRACE, "recovery": "FGR-0001"}).json()
    # attacks: the tracer, a third country and another Mexican agency list nothing, count nothing
    for who in (stocked, cast["outsider"], inm):
        listed = get(client, who, "/firearms/recoveries")
        assert listed.status_code == 200 and listed.json()["items"] == [], who.username
        assert "FGR-0001" not in listed.text and "Culiac" not in listed.text
        assert get(client, who, f"/firearms/recoveries/{trace['recovery']['id']}").status_code == 404
    own = get(client, mx, "/firearms/recoveries").json()
    assert [i["recovery_id"] for i in own["items"]] == ["FGR-0002", "FGR-0001"]
    assert [i["traces"] for i in own["items"]] == [0, 1]
    # paged with a signed cursor
    page = get(client, mx, "/firearms/recoveries", limit=1).json()
    rest = get(client, mx, "/firearms/recoveries", limit=1, cursor=page["next_cursor"]).json()
    assert [i["recovery_id"] for i in page["items"] + rest["items"]] == ["FGR-0002", "FGR-0001"]
    assert get(client, mx, "/firearms/recoveries", cursor="forged").status_code == 422


def test_the_command_line_lists_and_shows(client, cast, stocked):
    mx = cast["mx_analyst"]
    assert _import(client, mx).status_code == 201
    trace_id = client.post(f"{API}/firearms/traces", headers=mx.headers,
                           json={**TRACE, "recovery": "FGR-0001"}).json()["id"]
    listed = runner.invoke(app, ["firearms", "recoveries", "list", "--as", "mx_analyst"])
    assert listed.exit_code == 0, listed.output
    items = json.loads(listed.stdout)
    assert [i["recovery_id"] for i in items] == ["FGR-0002", "FGR-0001"]
    ident = items[1]["id"]
    shown = runner.invoke(app, ["firearms", "recoveries", "show", ident, "--as", "mx_analyst"])
    assert shown.exit_code == 0, shown.output
    assert [t["id"] for t in json.loads(shown.stdout)["traces"]] == [trace_id]
    # US-ATF: nothing listed, and the one-line refusal of a recovery that never existed
    empty = runner.invoke(app, ["firearms", "recoveries", "list", "--as", "atf_tracer"])
    assert empty.exit_code == 0 and json.loads(empty.stdout) == []
    hidden = runner.invoke(app, ["firearms", "recoveries", "show", ident, "--as", "atf_tracer"])
    never = runner.invoke(app, ["firearms", "recoveries", "show", "mx.fr0000", "--as", "atf_tracer"])
    assert hidden.exit_code == never.exit_code == 2
    assert hidden.stderr.replace(ident, "X") == never.stderr.replace("mx.fr0000", "X")
    assert len(hidden.stderr.strip().splitlines()) == 1


def test_the_pages_in_both_languages_and_nothing_for_the_others(client, cast, stocked):
    from tests.firearms.test_pages import NAMES
    from tests.web.conftest import sign_in
    from tests.web.test_spanish import english_words

    mx = cast["mx_analyst"]
    assert _import(client, mx, distribution="agency").status_code == 201
    sent = client.post(f"{API}/firearms/traces", headers=mx.headers, json={**TRACE, "recovery": "FGR-0001"}).json()
    assert client.post(f"{API}/firearms/traces/resolve", headers=stocked.headers).json()["resolved"] == 1
    recovery = f"/firearms/recoveries/{sent['recovery']['id']}"
    sign_in(client, "mx_analyst")
    home = client.get("/firearms", headers={"Accept-Language": "es"})
    assert 'href="/firearms/recoveries"' in home.text
    listed = client.get("/firearms/recoveries", headers={"Accept-Language": "es"})
    assert listed.status_code == 200 and "Armas aseguradas" in listed.text
    assert f'href="{recovery}"' in listed.text and "FGR-0002" in listed.text
    trace = client.get(f"/firearms/traces/{sent['id']}")
    assert f'href="{recovery}"' in trace.text  # the trace links the recovery it was sent for
    page = client.get(recovery, headers={"Accept-Language": "es"})
    assert page.status_code == 200 and 'data-testid="recovery-traces"' in page.text
    assert f'href="/firearms/traces/{sent["id"]}"' in page.text and "Lone Star Guns" in page.text
    known = NAMES + ("Operativo Norte", "FGR-0001", "FGR-0002", "TLP:AMBER")
    assert english_words(listed.text, known) == [] and english_words(page.text, known) == []
    english = client.get(recovery)
    assert "Traces sent for it" in english.text and "resolved" in english.text
    for who in ("atf_tracer", "outsider"):
        client.cookies.clear()
        sign_in(client, who)
        html = client.get("/firearms/recoveries").text
        assert "FGR-000" not in html and "Culiac" not in html and "No recovered firearm you may see." in html
        never_path = "/firearms/recoveries/mx-fgr.fr00000000000000000000000000000000"
        never, hidden = client.get(never_path), client.get(recovery)
        assert hidden.status_code == never.status_code == 404
        assert hidden.text.replace(recovery, never_path) == never.text

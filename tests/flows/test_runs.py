"""Forecasts of the API in the background: 202 at once, progress to poll, one running per user, and a
run nobody but its starter reads (another user's answers as a missing one)."""

from __future__ import annotations

from binational import workers
from binational.flows import runs
from tests.flows import samples

API = "/api/v1/flows"


def test_a_forecast_run_answers_at_once_and_is_its_starters_alone(client, cast, upload, db):
    from sqlalchemy import select

    from binational.audit.models import AuditEntry
    from binational.db import act_as_system
    from tests.conftest import sequence_audit

    us = cast["us_analyst"]
    own = [samples.seasonal(f"cbp-run-{n}", 2019, 30, 300.0 + n) for n in range(2)]
    upload("us_analyst", samples.long_csv(*own), name="own.csv")
    upload("us_supervisor", samples.long_csv(samples.seasonal("cbp-run-red", 2019, 30, 50.0)), name="red.csv",
           marking="TLP:RED")
    r = client.post(f"{API}/forecasts", headers=us.headers, params={"horizon": 3})
    assert r.status_code == 202, r.text
    run = r.json()
    assert run["status"] == "running" and run["progress"]["total"] == 2 and run["series"] == []
    # one at a time per user (the worker is still starting: a process of its own)
    again = client.post(f"{API}/forecasts", headers=us.headers, params={"horizon": 3})
    assert again.status_code == 409 and again.json()["error"]["code"] == "conflict"
    # another user of the same agency, a partner: as for a run that does not exist
    missing = "0" * 32
    for member in (cast["us_supervisor"], cast["mx_analyst"]):
        hidden = client.get(f"{API}/forecasts/{run['id']}", headers=member.headers)
        absent = client.get(f"{API}/forecasts/{missing}", headers=member.headers)
        assert hidden.status_code == absent.status_code == 404
        assert hidden.text.replace(run["id"], "ID") == absent.text.replace(missing, "ID")
    # each probe is in the audit log, refused (the starter's agency is not told whose it was)
    sequence_audit(db)
    with db.session() as s:
        act_as_system(s)
        denied = s.execute(select(AuditEntry.actor_agency).where(AuditEntry.action == "flows.forecast_run",
                                                                 AuditEntry.decision == "deny")).scalars().all()
    assert sorted(denied) == ["MX-FGR", "MX-FGR", "US-CBP", "US-CBP"]
    assert workers.wait(run["id"], timeout=300)
    done = client.get(f"{API}/forecasts/{run['id']}", headers=us.headers).json()
    assert done["status"] == "finished", done
    assert sorted(s["key"] for s in done["series"]) == ["cbp-run-0", "cbp-run-1"]  # never the RED one
    assert done["summary"]["forecast"] == 2 and done["progress"] == {"done": 2, "total": 2}
    series = client.get(f"{API}/series/{done['series'][0]['id']}", headers=us.headers).json()
    assert series["forecast"] is not None


def test_the_dashboard_starts_a_run_whose_page_follows_it_in_both_languages(client, cast, upload, db, monkeypatch):
    from tests.web.conftest import sign_in
    from tests.web.test_spanish import english_words

    # The worker's own process is proved above; here the test works the run itself, when it chooses, so
    # the page is seen running first (and the suite spares a process start).
    started: list[str] = []
    monkeypatch.setattr(workers, "launch", lambda _settings, run_id, _execute, _kind: started.append(run_id))

    upload("us_analyst", samples.long_csv(samples.seasonal("cbp-page-run", 2019, 30, 700.0)), name="own.csv")
    csrf = sign_in(client, "us_analyst")
    assert 'data-testid="flows-forecast"' in client.get("/flows").text
    for horizon in ("99", "9" * 5000, "٣"):  # past 24, past the digits int() reads, not ASCII
        bad = client.post("/flows/forecasts", data={"csrf": csrf, "indicator": "cbp-page-run", "horizon": horizon})
        assert bad.status_code == 422 and 'id="e-forecast"' in bad.text
    r = client.post("/flows/forecasts", data={"csrf": csrf, "indicator": "cbp-page-run", "horizon": "3"},
                    follow_redirects=False)
    assert r.status_code == 303, r.text
    where = r.headers["location"]
    run_id = where.rsplit("/", 1)[1]
    page = client.get(where)
    assert page.status_code == 200 and f'hx-get="/flows/forecasts/{run_id}/progress"' in page.text
    busy = client.post("/flows/forecasts", data={"csrf": csrf, "indicator": "cbp-page-run", "horizon": "3"})
    assert busy.status_code == 409 and "still running" in busy.text
    assert started == [run_id] and runs.execute(db, run_id) == "finished"
    done = client.get(f"{where}/progress")
    assert "hx-get" not in done.text and "1 series forecast" in done.text and "cbp-page-run" in done.text
    client.post("/language", data={"lang": "es", "csrf": csrf, "next": where})
    spanish = client.get(where)
    assert "1 series pronosticadas" in spanish.text
    names = ("cbp-page-run", "U.S. Customs and Border Protection", "US-CBP")
    assert not english_words(spanish.text, names), english_words(spanish.text, names)
    # another user's run answers as a missing one
    sign_in(client, "mx_analyst")
    missing = "0" * 32
    hidden, absent = client.get(where), client.get(f"/flows/forecasts/{missing}")
    assert hidden.status_code == absent.status_code == 404  # the page names its own address only
    assert hidden.text.replace(run_id, "ID") == absent.text.replace(missing, "ID")


def test_a_run_whose_worker_died_reads_as_failed(client, cast, db, monkeypatch):
    from datetime import timedelta

    from sqlalchemy import update

    from binational.db import act_as_system, utcnow
    from binational.flows.models import FlowForecastRun

    monkeypatch.setattr(workers, "launch", lambda *_args: None)  # a worker that never beats
    us = cast["us_analyst"]
    run = client.post(f"{API}/forecasts", headers=us.headers, params={"horizon": 3}).json()
    with db.unit_of_work() as s:
        act_as_system(s)
        s.execute(update(FlowForecastRun).where(FlowForecastRun.id == run["id"])
                  .values(heartbeat_at=utcnow() - timedelta(hours=1)))
    read = client.get(f"{API}/forecasts/{run['id']}", headers=us.headers).json()
    assert read["status"] == "failed" and read["message"].startswith("interrupted"), read


def test_polls_of_a_running_run_are_audited_once_and_each_read_of_its_end_with_its_series(
    client, cast, upload, db, monkeypatch
):
    import json

    from sqlalchemy import select

    from binational.audit.models import AuditEntry
    from binational.db import act_as_system
    from tests.conftest import sequence_audit

    monkeypatch.setattr(workers, "launch", lambda *_args: None)  # the test works the run itself
    us = cast["us_analyst"]
    upload("us_analyst", samples.long_csv(samples.seasonal("cbp-poll-run", 2019, 30, 400.0)), name="poll.csv")
    run = client.post(f"{API}/forecasts", headers=us.headers, params={"horizon": 3, "indicator": "cbp-poll-run"})
    run_id = run.json()["id"]

    def entries(action: str) -> list[list[str]]:
        sequence_audit(db)
        with db.session() as s:
            act_as_system(s)
            found = s.execute(select(AuditEntry.entry).where(AuditEntry.action == action).order_by(AuditEntry.seq))
            named = [json.loads(entry)["objects"] for entry in found.scalars()]
        return [objects for objects in named if f"forecast-run:{run_id}" in objects]

    for _ in range(3):  # the page's polls while it runs
        assert client.get(f"{API}/forecasts/{run_id}", headers=us.headers).json()["status"] == "running"
    assert len(entries("flows.forecast.progress")) == 1
    before = len(entries("flows.forecast_run"))  # the start
    assert runs.execute(db, run_id) == "finished"
    for _ in range(2):
        done = client.get(f"{API}/forecasts/{run_id}", headers=us.headers).json()
        assert [s["key"] for s in done["series"]] == ["cbp-poll-run"]
    reads = entries("flows.forecast_run")[before:]
    assert len(reads) == 2 and all(f"flow-series:{done['series'][0]['id']}" in objects for objects in reads), reads
    assert len(entries("flows.forecast.progress")) == 1

"""Resolution in the background: a run starts at once, a worker ends it, its progress is node-wide,
other requests do not wait behind it, and a run whose worker died is never left running."""

from __future__ import annotations

import json
import time
from datetime import timedelta

from sqlalchemy import func, select
from typer.testing import CliRunner

from binational import workers
from binational.audit.models import AuditEntry
from binational.cli import app
from binational.db import act_as_system, utcnow
from binational.resolution import worker
from binational.resolution.models import ResolutionRun, Suggestion
from tests.conftest import sequence_audit
from tests.web.conftest import sign_in


def _runs(db) -> list[tuple[str, str]]:
    with db.session() as s:
        act_as_system(s)
        return [(r.id, r.status) for r in s.execute(select(ResolutionRun).order_by(ResolutionRun.started_at))
                .scalars()]


def test_partners_and_outsiders_see_a_runs_status_and_nothing_of_its_progress(client, cast, db, loaded):
    started = client.post("/api/v1/resolution/runs", json={"kinds": ["person"]}, headers=cast["admin"].headers)
    run_id = started.json()["id"]
    try:
        for who in ("us_analyst", "mx_analyst", "outsider"):
            seen = client.get(f"/api/v1/resolution/runs/{run_id}", headers=cast[who].headers).json()
            assert seen["message"] == "" and seen["summary"] is None and seen["progress"] is None
            assert set(seen) == {"id", "engine", "status", "message", "started_at", "finished_at", "summary",
                                 "progress"}
        sign_in(client, "mx_analyst")
        panel = client.get(f"/resolution/runs/{run_id}/progress")
        assert panel.status_code == 200
        assert "run-bar" not in panel.text and "run-step" not in panel.text and "records" not in panel.text
    finally:
        assert workers.wait(run_id, timeout=300)
    seen = client.get(f"/api/v1/resolution/runs/{run_id}", headers=cast["outsider"].headers).json()
    assert seen["status"] == "finished" and seen["message"] == "" and seen["summary"] is None
    node_wide = client.get(f"/api/v1/resolution/runs/{run_id}", headers=cast["admin"].headers).json()
    assert "records of" in node_wide["message"] and node_wide["progress"]["done"] == node_wide["progress"]["total"]
    missing = client.get("/api/v1/resolution/runs/nosuchrun", headers=cast["outsider"].headers)
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
    sequence_audit(db)  # every read of the run is audited, the progress panel's poll too
    with db.session() as s:
        act_as_system(s)
        reads = [json.loads(e) for e in s.execute(select(AuditEntry.entry).where(
            AuditEntry.action == "resolution.read").order_by(AuditEntry.seq)).scalars()]
    assert [(e["actor"], e["extra"]["run"]) for e in reads if e["decision"] == "allow"] == [
        (who, run_id) for who in ("us_analyst", "mx_analyst", "outsider", "mx_analyst", "outsider", "admin")]


def test_a_run_answers_at_once_and_other_requests_do_not_wait_behind_it(client, cast, db, loaded):
    admin = cast["admin"].headers
    clock = time.monotonic()
    started = client.post("/api/v1/resolution/runs", json={"kinds": ["person"]}, headers=admin)
    answered_in = time.monotonic() - clock
    assert started.status_code == 202 and started.json()["status"] == "running", started.text
    run_id = started.json()["id"]
    clock = time.monotonic()
    # a read and a write (its audit entry) while the worker reads and scores every record
    listed = client.get("/api/v1/entities?limit=5", headers=cast["us_analyst"].headers)
    made = client.post("/api/v1/entities", headers=cast["mx_analyst"].headers,
                       json={"schema": "Person", "properties": {"name": ["Ana Durante"]}})
    other_in = time.monotonic() - clock
    still_running = not workers.wait(run_id, timeout=0)
    again = client.post("/api/v1/resolution/runs", json={"kinds": ["person"]}, headers=admin)
    assert workers.wait(run_id, timeout=300)
    run_took = time.monotonic() - clock
    assert listed.status_code == 200 and made.status_code == 201
    assert still_running, "the run ended before the other requests were answered"
    assert answered_in < 2 and other_in < 2 and other_in < run_took / 2, (answered_in, other_in, run_took)
    # one run at a time: the second start was refused, and nothing of it written
    assert again.status_code == 409 and "one run at a time" in again.json()["error"]["message"]
    assert _runs(db) == [(run_id, "finished")]
    with db.session() as s:
        act_as_system(s)
        assert s.execute(select(func.count()).select_from(Suggestion)).scalar() > 0


def test_a_run_whose_worker_died_is_marked_failed_and_a_new_one_may_start(client, cast, db, settings):
    with db.unit_of_work() as s:  # a run its process never finished (a restart): its heartbeat went silent
        act_as_system(s)
        silent = utcnow() - timedelta(seconds=settings.resolution_run_stale_seconds + 1)
        s.add(ResolutionRun(id="dead", engine="duckdb", status="running", message="", kinds='["person"]',
                            started_at=silent, heartbeat_at=silent, summary="{}", models="{}"))
    seen = client.get("/api/v1/resolution/runs/dead", headers=cast["admin"].headers).json()
    assert seen["status"] == "failed" and "interrupted" in seen["message"] and seen["finished_at"]
    started = client.post("/api/v1/resolution/runs", json={"kinds": ["person"]}, headers=cast["admin"].headers)
    assert started.status_code == 202
    assert workers.wait(started.json()["id"], timeout=300)
    assert dict(_runs(db)) == {"dead": "failed", started.json()["id"]: "empty"}


def test_a_run_the_worker_cannot_do_is_failed_with_its_reason(db):
    with db.unit_of_work() as s:
        act_as_system(s)
        s.add(ResolutionRun(id="bad", engine="duckdb", status="running", message="", kinds='["planet"]',
                            started_at=utcnow(), heartbeat_at=utcnow(), summary="{}", models="{}"))
    assert worker.execute(db, "bad") == "failed"
    with db.session() as s:
        act_as_system(s)
        row = s.get(ResolutionRun, "bad")
        assert row is not None and row.status == "failed" and "unknown kind 'planet'" in row.message


def test_the_command_line_runs_with_a_progress_bar_and_watches_a_run(cast, db, loaded):
    runner = CliRunner()
    result = runner.invoke(app, ["resolution", "run", "--kind", "person"])
    assert result.exit_code == 0, result.output
    run_id = json.loads(json.dumps(_runs(db)))[-1][0]
    assert f"run {run_id} started" in result.output and f"run {run_id} finished" in result.output
    watched = runner.invoke(app, ["resolution", "watch", run_id])
    assert watched.exit_code == 0 and f"run {run_id} finished" in watched.output
    refused = runner.invoke(app, ["resolution", "run", "--kind", "planet"])
    assert refused.exit_code == 2 and "unknown kind 'planet'" in refused.output
    assert [r for r, _ in _runs(db)] == [run_id]


def test_the_page_follows_a_run_in_english_and_spanish(client, cast, db, loaded):
    from binational.access import service as access

    with db.unit_of_work() as s:
        act_as_system(s)
        access.get_user(session=s, username="admin").password_hash = access.hash_password("admin password")
    csrf = sign_in(client, "admin", "admin password")
    r = client.post("/resolution/runs", data={"csrf": csrf, "engine": "duckdb", "kinds": "person"},
                    follow_redirects=False)
    run_id = r.headers["location"].rsplit("=", 1)[1]
    try:
        page = client.get("/resolution", headers={"Accept-Language": "es"}).text
        assert f'hx-get="/resolution/runs/{run_id}/progress"' in page and 'hx-trigger="every 1s"' in page
        assert "Avance:" in page and 'data-testid="run-bar"' in page
        busy = client.post("/resolution/runs", data={"csrf": csrf, "engine": "duckdb", "kinds": "person"})
        assert busy.status_code == 409 and "one run at a time" in busy.text
    finally:
        assert workers.wait(run_id, timeout=300)
    ended = client.get(f"/resolution/runs/{run_id}/progress")
    assert ended.headers["HX-Refresh"] == "true" and "hx-trigger" not in ended.text
    shown = client.get(f"/resolution?run={run_id}").text
    assert "Finished" in shown and "hx-trigger" not in shown

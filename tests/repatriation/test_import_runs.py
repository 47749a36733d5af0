"""Imports of official series too large for one request run in the background: 202 with a run whose
progress the API and the page follow, all or nothing with the bad row's line and field, and a run
is its sender's alone (anyone else: 404, as for one that does not exist)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from binational import workers
from binational.access import service as access
from binational.audit.models import AuditEntry
from binational.config import get_settings
from binational.db import act_as_system, utcnow
from binational.repatriation import import_runs
from binational.repatriation.models import ImportRun
from tests.conftest import sequence_audit
from tests.repatriation.conftest import sign_in

API = "/api/v1"
SERIES = f"{API}/repatriation/series/dhs_repatriations_monthly_citizenship"
#: a sheet past the inline size the tests set (200 bytes)
SHEET = "Fiscal Year,Month,Citizenship,Quantity\n" + "".join(
    f"{2000 + n},01 October,Country {n},{n + 1}\n" for n in range(40))


@pytest.fixture
def small_inline(monkeypatch):
    """Files over 200 bytes go to the background; the tests work the run in their own process when
    they choose (test_the_worker_process proves the worker's own)."""
    monkeypatch.setenv("BINATIONAL_REPATRIATION_IMPORT_INLINE_BYTES", "200")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_a_large_file_imports_in_the_background_with_its_progress(db, client, parties, small_inline, monkeypatch):
    monkeypatch.setattr(workers, "launch", lambda *_args: None)
    ice = {**parties["ice"].headers, "Content-Type": "text/csv"}
    r = client.post(f"{API}/repatriation/imports/khsm?source=big.csv", headers=ice, content=SHEET.encode())
    assert r.status_code == 202, r.text
    run = r.json()
    assert run["status"] == "running" and run["source"] == "big.csv" and run["result"] is None
    assert client.get(SERIES, headers=ice).json() == []  # nothing yet
    again = client.post(f"{API}/repatriation/imports/khsm", headers=ice, content=SHEET.encode())
    assert again.status_code == 409  # one running import per user
    assert import_runs.execute(db, run["id"]) == "finished"
    done = client.get(f"{API}/repatriation/imports/runs/{run['id']}", headers=ice).json()
    assert done["status"] == "finished" and done["progress"] == {"done": 40, "total": 40}
    assert done["result"] == {"series": "dhs_repatriations_monthly_citizenship", "rows": 40,
                              "total": sum(range(1, 41))}
    assert len(client.get(SERIES, headers=ice).json()) == 40
    # a small file still imports within the request
    small = "Fiscal Year,Month,Citizenship,Quantity\n2024,01 October,Mexico,7\n"
    assert client.post(f"{API}/repatriation/imports/khsm", headers=ice, content=small.encode()).status_code == 201


def test_a_bad_row_of_a_large_file_is_named_and_nothing_is_imported(db, client, parties, small_inline, monkeypatch):
    monkeypatch.setattr(workers, "launch", lambda *_args: None)
    ice = {**parties["ice"].headers, "Content-Type": "text/csv"}
    bad = SHEET.replace("2030,01 October,Country 30,31", "2030,01 October,Country 30,many")
    r = client.post(f"{API}/repatriation/imports/khsm?source=bad.csv", headers=ice, content=bad.encode())
    assert r.status_code == 202
    assert import_runs.execute(db, r.json()["id"]) == "failed"
    failed = client.get(f"{API}/repatriation/imports/runs/{r.json()['id']}", headers=ice).json()
    assert failed["status"] == "failed" and failed["message"].startswith("line 32: Quantity")
    assert failed["details"] == [{"line": 32, "field": "Quantity"}] and failed["result"] is None
    assert client.get(SERIES, headers=ice).json() == []
    # an unknown kind, or a reader who may not import, is refused before any run is recorded
    assert client.post(f"{API}/repatriation/imports/nothing", headers=ice, content=SHEET.encode()).status_code == 422
    sre = {**parties["sre"].headers, "Content-Type": "text/csv"}
    assert client.post(f"{API}/repatriation/imports/khsm", headers=sre, content=SHEET.encode()).status_code == 403


def test_a_run_is_its_senders_alone(db, client, parties, small_inline, monkeypatch):
    """Another user of the same agency (an auditor), the receiver, the consulate: the run answers as
    one that does not exist, and each probe is audited as refused."""
    monkeypatch.setattr(workers, "launch", lambda *_args: None)
    ice = {**parties["ice"].headers, "Content-Type": "text/csv"}
    run = client.post(f"{API}/repatriation/imports/khsm?source=Secret-Name.csv", headers=ice,
                      content=SHEET.encode()).json()
    import_runs.execute(db, run["id"])
    missing = "0" * 32
    for who in ("ice_auditor", "inm", "sre"):
        hidden = client.get(f"{API}/repatriation/imports/runs/{run['id']}", headers=parties[who].headers)
        absent = client.get(f"{API}/repatriation/imports/runs/{missing}", headers=parties[who].headers)
        # who may not import is refused the action whatever the id (403); who may is told it does not exist
        assert hidden.status_code == absent.status_code == (404 if who == "inm" else 403)
        assert hidden.text.replace(run["id"], "ID") == absent.text.replace(missing, "ID")
        assert "Secret-Name" not in hidden.text
    sequence_audit(db)
    with db.session() as s:
        act_as_system(s)
        denied = s.execute(select(AuditEntry.actor_agency).where(
            AuditEntry.action == "repatriation.import_run", AuditEntry.decision == "deny")).scalars().all()
    assert {"MX-INM", "MX-SRE", "US-ICE"} <= set(denied) and len(denied) == 6, denied


def test_the_page_follows_the_run_in_both_languages(db, client, web_parties, small_inline, monkeypatch):
    monkeypatch.setattr(workers, "launch", lambda *_args: None)
    sign_in(client, "ice")
    token = re.search(r'name="csrf" value="([^"]+)"', client.get("/repatriation/import").text).group(1)
    r = client.post("/repatriation/import", data={"csrf": token, "kind": "khsm"},
                    files={"file": ("big.csv", SHEET.encode(), "text/csv")}, headers={"Accept-Language": "es-MX"})
    assert r.status_code == 202 and 'data-testid="import-run"' in r.text and "every 1s" in r.text
    assert "Importando en segundo plano" in r.text
    run_id = re.search(r"/repatriation/import/runs/([0-9a-f]{32})/progress", r.text).group(1)
    running = client.get(f"/repatriation/import/runs/{run_id}/progress")
    assert running.status_code == 200 and 'id="import-run-bar"' in running.text
    import_runs.execute(db, run_id)
    for lang, words in (("en", "Imported 40 rows from big.csv"), ("es-MX", "Se importaron 40 filas de big.csv")):
        done = client.get(f"/repatriation/import/runs/{run_id}/progress", headers={"Accept-Language": lang})
        assert done.status_code == 200 and words in done.text and "every 1s" not in done.text
    page = client.get(f"/repatriation/import/runs/{run_id}")
    assert page.status_code == 200 and 'data-testid="imported"' in page.text
    # a bad file's refusal names the line in the visitor's language
    bad = SHEET.replace("2030,01 October,Country 30,31", "2030,01 October,Country 30,many")
    r = client.post("/repatriation/import", data={"csrf": token, "kind": "khsm"},
                    files={"file": ("bad.csv", bad.encode(), "text/csv")})
    run_id = re.search(r"/repatriation/import/runs/([0-9a-f]{32})/progress", r.text).group(1)
    import_runs.execute(db, run_id)
    failed = client.get(f"/repatriation/import/runs/{run_id}/progress", headers={"Accept-Language": "es-MX"})
    assert 'data-testid="import-error"' in failed.text and "32" in failed.text and "No se importó nada" in failed.text


def test_the_worker_process_imports_a_file_past_the_inline_size(db, client, parties):
    """ICE Air flights past the default inline size (64 KB) through the API: 202 at once, then the
    worker's own process imports them all."""
    header = ",MissionDate,CountryOfCitizenship,R-T,PULOC,DropLoc,AlienMasterIDCount,MissionIDCount,JuvenileCount\n"
    rows = "".join(f"{n},2017-{1 + n % 12:02d}-{1 + n % 28:02d},MEXICO,R,KELP,MMMX,{100 + n % 35},1,0.0\n"
                   for n in range(1_500))
    body = (header + rows).encode()
    assert len(body) > get_settings().repatriation_import_inline_bytes
    ice = {**parties["ice"].headers, "Content-Type": "text/csv"}
    r = client.post(f"{API}/repatriation/imports/ice-air?source=flights.csv", headers=ice, content=body)
    assert r.status_code == 202, r.text
    assert workers.wait(r.json()["id"], timeout=300)
    done = client.get(f"{API}/repatriation/imports/runs/{r.json()['id']}", headers=ice).json()
    assert done["status"] == "finished", done
    assert done["result"]["rows"] == 1_500 and done["progress"]["done"] == 1_500


def test_a_silent_import_fails_for_its_sender_only_its_bytes_cleared(db, client, parties, small_inline, monkeypatch):
    monkeypatch.setattr(workers, "launch", lambda *_args: None)
    with db.unit_of_work() as s:
        act_as_system(s)
        user = access.add_user(session=s, username="ice2", agency="US-ICE", roles=["supervisor"],
                               clearance="TLP:AMBER", password=None)
        _row, secret = access.create_token(session=s, user=user, days=30)
    senders = [{**parties["ice"].headers, "Content-Type": "text/csv"},
               {"Authorization": f"Bearer {secret}", "Content-Type": "text/csv"}]
    mine, theirs = (client.post(f"{API}/repatriation/imports/khsm", headers=h, content=SHEET.encode()).json()["id"]
                    for h in senders)
    with db.unit_of_work() as s:  # both workers died a while ago
        act_as_system(s)
        s.execute(update(ImportRun).values(heartbeat_at=utcnow() - timedelta(days=1)))
    read = client.get(f"{API}/repatriation/imports/runs/{mine}", headers=senders[0]).json()
    assert read["status"] == "failed" and read["message"].startswith("interrupted") and read["finished_at"]
    with db.session() as s:
        act_as_system(s)
        assert s.get(ImportRun, mine).data is None
        other = s.get(ImportRun, theirs)
        assert other.status == "running" and other.data == SHEET.encode()  # its own sender's to find
    again = client.post(f"{API}/repatriation/imports/khsm", headers=senders[0], content=SHEET.encode())
    assert again.status_code == 202  # the silent run holds no one up

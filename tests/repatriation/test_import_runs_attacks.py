"""Attacks on the background imports of official series: a colleague of the sender's own agency who
may import too, a partner on the run's pages, odd run ids and file names (4xx in the one JSON error
shape, never a 500), a sender disabled or moved to a role that may not import before the worker runs
(nothing imported in their name), and the run's end in the audit of the sender's agency alone."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from binational import workers
from binational.access import service as access
from binational.access.models import User
from binational.config import get_settings
from binational.db import act_as_system
from binational.repatriation import import_runs
from binational.repatriation.models import ImportRun, OfficialFigure
from tests.conftest import sequence_audit
from tests.repatriation.conftest import sign_in

API = "/api/v1"
SHEET = "Fiscal Year,Month,Citizenship,Quantity\n" + "".join(
    f"{2000 + n},01 October,Country {n},{n + 1}\n" for n in range(40))


@pytest.fixture
def small_inline(monkeypatch):
    """Files over 200 bytes go to the background; the test works the run itself."""
    monkeypatch.setenv("BINATIONAL_REPATRIATION_IMPORT_INLINE_BYTES", "200")
    monkeypatch.setattr(workers, "launch", lambda *_args: None)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def _runs(db) -> int:
    with db.session() as s:
        act_as_system(s)
        return s.execute(select(func.count()).select_from(ImportRun)).scalar_one()


def test_a_colleague_who_may_import_too_gets_the_answer_of_a_missing_run(db, client, parties, small_inline):
    with db.unit_of_work() as s:
        act_as_system(s)
        user = access.add_user(session=s, username="ice2", agency="US-ICE", roles=["supervisor"],
                               clearance="TLP:AMBER", password=None)
        _row, secret = access.create_token(session=s, user=user, days=30)
    colleague = {"Authorization": f"Bearer {secret}"}
    ice = {**parties["ice"].headers, "Content-Type": "text/csv"}
    run = client.post(f"{API}/repatriation/imports/khsm?source=Secret-Name.csv", headers=ice,
                      content=SHEET.encode()).json()
    import_runs.execute(db, run["id"])
    missing = "f" * 32
    hidden = client.get(f"{API}/repatriation/imports/runs/{run['id']}", headers=colleague)
    absent = client.get(f"{API}/repatriation/imports/runs/{missing}", headers=colleague)
    assert hidden.status_code == absent.status_code == 404
    assert hidden.text.replace(run["id"], "ID") == absent.text.replace(missing, "ID")
    # the colleague's own import is not held up by the sender's running one, nor told of it
    body = {**colleague, "Content-Type": "text/csv"}
    assert client.post(f"{API}/repatriation/imports/khsm", headers=body, content=SHEET.encode()).status_code == 202


@pytest.mark.parametrize("run_id", ["%00", "a%00b", "%E2%80%AE" * 3, "..%2F..%2Fetc", "-1", "%F0%9F%92%A3", "x" * 32])
def test_odd_run_ids_answer_4xx_in_the_one_shape(db, client, parties, run_id):
    r = client.get(f"{API}/repatriation/imports/runs/{run_id}", headers=parties["ice"].headers)
    # a NUL is refused by the middleware before any route (422); anything else is a run that does not exist
    assert r.status_code == (422 if "%00" in run_id else 404), r.text
    assert set(r.json()) == {"error"} and r.headers["content-type"].startswith("application/json")


def test_a_run_id_too_long_is_refused_in_the_one_shape(db, client, parties):
    r = client.get(f"{API}/repatriation/imports/runs/{'a' * 33}", headers=parties["ice"].headers)
    assert r.status_code == 422 and "error" in r.json()


@pytest.mark.parametrize("source", ["a%00b.csv", "%E2%80%AEvsc.exe", "x" * 101])
def test_odd_file_names_record_no_run_or_are_kept_as_sent(db, client, parties, small_inline, source):
    ice = {**parties["ice"].headers, "Content-Type": "text/csv"}
    r = client.post(f"{API}/repatriation/imports/khsm?source={source}", headers=ice, content=SHEET.encode())
    assert r.status_code in (202, 422), r.text
    if r.status_code == 422:
        assert "error" in r.json() and _runs(db) == 0
    else:
        assert "\x00" not in r.json()["source"]


def test_a_file_name_with_a_nul_on_the_page_records_no_run(db, client, web_parties, small_inline):
    sign_in(client, "ice")
    token = re.search(r'name="csrf" value="([^"]+)"', client.get("/repatriation/import").text).group(1)
    r = client.post("/repatriation/import", data={"csrf": token, "kind": "khsm"},
                    files={"file": ("a\x00b.csv", SHEET.encode(), "text/csv")})
    assert r.status_code in (202, 422), r.text[:300]


def test_another_users_run_page_answers_as_a_missing_one(db, client, web_parties, small_inline):
    ice = {**web_parties["ice"].headers, "Content-Type": "text/csv"}
    run = client.post(f"{API}/repatriation/imports/khsm?source=Secret-Name.csv", headers=ice,
                      content=SHEET.encode()).json()
    sign_in(client, "inm")
    for path in (f"/repatriation/import/runs/{run['id']}", f"/repatriation/import/runs/{run['id']}/progress"):
        hidden = client.get(path)
        absent = client.get(path.replace(run["id"], "0" * 32))
        assert hidden.status_code == absent.status_code == 404
        assert "Secret-Name" not in hidden.text
        assert hidden.text.replace(run["id"], "ID") == absent.text.replace("0" * 32, "ID")


@pytest.mark.parametrize("change", ["deactivated", "now an auditor"])
def test_a_run_whose_sender_lost_the_right_since_imports_nothing(db, client, parties, small_inline, change):
    """Disabled, or moved to a role that may not import, between the upload and the worker: the run
    fails and nothing is written in the sender's name."""
    ice = {**parties["ice"].headers, "Content-Type": "text/csv"}
    run = client.post(f"{API}/repatriation/imports/khsm", headers=ice, content=SHEET.encode()).json()
    with db.unit_of_work() as s:
        act_as_system(s)
        user = s.execute(select(User).where(User.username == "ice")).scalar_one()
        if change == "deactivated":
            user.active = False
        else:
            user.roles = "auditor"
    assert import_runs.execute(db, run["id"]) == "failed"
    with db.session() as s:
        act_as_system(s)
        assert s.execute(select(func.count()).select_from(OfficialFigure)).scalar_one() == 0
        ended = s.get(ImportRun, run["id"])
        assert ended.status == "failed" and ended.data is None and "nothing was imported" in ended.message


def test_the_end_of_a_run_is_in_the_senders_agency_audit_only(db, client, parties, small_inline):
    ice = {**parties["ice"].headers, "Content-Type": "text/csv"}
    run = client.post(f"{API}/repatriation/imports/khsm", headers=ice, content=SHEET.encode()).json()
    assert import_runs.execute(db, run["id"]) == "finished"
    sequence_audit(db)
    seen = {}
    for who in ("ice_auditor", "inm_auditor"):
        r = client.get(f"{API}/audit", params={"action": "repatriation.import_run"}, headers=parties[who].headers)
        assert r.status_code == 200, r.text
        seen[who] = r.json()["items"]
    ended = [e for e in seen["ice_auditor"] if e["actor"] == "system"]
    assert len(ended) == 1 and f"import-run:{run['id']}" in ended[0]["objects"], seen["ice_auditor"]
    assert seen["inm_auditor"] == []


def test_the_page_says_a_second_import_and_a_stopped_run_in_spanish(db, client, web_parties, small_inline):
    sign_in(client, "ice")
    token = re.search(r'name="csrf" value="([^"]+)"', client.get("/repatriation/import").text).group(1)
    es = {"Accept-Language": "es-MX"}
    first = client.post("/repatriation/import", data={"csrf": token, "kind": "khsm"},
                        files={"file": ("a.csv", SHEET.encode(), "text/csv")}, headers=es)
    run_id = re.search(r"/repatriation/import/runs/([0-9a-f]{32})/progress", first.text).group(1)
    second = client.post("/repatriation/import", data={"csrf": token, "kind": "khsm"},
                         files={"file": ("b.csv", SHEET.encode(), "text/csv")}, headers=es)
    assert second.status_code == 409 and "Una importación suya sigue en curso" in second.text
    assert run_id not in second.text  # the page names no run id: the user follows the first on its page
    with db.unit_of_work() as s:  # its worker died a while ago
        act_as_system(s)
        s.get(ImportRun, run_id).heartbeat_at = s.get(ImportRun, run_id).started_at.replace(year=2000)
    stopped = client.get(f"/repatriation/import/runs/{run_id}/progress", headers=es)
    assert "Interrumpida" in stopped.text and "nothing" not in stopped.text

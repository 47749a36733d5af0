"""Attacks on discovery (issue 12, findings 2 and 3), replayed as the hostile users who found them.

A third-country analyst (`outsider`, GT-PNC) or a partner analyst guesses values of records kept from
it: a birth date by trying every day of some years with the name, a phone number by trying every
last four digits. Discovery must stop it at the limits (429 with Retry-After, counted in the
database), tell the holders about the sweep without telling the searcher, name the searching agency
to the holder's auditors, and never answer TLP:RED or restricted-case records as hits (their owner
gets a deconfliction notice; the searcher sees exactly a miss).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from binational.access import service as access
from binational.access.policy import Resource, may_answer_as_hit
from binational.cli import app
from binational.config import get_settings
from binational.db import act_as, act_as_system
from binational.entities.models import Entity
from binational.requests.models import HitRef, Notification, Request
from binational.resolution.service import discoverable
from tests.web.conftest import sign_in

API = "/api/v1"
SECRET_BIRTH = "1987-05-14"
SECRET_PHONE = "+525512345678"


@pytest.fixture
def limits(monkeypatch: pytest.MonkeyPatch, settings) -> Iterator[Any]:  # noqa: ANN001
    """Set discovery and request limits for one test (the node reads them from the environment)."""

    def set_(**values: int) -> None:
        for name, value in values.items():
            monkeypatch.setenv(f"BINATIONAL_{name.upper()}", str(value))
        get_settings.cache_clear()

    yield set_
    get_settings.cache_clear()


def _entity(client, cast, who: str, properties: dict[str, Any], **policy: Any) -> str:  # noqa: ANN001
    r = client.post(f"{API}/entities", headers=cast[who].headers,
                    json={"schema": "Person", "properties": properties, **policy})
    assert r.status_code == 201, r.text
    return r.json()["id"]


def _search(client, cast, who: str, selectors: list[dict[str, Any]]) -> Any:  # noqa: ANN001
    return client.post(f"{API}/discovery", headers=cast[who].headers, json={"selectors": selectors})


def _count(db, model: Any) -> int:  # noqa: ANN001, ANN401
    """Rows of a table, counted as the node (row-level security shows a session with no viewer nothing)."""
    with db.unit_of_work() as s:
        act_as_system(s)
        return int(s.execute(select(func.count()).select_from(model)).scalar_one())


def _dates(start: date, days: int) -> list[dict[str, Any]]:
    return [{"type": "name_birth", "value": "Lucía Fernanda Ortega Ruiz",
             "birth_date": (start + timedelta(days=i)).isoformat()} for i in range(days)]


def _kept_to_fgr(client, cast) -> str:  # noqa: ANN001
    """The record of the attack: a person MX-FGR keeps to itself, with a birth date and a phone."""
    return _entity(client, cast, "mx_analyst", {"name": ["Lucía Fernanda Ortega Ruiz"], "birthDate": [SECRET_BIRTH],
                                                "phone": [SECRET_PHONE]}, distribution="agency")


def _assert_limited(r: Any, limit: str, maximum: int, window: int) -> None:  # noqa: ANN401
    assert r.status_code == 429, r.text
    retry = int(r.headers["Retry-After"])
    assert 1 <= retry <= window
    assert r.json() == {"error": {"code": "rate_limited", "message": r.json()["error"]["message"],
                                  "details": [{"limit": limit, "max": maximum, "retry_after": retry}]}}


def test_birth_date_oracle_stops_at_the_per_user_limit(client, cast, limits, db) -> None:  # noqa: ANN001
    _kept_to_fgr(client, cast)
    limits(discovery_user_per_minute=600)
    guesses = _dates(date(1985, 1, 1), 3 * 365)  # 1985..1987: the secret is guess 863
    first = _search(client, cast, "outsider", guesses[:500])
    assert first.status_code == 200 and not any(r["hit"] for r in first.json()["results"])
    refs = _count(db, HitRef)
    second = _search(client, cast, "outsider", guesses[500:1000])
    _assert_limited(second, "discovery_user_per_minute", 600, 60)
    assert SECRET_BIRTH not in second.text
    assert _count(db, HitRef) == refs  # the refused call wrote nothing
    # Smaller calls do not get round it: the count is over the window, not per call.
    assert _search(client, cast, "outsider", guesses[500:600]).status_code == 200
    _assert_limited(_search(client, cast, "outsider", guesses[600:601]), "discovery_user_per_minute", 600, 60)


def test_phone_oracle_stops_at_the_per_user_daily_limit(client, cast, limits) -> None:  # noqa: ANN001
    _kept_to_fgr(client, cast)
    limits(discovery_user_per_day=250)
    guesses = [{"type": "phone", "value": f"+52551234{n:04d}"} for n in range(5000, 10_000)]  # secret: 5678
    answers = [_search(client, cast, "mx_inm", guesses[i:i + 100]) for i in range(0, 300, 100)]
    assert [r.status_code for r in answers[:2]] == [200, 200]
    _assert_limited(answers[2], "discovery_user_per_day", 250, 86_400)
    assert not any(r["hit"] for a in answers[:2] for r in a.json()["results"])


def test_the_agency_daily_limit_holds_across_two_users(client, cast, limits) -> None:  # noqa: ANN001
    limits(discovery_agency_per_day=150)
    batch = [{"type": "document", "value": f"Q{n:07d}"} for n in range(100)]
    assert _search(client, cast, "us_analyst", batch).status_code == 200
    _assert_limited(_search(client, cast, "us_supervisor", batch), "discovery_agency_per_day", 150, 86_400)
    # Another agency has its own count.
    assert _search(client, cast, "mx_analyst", batch).status_code == 200


def test_the_limit_is_one_line_and_exit_2_on_the_command_line(client, cast, limits, tmp_path) -> None:  # noqa: ANN001
    limits(discovery_user_per_minute=5)
    path = tmp_path / "guesses.csv"
    path.write_text("type,value\n" + "".join(f"document,Z{n:07d}\n" for n in range(6)), encoding="utf-8")
    result = CliRunner().invoke(app, ["discovery", "check", str(path), "--as", "mx_analyst"])
    assert result.exit_code == 2
    assert result.stderr.startswith("error: discovery: you may search at most 5 selectors in a minute")
    assert len(result.stderr.strip().splitlines()) == 1


def test_the_limit_on_the_web_page_is_429_with_retry_after(client, cast, limits) -> None:  # noqa: ANN001
    csrf = sign_in(client, "us_analyst")
    limits(discovery_user_per_minute=2)
    r = client.post("/discovery", data={"csrf": csrf, "selectors": "document,A1234567\ndocument,B1234567\n"})
    assert r.status_code == 200
    r = client.post("/discovery", data={"csrf": csrf, "selectors": "document,C1234567\n"})
    assert r.status_code == 429 and 1 <= int(r.headers["Retry-After"]) <= 60
    assert "text/html" in r.headers["content-type"] and "2 selectors" in r.text


def test_a_refused_call_is_audited_as_a_denial(client, cast, limits) -> None:  # noqa: ANN001
    limits(discovery_user_per_minute=1)
    two = [{"type": "document", "value": "A1234567"}, {"type": "email", "value": "x@example.org"}]
    assert _search(client, cast, "us_analyst", two).status_code == 429
    view = client.get(f"{API}/audit?action=discovery.search", headers=cast["us_auditor"].headers).json()
    denied = [(e["decision"], e["reason"]) for e in view["items"]]
    assert denied == [("deny", "rate limited: discovery_user_per_minute")]


def test_a_sweep_is_told_to_the_holder_and_not_to_the_searcher(client, cast, db) -> None:  # noqa: ANN001
    person = _kept_to_fgr(client, cast)
    guesses = _dates(date(1987, 1, 1), 365)
    r = _search(client, cast, "us_analyst", guesses)
    assert r.status_code == 200
    results = r.json()["results"]
    # The one guess that matches is a bare hit, as it always was; the answer carries no word of the flag.
    assert [x["index"] for x in results if x["hit"]] == [133]
    assert set(r.json()) == {"results"} and all(set(x) == {"index", "type", "normalised", "hit", "matches", "hits"}
                                                 for x in results)
    # The holder's auditor sees the sweep, by which agency, on which record; never the values.
    view = client.get(f"{API}/audit?action=discovery.sweep", headers=cast["mx_auditor"].headers)
    [entry] = view.json()["items"]
    assert (entry["agency"], entry["objects"]) == ("US-CBP", [person])
    assert "1987" not in view.text and "Ortega" not in view.text.replace(person, "")
    [notice] = client.get(f"{API}/discovery/notices", headers=cast["mx_auditor"].headers).json()["items"]
    assert (notice["kind"], notice["from_agency"], notice["entity_ids"], notice["selectors"]) == (
        "sweep", "US-CBP", [person], 365)
    # The searcher, its supervisor and its auditor see nothing of it.
    for who in ("us_analyst", "us_supervisor", "us_auditor"):
        assert client.get(f"{API}/discovery/notices", headers=cast[who].headers).json()["items"] == []
    us_view = client.get(f"{API}/audit", headers=cast["us_auditor"].headers)
    assert person not in us_view.text
    assert not {e["action"] for e in us_view.json()["items"]} & {"discovery.sweep", "discovery.hit"}
    # An analyst of the holder (no audit, no answering role) does not read the notices either.
    assert client.get(f"{API}/discovery/notices", headers=cast["mx_analyst"].headers).json()["items"] == []
    # Told once per sweep: more guesses of the same shape add no second notice.
    assert _search(client, cast, "us_analyst", _dates(date(1988, 1, 1), 60)).status_code == 200
    assert len(client.get(f"{API}/discovery/notices", headers=cast["mx_auditor"].headers).json()["items"]) == 1


def test_a_sweep_across_calls_is_told_too(client, cast) -> None:  # noqa: ANN001
    person = _kept_to_fgr(client, cast)
    for start in range(5600, 5700, 20):  # five calls of twenty: each under the threshold of 50
        batch = [{"type": "phone", "value": f"+52551234{n:04d}"} for n in range(start, start + 20)]
        assert _search(client, cast, "outsider", batch).status_code == 200
    [notice] = client.get(f"{API}/discovery/notices", headers=cast["mx_auditor"].headers).json()["items"]
    assert (notice["kind"], notice["from_agency"], notice["entity_ids"]) == ("sweep", "GT-PNC", [person])


def test_the_holders_auditor_sees_which_agency_searched(client, cast) -> None:  # noqa: ANN001
    person = _kept_to_fgr(client, cast)
    r = _search(client, cast, "outsider", [{"type": "phone", "value": SECRET_PHONE}])
    assert [h["agency"] for h in r.json()["results"][0]["hits"]] == ["MX-FGR"]
    view = client.get(f"{API}/audit?action=discovery.hit", headers=cast["mx_auditor"].headers)
    [entry] = view.json()["items"]
    assert (entry["actor"], entry["agency"], entry["objects"]) == ("outsider", "GT-PNC", [person])
    saw = client.get(f"{API}/audit/who-saw/{person}", headers=cast["mx_auditor"].headers)
    assert [(e["agency"], e["action"]) for e in saw.json()["items"]] == [("GT-PNC", "discovery.hit")]
    for text in (view.text, saw.text):
        assert "5512345678" not in text and "+52" not in text


def _case_record(client, cast, db) -> str:  # noqa: ANN001
    with db.unit_of_work() as s:
        owner = access.actor_for(session=s, user=access.get_user(session=s, username="us_analyst"))
        act_as(s, owner)
        access.create_case(session=s, actor=owner, case_id="cbp-op", title="an operation")
    return _entity(client, cast, "us_analyst", {"name": ["Case Person"], "passportNumber": ["C5544332"]},
                   case_id="cbp-op", distribution="release", release_to=["MX-FGR"])


def test_red_and_restricted_records_answer_exactly_as_a_miss(client, cast, db) -> None:  # noqa: ANN001
    red_doc = [{"type": "document", "value": "R9988776"}]
    case_doc = [{"type": "document", "value": "C5544332"}]
    red_value = [{"type": "phone", "value": "+12025550147"}]
    before = [_search(client, cast, "mx_analyst", s).content for s in (red_doc, case_doc, red_value)]
    red = _entity(client, cast, "us_supervisor", {"name": ["Red Person"], "passportNumber": ["R9988776"]},
                  marking="TLP:RED")
    case = _case_record(client, cast, db)
    shared = _entity(client, cast, "us_analyst", {"name": ["Shared Person"]}, distribution="release",
                     release_to=["MX-FGR"])
    r = client.patch(f"{API}/entities/{shared}", headers=cast["us_supervisor"].headers,
                     json={"add": {"phone": ["+12025550147"]}, "marking": "TLP:RED"})
    assert r.status_code == 200, r.text
    after = [_search(client, cast, "mx_analyst", s).content for s in (red_doc, case_doc, red_value)]
    assert after == before  # byte for byte: no hit, no hit_ref, nothing to ask about
    assert _count(db, HitRef) == 0
    # The owner's supervisor gets the deconfliction notices, and decides whether to reach out.
    items = client.get(f"{API}/discovery/notices", headers=cast["us_supervisor"].headers).json()["items"]
    assert sorted((n["kind"], n["from_agency"], tuple(n["entity_ids"])) for n in items) == sorted(
        ("deconfliction", "MX-FGR", (eid,)) for eid in (red, case, shared))
    # Audited for the owner's auditors, who see which agency searched; the searcher's see none of it.
    view = client.get(f"{API}/audit?action=discovery.withheld", headers=cast["us_auditor"].headers).json()
    assert sorted(o for e in view["items"] for o in e["objects"]) == sorted((red, case, shared))
    assert {e["agency"] for e in view["items"]} == {"MX-FGR"}
    mx_view = client.get(f"{API}/audit", headers=cast["mx_auditor"].headers)
    for eid in (red, case, shared):
        assert eid not in mx_view.text
    assert "discovery.withheld" not in mx_view.text
    for who in ("mx_analyst", "admin"):  # the searcher, and the owner's administrator (no audit, no answering)
        assert client.get(f"{API}/discovery/notices", headers=cast[who].headers).json()["items"] == []
    # A third agency cannot ask about them either: a request needs a hit_ref, and none was issued.
    assert _count(db, Request) == 0


def test_resolution_and_discovery_use_the_same_rule(client, cast, db) -> None:  # noqa: ANN001
    red = _entity(client, cast, "us_supervisor", {"name": ["Red Person"]}, marking="TLP:RED")
    case = _case_record(client, cast, db)
    plain = _entity(client, cast, "us_analyst", {"name": ["Plain Person"]})
    with db.unit_of_work() as s:
        act_as_system(s)
        rows = {e.id: e for e in s.execute(select(Entity).where(Entity.id.in_([red, case, plain]))).scalars()}
        assert {eid: discoverable(e) for eid, e in rows.items()} == {
            eid: bool(may_answer_as_hit(Resource.of(e))) for eid, e in rows.items()} == {
            red: False, case: False, plain: True}


def test_requests_per_user_per_hour_are_capped(client, cast, limits, db) -> None:  # noqa: ANN001
    limits(requests_per_user_hour=2)
    body = {"type": "information", "to_agency": "US-CBP", "question": "Anything on this person?"}
    assert [client.post(f"{API}/requests", headers=cast["mx_analyst"].headers, json=body).status_code
            for _ in range(2)] == [201, 201]
    notices = _count(db, Notification)
    assert notices == 2  # US-CBP's supervisor was told of each: the inbox a flood would fill
    r = client.post(f"{API}/requests", headers=cast["mx_analyst"].headers, json=body)
    _assert_limited(r, "requests_per_user_hour", 2, 3600)
    assert (_count(db, Notification), _count(db, Request)) == (notices, 2)
    # Each user has its own count.
    assert client.post(f"{API}/requests", headers=cast["mx_inm"].headers, json=body).status_code == 201


def test_long_names_are_refused_and_a_maximal_call_stays_fast(client, cast) -> None:  # noqa: ANN001
    seventy = " ".join(f"{chr(97 + i % 26)}{chr(97 + i // 26)}" for i in range(70))
    r = _search(client, cast, "outsider", [{"type": "name_birth", "value": seventy, "birth_date": "1980-01-01"}])
    assert r.status_code == 422 and r.json()["error"]["details"] == [{"field": "selectors.0.value"}]
    _kept_to_fgr(client, cast)
    eight = "Lucía Fernanda Ortega Ruiz Maria Jose Antonia Beatriz"
    batch = [{"type": "name_birth", "value": eight, "birth_date": (date(1984, 1, 1) + timedelta(days=i)).isoformat()}
             for i in range(1000)]
    r = _search(client, cast, "outsider", batch)
    assert r.status_code == 200
    assert json.loads(r.content)["results"][-1]["index"] == 999


def test_the_holder_reads_the_notices_on_the_web_and_the_searcher_finds_none(client, cast, db) -> None:  # noqa: ANN001
    red = _entity(client, cast, "us_supervisor", {"name": ["Red Person"], "passportNumber": ["R9988776"]},
                  marking="TLP:RED")
    with db.unit_of_work() as s:  # both may sign in on the web
        act_as_system(s)
        for who in ("outsider", "us_supervisor"):
            access.get_user(session=s, username=who).password_hash = access.hash_password(f"{who} pw")
    assert _search(client, cast, "outsider", [{"type": "document", "value": "R9988776"}]).status_code == 200
    sign_in(client, "outsider", "outsider pw")
    page = client.get("/discovery/notices")
    assert page.status_code == 200 and red not in page.text and "No notice." in page.text
    client.cookies.clear()
    sign_in(client, "us_supervisor", "us_supervisor pw")
    page = client.get("/discovery/notices")
    assert page.status_code == 200 and f'href="/entities/{red}"' in page.text
    assert "GT-PNC searched a selector that matches your restricted record" in page.text
    assert "R9988776" not in page.text


def test_parallel_calls_of_one_user_cannot_share_the_room_under_the_limit(client, cast, limits, settings) -> None:  # noqa: ANN001
    if not settings.is_postgres:
        pytest.skip("SQLite runs one writer at a time already; PostgreSQL needs the lock this checks")
    limits(discovery_user_per_minute=1500)
    batches = [[{"type": "document", "value": f"{letter}{n:07d}"} for n in range(1000)] for letter in "PQ"]
    with ThreadPoolExecutor(max_workers=2) as pool:
        answers = list(pool.map(lambda batch: _search(client, cast, "outsider", batch).status_code, batches))
    assert sorted(answers) == [200, 429]

"""Attacks on the analyst's workbench (issue 13), as MX-FGR's analyst, auditor and supervisor and as the
outsider GT-PNC.

The strongest form of "nothing leaks" is a difference: every output of the workbench a partner reads
(search with its total, facets and scores, the list's `?q=`, the export, saved searches and their
counts, watchlist notices, the profile, the network around a record, the home page's picture, and the
search, list, record, home and notification pages in English and Spanish) is
read before and after US-CBP writes records the partner may not see, named like what the partner
searches for and tied to the record it may see. Both readings must be equal.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from binational.access import service as access
from binational.dashboard import service as dashboard
from binational.db import act_as, act_as_system
from binational.resolution.models import Judgement
from binational.search import watchlists
from binational.search.models import SavedSearch
from tests.web.conftest import sign_in

API = "/api/v1"
NAME = "Lucía Fernanda Ortega Ruiz"
VIEWERS = ("mx_analyst", "outsider")
NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)


def _post(client, cast, who: str, schema: str, properties: dict[str, list[str]], **policy: Any) -> str:  # noqa: ANN001
    r = client.post(f"{API}/entities", headers=cast[who].headers,
                    json={"schema": schema, "properties": properties, **policy})
    assert r.status_code == 201, r.text
    return r.json()["id"]


def _get(client, cast, who: str, path: str, **params: Any) -> Any:  # noqa: ANN001, ANN401
    r = client.get(f"{API}{path}", headers=cast[who].headers, params=params)
    assert r.status_code == 200, (path, r.text)
    return r.json() if "json" in r.headers["content-type"] else r.text


def _picture(db, who: str) -> dashboard.Picture:  # noqa: ANN001
    with db.unit_of_work() as s:
        actor = access.actor_for(session=s, user=access.find_user(session=s, username=who))
        act_as(s, actor)
        return dashboard.picture(session=s, actor=actor, now=NOW)


#: what differs between two answers of one page whatever the data: the CSRF token, script nonces
VOLATILE = re.compile(r'(name="csrf" value="|nonce="|data-csrf="|"csrf": ")[^"]*')


def _pages(web: TestClient, shared: str) -> dict[str, str]:
    """The workbench's pages as the signed-in user reads them, in English and Spanish."""
    out = {}
    for lang in ("en", "es"):
        for path in (f"/search?q={NAME}", "/search?q=Ortega&sort=newest", f"/entities?q={NAME}",
                     f"/entities/{shared}", "/", "/notifications"):
            r = web.get(path, headers={"Accept-Language": lang})
            assert r.status_code == 200, (path, r.text[:300])
            out[f"{lang} {path}"] = VOLATILE.sub(r"\1", r.text)
    return out


def _reading(client, cast, db, who: str, shared: str) -> dict[str, Any]:  # noqa: ANN001
    """Everything of the workbench `who` reads about the name and the record it may see."""
    out: dict[str, Any] = {}
    for q in (NAME, "Lucia Ortega", "Ortega Ruis Fernanda", "Ortega", "Freight"):
        found = _get(client, cast, who, "/search", q=q)
        out[f"search {q}"] = ([e["id"] for e in found["items"]], found["scores"], found["total"], found["facets"])
        listed = _get(client, cast, who, "/entities", q=q)
        out[f"list {q}"] = ([e["id"] for e in listed["items"]], listed["total"])
        out[f"export {q}"] = _get(client, cast, who, "/entities/export", q=q, format="csv")
    out["saved"] = [(s["q"], s["matches"]) for s in _get(client, cast, who, "/search/saved")]
    notices = _get(client, cast, who, "/notifications")
    out["notices"] = ([(n["kind"], n["entity_id"]) for n in notices["items"]], notices["unread"])
    profile = _get(client, cast, who, f"/entities/{shared}/profile")
    out["profile"] = {k: profile[k] for k in ("entity", "groups", "timeline", "places")}
    ego = _get(client, cast, who, f"/networks/ego/{shared}", depth=2)
    out["ego"] = ego
    out["picture"] = _picture(db, who)
    return out


def test_records_a_partner_may_not_see_change_nothing_it_reads(client, cast, db):  # noqa: ANN001
    shared = _post(client, cast, "us_analyst", "Person", {"name": [NAME], "birthDate": ["1987-05-14"]},
                   distribution="release", release_to=["MX-FGR", "GT-PNC"])
    for who in VIEWERS:
        r = client.post(f"{API}/search/saved", headers=cast[who].headers, json={"q": NAME})
        assert r.status_code == 201, r.text
    web = TestClient(client.app)
    sign_in(web, "mx_analyst")
    before = {who: _reading(client, cast, db, who, shared) for who in VIEWERS}
    pages = _pages(web, shared)
    assert shared in pages[f"es /search?q={NAME}"] and "1987" in pages[f"en /entities/{shared}"]
    assert before["mx_analyst"][f"search {NAME}"][2] == 1  # the partner does find the shared record

    # US-CBP's records and values neither viewer may see (its own, US-only, above MX's clearance, of a
    # case neither is a member of, a tie and a place), all answering the same searches
    kept = _post(client, cast, "us_analyst", "Person", {"name": [NAME], "alias": ["Lucia Ortega"]})
    _post(client, cast, "us_analyst", "Person", {"name": ["Lucía Fernanda Ortega Ruíz"]}, distribution="national")
    _post(client, cast, "us_supervisor", "Person", {"name": ["Lucia F. Ortega Ruiz"]}, distribution="release",
          release_to=["MX-FGR"], marking="TLP:RED")
    with db.unit_of_work() as s:
        owner = access.actor_for(session=s, user=access.get_user(session=s, username="us_analyst"))
        act_as(s, owner)
        access.create_case(session=s, actor=owner, case_id="cbp-ortega", title="an operation")
    _post(client, cast, "us_analyst", "Person", {"name": [NAME], "passportNumber": ["G7766554"]},
          case_id="cbp-ortega", distribution="release", release_to=["MX-FGR", "GT-PNC"])
    company = _post(client, cast, "us_analyst", "Company", {"name": ["Ortega Ruiz Freight"]})
    _post(client, cast, "us_analyst", "Ownership", {"owner": [shared], "asset": [company],
                                                    "startDate": ["2020-01-01"]})
    _post(client, cast, "us_analyst", "Family", {"person": [shared], "relative": [kept],
                                                 "relationship": ["sister"]})
    place = _post(client, cast, "us_analyst", "Address", {"full": ["Calle Ortega 5"], "latitude": ["19.4"],
                                                          "longitude": ["-99.1"]})
    r = client.patch(f"{API}/entities/{shared}", headers=cast["us_analyst"].headers,
                     json={"add": {"alias": ["Fernanda Ortega Freight"], "addressEntity": [place]},
                           "distribution": "agency"})
    assert r.status_code == 200, r.text
    with db.unit_of_work() as s:
        watchlists.check(session=s)

    after = {who: _reading(client, cast, db, who, shared) for who in VIEWERS}
    pages_after = _pages(web, shared)
    for key, page in pages.items():
        assert pages_after[key] == page, key
    for who in VIEWERS:
        for key, seen in before[who].items():
            assert after[who][key] == seen, (who, key)
    # the owner does see what it wrote: the readings differ because of it, not by chance
    assert _get(client, cast, "us_analyst", "/search", q=NAME)["total"] >= 2
    owners = _get(client, cast, "us_analyst", f"/entities/{shared}")
    assert owners["updated_at"] > before["mx_analyst"]["profile"]["entity"]["updated_at"]


def test_a_partner_auditor_learns_nothing_by_guessing_record_ids(client, cast):  # noqa: ANN001
    kept = _post(client, cast, "us_analyst", "Person", {"name": [NAME]})
    assert client.get(f"{API}/entities/{kept}", headers=cast["us_analyst"].headers).status_code == 200
    assert client.get(f"{API}/entities/{kept}", headers=cast["mx_analyst"].headers).status_code == 404
    never = kept[:-4] + "0000"
    auditor = cast["mx_auditor"].headers
    for guess in (kept, never):
        listed = client.get(f"{API}/audit", headers=auditor, params={"object_id": guess})
        assert listed.status_code == 200, listed.text
        exported = client.get(f"{API}/audit/export", headers=auditor, params={"object_id": guess, "format": "jsonl"})
        assert exported.status_code == 200, exported.text
        rows = [json.loads(line) for line in exported.text.splitlines()]
        assert [e["seq"] for e in rows] == [e["seq"] for e in listed.json()["items"]]
        # at most the MX analyst's own refused read, naming what it typed, without the reason: the
        # US user's allowed read of the kept record never reaches MX's auditor
        assert all((e["agency"], e["action"], e["decision"], e["reason"], e["objects"]) ==
                   ("MX-FGR", "entity.read", "deny", "not found", [guess]) for e in rows), rows
    assert client.get(f"{API}/audit", headers=auditor, params={"object_id": never}).json()["items"] == []


def test_readers_and_saved_searches_belong_to_their_owners(client, cast):  # noqa: ANN001
    r = client.post(f"{API}/search/saved", headers=cast["us_analyst"].headers, json={"q": NAME})
    assert r.status_code == 201, r.text
    theirs = r.json()["id"]
    for who in ("mx_analyst", "outsider", "us_supervisor"):
        gone = client.delete(f"{API}/search/saved/{theirs}", headers=cast[who].headers)
        never = client.delete(f"{API}/search/saved/{theirs + 1000}", headers=cast[who].headers)
        assert gone.status_code == never.status_code == 404
        assert gone.json()["error"]["message"].replace(str(theirs), "N") == \
            never.json()["error"]["message"].replace(str(theirs + 1000), "N")
        assert _get(client, cast, who, "/search/saved") == []
    assert [s["id"] for s in _get(client, cast, "us_analyst", "/search/saved")] == [theirs]


def test_bulk_accept_judges_nothing_beyond_what_the_caller_sees(client, cast, db, settings):  # noqa: ANN001
    r = client.post(f"{API}/resolution/suggestions/accept", headers=cast["outsider"].headers,
                    json={"min_score": 0.99})
    assert r.status_code in (200, 201), r.text
    assert r.json()["accepted"] == 0
    r = client.post(f"{API}/resolution/suggestions/accept", headers=cast["mx_analyst"].headers,
                    json={"min_score": 0.0})
    assert r.status_code == 422
    with db.unit_of_work() as s:
        act_as_system(s)
        assert s.execute(select(func.count()).select_from(Judgement)).scalar_one() == 0
        assert s.execute(select(func.count()).select_from(SavedSearch)).scalar_one() == 0

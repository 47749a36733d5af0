"""Cursor pagination walks every page once: no duplicates, no gaps, the policy applied on each page."""

from __future__ import annotations

import json

from binational.access import service as access
from binational.audit.scope import unit_of_work
from binational.db import act_as
from binational.entities import transfer


def _import(db, username: str, lines: list[dict]) -> int:
    with unit_of_work(db) as s:
        actor = access.actor_for(session=s, user=access.get_user(session=s, username=username))
        act_as(s, actor)
        return transfer.import_lines(session=s, actor=actor, lines=[json.dumps(x) for x in lines], source="seed")


def _walk(client, member, **params) -> list[str]:
    ids, cursor, pages = [], None, 0
    while True:
        r = client.get("/api/v1/entities", headers=member.headers, params={**params, "cursor": cursor})
        assert r.status_code == 200, r.text
        page = r.json()
        assert len(page["items"]) <= params["limit"]
        ids += [e["id"] for e in page["items"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            return ids
        assert pages < 20


def test_cursor_walks_all_pages_without_duplicates_or_gaps(client, cast, db):
    people = [{"id": f"p{i:03d}", "schema": "Person", "properties": {"name": [f"Walker {i}"]},
               "binational": {"distribution": "release", "release_to": ["MX-FGR"]} if i % 3 == 0 else {}}
              for i in range(120)]
    assert _import(db, "us_analyst", people) == 120
    assert _import(db, "mx_analyst", [{"id": f"m{i}", "schema": "Vehicle",
                                       "properties": {"registrationNumber": [f"MX{i}"]}} for i in range(7)]) == 7

    ours = _walk(client, cast["us_analyst"], limit=50)
    assert len(ours) == 120 and len(set(ours)) == 120 and ours == sorted(ours)
    assert set(ours) == {f"us-cbp.p{i:03d}" for i in range(120)}

    theirs = _walk(client, cast["mx_analyst"], limit=50)
    assert theirs == sorted([f"us-cbp.p{i:03d}" for i in range(0, 120, 3)] + [f"mx-fgr.m{i}" for i in range(7)])
    assert _walk(client, cast["mx_analyst"], limit=50, schema="Vehicle") == [f"mx-fgr.m{i}" for i in range(7)]
    searched = _walk(client, cast["mx_analyst"], limit=7, q="walker")
    assert searched == [f"us-cbp.p{i:03d}" for i in range(0, 120, 3)]
    # an exact multiple of the page size ends with a page that says so (no empty extra page)
    first = client.get("/api/v1/entities", headers=cast["us_analyst"].headers, params={"limit": 120}).json()
    assert len(first["items"]) == 120 and first["next_cursor"] is None
    # a cursor is a position, not a permission: another viewer's cursor shows that viewer nothing more
    cursor = client.get("/api/v1/entities", headers=cast["us_analyst"].headers,
                        params={"limit": 50}).json()["next_cursor"]
    rest = client.get("/api/v1/entities", headers=cast["outsider"].headers, params={"cursor": cursor}).json()
    assert rest == {"items": [], "next_cursor": None}

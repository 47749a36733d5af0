"""Issue 12 attacks: the matched words and records are one JSON (SQLite) or array (PostgreSQL)
parameter; odd names and search texts neither break it, nor 500, nor let a hidden record answer."""

from __future__ import annotations

ENTITIES = "/api/v1/entities"
SEARCH = "/api/v1/search"
ODD = ['O"Brien ]" Ñoño', "Back\\slash \\u0022 Quinn", "Null\x00Byte Quinn", "[\"Quinn\"]", "Quinn'); --",
       "𝔔𝔲𝔦𝔫𝔫 Fraktur", "Quinn " + "z" * 300]


def test_odd_names_and_texts_bind_as_one_parameter_without_500_or_leak(client, cast):
    us, mx = cast["us_analyst"], cast["mx_analyst"]
    for name in ODD:
        r = client.post(ENTITIES, headers=us.headers, json={"schema": "Person", "properties": {"name": [name]}})
        assert r.status_code == (422 if "\x00" in name else 201), (name, r.text)
    for q in ODD + ["\ud800 Quinn", "quinn " * 200, "a" * 5000, "%_ quinn", "\\"]:
        for who in (us, mx):
            r = client.get(SEARCH, params={"q": q.encode("utf-8", "surrogatepass").decode("utf-8", "replace")},
                           headers=who.headers)
            assert r.status_code in (200, 422), (q[:40], r.text[:300])
            if who is mx and r.status_code == 200:
                assert r.json()["total"] == 0, q[:40]
    assert client.get(SEARCH, params={"q": "Quinn"}, headers=us.headers).json()["total"] == 5
    r = client.get(SEARCH + "?q=%ED%A0%80quinn", headers=us.headers)  # a lone surrogate, as raw bytes
    assert r.status_code in (200, 422), r.text[:300]


def test_a_lower_cleared_colleague_finds_no_red_record_by_an_odd_name(client, cast):
    r = client.post(ENTITIES, headers=cast["us_supervisor"].headers,
                    json={"schema": "Person", "properties": {"name": ['Rojo "]\\ Quillon']}, "marking": "TLP:RED"})
    assert r.status_code == 201, r.text
    for q in ("Rojo Quillon", 'rojo"]\\ quillon', "Quilon"):
        results = client.get(SEARCH, params={"q": q}, headers=cast["us_analyst"].headers).json()
        assert results["total"] == 0 and all(c == [] for c in results["facets"].values()), q


def test_two_lists_in_one_statement_are_two_parameters(client):
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from binational.entities.models import SearchTerm
    from binational.search.service import one_of

    with Session(client.app.state.db.engine) as session:
        statement = select(SearchTerm.id).where(one_of(session, SearchTerm.term, ["aa"]),
                                                one_of(session, SearchTerm.entity_id, ["bb"]))
        sent = sorted(map(str, statement.compile(session.get_bind()).params.values()))
        assert sent in (['["aa"]', '["bb"]'], ["['aa']", "['bb']"])  # the second list did not replace the first

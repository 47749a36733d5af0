"""Search that finds people: misspelt, reordered, accent-free and short names find the right record;
a value or record the viewer may not see never makes anything match, rank or count."""

from __future__ import annotations

from typer.testing import CliRunner

from binational.cli import app

ENTITIES = "/api/v1/entities"
SEARCH = "/api/v1/search"


def _post(client, member, **body):
    r = client.post(ENTITIES, headers=member.headers, json=body)
    assert r.status_code == 201, r.text
    return r.json()["id"]


def _search(client, member, q, **params):
    r = client.get(SEARCH, params={"q": q, **params}, headers=member.headers)
    assert r.status_code == 200, r.text
    return r.json()


def _ids(results):
    return [e["id"] for e in results["items"]]


def test_misspelt_reordered_and_shortened_names_find_the_person(client, cast):
    us = cast["us_analyst"]
    rosa = _post(client, us, schema="Person", properties={
        "name": ["Rosa María García Guevara"], "firstName": ["Rosa María"], "lastName": ["García Guevara"],
        "passportNumber": ["G12345678"]})
    juan = _post(client, us, schema="Person", properties={"name": ["Juan de la Cruz Pérez"],
                                                          "alias": ["Pepe Cruz"]})
    hatfield = _post(client, us, schema="Person", properties={"name": ["John Hatfield"]})
    _post(client, us, schema="Person", properties={"name": ["Rosa Guerrero Montes"]})
    for q, expected in [
        ("GARCIA GUEVARRA", rosa),          # one typo
        ("Garsia Guebarra", rosa),          # two typos, sound-alike letters
        ("Hatfeld", hatfield),              # a dropped letter
        ("Rsoa Guevara", rosa),             # two letters swapped: one error, even in a short word
        ("guevara garcia rosa", rosa),      # another order
        ("Rosa Maria Garcia", rosa),        # no accents, second surname dropped
        ("rosa garcía guevara lópez", rosa),  # one word the record lacks
        ("delacruz perez", juan),           # a particle written together with the surname
        ("Pepe Cruz", juan), ("José de la Cruz", juan),  # an alias; a nickname's given name
        ("g-1234 5678", rosa), ("G1234567", rosa),  # an identifier typed loosely, or cut short
    ]:
        results = _search(client, us, q)
        assert _ids(results)[:1] == [expected], (q, results["items"])
    results = _search(client, us, "rosa")
    assert results["total"] == 2
    assert {f["value"]: f["count"] for f in results["facets"]["schema"]} == {"Person": 2}
    assert {f["value"]: f["count"] for f in results["facets"]["agency"]} == {"US-CBP": 2}
    # the entity list's ?q= is the same search, ranked
    r = client.get(ENTITIES, params={"q": "Garsia Guebarra"}, headers=us.headers)
    assert r.status_code == 200 and [e["id"] for e in r.json()["items"]][:1] == [rosa]


def test_two_words_written_as_one_answer_both(client, cast):
    us = cast["us_analyst"]
    joined = _post(client, us, schema="Person", properties={"name": ["Ernesto Ibarrasolis"]})
    _post(client, us, schema="Person", properties={"name": ["Ernesto Ibarra Mendoza"]})
    for q in ("Ernesto Ibarra Solís", "ernesto ibara solis", "Ibarra Solis Ernesto"):
        results = _search(client, us, q)
        assert _ids(results)[:1] == [joined] and results["scores"][joined] > 0.9, (q, results["scores"])


def test_hidden_values_and_records_never_match_rank_or_count(client, cast):
    us, mx, outsider = cast["us_analyst"], cast["mx_analyst"], cast["outsider"]
    shared = _post(client, us, schema="Person", properties={"name": ["Ramona Quintero"]},
                   distribution="release", release_to=["MX-FGR"])
    r = client.patch(f"{ENTITIES}/{shared}", headers=us.headers,
                     json={"add": {"alias": ["Zacarias Hidden", "Ramona Quinterozeta"], "passportNumber": ["K55501"]},
                           "distribution": "agency"})
    assert r.status_code == 200, r.text
    kept = _post(client, us, schema="Person", properties={"name": ["Ramona Quinteros"]})  # US-CBP only
    _post(client, us, schema="Company", properties={"name": ["Quintero Hidden Freight"]},
          distribution="national")  # US agencies only

    assert _search(client, us, "Ramona Quintero")["total"] == 2
    assert _search(client, us, "Ramona Zacarias")["total"] == 1
    seen = _search(client, mx, "Ramona Quintero")
    assert _ids(seen) == [shared] and seen["total"] == 1
    assert seen["facets"]["agency"] == [{"value": "US-CBP", "count": 1}]
    assert seen["facets"]["schema"] == [{"value": "Person", "count": 1}]
    assert "Zacarias" not in str(seen) and kept not in str(seen)
    for q in ("Zacarias", "Zacarias Hidden", "Ramona Zacarias", "K55501", "k-555O1", "Quintero Freight", "Hiden"):
        results = _search(client, mx, q)
        assert results["total"] == 0 and results["items"] == [], q
        assert all(counts == [] for counts in results["facets"].values()), q
    # the hidden alias does not raise the shared record's score either: a partner sees the same
    # score for it whether or not the alias exists
    assert _search(client, mx, "Ramona Quintero")["scores"] == {shared: 1.0}
    # nor does a hidden value written as two words joined: the partner's score stays two words of three
    assert _search(client, us, "Ramona Quintero Zeta")["scores"][shared] == 1.0
    assert _search(client, mx, "Ramona Quintero Zeta")["scores"] == {shared: round(2 / 3, 4)}
    for q in ("Ramona", "Quintero", "Ramona Quinteros", "Hidden", "K55501"):
        results = _search(client, outsider, q)
        assert results["total"] == 0 and all(c == [] for c in results["facets"].values()), q


def test_search_text_without_letters_or_digits_is_refused(client, cast, settings):
    us = cast["us_analyst"]
    for q in ("!!!", " - ", "¿?", "   "):
        r = client.get(SEARCH, params={"q": q}, headers=us.headers)
        assert r.status_code == 422, (q, r.text)
        assert r.json()["error"]["code"] == "invalid_input"
    r = client.get(SEARCH, params={"q": "rosa", "sort": "sideways"}, headers=us.headers)
    assert r.status_code == 422 and r.json()["error"]["details"] == [{"field": "sort"}]
    result = CliRunner().invoke(app, ["entities", "search", "...", "--as", "us_analyst"])
    assert result.exit_code == 2
    assert result.stderr.strip() == "error: search text has no letters or digits"


def test_cli_search_prints_ranked_results(client, cast):
    us = cast["us_analyst"]
    rosa = _post(client, us, schema="Person", properties={"name": ["Rosa María García Guevara"]})
    result = CliRunner().invoke(app, ["entities", "search", "garcia guevarra", "--as", "us_analyst"])
    assert result.exit_code == 0, result.output
    assert rosa in result.stdout and "Rosa María García Guevara" in result.stdout
    assert "1 result" in result.stdout


def test_a_search_sends_the_same_statements_however_many_records_match(client, cast, db):
    """Issue 12: the matched records were an IN list, one SQL text per count, and SQLite's driver kept
    a prepared statement of each, as large as its list, on every connection: the server's memory grew
    with each search of a common word. Now the texts a search sends do not depend on how many match
    (a page of them has lists of its own, bounded by the page size)."""
    import threading

    from sqlalchemy import event

    us = cast["us_analyst"]
    engine = client.app.state.db.engine
    texts_by_round: list[set[str]] = []
    sent: set[str] = set()

    def note(_conn, _cursor, statement, *_args):
        # On PostgreSQL the audit sequencer works on the same engine in the background.
        if threading.current_thread().name != "audit-sequencer":
            sent.add(statement)

    event.listen(engine, "before_cursor_execute", note)
    try:
        for n in range(1, 4):
            _post(client, us, schema="Person", properties={"name": [f"Soak Walker {n}"]})
            sent.clear()
            assert _search(client, us, "soak walker", limit=1)["total"] == n  # one page: its own lists are the same
            texts_by_round.append(set(sent))
    finally:
        event.remove(engine, "before_cursor_execute", note)
    assert texts_by_round[0] == texts_by_round[1] == texts_by_round[2]

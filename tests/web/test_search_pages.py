"""The search page and the header's search box, in English and Spanish."""

from __future__ import annotations

from binational.search import watchlists
from tests.web.conftest import sign_in


def _person(client, member, name, **extra):
    r = client.post("/api/v1/entities", headers=member.headers,
                    json={"schema": "Person", "properties": {"name": [name]}, **extra})
    assert r.status_code == 201, r.text
    return r.json()["id"]


def test_search_page_ranks_counts_facets_and_speaks_spanish(client, cast):
    us = cast["us_analyst"]
    rosa = _person(client, us, "Rosa María García Guevara", distribution="release", release_to=["MX-FGR"])
    _person(client, us, "Rosa García Hidden")  # US-CBP only
    csrf = sign_in(client, "mx_analyst")
    home = client.get("/").text
    assert 'action="/search"' in home and 'id="header-q"' in home
    page = client.get("/search", params={"q": "garsia guebarra"})
    assert page.status_code == 200
    assert f'href="/entities/{rosa}"' in page.text and "1 result" in page.text
    assert "Hidden" not in page.text and "(1)" in page.text
    narrowed = client.get("/search", params={"q": "rosa garcia", "agency": "US-CBP", "schema": "Person"})
    assert f'href="/entities/{rosa}"' in narrowed.text and 'aria-current="true"' in narrowed.text
    client.post("/language", data={"lang": "es", "csrf": csrf, "next": "/search"})
    spanish = client.get("/search", params={"q": "rosa garcia"}).text
    assert "1 resultado" in spanish and "Acotar los resultados" in spanish
    refused = client.get("/search", params={"q": "¿¡!?"})
    assert refused.status_code == 422 and 'aria-invalid="true"' in refused.text
    assert "Escriba letras o dígitos para buscar." in refused.text


def test_save_a_search_from_the_page_and_read_its_notice(client, cast, db):
    us = cast["us_analyst"]
    csrf = sign_in(client, "mx_analyst")
    r = client.post("/search/saved", data={"csrf": csrf, "q": "Ofelia Zamarripa"}, follow_redirects=False)
    assert r.status_code == 303 and "saved=true" in r.headers["location"]
    assert "Search saved" in client.get(r.headers["location"]).text
    refused = client.post("/search/saved", data={"csrf": csrf, "q": "¡!"})
    assert refused.status_code == 422 and "Write a name, alias or identifier" in refused.text
    found = _person(client, us, "Ofelia Zamarripa Cano", distribution="release", release_to=["MX-FGR"])
    with db.unit_of_work() as s:
        assert watchlists.check(session=s) == 1
    page = client.get("/notifications").text
    assert f'href="/entities/{found}"' in page and "newly matches one of your saved searches" in page

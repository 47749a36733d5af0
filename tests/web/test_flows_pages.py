"""The flows pages through the TestClient: the dashboard and a series' page in English and Spanish
(no English left), its CSV export, subscribing from the page; a partner's pages show nothing of an
agency's internal series, and its page answers 404 like none."""

from __future__ import annotations

import json
import re

from tests.flows import samples
from tests.web.conftest import sign_in
from tests.web.test_spanish import english_words

API = "/api/v1/flows"
#: proper names the Spanish pages show as they are
NAMES = (
    "El Paso",
    "Tucson",
    "Laredo",
    "Nogales",
    "U.S. Customs and Border Protection",
    "Single Adults",
    "Border Patrol",
    "Southwest Land Border",
    "Office of Field Operations",
    "Title",
    "Apprehensions",
)


def _upload(client, member, text: str, name: str, **params: str) -> None:  # noqa: ANN001
    r = client.post(
        f"{API}/imports",
        headers={**member.headers, "Content-Type": "text/csv"},
        params={"source": name, **params},
        content=text.encode(),
    )
    assert r.status_code == 201, r.text


def _ids(client, member) -> dict[str, int]:  # noqa: ANN001
    items = client.get(f"{API}/series", headers=member.headers, params={"limit": 1000}).json()["items"]
    return {row["key"]: row["id"] for row in items}


def test_dashboard_and_series_pages_in_both_languages_without_leaks(client, cast):
    us = cast["us_analyst"]
    _upload(client, us, samples.long_csv(samples.seasonal("cbp-secret-sector", 2019, 48, 800.0)), "internal.csv")
    _upload(client, us, samples.bts(), "bts.csv")
    _upload(client, us, samples.encounters(), "enc.csv")
    ids = _ids(client, us)
    secret, public = ids["cbp-secret-sector"], ids["us-cbp-encounters/total"]

    csrf = sign_in(client, "us_analyst")
    page = client.get("/flows")
    assert page.status_code == 200 and 'href="/flows"' in page.text
    assert "cbp-secret-sector" in page.text and 'data-testid="flows-map"' in page.text
    assert "Laredo (2304)" in page.text  # the map's data
    spec = json.loads(re.search(r'<script type="application/json" id="flows-map-spec">(.*?)</script>', page.text,
                                re.S).group(1))
    drawn = [f["properties"]["kind"] for layer in spec["layer"] for f in layer["data"].get("values", [])
             if "properties" in f]
    assert drawn.count("country") == 2 and drawn.count("border") == 1  # the outlines and the border line
    series = client.get(f"/flows/series/{public}")
    assert (
        series.status_code == 200
        and 'id="flows-chart-spec"' in series.text
        and 'data-testid="flows-png"' in series.text
    )
    assert "Fiscal year" in series.text
    export = client.get(f"/flows/series/{public}/export.csv")
    assert export.status_code == 200 and export.text.startswith("series,month,value,mean,lo80,hi80,lo95,hi95\n")
    r = client.post(
        "/flows/subscriptions", data={"csrf": csrf, "indicator": "us-cbp-encounters"}, follow_redirects=False
    )
    assert r.status_code == 303
    assert "You will be told" in client.get(r.headers["location"]).text

    client.post("/language", data={"lang": "es", "csrf": csrf, "next": "/flows"})
    for path in ("/flows", f"/flows/series/{public}", "/flows?indicator=us-cbp-encounters&dimension=aor"):
        spanish = client.get(path)
        assert spanish.status_code == 200
        assert not english_words(spanish.text, NAMES), (path, english_words(spanish.text, ()))
    assert "Año fiscal" in client.get(f"/flows/series/{public}").text

    # a partner: the public series, never the internal one, and its page like one that does not exist
    client.cookies.clear()
    sign_in(client, "mx_analyst")
    page = client.get("/flows")
    assert page.status_code == 200 and "cbp-secret-sector" not in page.text and "us-cbp-encounters" in page.text
    hidden, absent = client.get(f"/flows/series/{secret}"), client.get(f"/flows/series/{secret + 10_000}")
    assert hidden.status_code == absent.status_code == 404
    assert hidden.text.replace(f"/series/{secret}", "ID") == absent.text.replace(f"/series/{secret + 10_000}", "ID")
    assert client.get(f"/flows/series/{secret}/export.csv").status_code == 404
    refused = client.post("/flows/subscriptions", data={"csrf": csrf_of_page(client), "indicator": "cbp-secret-sector"})
    assert refused.status_code == 422 and "cbp-secret-sector" in refused.text  # the text it typed, nothing more


def csrf_of_page(client) -> str:  # noqa: ANN001
    from tests.web.conftest import csrf_of

    return csrf_of(client.get("/flows").text)


def test_the_dashboard_shows_each_series_last_month_and_its_year_over_year_change(client, cast):
    lines = [f"cbp-yoy-sector,{2023 + m // 12}-{m % 12 + 1:02d},{150 if m == 12 else 100}" for m in range(13)]
    lines += ["cbp-one-month,2024-05,7"]
    _upload(client, cast["us_analyst"], samples.long_csv(lines), "yoy.csv")
    sign_in(client, "us_analyst")
    page = client.get("/flows").text
    row = page[page.index('translate="no">cbp-yoy-sector<') :].split("</tr>")[0]
    assert "2024-01" in row and ">150<" in row and "+50.0 %" in row
    row = page[page.index('translate="no">cbp-one-month<') :].split("</tr>")[0]
    assert "2024-05" in row and ">7<" in row and "—" in row

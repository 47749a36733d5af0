"""The firearms pages through the TestClient, in English and Spanish: MX-FGR sends a batch (a bad line
named beside the field, nothing sent), US-ATF resolves and confirms, MX-FGR reads the result and the
leads; GT-PNC's pages show nothing of it."""

from __future__ import annotations

import re

from tests.firearms.conftest import TRACES
from tests.web.conftest import sign_in
from tests.web.test_spanish import english_words

NAMES = ("US-ATF", "MX-FGR", "mx_analyst", "Fiscalía General de la República", "Lone Star Guns", "Tucson Arms",
         "John Straw", "Pedro Sicario", "Luis Sicario", "Lic. Ruiz")


def _csrf(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)  # type: ignore[union-attr]


def test_the_flow_in_both_languages_and_nothing_for_a_third_agency(client, cast, stocked, db):
    mx = sign_in(client, "mx_analyst")
    page = client.get("/firearms", headers={"Accept-Language": "es"})
    assert page.status_code == 200 and "Enviar rastreos a US-ATF" in page.text
    bad = TRACES + TRACES.splitlines()[1].replace("BKLM123", "BK!M123") + "\n"
    r = client.post("/firearms/batch", data={"csrf": _csrf(page.text), "batch": bad},
                    headers={"Accept-Language": "es"})
    assert r.status_code == 422 and 'data-testid="batch-error"' in r.text and "line 5" in r.text
    assert "Su institución aún no" in r.text  # nothing was sent
    r = client.post("/firearms/batch", data={"csrf": _csrf(page.text), "batch": TRACES}, follow_redirects=True)
    assert r.status_code == 200 and r.text.count("waiting for the tracing centre") == 3
    assert mx
    client.cookies.clear()
    sign_in(client, "atf_tracer")
    page = client.get("/firearms")
    r = client.post("/firearms/resolve", data={"csrf": _csrf(page.text)}, follow_redirects=True)
    assert r.status_code == 200 and r.text.count('data-testid="candidates"') == 2
    sale = re.search(r'name="sale_id" value="([^"]+)"', r.text).group(1)  # type: ignore[union-attr]
    action = re.search(r'action="(/firearms/traces/[^"]+/confirm)"', r.text).group(1)  # type: ignore[union-attr]
    r = client.post(action, data={"csrf": _csrf(r.text), "sale_id": sale}, follow_redirects=True)
    assert r.status_code == 200 and r.text.count('data-testid="candidates"') == 1
    leads = client.get("/firearms/leads")
    assert 'data-testid="corridor-map"' in leads.text and "John Straw" in leads.text
    client.cookies.clear()
    sign_in(client, "mx_analyst")
    mine = client.get("/firearms", headers={"Accept-Language": "es"})
    assert "Lone Star Guns" in mine.text and "resuelto" in mine.text
    leads = client.get("/firearms/leads", headers={"Accept-Language": "es"})
    assert "Pistas de tráfico de armas de fuego" in leads.text and 'data-testid="dashboard-chart"' in leads.text
    assert "Señales de compra de paja" in leads.text
    assert english_words(mine.text, NAMES) == [] and english_words(leads.text, NAMES) == []
    # each signal's evidence opens its trace, with the result released to the requester
    evidence = re.findall(r'href="(/firearms/traces/tr_[0-9a-f]+)"', leads.text)
    assert evidence
    trace = client.get(evidence[0], headers={"Accept-Language": "es"})
    assert trace.status_code == 200 and 'data-testid="result"' in trace.text
    assert 'data-testid="candidates"' not in trace.text
    assert english_words(trace.text, NAMES) == []
    client.cookies.clear()
    sign_in(client, "outsider")
    for path in ("/firearms", "/firearms/leads"):
        html = client.get(path).text
        assert "BKLM123" not in html and "John Straw" not in html and "Lone Star" not in html
    never_path = "/firearms/traces/tr_00000000000000000000000000000000"
    never, hidden = client.get(never_path), client.get(evidence[0])
    # the ordinary 404 page, byte for byte but for the address it names
    assert hidden.status_code == never.status_code == 404
    assert hidden.text.replace(evidence[0], never_path) == never.text

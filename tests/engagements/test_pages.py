"""The engagements' pages through the TestClient: intake (paste, upload, proposal, confirm), the
engagement with its readouts in their own direction, a commitment and its chart, the board, the
brief; a partner's view in Spanish, with no English word and no figure of an indicator not shared."""

import json
import re

from tests.engagements.conftest import READOUTS, commit
from tests.web.conftest import csrf_of, sign_in
from tests.web.test_spanish import english_words

ARABIC = "تناولت المباحثات بين كريستوفر لانداو وخوان رامون دي لا فوينتي تأمين الحدود ومكافحة تهريب الأسلحة إلى المكسيك."


def _confirm_fields(html: str) -> dict:
    """The confirm form's values, as the browser would send them unchanged."""
    data = {}
    for name, value in re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', html):
        data[name] = value
    for name in re.findall(r'<input type="checkbox" name="(p\d+_keep)" checked', html):
        data[name] = "on"
    data["topics"] = re.findall(r'name="topics" value="([a-z_]+)" checked', html)
    data["readout"] = re.search(r'<textarea id="readout"[^>]*>(.*?)</textarea>', html, re.S).group(1)
    return data


def test_intake_to_commitment_in_the_pages(client, cast):
    csrf = sign_in(client, "us_analyst")
    assert client.get("/engagements").status_code == 200
    r = client.post("/engagements/intake", data={"csrf": csrf, "text": ARABIC})
    assert r.status_code == 200, r.text
    assert "Christopher Landau" in r.text and "Juan Ramón de la Fuente" in r.text
    fields = _confirm_fields(r.text)
    assert set(fields["topics"]) >= {"border_security", "arms_trafficking"}
    assert fields["countries"] in ("MX, US", "US, MX")
    fields.update(name="Llamada Landau – De la Fuente", date="2025-01-10", distribution="release",
                  release_to="MX-FGR", marking="TLP:AMBER", format="call", csrf=csrf)
    r = client.post("/engagements/new", data=fields, follow_redirects=False)
    assert r.status_code == 303, r.text
    page = client.get(r.headers["location"])
    assert page.status_code == 200
    assert 'dir="rtl" lang="ar"' in page.text and "Christopher Landau" in page.text
    engagement = r.headers["location"].rsplit("/", 1)[1]
    r = client.post(f"/engagements/{engagement}/commitments", follow_redirects=False, data={
        "csrf": csrf, "name": "Answer the partner's requests within two days", "committed_by": "Christopher Landau",
        "owner_agency": "US-CBP", "due_date": "2031-01-01", "indicator": "requests.answer_hours", "target": "48",
        "distribution": "release", "release_to": "MX-FGR", "marking": "TLP:AMBER"})
    assert r.status_code == 303, r.text
    page = client.get(r.headers["location"])
    spec = re.search(r'<script type="application/json" id="indicator-chart-spec">(.*?)</script>', page.text, re.S)
    assert spec and json.loads(spec.group(1))["layer"][1]["encoding"]["y"]["datum"] == 48
    # A target without an indicator is refused beside the form, with nothing written.
    r = client.post(f"/engagements/{engagement}/commitments", data={
        "csrf": csrf, "name": "x", "committed_by": "y", "owner_agency": "US-CBP", "due_date": "2031-01-01",
        "indicator": "", "target": "3", "distribution": "agency", "marking": "TLP:AMBER"})
    assert r.status_code == 422 and 'class="error"' in r.text
    board = client.get("/engagements/board")
    assert "Answer the partner" in board.text and 'data-testid="board-MX"' in board.text
    pdf = client.get(f"/engagements/{engagement}/brief.pdf")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    # An upload, an empty readout, a post without its CSRF token.
    text = (READOUTS / "reunion-es.txt").read_bytes()
    r = client.post("/engagements/intake", data={"csrf": csrf}, files={"file": ("reunion.txt", text, "text/plain")})
    assert r.status_code == 200 and "Kristi Noem" in r.text
    r = client.post("/engagements/intake", data={"csrf": csrf, "text": "  "})
    assert r.status_code == 422 and 'id="e-text"' in r.text
    r = client.post("/engagements/intake", data={"text": "Marco Rubio"})
    assert r.status_code == 403


def test_a_partner_reads_it_in_spanish_without_the_figures_it_may_not_see(client, cast, engagement):
    r = commit(client, cast["us_analyst"], engagement["id"], indicator="networks.plans", target=2, unit="plans")
    commitment = r.json()["id"]
    client.headers["accept-language"] = "es-MX,es;q=0.9"
    sign_in(client, "mx_analyst")
    names = ("US-CBP", "MX-FGR", "MX-INM", "US-ATF", "US-ICE", "GT-PNC", "Christopher Landau", "Landau",
             "Call between the Deputy Secretary of State and the Mexican Foreign Secretary",
             "Answer partner requests faster", "Deputy Secretary of State, Department of State")
    pages = {"/engagements": None, "/engagements/board": None, f"/engagements/{engagement['id']}": None,
             f"/engagements/commitments/{commitment}": None, "/engagements/intake": None}
    for path in pages:
        r = client.get(path)
        assert r.status_code == 200, (path, r.text)
        # the readout is English text in its own language (lang="en"), not interface words
        assert english_words(r.text, names) == [], path
        pages[path] = r.text
    view = pages[f"/engagements/commitments/{commitment}"]
    assert "indicador no compartido" in view and "indicator-chart-spec" not in view
    assert 'lang="en"' in pages[f"/engagements/{engagement['id']}"]
    hidden = client.get("/engagements/us-cbp.0000")
    assert hidden.status_code == 404
    # A refusal beside the form, in Spanish, with nothing written.
    r = client.post(f"/engagements/{engagement['id']}/commitments", data={
        "csrf": csrf_of(pages["/engagements/intake"]), "name": "x", "committed_by": "y", "owner_agency": "MX-FGR",
        "due_date": "2031-01-01", "indicator": "", "target": "3", "distribution": "agency", "marking": "TLP:AMBER"})
    assert r.status_code == 422 and "Una meta necesita un indicador." in r.text
    assert english_words(r.text, names) == []


def test_the_gazetteer_page(client, cast):
    csrf = sign_in(client, "us_analyst")
    r = client.post("/api/v1/engagements/gazetteer", headers=cast["admin"].headers, json={
        "name": "Alicia Bárcena Ibarra", "surname": "Bárcena", "office": "MX-SRE", "forms": ["أليسيا بارسينا"]})
    assert r.status_code == 201, r.text
    page = client.get("/engagements/gazetteer")
    assert page.status_code == 200
    assert "Christopher Landau" in page.text and "أليسيا بارسينا" in page.text
    assert 'data-testid="gazetteer-form"' not in page.text  # an analyst reads it; administrators add
    r = client.post("/engagements/gazetteer", data={"csrf": csrf, "name": "X Y", "surname": "Y", "office": "MX-SRE"})
    assert r.status_code == 403

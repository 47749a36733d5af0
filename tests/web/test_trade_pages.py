"""The trade pages: a customs user reads the day's selection list with its reasons and records a
result; a partner agency's user gets the ordinary 404; the pages in Spanish show no English."""

from __future__ import annotations

import re

import pytest
from typer.testing import CliRunner

from binational.cli import app
from binational.trade import declarations
from tests.trade import worlds
from tests.web.conftest import csrf_of, sign_in
from tests.web.test_spanish import english_words

declaration_files, model_file = worlds.declaration_files, worlds.model_file  # the fixtures of tests/trade
runner = CliRunner()
#: names in the header (the agency writes its name in English)
NAMES = ("US-CBP", "U.S. Customs and Border Protection")


@pytest.fixture
def listed(settings, client, declaration_files, model_file):  # noqa: F811 - the fixtures above
    test = declaration_files["test"]
    assert runner.invoke(app, ["trade", "import", str(test), "--as", "us_analyst"]).exit_code == 0
    day = str(declarations.read(test)["date"].value_counts().idxmax().date())
    r = runner.invoke(app, ["trade", "select", "--model", str(model_file), "--day", day, "--as", "us_analyst",
                            "--budget", "0.2"])
    assert r.exit_code == 0, r.output
    return day


def test_a_customs_user_reads_the_list_and_records_a_result(listed, client):
    sign_in(client, "us_analyst")
    page = client.get("/trade")
    assert page.status_code == 200 and 'data-testid="selection"' in page.text
    assert "past fraud rate of" in page.text or "declared value" in page.text
    target = re.search(r'href="/trade/declarations/(\d+)"', page.text).group(1)
    page = client.get(f"/trade/declarations/{target}")
    assert page.status_code == 200
    token = csrf_of(page.text)
    r = client.post(f"/trade/declarations/{target}/inspect", data={"csrf": token, "note": "x"})
    assert r.status_code == 422 and 'id="e-outcome"' in r.text
    r = client.post(f"/trade/declarations/{target}/inspect", data={"csrf": token, "outcome": "critical",
                                                                   "note": "cocaína en el doble fondo"},
                    follow_redirects=False)
    assert r.status_code == 303
    page = client.get(r.headers["location"])
    assert "Threat to public safety" in page.text and "cocaína en el doble fondo" in page.text


def test_a_partner_gets_the_ordinary_404(listed, client):
    sign_in(client, "us_analyst")
    target = re.search(r'href="/trade/declarations/(\d+)"', client.get("/trade").text).group(1)
    client.cookies.clear()
    sign_in(client, "mx_analyst")
    assert "trade.selection" not in client.get("/trade").text
    assert 'data-testid="selection"' not in client.get(f"/trade?day={listed}").text
    theirs, missing = client.get(f"/trade/declarations/{target}"), client.get("/trade/declarations/99999999")
    assert theirs.status_code == missing.status_code == 404
    assert theirs.text.replace(target, "N") == missing.text.replace("99999999", "N")


def test_the_pages_in_spanish(listed, client):
    client.headers["accept-language"] = "es-MX,es;q=0.9"
    sign_in(client, "us_analyst")
    page = client.get("/trade")
    target = re.search(r'href="/trade/declarations/(\d+)"', page.text).group(1)
    for path in ("/trade", f"/trade/declarations/{target}", "/trade/ports", "/trade/indicators"):
        html = client.get(path).text
        assert '<html lang="es">' in html and "Comercio" in html, path
        assert english_words(html, NAMES) == [], (path, english_words(html, NAMES))


def test_the_indicators_page_keeps_its_scripts_out_of_its_title(settings, client, tmp_path):
    from tests.trade.test_flows import _folder
    assert runner.invoke(app, ["trade", "flows", str(_folder(tmp_path))]).exit_code == 0
    sign_in(client, "mx_analyst")
    html = client.get("/trade/indicators").text
    assert 'id="trade-chart-spec"' in html
    title = re.search(r"<title>(.*?)</title>", html, re.S).group(1)
    assert "<" not in title and "script" not in title, title
    assert html.count('src="/static/trade.js"') == 1


def test_the_result_forms_refusals_in_spanish(listed, client):
    client.headers["accept-language"] = "es-MX,es;q=0.9"
    sign_in(client, "us_analyst")
    target = re.search(r'href="/trade/declarations/(\d+)"', client.get("/trade").text).group(1)
    token = csrf_of(client.get(f"/trade/declarations/{target}").text)
    for data, field in (({"note": "x"}, "e-outcome"), ({"outcome": "fraud", "note": "n" * 2001}, "e-note"),
                        ({"outcome": "fraud", "joint_agency": "XX-NONE"}, "e-joint")):
        r = client.post(f"/trade/declarations/{target}/inspect", data={"csrf": token, **data})
        assert r.status_code == 422 and f'id="{field}"' in r.text, (data, r.status_code)
        assert '<span lang="en">' not in r.text and english_words(r.text, (*NAMES, "XX-NONE")) == [], data
    r = client.get("/trade?day=2024-02-30")
    assert r.status_code == 422 and '<span lang="en">' not in r.text

"""The home page as the dashboard: its panels, its chart's spec as JSON data, in English and Spanish."""

from __future__ import annotations

import json
import re

from binational.access import service as access
from binational.db import act_as_system
from tests.conftest import sequence_audit
from tests.dashboard.test_service import scene  # noqa: F401 - the shared scene
from tests.requests.conftest import discover, record  # noqa: F401 - its fixtures
from tests.web.conftest import sign_in

SPEC = re.compile(r'<script type="application/json" id="dashboard-chart-spec">(.*?)</script>', re.S)


def test_the_home_page_draws_the_picture_in_both_languages(client, scene):  # noqa: ANN001, F811
    csrf = sign_in(client, "mx_analyst")
    page = client.get("/")
    assert page.status_code == 200
    html = page.text
    assert "Open requests and their clocks" in html and f"/requests/{scene['to_mx']}" in html
    assert f"/entities/{scene['shared']}" in html and "US-CBP — searches of your agency it holds matches for: 1" in html
    spec = json.loads(SPEC.search(html).group(1))
    assert spec["mark"]["type"] == "line" and {v["series"] for v in spec["data"]["values"]} >= {"Requests received"}
    assert sum(v["count"] for v in spec["data"]["values"] if v["series"] == "Requests received") == 1
    for secret in (scene["kept"], scene["to_atf"], "US-ATF", "rifle"):
        assert secret not in html
    assert client.post("/language", data={"lang": "es", "csrf": csrf, "next": "/"}).status_code == 200
    spanish = client.get("/").text
    assert "Solicitudes abiertas y sus plazos" in spanish and "Solicitudes recibidas" in spanish


def test_an_auditor_sees_which_partners_searched_its_records(client, db, scene):  # noqa: ANN001, F811
    sequence_audit(db)
    with db.unit_of_work() as s:
        act_as_system(s)  # the node operator sets the auditor a password
        access.get_user(session=s, username="us_auditor").password_hash = access.hash_password("auditor pw")
    sign_in(client, "us_auditor", "auditor pw")
    html = client.get("/").text
    assert "MX-FGR — searches: 1" in html and 'data-testid="figures"' not in html
    assert scene["kept"] not in html and 'data-testid="review"' not in html

"""An engagement recorded by US-CBP and released to MX-FGR, with commitments tied to indicators."""

from pathlib import Path

import pytest

READOUTS = Path(__file__).parent / "readouts"


def engagement_body(**extra):
    body = {
        "name": "Call between the Deputy Secretary of State and the Mexican Foreign Secretary",
        "date": "2025-01-10", "format": "call", "countries": ["US", "MX"],
        "topics": ["border_security", "migration_returns"],
        "summary": "Border security, return flights and trafficking networks.",
        "readouts": [(READOUTS / "call-en.txt").read_text(encoding="utf-8")],
        "participants": [{"name": "Christopher Landau", "title": "Deputy Secretary of State",
                          "office": "Department of State", "country": "US"}],
        "distribution": "release", "release_to": ["MX-FGR"],
    }
    body.update(extra)
    return body


@pytest.fixture
def engagement(client, cast):
    r = client.post("/api/v1/engagements", headers=cast["us_analyst"].headers, json=engagement_body())
    assert r.status_code == 201, r.text
    return r.json()


def commit(client, member, engagement_id, **extra):
    body = {"engagement_id": engagement_id, "name": "Answer partner requests faster",
            "committed_by": "Christopher Landau", "owner_agency": "US-CBP", "due_date": "2030-12-31",
            "indicator": "requests.answered", "target": 10, "unit": "requests",
            "distribution": "release", "release_to": ["MX-FGR"]}
    body.update(extra)
    return client.post("/api/v1/engagements/commitments", headers=member.headers, json=body)

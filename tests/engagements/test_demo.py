"""The demo's own Arabic and Spanish readouts go through intake and show on the pages."""

from binational.engagements import demo
from tests.web.conftest import sign_in


def test_the_demo_takes_in_its_arabic_and_spanish_readouts(client, cast, db):
    said = []
    arabic, spanish = demo.load(db, said.append, recorder="mx_analyst", admin="admin", release_to=("US-CBP",))
    assert len(said) == 2 and "ar" in said[0]
    us = cast["us_analyst"]
    views = [client.get(f"/api/v1/engagements/{e}", headers=us.headers).json() for e in (arabic, spanish)]
    for view in views:
        assert sorted(p["name"] for p in view["participants"]) == ["Daniel Whitaker", "Mariana Ochoa Villaseñor"]
        assert set(view["countries"]) == {"US", "MX"}
        assert {"border_security", "arms_trafficking", "migration_returns"} <= set(view["topics"])
    # the second readout's participants are the records the first wrote, confirmed from intake's candidates
    assert sorted(p["id"] for p in views[0]["participants"]) == sorted(p["id"] for p in views[1]["participants"])
    sign_in(client, "us_analyst")
    page = client.get(f"/engagements/{arabic}")
    assert page.status_code == 200 and 'dir="rtl" lang="ar"' in page.text
    assert "ماريانا أوتشوا فياسينيور" in page.text

"""Attacks first: an agency's internal series never reach another agency — not through the list, its
count, a read, an export, a forecast, an alert, a notice, a subscription or an error — while public
statistics are shared with every agency."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from binational.cli import app
from binational.db import act_as
from tests.conftest import BACKEND
from tests.flows import samples

API = "/api/v1/flows"
runner = CliRunner()


@pytest.fixture
def world(upload, series_ids):  # noqa: ANN001
    """US-CBP holds an internal series (agency), a national one and public CBP encounters."""
    upload(
        "us_analyst",
        samples.long_csv(samples.seasonal("cbp-internal-surge", 2019, 60, 1000.0, surge_last=3.0)),
        name="internal.csv",
    )
    upload(
        "us_analyst",
        samples.long_csv(samples.seasonal("cbp-national", 2019, 60, 500.0)),
        name="national.csv",
        distribution="national",
    )
    upload("us_analyst", samples.encounters(), name="encounters.csv")
    ids = series_ids("us_analyst")
    return {
        "internal": ids["US-CBP:cbp-internal-surge"],
        "national": ids["US-CBP:cbp-national"],
        "public": ids["US-CBP:us-cbp-encounters/total"],
    }


def test_a_partner_lists_and_counts_public_series_only(client, cast, world, series_ids):
    for who in ("mx_analyst", "outsider", "mx_inm"):
        seen = series_ids(who)
        assert world["public"] in seen.values()
        assert world["internal"] not in seen.values() and world["national"] not in seen.values()
        indicators = client.get(f"{API}/indicators", headers=cast[who].headers).json()
        assert all(row["indicator"].startswith("us-cbp-") for row in indicators), indicators
        count = client.get(
            f"{API}/series", headers=cast[who].headers, params={"indicator": "cbp-internal-surge"}
        ).json()
        assert count == {"items": [], "count": 0, "next_cursor": None}
    # the same country sees the national series, not the agency's own
    seen = series_ids("us_atf")
    assert world["national"] in seen.values() and world["internal"] not in seen.values()


def test_a_hidden_series_answers_as_one_that_does_not_exist(client, cast, world):
    missing = max(world.values()) + 1000
    for path in ("/series/{}", "/series/{}/export"):
        hidden = client.get(API + path.format(world["internal"]), headers=cast["mx_analyst"].headers)
        absent = client.get(API + path.format(missing), headers=cast["mx_analyst"].headers)
        assert hidden.status_code == absent.status_code == 404
        assert hidden.json()["error"]["code"] == absent.json()["error"]["code"] == "not_found"
        assert hidden.text.replace(str(world["internal"]), "ID") == absent.text.replace(str(missing), "ID")
    assert client.get(f"{API}/series/{world['public']}", headers=cast["mx_analyst"].headers).status_code == 200
    r = client.get(f"{API}/series/{world['internal']}", headers=cast["us_analyst"].headers)
    assert r.status_code == 200 and len(r.json()["values"]) == 60


def test_subscribing_to_a_hidden_indicator_is_like_an_unknown_one(client, cast, world):
    hidden = client.post(
        f"{API}/subscriptions", headers=cast["mx_analyst"].headers, params={"indicator": "cbp-internal-surge"}
    )
    absent = client.post(
        f"{API}/subscriptions", headers=cast["mx_analyst"].headers, params={"indicator": "cbp-internal-surgf"}
    )
    assert hidden.status_code == absent.status_code == 404
    assert hidden.text.replace("surge", "X") == absent.text.replace("surgf", "X")


def test_forecasts_alerts_and_notices_stay_with_who_may_see(client, cast, world, settings):
    # both agencies subscribe to what they see; the surge sits in the internal series' last month
    assert (
        client.post(
            f"{API}/subscriptions", headers=cast["us_analyst"].headers, params={"indicator": "cbp-internal-surge"}
        ).status_code
        == 200
    )
    assert (
        client.post(
            f"{API}/subscriptions", headers=cast["mx_analyst"].headers, params={"indicator": "us-cbp-encounters"}
        ).status_code
        == 200
    )
    # a partner's forecast run covers the public series only
    r = runner.invoke(app, ["flows", "forecast", "--as", "mx_analyst", "--horizon", "6"])
    assert r.exit_code == 0, r.output
    assert '"forecast": 10, "skipped": 0' in r.stdout
    assert (
        client.get(f"{API}/series/{world['internal']}", headers=cast["us_analyst"].headers).json()["forecast"] is None
    )
    # the owner's alert check finds the internal surge (year over year); the partner's finds nothing of it
    r = runner.invoke(app, ["flows", "alerts", "--as", "mx_analyst"])
    assert r.exit_code == 0, r.output
    assert "cbp-internal-surge" not in r.stdout
    r = runner.invoke(app, ["flows", "alerts", "--as", "us_analyst"])
    assert r.exit_code == 0, r.output
    assert "cbp-internal-surge" in r.stdout
    own = client.get(f"{API}/notices", headers=cast["us_analyst"].headers).json()
    assert [n["series"] for n in own] == ["cbp-internal-surge"]
    for who in ("mx_analyst", "outsider"):
        assert client.get(f"{API}/notices", headers=cast[who].headers).json() == []
        alerts = client.get(f"{API}/alerts", headers=cast[who].headers).json()
        assert all(a["series_id"] != world["internal"] for a in alerts)


def test_cli_refuses_a_hidden_series_as_an_absent_one(world, settings):
    hidden = runner.invoke(app, ["flows", "show", str(world["internal"]), "--as", "mx_analyst"])
    absent = runner.invoke(app, ["flows", "show", str(world["internal"] + 999), "--as", "mx_analyst"])
    assert hidden.exit_code == absent.exit_code == 2
    assert hidden.stderr.replace(str(world["internal"]), "ID") == absent.stderr.replace(
        str(world["internal"] + 999), "ID"
    )


@pytest.mark.skipif(BACKEND != "postgresql", reason="row-level security is PostgreSQL's")
def test_raw_sql_as_a_partner_reads_no_internal_value(db, world, cast):
    from binational.access import service as access

    with db.session() as s:
        with s.begin():
            user = access.get_user(session=s, username="mx_analyst")
            actor = access.actor_for(session=s, user=user)
        act_as(s, actor)
        with s.begin():
            series = set(s.execute(text("SELECT id FROM flow_series")).scalars())
            values = set(s.execute(text("SELECT DISTINCT series_id FROM flow_values")).scalars())
            imports = s.execute(text("SELECT count(*) FROM flow_imports")).scalar_one()
        assert world["internal"] not in series and world["national"] not in series and world["public"] in series
        assert world["internal"] not in values and world["public"] in values
        assert imports == 0

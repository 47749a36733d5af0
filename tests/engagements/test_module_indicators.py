"""The indicators the firearms, repatriation, trade and flows modules give commitments: each counts only the
rows the viewer may see through that row's own rule, so a partner that sees none of them gets its own
(empty) figures, never the owner's; and a commitment tied to them shows progress from the data."""

from datetime import date

from binational.access.markings import rank
from binational.db import act_as_system, utcnow
from binational.repatriation.models import ManifestLine, Movement
from binational.trade.models import TradeDeclaration, TradeInspection
from tests.engagements.conftest import commit
from tests.firearms.conftest import atf, sent, stocked  # noqa: F401 - fixtures
from tests.web.conftest import sign_in

API = "/api/v1/engagements/indicators"


def _this_month(client, member, key):
    today = utcnow().date()
    r = client.get(f"{API}/{key}", headers=member.headers,
                   params={"start": today.replace(day=1).isoformat(), "end": today.isoformat()})
    assert r.status_code == 200, r.text
    return r.json()["series"][-1][1]


def _user_id(db, username):
    from binational.access import service as access

    with db.session() as s:
        act_as_system(s)
        return access.get_user(session=s, username=username).id


def test_traces_resolved_and_time_to_crime_follow_the_trace_rule(client, cast, atf, sent):  # noqa: F811
    r = client.post("/api/v1/firearms/traces/resolve", headers=atf.headers)
    assert r.status_code == 200 and r.json()["resolved"] == 1, r.text
    # The exact serial resolved at once: 143 days from its sale to its recovery.
    assert _this_month(client, atf, "firearms.traces_resolved") == 1
    assert _this_month(client, atf, "firearms.time_to_crime") == 143
    # MX-FGR asked for the trace and the result is released to it: the same figures.
    assert _this_month(client, cast["mx_analyst"], "firearms.traces_resolved") == 1
    # Neither party: nothing counted, no median.
    for member in (cast["us_analyst"], cast["outsider"]):
        assert _this_month(client, member, "firearms.traces_resolved") == 0
        assert _this_month(client, member, "firearms.time_to_crime") is None


def test_people_returned_follow_the_movement_rule(client, cast, db):
    now = utcnow()
    with db.unit_of_work() as s:
        act_as_system(s)
        s.add(Movement(id="mv-1", arrangement="test", from_agency="US-CBP", to_agency="MX-INM", consulate=None,
                       marking="TLP:AMBER", marking_rank=rank("TLP:AMBER"), mode="land", point="El Paso",
                       country="MX", date=now.date(), start_hour=8, end_hour=18, capacity=10, state="received",
                       created_by=_user_id(db, "us_analyst"), received_at=now))
        s.flush()
        for i, status in enumerate(("boarded", "boarded", "pulled")):
            s.add(ManifestLine(movement_id="mv-1", from_agency="US-CBP", to_agency="MX-INM", consulate=None,
                               marking_rank=rank("TLP:AMBER"), detainee_id=f"d{i}", line_no=i + 1, name=f"P {i}",
                               sex="F", birth_date=date(1990, 1, 1), nationality="MX", category="adult",
                               status=status))
    assert _this_month(client, cast["us_analyst"], "repatriation.people_returned") == 2
    assert _this_month(client, cast["mx_inm"], "repatriation.people_returned") == 2
    for member in (cast["mx_analyst"], cast["outsider"], cast["us_atf"]):
        assert _this_month(client, member, "repatriation.people_returned") == 0


def test_inspections_and_hit_rate_follow_the_trade_rule(client, cast, db, engagement):
    with db.unit_of_work() as s:
        act_as_system(s)
        for i, fraud in enumerate((1, 0, 0, 1)):
            declaration = TradeDeclaration(owner_agency="US-CBP", owner_country="US", distribution="agency",
                                           marking="TLP:AMBER", marking_rank=rank("TLP:AMBER"), reference=f"D{i}",
                                           declared_on=utcnow().date(), fields="{}")
            s.add(declaration)
            s.flush()
            s.add(TradeInspection(owner_agency="US-CBP", owner_country="US", distribution="agency",
                                  marking="TLP:AMBER", marking_rank=rank("TLP:AMBER"),
                                  declaration_id=declaration.id, fraud=fraud, critical=fraud))
    us = cast["us_analyst"]
    assert _this_month(client, us, "trade.inspections") == 4
    assert _this_month(client, us, "trade.hit_rate") == 50.0
    for member in (cast["mx_analyst"], cast["us_atf"], cast["outsider"]):
        assert _this_month(client, member, "trade.inspections") == 0
        assert _this_month(client, member, "trade.hit_rate") is None
    # A commitment tied to the hit rate, released to MX-FGR: the partner sees the commitment and its
    # target, but its figures come from its own rows (none), never US-CBP's 50 %.
    r = commit(client, us, engagement["id"], indicator="trade.hit_rate", target=40, unit="percent")
    assert r.status_code == 201, r.text
    assert r.json()["progress"]["latest"] == 50.0 and r.json()["progress"]["on_track"] is True
    seen = client.get(f"/api/v1/engagements/commitments/{r.json()['id']}", headers=cast["mx_analyst"].headers)
    assert seen.status_code == 200 and seen.json()["progress"]["latest"] is None
    assert all(v is None for _, v in seen.json()["progress"]["series"])
    # The brief and the commitment's page hold no figure for the partner either, in either language.
    pdf = client.get(f"/api/v1/engagements/{engagement['id']}/brief.pdf", headers=cast["mx_analyst"].headers,
                     params={"language": "es"})
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    own = client.get(f"/api/v1/engagements/{engagement['id']}/brief.pdf", headers=us.headers)
    assert own.status_code == 200 and own.content.startswith(b"%PDF")
    sign_in(client, "mx_analyst")
    page = client.get(f"/engagements/commitments/{r.json()['id']}", headers={"Accept-Language": "es"})
    assert page.status_code == 200 and "50.0" not in page.text and "50 %" not in page.text


def test_encounters_follow_the_series_rule_and_count_a_month_once(client, cast):
    """An agency's own series of CBP encounters counts for that agency only: a partner and a third
    agency get no figure for its months, never its values."""
    us = cast["us_analyst"]
    body = b"series_id,month,value\nus-cbp-encounters,2024-01,120\nus-cbp-encounters,2024-02,95\n"
    r = client.post("/api/v1/flows/imports", headers={**us.headers, "Content-Type": "text/csv"},
                    params={"source": "encounters.csv"}, content=body)
    assert r.status_code == 201, r.text

    def figures(member):
        r = client.get(f"{API}/flows.encounters", headers=member.headers,
                       params={"start": "2024-01-01", "end": "2024-03-31"})
        assert r.status_code == 200, r.text
        return [value for _month, value in r.json()["series"]]

    assert figures(us) == [120, 95, None]
    for member in (cast["mx_analyst"], cast["outsider"]):
        assert figures(member) == [None, None, None]

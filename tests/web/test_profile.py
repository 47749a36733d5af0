"""The profile of a record (`/entities/{id}`): what a partner or an outsider may not see leaves no trace in
its values, related groups and their counts, timeline, map, merged cluster or readers panel; and what
it may see reads as a person reads it, in English and Spanish."""

from __future__ import annotations

import json
import re

import pytest

from binational.entities.profile import Place, ordered
from binational.web.point_map import draw
from binational.web.readable import country, when
from tests.conftest import PASSWORD
from tests.web.conftest import sign_in


def _create(client, member, body):
    r = client.post("/api/v1/entities", headers=member.headers, json=body)
    assert r.status_code == 201, r.text
    return r.json()["id"]


@pytest.fixture
def story(client, cast):
    """US-CBP's Ana, released to MX-FGR and MX-INM, around whom some records are shared and some not;
    MX-FGR's own record of her, judged the same by MX-FGR; MX-INM's private one, judged the same by MX-INM."""
    us, mx, inm = cast["us_analyst"], cast["mx_analyst"], cast["mx_inm"]
    shared = {"distribution": "release", "release_to": ["MX-FGR", "MX-INM"]}
    home = _create(client, us, {"schema": "Address", "properties": {
        "full": ["Calle Uno 5, Ciudad Juárez"], "latitude": ["31.69"], "longitude": ["-106.42"]}, **shared})
    safehouse = _create(client, us, {"schema": "Address", "properties": {
        "full": ["Hidden Safehouse, San Antonio"], "latitude": ["29.42"], "longitude": ["-98.49"]}})
    ana = _create(client, us, {"schema": "Person", "properties": {
        "name": ["Ana Ruiz"], "nationality": ["mx"], "birthDate": ["1985-04-12"], "addressEntity": [home, safehouse]},
        **shared})
    r = client.patch(f"/api/v1/entities/{ana}", headers=us.headers,
                     json={"add": {"idNumber": ["SECRET-ID-77"]}, "distribution": "agency"})
    assert r.status_code == 200, r.text
    north = _create(client, us, {"schema": "Organization", "properties": {"name": ["Cartel Norte"]}, **shared})
    south = _create(client, us, {"schema": "Organization", "properties": {"name": ["Cartel Sur"]}, **shared})
    shown = _create(client, us, {"schema": "Membership", "properties": {
        "member": [ana], "organization": [north], "role": ["jefa de plaza"]}, **shared})
    kept = _create(client, us, {"schema": "Membership", "properties": {
        "member": [ana], "organization": [south], "role": ["tesorera"]}})
    crossing = _create(client, us, {"schema": "BorderCrossing", "properties": {
        "name": ["Cruce en El Paso"], "traveler": [ana], "date": ["2024-02-10"], "portOfEntry": ["El Paso"]},
        **shared})
    hidden_crossing = _create(client, us, {"schema": "BorderCrossing", "properties": {
        "name": ["Hidden crossing"], "traveler": [ana], "date": ["2023-07-04"]}})
    mx_home = _create(client, mx, {"schema": "Address", "properties": {"full": ["Av. Juárez 100, Chihuahua"]}})
    mx_ana = _create(client, mx, {"schema": "Person", "properties": {
        "name": ["Ana Ruiz Soto"], "birthDate": ["1985-04-12"], "passportNumber": ["G12345678"],
        "addressEntity": [mx_home]}})
    r = client.post("/api/v1/resolution/judgements", headers=mx.headers,
                    json={"verdict": "positive", "left_id": ana, "right_id": mx_ana})
    assert r.status_code == 201, r.text
    inm_ana = _create(client, inm, {"schema": "Person", "properties": {"name": ["Ana Clandestina"]}})
    r = client.post("/api/v1/resolution/judgements", headers=inm.headers,
                    json={"verdict": "positive", "left_id": ana, "right_id": inm_ana})
    assert r.status_code == 201, r.text
    return {"ana": ana, "home": home, "safehouse": safehouse, "north": north, "south": south, "shown": shown,
            "kept": kept, "crossing": crossing, "hidden_crossing": hidden_crossing, "mx_ana": mx_ana,
            "mx_home": mx_home, "inm_ana": inm_ana}


def _count(html: str, schema: str) -> int:
    match = re.search(rf'id="group-{schema}">[^<]*<span class="count">(\d+)</span>', html)
    return int(match.group(1)) if match else 0


def _section(html: str, testid: str) -> str:
    match = re.search(rf'<section[^>]*data-testid="{testid}".*?</section>', html, re.S)
    return match.group(0) if match else ""


HIDDEN_TEXTS = ("SECRET-ID-77", "Hidden Safehouse", "29.42", "Cartel Sur", "tesorera", "Hidden crossing",
                "2023", "Ana Clandestina")


def test_partner_sees_no_trace_of_what_is_hidden(client, story):
    sign_in(client, "mx_analyst")
    html = client.get(f"/entities/{story['ana']}", headers={"accept-language": "es"}).text
    for hidden in HIDDEN_TEXTS:
        assert hidden not in html, hidden
    for key in ("safehouse", "south", "kept", "hidden_crossing", "inm_ana"):
        assert story[key] not in html, key
    assert _count(html, "Membership") == 1 and "Cartel Norte" in html and "jefa de plaza" in html
    assert _count(html, "BorderCrossing") == 1
    timeline = _section(html, "timeline")
    assert "12 de abril de 1985" in timeline and "10 de febrero de 2024" in timeline
    map_ = _section(html, "map")
    assert map_.count('class="pin"') == 1 and "Calle Uno 5" in map_
    assert "México" in html and ">mx<" not in html
    cluster = _section(html, "cluster")
    assert "Ana Ruiz Soto" in cluster and "G12345678" in cluster and "MX-FGR, US-CBP" in cluster
    assert "Av. Juárez 100, Chihuahua" in cluster and story["mx_home"] not in cluster  # by its text
    assert _section(html, "readers") == ""


def test_owner_sees_everything_and_outsider_nothing(client, story):
    sign_in(client, "us_analyst")
    html = client.get(f"/entities/{story['ana']}").text
    for shown in ("SECRET-ID-77", "Hidden Safehouse", "Cartel Sur", "Hidden crossing", "April 12, 1985"):
        assert shown in html, shown
    assert _count(html, "Membership") == 2 and _count(html, "BorderCrossing") == 2
    assert _section(html, "map").count('class="pin"') == 2
    # MX-FGR's verdict and record, and MX-INM's, are the Mexican agencies' own: no cluster here
    assert _section(html, "cluster") == "" and "Ana Ruiz Soto" not in html and "Av. Juárez" not in html
    assert _section(html, "readers") == ""  # an analyst, not the agency's auditor or supervisor


def test_readers_panel_for_the_owner_supervisor_only(client, cast, db, story):
    from binational.access import service as access
    from binational.db import act_as_system

    sign_in(client, "mx_analyst")
    assert client.get(f"/entities/{story['ana']}").status_code == 200
    mx_own = client.get(f"/entities/{story['mx_ana']}").text
    assert _section(mx_own, "readers") == ""
    with db.unit_of_work() as s:
        act_as_system(s)
        access.get_user(session=s, username="us_analyst").roles = "analyst,supervisor"
    sign_in(client, "us_analyst")
    assert client.get(f"/entities/{story['ana']}").status_code == 200  # a read of its own, listed next time
    html = client.get(f"/entities/{story['ana']}").text
    readers = _section(html, "readers")
    assert "MX-FGR" in readers and "mx_analyst" in readers
    assert "us_analyst" in readers and "mx_inm" not in readers  # MX-INM's verdict is no read
    assert story["inm_ana"] not in html


def test_outsider_gets_the_ordinary_404(client, cast, db, story):
    from binational.access import service as access
    from binational.db import act_as_system

    with db.unit_of_work() as s:
        act_as_system(s)
        user = access.get_user(session=s, username="outsider")
        access.set_password_hash(session=s, user=user, password_hash=access.hash_password(PASSWORD))
    sign_in(client, "outsider")
    for key in ("ana", "home", "north", "crossing"):
        r = client.get(f"/entities/{story[key]}")
        assert r.status_code == 404 and "Ana Ruiz" not in r.text


def test_profile_api_for_partner_owner_and_outsider(client, cast, story):
    r = client.get(f"/api/v1/entities/{story['ana']}/profile", headers=cast["mx_analyst"].headers)
    assert r.status_code == 200, r.text
    for hidden in (*HIDDEN_TEXTS, story["safehouse"], story["south"], story["kept"], story["hidden_crossing"]):
        assert hidden not in r.text, hidden
    body = r.json()
    groups = {g["schema"]: g for g in body["groups"]}
    assert groups["Membership"]["count"] == 1 and groups["Membership"]["items"][0]["id"] == story["north"]
    assert groups["Membership"]["items"][0]["via"] == story["shown"]
    assert [m["date"] for m in body["timeline"]] == ["1985-04-12", "2024-02-10"]
    assert [(p["latitude"], p["longitude"]) for p in body["places"]] == [(31.69, -106.42)]

    owner = client.get(f"/api/v1/entities/{story['ana']}/profile", headers=cast["us_analyst"].headers).json()
    assert {g["schema"]: g["count"] for g in owner["groups"]}["Membership"] == 2 and len(owner["places"]) == 2

    for who in ("outsider", "us_atf"):
        r = client.get(f"/api/v1/entities/{story['ana']}/profile", headers=cast[who].headers)
        assert r.status_code == 404 and r.json()["error"]["code"] == "not_found" and "Ana" not in r.text


def test_profile_on_the_command_line(story):
    from typer.testing import CliRunner

    from binational.cli import app

    result = CliRunner().invoke(app, ["entities", "profile", story["ana"], "--as", "mx_analyst"])
    assert result.exit_code == 0, result.output
    assert "Memberships (1)" in result.stdout and "Cartel Norte — jefa de plaza" in result.stdout
    assert "2024-02-10" in result.stdout and "31.69, -106.42" in result.stdout
    for hidden in HIDDEN_TEXTS:
        assert hidden not in result.stdout, hidden
    as_json = CliRunner().invoke(app, ["entities", "profile", story["ana"], "--as", "mx_analyst", "--json"])
    assert [g["count"] for g in json.loads(as_json.stdout)["groups"] if g["schema"] == "Membership"] == [1]
    refused = CliRunner().invoke(app, ["entities", "profile", story["ana"], "--as", "outsider"])
    assert refused.exit_code == 2 and len(refused.stderr.strip().splitlines()) == 1 and "Ana" not in refused.output


def test_who_sees_the_readers_of_a_record():
    from binational.access.policy import Actor, may_see_readers
    from binational.access.roles import capabilities_of

    def actor(agency: str, *roles: str) -> Actor:
        return Actor(1, "u", agency, agency[:2], frozenset(roles), capabilities_of(roles), "TLP:RED", 4)

    assert may_see_readers(actor("US-CBP", "supervisor"), owner_agency="US-CBP")
    assert may_see_readers(actor("US-CBP", "auditor"), owner_agency="US-CBP")
    assert not may_see_readers(actor("US-CBP", "analyst", "liaison", "admin"), owner_agency="US-CBP")
    assert not may_see_readers(actor("MX-FGR", "supervisor", "auditor"), owner_agency="US-CBP")


def test_values_read_as_a_person_reads_them():
    assert country("mx", "es") == "México" and country("us", "en") == "United States"
    assert when("1985-04-12", "es") == "12 de abril de 1985" and when("1985-04", "en") == "April 1985"
    assert when("1985", "es") == "1985" and when("not a date", "en") == "not a date"
    # FtM's featured properties of a Person first, in the schema's order, then the rest by label
    names = [name for name, *_ in ordered("Person", ["phone", "birthDate", "alias", "name", "nationality"])]
    assert names == ["name", "nationality", "birthDate", "alias", "phone"]


def test_the_map_frames_its_points():
    assert draw([]) is None
    juarez = Place(31.69, -106.42, None)  # type: ignore[arg-type] - the drawing reads coordinates only
    tijuana = Place(32.52, -117.04, None)  # type: ignore[arg-type]
    drawn = draw([juarez, tijuana])
    inner = (drawn.margin, drawn.width - drawn.margin, drawn.margin, drawn.height - drawn.margin)
    for pin in drawn.pins:
        assert inner[0] < pin.x < inner[1] and inner[2] < pin.y < inner[3]
    west, east = sorted(drawn.pins, key=lambda p: p.x)
    assert west.place is tijuana and east.place is juarez and west.y < east.y  # Tijuana lies north
    meridians = [line.degree for line in drawn.lines if line.vertical]
    assert meridians and all(-119 < d < -104 for d in meridians) and len(meridians) <= 6

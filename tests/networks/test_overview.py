"""The network page opens on an overview the viewer may see, never on a refusal."""

from __future__ import annotations

from binational.access import service as access
from binational.config import get_settings
from binational.db import act_as
from binational.networks import service
from tests.networks.conftest import world  # noqa: F401 - the shared world
from tests.web.conftest import sign_in


def _organisation(client, cast, world, **policy):  # noqa: ANN001, ANN202, F811
    """US-CBP's Cartel del Norte, with Ana and Beto as members (the memberships share its policy)."""
    us = cast["us_analyst"]
    org = client.post("/api/v1/entities", headers=us.headers, json={
        "schema": "Organization", "properties": {"name": ["Cartel del Norte"]}, **policy}).json()["id"]
    for person in (world["ana"], world["beto"]):
        r = client.post("/api/v1/entities", headers=us.headers, json={
            "schema": "Membership", "properties": {"organization": [org], "member": [person]}, **policy})
        assert r.status_code == 201, r.text
    return org


def test_the_overview_shows_only_what_the_viewer_may_see(client, cast, world):  # noqa: ANN001, F811
    org = _organisation(client, cast, world)  # kept to US-CBP
    sign_in(client, "mx_analyst")
    page = client.get("/network")
    assert page.status_code == 200 and "Largest organisations" in page.text
    assert org not in page.text and "Cartel" not in page.text and "Carla" not in page.text
    assert 'data-whole="true"' in page.text  # small enough: the page draws the whole network too
    found = client.get("/network", params={"q": "Ana"}).text
    assert f"/network?entity={world['ana']}&amp;depth=2" in found
    hidden = client.get("/network", params={"q": "Carla"}).text
    assert world["carla"] not in hidden and "No person or organisation you may see matches" in hidden

    client.cookies.clear()
    sign_in(client, "us_analyst")
    page = client.get("/network").text
    assert f"/network?entity={org}&amp;depth=2" in page and "records naming it: 2" in page
    assert 'data-testid="communities"' in page


def test_an_outsider_and_a_large_network_open_on_the_overview(client, db, cast, world, monkeypatch):  # noqa: ANN001, F811
    _organisation(client, cast, world, distribution="release", release_to=["MX-FGR"])
    with db.unit_of_work() as s:  # GT-PNC: no release, nothing to see, and still no refusal
        outsider = access.actor_for(session=s, user=access.find_user(session=s, username="outsider"))
        act_as(s, outsider)
        seen = service.overview(session=s, actor=outsider)
    assert (seen.parties, seen.organisations, seen.communities, seen.whole) == (0, [], [], True)
    loner = client.post("/api/v1/entities", headers=cast["us_analyst"].headers, json={
        "schema": "Person", "properties": {"name": ["Dora Lara"]}, "distribution": "release", "release_to": ["MX-FGR"]})
    assert loner.status_code == 201, loner.text
    sign_in(client, "mx_analyst")
    # four parties over a limit of three: the communities are looked for around the cartel (three parties)
    monkeypatch.setenv("BINATIONAL_NETWORK_MAX_NODES", "3")
    get_settings.cache_clear()
    page = client.get("/network", headers={"Accept-Language": "es-MX"})
    assert page.status_code == 200 and 'data-whole="false"' in page.text
    assert "Cartel del Norte" in page.text and "las comunidades entre los vínculos" in page.text
    assert 'data-testid="communities"' in page.text  # Ana and Beto, members of the cartel: one community


def test_a_plan_without_a_budget_takes_one_that_fits(client, world):  # noqa: ANN001, F811
    csrf = sign_in(client, "us_analyst")
    plan = client.post("/network/plan", data={"csrf": csrf, "budget": "", "method": "hybrid"})
    assert plan.status_code == 200, plan.text
    assert plan.json()["budget"] == 1 and len(plan.json()["targets"]) == 1  # 5 % of three people, at least one


def _one_by_one(s, actor, parties):  # noqa: ANN001, ANN202
    """The ties of each party from its own neighbourhood, one after another (what `_around` did alone)."""
    from binational.networks import analysis, neighbourhood
    from binational.resolution import service as resolution
    nodes, links = {}, set()
    for party in parties:
        whole, _read = neighbourhood.expand(s, actor, party, 1, limit=get_settings().network_max_nodes,
                                            resolve=lambda ids: resolution.clusters_of(s, actor, ids))
        centre = whole.node_for(party)
        if centre is None:  # a party the viewer may not see
            continue
        ego = analysis.ego(whole, centre, 1)
        nodes.update(ego.nodes)
        links |= set(ego.links)
    return set(nodes), links


def test_the_overview_reads_the_largest_organisations_own_ties_within_their_neighbourhoods(
        client, db, cast, world, monkeypatch):  # noqa: ANN001, F811
    first = _organisation(client, cast, world, distribution="release", release_to=["MX-FGR"])
    second = client.post("/api/v1/entities", headers=cast["us_analyst"].headers, json={
        "schema": "Organization", "properties": {"name": ["Los Hermanos Lara"]}, "distribution": "release",
        "release_to": ["MX-FGR"]}).json()["id"]
    r = client.post("/api/v1/entities", headers=cast["us_analyst"].headers, json={
        "schema": "Membership", "properties": {"organization": [second], "member": [world["beto"]]},
        "distribution": "release", "release_to": ["MX-FGR"]})
    assert r.status_code == 201, r.text
    for limit in ("1000", "4"):  # together, and past the limit together: one by one, as many as fit
        monkeypatch.setenv("BINATIONAL_NETWORK_MAX_NODES", limit)
        get_settings.cache_clear()
        for who in ("mx_analyst", "us_analyst", "outsider"):
            with db.unit_of_work() as s:
                actor = access.actor_for(session=s, user=access.find_user(session=s, username=who))
                act_as(s, actor)
                together = service._around(s, actor, [first, second])
                if limit == "1000":  # their own ties: part of their neighbourhoods, never beyond them
                    nodes, links = _one_by_one(s, actor, [first, second])
                    assert set(together.nodes) <= nodes and set(together.links) <= links
                    assert who == "outsider" or len(together.nodes) >= 4  # both organisations, Ana and Beto
                else:
                    assert len(together.nodes) <= 4
                if who == "outsider":
                    assert not together.nodes

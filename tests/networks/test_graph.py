"""The graph a viewer may see: no node, edge or identifier the viewer may not see."""


def graph(client, member, **params):
    r = client.get("/api/v1/networks/graph", headers=member.headers, params=params)
    assert r.status_code == 200, r.text
    return r.json()


def kinds(g):
    return sorted((e["type"], e["source"], e["target"], e["weight"]) for e in g["edges"])


def test_us_sees_its_calls_and_shared_phone(client, cast, world):
    g = graph(client, cast["us_analyst"])
    assert {n["id"] for n in g["nodes"]} == {world["ana"], world["beto"], world["carla"]}
    types = {e["type"] for e in g["edges"]}
    assert types == {"Call", "shared_phone"}  # MX's Family record is not released to US
    call = next(e for e in g["edges"] if e["type"] == "Call")
    assert call["weight"] == 2 and call["agencies"] == ["US-CBP"]
    assert call["first"] == "2024-03-01" and call["last"] == "2024-05-01"
    assert sorted(call["records"]) == sorted([world["call"], world["call2"]])
    phones = [e for e in g["edges"] if e["type"] == "shared_phone"]
    assert len(phones) == 1 and phones[0]["via"] == ["phone: 9155550100"]


def test_mx_sees_no_edge_built_from_a_us_only_statement(client, cast, world):
    g = graph(client, cast["mx_analyst"])
    assert {n["id"] for n in g["nodes"]} == {world["ana"], world["beto"]}
    assert [(e["type"], e["agencies"]) for e in g["edges"]] == [("Family", ["MX-FGR"])]
    # Ana's phone is kept to US-CBP and Carla is US-only: no shared phone for MX
    text = str(g)
    assert world["call"] not in text and world["carla"] not in text


def test_outsider_sees_an_empty_network(client, cast, world):
    g = graph(client, cast["outsider"])
    assert g["nodes"] == [] and g["edges"] == []


def test_filters_and_time_slice(client, cast, world):
    us = cast["us_analyst"]
    assert {e["type"] for e in graph(client, us, type="Call")["edges"]} == {"Call"}
    sliced = graph(client, us, start="2024-04-01", end="2024-06-30", undated="false")
    assert [(e["type"], e["weight"]) for e in sliced["edges"]] == [("Call", 1)]
    assert graph(client, us, agency="MX-FGR")["edges"] == []


def test_measures_on_nodes(client, cast, world):
    g = graph(client, cast["us_analyst"])
    by_id = {n["id"]: n for n in g["nodes"]}
    assert by_id[world["ana"]]["degree"] == 2  # Beto (call, phone) and Carla (phone)
    assert all(n["community"] is not None for n in g["nodes"])
    assert g["betweenness_exact"] is True

"""Resolved entities are one node: only for a viewer who may see both records and the judgement."""

from tests.networks.conftest import _create


def _graph(client, member, **params):
    r = client.get("/api/v1/networks/graph", headers=member.headers, params=params)
    assert r.status_code == 200, r.text
    return r.json()


def test_a_positive_judgement_merges_two_records_into_one_node(client, cast):
    us, mx, atf = cast["us_analyst"], cast["mx_analyst"], cast["us_atf"]
    cbp_record = _create(client, us, {"schema": "Person", "properties": {"name": ["Jesús Ramírez"]},
                                      "distribution": "release", "release_to": ["MX-FGR"]})
    fgr_record = _create(client, mx, {"schema": "Person", "properties": {"name": ["Chuy Ramírez"]},
                                      "distribution": "release", "release_to": ["US-CBP", "US-ATF"]})
    contact = _create(client, us, {"schema": "Person", "properties": {"name": ["Luis Mora"]},
                                   "distribution": "release", "release_to": ["MX-FGR", "US-ATF"]})
    partner = _create(client, mx, {"schema": "Person", "properties": {"name": ["Rita Paz"]},
                                   "distribution": "release", "release_to": ["US-CBP", "US-ATF"]})
    _create(client, us, {"schema": "Associate", "properties": {"person": [cbp_record], "associate": [contact]},
                         "distribution": "release", "release_to": ["MX-FGR"]})
    _create(client, mx, {"schema": "Associate", "properties": {"person": [fgr_record], "associate": [partner]},
                         "distribution": "release", "release_to": ["US-CBP", "US-ATF"]})
    r = client.post("/api/v1/resolution/judgements", headers=us.headers,
                    json={"left_id": cbp_record, "right_id": fgr_record, "verdict": "positive"})
    assert r.status_code == 201, r.text

    # US-CBP sees both records and its own judgement: one node, tied to both contacts
    graph = _graph(client, us)
    merged = [n for n in graph["nodes"] if cbp_record in n["members"]]
    assert len(merged) == 1 and sorted(merged[0]["members"]) == sorted([cbp_record, fgr_record])
    assert merged[0]["id"] == min(cbp_record, fgr_record)
    assert len(graph["nodes"]) == 3
    ego = client.get(f"/api/v1/networks/ego/{cbp_record}", headers=us.headers, params={"depth": 1}).json()
    assert {n["id"] for n in ego["nodes"]} == {merged[0]["id"], contact, partner}

    # MX-FGR sees both records but not the US judgement (national in the US): two nodes
    graph = _graph(client, mx)
    assert {n["id"] for n in graph["nodes"]} == {cbp_record, fgr_record, contact, partner}
    assert all(len(n["members"]) == 1 for n in graph["nodes"])

    # US-ATF sees the judgement but not CBP's record: nothing merges, the hidden record never appears
    graph = _graph(client, atf)
    assert fgr_record in {n["id"] for n in graph["nodes"]}
    assert cbp_record not in str(graph)
    assert all(len(n["members"]) == 1 for n in graph["nodes"])

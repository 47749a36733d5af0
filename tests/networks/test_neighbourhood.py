"""An ego network read from its neighbourhood is the ego network of the whole graph."""

from __future__ import annotations

from binational.access import service as access
from binational.db import act_as
from binational.networks import analysis, neighbourhood
from binational.networks import service as networks
from binational.resolution import runs
from binational.resolution import service as resolution
from tests.resolution.conftest import loaded, small_world, world_lines  # noqa: F401 - fixtures


def _shape(net):
    return (sorted(net.nodes), sorted((sorted(n.members), n.caption) for n in net.nodes.values()),
            sorted((e.source, e.target, e.type, e.weight, tuple(e.agencies), tuple(e.records), tuple(e.via))
                   for e in net.edges()))


def test_ego_from_the_neighbourhood_equals_ego_from_the_whole_graph(db, loaded):  # noqa: F811
    """For each viewer, on one resolution run (a run per viewer would test the same thing thrice)."""
    with db.unit_of_work() as s:
        admin = access.actor_for(session=s, user=access.get_user(session=s, username="admin"))
        act_as(s, admin)
        assert runs.run(session=s, actor=admin, kinds=["person", "address"]).status == "finished"
    for username in ("us_analyst", "mx_analyst", "us_atf"):
        with db.unit_of_work() as s:
            actor = access.actor_for(session=s, user=access.get_user(session=s, username=username))
            act_as(s, actor)
            whole = networks.load(s, actor)
            assert len(whole.nodes) > 10 and whole.links
            compared = 0
            for key in sorted(whole.nodes)[:40]:
                centre = whole.nodes[key].members[0]
                for depth in (1, 2):
                    expected = analysis.ego(whole, key, depth)
                    got, read = neighbourhood.expand(s, actor, centre, depth, limit=10_000,
                                                     resolve=lambda ids: resolution.clusters_of(s, actor, ids))
                    assert _shape(analysis.ego(got, got.node_for(centre), depth)) == _shape(expected), \
                        (username, key, depth)
                    assert len(read.parties) <= len(whole.nodes)
                    compared += 1
            assert compared >= 20, username

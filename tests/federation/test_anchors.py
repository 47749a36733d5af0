"""Anchors and partner nodes: the keys `init` makes, `federation anchor | trust | untrust | partners`,
and what is refused with nothing written (a changed byte, an expired anchor, another hash, one's own)."""

from __future__ import annotations

import hashlib
import json
import stat
from datetime import timedelta

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from binational.access import service as access
from binational.access.models import Agency, Country
from binational.audit.models import AuditEntry
from binational.audit.notes import COSIGNATURE, ED25519, Verifier
from binational.cli import app
from binational.config import Settings
from binational.db import act_as_system, utcnow
from binational.errors import Conflict, Forbidden, InvalidInput
from binational.federation import anchors, service
from binational.federation.models import Partner
from tests.conftest import sequence_audit
from tests.federation.conftest import MX_NODE, US_NODE
from tests.web.conftest import sign_in

runner = CliRunner()


def _partners(db) -> list[Partner]:
    with db.unit_of_work() as s:
        act_as_system(s)
        return list(s.scalars(select(Partner)))


def _actions(db, action: str) -> list[dict]:
    sequence_audit(db)
    with db.unit_of_work() as s:
        act_as_system(s)
        return [json.loads(e) for e in s.scalars(select(AuditEntry.entry).where(AuditEntry.action == action))]


def test_init_makes_a_node_key_and_a_witness_key_apart_from_the_audit_key(template):
    settings = Settings(audit_key_path=template[1])
    paths = [settings.audit_key_path, settings.node_key_path, settings.witness_key_path]
    assert len({p.read_bytes() for p in paths}) == 3
    for path in paths[1:]:
        assert path.parent == settings.audit_key_path.parent
        assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_this_nodes_anchor_is_signed_and_names_its_agencies(us_node, db, tmp_path):
    out = tmp_path / "us.anchor"
    result = runner.invoke(app, ["federation", "anchor", "--out", str(out)])
    assert result.exit_code == 0, result.output
    anchor = anchors.verify(out.read_bytes().strip(), now=utcnow())
    assert anchor.node == US_NODE and set(anchor.agency_codes) == {"US-CBP", "US-ATF", "US-ICE"}
    assert anchor.sha256 in result.output
    assert anchor.sha256 == hashlib.sha256(out.read_bytes().strip()).hexdigest()
    assert _actions(db, "federation.anchor")[-1]["extra"]["sha256"] == anchor.sha256


def test_a_partner_is_trusted_listed_and_untrusted(us_node, db, mx_node, tmp_path):
    path = tmp_path / "mx.anchor"
    data = mx_node.anchor()
    path.write_bytes(data)
    sha = hashlib.sha256(data).hexdigest()
    result = runner.invoke(app, ["federation", "trust", str(path), "--sha256", sha])
    assert result.exit_code == 0, result.output
    assert sha in result.output and MX_NODE in result.output
    listed = runner.invoke(app, ["federation", "partners", "--json"])
    row = json.loads(listed.output)
    assert row["node"] == MX_NODE and row["status"] == "trusted" and row["agencies"] == ["MX-FGR", "MX-INM"]
    assert runner.invoke(app, ["federation", "untrust", MX_NODE]).exit_code == 0
    assert json.loads(runner.invoke(app, ["federation", "partners", "--json"]).output)["status"] == "ended"
    again = runner.invoke(app, ["federation", "untrust", MX_NODE])
    assert again.exit_code == 2 and again.output.count("\n") == 1
    assert [e["extra"]["sha256"] for e in _actions(db, "federation.trust")] == [sha]
    assert len(_actions(db, "federation.untrust")) == 1


def _flip(data: bytes, needle: bytes) -> bytes:
    at = data.index(needle)
    return data[:at] + bytes([data[at] ^ 1]) + data[at + 1:]


def test_a_bad_anchor_is_one_line_exit_2_and_nothing_written(us_node, db, mx_node, tmp_path):
    good = mx_node.anchor()
    unsigned = json.loads(good)
    unsigned["signature"] = ""
    cases = {
        "changed byte": (_flip(good, b"MX-INM"), []),
        "expired": (mx_node.anchor(days=10, issued_days_ago=11), []),
        "other hash": (good, ["--sha256", "0" * 64]),
        "own node": (mx_node.anchor(node=US_NODE), []),
        "not json": (good[:-3], []),
        "no signature": (json.dumps(unsigned).encode(), []),
        "bad node id": (mx_node.anchor(node="mx.binational/fgr").replace(b'"node":"mx.', b'"node":"MX.'), []),
    }
    path = tmp_path / "mx.anchor"
    for case, (data, extra) in cases.items():
        path.write_bytes(data)
        result = runner.invoke(app, ["federation", "trust", str(path), *extra])
        assert result.exit_code == 2, (case, result.output)
        assert result.output.startswith("error: ") and result.output.count("\n") == 1, case
    assert _partners(db) == []


def test_only_node_administrators_manage_partners(us_node, db, mx_node):
    with db.unit_of_work() as s:
        act_as_system(s)
        access.add_user(session=s, username="us_node_admin", agency="US-CBP", roles=["node_admin"],
                        clearance="TLP:AMBER")
    for username in ("us_analyst", "admin", "us_auditor", "mx_analyst"):
        with db.unit_of_work() as s:
            act_as_system(s)
            actor = access.actor_for(session=s, user=access.get_user(session=s, username=username))
            with pytest.raises(Forbidden):
                service.trust(session=s, actor=actor, settings=us_node, data=mx_node.anchor(), now=utcnow())
            with pytest.raises(Forbidden):
                service.partners(session=s, actor=actor, now=utcnow())
    assert _partners(db) == []
    with db.unit_of_work() as s:
        act_as_system(s)
        actor = access.actor_for(session=s, user=access.get_user(session=s, username="us_node_admin"))
        service.trust(session=s, actor=actor, settings=us_node, data=mx_node.anchor(), now=utcnow())
    assert [p.node_id for p in _partners(db)] == [MX_NODE]


def test_an_agency_hosted_by_one_partner_is_not_claimed_by_another(us_node, db, mx_node, tmp_path):
    first, second = tmp_path / "mx.anchor", tmp_path / "other.anchor"
    first.write_bytes(mx_node.anchor())
    second.write_bytes(mx_node.anchor(node="mx.binational/inm", agencies=("MX-INM",)))
    assert runner.invoke(app, ["federation", "trust", str(first)]).exit_code == 0
    result = runner.invoke(app, ["federation", "trust", str(second)])
    assert result.exit_code == 2 and "MX-INM" in result.output and result.output.count("\n") == 1
    assert [p.node_id for p in _partners(db)] == [MX_NODE]


def test_a_node_without_a_federation_id_writes_no_anchor(settings, tmp_path):
    out = tmp_path / "none.anchor"
    result = runner.invoke(app, ["federation", "anchor", "--out", str(out)])
    assert result.exit_code == 2 and "BINATIONAL_FEDERATION_NODE_ID" in result.output
    assert not out.exists() and not out.with_suffix(".anchor.part").exists()


def test_a_partners_agencies_join_the_release_forms_and_leave_them_when_untrusted(us_node, db, mx_node, client,
                                                                                  cast):
    us = cast["us_analyst"]

    def release_to(code: str):  # noqa: ANN202
        return client.post("/api/v1/entities", headers=us.headers, json={
            "schema": "Person", "properties": {"name": ["Ramona Quintero"]}, "distribution": "release",
            "release_to": [code]})

    def offered() -> tuple[str, str]:
        sign_in(client, "us_analyst")
        return client.get("/entities/new").text, client.get("/requests/new").text

    assert release_to("MX-GN").status_code == 422  # not registered here: not offered either
    # attack: a partner's anchor claiming an agency this node hosts is refused, nothing registered
    with db.unit_of_work() as s:
        act_as_system(s)
        with pytest.raises(Conflict):
            service.trust(session=s, actor=None, settings=us_node, data=mx_node.anchor(agencies=("MX-GN", "US-CBP")),
                          now=utcnow())
    with db.unit_of_work() as s:
        act_as_system(s)
        assert s.get(Agency, "MX-GN") is None and s.get(Agency, "US-CBP").node is None
        service.trust(session=s, actor=None, settings=us_node, data=mx_node.anchor(agencies=("MX-FGR", "MX-GN")),
                      now=utcnow())
    assert release_to("MX-GN").status_code == 201
    form, request_form = offered()
    assert f"> MX-GN · {MX_NODE}<" in form and f"MX-FGR · {MX_NODE}" in form
    # a request would stay on this node, unanswered: refused, and not offered
    assert 'value="MX-GN"' not in request_form
    r = client.post("/api/v1/requests", headers=us.headers, json={
        "type": "information", "to_agency": "MX-GN", "subject": "s", "question": "what do you hold?"})
    assert r.status_code == 422 and "does not travel" in r.json()["error"]["message"], r.text
    with db.unit_of_work() as s:
        act_as_system(s)
        service.untrust(session=s, actor=None, node_id=MX_NODE, now=utcnow())
    r = release_to("MX-GN")
    assert r.status_code == 422 and "no longer trusts" in r.json()["error"]["message"], r.text
    form, _ = offered()
    assert 'value="MX-GN"' not in form and 'value="MX-FGR"' not in form and 'value="US-ATF"' in form


def test_attack_an_anchor_never_takes_over_an_agency_another_node_hosted_even_untrusted(us_node, db, mx_node):
    """MX hosted MX-GN and is untrusted (its releases to MX-GN end); a third node's anchor naming MX-GN
    would have the releases made to MX-GN sent to it: refused, nothing registered."""
    third = "third.binational/x"
    with db.unit_of_work() as s:
        act_as_system(s)
        service.trust(session=s, actor=None, settings=us_node, data=mx_node.anchor(agencies=("MX-GN",)), now=utcnow())
        service.untrust(session=s, actor=None, node_id=MX_NODE, now=utcnow())
    with db.unit_of_work() as s:
        act_as_system(s)
        with pytest.raises(Conflict, match=r"MX-GN \(mx.binational/fgr\) hosted by another node"):
            service.trust(session=s, actor=None, settings=us_node,
                          data=mx_node.anchor(node=third, agencies=("MX-GN", "MX-ZZ")), now=utcnow())
    with db.unit_of_work() as s:
        act_as_system(s)
        gn = s.get(Agency, "MX-GN")
        assert (gn.node, gn.node_ended_at is not None) == (MX_NODE, True)
        assert s.get(Agency, "MX-ZZ") is None and s.get(Partner, third) is None


def test_attack_an_anchor_never_takes_over_an_agency_of_this_node_when_its_hosted_list_is_off(us_node, db, mx_node):
    """`federation_hosted_agencies` naming an agency not registered (a typo) leaves this node's anchor
    refused; a partner's anchor naming US-CBP is refused all the same, never taken for a partner's."""
    us = us_node.model_copy(update={"federation_hosted_agencies": ["US-CBP", "US-TYPO"]})
    with db.unit_of_work() as s:
        act_as_system(s)
        with pytest.raises(Conflict, match="US-CBP hosted by this node"):
            service.trust(session=s, actor=None, settings=us, data=mx_node.anchor(agencies=("MX-FGR", "US-CBP")),
                          now=utcnow())
    with db.unit_of_work() as s:
        act_as_system(s)
        assert s.get(Agency, "US-CBP").node is None and s.get(Partner, MX_NODE) is None


@pytest.mark.parametrize(("code", "country"), [("MX-" + "X" * 60, "MX"), ("MX GN", "MX"), ("mx-gn", "MX"),
                                               ("MX-GN", "Mexico"), ("MX-GN", "ZZ")])
def test_attack_an_anchors_agency_that_is_no_code_or_country_is_refused_nothing_written(us_node, db, mx_node,
                                                                                         code, country):
    data = anchors.make(key=mx_node.key, node=MX_NODE, endpoint="https://mx.example.org/federation",
                        witness_key=Verifier(MX_NODE, COSIGNATURE, mx_node.witness.public_key()),
                        audit_key=Verifier(MX_NODE, ED25519, mx_node.audit.public_key()),
                        agencies=[{"code": "MX-FGR", "country": "MX", "name": "FGR"},
                                  {"code": code, "country": country, "name": "n"}],
                        witnesses=[], issued_at=utcnow(), expires_at=utcnow() + timedelta(days=3))
    with pytest.raises(InvalidInput, match="anchor refused|unknown country"), db.unit_of_work() as s:
        act_as_system(s)
        service.trust(session=s, actor=None, settings=us_node, data=data, now=utcnow())
    with db.unit_of_work() as s:
        act_as_system(s)
        assert s.get(Partner, MX_NODE) is None and s.get(Agency, code) is None
        assert s.get(Agency, "MX-FGR").node is None and (country == "MX" or s.get(Country, country[:2]) is None)

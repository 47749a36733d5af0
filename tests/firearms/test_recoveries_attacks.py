"""Attacks of the review of recovery re-imports and the recoveries list: a re-import never lowers a
recovery's marking nor widens its distribution (a RED-cleared analyst re-importing the agency's file
with the default marking would have shown RED recoveries to AMBER colleagues); a recovery hidden from
the importer is kept as it was and the import says nothing of it; the list counts only the traces the
viewer may see; odd cursors, limits and ids are 4xx (one line and exit 2 on the command line), never 500."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError
from typer.testing import CliRunner

from binational.audit import log
from binational.audit.models import AuditEntry, AuditObjectRef
from binational.cli import app
from binational.db import act_as_system
from binational.firearms.models import Recovery
from tests.conftest import BACKEND
from tests.firearms.conftest import API, get
from tests.firearms.test_attacks_recovery import _member
from tests.firearms.test_recoveries import _rows
from tests.firearms.test_recovery_link import RECOVERIES, TRACE

runner = CliRunner()


def _import(client, member, text: str = RECOVERIES, **extra: str):  # noqa: ANN001, ANN202
    return client.post(f"{API}/firearms/records", headers=member.headers,
                       json={"kind": "recoveries", "csv": text, **extra})


def _held(db) -> list[tuple[str, str, str, str, str]]:  # noqa: ANN001
    with db.unit_of_work() as s:
        act_as_system(s)
        return [tuple(r) for r in s.execute(select(Recovery.id, Recovery.recovery_id, Recovery.marking,
                                                   Recovery.distribution, Recovery.place).order_by(Recovery.id))]


def test_a_reimport_never_lowers_the_marking_nor_widens_the_distribution(client, db, cast, counts):
    red, amber = _member(db, "mx_red", "MX-FGR", "TLP:RED"), cast["mx_analyst"]
    assert _import(client, red, marking="TLP:RED").status_code == 201
    before, held = counts(), _held(db)
    moved = RECOVERIES.replace("Culiacán", "Navolato")
    lowered = _import(client, red, moved)   # the default marking, TLP:AMBER
    assert lowered.status_code == 422 and lowered.json()["error"]["details"] == [{"line": 2, "field": "marking"}]
    assert "marked TLP:RED" in lowered.json()["error"]["message"]
    widened = _import(client, red, moved, marking="TLP:RED", distribution="national")
    assert widened.status_code == 422 and widened.json()["error"]["details"] == [{"line": 2, "field": "distribution"}]
    assert counts() == before and _held(db) == held
    assert get(client, amber, "/firearms/recoveries").json()["items"] == []
    assert get(client, cast["mx_inm"], "/firearms/recoveries").json()["items"] == []
    # as closely kept, or more: replaced in place
    assert _import(client, red, moved, marking="TLP:RED").status_code == 201
    assert sorted((m, d, p) for _, _, m, d, p in _held(db)) == [("TLP:RED", "agency", "Navolato"),
                                                                 ("TLP:RED", "agency", "Reynosa")]
    assert {i for i, *_ in _held(db)} == {i for i, *_ in held}
    # an AMBER national recovery may be narrowed to the agency and raised to RED
    assert _import(client, amber, RECOVERIES.replace("FGR-", "FGR-1"), distribution="national").status_code == 201
    assert _import(client, red, RECOVERIES.replace("FGR-", "FGR-1"), marking="TLP:RED").status_code == 201
    assert get(client, cast["mx_inm"], "/firearms/recoveries").json()["items"] == []
    assert get(client, amber, "/firearms/recoveries").json()["items"] == []


def _last_objects(db, action: str) -> set[str]:  # noqa: ANN001
    with db.unit_of_work() as s:
        act_as_system(s)
        log.drain(s)
        seq = s.execute(select(AuditEntry.seq).where(AuditEntry.action == action)
                        .order_by(AuditEntry.seq.desc()).limit(1)).scalar_one()
        return set(s.execute(select(AuditObjectRef.object_id).where(AuditObjectRef.seq == seq)).scalars())


def test_a_hidden_recovery_is_kept_and_the_import_says_nothing_of_it(client, db, cast, counts, stocked):
    red, amber = _member(db, "mx_red", "MX-FGR", "TLP:RED"), cast["mx_analyst"]
    assert _import(client, red, marking="TLP:RED").status_code == 201
    hidden = _held(db)
    # the AMBER colleague imports the same numbers: the answer of numbers never used, the RED ones untouched
    fresh = _import(client, amber, RECOVERIES.replace("FGR-", "FGR-9"))
    again = _import(client, amber, RECOVERIES.replace("Culiacán", "Navolato"))
    assert again.status_code == fresh.status_code == 201 and again.json() == fresh.json()
    assert set(hidden) <= set(_held(db)) and len(_held(db)) == 6
    assert not _last_objects(db, "firearms.import") & {i for i, *_ in hidden}
    own = get(client, amber, "/firearms/recoveries").json()["items"]
    assert sorted(i["recovery_id"] for i in own) == ["FGR-0001", "FGR-0002", "FGR-90001", "FGR-90002"]
    assert {i["id"] for i in own}.isdisjoint(i for i, *_ in hidden) and "TLP:RED" not in str(own)
    # it links its own, and a trace for it says nothing of the RED one
    sent = client.post(f"{API}/firearms/traces", headers=amber.headers, json={**TRACE, "recovery": "FGR-0001"})
    assert sent.status_code == 201 and sent.json()["recovery"]["place"] == "Navolato"
    # the RED analyst, who sees both, is told the number is ambiguous, and nothing is written
    before = counts()
    both = _import(client, red, marking="TLP:RED")
    assert both.status_code == 422 and both.json()["error"]["details"] == [{"line": 2, "field": "recovery_id"}]
    assert counts() == before
    # the two of a number differ in marking: a second of one agency, number and marking is never written
    twin = next(r for r in _rows(db, "FGR-0001") if r.marking == "TLP:AMBER")
    with pytest.raises(IntegrityError), db.unit_of_work() as s:
        act_as_system(s)
        s.add(Recovery(**{c.key: getattr(twin, c.key) for c in Recovery.__table__.columns if c.key != "id"},
                       id="mx.fr-twin"))
    assert counts() == before


def test_the_list_counts_only_the_traces_one_may_see(client, db, cast, stocked):
    red, amber, inm = _member(db, "mx_red", "MX-FGR", "TLP:RED"), cast["mx_analyst"], cast["mx_inm"]
    assert _import(client, red, distribution="national").status_code == 201   # AMBER, seen by MX-INM
    ids = [client.post(f"{API}/firearms/traces", headers=red.headers,
                       json={**TRACE, "recovery": "FGR-0001", "marking": marking}).json()["id"]
           for marking in ("TLP:RED", "TLP:AMBER")]

    def counted(who) -> dict[str, int]:  # noqa: ANN001
        return {i["recovery_id"]: i["traces"] for i in get(client, who, "/firearms/recoveries").json()["items"]}

    assert counted(red) == {"FGR-0001": 2, "FGR-0002": 0}
    assert counted(amber) == {"FGR-0001": 1, "FGR-0002": 0}   # not the RED trace
    assert _last_objects(db, "firearms.recovery.list") & set(ids) == {ids[1]}
    assert counted(inm) == {"FGR-0001": 0, "FGR-0002": 0}     # no trace of another agency's
    assert not _last_objects(db, "firearms.recovery.list") & set(ids)
    recovery = get(client, inm, "/firearms/recoveries").json()["items"][1]["id"]
    assert get(client, inm, f"/firearms/recoveries/{recovery}").json()["traces"] == []
    # a cursor of a page the RED analyst saw, handed to the AMBER colleague, shows it nothing more
    cursor = get(client, red, "/firearms/recoveries", limit=1).json()["next_cursor"]
    rest = get(client, amber, "/firearms/recoveries", limit=5, cursor=cursor).json()
    assert [i["traces"] for i in rest["items"]] == [1] and rest["next_cursor"] is None


def test_odd_cursors_limits_and_ids_are_4xx_never_500(client, cast, stocked, counts):
    from tests.web.conftest import sign_in

    mx = cast["mx_analyst"]
    assert _import(client, mx).status_code == 201
    before = counts()
    for cursor in ("forged", "\u0000", "a\u0000b", "\u202e\U0001f52b", "x" * 1001, "=" * 40):
        r = get(client, mx, "/firearms/recoveries", cursor=cursor)
        assert r.status_code == 422 and set(r.json()) == {"error"}, (cursor, r.status_code)
    for limit in ("-1", "0", "1000000", "99999999999999999999999", "x", "1e3"):
        r = get(client, mx, "/firearms/recoveries", limit=limit)
        assert r.status_code == 422 and set(r.json()) == {"error"}, (limit, r.status_code)
    sign_in(client, "mx_analyst")
    for cursor in ("forged", "a\u0000b", "x" * 5000):
        page = client.get("/firearms/recoveries", params={"cursor": cursor})
        assert 400 <= page.status_code < 500 and "Traceback" not in page.text, (cursor, page.status_code)
    for ident in ("x" * 5000, "mx-fgr.fr\u200b\u0301", "%F0%9F%94%AB", "a%00b"):
        page = client.get(f"/firearms/recoveries/{ident}")
        assert 400 <= page.status_code < 500, (ident, page.status_code)
    for args in (["list", "--cursor", "forged"], ["list", "--limit", "-1"], ["show", "x" * 5000],
                 ["show", "a\u0000b"]):
        out = runner.invoke(app, ["firearms", "recoveries", *args, "--as", "mx_analyst"])
        assert out.exit_code == 2 and len(out.stderr.strip().splitlines()) == 1, (args, out.output)
    assert counts() == before


@pytest.mark.skipif(BACKEND != "postgresql", reason="SQLite lets one writer at a time: two imports never race")
def test_two_imports_racing_on_a_number_answer_409_and_write_nothing(db, cast):
    from binational.access import service as access
    from binational.db import act_as
    from binational.errors import Conflict
    from binational.firearms import records

    def importing(session):  # noqa: ANN001, ANN202
        act_as_system(session)
        actor = access.actor_for(session=session, user=access.get_user(session=session, username="mx_analyst"))
        act_as(session, actor)
        return records.import_csv(session=session, actor=actor, kind="recoveries", text=RECOVERIES)

    second: list[BaseException | int] = []

    def race() -> None:
        try:
            with db.unit_of_work() as s:
                second.append(importing(s))
        except BaseException as exc:  # noqa: BLE001 - handed to the test's thread
            second.append(exc)

    # the first import has read that no recovery bears these numbers and written them, uncommitted:
    # the second reads the same, and its rows wait on the index for the first's commit
    with db.unit_of_work() as s:
        assert importing(s) == 2
        racer = threading.Thread(target=race)
        racer.start()
        with db.engine.connect() as watch:
            waiting = text("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                           "AND datname = current_database()")
            deadline = time.monotonic() + 10
            while not watch.execute(waiting).scalar() and time.monotonic() < deadline:
                time.sleep(0.01)  # polling for the second import's wait on the index, not a delay
            assert racer.is_alive()
    racer.join(10)
    assert len(second) == 1 and isinstance(second[0], Conflict) and "import the file again" in str(second[0])
    assert len(_rows(db, "FGR-0001")) == 1

"""Resolution over the database: a run as the system, then what each viewer may see of it."""

from __future__ import annotations

from sqlalchemy import select

from binational.access import service as access
from binational.db import Database, act_as, act_as_system
from binational.errors import InvalidInput, NotFound
from binational.resolution import runs, service
from binational.resolution.models import Judgement, Suggestion
from binational.resolution.schemas import JudgementCreate


def _actor(s, username):
    actor = access.actor_for(session=s, user=access.get_user(session=s, username=username))
    act_as(s, actor)
    return actor


def _run(db: Database) -> None:
    with db.unit_of_work() as s:
        result = runs.run(session=s, actor=_actor(s, "admin"), kinds=["person"])
        assert result.status == "finished", result.message
        assert result.summary["person"]["suggestions"] > 0


def test_empty_and_one_agency_runs_finish_with_a_clear_message(db, world_lines):
    with db.unit_of_work() as s:
        result = runs.run(session=s, actor=_actor(s, "admin"))
    assert (result.status, result.message) == ("empty", "no records to resolve")
    lines, _ = world_lines
    from binational.entities.transfer import import_lines

    with db.unit_of_work() as s:
        import_lines(session=s, actor=_actor(s, "us_analyst"), lines=lines["US-CBP"], source="cbp.jsonl")
    with db.unit_of_work() as s:
        result = runs.run(session=s, actor=None)
    assert result.status == "empty"
    assert "only one agency (US-CBP)" in result.message


def test_only_administrators_run(db):
    with db.unit_of_work() as s:
        try:
            runs.run(session=s, actor=_actor(s, "us_analyst"))
        except Exception as exc:
            assert "resolution.run" in str(exc)
        else:
            raise AssertionError("an analyst started a run")


def test_viewers_see_pairs_of_records_they_may_see_and_hits_for_the_rest(db, loaded):
    _run(db)
    with db.unit_of_work() as s:
        cbp = _actor(s, "us_analyst")
        page, _ = service.list_suggestions(session=s, actor=cbp, limit=200)
        assert page, "CBP sees the CBP-FGR suggestions"
        for item in page:
            assert {item.left.owner_agency, item.right.owner_agency} <= {"US-CBP", "MX-FGR"}
        everything = s.execute(select(Suggestion)).scalars().all()
        hidden = [x for x in everything if {x.left_agency, x.right_agency} & {"US-ATF", "MX-INM"}]
        assert hidden, "the run found pairs CBP may not see"
        # a pair with one side CBP's and the other hidden: a hit with the agency and no id
        half = next(x for x in hidden if "US-CBP" in (x.left_agency, x.right_agency))
        mine = half.left_id if half.left_agency == "US-CBP" else half.right_id
        other = half.right_id if mine == half.left_id else half.left_id
        found = service.matches(session=s, actor=cbp, entity_id=mine)
        dumped = found.model_dump_json()
        assert other not in dumped
        assert any(h.hit and h.agency in ("US-ATF", "MX-INM") for h in found.hits)
        # reading or judging the half-visible pair is a 404
        for call in (lambda: service.read_suggestion(session=s, actor=cbp, suggestion_id=half.id),
                     lambda: service.judge(session=s, actor=cbp,
                                           data=JudgementCreate(verdict="positive", suggestion_id=half.id))):
            try:
                call()
            except NotFound as exc:
                assert other not in exc.message
            else:
                raise AssertionError("a pair with an invisible side was served")


def test_precision_on_the_small_world(db, loaded):
    _run(db)
    with db.unit_of_work() as s:
        act_as_system(s)
        rows = s.execute(select(Suggestion).where(Suggestion.decision == "match")).scalars().all()
        right = sum(loaded[x.left_id] == loaded[x.right_id] for x in rows)
        assert rows and right / len(rows) >= 0.95


def test_judgements_are_append_only_and_drive_clusters(db, loaded):
    _run(db)
    with db.unit_of_work() as s:
        cbp = _actor(s, "us_analyst")
        page, _ = service.list_suggestions(session=s, actor=cbp, limit=200)
        degree: dict[str, int] = {}
        for item in page:
            for i in (item.left.id, item.right.id):
                degree[i] = degree.get(i, 0) + 1
        pair = next(x for x in page if degree[x.left.id] == degree[x.right.id] == 1)  # an isolated pair
        a, b = pair.left.id, pair.right.id
        service.judge(session=s, actor=cbp, data=JudgementCreate(verdict="negative", suggestion_id=pair.id))
        assert service.canonical_ids(s, cbp, [a, b]) == {a: a, b: b}
        service.judge(session=s, actor=cbp, data=JudgementCreate(verdict="retracted", suggestion_id=pair.id))
        service.judge(session=s, actor=cbp, data=JudgementCreate(verdict="positive", left_id=b, right_id=a))
        ids = service.canonical_ids(s, cbp, [a, b, "nobody"])
        assert ids[a] == ids[b] == min(a, b) and ids["nobody"] == "nobody"
        history = service.list_judgements(session=s, actor=cbp, left_id=a, right_id=b)
        assert [j.verdict for j in history] == ["negative", "retracted", "positive"]
        assert s.execute(select(Judgement)).scalars().all()[0].verdict == "negative"
        # MX-FGR (another country) does not see CBP's judgements; the outsider sees neither record
        fgr = _actor(s, "mx_analyst")
        assert service.list_judgements(session=s, actor=fgr, left_id=a, right_id=b) == []
        outsider = _actor(s, "outsider")
        assert service.canonical_ids(s, outsider, [a, b]) == {a: a, b: b}
        try:
            service.judge(session=s, actor=outsider, data=JudgementCreate(verdict="positive", left_id=a, right_id=b))
        except NotFound:
            pass
        else:
            raise AssertionError("the outsider judged records it cannot see")
        try:
            service.judge(session=s, actor=cbp, data=JudgementCreate(verdict="maybe", left_id=a, right_id=b))
        except InvalidInput:
            pass
        else:
            raise AssertionError("an unknown verdict was accepted")

"""Attacks on trade from inside the owner agency and from a joint partner: what a declaration marked
above a user's clearance, or another agency's history, must not tell.

- An AMBER analyst importing references that a RED colleague already holds learns nothing of them:
  the same answer (counts, exit code) as for references nobody holds.
- The selection list a viewer sees is ranked among what it may see: exactly the list it would draw
  itself with the same model and budget, without gaps left by hidden rows, and never stale.
- Reasons shown to a joint partner, or to a colleague cleared lower than the one who drew the list,
  name the features only: no values computed from the owner's other declarations.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from binational.cli import app
from binational.trade import declarations
from tests.trade import worlds

declaration_files, model_file = worlds.declaration_files, worlds.model_file  # the fixtures of tests/trade

runner = CliRunner()
PICK = ("--budget", "0.2", "--exploration", "0.25")


def _run(*args: str) -> tuple[int, object, str]:
    r = runner.invoke(app, ["trade", *args])
    return r.exit_code, json.loads(r.stdout) if r.exit_code == 0 else None, r.stderr


def _day_files(test: Path, folder: Path) -> tuple[str, Path, Path, Path]:
    """The busiest day of the test file, split in three files of that day: 'red', 'amber' and 'fresh'
    (the fresh one with references nobody holds)."""
    lines = test.read_text().splitlines()
    frame = declarations.read(test)
    day = str(frame["date"].value_counts().idxmax().date())
    rows = [line for line in lines[1:] if line.split(",")[1] == day]
    assert len(rows) >= 18
    third = len(rows) // 3
    out = []
    for name, part in (("red", rows[:third]), ("amber", rows[third:2 * third]), ("fresh", rows[:third])):
        path = folder / f"{name}.csv"
        if name == "fresh":
            part = [f"X{line}" for line in part]  # the same declarations under references nobody holds
        path.write_text("\n".join([lines[0], *part]) + "\n")
        out.append(path)
    return day, out[0], out[1], out[2]


@pytest.fixture
def day_files(settings, db, declaration_files, tmp_path):  # noqa: F811 - the fixture above
    return _day_files(declaration_files["test"], tmp_path)


def test_importing_references_a_red_colleague_holds_answers_as_fresh_ones(day_files):
    _day, red, _amber, fresh = day_files
    code, out, err = _run("import", str(red), "--as", "us_supervisor", "--marking", "TLP:RED")
    assert code == 0, err
    hidden = _run("import", str(red), "--as", "us_analyst")
    unheld = _run("import", str(fresh), "--as", "us_analyst")
    assert hidden[0] == unheld[0] == 0, (hidden[2], unheld[2])
    assert hidden[1] == unheld[1]  # the same counts: nothing skipped, nothing refused
    again = _run("import", str(red), "--as", "us_analyst")  # its own copies it does see: skipped
    assert again[0] == 0 and again[1]["declarations"] == 0 and again[1]["skipped"] == hidden[1]["declarations"]


def test_nobody_imports_above_their_clearance(day_files):
    _day, red, _amber, _fresh = day_files
    code, _out, err = _run("import", str(red), "--as", "us_analyst", "--marking", "TLP:RED")
    assert code == 2 and "clearance" in err and len(err.strip().splitlines()) == 1


def _places(rows) -> list[tuple[int, int, str]]:
    return [(r["id"], r["rank"], r["kind"]) for r in rows]


def test_the_list_is_ranked_among_what_the_viewer_may_see(day_files, model_file):  # noqa: F811
    day, red, amber, _fresh = day_files
    assert _run("import", str(red), "--as", "us_supervisor", "--marking", "TLP:RED")[0] == 0
    assert _run("import", str(amber), "--as", "us_analyst")[0] == 0
    code, drawn, err = _run("select", "--model", str(model_file), "--day", day, "--as", "us_supervisor", *PICK)
    assert code == 0, err
    code, seen, _ = _run("list", "--day", day, "--as", "us_analyst")
    assert code == 0 and seen
    # what the analyst would draw itself: the same list, ids, ranks and kinds
    code, own, err = _run("select", "--model", str(model_file), "--day", day, "--as", "us_analyst", *PICK)
    assert code == 0, err
    assert _places(seen) == _places(own)
    assert [r["rank"] for r in seen] == list(range(1, len(seen) + 1))
    visible = len(amber.read_text().splitlines()) - 1
    assert len(seen) == -(-visible * 2 // 10)  # ⌈0.2·N⌉ of what it may see, not of the day's every row
    # the supervisor's view after the analyst's draw is one list, not two draws interleaved
    code, after, _ = _run("list", "--day", day, "--as", "us_supervisor")
    ranks = [r["rank"] for r in after]
    assert code == 0 and ranks == list(range(1, len(after) + 1))
    code, mine, _ = _run("list", "--day", day, "--as", "us_analyst")
    assert _places(mine) == _places(own)
    for row in seen:
        code, shown, _ = _run("show", str(row["id"]), "--as", "us_analyst")
        assert (shown["rank"], shown["kind"]) == (row["rank"], row["kind"])


def test_reasons_carry_no_values_for_a_partner_or_a_lower_clearance(day_files, model_file):  # noqa: F811
    day, _red, amber, _fresh = day_files
    assert _run("import", str(amber), "--as", "us_analyst")[0] == 0
    code, drawn, err = _run("select", "--model", str(model_file), "--day", day, "--as", "us_supervisor", *PICK)
    assert code == 0, err
    assert all(r["value"] is not None for row in drawn for r in row["reasons"] if row["kind"] == "score")
    code, seen, _ = _run("list", "--day", day, "--as", "us_analyst")  # drawn by a RED colleague
    assert seen and all(r["reasons"] for r in seen)
    assert all(r["value"] is None and r["contribution"] is None for row in seen for r in row["reasons"])
    code, drawn, err = _run("select", "--model", str(model_file), "--day", day, "--as", "us_analyst", *PICK)
    assert code == 0 and any(r["value"] is not None for row in drawn for r in row["reasons"]), err
    target = drawn[0]["id"]
    code, _out, err = _run("inspect", str(target), "--as", "us_analyst", "--fraud", "1", "--critical", "1",
                           "--joint-agency", "MX-FGR")
    assert code == 0, err
    code, shown, _ = _run("show", str(target), "--as", "mx_analyst")
    assert code == 0 and shown["reasons"]
    assert all(r["value"] is None and r["contribution"] is None for r in shown["reasons"])
    code, theirs, _ = _run("list", "--day", day, "--as", "mx_analyst")
    assert [r["id"] for r in theirs] == [target] and theirs[0]["rank"] == 1
    assert all(r["value"] is None and r["contribution"] is None for r in theirs[0]["reasons"])
    code, own, _ = _run("show", str(target), "--as", "us_analyst")
    assert any(r["value"] is not None for r in own["reasons"])


def test_a_row_left_off_the_latest_draw_still_reads(day_files, model_file):  # noqa: F811
    """A RED supervisor draws the day, then an AMBER analyst draws it again over the AMBER rows: the
    RED rows keep the older draw, are on nobody's list, and still read (not picked), never a crash."""
    day, red, amber, _fresh = day_files
    assert _run("import", str(red), "--as", "us_supervisor", "--marking", "TLP:RED")[0] == 0
    assert _run("import", str(amber), "--as", "us_analyst")[0] == 0
    code, drawn, err = _run("select", "--model", str(model_file), "--day", day, "--as", "us_supervisor", *PICK)
    assert code == 0, err
    assert _run("select", "--model", str(model_file), "--day", day, "--as", "us_analyst", *PICK)[0] == 0
    ids = [r["id"] for r in drawn]
    hidden = [i for i in ids if _run("show", str(i), "--as", "us_analyst")[0] != 0]
    assert hidden  # the supervisor's list held RED rows
    for i in ids:
        code, shown, err = _run("show", str(i), "--as", "us_supervisor")
        assert code == 0, err
        if i in hidden:
            assert shown["rank"] is None and shown["kind"] is None and shown["reasons"]


def test_a_copy_imported_below_a_colleague_breaks_neither_its_draw_nor_its_training(day_files, model_file):  # noqa: F811
    """An AMBER analyst imports references a RED supervisor holds (it must be able to: see the first
    test). The supervisor then sees two rows of one reference: drawing the day, listing it and
    training on the database still work, and one declaration takes one place on its list."""
    from binational.clitools import work
    from binational.trade import service

    day, red, _amber, _fresh = day_files
    labelled = red.parent / "labelled.csv"
    lines = red.read_text().splitlines()
    assert lines[0].endswith("Fraud,Critical Fraud")  # imported results become inspections
    labelled.write_text(red.read_text())
    assert _run("import", str(labelled), "--as", "us_supervisor", "--marking", "TLP:RED")[0] == 0
    assert _run("import", str(labelled), "--as", "us_analyst")[0] == 0
    code, drawn, err = _run("select", "--model", str(model_file), "--day", day, "--as", "us_supervisor", *PICK)
    assert code == 0, err
    references = [r["reference"] for r in drawn]
    assert len(references) == len(set(references)) == -(-(len(lines) - 1) * 2 // 10)
    code, seen, err = _run("list", "--day", day, "--as", "us_supervisor")
    assert code == 0 and _places(seen) == _places(drawn), err
    code, own, err = _run("list", "--day", day, "--as", "us_analyst")  # its copies, its own draw's length
    assert code == 0 and len(own) == len(drawn), err
    with work("us_supervisor") as (session, actor):
        frame = service.training_frame(session, actor)
    assert len(frame) == len(lines) - 1


@pytest.mark.parametrize("reference", ["R" * 65, "A\x00B", "A\x1bB"])
def test_a_reference_the_database_cannot_hold_is_one_line_and_nothing_written(day_files, reference):
    """A reference longer than the column or with a control character (the CSV reader cut a field
    short at a NUL, silently; PostgreSQL refuses a longer reference): one line naming the field or the
    NUL, exit 2, nothing stored, never a traceback."""
    _day, red, _amber, _fresh = day_files
    header, first, *_rest = red.read_text().splitlines()
    bad = red.parent / "bad.csv"
    bad.write_text("\n".join([header, reference + first[first.index(","):]]) + "\n")
    code, _out, err = _run("import", str(bad), "--as", "us_analyst")
    assert code == 2 and ("Declaration ID" in err or "NUL" in err) and len(err.strip().splitlines()) == 1, err
    code, out, _ = _run("import", str(red), "--as", "us_analyst")
    assert code == 0 and out["skipped"] == 0


def test_scores_learned_from_red_history_are_withheld_below_red(day_files, declaration_files, db, tmp_path):  # noqa: F811
    """A RED supervisor trains a model on the database, where it holds RED inspected declarations, and
    draws the day: the AMBER rows' scores, ranks and reasons come from RED history. An AMBER analyst
    sees those rows but none of that: no list, no score, no place, no reasons; drawing with that model
    is refused (one line, exit 2, audited as a denial), and its page opens on no day of that draw. A
    model learned from what the analyst may see still lists for it."""
    day, _red, amber, _fresh = day_files
    history = declaration_files["valid"]  # inspected: the RED supervisor's past
    assert _run("import", str(history), "--as", "us_supervisor", "--marking", "TLP:RED")[0] == 0
    assert _run("import", str(amber), "--as", "us_analyst")[0] == 0
    red_model = tmp_path / "red-model.json"
    code, _out, err = _run("train", "--model", str(red_model), "--as", "us_supervisor")
    assert code == 0, err
    code, drawn, err = _run("select", "--model", str(red_model), "--day", day, "--as", "us_supervisor", *PICK)
    assert code == 0 and drawn and all(r["score"] is not None for r in drawn), err
    code, seen, _ = _run("list", "--day", day, "--as", "us_analyst")
    assert code == 0 and seen == []
    for row in drawn:
        code, shown, _ = _run("show", str(row["id"]), "--as", "us_analyst")  # the AMBER rows it may read
        assert code == 0, row
        assert (shown["score"], shown["rank"], shown["kind"], shown["reasons"]) == (None, None, None, [])
    assert _latest_day("us_analyst") is None  # the page's default day is no day it would find empty
    for action, refused in (("trade.select", ("select", "--model", str(red_model), "--day", day)),
                            ("trade.score", ("score", "--model", str(red_model), str(amber)))):
        code, _out, err = _run(*refused, "--as", "us_analyst", *PICK)
        assert code == 2 and "clearance" in err and len(err.strip().splitlines()) == 1, err
        assert _denials(db, action) == 1, action  # the refusal is audited
    # a model the analyst trained on AMBER history, drawn with by the RED supervisor: the analyst's list shows
    amber_history = tmp_path / "amber-history.csv"
    amber_history.write_text("\n".join("A" + line if i else line
                                       for i, line in enumerate(history.read_text().splitlines())) + "\n")
    assert _run("import", str(amber_history), "--as", "us_analyst")[0] == 0
    amber_model = tmp_path / "amber-model.json"
    assert _run("train", "--model", str(amber_model), "--as", "us_analyst")[0] == 0
    code, drawn, err = _run("select", "--model", str(amber_model), "--day", day, "--as", "us_supervisor", *PICK)
    assert code == 0, err
    code, seen, _ = _run("list", "--day", day, "--as", "us_analyst")
    assert code == 0 and seen and all(r["score"] is not None and r["reasons"] for r in seen)
    assert str(_latest_day("us_analyst")) == day


def test_the_default_day_skips_days_whose_latest_draw_learned_above_the_viewer_in_one_query(settings, db):
    """The page's default day for an AMBER analyst passes over a day whose latest draw came from a
    model that learned from RED rows (an earlier AMBER draw of that day no longer counts), and is
    found in one query however many such days there are; the RED supervisor's is that day."""
    from datetime import date

    from sqlalchemy import event

    from binational.clitools import database, work
    from binational.trade.models import TradeDeclaration, TradeDraw, TradeDrawScope

    scope = {"owner_agency": "US-CBP", "owner_country": "US", "distribution": "agency", "case_id": None,
             "joint_agency": None}
    with work("us_supervisor") as (session, actor):
        assert actor is not None
        rows = []
        for n, (day, learned) in enumerate([(1, 2), (2, 2), (3, 2), (3, 4), (4, 4), (5, 4)]):  # AMBER 2, RED 4
            draw = TradeDraw(agency="US-CBP", clearance_rank=4)
            session.add(draw)
            session.flush()
            session.add(TradeDrawScope(draw_id=draw.id, agency="US-CBP", marking_rank=learned, **scope))
            rows.append(TradeDeclaration(reference=f"R{n}", declared_on=date(2024, 9, day), fields="{}",
                                         draw=json.dumps({"id": str(n), "scope": [{**scope, "marking_rank": learned}]}),
                                         draw_id=draw.id, owner_agency="US-CBP", owner_country="US",
                                         distribution="agency", marking="TLP:AMBER", marking_rank=2))
        session.add_all(rows)
    queries: list[str] = []

    def note(_conn, _cursor, statement, *_args) -> None:
        queries.append(statement)

    engine = database().app_engine
    event.listen(engine, "before_cursor_execute", note)
    try:
        assert str(_latest_day("us_analyst")) == "2024-09-02"
    finally:
        event.remove(engine, "before_cursor_execute", note)
    assert sum("trade_declarations" in q for q in queries) == 1, queries
    assert str(_latest_day("us_supervisor")) == "2024-09-05"


def _latest_day(user: str) -> object:
    from binational.clitools import work
    from binational.trade import service

    with work(user) as (session, actor):
        assert actor is not None
        return service.latest_selection_day(session, actor)


def _denials(db, action: str) -> int:
    from sqlalchemy import func, select

    from binational.audit.models import AuditEntry
    from binational.db import act_as_system
    from tests.conftest import sequence_audit

    sequence_audit(db)
    with db.session() as session:
        act_as_system(session)
        return session.scalar(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.action == action, AuditEntry.decision == "deny")) or 0


def test_raw_sql_shows_no_draw_of_rows_the_viewer_may_not_see(settings, db):
    """On PostgreSQL a query without our filters, as a colleague cleared below the drawer or as a
    partner agency, reads neither a draw that scored only rows it may not see nor any row of its
    model's scope (RED markings, a restricted case's name, even an AMBER row that tells the draw is
    there); the drawer reads the draw and the scope rows it may see as trade rows."""
    if not settings.is_postgres:
        pytest.skip("row-level security exists on PostgreSQL only")
    from sqlalchemy import text

    from binational.clitools import work
    from binational.trade.models import TradeDraw, TradeDrawScope

    with work() as (session, _system):
        draw = TradeDraw(agency="US-CBP", clearance_rank=4)
        session.add(draw)
        session.flush()
        session.add_all(TradeDrawScope(draw_id=draw.id, agency="US-CBP", owner_agency="US-CBP", owner_country="US",
                                       distribution="agency", marking_rank=rank, case_id=case, joint_agency=None)
                        for rank, case in ((4, None), (2, "op-secret"), (2, None)))
    seen = {}
    for user in ("us_analyst", "mx_analyst", "us_supervisor"):
        with work(user) as (session, _actor):
            seen[user] = [session.execute(text(f"SELECT count(*) FROM {t}")).scalar_one()  # noqa: S608
                          for t in ("trade_draws", "trade_draw_scopes")]
    assert seen == {"us_analyst": [0, 0], "mx_analyst": [0, 0], "us_supervisor": [1, 2]}

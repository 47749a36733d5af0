"""`binational trade evaluate|train|score` on declaration files, audited; bad input is one line and exit 2."""

from __future__ import annotations

import json

from sqlalchemy import select
from typer.testing import CliRunner

from binational.audit.models import AuditEntry
from binational.cli import app
from binational.db import act_as_system
from tests.conftest import sequence_audit

runner = CliRunner()


def _actions(db) -> list[str]:
    sequence_audit(db)
    with db.session() as session:
        act_as_system(session)
        return [e.action for e in session.scalars(select(AuditEntry).order_by(AuditEntry.seq))]


def test_evaluate_prints_the_four_measures(settings, db, declaration_files):
    f = declaration_files
    r = runner.invoke(app, ["trade", "evaluate", "--train", str(f["train"]), "--valid", str(f["valid"]),
                            "--test", str(f["test"]), "--as", "us_analyst"])
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    for key in ("precision_at_5", "precision_at_10", "critical_recall_at_5", "critical_recall_at_10"):
        assert 0 <= out[key] <= 1
    assert out["precision_at_5"] > 0.6
    assert "trade.evaluate" in _actions(db)


def test_train_then_score(settings, db, declaration_files, tmp_path):
    f = declaration_files
    model = tmp_path / "m.json"
    r = runner.invoke(app, ["trade", "train", "--train", str(f["train"]), "--valid", str(f["valid"]),
                            "--model", str(model)])
    assert r.exit_code == 0, r.output and model.is_file()
    out = tmp_path / "list.jsonl"
    r = runner.invoke(app, ["trade", "score", "--model", str(model), str(f["test"]), "--budget", "0.1",
                            "--exploration", "0.1", "--out", str(out), "--as", "us_analyst"])
    assert r.exit_code == 0, r.output
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(rows) == 80 and sum(r["kind"] == "exploration" for r in rows) == 8
    assert all(r["reasons"] for r in rows if r["kind"] == "score")
    assert _actions(db)[-2:] == ["trade.train", "trade.score"]


def test_bad_input_is_one_line_and_exit_2(settings, db, declaration_files, model_file, tmp_path):
    f = declaration_files
    broken = tmp_path / "broken.csv"
    lines = f["test"].read_text().splitlines()
    fields = lines[5].split(",")
    fields[18] = "-4"
    broken.write_text("\n".join([*lines[:5], ",".join(fields), *lines[6:]]) + "\n")
    before = _actions(db)
    r = runner.invoke(app, ["trade", "evaluate", "--train", str(f["train"]), "--valid", str(f["valid"]),
                            "--test", str(broken)])
    assert r.exit_code == 2 and "line 6: field 'Net Mass'" in r.stderr and "negative" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    r = runner.invoke(app, ["trade", "evaluate", "--train", str(f["valid"]), "--valid", str(f["train"]),
                            "--test", str(f["test"])])
    assert r.exit_code == 2 and "after the training period" in r.stderr
    renamed = tmp_path / "renamed.csv"
    renamed.write_text(f["test"].read_text().replace("Courier ID", "Carrier ID", 1))
    r = runner.invoke(app, ["trade", "score", "--model", str(model_file), str(renamed)])
    assert r.exit_code == 2 and "missing column 'Courier ID'" in r.stderr
    r = runner.invoke(app, ["trade", "score", "--model", str(f["test"]), str(f["test"])])
    assert r.exit_code == 2 and "not a model file" in r.stderr
    r = runner.invoke(app, ["trade", "score", "--model", str(model_file), str(f["test"]), "--budget", "2"])
    assert r.exit_code == 2 and "budget" in r.stderr
    out = tmp_path / "never.jsonl"
    r = runner.invoke(app, ["trade", "score", "--model", str(model_file), str(f["test"]), "--mode", "greedy",
                            "--out", str(out)])
    assert r.exit_code == 2 and not out.exists() and not (tmp_path / "never.jsonl.part").exists()
    assert _actions(db) == before

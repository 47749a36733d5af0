"""`binational discovery check` and `binational requests`: the workflow from the command line."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from binational.cli import app

runner = CliRunner()


def _csv(tmp_path: Path, text: str, name: str = "selectors.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_discovery_check_then_request_and_answer(tmp_path, record, counts) -> None:  # noqa: ANN001
    person = record("us_analyst", "Person", {"name": ["Luis Ortega Vega"], "birthDate": ["1980-01-01"],
                                            "passportNumber": ["P7654321"]})
    path = _csv(tmp_path, "type,value,birth_date,country\n"
                          "document,p765-4321,,\n"
                          "phone,664 000 0000,,MX\n"
                          "name_birth,ORTEGA VEGA Luis,1980-01-01,\n")
    out = tmp_path / "hits.jsonl"
    result = runner.invoke(app, ["discovery", "check", str(path), "--as", "mx_analyst", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "checked 3 selectors: 0 with matches you may see, 2 held by agencies" in result.output
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert [(r["line"], r["hit"]) for r in lines] == [(2, True), (3, False), (4, True)]
    assert person not in out.read_text()
    ref = lines[0]["hits"][0]["hit_ref"]

    result = runner.invoke(app, ["requests", "send", "--as", "mx_analyst", "--to", "US-CBP", "--question",
                                 "Prior crossings?", "--hit-ref", ref])
    assert result.exit_code == 0, result.output
    rid = json.loads(result.stdout)["id"]
    result = runner.invoke(app, ["requests", "list", "--as", "us_supervisor", "--box", "inbox"])
    assert result.exit_code == 0 and rid in result.stdout and "MX-FGR" in result.stdout
    result = runner.invoke(app, ["requests", "notifications", "--as", "us_supervisor", "--mark-read"])
    assert result.exit_code == 0 and "request.submitted" in result.stdout
    assert runner.invoke(app, ["requests", "acknowledge", rid, "--as", "us_supervisor"]).exit_code == 0
    result = runner.invoke(app, ["requests", "answer", rid, "--as", "us_supervisor", "--entity", person])
    assert result.exit_code == 0 and "answered" in result.stdout
    shown = runner.invoke(app, ["requests", "show", rid, "--as", "mx_analyst"])
    assert json.loads(shown.stdout)["answer"] == [person]
    assert "information" in runner.invoke(app, ["requests", "types"]).stdout


def test_a_file_without_header_is_read_as_the_discovery_page_reads_it(tmp_path, record) -> None:  # noqa: ANN001
    """Lines `type,value[,birth_date][,country]` with no header, a blank line and columns left off; results
    and errors name the lines as written."""
    record("us_analyst", "Person", {"name": ["Luis Ortega Vega"], "birthDate": ["1980-01-01"],
                                   "passportNumber": ["P7654321"]})
    path = _csv(tmp_path, "document,p765-4321\n\nphone,664 000 0000,,MX\nname_birth,ORTEGA VEGA Luis,1980-01-01\n")
    out = tmp_path / "hits.jsonl"
    result = runner.invoke(app, ["discovery", "check", str(path), "--as", "mx_analyst", "--out", str(out)])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert [(r["line"], r["hit"]) for r in lines] == [(1, True), (3, False), (4, True)]
    bad = _csv(tmp_path, "phone,+19155551234\nretina,abc\nfax,1\n", "bad.csv")
    result = runner.invoke(app, ["discovery", "check", str(bad), "--as", "mx_analyst"])
    assert result.exit_code == 2 and result.stderr.strip().splitlines() == [
        f"error: {bad} line 2: unknown selector type 'retina' (1 more bad line after it); nothing checked"]


def test_a_bad_line_checks_nothing(tmp_path, counts) -> None:  # noqa: ANN001
    before = counts()
    path = _csv(tmp_path, "type,value\nphone,+19155551234\nretina,abc\n")
    result = runner.invoke(app, ["discovery", "check", str(path), "--as", "mx_analyst"])
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [
        f"error: {path} line 3: unknown selector type 'retina'; nothing checked"]
    assert counts() == before
    headless = str(_csv(tmp_path, "kind,val\nphone,1\n", "header.csv"))
    empty = str(_csv(tmp_path, "type,value\n", "empty.csv"))
    for args, message in [
        (["discovery", "check", str(tmp_path / "missing.csv"), "--as", "mx_analyst"], "no such file"),
        (["discovery", "check", headless, "--as", "mx_analyst"], "line 1: unknown selector type 'kind'"),
        (["discovery", "check", empty, "--as", "mx_analyst"], "no selectors"),
        (["requests", "send", "--as", "mx_analyst", "--to", "MX-FGR", "--question", "?"], "not one's own"),
        (["requests", "send", "--as", "mx_analyst", "--to", "US-CBP", "--question", "?", "--due", "soon"],
         "not an ISO date"),
        (["requests", "show", "req_nothing", "--as", "mx_analyst"], "not found"),
        (["requests", "list", "--as", "nobody"], "unknown user"),
    ]:
        result = runner.invoke(app, args)
        assert result.exit_code == 2 and message in result.stderr, (args, result.output)
        assert len(result.stderr.strip().splitlines()) == 1
    assert counts() == before

"""`binational networks dismantle` on a CSV edge list, and its bad input."""

import json

from typer.testing import CliRunner

from binational.cli import app

runner = CliRunner()


def test_dismantle_csv(tmp_path, settings):
    edges = tmp_path / "edges.csv"
    edges.write_text("source,target,weight\nA,B,3\nB,C\nC,D\nD,A\nC,hub\nhub,E\nE,F\nF,hub\n")
    r = runner.invoke(app, ["networks", "dismantle", str(edges), "--budget", "2", "--ties", "2"])
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    assert out["order"][0] in {"C", "hub"} and len(out["order"]) == 2
    assert out["curve"][0] == 1.0 and len(out["curve"]) == 3
    assert out["nodes"] == 7


def test_dismantle_csv_without_header_and_method(tmp_path, settings):
    edges = tmp_path / "edges.csv"
    edges.write_text("1,2\n2,3\n3,4\n")
    r = runner.invoke(app, ["networks", "dismantle", str(edges), "--budget", "1", "--method", "betweenness",
                            "--ties", "0"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["order"][0] in {"2", "3"}


def test_malformed_line_names_its_number(tmp_path, settings):
    edges = tmp_path / "edges.csv"
    edges.write_text("a,b\nb,c\nc\n")
    r = runner.invoke(app, ["networks", "dismantle", str(edges), "--budget", "1"])
    assert r.exit_code == 2
    assert "line 3" in r.stderr
    edges.write_text("a,b,heavy\n")
    r = runner.invoke(app, ["networks", "dismantle", str(edges), "--budget", "1"])
    assert r.exit_code == 2 and "line 1" in r.stderr and "weight" in r.stderr


def test_budget_too_large(tmp_path, settings):
    edges = tmp_path / "edges.csv"
    edges.write_text("a,b\n")
    r = runner.invoke(app, ["networks", "dismantle", str(edges), "--budget", "3"])
    assert r.exit_code == 2 and "budget" in r.stderr


def test_database_plan_as_user(settings, client, cast, world):
    r = runner.invoke(app, ["networks", "dismantle", "--budget", "1", "--as", "us_analyst", "--ties", "0"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["order"] == [world["ana"]]
    r = runner.invoke(app, ["networks", "dismantle", "--budget", "1", "--as", "mx_analyst",
                            "--entity", world["carla"]])
    assert r.exit_code == 2 and "not found" in r.stderr

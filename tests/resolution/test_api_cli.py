"""Resolution's HTTP API and CLI: the one error shape, 404 for pairs one may not see, file linking."""

from __future__ import annotations

import csv
import json

from typer.testing import CliRunner

from binational import workers
from binational.cli import app


def test_review_flow_over_http(client, cast, loaded):
    admin, cbp = cast["admin"].headers, cast["us_analyst"].headers
    assert client.post("/api/v1/resolution/runs", json={"kinds": ["person"]}, headers=cbp).status_code == 403
    started = client.post("/api/v1/resolution/runs", json={"kinds": ["person"]}, headers=admin)
    assert started.status_code == 202 and started.json()["status"] == "running"
    assert workers.wait(started.json()["id"], timeout=300)
    assert client.get(f"/api/v1/resolution/runs/{started.json()['id']}", headers=admin).json()["status"] == "finished"
    page = client.get("/api/v1/resolution/suggestions?limit=5", headers=cbp).json()
    first = page["items"][0]
    assert first["left"]["properties"] and first["weights"] and first["driver"]
    one = client.get(f"/api/v1/resolution/suggestions/{first['id']}", headers=cbp)
    assert one.status_code == 200
    judged = client.post("/api/v1/resolution/judgements", json={"suggestion_id": first["id"], "verdict": "positive"},
                         headers=cbp)
    assert judged.status_code == 201 and judged.json()["owner_agency"] == "US-CBP"
    cluster = client.get(f"/api/v1/resolution/entities/{first['left']['id']}/cluster", headers=cbp).json()
    assert first["right"]["id"] in cluster["members"]
    mapped = client.post("/api/v1/resolution/canonical", json={"entity_ids": [first["left"]["id"], "x"]},
                         headers=cbp).json()
    assert mapped["x"] == "x"
    outsider = cast["outsider"].headers
    for response in (
        client.get(f"/api/v1/resolution/suggestions/{first['id']}", headers=outsider),
        client.post("/api/v1/resolution/judgements", json={"suggestion_id": first["id"], "verdict": "positive"},
                    headers=outsider),
        client.get(f"/api/v1/resolution/entities/{first['left']['id']}/matches", headers=outsider),
    ):
        assert response.status_code == 404
        assert first["right"]["id"] not in response.text  # (the matches 404 echoes only the id asked for)
        assert response.json()["error"]["code"] == "not_found"
    bad = client.post("/api/v1/resolution/judgements", json={"suggestion_id": first["id"], "verdict": "yes"},
                      headers=cbp)
    assert bad.status_code == 422 and "verdict" in bad.json()["error"]["message"]


def test_cli_run_on_an_empty_node_says_so(settings):
    from binational.clitools import database
    from binational.schema import upgrade

    upgrade(database().engine, settings)
    result = CliRunner().invoke(app, ["resolution", "run"])
    assert result.exit_code == 0 and "no records to resolve" in result.output


def test_cli_links_two_files_without_the_database(tmp_path, world_lines):
    lines, person_of = world_lines
    left, right = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    left.write_text("\n".join(lines["US-CBP"]) + "\n")
    right.write_text("\n".join(lines["MX-FGR"]) + "\n")
    out = tmp_path / "matches.csv"
    result = CliRunner().invoke(app, ["resolution", "link", str(left), str(right), "--out", str(out)])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(out.open()))
    assert rows and set(rows[0]) == {"left_id", "right_id", "score", "decision"}
    matches = [r for r in rows if r["decision"] == "match" and "per" in r["left_id"]]
    right_ones = sum(person_of[f"us-cbp.{r['left_id']}"] == person_of[f"mx-fgr.{r['right_id']}"] for r in matches)
    assert matches and right_ones / len(matches) >= 0.95


def test_cli_link_bad_input_is_one_line_and_exit_2(tmp_path):
    good = tmp_path / "a.jsonl"
    good.write_text(json.dumps({"id": "p1", "schema": "Person", "properties": {"name": ["Ana"]}}) + "\n")
    bad = tmp_path / "b.jsonl"
    bad.write_text('{"id": "p2", "schema": "Person", "properties": {"name": ["Ana"]}}\n{not json\n')
    result = CliRunner().invoke(app, ["resolution", "link", str(good), str(bad), "--out", str(tmp_path / "o.csv")])
    assert result.exit_code == 2 and "line 2" in result.output
    assert not (tmp_path / "o.csv").exists()
    missing = CliRunner().invoke(app, ["resolution", "link", str(good), str(tmp_path / "nope.jsonl"),
                                       "--out", str(tmp_path / "o.csv")])
    assert missing.exit_code == 2 and "no such file" in missing.output
    engine = CliRunner().invoke(app, ["resolution", "link", str(good), str(good), "--out", str(tmp_path / "o.csv"),
                                      "--engine", "oracle"])
    assert engine.exit_code == 2 and "unknown engine" in engine.output

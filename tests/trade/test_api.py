"""The trade API: a customs user's list and result; a partner's 404 like a missing id; one error shape."""

from __future__ import annotations

from typer.testing import CliRunner

from binational.cli import app
from binational.trade import declarations

runner = CliRunner()


def test_list_read_record_and_the_partners_404(settings, client, cast, declaration_files, model_file):
    test = declaration_files["test"]
    assert runner.invoke(app, ["trade", "import", str(test), "--as", "us_analyst"]).exit_code == 0
    day = str(declarations.read(test)["date"].value_counts().idxmax().date())
    assert runner.invoke(app, ["trade", "select", "--model", str(model_file), "--day", day, "--as", "us_analyst",
                               "--budget", "0.2"]).exit_code == 0
    us, mx = cast["us_analyst"].headers, cast["mx_analyst"].headers
    listed = client.get(f"/api/v1/trade/selection?day={day}", headers=us)
    assert listed.status_code == 200 and listed.json() and listed.json()[0]["reasons"]
    target = listed.json()[0]["id"]
    assert client.get(f"/api/v1/trade/selection?day={day}", headers=mx).json() == []
    theirs = client.get(f"/api/v1/trade/declarations/{target}", headers=mx)
    missing = client.get("/api/v1/trade/declarations/99999999", headers=mx)
    assert theirs.status_code == missing.status_code == 404
    assert theirs.json()["error"]["code"] == missing.json()["error"]["code"] == "not_found"
    r = client.post(f"/api/v1/trade/declarations/{target}/results", headers=mx, json={"fraud": 1, "critical": 1})
    assert r.status_code == 404
    r = client.post(f"/api/v1/trade/declarations/{target}/results", headers=us, json={"fraud": 0, "critical": 2})
    assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_input"
    r = client.post(f"/api/v1/trade/declarations/{target}/results", headers=us,
                    json={"fraud": 1, "critical": 2, "joint_agency": "MX-FGR", "note": "armas"})
    assert r.status_code == 201, r.text
    shown = client.get(f"/api/v1/trade/declarations/{target}", headers=mx)
    assert shown.status_code == 200 and [x["note"] for x in shown.json()["results"]] == ["armas"]
    assert client.get("/api/v1/trade/ports", headers=mx).json()["crossings"] == []
    assert client.get("/api/v1/trade/indicators?month=13", headers=mx).status_code == 422

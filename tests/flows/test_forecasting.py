"""Forecasts from a file, no database: H months after each series' own last month with 80 and 95 %
intervals, the model chosen by backtest; a series too short says how many months it needs; the
COVID closure is replaced in a series it hit, and only there."""

from __future__ import annotations

import csv
import math

import numpy as np
import pytest
from typer.testing import CliRunner

from binational.cli import app
from binational.errors import InvalidInput
from binational.flows import forecasting
from binational.flows.forecasting import COVID, month_index, replace_shock
from tests.flows import samples

runner = CliRunner()


def test_forecast_writes_h_months_after_each_series_end(tmp_path):
    source = tmp_path / "series.csv"
    source.write_text(samples.long_csv(samples.seasonal("north", 2018, 60, 1000.0, trend=0.01),
                                       samples.seasonal("south", 2019, 40, 200.0)))
    out = tmp_path / "out.csv"
    r = runner.invoke(app, ["flows", "forecast", str(source), "--horizon", "3", "--out", str(out)])
    assert r.exit_code == 0, r.output
    assert "wrote 6 rows for 2 series" in r.stdout
    rows = list(csv.DictReader(out.open()))
    assert list(rows[0]) == ["series_id", "month", "mean", "lo80", "hi80", "lo95", "hi95"]
    assert [(r["series_id"], r["month"]) for r in rows] == [
        ("north", "2023-01"), ("north", "2023-02"), ("north", "2023-03"),
        ("south", "2022-05"), ("south", "2022-06"), ("south", "2022-07")]
    for row in rows:
        lo95, lo80, mean, hi80, hi95 = (float(row[k]) for k in ("lo95", "lo80", "mean", "hi80", "hi95"))
        assert 0 <= lo95 <= lo80 <= mean <= hi80 <= hi95
    # a smooth seasonal series is forecast close to its pattern
    north = [float(r["mean"]) for r in rows if r["series_id"] == "north"]
    expected = [1000 * (1 + 0.01 * i) * (1 + 0.2 * math.sin(2 * math.pi * i / 12)) for i in (60, 61, 62)]
    assert np.allclose(north, expected, rtol=0.08)


def test_a_series_too_short_says_how_many_months_it_needs(tmp_path):
    source = tmp_path / "short.csv"
    source.write_text(samples.long_csv(samples.seasonal("ok", 2018, 60, 100.0), samples.seasonal("new", 2023, 20, 5.0)))
    out = tmp_path / "out.csv"
    r = runner.invoke(app, ["flows", "forecast", str(source), "--horizon", "12", "--out", str(out)])
    assert r.exit_code == 2
    assert r.stderr == ("error: series 'new' has 20 months from its first non-zero value; a 12-month forecast needs "
                        "at least 36 to backtest\n")
    assert not out.exists()
    r = runner.invoke(app, ["flows", "forecast", str(source), "--horizon", "2", "--models", "AutoETS,Prophet"])
    assert r.exit_code == 2 and "unknown model 'Prophet'" in r.stderr
    r = runner.invoke(app, ["flows", "forecast", str(tmp_path / "none.csv")])
    assert r.exit_code == 2 and "no such file" in r.stderr


def test_the_covid_closure_is_replaced_where_it_hit():
    start = month_index("2017-01")
    months = np.arange(start, month_index("2023-12") + 1)
    base = np.array([1000 * (1 + 0.3 * math.sin(2 * math.pi * (m % 12) / 12)) for m in months])
    hit = base.copy()
    inside = (months >= COVID[0]) & (months <= COVID[1])
    hit[inside] *= 0.2
    rebuilt, replaced = replace_shock(start, hit, COVID)
    assert replaced and np.allclose(rebuilt[inside], base[inside], rtol=0.05)
    assert np.array_equal(rebuilt[~inside], hit[~inside])
    same, replaced = replace_shock(start, base, COVID)
    assert not replaced and same is base
    # a series that starts after the closure has nothing to replace
    late = base[months >= month_index("2022-01")]
    assert replace_shock(month_index("2022-01"), late, COVID) == (late, False)


def test_the_choice_is_by_backtest_among_the_candidates():
    """With `combine=1` the best candidate alone; by default the median of the best three."""
    data = {"flat": {month_index("2015-01") + i: 100.0 + (i % 12) * 10 for i in range(72)}}
    [result] = forecasting.forecast(data, horizon=6, candidates=("SeasonalNaive", "AutoETS", "AutoETS+SeasonalNaive"),
                                    combine=1)
    assert set(result.backtest) == {"SeasonalNaive", "AutoETS", "AutoETS+SeasonalNaive"}
    assert result.model == min(result.backtest, key=lambda c: (result.backtest[c], c))
    # an exactly repeating year: seasonal naive is perfect in the backtest and is chosen
    assert result.backtest["SeasonalNaive"] == 0.0 and result.model == "SeasonalNaive"
    assert result.mean == [100.0 + m * 10 for m in range(6)]
    # the optional AutoETS without a trend learns the same repeating year
    [no_trend] = forecasting.forecast(data, horizon=6, candidates=("NoTrendETS",), combine=1)
    assert no_trend.model == "NoTrendETS" and np.allclose(no_trend.mean, result.mean, rtol=0.02)


def test_the_best_three_are_combined_and_intervals_hold_their_share_in_the_backtest():
    rng = np.random.default_rng(3)
    data = {f"s{j}": {month_index("2014-01") + i: 500 + 100 * math.sin(2 * math.pi * i / 12) + rng.normal(0, 30)
                      for i in range(96)} for j in range(4)}
    results = forecasting.forecast(data, horizon=12)
    for result in results:
        ranked = sorted(result.backtest, key=lambda c: (result.backtest[c], c))
        assert result.model == "+".join(ranked[:3])
        median = np.median([result.alternatives[c]["mean"] for c in ranked[:3]], axis=0)
        assert np.allclose(result.mean, median)
        assert all(lo <= m <= hi for lo, m, hi in zip(result.lo95, result.mean, result.hi95, strict=True))


def test_reconciled_forecasts_add_up_through_every_level_of_the_hierarchy():
    rng = np.random.default_rng(1)
    start = month_index("2016-01")
    a = {start + i: 500 + 100 * math.sin(2 * math.pi * i / 12) + rng.normal(0, 20) for i in range(72)}
    b = {start + i: 300 + 2 * i + rng.normal(0, 40) for i in range(72)}
    c = {start + i: 50 + 10 * math.cos(2 * math.pi * i / 12) + rng.normal(0, 5) for i in range(72)}
    data = {"a": a, "b": b, "c": c, "ab": {m: a[m] + b[m] for m in a}, "total": {m: a[m] + b[m] + c[m] for m in a},
            "alone": c}
    hierarchy = {"total": ["ab", "c"], "ab": ["a", "b"]}
    base = {f.series_id: f for f in forecasting.forecast(data, horizon=6)}
    assert all(len(f.errors) == 3 and len(f.errors[0]) == 6 for f in base.values())
    out = {f.series_id: f for f in forecasting.reconcile(list(base.values()), hierarchy)}
    mean = {k: np.array(f.mean) for k, f in out.items()}
    assert np.allclose(mean["ab"], mean["a"] + mean["b"])
    assert np.allclose(mean["total"], mean["a"] + mean["b"] + mean["c"])
    # the base forecasts did not add up; the reconciled ones stay close to them and keep their widths
    assert not np.allclose(base["total"].mean, np.sum([base[k].mean for k in "abc"], axis=0))
    assert np.allclose(mean["total"], base["total"].mean, rtol=0.1)
    for k in ("a", "total"):
        assert np.allclose(np.subtract(out[k].hi95, out[k].mean), np.subtract(base[k].hi95, base[k].mean))
    assert out["alone"] is base["alone"] and out["total"].model.endswith("(MinT)")
    for bad, message in (({"total": ["ab", "nowhere"]}, "'nowhere' is not among"),
                         ({"a": ["b"], "b": ["a"]}, "its own descendant")):
        with pytest.raises(InvalidInput, match=message):
            forecasting.reconcile(list(base.values()), bad)


def test_the_command_reconciles_with_a_hierarchy_file(tmp_path):
    north, south = samples.seasonal("north", 2018, 48, 1000.0, trend=0.01), samples.seasonal("south", 2018, 48, 200.0)
    both = [f"both,{a.split(',')[1]},{float(a.split(',')[2]) + float(b.split(',')[2]):.1f}"
            for a, b in zip(north, south, strict=True)]
    source = tmp_path / "series.csv"
    source.write_text(samples.long_csv(north, south, both))
    tree = tmp_path / "tree.csv"
    tree.write_text("parent,child\nboth,north\nboth,south\n")
    out = tmp_path / "out.csv"
    r = runner.invoke(app, ["flows", "forecast", str(source), "--horizon", "2", "--out", str(out),
                            "--hierarchy", str(tree)])
    assert r.exit_code == 0, r.output
    means = {(row["series_id"], row["month"]): float(row["mean"]) for row in csv.DictReader(out.open())}
    for month in ("2022-01", "2022-02"):
        assert means[("both", month)] == pytest.approx(means[("north", month)] + means[("south", month)], abs=1e-3)
    tree.write_text("parent;child\n")
    r = runner.invoke(app, ["flows", "forecast", str(source), "--horizon", "2", "--hierarchy", str(tree)])
    assert r.exit_code == 2 and r.stderr == "error: tree.csv: line 1: the header must be parent,child\n"

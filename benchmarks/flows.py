"""Flows: forecast accuracy on real border series, and the speed of forecasting and importing.

Accuracy: on every monthly series of the Texas–Mexico crossings file (`BINATIONAL_PUBLIC_DATA`/flows),
forecast each calendar year Y in (2024, 2025; `--years` for the validation years 2018, 2019 and
2023, on which any change of method is chosen) from the data before it, 12 months ahead. For each
series, the mean absolute scaled error (MASE, scaled by the in-sample seasonal naive error) of

- our per-series choice by rolling-origin backtest (`binational.flows.forecasting.forecast`),
- seasonal naive (the last year repeated),
- each fixed statsforecast model fitted on the raw history (AutoETS, AutoTheta, MSTL), the peers a
  statsforecast user would pick,

and the share of actuals inside our 95 % interval, and the median scaled error month by month ahead
(ours and seasonal naive), which shows at which horizons a year is lost. Target: median MASE at most 0.80 of seasonal
naive's, 95 % coverage between 90 % and 97 %.

Speed: `forecast` of 1,000 series (the real series, replicated with noise) with horizon 12, and
(`--size large`) the import of a 1,000,000-row long CSV through the importer.

    python -m benchmarks.flows [--size small|large] [--cores 2]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from binational.flows import forecasting  # noqa: E402

RESULTS = Path(__file__).parent / "results"
PEERS = ("AutoETS", "AutoTheta", "MSTL")


def real_series() -> dict[str, dict[int, float]]:
    """The Texas–Mexico crossings file as series -> month -> value (crossing and mode)."""
    import csv

    root = Path(os.environ.get("BINATIONAL_PUBLIC_DATA", Path(__file__).resolve().parents[1] / "../shared/data"))
    path = root / "flows" / "texas-mexico-monthly-crossings-2008-2025.csv"
    if not path.is_file():
        sys.exit(f"skipped: {path} is absent (set BINATIONAL_PUBLIC_DATA)")
    series: dict[str, dict[int, float]] = defaultdict(dict)
    with path.open(encoding="utf-8-sig", newline="") as handle:
        for row in csv.DictReader(handle):
            key = f"{row['POE']}|{row['Crossing']}|{row['Modes']}"
            series[key][int(row["Year"]) * 12 + int(row["Month"]) - 1] = float(row["Northbound Crossing"])
    return dict(series)


def hierarchy_accuracy(year: int, cores: int) -> dict:
    """Forecasting `year` from the years before, every level of the Texas hierarchy (crossing, port of
    entry, region, Texas; each by mode): median MASE of the base forecasts and of the MinT-reconciled
    ones, per level, and how far the base forecasts were from adding up."""
    import csv

    root = Path(os.environ.get("BINATIONAL_PUBLIC_DATA", Path(__file__).resolve().parents[1] / "../shared/data"))
    path = root / "flows" / "texas-mexico-monthly-crossings-2008-2025.csv"
    cut = year * 12
    points: dict[str, dict[int, float]] = defaultdict(dict)
    place: dict[str, tuple[str, str, str]] = {}
    with path.open(encoding="utf-8-sig", newline="") as handle:
        for row in csv.DictReader(handle):
            key = f"{row['POE']}|{row['Crossing']}|{row['Modes']}"
            points[key][int(row["Year"]) * 12 + int(row["Month"]) - 1] = float(row["Northbound Crossing"])
            place[key] = (row["Region"], row["POE"], row["Modes"])
    bottom = {}
    for key, pts in points.items():
        start, values = forecasting.regular({m: v for m, v in pts.items() if m < cut})
        actual = [pts.get(cut + i) for i in range(12)]
        if (
            len(values) >= forecasting.needed_months(12)
            and start + len(values) == cut
            and None not in actual
            and values.any()
            and forecasting._scale(values) > 0
        ):
            bottom[key] = pts
    # parents: port|mode, region|mode, Texas|mode; one with a single child is that child, so is left out
    levels = {
        "port": lambda k: f"port:{place[k][1]}|{place[k][2]}",
        "region": lambda k: f"region:{place[k][0]}|{place[k][2]}",
        "texas": lambda k: f"texas|{place[k][2]}",
    }
    level_of = {k: "crossing" for k in bottom}
    tree: dict[str, list[str]] = {}
    current = {k: k for k in bottom}  # bottom series -> its nearest kept ancestor so far
    for level, parent_of in levels.items():
        groups: dict[str, set[str]] = defaultdict(set)
        for key in bottom:
            groups[parent_of(key)].add(current[key])
        for parent, children in groups.items():
            if len(children) > 1:
                tree[parent] = sorted(children)
                level_of[parent] = level
                for key in bottom:
                    if parent_of(key) == parent:
                        current[key] = parent
    full: dict[str, dict[int, float]] = {k: dict(v) for k, v in bottom.items()}

    def total(name: str) -> dict[int, float]:
        if name not in full:
            sums: dict[int, float] = defaultdict(float)
            for child in tree[name]:
                for m, v in total(child).items():
                    sums[m] += v
            full[name] = dict(sums)
        return full[name]

    for parent in tree:
        total(parent)
    train = {k: {m: v for m, v in pts.items() if m < cut} for k, pts in full.items()}
    base = forecasting.forecast(train, horizon=12, n_jobs=cores)
    reconciled = forecasting.reconcile(base, tree)
    scores: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for b, r in zip(base, reconciled, strict=True):
        values = forecasting.regular(train[b.series_id])[1]
        actual = np.array([full[b.series_id][cut + i] for i in range(12)])
        for name, f in (("base", b), ("mint", r)):
            scores[level_of[b.series_id]][name].append(forecasting.mase(actual, f.mean, values))
        scores[level_of[b.series_id]]["SeasonalNaive"].append(forecasting.mase(actual, values[-12:], values))
    by_id = {f.series_id: np.array(f.mean) for f in base}
    gap = max(
        float(np.max(np.abs(by_id[p] - np.sum([by_id[c] for c in cs], axis=0)) / np.maximum(by_id[p], 1)))
        for p, cs in tree.items()
    )
    return {
        "year": year,
        "series": {level: len(s["base"]) for level, s in scores.items()},
        "median_mase": {level: {k: round(float(np.median(v)), 4) for k, v in s.items()} for level, s in scores.items()},
        "base_largest_relative_gap": round(gap, 4),
    }


def accuracy(series: dict[str, dict[int, float]], year: int, cores: int) -> dict:
    """MASE of our choice, seasonal naive and fixed peers forecasting `year` from the years before."""
    cut = year * 12
    train = {k: {m: v for m, v in pts.items() if m < cut} for k, pts in series.items()}
    usable = {}
    for key, pts in train.items():
        start, values = forecasting.regular(pts)
        actual = [series[key].get(cut + i) for i in range(12)]
        if (
            len(values) < forecasting.needed_months(12)
            or any(a is None for a in actual)
            or start + len(values) != cut
            or forecasting._scale(values) <= 0
            or not values.any()
        ):
            continue
        usable[key] = (pts, np.array(actual, float), values)
    started = time.perf_counter()
    ours = forecasting.forecast({k: v[0] for k, v in usable.items()}, horizon=12, n_jobs=cores)
    seconds = time.perf_counter() - started
    raw = forecasting._predict([(k, v[2]) for k, v in usable.items()], PEERS, 12, n_jobs=cores)
    scores: dict[str, list[float]] = defaultdict(list)
    by_horizon: dict[str, list[np.ndarray]] = defaultdict(list)  # absolute errors scaled as MASE, month by month
    inside = total = 0
    chosen: dict[str, int] = defaultdict(int)
    for f in ours:
        _, actual, values = usable[f.series_id]
        scores["ours"].append(forecasting.mase(actual, f.mean, values))
        scores["SeasonalNaive"].append(forecasting.mase(actual, values[-12:], values))
        scale = forecasting._scale(values)
        by_horizon["ours"].append(np.abs(actual - np.array(f.mean)) / scale)
        by_horizon["SeasonalNaive"].append(np.abs(actual - values[-12:]) / scale)
        for peer in PEERS:
            scores[peer].append(forecasting.mase(actual, raw[f.series_id][peer], values))
        inside += int(np.sum((actual >= np.array(f.lo95)) & (actual <= np.array(f.hi95))))
        total += len(actual)
        chosen["+".join(sorted(f.model.split("+")))] += 1
    medians = {k: float(np.median(v)) for k, v in scores.items()}
    best_peer = min(PEERS, key=lambda p: medians[p])
    return {
        "year": year,
        "series": len(usable),
        "skipped": len(series) - len(usable),
        "seconds": round(seconds, 1),
        "median_mase": {k: round(v, 4) for k, v in medians.items()},
        "ratio_to_seasonal_naive": round(medians["ours"] / medians["SeasonalNaive"], 4),
        "best_fixed_model": best_peer,
        "ratio_to_best_fixed": round(medians["ours"] / medians[best_peer], 4),
        "coverage95": round(inside / total, 4),
        "median_scaled_error_by_horizon": {
            k: [round(float(x), 3) for x in np.median(v, axis=0)] for k, v in by_horizon.items()
        },
        "chosen": dict(sorted(chosen.items(), key=lambda kv: -kv[1])),
    }


def _cpu() -> float:
    """CPU seconds of this process and its finished worker processes."""
    import resource

    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _timed(run) -> dict:  # type: ignore[no-untyped-def]
    wall, cpu = time.perf_counter(), _cpu()
    run()
    return {"seconds": round(time.perf_counter() - wall, 1), "cpu_seconds": round(_cpu() - cpu, 1)}


def speed(series: dict[str, dict[int, float]], n: int, cores: int) -> dict:
    """Seconds (wall and CPU) to forecast `n` series (the real ones, replicated with multiplicative
    noise), ours beside the peers on the same series: seasonal naive and plain AutoETS, one fit each."""
    rng = np.random.default_rng(7)
    keys = sorted(series)
    data = {}
    for i in range(n):
        base = series[keys[i % len(keys)]]
        noise = rng.normal(1.0, 0.05, size=len(base))
        data[f"s{i}"] = {m: max(0.0, v * noise[j]) for j, (m, v) in enumerate(sorted(base.items()))}
    data = {k: v for k, v in data.items() if len(forecasting.regular(v)[1]) >= forecasting.needed_months(12)}
    load = os.getloadavg()[0]
    ours = _timed(lambda: forecasting.forecast(data, horizon=12, n_jobs=cores))
    raw = [(k, forecasting.regular(v)[1]) for k, v in data.items()]
    peers = {
        m: _timed(lambda m=m: forecasting._predict(raw, [m], 12, n_jobs=cores)) for m in ("SeasonalNaive", "AutoETS")
    }
    return {"series": len(data), "cores": cores, "load_average_before": round(load, 1), "ours": ours, **peers}


def import_speed(rows: int) -> dict:
    """Seconds to import a long CSV of `rows` monthly values into a fresh SQLite node, twice (the second
    time every value is unchanged)."""
    import tempfile

    from binational.access import service as access
    from binational.config import Settings, get_settings
    from binational.db import Database, act_as, act_as_system
    from binational.flows import service
    from binational.schema import upgrade

    months = 480
    series = max(1, rows // months)
    lines = ["series_id,month,value"]
    for i in range(series):
        for m in range(months):
            lines.append(f"s{i},{1985 + m // 12}-{m % 12 + 1:02d},{(i * 7 + m * 13) % 1000}")
    data = ("\n".join(lines) + "\n").encode()
    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(
            database_url=f"sqlite:///{folder}/flows.db",
            audit_key_path=Path(folder) / "audit.key",
            secret_key_path=Path(folder) / "secret.key",
            environment="test",
            secret_key="bench-flows-secret",
            request_budget_ms=0,
            statement_timeout_ms=0,
        )
        os.environ["BINATIONAL_DATABASE_URL"] = settings.database_url
        os.environ["BINATIONAL_SECRET_KEY"] = settings.secret_key
        get_settings.cache_clear()
        db = Database(settings)
        upgrade(db.engine, settings)
        with db.unit_of_work() as session:
            act_as_system(session)
            access.add_agency(session=session, code="US-CBP", country="US", name="CBP")
            access.add_user(
                session=session, username="analyst", agency="US-CBP", roles=["analyst"], clearance="TLP:AMBER"
            )
        timings = []
        load = os.getloadavg()[0]
        for _ in range(2):
            started, cpu = time.perf_counter(), _cpu()
            with db.unit_of_work() as session:
                act_as_system(session)
                actor = access.actor_for(session=session, user=access.get_user(session=session, username="analyst"))
                act_as(session, actor)
                result = service.import_file(session=session, actor=actor, name="big.csv", data=data)
            timings.append(
                (round(time.perf_counter() - started, 1), round(_cpu() - cpu, 1), result.added, result.unchanged)
            )
        db.dispose()
    return {
        "rows": series * months,
        "load_average_before": round(load, 1),
        "first_seconds": timings[0][0],
        "first_cpu_seconds": timings[0][1],
        "added": timings[0][2],
        "second_seconds": timings[1][0],
        "second_cpu_seconds": timings[1][1],
        "unchanged": timings[1][3],
        "database": "sqlite",
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", choices=("small", "large"), default="small")
    parser.add_argument("--cores", type=int, default=2)
    parser.add_argument("--skip-speed", action="store_true")
    parser.add_argument("--skip-hierarchy", action="store_true")
    parser.add_argument(
        "--years", type=int, nargs="+", default=[2024, 2025],
        help="target years (the test years 2024 and 2025 by default; 2018 2019 2023 are the validation years)",
    )
    args = parser.parse_args(argv)
    series = real_series()
    results: dict = {"accuracy": [accuracy(series, year, args.cores) for year in args.years]}
    for row in results["accuracy"]:
        print(
            f"{row['year']}: {row['series']} series; median MASE "
            + ", ".join(f"{k} {v}" for k, v in row["median_mase"].items())
            + f"; ours/SN {row['ratio_to_seasonal_naive']}, "
            f"ours/{row['best_fixed_model']} {row['ratio_to_best_fixed']}; 95% coverage {row['coverage95']}; "
            f"{row['seconds']} s; chosen {row['chosen']}",
            flush=True,
        )
        for name, errors in row["median_scaled_error_by_horizon"].items():
            print(f"  {name} median scaled error, months 1-12 ahead: {errors}", flush=True)
    results["hierarchy"] = [] if args.skip_hierarchy else [hierarchy_accuracy(y, args.cores) for y in args.years]
    for row in results["hierarchy"]:
        print(
            f"hierarchy {row['year']}: {row['series']}; median MASE {row['median_mase']}; "
            f"base forecasts off their sum by up to {row['base_largest_relative_gap']:.1%}",
            flush=True,
        )
    if not args.skip_speed:
        results["forecast_speed"] = speed(series, 1000 if args.size == "large" else 300, args.cores)
        print(f"forecast: {results['forecast_speed']}", flush=True)
        results["import_speed"] = import_speed(1_000_000 if args.size == "large" else 100_000)
        print(f"import: {results['import_speed']}", flush=True)
    RESULTS.mkdir(exist_ok=True)
    target = RESULTS / "flows.json"
    previous = json.loads(target.read_text()) if target.is_file() else {}  # keep what this run skipped
    target.write_text(json.dumps({**previous, **results}, indent=1) + "\n")


if __name__ == "__main__":
    main()

"""Cargo risk targeting on the customs import declarations data set (Jeong et al. 2022), side by side
with a plain LightGBM on label-encoded columns, and the time to score a million declarations.

Split as the data set ships it: train 2020, validation 2021 Q1, test 2021 Q2. Ours trains on train
(validation picks its trees and the critical weight) and refits on both; the peer (the paper's
baseline) trains on train + validation with LightGBM's defaults on the label-encoded columns and
min-max scaled numbers. Both rank the test file once; the measures are Precision@5 % / @10 % for
Fraud and the recall of Critical Fraud = 2 in the same top 5 % / 10 % (one list, not one per label).
Speed: the test file repeated to 1,000,000 declarations (new ids, the same dates), scored with the
trained model, the 5 % selection list drawn with 10 % exploration and its reasons computed.

    python -m benchmarks.cargo [--size small|large]      (large: also the million-row timing)
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import numpy as np
import pandas as pd

from binational.config import get_settings
from binational.trade import declarations, risk, service

RESULTS = Path(__file__).parent / "results"


def folder() -> Path:
    return Path(get_settings().public_data) / "customs" / "jeong2022-kcs-synthetic"


def plain(train: pd.DataFrame, valid: pd.DataFrame, test: pd.DataFrame) -> np.ndarray:
    """The paper's baseline: categoricals label-encoded, numbers min-max scaled, LightGBM defaults."""
    import lightgbm as lgb
    fit = pd.concat([train, valid], ignore_index=True)
    every = pd.concat([fit, test], ignore_index=True)
    kinds = [c for c in declarations.COLUMNS if c not in declarations.NUMERIC + ["Declaration ID", "Date"]]
    x = pd.DataFrame({c: every[c].astype("category").cat.codes for c in kinds})
    for c in declarations.NUMERIC:
        v = every["num_" + c]
        x[c] = (v - v.min()) / (v.max() - v.min())
    model = lgb.LGBMClassifier(verbose=-1, n_jobs=2).fit(x.iloc[:len(fit)], fit["Fraud"])
    return np.asarray(model.predict_proba(x.iloc[len(fit):])[:, 1])


def million(model: risk.RiskModel, test: pd.DataFrame, rows: int) -> dict[str, float]:
    copies = -(-rows // len(test))
    big = pd.concat([test] * copies, ignore_index=True).iloc[:rows].copy()
    big["Declaration ID"] = np.arange(rows).astype(str)
    big = big.sort_values("date", kind="stable").reset_index(drop=True)
    start, cpu = time.perf_counter(), time.process_time()
    ranked = service.rank(model, big, budget=0.05, exploration=0.1, mode="uncertainty")
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    load = os.getloadavg()[0]
    return {"rows": rows, "selected": len(ranked.rows), "seconds": round(seconds, 2), "cpu_seconds": round(cpu, 2),
            "load_average": round(load, 1)}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=("small", "large"), default="large")
    args = parser.parse_args(argv)
    data = folder()
    if not (data / "df_syn_test_eng.csv").is_file():
        raise SystemExit(f"customs data not found under {data} (set BINATIONAL_PUBLIC_DATA)")
    start = time.perf_counter()
    train, valid, test = (declarations.read(data / f"df_syn_{n}_eng.csv", labels=True)
                          for n in ("train", "valid", "test"))
    read_seconds = time.perf_counter() - start
    fraud, critical = test["Fraud"].to_numpy(), test["Critical Fraud"].to_numpy()
    start = time.perf_counter()
    model = risk.train(train, valid)
    train_seconds = time.perf_counter() - start
    unlabelled = test.drop(columns=declarations.LABELS)
    start = time.perf_counter()
    _x, _f, _c, score = model.predict(unlabelled)
    score_seconds = time.perf_counter() - start
    ours = {**risk.measures(score, fraud, critical), "train_seconds": round(train_seconds, 2),
            "score_seconds": round(score_seconds, 3), "critical_weight": model.weight}
    start = time.perf_counter()
    peer = {**risk.measures(plain(train, valid, test), fraud, critical),
            "train_and_score_seconds": round(time.perf_counter() - start, 2)}
    result = {"data": {"train": len(train), "valid": len(valid), "test": len(test),
                       "test_fraud_rate": round(float(fraud.mean()), 4),
                       "test_critical_rows": int((critical == 2).sum()), "read_seconds": round(read_seconds, 2)},
              "ours": ours, "peer_plain_lightgbm": peer,
              "targets_met": ours["precision_at_5"] >= 0.95 and ours["precision_at_10"] >= 0.87
              and ours["critical_recall_at_5"] >= 0.21 and ours["critical_recall_at_10"] >= 0.42}
    if args.size == "large":
        result["speed"] = million(model, unlabelled, 1_000_000)
    print(f"{'':24s} {'P@5%':>6s} {'P@10%':>6s} {'crit R@5%':>9s} {'crit R@10%':>10s}")
    for name, row in (("ours", ours), ("plain LightGBM", peer)):
        print(f"{name:24s} {row['precision_at_5']:6.3f} {row['precision_at_10']:6.3f} "
              f"{row['critical_recall_at_5']:9.3f} {row['critical_recall_at_10']:10.3f}")
    if "speed" in result:
        speed = result["speed"]
        print(f"scored {speed['rows']:,} declarations with their selection list in {speed['seconds']} s "
              f"({speed['cpu_seconds']} s of CPU; load average {speed['load_average']} on the machine)")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "cargo.json").write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()

"""Cargo risk targeting as the platform runs it: the actions it audits, and training, scoring and
evaluating on declaration files (the file's name and digest, never its rows, go in the log)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from binational.access.actions import Action, register
from binational.trade import declarations, risk

register(Action("trade.evaluate", "record.view",
                "train a cargo risk model on two declaration files and measure it on a third"))
register(Action("trade.train", "record.create", "train a cargo risk model on inspected declarations"))
register(Action("trade.score", "record.view",
                "rank declarations for inspection and draw a selection list with reasons"))


def digest(path: Path) -> dict[str, str]:
    """What the audit log keeps of an input file: its name and SHA-256."""
    return {"file": path.name, "sha256": hashlib.sha256(path.read_bytes()).hexdigest()}


def evaluate(train: pd.DataFrame, valid: pd.DataFrame, test: pd.DataFrame, *,
             progress: risk.Progress | None = None) -> dict[str, Any]:
    """Train on `train` and `valid` only, score `test` (its labels unseen until measured), and give
    precision for fraud and recall of critical fraud in the top 5 % and 10 % of one ranking."""
    if "Fraud" not in test.columns:
        raise declarations.DeclarationError("the test file carries no labels (Fraud, Critical Fraud) to measure")
    model = risk.train(train, valid, progress=progress)
    unlabelled = test.drop(columns=declarations.LABELS)
    if progress:
        progress("scoring the test period")
    _x, _fraud, _critical, score = model.predict(unlabelled)
    out = risk.measures(score, test["Fraud"].to_numpy(), test["Critical Fraud"].to_numpy())
    out.update({"test_rows": len(test), "fraud_rate": round(float(test["Fraud"].mean()), 4),
                "critical_rows": int((test["Critical Fraud"] == 2).sum()), "critical_weight": model.weight})
    return out


@dataclass
class Ranked:
    """A scored file: the selection list's rows with their reasons."""

    rows: list[dict[str, Any]]
    scored: int


def rank(model: risk.RiskModel, frame: pd.DataFrame, *, budget: float, exploration: float, mode: str,
         seed: int = 0) -> Ranked:
    """The selection list of `frame`: rank, kind (score or exploration), scores and reasons."""
    x, fraud, critical, score = model.predict(frame)
    chosen = risk.select(score, fraud, budget=budget, exploration=exploration, mode=mode, seed=seed)
    rows = chosen.rows
    reasons = model.reasons(x, rows)
    explore = set(chosen.explore.tolist())
    out = []
    for place, (row, why) in enumerate(zip(rows.tolist(), reasons, strict=True), start=1):
        out.append({"rank": place, "declaration": frame["Declaration ID"].iloc[row],
                    "date": str(frame["date"].iloc[row].date()),
                    "kind": "exploration" if row in explore else "score",
                    "score": round(float(score[row]), 4), "fraud": round(float(fraud[row]), 4),
                    "critical": round(float(critical[row]), 4),
                    "hs_unknown": bool(frame["hs_unknown"].iloc[row]), "reasons": why})
    return Ranked(out, int(np.size(score)))

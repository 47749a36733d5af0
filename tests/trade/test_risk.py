"""The cargo risk model: history only from the past, one ranking for fraud and critical fraud, the
selection list with exploration and reasons, the model file refused when it does not fit."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from binational.config import get_settings
from binational.errors import InvalidInput
from binational.trade import declarations, risk, service, synthetic

DATA = Path(get_settings().public_data) / "customs" / "jeong2022-kcs-synthetic"


def _frame(**changes: object) -> pd.DataFrame:
    frame = synthetic.declarations(60, start=pd.Timestamp("2024-01-01").date(), days=10, seed=5)
    return declarations.parse(synthetic.csv_text(frame), labels=True)


def test_history_comes_only_from_earlier_days():
    frame = _frame()
    cats = risk._categories(frame)
    x = risk.features(frame, risk.History(), labelled=True, categories=cats)
    first_day = frame["date"] == frame["date"].min()
    assert (x.loc[first_day, "Importer ID: earlier declarations"] == 0).all()
    assert (x.loc[first_day, "Item Price: inspected before"] == 0).all()
    # changing a label on the last day changes no feature of any row
    flipped = frame.copy()
    last = flipped.index[flipped["date"] == flipped["date"].max()]
    flipped.loc[last, "Fraud"] = 1 - flipped.loc[last, "Fraud"]
    flipped.loc[last, "Critical Fraud"] = flipped.loc[last, "Fraud"]
    pd.testing.assert_frame_equal(x, risk.features(flipped, risk.History(), labelled=True, categories=cats))
    # an importer's earlier count is exactly the rows before its date
    row = frame.index[-1]
    importer, day = frame.loc[row, "Importer ID"], frame.loc[row, "date"]
    expected = ((frame["Importer ID"] == importer) & (frame["date"] < day)).sum()
    assert x.loc[row, "Importer ID: earlier declarations"] == expected


def test_scoring_keys_a_history_as_training_wrote_it(declaration_files):
    """Scoring makes each key's text for its distinct values only; each row's text is still the one
    the training history was written under (the model's history is looked up by it)."""
    frame = declarations.read(declaration_files["test"])
    frame.loc[frame.index[:3], "Net Mass"] = "0"  # no value per kg: the text of a missing value
    frame = declarations.parse(frame[declarations.COLUMNS].to_csv(index=False))
    keys, factors = risk._keys(frame), risk._factors(frame)
    for key in risk.HISTORY_KEYS:
        codes, uniques = factors[key]
        assert list(uniques[codes]) == list(keys[key]), key
    assert "nan" in set(keys["unit value"])


def test_scored_files_never_use_their_own_labels(model_file, declaration_files):
    model = risk.RiskModel.load(model_file)
    test = declarations.read(declaration_files["test"], labels=True)
    _x, _f, _c, with_labels = model.predict(test)
    _x, _f, _c, without = model.predict(test.drop(columns=declarations.LABELS))
    np.testing.assert_array_equal(with_labels, without)


def test_the_models_size_is_the_cheapest_within_tolerance_on_validation(model_file):
    """Every pair of learning rates was tried on the validation period; the one kept has the fewest
    trees among those within the tolerance of the best, and the refitted boosters use its rates."""
    model = risk.RiskModel.load(model_file)
    candidates = model.info["candidates"]
    assert {tuple(c["learning_rates"]) for c in candidates} == {(f, c) for f in risk.FRAUD_RATES
                                                                for c in risk.CRITICAL_RATES}
    best = max(c["objective"] for c in candidates)
    near = [c for c in candidates if c["objective"] >= best - risk.TOLERANCE]
    chosen = next(c for c in candidates if c["learning_rates"] == model.info["learning_rates"])
    assert chosen in near and sum(chosen["trees"]) == min(sum(c["trees"]) for c in near)
    fraud_rate, critical_rate = chosen["learning_rates"]
    assert f"[learning_rate: {fraud_rate}]" in model.fraud.model_to_string()
    assert f"[learning_rate: {critical_rate}]" in model.critical.model_to_string()
    assert model.info["trees"] == [round(t * 1.1) for t in chosen["trees"]]


def test_evaluate_beats_chance_on_the_synthetic_world(declaration_files):
    frames = [declarations.read(declaration_files[n], labels=True) for n in ("train", "valid", "test")]
    result = service.evaluate(*frames)
    assert result["precision_at_5"] >= 0.8 > 3 * result["fraud_rate"] * 0.8
    assert result["critical_recall_at_10"] >= 0.5
    assert set(result) >= {"precision_at_5", "precision_at_10", "critical_recall_at_5", "critical_recall_at_10"}


def test_selection_list_with_exploration_and_reasons(model_file, declaration_files):
    model = risk.RiskModel.load(model_file)
    frame = declarations.read(declaration_files["test"], columns=model.columns)
    ranked = service.rank(model, frame, budget=0.05, exploration=0.25, mode="uncertainty")
    assert len(ranked.rows) == 40 and ranked.scored == 800
    kinds = [r["kind"] for r in ranked.rows]
    assert kinds.count("exploration") == 10 and kinds[:30] == ["score"] * 30
    scores = [r["score"] for r in ranked.rows[:30]]
    assert scores == sorted(scores, reverse=True)
    assert all(r["reasons"] and r["reasons"][0]["contribution"] > 0 for r in ranked.rows[:30])
    assert {r["declaration"] for r in ranked.rows} <= set(frame["Declaration ID"])
    random = service.rank(model, frame, budget=0.05, exploration=0.25, mode="random", seed=3)
    assert random.rows[:30] == ranked.rows[:30]
    assert {r["declaration"] for r in random.rows[30:]}.isdisjoint({r["declaration"] for r in random.rows[:30]})


def test_selection_bounds():
    score = np.arange(10.0)
    assert risk.select(score, score / 10, budget=0.3).exploit.tolist() == [9, 8, 7]
    for kwargs in ({"budget": 0}, {"budget": 1.5}, {"budget": 0.1, "exploration": -1},
                   {"budget": 0.1, "mode": "greedy"}):
        with pytest.raises(InvalidInput):
            risk.select(score, score, **kwargs)  # type: ignore[arg-type]


def test_model_file_must_match_the_data(model_file, declaration_files, tmp_path):
    model = risk.RiskModel.load(model_file)
    frame = declarations.read(declaration_files["test"])
    with pytest.raises(risk.ModelMismatch, match="Courier ID"):
        model.predict(frame.drop(columns=["Courier ID"]))
    other = json.loads(model_file.read_text())
    other["columns"] = other["columns"][:-1]
    changed = tmp_path / "changed.json"
    changed.write_text(json.dumps(other))
    with pytest.raises(risk.ModelMismatch, match="Item Price"):
        risk.RiskModel.load(changed).predict(frame)
    other = json.loads(model_file.read_text())
    other["features"] = other["features"][1:]
    changed.write_text(json.dumps(other))
    with pytest.raises(risk.ModelMismatch, match="features"):
        risk.RiskModel.load(changed)
    scope = {"owner_agency": "US-CBP", "owner_country": "US", "distribution": "agency", "marking_rank": 2,
             "case_id": None, "joint_agency": None}
    # a rank the policy would compare as nothing it expects; values no draw's scope row holds
    for bad in ({"marking_rank": "4"}, {"marking_rank": float("nan")}, {"marking_rank": None},
                {"marking_rank": True}, {"marking_rank": 2 ** 31}, {"owner_country": "USA"}, {"case_id": "c" * 65}):
        other = json.loads(model_file.read_text())
        other["scope"] = [{**scope, **bad}]
        changed.write_text(json.dumps(other))
        with pytest.raises(risk.ModelMismatch, match="damaged"):
            risk.RiskModel.load(changed)
    changed.write_text("{not json")
    with pytest.raises(risk.ModelMismatch, match="not a model file"):
        risk.RiskModel.load(changed)
    changed.write_text(json.dumps({"format": "something else"}))
    with pytest.raises(risk.ModelMismatch, match="not a model file"):
        risk.RiskModel.load(changed)


@pytest.mark.skipif(not (DATA / "df_syn_test_eng.csv").is_file(), reason="customs data set absent")
def test_reads_the_customs_data_set():
    frame = declarations.read(DATA / "df_syn_valid_eng.csv", labels=True)
    assert len(frame) == 8134 and frame["Fraud"].sum() == 1704 and not frame["hs_unknown"].any()

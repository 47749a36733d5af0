"""Training and scoring with Splink, the same steps on every backend.

λ (the prior that two records match) comes from deterministic rules and their assumed recall; u
from random pairs (seeded); m from EM sessions that each block on columns the comparisons use, so
Splink leaves those comparisons out of the session (blocking on a column derived from a compared
one, such as birth year from birth date, would bias the date weights). A step that cannot run on
small data keeps the model's prior values and says so in the run's notes.
"""

from __future__ import annotations

import logging
from typing import Any

from binational.resolution.engine import Linked, Pair, Progress
from binational.resolution.splink_model import Model

SEED = 20240917
STEPS = 6


def _levels(settings: dict[str, Any]) -> dict[str, dict[int, str]]:
    """Comparison name -> gamma value -> level label (Splink numbers non-null levels from the top)."""
    out: dict[str, dict[int, str]] = {}
    for comparison in settings["comparisons"]:
        levels = [lvl for lvl in comparison["comparison_levels"] if not lvl.get("is_null_level")]
        mapping = {-1: "missing"}
        for i, lvl in enumerate(levels):
            mapping[len(levels) - 1 - i] = lvl["label_for_charts"]
        out[comparison["output_column_name"]] = mapping
    return out


def train_and_predict(db_api: Any, table: Any, model: Model, settings: dict[str, Any], agencies: dict[str, str],
                      *, progress: Progress | None = None, train: bool = True) -> Linked:
    """Train a copy of `model` on the registered `table` and score its candidate pairs."""
    from splink import Linker

    logging.getLogger("splink").setLevel(logging.ERROR)
    notes: list[str] = []
    plan = model.training

    def step(name: str, done: int) -> None:
        if progress:
            progress(name, done, STEPS)

    linker = Linker(table, settings, log_level=None)
    if train:
        step("estimating λ", 0)
        try:
            linker.training.estimate_probability_two_random_records_match(
                plan["deterministic_rules"], recall=plan["deterministic_recall"])
        except Exception as exc:  # too little data to count deterministic matches: keep the prior
            notes.append(f"λ kept at prior: {exc}")
        prior = linker._settings_obj._probability_two_random_records_match
        if not 0 < prior < 0.5:  # no deterministic match at all (or only matches): a bounded prior
            linker._settings_obj._probability_two_random_records_match = min(max(prior, 1e-6), 0.5)
            notes.append(f"λ {prior} out of range; bounded")
        step("estimating u", 1)
        try:
            # one chunk: every sampled pair counted, no early stop that depends on chunk order, and
            # one query per comparison instead of up to a hundred (each costs ~1 s on Spark)
            linker.training.estimate_u_using_random_sampling(max_pairs=plan["u_max_pairs"], seed=SEED,
                                                             num_chunks=1)
        except Exception as exc:
            notes.append(f"u kept at prior: {exc}")
        for i, rule in enumerate(plan["em_blocking_rules"]):
            step(f"EM session {i + 1}", 2 + i)
            try:
                kwargs = {"max_pairs": plan["em_max_pairs"]} if len(agencies) > 50_000 else {}
                linker.training.estimate_parameters_using_expectation_maximisation(rule, **kwargs)
            except Exception as exc:
                notes.append(f"EM on {rule} skipped: {exc}")
    step("scoring candidate pairs", 4)
    predictions = linker.inference.predict(threshold_match_weight=model.thresholds["floor_match_weight"])
    trained = linker.misc.save_model_to_json()
    table_out = predictions.as_pyarrow_table()
    pairs = pairs_from(table_out, trained, agencies)
    step("done", STEPS)
    return Linked(pairs=pairs, settings=trained, records=len(agencies), training_notes=notes)


def pairs_from(table: Any, settings: dict[str, Any], agencies: dict[str, str]) -> list[Pair]:
    """Pairs from Splink's prediction table (a pyarrow table), lower id on the left."""
    levels = _levels(settings)
    wanted = ["unique_id_l", "unique_id_r", "match_weight", "match_probability"]
    wanted += [c for c in table.column_names if c.startswith(("gamma_", "mw_"))]
    cols = wanted
    data = table.select(wanted).to_pydict()
    n = table.num_rows
    out: list[Pair] = []
    names = [name for name in levels if f"gamma_{name}" in cols]
    for i in range(n):
        left, right = data["unique_id_l"][i], data["unique_id_r"][i]
        la, ra = agencies[left], agencies[right]
        if left > right:
            left, right, la, ra = right, left, ra, la
        weights = {}
        for name in names:
            gamma = data[f"gamma_{name}"][i]
            mw = data.get(f"mw_{name}", data.get(f"bf_{name}"))
            weight = float(mw[i]) if mw is not None and mw[i] is not None else 0.0
            weights[name] = [levels[name].get(int(gamma), str(gamma)), round(weight, 3)]
        out.append(Pair(left, right, la, ra, round(float(data["match_weight"][i]), 4),
                        float(data["match_probability"][i]), weights))
    return out

"""Cargo risk targeting: rank customs declarations for inspection.

Features are computed for each declaration from what was known before its date only:

- history: for the importer, declarant, seller, courier, office, HS6/HS4/HS2 code, origin and
  departure countries, and the declared value, mass, tax rate and value per kilogram, how many
  declarations came earlier, how many of them were inspected, and the share and count found
  fraudulent or critical (smoothed towards the overall rate). Within a training file the window
  expands day by day; a scored file adds its earlier days' counts (never labels) to the history
  the model was trained with.
- value per kilogram against the norm of the HS6 and HS4 codes seen before (a z-score of the log).
- the route (departure differs from origin), the tax rate, log mass, log value, and the kinds
  (office, process, import type and use, payment, transport, tax type, origin indicator,
  countries, HS chapter) as categories.

Two gradient-boosted models (LightGBM) learn fraud and critical fraud; a declaration's score is
P(fraud) + w·P(critical), one list for both, with w chosen on the validation period. Training on
the train file fits each model at several learning rates (early stopping on the validation file)
and keeps the pair with the fewest trees whose validation objective is within a tolerance of the
best pair's, and the smallest w within it; then the pair is refitted on both files. A selection
takes `budget` of the declarations: the highest scores, less a share kept for exploration (the
most uncertain, or random ones), each with its reasons (the features that pushed its score up
most, from LightGBM's per-feature contributions).

The model file is JSON (never pickle): the input columns, the feature list, the categories, the
history and both boosters. Data whose columns differ from the model's are refused.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

# OpenMP threads that spin while waiting starve each other on a busy machine (training ran 20 times
# slower on two shared cores); waiting threads sleep instead, unless the operator says otherwise
os.environ.setdefault("OMP_WAIT_POLICY", "passive")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from scipy import sparse  # noqa: E402

from binational.access.policy import TRADE_SCOPE_FIELDS  # noqa: E402
from binational.errors import InvalidInput  # noqa: E402
from binational.lazy_imports import on_first_use  # noqa: E402
from binational.trade.declarations import COLUMNS  # noqa: E402
from binational.trade.models import TradeDrawScope  # noqa: E402

if TYPE_CHECKING:
    import lightgbm as lgb
else:
    lgb = on_first_use("lightgbm")  # seconds to load: only training and scoring pay them

#: version 2 carries the training scope (version 1 files, which do not, are refused)
FORMAT = "binational-cargo-risk/2"
#: the identifier columns and derived keys whose past record becomes a feature
HISTORY_KEYS = ["Importer ID", "Declarant ID", "Seller ID", "Courier ID", "Office ID", "HS6 Code", "hs4", "hs2",
                "Country of Origin", "Country of Departure", "Item Price", "Net Mass", "Tax Rate", "unit value"]
NORM_KEYS = ["HS6 Code", "hs4"]
CATEGORIES = ["Office ID", "Process Type", "Import Type", "Import Use", "Payment Type", "Mode of Transport",
              "Tax Type", "Country of Origin Indicator", "Country of Origin", "Country of Departure", "hs2"]
SMOOTHING = 5.0
WEIGHTS = (0.0, 0.25, 0.5, 1.0, 2.0)
PARAMS: dict[str, Any] = {"objective": "binary", "learning_rate": 0.1, "num_leaves": 31, "min_data_in_leaf": 20,
                          "verbose": -1, "num_threads": 2, "force_col_wise": True, "seed": 17, "deterministic": True}
CRITICAL_PARAMS: dict[str, Any] = {**PARAMS, "learning_rate": 0.05, "num_leaves": 15, "min_data_in_leaf": 10}
MAX_TREES = 600
#: the learning rates tried for each model, each fitted with early stopping on the validation file
FRAUD_RATES = (0.1, 0.2, 0.3, 0.5)
CRITICAL_RATES = (0.05, 0.1, 0.2, 0.3)
#: of the models (and critical weights) whose validation objective is this close to the best, the one
#: with the fewest trees (the smallest weight) is taken: the trees are most of the cost of scoring
TOLERANCE = 0.02
EXPLORATION_MODES = ("uncertainty", "random")

Progress = Callable[[str], None]


class ModelMismatch(InvalidInput):
    """A model file that does not fit the data or is not a model file; nothing was scored."""


def _keys(frame: pd.DataFrame) -> pd.DataFrame:
    """The text of every history key of each declaration."""
    keys = pd.DataFrame(index=frame.index)
    for key in HISTORY_KEYS:
        if key == "hs4":
            keys[key] = frame["HS6 Code"].str[:4]
        elif key == "hs2":
            keys[key] = frame["HS6 Code"].str[:2]
        elif key == "unit value":
            unit = frame["num_Item Price"] / frame["num_Net Mass"].where(frame["num_Net Mass"] > 0)
            keys[key] = unit.round(4).astype(str)
        else:
            keys[key] = frame[key].astype(str)
    return keys


def _factors(frame: pd.DataFrame) -> dict[str, tuple[np.ndarray, pd.Index]]:
    """Per history key, each declaration's code and the key's distinct texts (as `_keys` writes
    them): the texts are made for the distinct values only, not for every row."""
    out: dict[str, tuple[np.ndarray, pd.Index]] = {}
    for key in HISTORY_KEYS:
        if key in ("hs4", "hs2"):
            codes6, uniques6 = out["HS6 Code"]
            codes, uniques = pd.factorize(pd.Index(uniques6).str[:4 if key == "hs4" else 2], use_na_sentinel=False)
            out[key] = (codes[codes6], pd.Index(uniques, dtype=object))
            continue
        if key == "unit value":
            unit = frame["num_Item Price"] / frame["num_Net Mass"].where(frame["num_Net Mass"] > 0)
            codes, uniques = pd.factorize(unit.round(4).to_numpy(), use_na_sentinel=False)
            out[key] = (codes, pd.Index(pd.Series(uniques).astype(str).to_numpy(), dtype=object))
            continue
        codes, uniques = pd.factorize(frame[key].to_numpy(), use_na_sentinel=False)
        out[key] = (codes, pd.Index(uniques, dtype=object).astype(str))
    return out


def _log_unit_value(frame: pd.DataFrame) -> pd.Series:
    return np.log1p(frame["num_Item Price"]) - np.log1p(frame["num_Net Mass"])


@dataclass
class History:
    """What was known at the end of training: per key value, [declarations, inspected, fraud,
    critical]; per HS norm key, [count, sum, sum of squares] of log value per kg; the fraud rate."""

    counts: dict[str, dict[str, list[float]]] = field(default_factory=dict)
    norms: dict[str, dict[str, list[float]]] = field(default_factory=dict)
    prior: float = 0.2
    critical_prior: float = 0.01
    _tables: dict[tuple[str, str], tuple[pd.Index, np.ndarray]] = field(default_factory=dict, repr=False,
                                                                         compare=False)

    def table(self, kind: str, key: str, width: int) -> tuple[pd.Index, np.ndarray]:
        """The totals of `key` in `counts` or `norms` as an index of values and an array (kept)."""
        if (kind, key) not in self._tables:
            source = (self.counts if kind == "counts" else self.norms).get(key, {})
            self._tables[kind, key] = (pd.Index(list(source), dtype=object),
                                       np.asarray(list(source.values()), dtype=float).reshape(len(source), width))
        return self._tables[kind, key]


def _before(codes: np.ndarray, days: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Per row, the sums of `values` (rows × columns) over rows of the same key code on strictly
    earlier days: rows grouped by (key, day) in one sort, summed, and accumulated within each key."""
    n, width = values.shape
    if n == 0:
        return np.zeros((0, width))
    day = days - days.min()
    combined = codes.astype(np.int64) * (int(day.max()) + 1) + day
    order = np.argsort(combined, kind="stable")
    ordered = combined[order]
    first = np.r_[True, ordered[1:] != ordered[:-1]]
    group = np.cumsum(first) - 1
    groups = int(group[-1]) + 1
    sums = np.column_stack([np.bincount(group, weights=values[order, j], minlength=groups) for j in range(width)])
    running = np.cumsum(sums, axis=0) - sums  # over every earlier group, of any key
    key_of_group = codes[order][first]
    key_starts = np.r_[True, key_of_group[1:] != key_of_group[:-1]]
    start_of_key = np.maximum.accumulate(np.where(key_starts, np.arange(groups), 0))
    earlier = running - running[start_of_key]
    out = np.empty((n, width))
    out[order] = earlier[group]
    return out


def _looked_up(history: History, kind: str, key: str, uniques: pd.Index, codes: np.ndarray, width: int
               ) -> np.ndarray:
    """Per row, the history's totals for its key value (zeros for a value never seen)."""
    index, table = history.table(kind, key, width)
    if len(index) == 0:
        return np.zeros((len(codes), width))
    at = index.get_indexer(uniques)
    per_value = np.zeros((len(uniques), width))
    per_value[at >= 0] = table[at[at >= 0]]
    return per_value[codes]


def features(frame: pd.DataFrame, history: History, *, labelled: bool,
             categories: dict[str, list[str]]) -> pd.DataFrame:
    """The model's features of `frame` (sorted by date): history from `history` plus the frame's
    earlier days (their labels only when `labelled`)."""
    factors = _factors(frame)
    days = frame["date"].to_numpy().astype("datetime64[D]").astype(np.int64)
    one = np.ones(len(frame))
    if labelled:
        fraud = frame["Fraud"].to_numpy(dtype=float)
        critical = (frame["Critical Fraud"].to_numpy() == 2).astype(float)
        inspected = one
    else:
        fraud = critical = inspected = np.zeros(len(frame))
    sums = np.column_stack([one, inspected, fraud, critical])
    out: dict[str, np.ndarray] = {}

    def one_key(key: str) -> np.ndarray:
        codes, uniques = factors[key]
        return _before(codes, days, sums) + _looked_up(history, "counts", key, uniques, codes, 4)

    # the keys are independent and numpy's sorts and sums release the interpreter lock: one thread
    # per core (the history is built once per key before, so no thread writes what another reads)
    for key in HISTORY_KEYS:
        history.table("counts", key, 4)
    with ThreadPoolExecutor(max_workers=PARAMS["num_threads"]) as pool:
        done = dict(zip(HISTORY_KEYS, pool.map(one_key, HISTORY_KEYS), strict=True))
    for key in HISTORY_KEYS:
        n, seen, bad, crit = done[key].T
        out[f"{key}: earlier declarations"] = n
        out[f"{key}: inspected before"] = seen
        out[f"{key}: fraud found before"] = bad
        out[f"{key}: fraud rate before"] = (bad + history.prior * SMOOTHING) / (seen + SMOOTHING)
        out[f"{key}: critical found before"] = crit
        out[f"{key}: critical rate before"] = (crit + history.critical_prior * SMOOTHING) / (seen + SMOOTHING)
    unit = _log_unit_value(frame).to_numpy()
    stats = np.column_stack([one, unit, unit ** 2])
    for key in NORM_KEYS:
        codes, uniques = factors[key]
        n, s, s2 = (_before(codes, days, stats) + _looked_up(history, "norms", key, uniques, codes, 3)).T
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = np.where(n > 0, s / np.maximum(n, 1), np.nan)
            spread = np.sqrt(np.maximum(s2 / np.maximum(n, 1) - mean ** 2, 0)) + 0.1
        out[f"{key}: value per kg against its norm"] = (unit - mean) / spread
    out["log value per kg"] = unit
    out["log value"] = np.log1p(frame["num_Item Price"].to_numpy())
    out["log mass"] = np.log1p(frame["num_Net Mass"].to_numpy())
    out["tax rate"] = frame["num_Tax Rate"].to_numpy()
    out["route differs from origin"] = (frame["Country of Departure"] != frame["Country of Origin"]).to_numpy(float)
    out["no seller named"] = (frame["Seller ID"] == "").to_numpy(float)
    out["no courier"] = (frame["Courier ID"] == "").to_numpy(float)
    out["HS code unknown"] = frame["hs_unknown"].to_numpy(float)
    for column in CATEGORIES:
        if column in factors:  # a category's code per distinct value, then per row
            codes, uniques = factors[column]
            coded = pd.Index(categories[column]).get_indexer(uniques).astype(float)[codes]
        else:
            coded = pd.Categorical(frame[column], categories=categories[column]).codes.astype(float)
        coded[coded < 0] = np.nan
        out[column] = coded
    return pd.DataFrame(out, index=frame.index)


def _history(frame: pd.DataFrame) -> History:
    """The totals of a labelled frame, as the history a later file is scored against."""
    keys = _keys(frame)
    fraud = frame["Fraud"].to_numpy(dtype=float)
    critical = (frame["Critical Fraud"].to_numpy() == 2).astype(float)
    counts: dict[str, dict[str, list[float]]] = {}
    for key in HISTORY_KEYS:
        table = pd.DataFrame({"k": keys[key], "n": 1.0, "l": 1.0, "f": fraud, "c": critical}).groupby("k").sum()
        counts[key] = {k: list(v) for k, v in zip(table.index, table.to_numpy().tolist(), strict=True)}
    unit = _log_unit_value(frame).to_numpy()
    norms: dict[str, dict[str, list[float]]] = {}
    for key in NORM_KEYS:
        table = pd.DataFrame({"k": keys[key], "n": 1.0, "s": unit, "s2": unit ** 2}).groupby("k").sum()
        norms[key] = {k: list(v) for k, v in zip(table.index, table.to_numpy().tolist(), strict=True)}
    return History(counts=counts, norms=norms, prior=float(fraud.mean()) if len(fraud) else 0.2,
                   critical_prior=float(critical.mean()) if len(critical) else 0.01)


def _categories(frame: pd.DataFrame) -> dict[str, list[str]]:
    keys = _keys(frame)
    return {c: sorted(set((keys[c] if c in keys else frame[c]).astype(str))) for c in CATEGORIES}


def top_share(scores: np.ndarray, share: float) -> np.ndarray:
    """The indices of the ⌈share·N⌉ highest scores (ties in input order)."""
    k = math.ceil(len(scores) * share - 1e-9)
    return np.argsort(-scores, kind="stable")[:k]


def measures(score: np.ndarray, fraud: np.ndarray, critical: np.ndarray) -> dict[str, float]:
    """Precision for fraud and recall of critical fraud (Critical Fraud 2) in the top 5 % and 10 %."""
    out: dict[str, float] = {}
    total_critical = max(int((critical == 2).sum()), 1)
    for pct in (5, 10):
        chosen = top_share(score, pct / 100)
        out[f"precision_at_{pct}"] = round(float(fraud[chosen].mean()), 4) if len(chosen) else 0.0
        out[f"critical_recall_at_{pct}"] = round(float((critical[chosen] == 2).sum()) / total_critical, 4)
    return out


def _objective(m: dict[str, float]) -> float:
    return m["precision_at_5"] + m["precision_at_10"] + m["critical_recall_at_5"] + m["critical_recall_at_10"]


@dataclass
class RiskModel:
    """A trained risk model and everything needed to score a later file."""

    columns: list[str]
    feature_names: list[str]
    categories: dict[str, list[str]]
    history: History
    fraud: lgb.Booster
    critical: lgb.Booster
    weight: float
    info: dict[str, Any] = field(default_factory=dict)
    #: the distinct policy columns of the database rows it learned from (none when trained on files):
    #: who may see what it derives (`policy.may_see_model_output`)
    scope: list[dict[str, Any]] = field(default_factory=list)
    _paths: dict[int, tuple[np.ndarray, sparse.csr_matrix]] = field(default_factory=dict, repr=False, compare=False)

    def features(self, frame: pd.DataFrame) -> pd.DataFrame:
        self.check(frame)
        return features(frame, self.history, labelled=False, categories=self.categories)

    def check(self, frame: pd.DataFrame) -> None:
        """Refuse data whose declaration columns are not the model's."""
        present = [c for c in COLUMNS if c in frame.columns]
        if present != self.columns:
            missing = [c for c in self.columns if c not in frame.columns]
            extra = [c for c in present if c not in self.columns]
            raise ModelMismatch("the model file does not match the data's columns: "
                                + (f"missing {missing}" if missing else f"not in the model {extra}"))

    def predict(self, frame: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray, np.ndarray, np.ndarray]:
        """Features, P(fraud), P(critical) and the combined score of each declaration."""
        x = self.features(frame)
        return (x, *self.probabilities(x))

    def probabilities(self, x: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """P(fraud), P(critical) and the combined score of each row of features `x`."""
        matrix = x.to_numpy(dtype=float)
        fraud = np.asarray(self.fraud.predict(matrix, num_threads=PARAMS["num_threads"]))
        critical = np.asarray(self.critical.predict(matrix, num_threads=PARAMS["num_threads"]))
        return fraud, critical, fraud + self.weight * critical

    def reasons(self, x: pd.DataFrame, rows: np.ndarray, top: int = 3) -> list[list[dict[str, Any]]]:
        """Per row of `rows`: the features that raised its score most. A feature's contribution is
        the change of the trees' output at the splits on it along the row's decision paths
        (Saabas's attribution, in log-odds; the critical model's weighted by w)."""
        if len(rows) == 0:
            return []
        part = x.iloc[rows].to_numpy(dtype=float)
        contrib = self._contributions(self.fraud, part) + self.weight * self._contributions(self.critical, part)
        out = []
        tops = np.argsort(-contrib, axis=1, kind="stable")[:, :top]
        for i in range(len(rows)):
            order = tops[i]
            out.append([{"feature": self.feature_names[j], "value": _plain(part[i, j], self.feature_names[j],
                                                                         self.categories),
                         "contribution": round(float(contrib[i, j]), 4)} for j in order if contrib[i, j] > 0])
        return out

    def _contributions(self, booster: lgb.Booster, part: np.ndarray) -> np.ndarray:
        tables = self._paths.get(id(booster))
        if tables is None:
            tables = self._paths[id(booster)] = _path_tables(booster, len(self.feature_names))
        offsets, table = tables
        leaves = np.asarray(booster.predict(part, pred_leaf=True, num_threads=PARAMS["num_threads"]), dtype=np.int64)
        n, trees = leaves.shape
        # one row per declaration marking the leaf it reaches in every tree: its product with the
        # trees' leaf tables (sparse: a tree splits on few features) sums the paths in one pass
        starts = np.arange(0, n * trees + 1, trees)
        reached = sparse.csr_matrix((np.ones(n * trees), (leaves + offsets).ravel(), starts), shape=(n, table.shape[0]))
        return np.asarray((reached @ table).toarray())

    def save(self, path: Path) -> None:
        data = {"format": FORMAT, "columns": self.columns, "features": self.feature_names,
                "categories": self.categories, "weight": self.weight, "info": self.info, "scope": self.scope,
                "history": {"counts": self.history.counts, "norms": self.history.norms,
                            "prior": self.history.prior, "critical_prior": self.history.critical_prior},
                "fraud": self.fraud.model_to_string(), "critical": self.critical.model_to_string()}
        tmp = path.with_suffix(path.suffix + ".part")
        tmp.write_text(json.dumps(data), encoding="utf-8")
        tmp.replace(path)

    @classmethod
    def load(cls, path: Path) -> RiskModel:
        if not path.is_file():
            raise ModelMismatch(f"{path}: no such model file")
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise ModelMismatch(f"{path}: not a model file (not JSON)") from None
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise ModelMismatch(f"{path}: not a model file of format {FORMAT}")
        try:
            fraud = lgb.Booster(model_str=data["fraud"])
            critical = lgb.Booster(model_str=data["critical"])
            model = cls(columns=list(data["columns"]), feature_names=list(data["features"]),
                        categories=data["categories"], history=History(**data["history"]), fraud=fraud,
                        critical=critical, weight=float(data["weight"]), info=data.get("info", {}),
                        scope=[_scope_row(row) for row in data["scope"]])
        except (KeyError, TypeError, ValueError, lgb.basic.LightGBMError) as exc:
            raise ModelMismatch(f"{path}: a damaged model file ({type(exc).__name__})") from None
        expected = [f"f{i}" for i in range(len(model.feature_names))]
        if fraud.feature_name() != expected or critical.feature_name() != expected:
            raise ModelMismatch(f"{path}: its boosters do not take the features it lists")
        return model


def _scope_row(row: dict[str, Any]) -> dict[str, Any]:
    """One row of a model file's training scope, its policy columns checked: a rank that is not an
    integer (a text, NaN) would compare as nothing the policy expects and show the model's output."""
    out = {k: row[k] for k in TRADE_SCOPE_FIELDS}
    texts = all(isinstance(out[k], str) for k in ("owner_agency", "owner_country", "distribution"))
    optional = all(out[k] is None or isinstance(out[k], str) for k in ("case_id", "joint_agency"))
    rank = out["marking_rank"]
    if not (texts and optional and isinstance(rank, int) and not isinstance(rank, bool)):
        raise TypeError("a training scope row of the wrong types")
    # a draw stores the scope in `trade_draw_scopes`: a value wider than its column would fail there
    widths = {k: getattr(TradeDrawScope.__table__.c[k].type, "length", None) for k in TRADE_SCOPE_FIELDS}
    if not (-2 ** 31 <= rank < 2 ** 31 and all(out[k] is None or len(out[k]) <= (widths[k] or len(out[k]))
                                                  for k in TRADE_SCOPE_FIELDS if k != "marking_rank")):
        raise ValueError("a training scope row wider than a draw's scope holds")
    return out


def _path_tables(booster: lgb.Booster, width: int) -> tuple[np.ndarray, sparse.csr_matrix]:
    """Where each tree's leaves start, and per leaf of every tree (a sparse matrix, leaves × features):
    what each feature's splits on the way to the leaf added to the output."""
    tables = []
    for tree in booster.dump_model()["tree_info"]:
        table = np.zeros((tree["num_leaves"], width))
        stack = [(tree["tree_structure"], np.zeros(width))]
        while stack:
            node, acc = stack.pop()
            if "leaf_index" in node:
                table[node["leaf_index"]] = acc
                continue
            for child in (node["left_child"], node["right_child"]):
                value = child["leaf_value"] if "leaf_index" in child else child["internal_value"]
                step = acc.copy()
                step[node["split_feature"]] += value - node["internal_value"]
                stack.append((child, step))
        tables.append(table)
    offsets = np.cumsum([0] + [len(t) for t in tables[:-1]]).astype(np.int64)
    return offsets, sparse.csr_matrix(np.vstack(tables) if tables else np.zeros((0, width)))


def _plain(value: float, name: str, categories: dict[str, list[str]]) -> Any:
    if name in categories:
        return None if np.isnan(value) else categories[name][int(value)]
    return None if np.isnan(value) else round(float(value), 4)


def _names(x: pd.DataFrame) -> list[str]:
    """The boosters' names of the features (LightGBM refuses some characters of ours): f0, f1, ..."""
    return [f"f{i}" for i in range(x.shape[1])]


def _fit(x: pd.DataFrame, y: np.ndarray, params: dict[str, Any], rounds: int,
         valid: tuple[pd.DataFrame, np.ndarray] | None = None) -> lgb.Booster:
    names = _names(x)
    kinds = [names[list(x.columns).index(c)] for c in CATEGORIES]
    data = lgb.Dataset(x.to_numpy(dtype=float), y, feature_name=names, categorical_feature=kinds, free_raw_data=False)
    if valid is None:
        return lgb.train(params, data, num_boost_round=rounds)
    check = lgb.Dataset(valid[0].to_numpy(dtype=float), valid[1], reference=data, feature_name=names,
                        categorical_feature=kinds)
    return lgb.train({**params, "metric": "binary_logloss"}, data, num_boost_round=rounds, valid_sets=[check],
                     callbacks=[lgb.early_stopping(50, verbose=False)])


def train(train_frame: pd.DataFrame, valid_frame: pd.DataFrame, *, progress: Progress | None = None) -> RiskModel:
    """Fit on `train_frame`, choose trees and the critical weight on `valid_frame`, refit on both."""
    tell = progress or (lambda _step: None)
    for name, frame in (("train", train_frame), ("valid", valid_frame)):
        if "Fraud" not in frame.columns:
            raise InvalidInput(f"the {name} file carries no labels (Fraud, Critical Fraud)")
        if len(frame) == 0 or frame["Fraud"].nunique() < 2:
            raise InvalidInput(f"the {name} file needs both fraudulent and clean declarations")
    if valid_frame["date"].min() < train_frame["date"].max():
        raise InvalidInput("the validation period must come after the training period (split by date)")
    columns = [c for c in COLUMNS if c in train_frame.columns]
    both = pd.concat([train_frame, valid_frame], ignore_index=True)
    categories = _categories(both)
    tell("features of the training period")
    x_train = features(train_frame, History(), labelled=True, categories=categories)
    early = _history(train_frame)
    x_valid = features(valid_frame, early, labelled=False, categories=categories)
    y_train, y_valid = train_frame["Fraud"].to_numpy(), valid_frame["Fraud"].to_numpy()
    c_train, c_valid = (train_frame["Critical Fraud"].to_numpy() == 2), (valid_frame["Critical Fraud"].to_numpy() == 2)
    tell("fraud models on the training period")
    frauds = {rate: _fit(x_train, y_train, {**PARAMS, "learning_rate": rate}, MAX_TREES, (x_valid, y_valid))
              for rate in FRAUD_RATES}
    tell("critical-fraud models on the training period")
    criticals = {rate: _fit(x_train, c_train.astype(int), {**CRITICAL_PARAMS, "learning_rate": rate}, MAX_TREES,
                            (x_valid, c_valid.astype(int))) for rate in CRITICAL_RATES}
    matrix = x_valid.to_numpy(dtype=float)
    p_fraud = {rate: np.asarray(m.predict(matrix)) for rate, m in frauds.items()}  # at the best iteration
    p_critical = {rate: np.asarray(m.predict(matrix)) for rate, m in criticals.items()}
    labels = valid_frame["Critical Fraud"].to_numpy()
    trials = {(f, c, w): measures(p_fraud[f] + w * p_critical[c], y_valid, labels)
              for f in FRAUD_RATES for c in CRITICAL_RATES for w in WEIGHTS}
    best = max(_objective(m) for m in trials.values())
    # the cheapest pair within the tolerance (the better of equally cheap ones), then its smallest weight
    pairs = {(f, c): _trees(frauds[f]) + _trees(criticals[c]) for f in FRAUD_RATES for c in CRITICAL_RATES}
    pair_best = {p: max(_objective(trials[(*p, w)]) for w in WEIGHTS) for p in pairs}
    fraud_rate, critical_rate = min((p for p in pairs if pair_best[p] >= best - TOLERANCE),
                                    key=lambda p: (pairs[p], -pair_best[p]))
    weight = min(w for w in WEIGHTS if _objective(trials[fraud_rate, critical_rate, w]) >= best - TOLERANCE)
    fraud_rounds, critical_rounds = _trees(frauds[fraud_rate]), _trees(criticals[critical_rate])
    tell("refit on training and validation")
    x_both = features(both.sort_values("date", kind="stable").reset_index(drop=True), History(), labelled=True,
                      categories=categories)
    ordered = both.sort_values("date", kind="stable").reset_index(drop=True)
    final_fraud = _fit(x_both, ordered["Fraud"].to_numpy(), {**PARAMS, "learning_rate": fraud_rate},
                       round(fraud_rounds * 1.1))
    final_critical = _fit(x_both, (ordered["Critical Fraud"].to_numpy() == 2).astype(int),
                          {**CRITICAL_PARAMS, "learning_rate": critical_rate}, round(critical_rounds * 1.1))
    info = {"train_rows": len(train_frame), "valid_rows": len(valid_frame),
            "train_until": str(train_frame["date"].max().date()), "valid_until": str(valid_frame["date"].max().date()),
            "trees": [final_fraud.num_trees(), final_critical.num_trees()],
            "learning_rates": [fraud_rate, critical_rate], "validation": trials[fraud_rate, critical_rate, weight],
            "candidates": [{"learning_rates": list(p), "trees": [_trees(frauds[p[0]]), _trees(criticals[p[1]])],
                            "objective": round(pair_best[p], 4)} for p in pairs]}
    return RiskModel(columns=columns, feature_names=list(x_both.columns), categories=categories,
                     history=_history(ordered), fraud=final_fraud, critical=final_critical, weight=weight, info=info)


def _trees(booster: lgb.Booster) -> int:
    """The trees a booster keeps after early stopping (at least 10)."""
    return max(int(booster.best_iteration or MAX_TREES), 10)


@dataclass
class Selection:
    """Rows chosen for inspection: `exploit` by score, `explore` kept for learning."""

    exploit: np.ndarray
    explore: np.ndarray

    @property
    def rows(self) -> np.ndarray:
        return np.concatenate([self.exploit, self.explore])


def select(score: np.ndarray, p_fraud: np.ndarray, *, budget: float, exploration: float = 0.0,
           mode: str = "uncertainty", seed: int = 0) -> Selection:
    """⌈budget·N⌉ declarations: the highest scores, less a share `exploration` of the list taken
    from the rest, the most uncertain (P(fraud) nearest 0.5) or at random (seeded)."""
    if not 0 < budget <= 1:
        raise InvalidInput(f"budget {budget} must be a share above 0 and at most 1")
    if not 0 <= exploration <= 1:
        raise InvalidInput(f"exploration {exploration} must be a share from 0 to 1")
    if mode not in EXPLORATION_MODES:
        raise InvalidInput(f"exploration mode {mode!r}: choose {' or '.join(EXPLORATION_MODES)}")
    k = math.ceil(len(score) * budget - 1e-9)
    explore_k = round(k * exploration)
    order = np.argsort(-score, kind="stable")
    exploit = order[:k - explore_k]
    rest = order[k - explore_k:]
    if explore_k == 0 or len(rest) == 0:
        return Selection(exploit, np.array([], dtype=int))
    if mode == "random":
        explore = np.random.default_rng(seed).choice(rest, size=min(explore_k, len(rest)), replace=False)
    else:
        explore = rest[np.argsort(np.abs(p_fraud[rest] - 0.5), kind="stable")[:explore_k]]
    return Selection(exploit, np.asarray(explore, dtype=int))

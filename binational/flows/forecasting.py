"""Forecasts of monthly series from their own history: per-series model choice by rolling-origin backtest.

Every candidate (damped-trend AutoETS, AutoTheta, MSTL, seasonal naive, optionally AutoARIMA, the full
AutoETS search, AutoETS without a trend or a combination named `A+B`) forecasts each series from several
past origins, fitted once at the earliest and run forward over the others; the median of the candidates with the lowest
mean absolute scaled error over those origins forecasts the future, with intervals
widened as far as the backtest showed them too narrow. `reconcile` makes the forecasts of a hierarchy
add up (MinT). Before fitting, a known shock (by
default the closure of the US land border to non-essential travel, March 2020 to November 2021) is
replaced in a series it visibly hit by the seasonal pattern of the year before it and a level
interpolated between the years on either side, so that the models learn the ordinary regime.

statsforecast is imported here only (the engine's adapter); months are integers `year * 12 + month - 1`.
"""

from __future__ import annotations

import math
import os
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from binational.errors import InvalidInput

SEASON = 12
#: months a model needs before a backtest origin (two seasons)
MIN_FIT = 24
#: at most this many of the last months are fitted (older ones add time, not accuracy)
MAX_HISTORY = 120
#: AutoETS restricted to damped trends (and no trend-free model): as accurate as the full search in the
#: rolling-origin validation (benchmarks/README.md), at less than half its cost
BASE_MODELS = ("DampedETS", "AutoTheta", "MSTL", "SeasonalNaive")
#: on request: AutoETS without a trend (`NoTrendETS`) helps a little on the validation years but costs about
#: a fifth more per fit than the four defaults (benchmarks/README.md)
OPTIONAL_MODELS = ("AutoARIMA", "AutoETS", "NoTrendETS")
DEFAULT_CANDIDATES = BASE_MODELS
LEVELS = (80, 95)
#: joins a series' id and its backtest origin in the engine's ids (a character no id holds)
_CUT = "\x1f"


def month_index(text: str) -> int:
    """`YYYY-MM` as a month number; ValueError if it is not one."""
    if len(text) != 7 or text[4] != "-" or not (text[:4].isdigit() and text[5:].isdigit()):
        raise ValueError(text)
    year, month = int(text[:4]), int(text[5:])
    if not 1 <= month <= 12 or year < 1900:
        raise ValueError(text)
    return year * 12 + month - 1


def month_text(index: int) -> str:
    """A month number as `YYYY-MM`."""
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


#: the shock replaced by default: US land ports closed to non-essential travel (2020-03 to 2021-11)
COVID = (month_index("2020-03"), month_index("2021-11"))


class TooShort(InvalidInput):
    """A series too short to backtest a forecast of the asked horizon."""

    code = "series_too_short"
    status = 422


@dataclass
class Forecast:
    """One series' forecast: the model chosen, its backtest and its competitors', the months ahead."""

    series_id: str
    model: str
    #: mean absolute scaled error of each candidate over the backtest origins
    backtest: dict[str, float]
    first_month: int
    mean: list[float] = field(default_factory=list)
    lo80: list[float] = field(default_factory=list)
    hi80: list[float] = field(default_factory=list)
    lo95: list[float] = field(default_factory=list)
    hi95: list[float] = field(default_factory=list)
    #: whether a shock was replaced in its history before fitting
    shock_replaced: bool = False
    #: every candidate's forecast (candidate -> "mean", "-lo-95" ... -> values), for comparisons
    alternatives: dict[str, dict[str, list[float]]] = field(default_factory=dict)
    #: the chosen forecast's backtest errors (actual - mean), one list of H months per origin, newest first
    errors: list[list[float]] = field(default_factory=list)

    def rows(self) -> list[tuple[str, str, float, float, float, float, float]]:
        """`series_id, month, mean, lo80, hi80, lo95, hi95` for each month ahead."""
        return [
            (
                self.series_id,
                month_text(self.first_month + i),
                self.mean[i],
                self.lo80[i],
                self.hi80[i],
                self.lo95[i],
                self.hi95[i],
            )
            for i in range(len(self.mean))
        ]


@dataclass
class _Series:
    series_id: str
    start: int
    values: np.ndarray  # cleaned, regular, no gaps
    shock_replaced: bool = False


def needed_months(horizon: int) -> int:
    """How many months a series needs for one backtest of `horizon` months ahead."""
    return MIN_FIT + horizon


def regular(points: Mapping[int, float]) -> tuple[int, np.ndarray]:
    """A series' months from its first non-zero value to its last month, gaps filled linearly."""
    months = sorted(m for m, v in points.items() if v is not None and not math.isnan(v))
    nonzero = [m for m in months if points[m] != 0]
    if not nonzero:
        return (months[0] if months else 0), np.zeros(len(months) and months[-1] - months[0] + 1)
    first, last = nonzero[0], months[-1]
    known = [m for m in months if m >= first]
    values = np.interp(np.arange(first, last + 1), known, [points[m] for m in known])
    return first, values.astype(float)


def replace_shock(
    start: int, values: np.ndarray, shock: tuple[int, int], *, tolerance: float = 0.15
) -> tuple[np.ndarray, bool]:
    """`values` with the months of `shock` rebuilt from the year before and the year after it, when the
    series has both and the shock moved its level by more than `tolerance`; else unchanged."""
    lo, hi = shock[0] - start, shock[1] - start
    if lo < SEASON or hi + SEASON >= len(values):
        return values, False
    before, after = values[lo - SEASON : lo], values[hi + 1 : hi + 1 + SEASON]
    level0, level1 = float(before.mean()), float(after.mean())
    if level0 <= 0:
        return values, False
    profile = before / level0
    span = hi - lo + 1
    rebuilt = np.array(
        [profile[i % SEASON] * (level0 + (level1 - level0) * (i + 1) / (span + 1)) for i in range(span)]
    )
    actual = float(values[lo : hi + 1].mean())
    expected = float(rebuilt.mean())
    if expected > 0 and abs(actual / expected - 1) <= tolerance:
        return values, False
    out = values.copy()
    out[lo : hi + 1] = rebuilt
    return out, True


def _scale(train: np.ndarray) -> float:
    """The in-sample mean absolute error of the seasonal naive forecast (MASE's denominator)."""
    if len(train) > SEASON:
        scale = float(np.mean(np.abs(train[SEASON:] - train[:-SEASON])))
        if scale > 0:
            return scale
    level = float(np.mean(np.abs(train)))
    return level if level > 0 else 1.0


def mase(actual: Sequence[float] | np.ndarray, predicted: Sequence[float] | np.ndarray,
         train: Sequence[float] | np.ndarray) -> float:
    """Mean absolute scaled error of `predicted` against `actual`, scaled by `train`'s seasonal naive."""
    a, p = np.asarray(actual, float), np.asarray(predicted, float)
    return float(np.mean(np.abs(a - p)) / _scale(np.asarray(train, float)))


def _model(name: str) -> Any:
    from statsforecast.models import MSTL, AutoARIMA, AutoETS, AutoTheta, SeasonalNaive

    makers: dict[str, Callable[[], Any]] = {
        "AutoETS": lambda: AutoETS(season_length=SEASON, alias="AutoETS"),
        "DampedETS": lambda: AutoETS(season_length=SEASON, damped=True, alias="DampedETS"),
        "NoTrendETS": lambda: AutoETS(season_length=SEASON, model="ZNZ", alias="NoTrendETS"),
        "AutoTheta": lambda: AutoTheta(season_length=SEASON, alias="AutoTheta"),
        "MSTL": lambda: MSTL(season_length=SEASON, alias="MSTL"),
        "SeasonalNaive": lambda: SeasonalNaive(season_length=SEASON, alias="SeasonalNaive"),
        "AutoARIMA": lambda: AutoARIMA(season_length=SEASON, alias="AutoARIMA"),
    }
    return makers[name]()


def _members(candidate: str) -> list[str]:
    return candidate.split("+")


def check_candidates(candidates: Sequence[str]) -> None:
    """Raise InvalidInput naming an unknown candidate."""
    known = set(BASE_MODELS) | set(OPTIONAL_MODELS)
    for candidate in candidates:
        for member in _members(candidate):
            if member not in known:
                raise InvalidInput(
                    f"unknown model {member!r}; choose among {', '.join(sorted(known))} or combinations joined by '+'"
                )


Predictions = dict[str, dict[str, np.ndarray]]  # series -> column ("AutoETS", "AutoETS-lo-95" ...) -> values


def _frame(series: Sequence[tuple[str, np.ndarray]]) -> Any:
    """The engine's long frame of (id, values): monthly dates from an arbitrary start (only order matters)."""
    import pandas as pd

    ids, ds, ys = [], [], []
    for series_id, values in series:
        values = values[-MAX_HISTORY:]
        ids.extend([series_id] * len(values))
        ds.append(pd.date_range("2000-01-01", periods=len(values), freq="MS"))
        ys.append(values)
    return pd.DataFrame({"unique_id": ids, "ds": np.concatenate(ds), "y": np.concatenate(ys)})


def _columns(out: Any) -> dict[str, dict[str, np.ndarray]]:
    """An engine's answer as key -> column -> values, the key being the id (and the cut-off, if any)."""
    out = out.sort_values(["unique_id", "ds"])
    keys = ["unique_id", "cutoff"] if "cutoff" in out.columns else ["unique_id"]
    result: dict[str, dict[str, np.ndarray]] = {}
    for key, group in out.groupby(keys, sort=True):
        name = key if isinstance(key, tuple) else (key,)
        result[_CUT.join(str(k) for k in name)] = {
            c: group[c].to_numpy(float) for c in group.columns if c not in ("unique_id", "ds", "cutoff", "y")
        }
    return result


def _run(frame: Any, models: Sequence[str], n_jobs: int, engine: Any, call: str, **kwargs: Any) -> Any:
    from statsforecast import StatsForecast

    sf = StatsForecast(models=[_model(m) for m in models], freq="MS", n_jobs=n_jobs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if engine is None:
            return getattr(sf, call)(df=frame, level=list(LEVELS), **kwargs)
        return getattr(sf, call)(df=engine.createDataFrame(frame), level=list(LEVELS), **kwargs).toPandas()


def _predict(
    series: list[tuple[str, np.ndarray]], models: Sequence[str], horizon: int, *, engine: Any = None, n_jobs: int = 1
) -> Predictions:
    """Forecast each (id, values) with each model: means and 80/95 % bounds."""
    return _columns(_run(_frame(series), models, n_jobs, engine, "forecast", h=horizon))


def _backtest(
    histories: Mapping[str, np.ndarray], origins: Mapping[str, int], models: Sequence[str], horizon: int, *,
    engine: Any = None, n_jobs: int = 1,
) -> Predictions:
    """Each series forecast from `origins[id]` origins H, 2H ... months before its end, keyed
    `id<_CUT>k` (k = 1 the latest). Each model is fitted once per series, at its earliest origin, and
    only run forward over the months after it (statsforecast's cross-validation without refit): a
    backtest then costs one fit, not one per origin."""
    by_count: dict[int, list[str]] = {}
    for series_id, count in origins.items():
        if count >= 1:
            by_count.setdefault(count, []).append(series_id)
    result: Predictions = {}
    for count, ids in sorted(by_count.items()):
        frame = _frame([(i, histories[i]) for i in ids])
        out = _columns(_run(frame, models, n_jobs, engine, "cross_validation", h=horizon, n_windows=count,
                            step_size=horizon, refit=False))
        # the cut-offs of a series, newest first, are its origins 1, 2 ...
        cutoffs: dict[str, list[str]] = {}
        for key in out:
            series_id, cutoff = key.split(_CUT)
            cutoffs.setdefault(series_id, []).append(cutoff)
        for series_id, cuts in cutoffs.items():
            for k, cutoff in enumerate(sorted(cuts, reverse=True), start=1):
                result[f"{series_id}{_CUT}{k}"] = out[f"{series_id}{_CUT}{cutoff}"]
    return result


def _combine(columns: dict[str, np.ndarray], candidate: str, horizon: int) -> dict[str, np.ndarray]:
    """The mean and bounds of a candidate: a model's own, or the average of its members'."""
    members = _members(candidate)
    out = {}
    for suffix in ("", *(f"-{side}-{level}" for level in LEVELS for side in ("lo", "hi"))):
        parts = [columns[f"{m}{suffix}"] for m in members]
        values = np.mean(parts, axis=0)
        out[suffix or "mean"] = np.where(np.isfinite(values), values, 0.0)[:horizon]
    return out


def prepare(data: Mapping[str, Mapping[int, float]], *, shocks: Sequence[tuple[int, int]] = (COVID,)) -> list[_Series]:
    """Each series made regular, with the shocks it shows replaced."""
    prepared = []
    for series_id, points in data.items():
        start, values = regular(points)
        replaced = False
        for shock in shocks:
            values, hit = replace_shock(start, values, shock)
            replaced = replaced or hit
        prepared.append(_Series(series_id, start, values, replaced))
    return prepared


def forecast(data: Mapping[str, Mapping[int, float]], *, horizon: int, candidates: Sequence[str] = DEFAULT_CANDIDATES,
             windows: int = 3, combine: int = 3, shocks: Sequence[tuple[int, int]] = (COVID,),
             n_jobs: int | None = None, engine: Any = None,
             progress: Callable[[int, int], None] | None = None) -> list[Forecast]:
    """Forecast `horizon` months after each series' last month (`data`: series -> month -> value).

    Each series' forecast is the median of the `combine` candidates with the lowest backtest error over
    up to `windows` origins (their intervals averaged around it); the intervals are widened (never narrowed) by the
    factor that makes the backtest's own intervals hold their share of the actuals (80 and 95 %).
    Raises TooShort, naming the first series with fewer months than one backtest needs. `engine`, a
    Spark session, runs the fits on Spark through statsforecast's distributed backend.
    """
    if not 1 <= horizon <= 24:
        raise InvalidInput("the horizon is 1 to 24 months")
    if not 1 <= combine <= len(candidates):
        raise InvalidInput(f"combine 1 to {len(candidates)} candidates")
    check_candidates(candidates)
    series = prepare(data, shocks=shocks)
    need = needed_months(horizon)
    for s in series:
        if len(s.values) < need:
            raise TooShort(f"series {s.series_id!r} has {len(s.values)} months from its first non-zero value; "
                           f"a {horizon}-month forecast needs at least {need} to backtest")
    models = sorted({m for c in candidates for m in _members(c)})
    histories = {s.series_id: s.values[-MAX_HISTORY:] for s in series}
    # Each series' backtest origins: H, 2H ... `windows` H months before its end, as many as leave
    # MIN_FIT months to fit.
    origins_of = {sid: min(windows, (len(v) - MIN_FIT) // horizon) for sid, v in histories.items()}
    if n_jobs is None:  # worker processes cost seconds to start: worth it for many series only
        n_jobs = 1 if len(series) < 50 else max(1, min(2, os.cpu_count() or 1))
    total = 2 * len(series)
    if progress:
        progress(0, total)
    backtests = _backtest(histories, origins_of, models, horizon, engine=engine, n_jobs=n_jobs)
    if progress:
        progress(len(series), total)
    predicted = _predict(list(histories.items()), models, horizon, engine=engine, n_jobs=n_jobs)
    if progress:
        progress(total, total)
    scores: dict[str, dict[str, float]] = {}
    chosen: dict[str, list[str]] = {}
    misses: dict[int, list[float]] = {level: [] for level in LEVELS}
    origins_kept: dict[str, list[tuple[dict[str, np.ndarray], np.ndarray]]] = {}
    for s in series:
        values = histories[s.series_id]
        errors: dict[str, list[float]] = {c: [] for c in candidates}
        origins = []
        for k in range(1, origins_of[s.series_id] + 1):
            got = backtests[f"{s.series_id}{_CUT}{k}"]
            train, actual = values[:-k * horizon], values[len(values) - k * horizon:][:horizon]
            origins.append((got, actual))
            for c in candidates:
                errors[c].append(mase(actual, _combine(got, c, horizon)["mean"], train))
        origins_kept[s.series_id] = origins
        scores[s.series_id] = {c: float(np.mean(e)) for c, e in errors.items() if e}
        ranked = sorted(scores[s.series_id], key=lambda c: (scores[s.series_id][c], c))
        chosen[s.series_id] = ranked[:combine]
        for got, actual in origins:
            parts = _blend(got, chosen[s.series_id], horizon)
            for level in LEVELS:
                misses[level].extend(_overshoot(actual, parts, level))
    widen = {level: min(2.0, max(1.0, float(np.quantile(misses[level], level / 100)))) if misses[level] else 1.0
             for level in LEVELS}
    results = []
    for s in series:
        final = predicted[s.series_id]
        parts = _blend(final, chosen[s.series_id], horizon)
        mean = parts["mean"]
        for level in LEVELS:
            for side in ("lo", "hi"):
                key = f"-{side}-{level}"
                parts[key] = mean + (parts[key] - mean) * widen[level]
        clip = (lambda v: np.maximum(v, 0.0)) if float(s.values.min()) >= 0 else (lambda v: v)
        results.append(Forecast(
            series_id=s.series_id, model="+".join(chosen[s.series_id]), backtest=scores[s.series_id],
            first_month=s.start + len(s.values),
            mean=[float(v) for v in clip(mean)], lo80=[float(v) for v in clip(parts["-lo-80"])],
            hi80=[float(v) for v in clip(parts["-hi-80"])], lo95=[float(v) for v in clip(parts["-lo-95"])],
            hi95=[float(v) for v in clip(parts["-hi-95"])], shock_replaced=s.shock_replaced,
            errors=[[float(x) for x in actual - _blend(got, chosen[s.series_id], horizon)["mean"]]
                    for got, actual in origins_kept[s.series_id]],
            alternatives={c: {k: [float(x) for x in clip(v)] for k, v in _combine(final, c, horizon).items()}
                          for c in candidates}))
    return results


def _blend(columns: dict[str, np.ndarray], chosen: list[str], horizon: int) -> dict[str, np.ndarray]:
    """The chosen candidates' combination: the median of their means (their average, for one or two),
    with their interval bounds averaged and moved with it (each bound keeps its average distance
    from the average mean)."""
    parts = [_combine(columns, c, horizon) for c in chosen]
    blend = {key: np.mean([p[key] for p in parts], axis=0) for key in parts[0]}
    # The median, not the mean: one candidate gone astray (a trend run on past a level shift) does not
    # pull the forecast with it. Chosen on the validation years (benchmarks/README.md).
    shift = np.median([p["mean"] for p in parts], axis=0) - blend["mean"]
    return {key: values + shift for key, values in blend.items()}


def _overshoot(actual: np.ndarray, parts: dict[str, np.ndarray], level: int) -> list[float]:
    """How far each actual lies from the mean, as a share of the interval's half-width on its side
    (above 1: outside the interval)."""
    mean = parts["mean"]
    half = np.where(actual >= mean, parts[f"-hi-{level}"] - mean, mean - parts[f"-lo-{level}"])
    return [float(v) for v in np.abs(actual - mean) / np.maximum(half, 1e-9)]


def _summing(ids: Sequence[str], hierarchy: Mapping[str, Sequence[str]]) -> tuple[list[str], np.ndarray]:
    """The bottom series (those with no children) and the summing matrix S: row i says which bottom
    series add up to series `ids[i]`. InvalidInput for a child that is not forecast or a cycle."""
    known = set(ids)
    for parent, children in hierarchy.items():
        for name in (parent, *children):
            if name not in known:
                raise InvalidInput(f"hierarchy: series {name!r} is not among the series forecast")
    bottom = [i for i in ids if not hierarchy.get(i)]
    column = {b: j for j, b in enumerate(bottom)}
    rows: dict[str, np.ndarray] = {}

    def row(name: str, path: tuple[str, ...]) -> np.ndarray:
        if name in path:
            raise InvalidInput(f"hierarchy: series {name!r} is its own descendant")
        if name not in rows:
            if hierarchy.get(name):
                rows[name] = np.sum([row(c, (*path, name)) for c in hierarchy[name]], axis=0)
            else:
                rows[name] = np.eye(len(bottom))[column[name]]
        return rows[name]

    return bottom, np.array([row(i, ()) for i in ids])


def _shrunk_covariance(errors: np.ndarray) -> np.ndarray:
    """The covariance (second moments) of `errors` (rows: observations, columns: series), shrunk toward
    its diagonal by the Schäfer–Strimmer intensity, as MinT-shrink (Wickramasuriya et al., 2019) does."""
    t = errors.shape[0]
    sigma = errors.T @ errors / t
    sd = np.sqrt(np.maximum(np.diag(sigma), 1e-12))
    standard = errors / sd
    products = standard[:, :, None] * standard[:, None, :]
    corr = products.mean(axis=0)
    variance = products.var(axis=0) * t / max(t - 1, 1) ** 2
    off = ~np.eye(len(sd), dtype=bool)
    denominator = float(np.sum(corr[off] ** 2))
    shrink = 1.0 if denominator == 0 else min(1.0, max(0.0, float(np.sum(variance[off])) / denominator))
    shrunk = sigma * (1 - shrink)
    shrunk[np.diag_indices_from(shrunk)] = np.diag(sigma)
    # a series its backtest forecast perfectly still gets some weight of its own
    return shrunk + np.eye(len(sd)) * 1e-9 * max(1.0, float(np.max(np.diag(sigma))))


def reconcile(forecasts: Sequence[Forecast], hierarchy: Mapping[str, Sequence[str]]) -> list[Forecast]:
    """The forecasts made coherent with `hierarchy` (parent id -> the ids of the series it is the sum
    of; a child may be a parent in turn): every parent's mean is the sum of its children's.

    MinT-shrink: the reconciled means are S (S' W⁻¹ S)⁻¹ S' W⁻¹ ŷ, with S the summing matrix and W the
    shrunk covariance of the series' backtest errors at the origins all of them share, so the series
    forecast best in the backtest move least. Each interval keeps its widths around the moved mean. A
    bottom series forced below zero (when all of its history was not) is set to zero and the sums are
    taken again, so that the forecasts still add up. Series outside the hierarchy are returned as they
    are. InvalidInput if the series of the hierarchy do not forecast the same months."""
    if not hierarchy:
        return list(forecasts)
    by_id = {f.series_id: f for f in forecasts}
    members = sorted({p for p in hierarchy} | {c for cs in hierarchy.values() for c in cs})
    for name in members:
        if name not in by_id:
            raise InvalidInput(f"hierarchy: series {name!r} is not among the series forecast")
    ids = [f.series_id for f in forecasts if f.series_id in set(members)]
    months = {(by_id[i].first_month, len(by_id[i].mean)) for i in ids}
    if len(months) > 1:
        raise InvalidInput("hierarchy: its series must end in the same month to forecast the same months")
    bottom, s_matrix = _summing(ids, hierarchy)
    shared = min(len(by_id[i].errors) for i in ids)
    if shared:
        errors = np.array([np.concatenate(by_id[i].errors[:shared]) for i in ids]).T
        weights = _shrunk_covariance(errors)
    else:  # no backtest: ordinary least squares
        weights = np.eye(len(ids))
    base = np.array([by_id[i].mean for i in ids])  # series x months
    inverse = np.linalg.pinv(weights)
    projection = np.linalg.solve(s_matrix.T @ inverse @ s_matrix, s_matrix.T @ inverse)
    lower = projection @ base  # bottom series x months
    floor = [0.0 if min(by_id[b].lo95 + by_id[b].mean) >= 0 else -np.inf for b in bottom]
    lower = np.maximum(lower, np.array(floor)[:, None])
    coherent = s_matrix @ lower
    out = []
    position = {i: n for n, i in enumerate(ids)}
    for f in forecasts:
        if f.series_id not in position:
            out.append(f)
            continue
        mean = coherent[position[f.series_id]]
        shift = mean - np.array(f.mean)
        bounds = {k: [float(v) for v in np.array(getattr(f, k)) + shift] for k in ("lo80", "hi80", "lo95", "hi95")}
        if min(f.lo95) >= 0:  # counts stay counts
            bounds = {k: [max(0.0, v) for v in values] for k, values in bounds.items()}
        out.append(replace(f, model=f"{f.model} (MinT)", mean=[float(v) for v in mean], lo80=bounds["lo80"],
                           hi80=bounds["hi80"], lo95=bounds["lo95"], hi95=bounds["hi95"]))
    return out

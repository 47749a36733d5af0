"""The one small interface both engines implement, and how to get one by name.

An engine takes the rows of one kind and a model, trains the model on them (λ from deterministic
rules, u from random pairs, m by EM on sessions blocked on compared columns only) and returns the
scored candidate pairs with the trained settings. DuckDB is the default; Spark (local or a
cluster) is for data beyond one machine. Engines are imported only when asked for.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from binational.errors import InvalidInput
from binational.resolution.splink_model import Model

#: progress callback: (step description, steps done, steps in total)
Progress = Callable[[str, int, int], None]
ENGINES = {"duckdb": "binational.resolution.duckdb_engine", "spark": "binational.resolution.spark_engine"}


@dataclass(frozen=True)
class Pair:
    """A scored candidate pair: ids, weight, probability and each comparison's level and weight."""

    left_id: str
    right_id: str
    left_agency: str
    right_agency: str
    match_weight: float
    probability: float
    #: comparison name -> [level label, match weight of that level]
    weights: dict[str, list[Any]] = field(default_factory=dict)

    @property
    def driver(self) -> str:
        """The comparison that contributed the most weight to the score."""
        if not self.weights:
            return ""
        name, (label, _) = max(self.weights.items(), key=lambda kv: kv[1][1])
        return f"{name}: {label}"


@dataclass
class Linked:
    """What an engine returns for one kind."""

    pairs: list[Pair]
    settings: dict[str, Any]
    records: int
    training_notes: list[str] = field(default_factory=list)


class Engine(Protocol):
    """Train `model` on `rows` and score the candidate pairs above the model's floor weight."""

    name: str

    def link(self, rows: list[dict[str, Any]], model: Model, *, progress: Progress | None = None,
             train: bool = True) -> Linked: ...


def get_engine(name: str, **options: Any) -> Engine:
    """The engine called `name`; a missing optional dependency names the extra to install."""
    if name not in ENGINES:
        raise InvalidInput(f"unknown engine {name!r}; choose one of {', '.join(ENGINES)}",
                           details=[{"field": "engine"}])
    module = importlib.import_module(ENGINES[name])
    engine: Engine = module.create(**options)
    return engine

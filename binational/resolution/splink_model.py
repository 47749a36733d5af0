"""The versioned Splink models of resolution: one JSON file per kind in `settings/`.

A file holds the Splink settings (comparisons, blocking rules, prior m and u), the training plan
(deterministic rules for λ, EM sessions, sample sizes) and default thresholds. Each run trains a
copy on the data and stores the trained settings with the run, so every suggestion can be traced
to the exact model that made it.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

SETTINGS = Path(__file__).parent / "settings"


@dataclass(frozen=True)
class Model:
    """One kind's model as shipped: settings to train, plan to train them by, default thresholds."""

    kind: str
    version: str
    splink: dict[str, Any]
    training: dict[str, Any]
    thresholds: dict[str, float]

    def fresh_settings(self) -> dict[str, Any]:
        """A private copy of the Splink settings, for one run to train."""
        return copy.deepcopy(self.splink)

    def comparison_names(self) -> list[str]:
        """The output names of the comparisons, in order."""
        return [c["output_column_name"] for c in self.splink["comparisons"]]


@cache
def load(kind: str, version: str = "v1") -> Model:
    """The shipped model of `kind` (person, organisation, address, vehicle)."""
    path = SETTINGS / f"{kind}.{version}.json"
    if not path.is_file():
        raise KeyError(f"no resolution model {kind}.{version}")
    data = json.loads(path.read_text(encoding="utf-8"))
    return Model(kind=data["kind"], version=data["version"], splink=data["splink"], training=data["training"],
                 thresholds=data["thresholds"])

"""The FollowTheMoney model with binational's overlay schemata (Firearm, Seizure, BorderCrossing)."""

from __future__ import annotations

import os
from pathlib import Path

from followthemoney import model as stock_model
from followthemoney.model import Model

OVERLAY = Path(__file__).parent


class OverlayModel(Model):
    """FtM's stock schemata plus the YAML files of this folder, loaded as one model."""

    def __init__(self, stock: str, overlay: Path) -> None:
        self.path = stock
        self.schemata = {}
        self.properties = set()
        self.qnames = {}
        for folder in (stock, str(overlay)):
            for dirpath, _, filenames in os.walk(folder):
                for filename in sorted(filenames):
                    if filename.endswith(".yaml"):
                        self._load(os.path.join(dirpath, filename))
        self.generate()


def _install() -> Model:
    if "Firearm" in Model.instance().schemata:
        return Model.instance()
    merged = OverlayModel(stock_model.path, OVERLAY)
    # FtM's statement entities look the model up through the singleton.
    Model._instance = merged
    return merged


model: Model = _install()

"""Small synthetic declaration files of one world: train (half a year), valid and test (two months each);
imported by the conftest of tests/trade and by tests/attacks/test_trade.py."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from binational.trade import synthetic

PERIODS = {"train": (3000, date(2024, 1, 1), 180), "valid": (800, date(2024, 7, 1), 60),
           "test": (800, date(2024, 9, 1), 60)}


@pytest.fixture(scope="session")
def declaration_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("declarations")
    out = {}
    for seed, (name, (n, start, days)) in enumerate(PERIODS.items()):
        path = folder / f"{name}.csv"
        path.write_text(synthetic.csv_text(synthetic.declarations(n, start=start, days=days, seed=seed)))
        out[name] = path
    return out


@pytest.fixture(scope="session")
def model_file(declaration_files: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    from binational.trade import declarations, risk
    fitted = risk.train(declarations.read(declaration_files["train"], labels=True),
                        declarations.read(declaration_files["valid"], labels=True))
    path = tmp_path_factory.mktemp("model") / "model.json"
    fitted.save(path)
    return path

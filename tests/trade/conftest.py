"""The synthetic declaration files and a model trained on them (tests/trade/worlds.py)."""

from tests.trade.worlds import declaration_files, model_file

__all__ = ["declaration_files", "model_file"]

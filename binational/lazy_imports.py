"""Heavy libraries loaded on first use, not at import.

networkit (with the scikit-learn it imports) and LightGBM each take seconds to load. Every process that
serves pages or runs a command imports the modules that use them, though few of its requests compute a
graph measure or score a declaration; with `on_first_use` only those pay.
"""

from __future__ import annotations

import importlib.util
import sys
from types import ModuleType


def on_first_use(name: str) -> ModuleType:
    """Module `name`, executed when one of its attributes is first read (importlib's LazyLoader)."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.find_spec(name)
    if spec is None or spec.loader is None:
        raise ModuleNotFoundError(f"no module named {name!r}", name=name)
    spec.loader = importlib.util.LazyLoader(spec.loader)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module

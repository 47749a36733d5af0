"""A seeded synthetic binational world with ground truth: who is who across agencies' records.

``generate(seed, size, out)`` writes agencies.csv, users.csv (demo-only passwords),
entities/<AGENCY>.jsonl (FollowTheMoney entities with a ``binational`` policy block), truth/*.csv
and manifest.json. The same seed and size always give byte-identical files. Pure: no database.
"""

from __future__ import annotations

import importlib
import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

from faker import Faker

from binational.scenario.registry import derived_seed, generators
from binational.scenario.sizes import get_size
from binational.scenario.world import World

#: modules whose generators run, in this order (each registers on import)
GENERATOR_MODULES = ("people", "organisations", "intelligence", "seizures", "encounters", "firearms_trade",
                     "repatriation", "engagements", "shipments", "flows_series")

__all__ = ["GENERATOR_MODULES", "generate"]


def _load_generators() -> None:
    for name in GENERATOR_MODULES:
        importlib.import_module(f"binational.scenario.{name}")


def generate(
    seed: int, size: str, out: Path, progress: Callable[[int, int], None] | None = None
) -> dict[str, Any]:
    """Write the world of ``seed`` at ``size`` into ``out``; returns the manifest (counts per file)."""
    spec = get_size(size)
    _load_generators()
    world = World.open(Path(out), seed, spec, progress)
    world.write_directory()
    faker_us, faker_mx = Faker("en_US"), Faker("es_MX")
    names = []
    # in the order of GENERATOR_MODULES, whatever imported a module first (a test may import one alone)
    order = {f"binational.scenario.{module}": n for n, module in enumerate(GENERATOR_MODULES)}
    for name, fn in sorted(generators(), key=lambda g: order.get(g[1].__module__, len(order))):
        gen_seed = derived_seed(seed, name)
        faker_us.seed_instance(gen_seed)
        faker_mx.seed_instance(gen_seed + 1)
        fn(world, random.Random(gen_seed), faker_us, faker_mx)  # noqa: S311 - synthetic data, not crypto
        names.append(name)
    world.work_done = world.work_total
    if progress is not None:
        progress(world.work_total, world.work_total)
    return world.close(names)

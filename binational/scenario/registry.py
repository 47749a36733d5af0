"""The generator registry: each module of the scenario registers functions that add to one World.

A generator is ``fn(world, rng, faker_us, faker_mx) -> None``. Generators run in registration order
(the order of the imports in ``binational.scenario.GENERATOR_MODULES``). Each gets its own
``random.Random`` and freshly seeded Faker instances derived from the world seed and the generator's
name, so adding a generator never changes what the earlier ones produce.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from binational.scenario.world import World

Generator = Callable[["World", random.Random, Any, Any], None]

_GENERATORS: list[tuple[str, Generator]] = []


def register(name: str) -> Callable[[Generator], Generator]:
    """Register ``fn`` under ``name``; names are unique and keep their registration order."""

    def decorate(fn: Generator) -> Generator:
        if any(existing == name for existing, _ in _GENERATORS):
            raise ValueError(f"a scenario generator named {name!r} is already registered")
        _GENERATORS.append((name, fn))
        return fn

    return decorate


def generators() -> list[tuple[str, Generator]]:
    """The registered generators, in registration order."""
    return list(_GENERATORS)


def derived_seed(seed: int, name: str) -> int:
    """A stable 64-bit seed for one generator (independent of PYTHONHASHSEED)."""
    return random.Random(f"{seed}:{name}").getrandbits(64)  # noqa: S311 - synthetic data, not crypto

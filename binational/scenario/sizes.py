"""The sizes of the synthetic world: how many people, organisations and events each one has."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Size:
    name: str
    people: int
    organisations: int
    #: people generated per progress step (streaming granularity)
    chunk: int


SIZES: dict[str, Size] = {
    "small": Size("small", people=300, organisations=3, chunk=100),
    "medium": Size("medium", people=20_000, organisations=40, chunk=1_000),
    "large": Size("large", people=1_000_000, organisations=2_000, chunk=10_000),
}


def get_size(name: str) -> Size:
    try:
        return SIZES[name]
    except KeyError:
        raise ValueError(f"unknown size {name!r}; choose one of {', '.join(SIZES)}") from None

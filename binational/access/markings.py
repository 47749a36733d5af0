"""TLP 2.0 markings, ordered from the least to the most restricted."""

from __future__ import annotations

from binational.errors import InvalidInput

MARKINGS: tuple[str, ...] = ("TLP:CLEAR", "TLP:GREEN", "TLP:AMBER", "TLP:AMBER+STRICT", "TLP:RED")
RANK: dict[str, int] = {marking: rank for rank, marking in enumerate(MARKINGS)}
DISTRIBUTIONS: tuple[str, ...] = ("agency", "national", "release")


def rank(marking: str) -> int:
    """The order of a marking (0 = TLP:CLEAR); unknown markings are invalid input."""
    if not isinstance(marking, str) or marking not in RANK:  # a list or an object is no marking either
        raise InvalidInput(
            f"unknown marking {marking!r}",
            details=[{"field": "marking", "allowed": list(MARKINGS)}],
        )
    return RANK[marking]


def check_distribution(distribution: str) -> str:
    """Return the distribution if it is one of DISTRIBUTIONS."""
    if not isinstance(distribution, str) or distribution not in DISTRIBUTIONS:
        raise InvalidInput(
            f"unknown distribution {distribution!r}",
            details=[{"field": "distribution", "allowed": list(DISTRIBUTIONS)}],
        )
    return distribution

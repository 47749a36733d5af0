"""The registry of indicators: monthly figures the platform computes, that commitments are tied to.

A module registers its indicators with one call at import (`register(Indicator(...))`) and names its
module in `INDICATOR_MODULES` so that the registry loads it. An indicator has a key, a unit, label
keys in the page catalogs, the agency or office that answers for it, who may see it (a capability and,
optionally, the countries whose agencies may: `access.policy.may_see_indicator`), whether a higher or
a lower figure is better, and a function computing its monthly series for a viewer over the rows that
viewer may see.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy.orm import Session

from binational.access.policy import Actor, Decision, may_see_indicator
from binational.errors import InvalidInput

#: modules whose indicators the registry loads (each calls `register` at import)
INDICATOR_MODULES = ("binational.engagements.core_indicators", "binational.engagements.trade_indicators",
                     "binational.engagements.flows_indicators", "binational.firearms.indicators",
                     "binational.repatriation.indicators")

#: a month as `YYYY-MM` and its figure (None: nothing to measure that month, as a median of no answers)
Point = tuple[str, float | None]
Series = Callable[[Session, Actor, date, date], list[Point]]


@dataclass(frozen=True)
class Indicator:
    """A monthly figure commitments can be tied to."""

    key: str
    unit: str
    #: label key in binational/web/translations (`indicator.<key>` by default)
    label: str
    #: the agency (or office of the platform) that answers for the figure
    owner: str
    series: Series
    #: capability a viewer's role needs to see the figure ('' for any user)
    capability: str = "record.view"
    #: countries whose agencies see it (None: every agency, each over what it may see)
    countries: frozenset[str] | None = None
    better: str = "higher"

    def decide(self, actor: Actor) -> Decision:
        """Whether `actor` sees this indicator's figures (the policy's rule)."""
        return may_see_indicator(actor, capability=self.capability, countries=self.countries)


_REGISTRY: dict[str, Indicator] = {}
_loaded = False


def register(indicator: Indicator) -> Indicator:
    """Declare an indicator (a module calls this at import); declaring a key twice differently fails."""
    if indicator.better not in ("higher", "lower"):
        raise ValueError(f"indicator {indicator.key}: better is 'higher' or 'lower'")
    known = _REGISTRY.get(indicator.key)
    if known is not None and known != indicator:
        raise ValueError(f"indicator {indicator.key} declared twice")
    _REGISTRY[indicator.key] = indicator
    return indicator


def _load() -> None:
    global _loaded
    if not _loaded:
        for name in INDICATOR_MODULES:
            importlib.import_module(name)
        _loaded = True


def registered() -> list[Indicator]:
    """Every registered indicator, by key."""
    _load()
    return [_REGISTRY[k] for k in sorted(_REGISTRY)]


def get(key: object, *, field: str = "indicator") -> Indicator:
    """The indicator registered as `key`, or InvalidInput listing the known ones."""
    _load()
    found = _REGISTRY.get(key) if isinstance(key, str) else None
    if found is None:
        raise InvalidInput(f"unknown indicator {key!r}", details=[{"field": field, "allowed": sorted(_REGISTRY)}])
    return found


#: the longest range of months a series is asked for (twenty years)
MAX_MONTHS = 240


def check_range(start: date, end: date) -> None:
    """Refuse a range of months that is reversed, longer than `MAX_MONTHS` or ends on the calendar's last day."""
    if start > end:
        raise InvalidInput("start is after end", details=[{"field": "start"}])
    if (end.year - start.year) * 12 + end.month - start.month >= MAX_MONTHS:
        raise InvalidInput(f"a series covers at most {MAX_MONTHS} months", details=[{"field": "start"}])
    if end >= date.max:
        raise InvalidInput("end is the calendar's last day", details=[{"field": "end"}])


def earliest(end: date) -> date:
    """The first day of the earliest month a series ending at `end` may start at."""
    index = max(end.year * 12 + end.month - 1 - (MAX_MONTHS - 1), 12)
    return date(index // 12, index % 12 + 1, 1)


def months(start: date, end: date) -> list[str]:
    """The months from `start` to `end`, both included, as `YYYY-MM`."""
    out = []
    year, month = start.year, start.month
    while (year, month) <= (end.year, end.month):
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """The first moment of `start`'s month and the first moment after `end`, in UTC."""
    first = datetime.combine(start.replace(day=1), time.min, tzinfo=UTC)
    after = datetime.combine(end, time.min, tzinfo=UTC) + timedelta(days=1)
    return first, after


def month_of(moment: datetime | date) -> str:
    """The `YYYY-MM` of a moment."""
    return f"{moment.year:04d}-{moment.month:02d}"


def counted(moments: Iterable[datetime], start: date, end: date) -> list[Point]:
    """A count per month of `moments` (a month without any counts 0)."""
    counts = dict.fromkeys(months(start, end), 0)
    for moment in moments:
        key = month_of(moment)
        if key in counts:
            counts[key] += 1
    return [(k, float(v)) for k, v in counts.items()]


def median_per_month(pairs: Iterable[tuple[datetime, float]], start: date, end: date) -> list[Point]:
    """The median of the values of each month (None for a month without any)."""
    buckets: dict[str, list[float]] = {k: [] for k in months(start, end)}
    for moment, value in pairs:
        key = month_of(moment)
        if key in buckets:
            buckets[key].append(value)
    out: list[Point] = []
    for key, values in buckets.items():
        values.sort()
        n = len(values)
        median = None if not n else (values[n // 2] if n % 2 else (values[n // 2 - 1] + values[n // 2]) / 2)
        out.append((key, median))
    return out

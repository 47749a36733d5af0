"""The flows module's imports: files of monthly series read, checked and added or replaced, and the
module's actions.

Keyword-only, `session` and `actor` explicit, never committing; every read and write is audited in
the same transaction. Reading series is `flows.series`, stored forecasts `flows.forecasts`, CSV
exports `flows.exports`, alerts `flows.alerts`; what a viewer may see of a series is decided by
`access.policy.may_see_flow_series` (one loaded series) and its SQL twin `visible_series` (lists,
counts, exports, forecasts, alerts): a hidden series answers exactly as one that does not exist.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.orm import Session

from binational.access.actions import Action, register
from binational.access.markings import RANK
from binational.access.policy import Actor, may_publish_statistics, require
from binational.audit import log as audit
from binational.db import utcnow
from binational.errors import Forbidden, InvalidInput
from binational.flows import formats
from binational.flows.models import FlowImport, FlowSeries, FlowValue

register(
    Action("flows.import", "record.create", "import a file of monthly indicators (CBP, BTS, Mexican layout, long CSV)")
)
register(Action("flows.list", "record.view", "list the monthly series one may see"))
register(
    Action("flows.read", "record.view", "read one series one may see: values, years, year-over-year, forecast, alerts")
)
register(Action("flows.export", "record.view", "export the values and forecast of a series one may see (CSV)"))
register(Action("flows.forecast", "record.create", "forecast the series one may see and store the forecasts"))
register(Action("flows.alerts", "record.view", "check the series one may see for alerts and list them"))
register(Action("flows.subscribe", "record.view", "subscribe oneself to the alerts of an indicator"))


DISTRIBUTIONS = ("agency", "national")

PUBLIC_MARKING = "TLP:CLEAR"


@dataclass(frozen=True)
class ImportResult:
    """What an import did (the CLI's and API's answer)."""

    file: str
    format: str
    rows: int
    series: int
    added: int
    replaced: int
    unchanged: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "format": self.format,
            "rows": self.rows,
            "series": self.series,
            "added": self.added,
            "replaced": self.replaced,
            "unchanged": self.unchanged,
        }


def _check_policy(distribution: str, marking: str) -> int:
    if distribution not in DISTRIBUTIONS:
        raise InvalidInput(
            f"distribution {distribution!r}: one of {', '.join(DISTRIBUTIONS)}", details=[{"field": "distribution"}]
        )
    if marking not in RANK:
        raise InvalidInput(f"marking {marking!r}: one of {', '.join(RANK)}", details=[{"field": "marking"}])
    return RANK[marking]


def import_file(
    *,
    session: Session,
    actor: Actor,
    name: str,
    data: bytes,
    distribution: str = "agency",
    marking: str = "TLP:AMBER",
    progress: Callable[[int, int], None] | None = None,
) -> ImportResult:
    """Import a file: its format detected, every row checked, its monthly values added or replaced.

    Public statistics (CBP, BTS, crossings by port) become public series marked TLP:CLEAR; the
    Mexican layout and the long CSV stay with `distribution` and `marking`. Raises BadFile naming
    file, line and column; then nothing is written.
    """
    require(actor, "flows.import")
    rank = _check_policy(distribution, marking)
    if rank > actor.clearance_rank:
        raise InvalidInput(f"marking {marking} is above your clearance", details=[{"field": "marking"}])
    parsed = formats.parse(name, data)
    if any(info.public for info in parsed.series.values()):
        publish = may_publish_statistics(actor, source_country=formats.source_country(parsed.format))
        if not publish:
            raise Forbidden(f"{name}: {publish.reason}", action="flows.import")
    total = len(parsed.values)
    now = utcnow()
    keys = sorted(parsed.series)
    existing: dict[str, FlowSeries] = {}
    # A series is its agency's key at one marking (uq_flow_series_owner_rank_key): the file's rows go to
    # the series of the marking they are imported at, which the actor always sees. A series of the same
    # key above the actor's clearance is never read, written or counted, so the answer is the same
    # whether or not it exists (a refusal, or counts, would confirm a colleague's guess).
    wanted = {key: RANK[PUBLIC_MARKING] if parsed.series[key].public else rank for key in keys}
    for chunk in chunks(keys, 500):
        for series in session.execute(
            select(FlowSeries).where(
                FlowSeries.owner_agency == actor.agency,
                FlowSeries.key.in_(chunk),
                FlowSeries.marking_rank.in_(sorted(set(wanted.values()))),
                FlowSeries.case_id.is_(None),
            )
        ).scalars():
            if series.marking_rank == wanted[series.key]:
                existing[series.key] = series
    for key in keys:
        if key in existing:
            continue
        info = parsed.series[key]
        series = FlowSeries(
            key=key,
            indicator=info.indicator,
            dimension=info.dimension,
            member=info.member,
            unit=info.unit,
            source=info.source,
            public=info.public,
            latitude=info.latitude,
            longitude=info.longitude,
            owner_agency=actor.agency,
            owner_country=actor.country,
            distribution="national" if info.public else distribution,
            marking=PUBLIC_MARKING if info.public else marking,
            marking_rank=RANK[PUBLIC_MARKING] if info.public else rank,
            created_at=now,
            updated_at=now,
        )
        session.add(series)
        existing[key] = series
    session.flush()
    ids = {key: s.id for key, s in existing.items()}
    stored: dict[tuple[int, int], float] = {}
    for chunk in chunks(sorted(ids.values()), 500):
        for series_id, month, value in session.execute(
            select(FlowValue.series_id, FlowValue.month, FlowValue.value).where(FlowValue.series_id.in_(chunk))
        ):
            stored[(series_id, month)] = value
    new, changed = [], []
    unchanged = 0
    for (key, month), value in parsed.values.items():
        at = (ids[key], month)
        old = stored.get(at)
        if old is None:
            new.append({"series_id": at[0], "month": month, "value": value, "import_id": 0})
        elif abs(old - value) > 1e-9 * max(1.0, abs(old)):
            changed.append({"b_series": at[0], "b_month": month, "b_value": value, "b_import": 0})
        else:
            unchanged += 1
    # the import's record is written once, with its counts (it is never updated)
    record = FlowImport(
        file=name[:255],
        sha256=hashlib.sha256(data).hexdigest(),
        format=parsed.format,
        rows=parsed.rows,
        added=len(new),
        replaced=len(changed),
        unchanged=unchanged,
        created_by=actor.user_id,
        owner_agency=actor.agency,
        owner_country=actor.country,
        distribution="agency",
        marking=marking,
        marking_rank=rank,
        created_at=now,
    )
    session.add(record)
    session.flush()
    for row in new:
        row["import_id"] = record.id
    for row in changed:
        row["b_import"] = record.id
    done = 0
    values_table: Any = FlowValue.__table__
    for chunk in chunks(new, 20000):  # the table's insert, not the ORM's: no objects for a million rows
        session.execute(insert(values_table), chunk)
        done += len(chunk)
        if progress:
            progress(done, total)
    if changed:
        table: Any = FlowValue.__table__
        statement = (
            update(table)
            .where(
                table.c.series_id == bindparam("b_series"),
                table.c.month == bindparam("b_month"),
            )
            .values(value=bindparam("b_value"), import_id=bindparam("b_import"))
        )
        for chunk in chunks(changed, 20000):
            session.execute(statement, chunk)
            done += len(chunk)
            if progress:
                progress(done, total)
    touched = {r["series_id"] for r in new} | {r["b_series"] for r in changed}
    if touched:
        for chunk in chunks(sorted(touched), 500):
            session.execute(update(FlowSeries).where(FlowSeries.id.in_(chunk)).values(updated_at=now))
    if progress:
        progress(total, total)
    result = ImportResult(
        file=name,
        format=parsed.format,
        rows=parsed.rows,
        series=len(keys),
        added=len(new),
        replaced=len(changed),
        unchanged=unchanged,
    )
    audit.record(
        session,
        action="flows.import",
        actor=actor,
        objects=[(f"flow-import:{record.id}", actor.agency)],
        extra={"sha256": record.sha256, **{k: v for k, v in result.as_dict().items() if k != "file"}},
    )
    return result


def chunks(items: list[Any], size: int) -> list[list[Any]]:
    """`items` in lists of at most `size` (the bound parameters one statement takes)."""
    return [items[i : i + size] for i in range(0, len(items), size)]

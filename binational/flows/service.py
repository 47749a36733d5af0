"""The flows module's services: import files of monthly series, read what the viewer may see, store
forecasts, raise alerts and tell subscribed users.

Keyword-only, `session` and `actor` explicit, never committing; every read and write is audited in
the same transaction. What the viewer may not see is decided by `access.policy.may_see_series` (one
series) and its SQL twin `visible_series` (lists, counts, exports, forecasts, alerts): a hidden
series answers exactly as one that does not exist.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, bindparam, func, insert, or_, select, update
from sqlalchemy.orm import Session

from binational import pagination
from binational.access.actions import Action, register
from binational.access.markings import RANK
from binational.access.policy import Actor, Decision, may_publish_statistics, may_see_series, require, visible_series
from binational.audit import log as audit
from binational.audit.export import spreadsheet_cell
from binational.config import get_settings
from binational.db import system_context, utcnow
from binational.errors import Forbidden, InvalidInput, NotFound
from binational.flows import formats
from binational.flows.forecasting import month_text
from binational.flows.models import FlowAlert, FlowForecast, FlowImport, FlowSeries, FlowValue

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
    for chunk in _chunks(keys, 500):
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
    for chunk in _chunks(sorted(ids.values()), 500):
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
    for chunk in _chunks(new, 20000):  # the table's insert, not the ORM's: no objects for a million rows
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
        for chunk in _chunks(changed, 20000):
            session.execute(statement, chunk)
            done += len(chunk)
            if progress:
                progress(done, total)
    touched = {r["series_id"] for r in new} | {r["b_series"] for r in changed}
    if touched:
        for chunk in _chunks(sorted(touched), 500):
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


def sees(actor: Actor, series: FlowSeries) -> Decision:
    """`policy.may_see_series` on a loaded series (its reason goes to the audit log)."""
    return may_see_series(
        actor,
        owner_agency=series.owner_agency,
        owner_country=series.owner_country,
        distribution=series.distribution,
        marking_rank=series.marking_rank,
        case_id=series.case_id,
        public=series.public,
    )


def _chunks(items: list[Any], size: int) -> list[list[Any]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


# --- reading ----------------------------------------------------------------------------------


def _hidden(
    series_id: Any, reason: str = "not found", owner: str | None = None, action: str = "flows.read"
) -> NotFound:
    return NotFound("series", str(series_id), reason=reason, action=action, owner=owner)


def load_series(*, session: Session, actor: Actor, series_id: int, action: str = "flows.read") -> FlowSeries:
    """The series if the actor may see it; NotFound (the same as for none) otherwise."""
    require(actor, action)
    series = session.get(FlowSeries, series_id) if isinstance(series_id, int) else None
    if series is None:
        raise _hidden(series_id, action=action)
    decision = sees(actor, series)
    if not decision:
        raise _hidden(series_id, decision.reason, series.owner_agency, action)
    return series


def series_view(series: FlowSeries) -> dict[str, Any]:
    """A series as the API and pages show it (no values)."""
    return {
        "id": series.id,
        "key": series.key,
        "indicator": series.indicator,
        "dimension": series.dimension,
        "member": series.member,
        "unit": series.unit,
        "source": series.source,
        "public": series.public,
        "owner_agency": series.owner_agency,
        "distribution": series.distribution,
        "marking": series.marking,
        "latitude": series.latitude,
        "longitude": series.longitude,
        "updated_at": series.updated_at.isoformat(),
    }


def list_series(
    *,
    session: Session,
    actor: Actor,
    indicator: str | None = None,
    dimension: str | None = None,
    limit: int | None = None,
    cursor: str | None = None,
) -> tuple[list[FlowSeries], str | None, int]:
    """One page of the series the actor may see (filtered), the next cursor, and how many match."""
    require(actor, "flows.list")
    limit = pagination.check_limit(limit, 100, 1000)
    query = select(FlowSeries).where(visible_series(actor, FlowSeries))
    if indicator:
        query = query.where(FlowSeries.indicator == indicator)
    if dimension:
        query = query.where(FlowSeries.dimension == dimension)
    count = session.execute(select(func.count()).select_from(query.subquery())).scalar_one()
    page, following = pagination.keyset(
        session, query, FlowSeries.id, limit=limit, cursor=cursor, secret=get_settings().signing_secret()
    )
    audit.record(
        session,
        action="flows.list",
        actor=actor,
        objects=[],
        extra={"indicator": indicator, "dimension": dimension, "count": count},
    )
    return page, following, count


def indicators(*, session: Session, actor: Actor) -> list[dict[str, Any]]:
    """The indicators and dimensions of the series the actor may see, with their counts."""
    require(actor, "flows.list")
    rows = session.execute(
        select(FlowSeries.indicator, FlowSeries.dimension, func.count())
        .where(visible_series(actor, FlowSeries))
        .group_by(FlowSeries.indicator, FlowSeries.dimension)
        .order_by(FlowSeries.indicator, FlowSeries.dimension)
    ).all()
    audit.record(session, action="flows.list", actor=actor, objects=[], extra={"indicators": len(rows)})
    return [{"indicator": i, "dimension": d, "series": n} for i, d, n in rows]


def values_of(session: Session, series: FlowSeries) -> dict[int, float]:
    """Month -> value of a series already loaded through the policy."""
    return dict(
        session.execute(
            select(FlowValue.month, FlowValue.value).where(FlowValue.series_id == series.id).order_by(FlowValue.month)
        ).all()
    )


def yearly(values: dict[int, float], *, fiscal: bool) -> list[dict[str, Any]]:
    """Sums by calendar year, or by US fiscal year (October to September, named by its end)."""
    sums: dict[int, float] = defaultdict(float)
    months: dict[int, int] = defaultdict(int)
    for month, value in values.items():
        year = month // 12 + (1 if fiscal and month % 12 >= 9 else 0)
        sums[year] += value
        months[year] += 1
    return [{"year": y, "value": sums[y], "months": months[y], "complete": months[y] == 12} for y in sorted(sums)]


def year_over_year(values: dict[int, float]) -> list[dict[str, Any]]:
    """For each month with a value a year before: the change, absolute and relative (None from zero)."""
    out = []
    for month in sorted(values):
        before = values.get(month - 12)
        if before is None:
            continue
        change = values[month] - before
        out.append(
            {
                "month": month_text(month),
                "value": values[month],
                "year_before": before,
                "change": change,
                "ratio": change / before if before else None,
            }
        )
    return out


def latest_forecast(session: Session, series: FlowSeries) -> FlowForecast | None:
    """The series' newest stored forecast."""
    return session.execute(
        select(FlowForecast).where(FlowForecast.series_id == series.id).order_by(FlowForecast.id.desc()).limit(1)
    ).scalar_one_or_none()


def forecast_view(forecast: FlowForecast | None) -> dict[str, Any] | None:
    """A stored forecast as rows per month, with its model and backtest."""
    if forecast is None:
        return None
    values = json.loads(forecast.values)
    return {
        "model": forecast.model,
        "backtest": json.loads(forecast.backtest),
        "shock_replaced": forecast.shock_replaced,
        "created_at": forecast.created_at.isoformat(),
        "months": [
            {
                "month": month_text(forecast.first_month + i),
                **{k: values[k][i] for k in ("mean", "lo80", "hi80", "lo95", "hi95")},
            }
            for i in range(len(values["mean"]))
        ],
    }


def read_series(*, session: Session, actor: Actor, series_id: int) -> dict[str, Any]:
    """A series the actor may see: values, calendar and fiscal years, year-over-year, forecast, alerts."""
    series = load_series(session=session, actor=actor, series_id=series_id)
    values = values_of(session, series)
    alerts = (
        session.execute(
            select(FlowAlert).where(FlowAlert.series_id == series.id).order_by(FlowAlert.month.desc(), FlowAlert.kind)
        )
        .scalars()
        .all()
    )
    audit.record(session, action="flows.read", actor=actor, objects=[(f"flow-series:{series.id}", series.owner_agency)])
    return {
        **series_view(series),
        "values": [{"month": month_text(m), "value": v} for m, v in values.items()],
        "calendar_years": yearly(values, fiscal=False),
        "fiscal_years": yearly(values, fiscal=True),
        "year_over_year": year_over_year(values),
        "forecast": forecast_view(latest_forecast(session, series)),
        "alerts": [alert_view(a, series) for a in alerts],
    }


def alert_view(alert: FlowAlert, series: FlowSeries) -> dict[str, Any]:
    """An alert as shown: which series, month, kind, the value against what was expected."""
    return {
        "id": alert.id,
        "series_id": series.id,
        "series": series.key,
        # whose series: any agency may import a public statistic's file, so provenance travels with the alert
        "owner_agency": series.owner_agency,
        "month": month_text(alert.month),
        "kind": alert.kind,
        "value": alert.value,
        "expected": alert.expected,
        "low": alert.low,
        "high": alert.high,
        "created_at": alert.created_at.isoformat(),
    }


EXPORT_HEADER = ("series", "month", "value", "mean", "lo80", "hi80", "lo95", "hi95")


def export_csv(*, session: Session, actor: Actor, series_id: int) -> str:
    """The series' values and stored forecast as CSV text (`EXPORT_HEADER`), formulas written as text."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(EXPORT_HEADER)
    rows = export_rows(session=session, actor=actor, series_id=series_id)
    writer.writerows([spreadsheet_cell(v) for v in row] for row in rows)
    return out.getvalue()


def export_rows(*, session: Session, actor: Actor, series_id: int) -> list[tuple[Any, ...]]:
    """`series,month,value,mean,lo80,hi80,lo95,hi95`: the values and the stored forecast, as CSV rows."""
    series = load_series(session=session, actor=actor, series_id=series_id, action="flows.export")
    values = values_of(session, series)
    rows: list[tuple[Any, ...]] = [(series.key, month_text(m), v, "", "", "", "", "") for m, v in values.items()]
    view = forecast_view(latest_forecast(session, series))
    for row in (view or {}).get("months", []):
        rows.append((series.key, row["month"], "", row["mean"], row["lo80"], row["hi80"], row["lo95"], row["hi95"]))
    audit.record(
        session,
        action="flows.export",
        actor=actor,
        objects=[(f"flow-series:{series.id}", series.owner_agency)],
        extra={"rows": len(rows)},
    )
    return rows


# --- stored forecasts -------------------------------------------------------------------------


def chosen_series(*, session: Session, actor: Actor, indicator: str | None = None, dimension: str | None = None,
                  max_series: int | None = None) -> dict[int, FlowSeries]:
    """The series the actor may see (filtered), by id; more than `max_series` is InvalidInput."""
    query = select(FlowSeries).where(visible_series(actor, FlowSeries))
    if indicator:
        query = query.where(FlowSeries.indicator == indicator)
    if dimension:
        query = query.where(FlowSeries.dimension == dimension)
    chosen = {s.id: s for s in session.execute(query.order_by(FlowSeries.id)).scalars()}
    if max_series is not None and len(chosen) > max_series:
        raise InvalidInput(f"{len(chosen)} series chosen, more than the {max_series} one request may forecast; "
                           "narrow it by indicator and dimension, or run `binational flows forecast` on the node",
                           details=[{"field": "indicator", "count": len(chosen), "limit": max_series}])
    return chosen


def store_forecasts(
    *,
    session: Session,
    actor: Actor,
    horizon: int = 12,
    indicator: str | None = None,
    dimension: str | None = None,
    max_series: int | None = None,
    progress: Callable[[int, int], None] | None = None,
    stored: list[int] | None = None,
) -> dict[str, Any]:
    """Forecast every series the actor may see (filtered) from its history, and store each forecast with
    its backtest. Series too short to backtest are skipped and counted; returns what was done. More
    than `max_series` chosen series is InvalidInput, before anything is fitted or written."""
    from binational.flows import forecasting

    require(actor, "flows.forecast")
    chosen = chosen_series(session=session, actor=actor, indicator=indicator, dimension=dimension,
                           max_series=max_series)
    data: dict[str, dict[int, float]] = defaultdict(dict)
    for chunk in _chunks(sorted(chosen), 500):
        for series_id, month, value in session.execute(
            select(FlowValue.series_id, FlowValue.month, FlowValue.value).where(FlowValue.series_id.in_(chunk))
        ):
            data[str(series_id)][month] = value
    need = forecasting.needed_months(horizon)
    usable = {k: v for k, v in data.items() if len(forecasting.regular(v)[1]) >= need}
    results = forecasting.forecast(usable, horizon=horizon, progress=progress) if usable else []
    now = utcnow()
    with system_context(session):  # forecasts are the node's computation over what the actor may see
        for f in results:
            session.add(
                FlowForecast(
                    series_id=int(f.series_id),
                    model=f.model,
                    backtest=json.dumps(f.backtest, sort_keys=True),
                    first_month=f.first_month,
                    shock_replaced=f.shock_replaced,
                    created_at=now,
                    values=json.dumps({"mean": f.mean, "lo80": f.lo80, "hi80": f.hi80, "lo95": f.lo95, "hi95": f.hi95}),
                )
            )
        session.flush()
    if stored is not None:  # the ids of the series forecast, for a background run's own record
        stored.extend(int(f.series_id) for f in results)
    summary = {
        "forecast": len(results),
        "skipped": len(chosen) - len(results),
        "months_needed": need,
        "horizon": horizon,
    }
    forecast_objects: list[tuple[str, str | None]] = [
        (f"flow-series:{int(f.series_id)}", chosen[int(f.series_id)].owner_agency) for f in results
    ]
    audit.record(
        session,
        action="flows.forecast",
        actor=actor,
        objects=forecast_objects[:200],
        extra=summary,
    )
    return summary


def last_values(session: Session, page: list[FlowSeries]) -> dict[int, dict[str, Any]]:
    """Series id -> its last month, that month's value and its change from a year before, for a page of
    series already chosen through the policy (one query, for lists and maps)."""
    out: dict[int, dict[str, Any]] = {x.id: {"last_month": None, "last_value": None, "yoy": None} for x in page}
    if not out:
        return out
    last = (
        select(FlowValue.series_id, func.max(FlowValue.month).label("month"))
        .where(FlowValue.series_id.in_(sorted(out)))
        .group_by(FlowValue.series_id)
        .subquery()
    )
    found: dict[tuple[int, int], float] = {}
    ends: dict[int, int] = {}
    for series_id, end, month, value in session.execute(
        select(FlowValue.series_id, last.c.month, FlowValue.month, FlowValue.value).join(
            last,
            and_(
                FlowValue.series_id == last.c.series_id,
                or_(FlowValue.month == last.c.month, FlowValue.month == last.c.month - 12),
            ),
        )
    ):
        found[(series_id, month)] = value
        ends[series_id] = end
    for series_id, end in ends.items():
        value, before = found[(series_id, end)], found.get((series_id, end - 12))
        out[series_id] = {
            "last_month": month_text(end),
            "last_value": value,
            "yoy": (value - before) / before if before else None,
        }
    return out
